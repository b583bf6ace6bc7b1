package xmlrpc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// decodeFast decodes a response with fastSource alone; errFallback when
// the document is outside its subset.
func decodeFast(body []byte, lim Limits) (any, error) {
	return newFastDecoder(body, lim, "response").response()
}

// decodeSlow decodes a response with encoding/xml alone.
func decodeSlow(body []byte, lim Limits) (any, error) {
	return newDecoder(bytes.NewReader(body), lim, "response").response()
}

// sameDecoding fails t unless both decoders give the same answer or error.
func sameDecoding(t *testing.T, name string, body []byte, lim Limits, fv any, ferr error) {
	t.Helper()
	sv, serr := decodeSlow(body, lim)
	if (ferr == nil) != (serr == nil) || ferr != nil && ferr.Error() != serr.Error() {
		t.Fatalf("%s: fast error %v, encoding/xml error %v", name, ferr, serr)
	}
	if !reflect.DeepEqual(fv, sv) {
		t.Fatalf("%s: fast decoded %#v, encoding/xml %#v", name, fv, sv)
	}
}

// Every answer recorded from Koji's hub is in the fast subset, and decodes
// to what encoding/xml makes of it.
func TestFastSourceReadsKojiAnswers(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(transcriptsDir(t), "*", "*.resp.xml"))
	if err != nil || len(files) < 100 {
		t.Fatalf("found %d recorded answers (%v)", len(files), err)
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := decodeFast(body, Limits{})
		if errors.Is(err, errFallback) {
			t.Fatalf("%s: outside the fast subset", f)
		}
		sameDecoding(t, f, body, Limits{}, v, err)
	}
}

func TestFastSourceSubset(t *testing.T) {
	tests := []struct {
		name string
		body string
		fast bool
	}{
		{"our encoder", "", true}, // filled in below
		{"double-quoted declaration", `<?xml version="1.0" encoding="UTF-8"?>` + resp("<value><int>1</int></value>")[21:], true},
		{"no declaration", "<methodResponse><params><param><value>x</value></param></params></methodResponse>", true},
		{"entities", resp("<value><string>a &amp; &lt;b&gt; &quot;c&apos;</string></value>"), true},
		{"self-closing", resp("<value><nil/></value>"), true},
		{"bad int, same error", resp("<value><int>x</int></value>"), true},
		{"mismatched tag, same error", resp("<value><int>1</i4></value>"), true},
		{"cut short, same error", "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><int>1</int>", true},
		{"too deep, same error", resp("<value><array><data><value><array><data><value><array><data></data></array></value></data></array></value></data></array></value>"), true},
		{"fault", "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1000</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>No such build</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n", true},
		{"non-ASCII", resp("<value><string>Žluťoučký kůň 🐴</string></value>"), true},
		{"comment", resp("<value><!-- x --><int>1</int></value>"), false},
		{"CDATA", resp("<value><string><![CDATA[a<b]]></string></value>"), false},
		{"attribute", resp(`<value><int base="10">1</int></value>`), false},
		{"space in tag", resp("<value ><int>1</int></value>"), false},
		{"namespace prefix", resp("<value><ex:nil/></value>"), false},
		{"numeric entity", resp("<value><string>&#65;</string></value>"), false},
		{"carriage return", resp("<value><string>a\r\nb</string></value>"), false},
		{"latin-1", "<?xml version='1.0' encoding='iso-8859-1'?><methodResponse><params><param><value>caf\xe9</value></param></params></methodResponse>", false},
		{"byte order mark", "\uFEFF" + resp("<value><int>1</int></value>"), false},
		{"doctype", `<!DOCTYPE x [<!ENTITY a "b">]><methodResponse/>`, false},
		{"invalid UTF-8", resp("<value><string>\xff</string></value>"), false},
	}
	var enc bytes.Buffer
	if err := EncodeResponse(&enc, []any{map[string]any{"id": int64(1), "ts": 1.5, "ok": true, "nil": nil,
		"when": time.Date(2024, 3, 12, 0, 6, 28, 0, time.UTC), "raw": []byte("\x00\x01"), "s": "a & <b>"}}); err != nil {
		t.Fatal(err)
	}
	tests[0].body = enc.String()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			v, err := decodeFast(body, Limits{MaxDepth: 2})
			if fell := errors.Is(err, errFallback); fell == tc.fast {
				t.Fatalf("fast path taken: %v, want %v (%v)", !fell, tc.fast, err)
			}
			if tc.fast {
				sameDecoding(t, tc.name, body, Limits{MaxDepth: 2}, v, err)
			}
			// Whichever path decodes it, DecodeResponse answers as
			// encoding/xml does.
			v, err = DecodeResponse(bytes.NewReader(body), Limits{MaxDepth: 2})
			sv, serr := decodeSlow(body, Limits{MaxDepth: 2})
			if !reflect.DeepEqual(v, sv) || (err == nil) != (serr == nil) || err != nil && err.Error() != serr.Error() {
				t.Fatalf("DecodeResponse = %#v, %v; encoding/xml %#v, %v", v, err, sv, serr)
			}
			v, err = DecodeResponseBytes(body, Limits{MaxDepth: 2})
			if !reflect.DeepEqual(v, sv) || (err == nil) != (serr == nil) || err != nil && err.Error() != serr.Error() {
				t.Fatalf("DecodeResponseBytes = %#v, %v; encoding/xml %#v, %v", v, err, sv, serr)
			}
		})
	}
}

// A body over the limit gets the same error from both entry points.
func TestDecodeResponseBytesLimit(t *testing.T) {
	body := []byte(resp("<value><string>" + strings.Repeat("x", 100) + "</string></value>"))
	lim := Limits{MaxBodyBytes: 64}
	_, err := DecodeResponse(bytes.NewReader(body), lim)
	_, errb := DecodeResponseBytes(body, lim)
	if !errors.Is(err, ErrTooLarge) || !errors.Is(errb, ErrTooLarge) || err.Error() != errb.Error() {
		t.Fatalf("errors %v and %v, want the same ErrTooLarge", err, errb)
	}
}

// FuzzFastSource checks that whatever the fast decoder accepts, it decodes
// as encoding/xml does, to the same value or the same error.
func FuzzFastSource(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(resp("<value><string>a &amp; &lt;b&gt;</string></value>")))
	f.Add([]byte(resp("<value><array><data><value><nil/></value><value><base64>aGk=</base64></value></data></array></value>")))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := decodeFast(body, Limits{})
		if errors.Is(err, errFallback) {
			return
		}
		sameDecoding(t, "fuzz input", body, Limits{}, v, err)
	})
}
