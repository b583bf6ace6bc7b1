package api_test

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/adler32"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

var (
	specOnce sync.Once
	specRPMs map[string][]byte
)

// tinyRPMs builds testdata/specs' tiny packages once per test binary:
// tiny-noarch-1.0-1.{src,noarch}.rpm and tiny-arch-2.1-1.{src,x86_64}.rpm.
func tinyRPMs(t *testing.T) map[string][]byte {
	t.Helper()
	specOnce.Do(func() {
		specRPMs = map[string][]byte{}
		for _, s := range []string{"tiny-noarch.spec", "tiny-arch.spec"} {
			for k, v := range hubtest.BuildSpec(t, s, nil) {
				specRPMs[k] = v
			}
		}
	})
	if len(specRPMs) != 4 {
		t.Fatalf("built %d rpms, want 4", len(specRPMs))
	}
	return specRPMs
}

// archRPM is tiny-arch's binary rpm name on this machine.
func archRPM(rpms map[string][]byte) string {
	for n := range rpms {
		if strings.HasPrefix(n, "tiny-arch-") && !strings.HasSuffix(n, ".src.rpm") {
			return n
		}
	}
	return ""
}

// upload sends data as the CLI does: raw chunks of at most chunk bytes,
// then checkUpload. It returns the upload directory.
func upload(t *testing.T, c *xmlrpc.Client, dir, name string, data []byte, chunk int) {
	t.Helper()
	for off := 0; off == 0 || off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		res, err := c.Upload(ctx, xmlrpc.UploadChunk{Dir: dir, Name: name, Offset: int64(off), Overwrite: true,
			Verify: "adler32", Data: data[off:end]})
		if err != nil {
			t.Fatalf("upload %s at %d: %v", name, off, err)
		}
		want := fmt.Sprintf("%08x", adler32.Checksum(data[off:end]))
		if res["size"] != int64(end-off) || res["hexdigest"] != want || res["offset"] != int64(off) {
			t.Fatalf("upload %s at %d: %v, want size %d digest %s", name, off, res, end-off, want)
		}
		if end == len(data) {
			break
		}
	}
}

func importRPM(t *testing.T, c *xmlrpc.Client, dir, name string, data []byte) map[string]any {
	t.Helper()
	upload(t, c, dir, name, data, 4096)
	return call(t, c, "importRPM", dir, name).(map[string]any)
}

// rpmQuery asks the rpm tool (an oracle independent of our header reader).
func rpmQuery(t *testing.T, data []byte, format string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x.rpm")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("rpm", "-qp", "--nosignature", "--nodigest", "--qf", format, f).Output()
	if err != nil {
		t.Fatalf("rpm -qp %s: %v", format, err)
	}
	return string(out)
}

// treeFiles lists the regular files under dir, relative to it.
func treeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestImportAndQuery(t *testing.T) {
	rpms := tinyRPMs(t)
	arch := archRPM(rpms)
	archName := strings.TrimSuffix(strings.TrimPrefix(arch, "tiny-arch-2.1-1."), ".rpm")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		anon := h.Client()
		order := []string{"tiny-noarch-1.0-1.src.rpm", "tiny-noarch-1.0-1.noarch.rpm", "tiny-arch-2.1-1.src.rpm", arch}
		imported := map[string]map[string]any{}
		for i, name := range order {
			dir := fmt.Sprintf("cli-import/%d", i)
			data := rpms[name]
			// checkUpload's digests match ours for every algorithm
			upload(t, admin, dir, name, data, 3000)
			a := adler32.Checksum(data)
			m := md5.Sum(data)
			s := sha256.Sum256(data)
			for verify, want := range map[string]string{"adler32": fmt.Sprintf("%08x", a),
				"md5": hex.EncodeToString(m[:]), "sha256": hex.EncodeToString(s[:])} {
				got := call(t, anon, "checkUpload", dir, name, verify).(map[string]any)
				if got["hexdigest"] != want || got["size"] != int64(len(data)) || got["sumlength"] != int64(len(data)) {
					t.Errorf("checkUpload %s %s = %v, want %s", name, verify, got, want)
				}
			}
			r := call(t, admin, "importRPM", dir, name).(map[string]any)
			imported[name] = r
			if want := rpmQuery(t, data, "%{SIGMD5}"); r["payloadhash"] != want {
				t.Errorf("%s payloadhash %v, rpm says %s", name, r["payloadhash"], want)
			}
			if r["size"] != int64(len(data)) || r["buildtime"] != int64(1790000000) {
				t.Errorf("%s: size %v buildtime %v", name, r["size"], r["buildtime"])
			}
			if got := call(t, anon, "checkUpload", dir, name); got != nil {
				t.Errorf("upload of %s still there after import: %v", name, got)
			}
		}
		if e := imported[arch]["epoch"]; e != int64(3) {
			t.Errorf("tiny-arch epoch %v", e)
		}
		if imported["tiny-noarch-1.0-1.src.rpm"]["sourcepackage"] != int64(1) || imported[arch]["sourcerpm"] != "tiny-arch-2.1-1.src.rpm" {
			t.Errorf("sourcepackage/sourcerpm: %v / %v", imported["tiny-noarch-1.0-1.src.rpm"], imported[arch])
		}

		// files are where Koji keeps them, and served under /kojifiles/
		wantFiles := []string{
			"packages/tiny-arch/2.1/1/data/sigcache/src/tiny-arch-2.1-1.src.rpm.sig",
			"packages/tiny-arch/2.1/1/data/sigcache/" + archName + "/" + arch + ".sig",
			"packages/tiny-arch/2.1/1/" + archName + "/" + arch,
			"packages/tiny-arch/2.1/1/src/tiny-arch-2.1-1.src.rpm",
			"packages/tiny-noarch/1.0/1/data/sigcache/noarch/tiny-noarch-1.0-1.noarch.rpm.sig",
			"packages/tiny-noarch/1.0/1/data/sigcache/src/tiny-noarch-1.0-1.src.rpm.sig",
			"packages/tiny-noarch/1.0/1/noarch/tiny-noarch-1.0-1.noarch.rpm",
			"packages/tiny-noarch/1.0/1/src/tiny-noarch-1.0-1.src.rpm",
		}
		sort.Strings(wantFiles)
		if got := treeFiles(t, filepath.Join(h.TopDir, "packages")); !reflect.DeepEqual(prefix("packages/", got), wantFiles) {
			t.Errorf("packages/ holds %v\nwant %v", got, wantFiles)
		}
		resp, err := http.Get(h.Base + "/kojifiles/packages/tiny-noarch/1.0/1/noarch/tiny-noarch-1.0-1.noarch.rpm")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !reflect.DeepEqual(body, rpms["tiny-noarch-1.0-1.noarch.rpm"]) {
			t.Errorf("download: %d bytes, status %d", len(body), resp.StatusCode)
		}

		// builds by every kind of buildInfo
		noarchBuild := imported["tiny-noarch-1.0-1.noarch.rpm"]["build_id"]
		for _, info := range []any{noarchBuild, "tiny-noarch-1.0-1",
			map[string]any{"name": "tiny-noarch", "version": "1.0", "release": "1"}} {
			b := call(t, anon, "getBuild", info).(map[string]any)
			if b["nvr"] != "tiny-noarch-1.0-1" || b["state"] != int64(hub.BuildComplete) || b["owner_name"] != "kojiadmin" ||
				b["volume_name"] != "DEFAULT" || b["epoch"] != nil || b["id"] != noarchBuild || b["completion_ts"] == nil {
				t.Errorf("getBuild(%v) = %v", info, b)
			}
		}
		if got := call(t, anon, "getBuild", "nosuch-1.0-1"); got != nil {
			t.Errorf("getBuild(missing) = %v", got)
		}
		_, err = anon.CallKw(ctx, "getBuild", []any{"nosuch-1.0-1"}, map[string]any{"strict": true})
		fault(t, err, hub.CodeGeneric, "No such build: 'nosuch-1.0-1'")
		_, err = anon.Call(ctx, "getBuild", "nodashes")
		fault(t, err, hub.CodeGeneric, "invalid format: nodashes")

		// rpms by every kind of rpminfo
		noarchRPM := imported["tiny-noarch-1.0-1.noarch.rpm"]["id"]
		for _, info := range []any{noarchRPM, fmt.Sprint(noarchRPM), "tiny-noarch-1.0-1.noarch",
			map[string]any{"name": "tiny-noarch", "version": "1.0", "release": "1", "arch": "noarch"}} {
			r := call(t, anon, "getRPM", info).(map[string]any)
			if r["id"] != noarchRPM || r["external_repo_name"] != "INTERNAL" || r["build_id"] != noarchBuild {
				t.Errorf("getRPM(%v) = %v", info, r)
			}
		}
		multi := callKw(t, anon, "getRPM", []any{"tiny-noarch-1.0-1.noarch"}, map[string]any{"multi": true}).([]any)
		if len(multi) != 1 {
			t.Errorf("getRPM multi = %v", multi)
		}

		lists := []struct {
			method string
			args   []any
			kw     map[string]any
			want   any // ids, nvrs, or a count
		}{
			{"listRPMs", []any{noarchBuild}, nil, []string{"tiny-noarch-1.0-1.src", "tiny-noarch-1.0-1.noarch"}},
			{"listRPMs", nil, map[string]any{"buildID": noarchBuild, "arches": "src"}, []string{"tiny-noarch-1.0-1.src"}},
			{"listRPMs", nil, map[string]any{"arches": []any{"noarch", archName}, "queryOpts": map[string]any{"order": "-id"}},
				[]string{"tiny-arch-2.1-1." + archName, "tiny-noarch-1.0-1.noarch"}},
			{"listRPMs", nil, map[string]any{"queryOpts": map[string]any{"countOnly": true}}, int64(4)},
			{"listRPMs", nil, map[string]any{"queryOpts": map[string]any{"order": "id", "offset": int64(1), "limit": int64(2)}},
				[]string{"tiny-noarch-1.0-1.noarch", "tiny-arch-2.1-1.src"}},
			{"listBuildRPMs", []any{"tiny-arch-2.1-1"}, nil, []string{"tiny-arch-2.1-1.src", "tiny-arch-2.1-1." + archName}},
			{"listBuilds", nil, nil, []string{"tiny-noarch-1.0-1", "tiny-arch-2.1-1"}},
			{"listBuilds", nil, map[string]any{"packageID": "tiny-arch"}, []string{"tiny-arch-2.1-1"}},
			{"listBuilds", nil, map[string]any{"packageID": "nosuch"}, []string{}},
			{"listBuilds", nil, map[string]any{"prefix": "TINY-N"}, []string{"tiny-noarch-1.0-1"}},
			{"listBuilds", nil, map[string]any{"pattern": "*-2.?-1"}, []string{"tiny-arch-2.1-1"}},
			{"listBuilds", nil, map[string]any{"state": int64(hub.BuildDeleted)}, []string{}},
			{"listBuilds", nil, map[string]any{"userID": "kojiadmin", "queryOpts": map[string]any{"order": "-nvr"}},
				[]string{"tiny-noarch-1.0-1", "tiny-arch-2.1-1"}},
			{"listBuilds", nil, map[string]any{"createdAfter": float64(1e9), "completeBefore": "2999-01-01 00:00:00"},
				[]string{"tiny-noarch-1.0-1", "tiny-arch-2.1-1"}},
			{"listBuilds", nil, map[string]any{"createdBefore": int64(1e9)}, []string{}},
			{"listBuilds", nil, map[string]any{"taskID": int64(-1)}, []string{}},
			{"listBuilds", nil, map[string]any{"queryOpts": map[string]any{"countOnly": true}}, int64(2)},
		}
		for _, l := range lists {
			got := callKw(t, anon, l.method, l.args, l.kw)
			if n, ok := l.want.(int64); ok {
				if got != n {
					t.Errorf("%s(%v, %v) = %v, want %d", l.method, l.args, l.kw, got, n)
				}
				continue
			}
			var nvrs []string
			for _, r := range got.([]any) {
				m := r.(map[string]any)
				if a, ok := m["arch"]; ok {
					nvrs = append(nvrs, m["nvr"].(string)+"."+a.(string))
				} else {
					nvrs = append(nvrs, m["nvr"].(string))
				}
			}
			if nvrs == nil {
				nvrs = []string{}
			}
			if !reflect.DeepEqual(nvrs, l.want) {
				t.Errorf("%s(%v, %v) = %v, want %v", l.method, l.args, l.kw, nvrs, l.want)
			}
		}
		_, err = anon.CallKw(ctx, "listBuilds", nil, map[string]any{"queryOpts": map[string]any{"order": "id; DROP TABLE build"}})
		fault(t, err, hub.CodeGeneric, "Invalid order field")

		// what the header says, checked against rpm -qp
		archID := imported[arch]["id"]
		archData := rpms[arch]
		hdrs := callKw(t, anon, "getRPMHeaders", nil, map[string]any{"rpmID": archID,
			"headers": []any{"license", "epoch", "requirename", "summary", "FILENAMES", "url"}}).(map[string]any)
		wantHdrs := map[string]any{
			"license": rpmQuery(t, archData, "%{LICENSE}"), "epoch": int64(3), "summary": rpmQuery(t, archData, "%{SUMMARY}"),
			"requirename": strsOf(rpmQuery(t, archData, "[%{REQUIRENAME}\n]")),
			"FILENAMES":   strsOf(rpmQuery(t, archData, "[%{FILENAMES}\n]")), "url": nil,
		}
		if !reflect.DeepEqual(hdrs, wantHdrs) {
			t.Errorf("getRPMHeaders = %v\nwant %v", hdrs, wantHdrs)
		}
		_, err = anon.CallKw(ctx, "getRPMHeaders", nil, map[string]any{"rpmID": archID, "headers": []any{"nosuchfield"}})
		fault(t, err, hub.CodeGeneric, "No such rpm header field: NOSUCHFIELD")

		deps := call(t, anon, "getRPMDeps", archID).([]any)
		found := map[string]bool{}
		for _, d := range deps {
			m := d.(map[string]any)
			found[fmt.Sprintf("%v:%v:%v", m["type"], m["name"], m["version"])] = true
		}
		for _, want := range []string{"0:tiny-noarch:1.0", "1:tiny-arch:3:2.1-1", "3:tiny-old:", "2:tiny-legacy:2"} {
			if !found[want] {
				t.Errorf("getRPMDeps lacks %s: %v", want, found)
			}
		}
		if got := callKw(t, anon, "getRPMDeps", []any{archID}, map[string]any{"depType": int64(3)}).([]any); len(got) != 1 {
			t.Errorf("getRPMDeps(CONFLICT) = %v", got)
		}

		filesList := call(t, anon, "listRPMFiles", archID).([]any)
		if len(filesList) != 2 {
			t.Fatalf("listRPMFiles = %v", filesList)
		}
		f := call(t, anon, "getRPMFile", archID, "/usr/bin/tiny").(map[string]any)
		if f["size"] != int64(20) || f["mode"] != int64(0o100755) || f["user"] != "root" || f["rpm_id"] != archID ||
			f["digest_algo"] != "sha256" || !strings.Contains(rpmQuery(t, archData, "[%{FILENAMES} %{FILEDIGESTS}\n]"), "/usr/bin/tiny "+f["digest"].(string)+"\n") {
			t.Errorf("getRPMFile = %v", f)
		}
		if got := call(t, anon, "getRPMFile", archID, "/nosuch"); !reflect.DeepEqual(got, map[string]any{}) {
			t.Errorf("getRPMFile(missing) = %v", got)
		}
		_, err = anon.CallKw(ctx, "getRPMFile", []any{archID, "/nosuch"}, map[string]any{"strict": true})
		fault(t, err, hub.CodeGeneric, "No file: /nosuch found in RPM")

		cl := call(t, anon, "getChangelogEntries", imported[arch]["build_id"]).([]any)
		if len(cl) != 2 || cl[0].(map[string]any)["text"] != "- second entry" ||
			cl[0].(map[string]any)["date"] != "2026-11-22 12:00:00" || cl[1].(map[string]any)["date_ts"] != int64(1795262400) {
			t.Errorf("getChangelogEntries = %v", cl)
		}
		cl = callKw(t, anon, "getChangelogEntries", nil, map[string]any{"buildID": "tiny-arch-2.1-1",
			"after": "2026-11-21 13:00:00"}).([]any)
		if len(cl) != 1 {
			t.Errorf("getChangelogEntries(after) = %v", cl)
		}

		sigs := call(t, anon, "queryRPMSigs", archID).([]any)
		sh := sigs[0].(map[string]any)
		if len(sigs) != 1 || sh["sigkey"] != "" || len(sh["sighash"].(string)) != 32 {
			t.Errorf("queryRPMSigs = %v", sigs)
		}
		if n := callKw(t, anon, "queryRPMSigs", nil, map[string]any{"sigkey": ""}).([]any); len(n) != 4 {
			t.Errorf("queryRPMSigs(sigkey='') = %v", n)
		}

		if got := call(t, anon, "getPackageID", "tiny-arch"); got != imported[arch]["build"].(map[string]any)["package_id"] {
			t.Errorf("getPackageID = %v", got)
		}
		if got := call(t, anon, "getNextRelease", map[string]any{"name": "tiny-arch", "version": "2.1"}); got != "2" {
			t.Errorf("getNextRelease = %v", got)
		}
	})
}

// strsOf splits rpm -qp's one-per-line output into a list.
func strsOf(s string) []any {
	out := []any{}
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		out = append(out, l)
	}
	return out
}

func prefix(p string, s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = p + v
	}
	return out
}

func uploadChunk(dir, name string, data []byte) xmlrpc.UploadChunk {
	return xmlrpc.UploadChunk{Dir: dir, Name: name, Overwrite: true, Verify: "adler32", Data: data}
}

// TestFindBuildID: an id as given, a build by N-V-R or struct, Koji's faults.
func TestFindBuildID(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		id := call(t, admin, "createEmptyBuild", "hello", "1.0", "1", nil).(int64)
		anon := h.Client()
		for _, tc := range []struct {
			name   string
			args   []any
			want   any
			code   int
			errMsg string
		}{
			{"nvr", []any{"hello-1.0-1"}, id, 0, ""},
			{"struct", []any{map[string]any{"name": "hello", "version": "1.0", "release": "1"}}, id, 0, ""},
			{"id, not looked up", []any{int64(424242)}, int64(424242), 0, ""},
			{"missing", []any{"hello-9-9"}, nil, 0, ""},
			{"missing, strict", []any{"hello-9-9", true}, nil, hub.CodeGeneric, "No such build: 'hello-9-9'"},
			{"not an nvr", []any{"hello"}, nil, hub.CodeGeneric, "invalid format"},
			{"struct without release", []any{map[string]any{"name": "hello", "version": "1.0"}}, nil, hub.CodeGeneric, "did not provide name, version, and release"},
			{"list", []any{[]any{}}, nil, hub.CodeGeneric, "Invalid type for argument"},
		} {
			got, err := anon.Call(ctx, "findBuildID", tc.args...)
			if tc.code != 0 {
				fault(t, err, tc.code, tc.errMsg)
				continue
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: findBuildID%v = %v, %v; want %v", tc.name, tc.args, got, err, tc.want)
			}
		}
	})
}

// TestBuildTypes: a build is of type rpm once a build task made it or an
// rpm was imported into it; an empty build has no type. getBuildType,
// listBuilds(type) and listBTypes agree.
func TestBuildTypes(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newBuildWorld(t, db)
		admin := w.admin
		empty := call(t, admin, "createEmptyBuild", "empty", "1", "1", nil).(int64)
		imported := importRPM(t, admin, "cli-import/t", "gk-noarch-1.0-1.src.rpm", w.rpms["gk-noarch-1.0-1.src.rpm"])["build_id"].(int64)
		stub := w.start(t).build // host.initBuild's, no rpms yet
		// Koji's CG imports set typeinfo; there is no call for it here.
		if err := db.InTx(ctx, true, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE build SET extra = '{"typeinfo": {"rpm": {"k": "v"}}}' WHERE id = ?`, imported)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		anon := w.h.Client()
		for _, tc := range []struct {
			build any
			want  any
		}{
			{empty, map[string]any{}},
			{imported, map[string]any{"rpm": map[string]any{"k": "v"}}},
			{stub, map[string]any{"rpm": nil}},
			{"nosuch-1-1", nil},
		} {
			if got := call(t, anon, "getBuildType", tc.build); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("getBuildType(%v) = %#v, want %#v", tc.build, got, tc.want)
			}
		}
		_, err := anon.Call(ctx, "getBuildType", "nosuch-1-1", true)
		fault(t, err, hub.CodeGeneric, "No such build")

		var ids []int64
		for _, b := range callKw(t, anon, "listBuilds", nil, map[string]any{"type": "rpm"}).([]any) {
			ids = append(ids, b.(map[string]any)["build_id"].(int64))
		}
		if want := []int64{imported, stub}; !reflect.DeepEqual(ids, want) {
			t.Errorf("listBuilds(type=rpm) = %v, want %v", ids, want)
		}
		if n := callKw(t, anon, "listBuilds", nil, map[string]any{"type": "rpm", "queryOpts": map[string]any{"countOnly": true}}); n != int64(2) {
			t.Errorf("listBuilds(type=rpm, countOnly) = %v", n)
		}

		rpmType := []any{map[string]any{"id": int64(1), "name": "rpm"}}
		for _, tc := range []struct {
			query any
			want  any
		}{
			{nil, rpmType},
			{map[string]any{"name": "rpm"}, rpmType},
			{map[string]any{"id": int64(1)}, rpmType},
			{map[string]any{"name": "maven"}, []any{}},
			{map[string]any{"id": int64(2)}, []any{}},
		} {
			if got := call(t, anon, "listBTypes", tc.query); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("listBTypes(%v) = %#v, want %#v", tc.query, got, tc.want)
			}
		}
	})
}
