package api_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// FuzzImportRPM imports mangled rpms, as uploads from anyone with the
// import permission may be: each import either succeeds or gets a Koji
// fault other than an internal error, and a refused one leaves no row and
// no file behind. The seeds are the golden rpms; one hub (SQLite) serves a
// whole fuzzing run.
func FuzzImportRPM(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("..", "..", "testdata", "golden", "rpms", "*.rpm"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seed rpms: %v", err)
	}
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, filepath.Base(n))
		f.Add(data[:len(data)/2], filepath.Base(n))
	}
	h := hubtest.Start(f, hubtest.OpenDB(f, hubtest.SQLite))
	// The test hub logs through f, which a fuzz target must not use; the
	// faults tell what went wrong.
	h.Dispatcher.Log.(*logrus.Logger).SetOutput(io.Discard)
	admin := h.Admin(f)
	n, imported := 0, 0
	f.Cleanup(func() { f.Logf("%d of %d imports succeeded", imported, n) })
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		n++
		dir := fmt.Sprintf("cli-import/fuzz%d", n)
		// The bytes go where an upload puts them; the upload path itself
		// has its own fuzz test (files.FuzzUploadTarget).
		if err := os.MkdirAll(filepath.Join(h.TopDir, "work", dir), 0o755); err != nil {
			t.Fatal(err)
		}
		file := name
		if file == "" || file[0] == '.' || len(file) > 255 || strings.ContainsAny(file, "/\x00") {
			file = "x.rpm" // the call still names the file the fuzzer chose
		}
		if err := os.WriteFile(filepath.Join(h.TopDir, "work", dir, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
		before := importState(t, h)
		_, err := admin.Call(ctx, "importRPM", dir, name)
		if err == nil {
			imported++
			return
		}
		var fault *xmlrpc.Fault
		if !errors.As(err, &fault) || fault.Code == hub.CodeInternal {
			t.Fatalf("importRPM of %d bytes (%q): %v", len(data), name, err)
		}
		if after := importState(t, h); after != before {
			t.Fatalf("a refused import (%v) left %s, was %s", err, after, before)
		}
	})
}

// importState sums up what an import adds: rows and files.
func importState(t *testing.T, h *hubtest.Hub) string {
	t.Helper()
	var builds, rpms, sigs int
	if err := h.DB.InTx(ctx, false, func(tx *store.Tx) error {
		if err := tx.Get(ctx, &builds, "SELECT COUNT(*) FROM build"); err != nil {
			return err
		}
		if err := tx.Get(ctx, &rpms, "SELECT COUNT(*) FROM rpminfo"); err != nil {
			return err
		}
		return tx.Get(ctx, &sigs, "SELECT COUNT(*) FROM rpmsigs")
	}); err != nil {
		t.Fatal(err)
	}
	files := 0
	filepath.WalkDir(filepath.Join(h.TopDir, "packages"), func(string, os.DirEntry, error) error {
		files++
		return nil
	})
	return fmt.Sprintf("%d builds, %d rpms, %d signatures, %d paths under packages/", builds, rpms, sigs, files)
}
