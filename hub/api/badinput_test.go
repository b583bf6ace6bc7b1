package api_test

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/adler32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// counts is what a failed import must leave unchanged.
func counts(t *testing.T, c *xmlrpc.Client, top string) []any {
	t.Helper()
	opts := map[string]any{"queryOpts": map[string]any{"countOnly": true}}
	return []any{callKw(t, c, "listBuilds", nil, opts), callKw(t, c, "listRPMs", nil, opts),
		call(t, c, "getPackageID", "tiny-noarch"), treeFiles(t, filepath.Join(top, "packages"))}
}

func TestImportBadInput(t *testing.T) {
	rpms := tinyRPMs(t)
	srcName := "tiny-noarch-1.0-1.src.rpm"
	binName := "tiny-noarch-1.0-1.noarch.rpm"
	src := rpms[srcName]
	truncated := src[:len(src)-200]
	corrupt := append([]byte(nil), src...)
	corrupt[len(corrupt)-100] ^= 0xff
	badHeader := append([]byte(nil), src...)
	copy(badHeader[96:99], "xyz")
	// The main header's first index entry made an int32 array of 2^32-1
	// values: the rpm library alone would ask for 32 GiB and kill the hub.
	hugeEntry := append([]byte(nil), src...)
	sigLen := 16 + 16*int(binary.BigEndian.Uint32(src[104:])) + int(binary.BigEndian.Uint32(src[108:]))
	entry := 96 + sigLen + (8-sigLen%8)%8 + 16
	binary.BigEndian.PutUint32(hugeEntry[entry+4:], 4)
	binary.BigEndian.PutUint32(hugeEntry[entry+12:], 0xFFFFFFFF)
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		cases := []struct {
			name   string
			file   string
			data   []byte
			setup  func()
			method string // importRPM unless set
			args   []any
			code   int
			msg    string
		}{
			{name: "truncated rpm", file: srcName, data: truncated, code: hub.CodeGeneric, msg: "truncated"},
			{name: "corrupt payload", file: srcName, data: corrupt, code: hub.CodeGeneric, msg: "corrupt"},
			{name: "bad header magic", file: srcName, data: badHeader, code: hub.CodeGeneric, msg: "bad signature header magic"},
			{name: "index entry past its data", file: srcName, data: hugeEntry, code: hub.CodeGeneric, msg: "header: entry overruns the data"},
			{name: "not an rpm", file: srcName, data: []byte("hello, I am a text file\n"), code: hub.CodeGeneric, msg: "not an rpm file"},
			{name: "empty file", file: srcName, data: []byte{}, code: hub.CodeGeneric, msg: "Invalid rpm"},
			{name: "name differs from header", file: "other-1.0-1.src.rpm", data: src, code: hub.CodeGeneric,
				msg: "bad filename: other-1.0-1.src.rpm (expected tiny-noarch-1.0-1.src.rpm)"},
			{name: "source build missing", file: binName, data: rpms[binName], code: hub.CodeGeneric,
				msg: "No such build: tiny-noarch-1.0-1 (import tiny-noarch-1.0-1.src.rpm"},
			{name: "no such upload", method: "importRPM", args: []any{"cli-import/none", srcName}, code: hub.CodeGeneric, msg: "No such file"},
			{name: "path escape", method: "importRPM", args: []any{"../..", "etc"}, code: hub.CodeGeneric, msg: "Invalid upload directory"},
			{name: "not admin", method: "importRPM", args: []any{"x", srcName}, code: hub.CodeActionNotAllowed, msg: "admin"},
		}
		before := counts(t, admin, h.TopDir)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := admin
				if tc.name == "not admin" {
					c = h.Client()
				}
				args := tc.args
				if tc.data != nil {
					dir := "cli-import/bad" + string(rune('a'+i))
					upload(t, admin, dir, tc.file, tc.data, 1<<20)
					args = []any{dir, tc.file}
				}
				_, err := c.Call(ctx, "importRPM", args...)
				fault(t, err, tc.code, tc.msg)
				if after := counts(t, admin, h.TopDir); !reflect.DeepEqual(after, before) {
					t.Errorf("a failed import changed things: %v, before %v", after, before)
				}
			})
		}

		// A duplicate: the second import of the same rpm fails and changes nothing.
		r := importRPM(t, admin, "cli-import/dup1", srcName, src)
		before = counts(t, admin, h.TopDir)
		upload(t, admin, "cli-import/dup2", srcName, src, 1<<20)
		_, err := admin.Call(ctx, "importRPM", "cli-import/dup2", srcName)
		fault(t, err, hub.CodeGeneric, "rpm already imported: tiny-noarch-1.0-1.src")
		if after := counts(t, admin, h.TopDir); !reflect.DeepEqual(after, before) {
			t.Errorf("a duplicate import changed things: %v, before %v", after, before)
		}
		// An NVR that exists already: Koji's message.
		_, err = admin.Call(ctx, "createEmptyBuild", "tiny-noarch", "1.0", "1", nil)
		fault(t, err, hub.CodeGeneric, fmt.Sprintf("Build already exists (id=%d, state=COMPLETE): {", r["build_id"]))
		// In a multiCall, a failing import undoes its own files only.
		upload(t, admin, "cli-import/mc", binName, rpms[binName], 1<<20)
		res := call(t, admin, "multiCall", []any{
			map[string]any{"methodName": "importRPM", "params": []any{"cli-import/mc", binName}},
			map[string]any{"methodName": "importRPM", "params": []any{"cli-import/dup2", srcName}},
		}).([]any)
		if _, ok := res[0].([]any); !ok {
			t.Errorf("multiCall[0] = %v", res[0])
		}
		if f, ok := res[1].(map[string]any); !ok || !strings.Contains(f["faultString"].(string), "already imported") {
			t.Errorf("multiCall[1] = %v", res[1])
		}
		got := treeFiles(t, filepath.Join(h.TopDir, "packages", "tiny-noarch"))
		if len(got) != 4 {
			t.Errorf("after the multiCall, packages/tiny-noarch holds %v", got)
		}
	})
}

func TestUploadSafety(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "createUser", "mallory")
		callKw(t, admin, "editUser", []any{"mallory"}, map[string]any{"password": "pw"})
		mallory := h.Login(t, "mallory", "pw")
		work := filepath.Join(h.TopDir, "work")
		outside := t.TempDir()
		upload(t, admin, "cli-import/mine", "a.rpm", []byte("admin's"), 100)
		if err := os.Symlink(outside, filepath.Join(work, "escape")); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			c     *xmlrpc.Client
			chunk xmlrpc.UploadChunk
			code  int
			msg   string
		}{
			{"dot-dot", admin, xmlrpc.UploadChunk{Dir: "../../tmp", Name: "x"}, hub.CodeGeneric, "Invalid upload directory"},
			{"dot-dot inside", admin, xmlrpc.UploadChunk{Dir: "a/../../x", Name: "x"}, hub.CodeGeneric, "Invalid upload directory"},
			{"absolute", admin, xmlrpc.UploadChunk{Dir: "/etc", Name: "passwd"}, hub.CodeGeneric, "Invalid upload directory"},
			{"empty dir", admin, xmlrpc.UploadChunk{Dir: "", Name: "x"}, hub.CodeGeneric, "Invalid upload directory"},
			{"NUL in dir", admin, xmlrpc.UploadChunk{Dir: "d\x00", Name: "x"}, hub.CodeGeneric, "Invalid upload directory"},
			{"slash in name", admin, xmlrpc.UploadChunk{Dir: "d", Name: "../x"}, hub.CodeGeneric, "Invalid upload filename"},
			{"hidden name", admin, xmlrpc.UploadChunk{Dir: "d", Name: ".user"}, hub.CodeGeneric, "Invalid upload filename"},
			{"symlink dir", admin, xmlrpc.UploadChunk{Dir: "escape", Name: "x"}, hub.CodeGeneric, "symlink"},
			{"below symlink", admin, xmlrpc.UploadChunk{Dir: "escape/sub", Name: "x"}, hub.CodeGeneric, "symlink"},
			{"other user's folder", mallory, xmlrpc.UploadChunk{Dir: "cli-import/mine", Name: "b.rpm"}, hub.CodeGeneric, "not owner"},
			{"below other user's folder", mallory, xmlrpc.UploadChunk{Dir: "cli-import/mine/sub", Name: "b"}, hub.CodeGeneric, "not owner"},
			{"overwrite other user's file", mallory, xmlrpc.UploadChunk{Dir: "cli-import/mine", Name: "a.rpm", Overwrite: true}, hub.CodeGeneric, "not owner"},
			{"task folder", admin, xmlrpc.UploadChunk{Dir: "tasks/1/1", Name: "x.log"}, hub.CodeActionNotAllowed, "task 1"},
			{"bad task folder", admin, xmlrpc.UploadChunk{Dir: "tasks/x", Name: "x.log"}, hub.CodeGeneric, "Invalid task upload directory"},
			{"offset gap", admin, xmlrpc.UploadChunk{Dir: "cli-import/mine", Name: "a.rpm", Offset: 100, Overwrite: true}, hub.CodeGeneric, "gap"},
			{"offset gap, new file", admin, xmlrpc.UploadChunk{Dir: "cli-import/mine", Name: "new.rpm", Offset: 5}, hub.CodeGeneric, "gap"},
			{"exists", admin, xmlrpc.UploadChunk{Dir: "cli-import/mine", Name: "a.rpm"}, hub.CodeGeneric, "upload path exists"},
			{"bad verify", admin, xmlrpc.UploadChunk{Dir: "d", Name: "x", Verify: "crc99"}, hub.CodeGeneric, "Unsupported verify type: crc99"},
			{"anonymous", h.Client(), xmlrpc.UploadChunk{Dir: "d", Name: "x"}, hub.CodeAuth, "session-id"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tc.chunk.Data = []byte("evil")
				_, err := tc.c.Upload(ctx, tc.chunk)
				fault(t, err, tc.code, tc.msg)
			})
		}
		if got := treeFiles(t, outside); len(got) != 0 {
			t.Errorf("files written outside the topdir: %v", got)
		}
		if b, _ := os.ReadFile(filepath.Join(work, "cli-import/mine/a.rpm")); string(b) != "admin's" {
			t.Errorf("admin's upload is now %q", b)
		}
		if _, err := os.Stat(filepath.Join(work, "cli-import/mine/new.rpm")); err == nil {
			t.Error("a refused upload left a file")
		}
		// checkUpload refuses the same tricks.
		_, err := admin.Call(ctx, "checkUpload", "escape", "x")
		fault(t, err, hub.CodeGeneric, "symlink")
		_, err = admin.Call(ctx, "checkUpload", "../x", "y")
		fault(t, err, hub.CodeGeneric, "Invalid upload directory")

		// Appending with offset -1, and a resumed upload at the current end.
		res, err := admin.Upload(ctx, xmlrpc.UploadChunk{Dir: "cli-import/mine", Name: "a.rpm", Offset: -1, Data: []byte(" more")})
		if err != nil || res["offset"] != int64(7) {
			t.Fatalf("append: %v %v", res, err)
		}
		if _, err := admin.Upload(ctx, xmlrpc.UploadChunk{Dir: "cli-import/mine", Name: "a.rpm", Offset: 12, Data: []byte("!")}); err != nil {
			t.Fatalf("resume: %v", err)
		}
		if b, _ := os.ReadFile(filepath.Join(work, "cli-import/mine/a.rpm")); string(b) != "admin's more!" {
			t.Errorf("after append and resume: %q", b)
		}

		// The legacy base64 upload: a chunk whose checksum mismatches is
		// refused (false) and writes nothing; a good upload finishes.
		b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
		legacy := []struct {
			offset   int64
			data     string
			size     int64
			checksum []any
			want     bool
		}{
			{0, "hello ", 6, []any{"md5", "00000000000000000000000000000000"}, false},
			{0, "hello ", 5, nil, false},
			{0, "hello ", 6, []any{"md5", md5hex("hello ")}, true},
			{6, "world", 5, []any{"adler32", fmt.Sprintf("%08x", adler32.Checksum([]byte("world")))}, true},
			{-1, "", 11, []any{"sha256", strings.Repeat("0", 64)}, false}, // whole file mismatches: removed
		}
		for i, l := range legacy {
			var cs any
			if l.checksum != nil {
				cs = l.checksum
			}
			got := callKw(t, admin, "uploadFile", []any{"legacy/up", "f.txt", l.size, nil, l.offset, b64(l.data)},
				map[string]any{"checksum": cs})
			if got != l.want {
				t.Errorf("uploadFile step %d = %v, want %v", i, got, l.want)
			}
			if i == 1 {
				if _, err := os.Stat(filepath.Join(work, "legacy/up/f.txt")); err == nil {
					t.Error("a refused legacy chunk left a file")
				}
			}
		}
		if _, err := os.Stat(filepath.Join(work, "legacy/up/f.txt")); err == nil {
			t.Error("a legacy upload whose whole-file digest mismatched was kept")
		}
		_, err = mallory.Call(ctx, "uploadFile", "legacy/up", "g.txt", int64(1), nil, int64(0), b64("x"))
		fault(t, err, hub.CodeGeneric, "not owner")
	})
}

func md5hex(s string) string {
	m := md5.Sum([]byte(s))
	return hex.EncodeToString(m[:])
}

func TestBuildLifecycle(t *testing.T) {
	rpms := tinyRPMs(t)
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "createUser", "bob")
		id := call(t, admin, "createEmptyBuild", "empty", "1.0", "1", int64(2)).(int64)
		b := call(t, admin, "getBuild", id).(map[string]any)
		if b["epoch"] != int64(2) || b["state"] != int64(hub.BuildComplete) || b["nvr"] != "empty-1.0-1" {
			t.Errorf("empty build = %v", b)
		}
		steps := []struct {
			method string
			args   []any
			want   any
		}{
			{"setBuildOwner", []any{"empty-1.0-1", "bob"}, nil},
			{"setBuildTimestamp", []any{id, float64(1700000000.5)}, nil},
			{"cancelBuild", []any{id}, false}, // only BUILDING builds cancel
			{"getNextRelease", []any{map[string]any{"name": "empty", "version": "1.0"}}, "2"},
			{"getNextRelease", []any{map[string]any{"name": "empty", "version": "9"}, int64(3)}, "3"},
			{"getAverageBuildDuration", []any{"empty"}, nil}, // imports have no task
			{"getPackageID", []any{"nosuch"}, nil},
			{"deleteBuild", []any{id}, true},
			{"deleteBuild", []any{id}, nil},
		}
		for _, s := range steps {
			if got := call(t, admin, s.method, s.args...); !reflect.DeepEqual(got, s.want) {
				t.Errorf("%s%v = %#v, want %#v", s.method, s.args, got, s.want)
			}
		}
		b = call(t, admin, "getBuild", id).(map[string]any)
		if b["owner_name"] != "bob" || b["completion_ts"] != 1700000000.5 || b["state"] != int64(hub.BuildDeleted) {
			t.Errorf("after the steps: %v", b)
		}
		_, err := admin.Call(ctx, "getPackageID", "nosuch", true)
		fault(t, err, hub.CodeGeneric, "No such package name: nosuch")
		_, err = admin.Call(ctx, "getNextRelease", map[string]any{"name": "empty", "version": "1.0"}, "x")
		fault(t, err, hub.CodeParameter, "incr parameter must be an integer")

		// resetBuild drops the rpms and files; the NVR can then be imported again.
		importRPM(t, admin, "r/1", "tiny-noarch-1.0-1.src.rpm", rpms["tiny-noarch-1.0-1.src.rpm"])
		call(t, admin, "resetBuild", "tiny-noarch-1.0-1")
		b = call(t, admin, "getBuild", "tiny-noarch-1.0-1").(map[string]any)
		if b["state"] != int64(hub.BuildCanceled) || len(call(t, admin, "listBuildRPMs", "tiny-noarch-1.0-1").([]any)) != 0 {
			t.Errorf("after resetBuild: %v", b)
		}
		if got := treeFiles(t, filepath.Join(h.TopDir, "packages")); len(got) != 0 {
			t.Errorf("after resetBuild packages/ holds %v", got)
		}
		// Importing into a CANCELED build fails as in Koji; createEmptyBuild
		// recycles it (it holds nothing now), and then the import works.
		upload(t, admin, "r/2", "tiny-noarch-1.0-1.src.rpm", rpms["tiny-noarch-1.0-1.src.rpm"], 1<<20)
		_, err = admin.Call(ctx, "importRPM", "r/2", "tiny-noarch-1.0-1.src.rpm")
		fault(t, err, hub.CodeGeneric, "Build is CANCELED: tiny-noarch-1.0-1")
		if got := call(t, admin, "createEmptyBuild", "tiny-noarch", "1.0", "1", nil); got != b["id"] {
			t.Errorf("recycled build id %v, want %v", got, b["id"])
		}
		call(t, admin, "importRPM", "r/2", "tiny-noarch-1.0-1.src.rpm")
	})
}
