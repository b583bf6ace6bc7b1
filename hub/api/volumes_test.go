package api_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

func vol(id int64, name string) map[string]any { return map[string]any{"id": id, "name": name} }

// getURL fetches a URL of the test hub, failing on anything but 200.
func getURL(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	return body
}

func TestVolumes(t *testing.T) {
	rpms := tinyRPMs(t)
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		anon := h.Client()
		mkdir := func(rel string) {
			t.Helper()
			if err := os.MkdirAll(filepath.Join(h.TopDir, rel), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		symlink := func(target, rel string) {
			t.Helper()
			if err := os.Symlink(target, filepath.Join(h.TopDir, rel)); err != nil {
				t.Fatal(err)
			}
		}

		if got := call(t, anon, "listVolumes"); !reflect.DeepEqual(got, []any{vol(0, "DEFAULT")}) {
			t.Fatalf("listVolumes = %v", got)
		}

		// addVolume: the directory first, a sound toplink, a fresh name
		mkdir("vol/vol1")
		mkdir("vol/vol2")
		mkdir("vol/notlink")
		if err := os.WriteFile(filepath.Join(h.TopDir, "vol/notlink/toplink"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		mkdir("vol/broken")
		symlink("/nonexistent/koji", "vol/broken/toplink")
		mkdir("vol/elsewhere")
		symlink(t.TempDir(), "vol/elsewhere/toplink")
		for _, tc := range []struct {
			client *xmlrpc.Client
			args   []any
			code   int
			msg    string
		}{
			{anon, []any{"vol1"}, hub.CodeActionNotAllowed, "admin permission required"},
			{admin, []any{"missing"}, hub.CodeGeneric, "please create the volume directory first"},
			{admin, []any{"notlink"}, hub.CodeGeneric, "Not a symlink: " + filepath.Join(h.TopDir, "vol/notlink/toplink")},
			{admin, []any{"broken"}, hub.CodeGeneric, "Broken volume toplink: " + filepath.Join(h.TopDir, "vol/broken/toplink")},
			{admin, []any{"elsewhere"}, hub.CodeGeneric, "Invalid volume toplink: " + filepath.Join(h.TopDir, "vol/elsewhere/toplink")},
			{admin, []any{".."}, hub.CodeGeneric, "Invalid volume name: .."},
			{admin, []any{"a b"}, hub.CodeGeneric, "Name a b does not match RegexNameInternal value"},
			{admin, []any{"DEFAULT"}, hub.CodeGeneric, "volume DEFAULT already exists"},
			{admin, []any{int64(3)}, hub.CodeGeneric, "Name should be string"},
		} {
			_, err := tc.client.Call(ctx, "addVolume", tc.args...)
			fault(t, err, tc.code, tc.msg)
		}
		if got := call(t, admin, "addVolume", "vol1"); !reflect.DeepEqual(got, vol(1, "vol1")) {
			t.Errorf("addVolume vol1 = %v", got)
		}
		if got := call(t, admin, "addVolume", "vol2"); !reflect.DeepEqual(got, vol(2, "vol2")) {
			t.Errorf("addVolume vol2 = %v", got)
		}
		if target, err := os.Readlink(filepath.Join(h.TopDir, "vol/vol1/toplink")); err != nil || target != h.TopDir {
			t.Errorf("vol1 toplink -> %q, %v; want the topdir", target, err)
		}
		_, err := admin.Call(ctx, "addVolume", "vol1")
		fault(t, err, hub.CodeGeneric, "volume vol1 already exists")
		if got := callKw(t, admin, "addVolume", []any{"vol1"}, map[string]any{"strict": false}); !reflect.DeepEqual(got, vol(1, "vol1")) {
			t.Errorf("addVolume(vol1, strict=False) = %v", got)
		}

		// getVolume and listVolumes
		for _, tc := range []struct {
			info any
			want any
		}{
			{"vol1", vol(1, "vol1")},
			{int64(2), vol(2, "vol2")},
			{int64(0), vol(0, "DEFAULT")},
			{map[string]any{"name": "vol2"}, vol(2, "vol2")},
			{map[string]any{"id": int64(1)}, vol(1, "vol1")},
			{"nope", nil},
		} {
			if got := call(t, anon, "getVolume", tc.info); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("getVolume(%v) = %v, want %v", tc.info, got, tc.want)
			}
		}
		_, err = anon.CallKw(ctx, "getVolume", []any{"nope"}, map[string]any{"strict": true})
		fault(t, err, hub.CodeGeneric, "No such volume: nope")
		_, err = anon.Call(ctx, "getVolume", []any{"x"})
		fault(t, err, hub.CodeParameter, "Invalid name or id value")
		want := []any{vol(0, "DEFAULT"), vol(1, "vol1"), vol(2, "vol2")}
		if got := call(t, anon, "listVolumes"); !reflect.DeepEqual(got, want) {
			t.Errorf("listVolumes = %v", got)
		}

		// a build with files, in a tag; an empty build; a BUILDING one
		for i, n := range []string{"tiny-noarch-1.0-1.src.rpm", "tiny-noarch-1.0-1.noarch.rpm"} {
			importRPM(t, admin, "vol-import/"+string(rune('a'+i)), n, rpms[n])
		}
		const nvr = "tiny-noarch-1.0-1"
		const rpmRel = "packages/tiny-noarch/1.0/1/noarch/tiny-noarch-1.0-1.noarch.rpm"
		call(t, admin, "createTag", "vt")
		call(t, admin, "tagBuildBypass", "vt", nvr)
		call(t, admin, "createEmptyBuild", "empty", "1", "1", nil)
		building := call(t, admin, "createEmptyBuild", "building", "1", "1", nil).(int64)
		if err := db.InTx(ctx, true, func(tx *store.Tx) error {
			return store.SetBuildFields(ctx, tx, building, map[string]any{"state": hub.BuildBuilding})
		}); err != nil {
			t.Fatal(err)
		}

		// changeBuildVolume's refusals leave everything as it was
		mkdir("vol/vol2/packages/tiny-noarch/1.0/1")
		for _, tc := range []struct {
			client *xmlrpc.Client
			build  any
			volume any
			code   int
			msg    string
		}{
			{anon, nvr, "vol1", hub.CodeActionNotAllowed, "admin permission required"},
			{admin, nvr, "nope", hub.CodeGeneric, "No such entry in table volume: nope"},
			{admin, "nosuch-1-1", "vol1", hub.CodeGeneric, "No such build: 'nosuch-1-1'"},
			{admin, nvr, "DEFAULT", hub.CodeGeneric, "Build tiny-noarch-1.0-1 already on volume DEFAULT"},
			{admin, "building-1-1", "vol1", hub.CodeGeneric, "Build building-1-1 is BUILDING"},
			{admin, "empty-1-1", "vol1", hub.CodeGeneric, "Build directory missing: " + filepath.Join(h.TopDir, "packages/empty/1/1")},
			{admin, nvr, "vol1", hub.CodeGeneric, "Unexpected cross-volume content: " + filepath.Join(h.TopDir, "vol/vol2/packages/tiny-noarch/1.0/1")},
			{admin, nvr, "vol2", hub.CodeGeneric, "Destination directory exists: " + filepath.Join(h.TopDir, "vol/vol2/packages/tiny-noarch/1.0/1")},
		} {
			_, err := tc.client.Call(ctx, "changeBuildVolume", tc.build, tc.volume)
			fault(t, err, tc.code, tc.msg)
		}
		if err := os.RemoveAll(filepath.Join(h.TopDir, "vol/vol2/packages")); err != nil {
			t.Fatal(err)
		}
		if got := callKw(t, admin, "changeBuildVolume", []any{nvr, "DEFAULT"}, map[string]any{"strict": false}); got != nil {
			t.Errorf("changeBuildVolume to its own volume, strict=False = %v", got)
		}
		b := call(t, anon, "getBuild", nvr).(map[string]any)
		if b["volume_id"] != int64(0) || b["volume_name"] != "DEFAULT" {
			t.Fatalf("after refusals the build is on %v/%v", b["volume_id"], b["volume_name"])
		}

		// moves: DEFAULT → vol1 → vol2 → DEFAULT; the files follow, the usual
		// path keeps working through the symlink, the volume path is served
		for _, step := range []struct {
			volume string
			id     int64
			link   string // the symlink at packages/… ("" for a real directory)
		}{
			{"vol1", 1, "../../../vol/vol1/packages/tiny-noarch/1.0/1"},
			{"vol2", 2, "../../../vol/vol2/packages/tiny-noarch/1.0/1"},
			{"DEFAULT", 0, ""},
		} {
			if got := call(t, admin, "changeBuildVolume", nvr, step.volume); got != nil {
				t.Errorf("changeBuildVolume(%s) = %v", step.volume, got)
			}
			b := call(t, anon, "getBuild", nvr).(map[string]any)
			if b["volume_id"] != step.id || b["volume_name"] != step.volume {
				t.Errorf("moved to %s: build on %v/%v", step.volume, b["volume_id"], b["volume_name"])
			}
			var onVol []string
			for _, lb := range callKw(t, anon, "listBuilds", nil, map[string]any{"volumeID": step.id}).([]any) {
				onVol = append(onVol, lb.(map[string]any)["nvr"].(string))
			}
			wantOn := []string{nvr}
			if step.id == 0 {
				wantOn = []string{nvr, "empty-1-1", "building-1-1"}
			}
			if !reflect.DeepEqual(onVol, wantOn) {
				t.Errorf("listBuilds(volumeID=%d) = %v, want %v", step.id, onVol, wantOn)
			}
			volRel := rpmRel
			if step.id != 0 {
				volRel = "vol/" + step.volume + "/" + rpmRel
			}
			for _, rel := range []string{volRel, rpmRel} {
				if got := getURL(t, h.Base+"/kojifiles/"+rel); !reflect.DeepEqual(got, rpms["tiny-noarch-1.0-1.noarch.rpm"]) {
					t.Errorf("moved to %s: /kojifiles/%s serves %d bytes", step.volume, rel, len(got))
				}
			}
			target, err := os.Readlink(filepath.Join(h.TopDir, "packages/tiny-noarch/1.0/1"))
			if step.link == "" && err == nil || step.link != "" && target != step.link {
				t.Errorf("moved to %s: packages/ link %q (%v), want %q", step.volume, target, err, step.link)
			}
			for _, v := range []string{"vol1", "vol2"} {
				_, err := os.Lstat(filepath.Join(h.TopDir, "vol", v, "packages/tiny-noarch/1.0/1"))
				if has := err == nil; has != (v == step.volume) {
					t.Errorf("moved to %s: build dir on %s: %v", step.volume, v, has)
				}
			}
			// an rpm path the hub works out itself (getRPM's file, repos)
			// still reaches the file
			if _, err := os.Stat(filepath.Join(h.TopDir, rpmRel)); err != nil {
				t.Errorf("moved to %s: %v", step.volume, err)
			}
			if step.volume == "vol1" {
				_, err := admin.Call(ctx, "removeVolume", "vol1")
				fault(t, err, hub.CodeGeneric, "volume vol1 has build references")
			}
		}

		// each move marked the build's tag as changed (Koji's VOLUME_CHANGE)
		var n int
		if err := db.InTx(ctx, false, func(tx *store.Tx) error {
			return tx.Get(ctx, &n, "SELECT COUNT(*) FROM tag_updates u JOIN tag t ON t.id = u.tag_id WHERE t.name = 'vt' AND u.update_type = 0")
		}); err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("%d VOLUME_CHANGE tag updates, want 3", n)
		}

		// removeVolume
		for _, tc := range []struct {
			client *xmlrpc.Client
			volume any
			code   int
			msg    string
		}{
			{anon, "vol1", hub.CodeActionNotAllowed, "admin permission required"},
			{admin, "nope", hub.CodeGeneric, "No such entry in table volume: nope"},
			{admin, "DEFAULT", hub.CodeGeneric, "volume DEFAULT has build references"},
		} {
			_, err := tc.client.Call(ctx, "removeVolume", tc.volume)
			fault(t, err, tc.code, tc.msg)
		}
		if got := call(t, admin, "removeVolume", "vol1"); got != nil {
			t.Errorf("removeVolume = %v", got)
		}
		call(t, admin, "removeVolume", int64(2))
		if got := call(t, anon, "listVolumes"); !reflect.DeepEqual(got, []any{vol(0, "DEFAULT")}) {
			t.Errorf("listVolumes after removals = %v", got)
		}
	})
}

// A moved build deleted later loses its files on the volume and the
// symlink to them.
func TestDeleteBuildOnVolume(t *testing.T) {
	rpms := tinyRPMs(t)
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		if err := os.MkdirAll(filepath.Join(h.TopDir, "vol/far"), 0o755); err != nil {
			t.Fatal(err)
		}
		call(t, admin, "addVolume", "far")
		importRPM(t, admin, "del-vol", "tiny-noarch-1.0-1.src.rpm", rpms["tiny-noarch-1.0-1.src.rpm"])
		call(t, admin, "changeBuildVolume", "tiny-noarch-1.0-1", "far")
		call(t, admin, "deleteBuild", "tiny-noarch-1.0-1")
		for _, rel := range []string{"packages/tiny-noarch/1.0/1", "vol/far/packages/tiny-noarch/1.0/1"} {
			if _, err := os.Lstat(filepath.Join(h.TopDir, rel)); err == nil {
				t.Errorf("%s still there after deleteBuild", rel)
			}
		}
	})
}
