package api_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// TestHostRepoInitDone: a builder that makes the repo itself, as Koji's
// newRepo/createrepo tasks do: host.repoInit writes the skeleton, the
// builder runs createrepo_c over its pkglist and uploads the repodata into
// its task folder, host.repoDone moves it into place and the repo is READY
// and readable by dnf. Bad calls fault and change nothing.
func TestHostRepoInitDone(t *testing.T) {
	hubtest.RequireCommand(t, "createrepo_c", "createrepo-c")
	rpms := hubtest.BuildRPMs(t, [][3]string{{"hello", "1.0", "1"}})
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"arches": "x86_64"})
		call(t, admin, "packageListAdd", "f40-build", "hello", "kojiadmin")
		for i, f := range []string{"hello-1.0-1.src.rpm", "hello-1.0-1.noarch.rpm"} {
			importRPM(t, admin, fmt.Sprintf("hostrepo/%d", i), f, rpms[f])
		}
		call(t, admin, "tagBuildBypass", "f40-build", "hello-1.0-1")
		b1, _ := startHost(t, h, admin, "b1.example.com", []any{"x86_64"})
		b2, _ := startHost(t, h, admin, "b2.example.com", []any{"x86_64"})
		taskID := call(t, admin, "makeTask", "repoJob", []any{}).(int64)
		other := call(t, admin, "makeTask", "otherJob", []any{}).(int64)
		if task := call(t, b1, "host.getTask").(map[string]any); task["id"] != taskID {
			t.Fatalf("host.getTask = %v", task)
		}
		call(t, b1, "host.openTask", taskID)

		_, err := admin.Call(ctx, "host.repoInit", "f40-build")
		fault(t, err, hub.CodeAuth, "is not a host")
		res := callKw(t, b1, "host.repoInit", []any{"f40-build"}, map[string]any{"task_id": taskID}).([]any)
		repoID, event := res[0].(int64), res[1].(int64)
		// The same task asking again (its builder restarted) gets the same
		// INIT repo, not a second one.
		again := callKw(t, b1, "host.repoInit", []any{"f40-build"}, map[string]any{"task_id": taskID}).([]any)
		if !reflect.DeepEqual(again, res) {
			t.Errorf("host.repoInit again = %v, want %v", again, res)
		}
		repoDir := filepath.Join(h.TopDir, "repos", "f40-build", fmt.Sprint(repoID))
		var info map[string]any
		if b, err := os.ReadFile(filepath.Join(repoDir, "repo.json")); err != nil || json.Unmarshal(b, &info) != nil {
			t.Fatalf("repo.json: %v", err)
		}
		if info["task_id"] != float64(taskID) || info["event_id"] != float64(event) || info["tag"] != "f40-build" {
			t.Errorf("repo.json = %v", info)
		}
		archDir := filepath.Join(repoDir, "x86_64")
		pkglist, _ := os.ReadFile(filepath.Join(archDir, "pkglist"))
		if string(pkglist) != "toplink/packages/hello/1.0/1/noarch/hello-1.0-1.noarch.rpm\n" {
			t.Errorf("pkglist = %q", pkglist)
		}
		for _, f := range []string{"rpmlist.jsonl", "blocklist", "toplink"} {
			if _, err := os.Lstat(filepath.Join(archDir, f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
		if _, err := os.Stat(filepath.Join(archDir, "repodata")); err == nil {
			t.Errorf("repoInit wrote repodata")
		}
		repo := call(t, admin, "repoInfo", repoID).(map[string]any)
		if repo["state"] != int64(store.RepoInit) || repo["task_id"] != taskID {
			t.Fatalf("repoInfo = %v", repo)
		}

		// The builder's createrepo, uploaded into its task folder.
		out := t.TempDir()
		if b, err := exec.Command("createrepo_c", "--quiet", "--pkglist", filepath.Join(archDir, "pkglist"), "--outputdir", out, archDir).CombinedOutput(); err != nil {
			t.Fatalf("createrepo_c: %v\n%s", err, b)
		}
		ents, _ := os.ReadDir(filepath.Join(out, "repodata"))
		dir := fmt.Sprintf("tasks/%d/%d", taskID%10000, taskID)
		var names []any
		for _, e := range ents {
			data, _ := os.ReadFile(filepath.Join(out, "repodata", e.Name()))
			if _, err := b1.Upload(ctx, xmlrpc.UploadChunk{Dir: dir, Name: e.Name(), Data: data, Verify: "adler32"}); err != nil {
				t.Fatal(err)
			}
			names = append(names, e.Name())
		}
		otherDir := fmt.Sprintf("tasks/%d/%d", other%10000, other)

		bad := []struct {
			c    *xmlrpc.Client
			args []any
			code int
			msg  string
		}{
			{b1, []any{int64(999999), map[string]any{}}, hub.CodeGeneric, "No such repo"},
			{b2, []any{repoID, map[string]any{"x86_64": []any{dir, names}}}, hub.CodeActionNotAllowed, "does not own task"},
			{b1, []any{repoID, map[string]any{"x86_64": []any{otherDir, names}}}, hub.CodeActionNotAllowed, "not in the work folder"},
			{b1, []any{repoID, map[string]any{"x86_64": []any{dir + "/../../../repos", names}}}, hub.CodeGeneric, "Invalid file path"},
			{b1, []any{repoID, map[string]any{"x86_64": []any{dir, []any{"../../evil"}}}}, hub.CodeGeneric, "Invalid file name"},
			{b1, []any{repoID, map[string]any{"x86_64": []any{dir, append(append([]any{}, names...), "missing.xml")}}}, hub.CodeGeneric, "No such file"},
			{b1, []any{repoID, map[string]any{"ppc64le": []any{dir, names}}}, hub.CodeGeneric, "arch directory missing"},
			{b1, []any{repoID, map[string]any{"x86_64": dir}}, hub.CodeParameter, "uploadpath"},
		}
		for _, tc := range bad {
			_, err := tc.c.Call(ctx, "host.repoDone", tc.args...)
			fault(t, err, tc.code, tc.msg)
			if _, err := os.Stat(filepath.Join(archDir, "repodata")); err == nil {
				t.Fatalf("%v left repodata", tc.args)
			}
			if got := call(t, admin, "repoInfo", repoID).(map[string]any)["state"]; got != int64(store.RepoInit) {
				t.Fatalf("%v changed the state to %v", tc.args, got)
			}
		}

		if got := callKw(t, b1, "host.repoDone", []any{repoID, map[string]any{"x86_64": []any{dir, names}}},
			map[string]any{"repo_json_updates": map[string]any{"note": "done by b1"}}); got != nil {
			t.Errorf("host.repoDone = %v", got)
		}
		if got := call(t, admin, "repoInfo", repoID).(map[string]any)["state"]; got != int64(store.RepoReady) {
			t.Errorf("state = %v", got)
		}
		if b, _ := os.ReadFile(filepath.Join(repoDir, "repo.json")); json.Unmarshal(b, &info) != nil || info["note"] != "done by b1" || info["id"] != float64(repoID) {
			t.Errorf("repo.json after updates = %v", info)
		}
		latest := filepath.Join(h.TopDir, "repos", "f40-build", "latest", "x86_64")
		if got := hubtest.DNFList(t, "--repofrompath=r,file://"+latest, "--repo=r"); !reflect.DeepEqual(got, []string{"hello-1.0-1.noarch"}) {
			t.Errorf("dnf lists %v", got)
		}
		_, err = b1.Call(ctx, "host.repoDone", repoID, map[string]any{})
		fault(t, err, hub.CodeGeneric, "not in INIT state")
	})
}
