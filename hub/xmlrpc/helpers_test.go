package xmlrpc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// transcriptsDir finds the recorded Koji traffic: $KOJI_TRANSCRIPTS, else
// <module root>/../shared/koji-transcripts. Missing data is a failure, not a
// skip, so a broken checkout cannot pass silently.
func transcriptsDir(tb testing.TB) string {
	tb.Helper()
	if d := os.Getenv("KOJI_TRANSCRIPTS"); d != "" {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			tb.Fatalf("KOJI_TRANSCRIPTS=%s is not a directory", d)
		}
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("getwd: %v", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(filepath.Dir(dir), "shared", "koji-transcripts")
			if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
				tb.Fatalf("Koji transcripts not found at %s (module root %s); set KOJI_TRANSCRIPTS", d, dir)
			}
			return d
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("no go.mod in %s or above, so no transcripts dir; set KOJI_TRANSCRIPTS", wd)
		}
		dir = parent
	}
}

func readTranscript(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(transcriptsDir(tb), rel))
	if err != nil {
		tb.Fatalf("read transcript: %v", err)
	}
	return b
}

// resp wraps a <value> fragment into a response document.
func resp(value string) string {
	return "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n" + value + "</param>\n</params>\n</methodResponse>\n"
}

func decodeResp(s string) (any, error) {
	return DecodeResponse(strings.NewReader(s), Limits{})
}

func encodeResp(tb testing.TB, v any) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := EncodeResponse(&buf, v); err != nil {
		tb.Fatalf("EncodeResponse(%#v): %v", v, err)
	}
	return buf.String()
}
