package api_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/rpmhdr"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// sigFixture is a hub with one imported build (sig-1.0-1: a noarch and a
// source rpm), a user who may sign, and a user who may not.
type sigFixture struct {
	h                  *hubtest.Hub
	admin, sally, anon *xmlrpc.Client
	nobody             *xmlrpc.Client
	ids                map[string]int64 // rpm id by arch
	buildDir           string           // absolute packages/sig/1.0/1
}

func newSigFixture(t *testing.T, db *store.DB, rpms map[string][]byte) *sigFixture {
	h := hubtest.Start(t, db)
	f := &sigFixture{h: h, admin: h.Admin(t), anon: h.Client(), ids: map[string]int64{},
		buildDir: filepath.Join(h.TopDir, "packages", "sig", "1.0", "1")}
	for _, arch := range []string{"src", "noarch"} {
		r := importRPM(t, f.admin, "cli-import/sig", "sig-1.0-1."+arch+".rpm", rpms["sig-1.0-1."+arch+".rpm"])
		f.ids[arch] = r["id"].(int64)
	}
	for _, u := range []string{"sally", "nobody"} {
		call(t, f.admin, "createUser", u)
		callKw(t, f.admin, "editUser", []any{u}, map[string]any{"password": "pw-" + u})
	}
	call(t, f.admin, "grantPermission", "sally", "sign")
	f.sally = h.Login(t, "sally", "pw-sally")
	f.nobody = h.Login(t, "nobody", "pw-nobody")
	return f
}

// sigcache and signed are paths of an rpm's files in the build directory.
func (f *sigFixture) sigcache(key, arch string) string {
	return filepath.Join(f.buildDir, "data", "sigcache", key, arch, "sig-1.0-1."+arch+".rpm.sig")
}

func (f *sigFixture) signed(key, arch string) string {
	return filepath.Join(f.buildDir, "data", "signed", key, arch, "sig-1.0-1."+arch+".rpm")
}

func (f *sigFixture) sigKeys(t *testing.T, arch string) []string {
	t.Helper()
	var keys []string
	for _, s := range call(t, f.anon, "queryRPMSigs", f.ids[arch]).([]any) {
		keys = append(keys, s.(map[string]any)["sigkey"].(string))
	}
	return keys
}

func readFile(t *testing.T, fn string) []byte {
	t.Helper()
	b, err := os.ReadFile(fn)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(fn string) bool {
	_, err := os.Lstat(fn)
	return err == nil
}

func sigHeaderOf(t *testing.T, rpm []byte) []byte {
	t.Helper()
	h, err := rpmhdr.Read(bytes.NewReader(rpm))
	if err != nil {
		t.Fatal(err)
	}
	return h.SigHeader()
}

func TestSignatureFaults(t *testing.T) {
	rpms := hubtest.BuildRPMs(t, [][3]string{{"sig", "1.0", "1"}})
	signer := hubtest.NewSigner(t)
	key := signer.KeyID
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		f := newSigFixture(t, db, rpms)
		id := f.ids["noarch"]
		before := treeFiles(t, f.h.TopDir)
		for _, tc := range []struct {
			name   string
			c      *xmlrpc.Client
			method string
			args   []any
			kw     map[string]any
			code   int
			msg    string
		}{
			{"write anonymous", f.anon, "writeSignedRPM", []any{id, key}, nil,
				hub.CodeActionNotAllowed, "sign permission required (user not logged in)"},
			{"write without sign", f.nobody, "writeSignedRPM", []any{id, key}, nil,
				hub.CodeActionNotAllowed, "sign permission required (logged in as nobody)"},
			{"write unknown rpm", f.sally, "writeSignedRPM", []any{"nosuch-1-1.noarch", key}, nil,
				hub.CodeGeneric, "No such rpm: 'nosuch-1-1.noarch'"},
			{"write unknown id", f.sally, "writeSignedRPM", []any{int64(999999), key}, nil,
				hub.CodeGeneric, "No such rpm: 999999"},
			{"write no cached signature", f.sally, "writeSignedRPM", []any{id, strings.ToUpper(key)}, nil,
				hub.CodeGeneric, "No cached signature for package sig-1.0-1.noarch, key " + key},
			{"write bad sigkey type", f.sally, "writeSignedRPM", []any{id, int64(42)}, nil,
				hub.CodeParameter, "sigkey"},
			{"write missing sigkey", f.sally, "writeSignedRPM", []any{id}, nil,
				hub.CodeParameter, "sigkey"},
			{"delete as signer", f.sally, "deleteRPMSig", []any{id}, map[string]any{"sigkey": key},
				hub.CodeActionNotAllowed, "admin permission required (logged in as sally)"},
			{"delete without sigkey or all", f.admin, "deleteRPMSig", []any{id}, nil,
				hub.CodeGeneric, "No signature specified"},
			{"delete empty sigkey", f.admin, "deleteRPMSig", []any{id}, map[string]any{"sigkey": ""},
				hub.CodeGeneric, "No signature specified"},
			{"delete bad sigkey type", f.admin, "deleteRPMSig", []any{id}, map[string]any{"sigkey": int64(1)},
				hub.CodeParameter, "sigkey"},
			{"delete unknown rpm", f.admin, "deleteRPMSig", []any{"nosuch-1-1.noarch"}, map[string]any{"all_sigs": true},
				hub.CodeGeneric, "No such rpm"},
			{"delete no match", f.admin, "deleteRPMSig", []any{id}, map[string]any{"sigkey": key},
				hub.CodeGeneric, "sig-1.0-1.noarch has no matching signatures to delete"},
			{"logs unknown build", f.anon, "getBuildLogs", []any{"nosuch-1-1"}, nil,
				hub.CodeGeneric, "No such build"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.c.CallKw(ctx, tc.method, tc.args, tc.kw)
				fault(t, err, tc.code, tc.msg)
			})
		}
		if after := treeFiles(t, f.h.TopDir); !reflect.DeepEqual(after, before) {
			t.Errorf("failed calls changed the topdir:\nbefore %v\nafter  %v", before, after)
		}
		if keys := f.sigKeys(t, "noarch"); !reflect.DeepEqual(keys, []string{""}) {
			t.Errorf("signatures after failed calls: %v", keys)
		}
	})
}

func TestWriteSignedRPM(t *testing.T) {
	rpms := hubtest.BuildRPMs(t, [][3]string{{"sig", "1.0", "1"}})
	signer := hubtest.NewSigner(t)
	key := signer.KeyID
	unsigned := rpms["sig-1.0-1.noarch.rpm"]
	signedByRPM := signer.Sign(t, unsigned)
	sighdr := sigHeaderOf(t, signedByRPM)
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		f := newSigFixture(t, db, rpms)
		id := f.ids["noarch"]
		call(t, f.sally, "addRPMSig", id, base64.StdEncoding.EncodeToString(sighdr))
		if keys := f.sigKeys(t, "noarch"); !reflect.DeepEqual(keys, []string{"", key}) {
			t.Fatalf("signatures = %v", keys)
		}
		// The same key again is refused, and the transaction goes on.
		_, err := f.sally.Call(ctx, "addRPMSig", id, base64.StdEncoding.EncodeToString(sighdr))
		fault(t, err, hub.CodeGeneric, "Signature already exists for package sig-1.0-1.noarch, key "+key)

		// Koji lower-cases the key; the copy lands at its signed path.
		if got := call(t, f.sally, "writeSignedRPM", "sig-1.0-1.noarch", strings.ToUpper(key)); got != nil {
			t.Errorf("writeSignedRPM = %v", got)
		}
		out := f.signed(key, "noarch")
		got := readFile(t, out)
		if !bytes.Equal(got, signedByRPM) {
			t.Errorf("signed copy differs from rpmsign's output")
		}
		oldSig := sigHeaderOf(t, unsigned)
		if !bytes.Equal(got[:96], unsigned[:96]) || !bytes.Equal(got[96+len(sighdr):], unsigned[96+len(oldSig):]) {
			t.Errorf("lead, header or payload differ from the unsigned rpm's")
		}
		if rep := signer.CheckSig(t, out); !strings.Contains(rep, "key ID "+key+": OK") {
			t.Errorf("rpmkeys --checksig:\n%s", rep)
		}
		if pgp := rpmQuery(t, got, "%{RSAHEADER:pgpsig}"); !strings.Contains(pgp, key) {
			t.Errorf("RSAHEADER = %q", pgp)
		}
		// download-build --key fetches topurl/packages/…/data/signed/<key>/…
		resp, err := http.Get(f.h.Base + "/kojifiles/packages/sig/1.0/1/data/signed/" + key + "/noarch/sig-1.0-1.noarch.rpm")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, got) {
			t.Errorf("GET signed copy: %d, %d bytes", resp.StatusCode, len(body))
		}

		// An existing copy stays unless force; one that changed since it
		// was written no longer has the recorded checksums.
		call(t, f.sally, "writeSignedRPM", id, key)
		if err := os.WriteFile(out, []byte("stale"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = f.sally.Call(ctx, "writeSignedRPM", id, key)
		fault(t, err, hub.CodeGeneric, "sig-1.0-1.noarch signed with key \""+key+"\" has md5 ")
		if b := readFile(t, out); string(b) != "stale" {
			t.Errorf("writeSignedRPM without force replaced the copy")
		}
		callKw(t, f.sally, "writeSignedRPM", []any{id, key}, map[string]any{"force": true})
		if b := readFile(t, out); !bytes.Equal(b, signedByRPM) {
			t.Errorf("writeSignedRPM(force) did not rewrite the copy")
		}
		if names := treeFiles(t, filepath.Dir(out)); !reflect.DeepEqual(names, []string{"sig-1.0-1.noarch.rpm"}) {
			t.Errorf("signed dir holds %v", names)
		}

		// A header file that is not the recorded one is refused.
		sc := f.sigcache(key, "noarch")
		if err := os.WriteFile(sc, sigHeaderOf(t, unsigned), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = f.sally.CallKw(ctx, "writeSignedRPM", []any{id, key}, map[string]any{"force": true})
		fault(t, err, hub.CodeGeneric, "the database says")
		if err := os.WriteFile(sc, sighdr, 0o644); err != nil {
			t.Fatal(err)
		}
		if b := readFile(t, out); !bytes.Equal(b, signedByRPM) {
			t.Errorf("a failed writeSignedRPM(force) changed the copy")
		}

		// A broken rpm file fails half way: nothing is left behind.
		srcSigned := signer.Sign(t, rpms["sig-1.0-1.src.rpm"])
		call(t, f.sally, "addRPMSig", f.ids["src"], base64.StdEncoding.EncodeToString(sigHeaderOf(t, srcSigned)))
		srcFile := filepath.Join(f.buildDir, "src", "sig-1.0-1.src.rpm")
		if err := os.Truncate(srcFile, 100); err != nil {
			t.Fatal(err)
		}
		_, err = f.sally.Call(ctx, "writeSignedRPM", f.ids["src"], key)
		fault(t, err, hub.CodeGeneric, "Cannot write signed copy of sig-1.0-1.src")
		if names := treeFiles(t, filepath.Join(f.buildDir, "data", "signed")); !reflect.DeepEqual(names, []string{key + "/noarch/sig-1.0-1.noarch.rpm"}) {
			t.Errorf("signed tree after a failed write: %v", names)
		}
	})
}

func TestDeleteRPMSig(t *testing.T) {
	rpms := hubtest.BuildRPMs(t, [][3]string{{"sig", "1.0", "1"}})
	signer := hubtest.NewSigner(t)
	key := signer.KeyID
	sighdr := sigHeaderOf(t, signer.Sign(t, rpms["sig-1.0-1.noarch.rpm"]))
	data := base64.StdEncoding.EncodeToString(sighdr)
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		f := newSigFixture(t, db, rpms)
		id := f.ids["noarch"]
		sign := func() {
			t.Helper()
			call(t, f.sally, "addRPMSig", id, data)
			call(t, f.sally, "writeSignedRPM", id, key)
		}
		sign()
		sc, out := f.sigcache(key, "noarch"), f.signed(key, "noarch")
		save := sc + "." + rpmhdr.Hash(sighdr) + ".save"

		// One key, given in upper case: its row and signed copy go, its header
		// is kept aside; the unsigned header stays.
		if got := callKw(t, f.admin, "deleteRPMSig", []any{"sig-1.0-1.noarch"}, map[string]any{"sigkey": strings.ToUpper(key)}); got != nil {
			t.Errorf("deleteRPMSig = %v", got)
		}
		if keys := f.sigKeys(t, "noarch"); !reflect.DeepEqual(keys, []string{""}) {
			t.Errorf("signatures after delete: %v", keys)
		}
		if exists(out) || exists(sc) || !bytes.Equal(readFile(t, save), sighdr) {
			t.Errorf("after delete: signed %v, header %v, backup %v", exists(out), exists(sc), exists(save))
		}
		if names := treeFiles(t, filepath.Join(f.buildDir, "data")); len(names) != 3 {
			t.Errorf("data/ after delete: %v", names) // the unsigned headers and the backup
		}

		// Signed again and deleted again: the backup holds the same header,
		// so this copy simply goes.
		sign()
		callKw(t, f.admin, "deleteRPMSig", []any{id}, map[string]any{"sigkey": key})
		if exists(out) || exists(sc) || !exists(save) {
			t.Errorf("second delete: signed %v, header %v, backup %v", exists(out), exists(sc), exists(save))
		}

		// A different backup under that name is left for a human: nothing
		// changes, in the database or on disk.
		sign()
		if err := os.WriteFile(save, []byte("other"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := treeFiles(t, f.h.TopDir)
		_, err := f.admin.CallKw(ctx, "deleteRPMSig", []any{id}, map[string]any{"all_sigs": true})
		fault(t, err, hub.CodeGeneric, "Stray header backup file: "+save)
		if keys := f.sigKeys(t, "noarch"); !reflect.DeepEqual(keys, []string{"", key}) {
			t.Errorf("signatures after a failed delete: %v", keys)
		}
		if after := treeFiles(t, f.h.TopDir); !reflect.DeepEqual(after, before) {
			t.Errorf("a failed delete changed the topdir:\nbefore %v\nafter  %v", before, after)
		}

		// all_sigs takes every signature, the unsigned header's too; sigkey
		// is then ignored.
		if err := os.Remove(save); err != nil {
			t.Fatal(err)
		}
		callKw(t, f.admin, "deleteRPMSig", []any{id}, map[string]any{"all_sigs": true, "sigkey": "ignored"})
		if keys := f.sigKeys(t, "noarch"); keys != nil {
			t.Errorf("signatures after delete all: %v", keys)
		}
		if exists(out) || exists(sc) || exists(f.sigcache("", "noarch")) {
			t.Errorf("files left after delete all")
		}
		_, err = f.admin.CallKw(ctx, "deleteRPMSig", []any{id}, map[string]any{"all_sigs": true})
		fault(t, err, hub.CodeGeneric, "sig-1.0-1.noarch has no matching signatures to delete")
		// The other rpm of the build is untouched.
		if keys := f.sigKeys(t, "src"); !reflect.DeepEqual(keys, []string{""}) {
			t.Errorf("src signatures: %v", keys)
		}
	})
}

func TestGetBuildLogs(t *testing.T) {
	rpms := hubtest.BuildRPMs(t, [][3]string{{"sig", "1.0", "1"}})
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		anon := h.Client()
		importRPM(t, admin, "cli-import/sig", "sig-1.0-1.src.rpm", rpms["sig-1.0-1.src.rpm"])
		if got := call(t, anon, "getBuildLogs", "sig-1.0-1"); !reflect.DeepEqual(got, []any{}) {
			t.Errorf("getBuildLogs without logs = %v", got)
		}
		logs := filepath.Join(h.TopDir, "packages", "sig", "1.0", "1", "data", "logs")
		for fn, body := range map[string]string{
			"noarch/build.log": "built", "noarch/root.log": "root", "x86_64/build.log": "other arch", "top.log": "top",
		} {
			p := filepath.Join(logs, fn)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// Koji skips symlinks under the log folder.
		if err := os.Symlink("build.log", filepath.Join(logs, "noarch", "link.log")); err != nil {
			t.Fatal(err)
		}
		rel := "packages/sig/1.0/1/data/logs"
		want := []any{
			map[string]any{"name": "top.log", "dir": ".", "path": rel + "/./top.log"},
			map[string]any{"name": "build.log", "dir": "noarch", "path": rel + "/noarch/build.log"},
			map[string]any{"name": "root.log", "dir": "noarch", "path": rel + "/noarch/root.log"},
			map[string]any{"name": "build.log", "dir": "x86_64", "path": rel + "/x86_64/build.log"},
		}
		for _, info := range []any{"sig-1.0-1", map[string]any{"name": "sig", "version": "1.0", "release": "1"}} {
			got := call(t, anon, "getBuildLogs", info)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("getBuildLogs(%v) = %v\nwant %v", info, got, want)
			}
		}
		// download-logs --nvr fetches topurl + path.
		resp, err := http.Get(h.Base + "/kojifiles/" + rel + "/noarch/build.log")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "built" {
			t.Errorf("GET build.log: %d %q", resp.StatusCode, body)
		}
		// A file where the folder should be is an error, as in Koji.
		if err := os.RemoveAll(logs); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(logs, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = anon.Call(ctx, "getBuildLogs", "sig-1.0-1")
		fault(t, err, hub.CodeGeneric, "Not a directory")
	})
}

// TestHostWriteSignedRPM: a build host writes signed copies through
// host.writeSignedRPM, which only hosts may call.
func TestHostWriteSignedRPM(t *testing.T) {
	rpms := hubtest.BuildRPMs(t, [][3]string{{"sig", "1.0", "1"}})
	signer := hubtest.NewSigner(t)
	signedByRPM := signer.Sign(t, rpms["sig-1.0-1.noarch.rpm"])
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		f := newSigFixture(t, db, rpms)
		id := f.ids["noarch"]
		call(t, f.sally, "addRPMSig", id, base64.StdEncoding.EncodeToString(sigHeaderOf(t, signedByRPM)))
		_, err := f.sally.Call(ctx, "host.writeSignedRPM", id, signer.KeyID)
		fault(t, err, hub.CodeAuth, "")
		if exists(f.signed(signer.KeyID, "noarch")) {
			t.Fatal("a refused call wrote the signed copy")
		}
		host, _ := startHost(t, f.h, f.admin, "signer", []any{"noarch"})
		if got := call(t, host, "host.writeSignedRPM", id, signer.KeyID); got != nil {
			t.Errorf("host.writeSignedRPM = %v", got)
		}
		if got := readFile(t, f.signed(signer.KeyID, "noarch")); !bytes.Equal(got, signedByRPM) {
			t.Error("the host's signed copy differs from rpmsign's output")
		}
	})
}

// TestRPMChecksums: getRPMChecksums answers, per signature of an rpm, the
// checksums of the rpm as signed with that key (computed once and kept),
// writeSignedRPM records those of the copy it writes, and the rows go with
// their signature or build.
func TestRPMChecksums(t *testing.T) {
	rpms := hubtest.BuildRPMs(t, [][3]string{{"sig", "1.0", "1"}})
	signer := hubtest.NewSigner(t)
	key := signer.KeyID
	sum := func(kind string, b []byte) string {
		switch kind {
		case "md5":
			s := md5.Sum(b)
			return hex.EncodeToString(s[:])
		case "sha1":
			s := sha1.Sum(b)
			return hex.EncodeToString(s[:])
		}
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])
	}
	sums := func(b []byte, kinds ...string) map[string]any {
		m := map[string]any{}
		for _, k := range kinds {
			m[k] = sum(k, b)
		}
		return m
	}
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		f := newSigFixture(t, db, rpms)
		noarch, src := f.ids["noarch"], f.ids["src"]
		unsigned, srcRPM := rpms["sig-1.0-1.noarch.rpm"], rpms["sig-1.0-1.src.rpm"]
		signed, srcSigned := signer.Sign(t, unsigned), signer.Sign(t, srcRPM)
		call(t, f.sally, "addRPMSig", noarch, base64.StdEncoding.EncodeToString(sigHeaderOf(t, signed)))
		call(t, f.sally, "addRPMSig", src, base64.StdEncoding.EncodeToString(sigHeaderOf(t, srcSigned)))
		anon := f.anon
		checksums := func(args ...any) any {
			t.Helper()
			return callKw(t, anon, "getRPMChecksums", args, nil)
		}

		// Nothing recorded yet: cacheonly leaves them None.
		if got, want := callKw(t, anon, "getRPMChecksums", []any{noarch}, map[string]any{"cacheonly": true}),
			map[string]any{"": map[string]any{"md5": nil, "sha256": nil}, key: map[string]any{"md5": nil, "sha256": nil}}; !reflect.DeepEqual(got, want) {
			t.Errorf("cacheonly at first = %v, want %v", got, want)
		}
		// Computed: of the rpm as imported, and as rpmsign signed it,
		// though no signed copy was written.
		want := map[string]any{"": sums(unsigned, "md5", "sha256"), key: sums(signed, "md5", "sha256")}
		if got := checksums(noarch); !reflect.DeepEqual(got, want) {
			t.Errorf("getRPMChecksums = %v, want %v", got, want)
		}
		if got := callKw(t, anon, "getRPMChecksums", []any{noarch}, map[string]any{"cacheonly": true}); !reflect.DeepEqual(got, want) {
			t.Errorf("not kept: cacheonly = %v, want %v", got, want)
		}
		if got, want := checksums(noarch, []any{"sha1"}), map[string]any{"": sums(unsigned, "sha1"), key: sums(signed, "sha1")}; !reflect.DeepEqual(got, want) {
			t.Errorf("sha1 = %v, want %v", got, want)
		}

		// writeSignedRPM records the copy's checksums.
		call(t, f.sally, "writeSignedRPM", src, key)
		if got, want := callKw(t, anon, "getRPMChecksums", []any{src}, map[string]any{"cacheonly": true}),
			map[string]any{"": map[string]any{"md5": nil, "sha256": nil}, key: sums(srcSigned, "md5", "sha256")}; !reflect.DeepEqual(got, want) {
			t.Errorf("after writeSignedRPM = %v, want %v", got, want)
		}

		for _, tc := range []struct {
			args []any
			msg  string
		}{
			{[]any{"sig-1.0-1.noarch"}, "rpm_id must be an integer"},
			{[]any{noarch, "md5"}, "checksum_type must be a list"},
			{[]any{noarch, []any{"md5", "crc32"}}, "Checksum_type crc32 isn't supported"},
			{[]any{int64(999999)}, "No such rpm"},
		} {
			_, err := anon.Call(ctx, "getRPMChecksums", tc.args...)
			fault(t, err, hub.CodeGeneric, tc.msg)
		}

		// The rows go with their signature, and with the build's rpms.
		callKw(t, f.admin, "deleteRPMSig", []any{noarch}, map[string]any{"sigkey": key})
		if got, want := callKw(t, anon, "getRPMChecksums", []any{noarch}, map[string]any{"cacheonly": true}),
			map[string]any{"": sums(unsigned, "md5", "sha256")}; !reflect.DeepEqual(got, want) {
			t.Errorf("after deleteRPMSig = %v, want %v", got, want)
		}
		rows := func() (n int) {
			if err := db.InTx(ctx, false, func(tx *store.Tx) error {
				return tx.Get(ctx, &n, "SELECT COUNT(*) FROM rpm_checksum")
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// noarch's md5, sha1 and sha256 for "", src's md5 and sha256 for key.
		if n := rows(); n != 5 {
			t.Errorf("%d checksum rows after deleteRPMSig, want 5", n)
		}
		call(t, f.admin, "resetBuild", "sig-1.0-1")
		if n := rows(); n != 0 {
			t.Errorf("%d checksum rows after resetBuild", n)
		}
	})
}
