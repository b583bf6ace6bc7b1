package xmlrpc

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// callWithString is a methodCall whose only param is a string of n bytes.
func callWithString(n int) string {
	return "<?xml version='1.0'?>\n<methodCall><methodName>echo</methodName><params><param><value><string>" +
		strings.Repeat("x", n) + "</string></value></param></params></methodCall>"
}

func TestBodySizeLimit(t *testing.T) {
	base := len(callWithString(0))
	tests := []struct {
		name    string
		body    string
		limit   int64
		wantErr string // "" = must decode
	}{
		{"exactly at limit", callWithString(100), int64(base + 100), ""},
		{"one byte over", callWithString(101), int64(base + 100), "request body exceeds " + strconv.Itoa(base+100) + " bytes"},
		{"over by trailing whitespace", callWithString(0) + strings.Repeat(" ", 50), int64(base + 10), "request body exceeds"},
		{"default limit 4 MiB", callWithString(4 << 20), 0, "request body exceeds 4194304 bytes"},
		{"just under default", callWithString(4<<20 - base), 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DecodeCall(strings.NewReader(tc.body), Limits{MaxBodyBytes: tc.limit})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("DecodeCall: %v", err)
				}
				if c.Method != "echo" {
					t.Fatalf("method = %q", c.Method)
				}
				return
			}
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if err.Error() != tc.wantErr && !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Fatalf("err = %q, want %q", err, tc.wantErr)
			}
		})
	}
}

// endless yields '<methodCall>' and then spaces forever, and counts bytes.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		if e.n < int64(len("<methodCall>")) {
			p[i] = "<methodCall>"[e.n]
		} else {
			p[i] = ' '
		}
		e.n++
	}
	return len(p), nil
}

func TestBodySizeLimitStopsReading(t *testing.T) {
	r := &endless{}
	_, err := DecodeResponse(r, Limits{MaxBodyBytes: 1000})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "response body exceeds 1000 bytes") {
		t.Fatalf("err = %v, want response body exceeds 1000 bytes", err)
	}
	if r.n > 1001 {
		t.Fatalf("read %d bytes from the body, want at most limit+1", r.n)
	}
}

func TestDTDRefused(t *testing.T) {
	billionLaughs := `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<methodCall><methodName>echo</methodName><params><param><value><string>&lol9;</string></value></param></params></methodCall>`
	tests := []struct{ name, in string }{
		{"billion laughs", billionLaughs},
		{"plain doctype", `<?xml version="1.0"?><!DOCTYPE methodCall><methodCall><methodName>x</methodName></methodCall>`},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><methodCall><methodName>&xxe;</methodName></methodCall>`},
		{"directive inside the document", `<methodCall><!ENTITY x "y"><methodName>x</methodName></methodCall>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCall(strings.NewReader(tc.in), Limits{})
			if !errors.Is(err, ErrDTD) {
				t.Fatalf("err = %v, want ErrDTD", err)
			}
			if err.Error() != "document type / entity declarations are not allowed" {
				t.Fatalf("message = %q", err)
			}
		})
	}
}

func nested(open, close, leaf string, n int) string {
	return strings.Repeat(open, n) + leaf + strings.Repeat(close, n)
}

func TestNestingLimit(t *testing.T) {
	arr := func(n int) string {
		return resp(nested("<value><array><data>", "</data></array></value>", "<value><int>1</int></value>", n))
	}
	st := func(n int) string {
		return resp(nested("<value><struct><member><name>a</name>", "</member></struct></value>", "<value/>", n))
	}
	tests := []struct {
		name    string
		in      string
		max     int
		wantErr string
	}{
		{"64 arrays ok by default", arr(64), 0, ""},
		{"65 arrays too deep", arr(65), 0, "nesting deeper than 64 levels"},
		{"64 structs ok", st(64), 0, ""},
		{"65 structs too deep", st(65), 0, "nesting deeper than 64 levels"},
		{"custom limit ok", arr(3), 3, ""},
		{"custom limit exceeded", arr(4), 3, "nesting deeper than 3 levels"},
		{"mixed", resp(nested("<value><array><data><value><struct><member><name>x</name>", "</member></struct></value></data></array></value>", "<value/>", 3)), 5, "nesting deeper than 5 levels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeResponse(strings.NewReader(tc.in), Limits{MaxDepth: tc.max})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrTooDeep) || err.Error() != tc.wantErr {
				t.Fatalf("err = %v, want ErrTooDeep %q", err, tc.wantErr)
			}
		})
	}
}

func TestNestingLimitHugeInput(t *testing.T) {
	const depth = 100000
	body := "<methodCall><methodName>x</methodName><params><param>" +
		nested("<value><array><data>", "</data></array></value>", "", depth) + "</param></params></methodCall>"
	start := time.Now()
	_, err := DecodeCall(strings.NewReader(body), Limits{MaxBodyBytes: int64(len(body))})
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("err = %v, want ErrTooDeep", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v to refuse deep nesting", d)
	}
	// Elements that are not values nest without limit in XML; make sure
	// they are refused at once too.
	body = "<methodCall>" + strings.Repeat("<x>", depth)
	if _, err := DecodeCall(strings.NewReader(body), Limits{}); err == nil ||
		!strings.Contains(err.Error(), "unexpected element <x> in <methodCall>") {
		t.Fatalf("err = %v", err)
	}
}

// A reader error other than EOF comes back as is.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestReaderError(t *testing.T) {
	_, err := DecodeCall(failingReader{}, Limits{})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v", err)
	}
}
