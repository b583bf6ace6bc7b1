package api_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// FuzzImportRPM imports mangled rpms, as uploads from anyone with the
// import permission may be: each import either succeeds or gets a Koji
// fault other than an internal error, and a refused one leaves no row and
// no file behind. The seeds are the golden rpms, whole and halved.
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
	hubs := fuzzHubs(f)
	n := 0
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		n++
		dir := fmt.Sprintf("cli-import/fuzz%d", n)
		file := name
		if file == "" || file[0] == '.' || len(file) > 255 || strings.ContainsAny(file, "/\x00") {
			file = "x.rpm" // the call still names the file the fuzzer chose
		}
		for _, h := range hubs {
			// The bytes go where an upload puts them; the upload path
			// itself has its own fuzz test (files.FuzzUploadTarget).
			if err := os.MkdirAll(filepath.Join(h.TopDir, "work", dir), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(h.TopDir, "work", dir, file), data, 0o644); err != nil {
				t.Fatal(err)
			}
			before := importState(t, h.Hub)
			_, err := h.admin.Call(ctx, "importRPM", dir, name)
			if err == nil {
				continue
			}
			if !answered(err) {
				t.Fatalf("%s: importRPM of %d bytes (%q): %v", h.DB.Dialect, len(data), name, err)
			}
			if after := importState(t, h.Hub); after != before {
				t.Fatalf("%s: a refused import (%v) left %s, was %s", h.DB.Dialect, err, after, before)
			}
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

// FuzzDispatch runs any XML-RPC call an admin (or, for host.*, a host)
// could send, mutated from the recorded Koji traffic (one request per
// method as seeds): the answer is a value the encoder takes or a Koji
// fault, never an internal error. The hubs serve the whole run, so calls
// see what earlier ones made.
func FuzzDispatch(f *testing.F) {
	dir := hubtest.TranscriptsDir(f)
	reqs, err := filepath.Glob(filepath.Join(dir, "*", "*.req.xml"))
	if err != nil || len(reqs) == 0 {
		f.Fatalf("no recorded requests in %s: %v", dir, err)
	}
	sort.Strings(reqs)
	seen := map[string]bool{}
	for _, fn := range reqs {
		data, err := os.ReadFile(fn)
		if err != nil {
			f.Fatal(err)
		}
		c, err := xmlrpc.DecodeCall(bytes.NewReader(data), xmlrpc.Limits{})
		if err != nil || seen[c.Method] {
			continue
		}
		seen[c.Method] = true
		f.Add(data)
	}
	hubs := fuzzHubs(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := xmlrpc.DecodeCall(bytes.NewReader(data), xmlrpc.Limits{})
		if err != nil {
			return
		}
		if notSwept[c.Method] {
			return
		}
		for _, h := range hubs {
			checkHandled(t, h, c.Method, c.Params)
		}
	})
}

// FuzzCall calls any method as an admin (host.* as a host) with up to three
// arguments made of typed values the fuzzer picks and mutates: numbers,
// strings, bools, floats, and lists and structs of them. Byte-level
// mutation of whole requests (FuzzDispatch) rarely turns a string into a
// number; this does it at once. The answer must be a value the encoder
// takes or a Koji fault, never an internal error.
func FuzzCall(f *testing.F) {
	hubs := fuzzHubs(f)
	for _, h := range hubs {
		// Something to find: a tag, a package and a build.
		call(f, h.admin, "createTag", "fz")
		call(f, h.admin, "packageListAdd", "fz", "fzpkg", "kojiadmin")
		call(f, h.admin, "createEmptyBuild", "fzpkg", "1", "1", nil)
		call(f, h.admin, "tagBuildBypass", "fz", "fzpkg-1-1")
	}
	var names []string
	for _, n := range hubs[0].Dispatcher.Registry.Names() {
		if !notSwept[n] {
			names = append(names, n)
		}
	}
	// Per method: no argument; a number; a name; a number and a name; a
	// struct of keywords.
	for i := range names {
		for _, shape := range []uint16{0, 1 | 1<<2, 1 | 2<<2, 2 | 1<<2 | 2<<6, 1 | 9<<2} {
			f.Add(uint16(i), shape, int64(1), "fz", int64(1<<40), "fzpkg-1-1", true, 1.5)
		}
	}
	f.Fuzz(func(t *testing.T, method, shape uint16, i1 int64, s1 string, i2 int64, s2 string, b bool, x float64) {
		name := names[int(method)%len(names)]
		// shape: the argument count (low 2 bits), then 4 bits per argument
		// choosing its kind.
		kinds := []any{nil, i1, s1, i2, s2, b, x, []any{i1, s1}, map[string]any{s1: i2}, map[string]any{"__starstar": true, s1: i1},
			map[string]any{"name": s1, "id": i1}, []any{}, map[string]any{}, []any{s2}, int64(len(s1)), s1 + s2}
		var params []any
		for k := 0; k < int(shape&3); k++ {
			params = append(params, kinds[(shape>>(2+4*k))&15])
		}
		// What the wire can carry: XML holds no invalid UTF-8 and no NUL,
		// so the hub never sees them in a call.
		var doc bytes.Buffer
		if err := xmlrpc.EncodeCall(&doc, name, params); err != nil {
			return
		}
		c, err := xmlrpc.DecodeCall(&doc, xmlrpc.Limits{})
		if err != nil {
			return
		}
		for _, h := range hubs {
			checkHandled(t, h, c.Method, c.Params)
		}
	})
}

// checkHandled runs a call as h's admin (host.* as its host) and fails
// unless the answer is a
// value the encoder takes or a Koji fault other than an internal error.
func checkHandled(t *testing.T, h fuzzHub, method string, params []any) {
	t.Helper()
	creds := h.creds
	if strings.HasPrefix(method, "host.") {
		creds = h.hostCreds
	}
	res, err := h.Dispatcher.Handle(ctx, &api.Request{Method: method, Params: params, Creds: creds, RemoteIP: "127.0.0.1"})
	if err != nil {
		var f *hub.Fault
		if !errors.As(err, &f) || f.Code == hub.CodeInternal {
			t.Fatalf("%s: %s%#v: %v", h.DB.Dialect, method, params, err)
		}
		return
	}
	if err := xmlrpc.EncodeResponse(io.Discard, res); err != nil {
		t.Fatalf("%s: %s%#v answered %#v, which cannot be sent: %v", h.DB.Dialect, method, params, res, err)
	}
}

// fuzzHub is a hub a fuzz target sends every input to, with an admin and
// a build host (an exclusive session, for the host.* calls).
type fuzzHub struct {
	*hubtest.Hub
	admin     *xmlrpc.Client
	creds     api.Credentials
	hostCreds api.Credentials
}

// fuzzHubs starts one hub on each store for a whole fuzzing run, so that
// each input is tried on SQLite and PostgreSQL alike. The hubs log through
// f, which a fuzz target must not use, so their logs go nowhere: the
// faults tell what went wrong.
func fuzzHubs(f *testing.F) []fuzzHub {
	var out []fuzzHub
	for _, b := range hubtest.Backends {
		h := hubtest.Start(f, hubtest.OpenDB(f, b))
		h.Dispatcher.Log.(*logrus.Logger).SetOutput(io.Discard)
		admin := h.Admin(f)
		host, _ := startHost(f, h, admin, "fuzzhost", []any{"x86_64", "noarch"})
		out = append(out, fuzzHub{h, admin, api.Credentials{Present: true, SessionID: admin.SessionID, Key: admin.SessionKey},
			api.Credentials{Present: true, SessionID: host.SessionID, Key: host.SessionKey}})
	}
	return out
}
