package xmlrpc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub/transcripts"
)

// transcriptsDir finds the recorded Koji traffic (see package
// transcripts). Missing data is a failure, not a skip, so a broken checkout
// cannot pass silently.
func transcriptsDir(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("getwd: %v", err)
	}
	d, err := transcripts.Dir(wd)
	if err != nil {
		tb.Fatal(err)
	}
	return d
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
