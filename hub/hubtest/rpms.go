package hubtest

import (
	"bytes"
	"fmt"
	"hash/adler32"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gokoji/gokoji/hub/rpmhdr"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// The recorded transcripts leave out upload bodies; the RPMs are rebuilt
// with the recorder's own script (shared/koji-transcripts/rpms/mkrpm.sh).
// Binary RPMs come out byte-identical. Source RPMs come out 2 bytes shorter
// than the recorder's: they carry the spec file's owner and group names,
// which depend on the account that ran rpmbuild. So the values that follow
// from a source RPM's bytes (size, adler32, SIGMD5, sighash) are mapped from
// the recorded file's to ours before answers are compared; nothing else is.

var mkrpmLine = regexp.MustCompile(`mkrpm\.sh\s+(\S+)\s+(\S+)\s+(\S+)`)

// RequireCommand fails the test when cmd is missing, naming the package.
func RequireCommand(t testing.TB, cmd, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(cmd); err != nil {
		t.Fatalf("%s not found: install the %s package (make deps does)", cmd, pkg)
	}
}

// BuildRPMs runs mkrpm.sh for each (name, version, release) in a temporary
// copy of the recorder's rpms folder and returns the files by base name.
func BuildRPMs(t testing.TB, nvrs [][3]string) map[string][]byte {
	t.Helper()
	RequireCommand(t, "rpmbuild", "rpm")
	src := filepath.Join(TranscriptsDir(t), "rpms")
	dir := t.TempDir()
	for _, f := range []string{"mkrpm.sh", "template.spec"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		// The copy must be writable: the spec's mode goes into the SRPM.
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nvrs {
		cmd := exec.Command("sh", filepath.Join(dir, "mkrpm.sh"), n[0], n[1], n[2])
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("mkrpm.sh %v: %v\n%s", n, err, out)
		}
	}
	out := map[string][]byte{}
	ents, err := os.ReadDir(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, "out", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// scenarioRPMs rebuilds the RPMs a scenario's mkrpm.sh lines made; nil when
// it made none.
func scenarioRPMs(t *testing.T, commands map[string]string) map[string][]byte {
	var nvrs [][3]string
	for _, line := range commands {
		if m := mkrpmLine.FindStringSubmatch(line); m != nil {
			nvrs = append(nvrs, [3]string{m[1], m[2], m[3]})
		}
	}
	if len(nvrs) == 0 {
		return nil
	}
	return BuildRPMs(t, nvrs)
}

type fileFacts struct {
	size      int64
	adler32   string
	sigmd5    string
	sighash   string
	recSize   int64
	recAdler  string
	recSigmd5 string
	recRPMID  int64
	recSighsh string
}

// rebuiltFacts pairs the recorded facts of each uploaded file with ours and
// returns the substitutions recorded → ours for the values that differ.
func rebuiltFacts(t *testing.T, dir string, exchanges []exchange, rpms map[string][]byte) map[any]any {
	facts := map[string]*fileFacts{}
	get := func(name string) *fileFacts {
		if f := facts[name]; f != nil {
			return f
		}
		b, ok := rpms[name]
		if !ok {
			return nil
		}
		h, err := rpmhdr.Read(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("rebuilt %s: %v", name, err)
		}
		md5, _ := h.SigMD5()
		a := adler32.Checksum(b)
		f := &fileFacts{size: int64(len(b)), adler32: fmt.Sprintf("%08x", a), sigmd5: md5, sighash: h.SigHash()}
		facts[name] = f
		return f
	}
	decode := func(file string) any {
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		v, _ := xmlrpc.DecodeResponse(bytes.NewReader(b), xmlrpc.Limits{MaxBodyBytes: 1 << 26})
		return v
	}
	byRPMID := map[int64]*fileFacts{}
	var sigs []map[string]any
	for _, ex := range exchanges {
		switch {
		case ex.Method == "rawUpload":
			q := ex.Meta.Query
			f := get(first(q["filename"]))
			if f == nil {
				continue
			}
			f.recSize = ex.Meta.BodyLen
			if m, ok := decode(ex.Response).(map[string]any); ok {
				f.recAdler, _ = m["hexdigest"].(string)
			}
		case ex.Method == "importRPM" && ex.RequestFile != "":
			b, _ := os.ReadFile(filepath.Join(dir, ex.RequestFile))
			call, err := xmlrpc.DecodeCall(bytes.NewReader(b), xmlrpc.Limits{MaxBodyBytes: 1 << 26})
			if err != nil || len(call.Params) < 2 {
				continue
			}
			name, _ := call.Params[1].(string)
			f := get(name)
			m, ok := decode(ex.Response).(map[string]any)
			if f == nil || !ok {
				continue
			}
			f.recSigmd5, _ = m["payloadhash"].(string)
			f.recRPMID, _ = m["id"].(int64)
			byRPMID[f.recRPMID] = f
		case ex.Method == "multiCall":
			walkSigs(decode(ex.Response), &sigs)
		}
	}
	for _, s := range sigs {
		id, _ := s["rpm_id"].(int64)
		if f := byRPMID[id]; f != nil {
			f.recSighsh, _ = s["sighash"].(string)
		}
	}
	subst := map[any]any{}
	for _, f := range facts {
		if f.recSize != 0 && f.recSize != f.size {
			subst[f.recSize] = f.size
		}
		for rec, ours := range map[string]string{f.recAdler: f.adler32, f.recSigmd5: f.sigmd5, f.recSighsh: f.sighash} {
			if rec != "" && rec != ours {
				subst[rec] = ours
			}
		}
	}
	return subst
}

// walkSigs collects {rpm_id, sighash} structs anywhere in v.
func walkSigs(v any, out *[]map[string]any) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			walkSigs(e, out)
		}
	case map[string]any:
		if _, ok := x["sighash"]; ok {
			*out = append(*out, x)
		}
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// fileKeys are the answer keys whose values follow from a file's bytes.
var fileKeys = map[string]bool{"size": true, "hexdigest": true, "payloadhash": true, "sighash": true}

// substitute replaces recorded file facts with ours, under fileKeys only.
func substitute(v any, subst map[any]any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = substitute(x[i], subst)
		}
	case map[string]any:
		for k, e := range x {
			if fileKeys[k] {
				if r, ok := subst[e]; ok {
					x[k] = r
					continue
				}
			}
			x[k] = substitute(e, subst)
		}
	}
	return v
}
