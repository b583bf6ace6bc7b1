package xmlrpc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestTranscripts decodes every recorded request and response of the real
// Koji hub and checks that re-encoding gives back an equal value.
func TestTranscripts(t *testing.T) {
	dir := transcriptsDir(t)
	reqs, _ := filepath.Glob(filepath.Join(dir, "*", "*.req.xml"))
	resps, _ := filepath.Glob(filepath.Join(dir, "*", "*.resp.xml"))
	if len(reqs) < 100 || len(resps) < 100 {
		t.Fatalf("found only %d requests and %d responses under %s", len(reqs), len(resps), dir)
	}
	var calls, badCalls, faults, multi int
	for _, path := range reqs {
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, path)
		c, err := DecodeCall(bytes.NewReader(body), Limits{})
		// Where the hub answered with plain text (400/405) the request was
		// deliberately broken; everything else must decode.
		_, statErr := os.Stat(strings.TrimSuffix(path, ".req.xml") + ".resp.xml")
		if wantOK := statErr == nil; !wantOK {
			if err == nil {
				t.Errorf("%s: decoded %#v, but Koji refused this request", rel, c)
			}
			badCalls++
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		calls++
		if c.Method == "multiCall" {
			multi++
		}
		var buf bytes.Buffer
		if err := EncodeCall(&buf, c.Method, c.Params); err != nil {
			t.Errorf("%s: re-encode: %v", rel, err)
			continue
		}
		c2, err := DecodeCall(&buf, Limits{})
		if err != nil {
			t.Errorf("%s: decode re-encoded: %v", rel, err)
			continue
		}
		if !reflect.DeepEqual(c, c2) {
			t.Errorf("%s: round trip changed the call:\n%#v\n%#v", rel, c, c2)
		}
	}
	for _, path := range resps {
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, path)
		v, err := DecodeResponse(bytes.NewReader(body), Limits{})
		var f *Fault
		if errors.As(err, &f) {
			faults++
			var buf bytes.Buffer
			if err := EncodeFault(&buf, f); err != nil {
				t.Errorf("%s: re-encode fault: %v", rel, err)
				continue
			}
			_, err2 := DecodeResponse(bytes.NewReader(buf.Bytes()), Limits{})
			var f2 *Fault
			if !errors.As(err2, &f2) || *f2 != *f {
				t.Errorf("%s: fault round trip: %v, want %v", rel, err2, f)
			}
			// Koji writes faults exactly as we do.
			if !bytes.Equal(buf.Bytes(), body) {
				t.Errorf("%s: re-encoded fault differs:\n%s\nwant\n%s", rel, buf.Bytes(), body)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		var buf bytes.Buffer
		if err := EncodeResponse(&buf, v); err != nil {
			t.Errorf("%s: re-encode: %v", rel, err)
			continue
		}
		v2, err := DecodeResponse(&buf, Limits{})
		if err != nil {
			t.Errorf("%s: decode re-encoded: %v", rel, err)
			continue
		}
		if !reflect.DeepEqual(v, v2) {
			t.Errorf("%s: round trip changed the value", rel)
		}
	}
	t.Logf("%d calls (%d multiCall), %d refused requests, %d responses (%d faults)", calls, multi, badCalls, len(resps), faults)
	if badCalls == 0 || faults == 0 || multi == 0 {
		t.Errorf("expected some refused requests, faults and multiCalls in the transcripts")
	}
}

// TestTranscriptBytes checks documents whose layout we reproduce exactly.
func TestTranscriptBytes(t *testing.T) {
	tests := []struct {
		file string
		v    any
		call bool
	}{
		{"admin-setup/002-getAPIVersion.resp.xml", 1, false},
		{"admin-setup/004-logout.resp.xml", nil, false},
		{"admin-setup/002-getAPIVersion.req.xml", nil, true},
		{"tasks-and-errors/373-getLastEvent.req.xml", nil, true},
	}
	for _, tc := range tests {
		want := readTranscript(t, tc.file)
		var buf bytes.Buffer
		var err error
		if tc.call {
			c, derr := DecodeCall(bytes.NewReader(want), Limits{})
			if derr != nil {
				t.Fatalf("%s: %v", tc.file, derr)
			}
			err = EncodeCall(&buf, c.Method, c.Params)
		} else {
			err = EncodeResponse(&buf, tc.v)
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: got\n%q\nwant\n%q", tc.file, buf.Bytes(), want)
		}
	}
}
