package xmlrpc

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type myString string
type myInt int16

func TestEncodeScalars(t *testing.T) {
	var nilPtr *int
	var nilIface error
	five := 5
	tests := []struct {
		name string
		in   any
		want string // the <value> line(s)
	}{
		{"nil", nil, "<value><nil/></value>"},
		{"nil pointer", nilPtr, "<value><nil/></value>"},
		{"nil interface", nilIface, "<value><nil/></value>"},
		{"nil map", map[string]any(nil), "<value><nil/></value>"},
		{"nil typed map", map[string]int(nil), "<value><nil/></value>"},
		{"nil slice", []any(nil), "<value><nil/></value>"},
		{"nil string slice", []string(nil), "<value><nil/></value>"},
		{"nil bytes", []byte(nil), "<value><nil/></value>"},
		{"true", true, "<value><boolean>1</boolean></value>\n"},
		{"false", false, "<value><boolean>0</boolean></value>\n"},
		{"int", 1, "<value><int>1</int></value>\n"},
		{"int32 min", math.MinInt32, "<value><int>-2147483648</int></value>\n"},
		{"int32 max", int64(math.MaxInt32), "<value><int>2147483647</int></value>\n"},
		{"beyond int32", int64(math.MaxInt32) + 1, "<value><i8>2147483648</i8></value>\n"},
		{"below int32", int64(math.MinInt32) - 1, "<value><i8>-2147483649</i8></value>\n"},
		{"int64 min", int64(math.MinInt64), "<value><i8>-9223372036854775808</i8></value>\n"},
		{"int8", int8(-8), "<value><int>-8</int></value>\n"},
		{"named int", myInt(7), "<value><int>7</int></value>\n"},
		{"uint8", uint8(255), "<value><int>255</int></value>\n"},
		{"uint32 max", uint32(math.MaxUint32), "<value><i8>4294967295</i8></value>\n"},
		{"uint64 max int64", uint64(math.MaxInt64), "<value><i8>9223372036854775807</i8></value>\n"},
		{"uintptr", uintptr(9), "<value><int>9</int></value>\n"},
		{"pointer", &five, "<value><int>5</int></value>\n"},
		{"double", 2.0, "<value><double>2.0</double></value>\n"},
		{"float32", float32(0.1), "<value><double>0.1</double></value>\n"},
		{"string", "f40", "<value><string>f40</string></value>\n"},
		{"named string", myString("x<y"), "<value><string>x&lt;y</string></value>\n"},
		{"empty string", "", "<value><string></string></value>\n"},
		{"escapes", `a&b<c>d"e'f`, "<value><string>a&amp;b&lt;c&gt;d\"e'f</string></value>\n"},
		{"whitespace kept, CR escaped", "a\tb\nc\r\nd", "<value><string>a\tb\nc&#13;\nd</string></value>\n"},
		{"control chars replaced", "a\x00b\x1bc\x7f", "<value><string>a\uFFFDb\uFFFDc\x7f</string></value>\n"},
		{"invalid utf-8 replaced", "a\xffb", "<value><string>a\uFFFDb</string></value>\n"},
		{"non-characters replaced", "a\uFFFEb\uFFFF", "<value><string>a\uFFFDb\uFFFD</string></value>\n"},
		{"unicode kept", "café ☺ 𝄞", "<value><string>café ☺ 𝄞</string></value>\n"},
		{"bytes", []byte("hello"), "<value><base64>aGVsbG8=</base64></value>\n"},
		{"empty bytes", []byte{}, "<value><base64></base64></value>\n"},
		{"time", time.Date(2024, 3, 12, 0, 6, 28, 541893000, time.UTC), "<value><dateTime.iso8601>20240312T00:06:28</dateTime.iso8601></value>\n"},
		{"time with zone goes out as UTC", time.Date(2024, 3, 12, 0, 6, 28, 0, time.FixedZone("EDT", -4*3600)), "<value><dateTime.iso8601>20240312T04:06:28</dateTime.iso8601></value>\n"},
		{"time year 5", time.Date(5, 1, 2, 3, 4, 5, 0, time.UTC), "<value><dateTime.iso8601>00050102T03:04:05</dateTime.iso8601></value>\n"},
		{"empty array", []any{}, "<value><array><data>\n</data></array></value>\n"},
		{"array", []any{1, "a", nil}, "<value><array><data>\n<value><int>1</int></value>\n<value><string>a</string></value>\n<value><nil/></value></data></array></value>\n"},
		{"typed slice", []string{"a", "b"}, "<value><array><data>\n<value><string>a</string></value>\n<value><string>b</string></value>\n</data></array></value>\n"},
		{"go array", [2]bool{true, false}, "<value><array><data>\n<value><boolean>1</boolean></value>\n<value><boolean>0</boolean></value>\n</data></array></value>\n"},
		{"empty struct", map[string]any{}, "<value><struct>\n</struct></value>\n"},
		{"map sorted", map[string]any{"b": 2, "a": nil, "c&": "x"},
			"<value><struct>\n<member>\n<name>a</name>\n<value><nil/></value></member>\n<member>\n<name>b</name>\n<value><int>2</int></value>\n</member>\n<member>\n<name>c&amp;</name>\n<value><string>x</string></value>\n</member>\n</struct></value>\n"},
		{"typed map sorted", map[myString]int{"z": 1, "y": 2},
			"<value><struct>\n<member>\n<name>y</name>\n<value><int>2</int></value>\n</member>\n<member>\n<name>z</name>\n<value><int>1</int></value>\n</member>\n</struct></value>\n"},
		{"fault as a value", &Fault{Code: 1000, String: "No such build"},
			"<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1000</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>No such build</string></value>\n</member>\n</struct></value>\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := encodeResp(t, tc.in), resp(tc.want); got != want {
				t.Fatalf("EncodeResponse(%#v)\n got %q\nwant %q", tc.in, got, want)
			}
		})
	}
}

func TestPythonFloatRepr(t *testing.T) {
	// Expected strings are Python 3's repr() of the same values.
	tests := []struct {
		in   float64
		want string
	}{
		{2.0, "2.0"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1710216388.543129, "1710216388.543129"},
		{1795234635.6213796, "1795234635.6213796"},
		{0.1, "0.1"},
		{-1.5, "-1.5"},
		{100, "100.0"},
		{1e-05, "1e-05"},
		{0.0001, "0.0001"},
		{0.00012345, "0.00012345"},
		{1e15, "1000000000000000.0"},
		{9999999999999998.0, "9999999999999998.0"},
		{1e16, "1e+16"},
		{12345678901234567.0, "1.2345678901234568e+16"},
		{123456789012345680.0, "1.2345678901234568e+17"},
		{1e22, "1e+22"},
		{1.5e300, "1.5e+300"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{5e-324, "5e-324"},
		{-2.5e-7, "-2.5e-07"},
		{123.456, "123.456"},
	}
	for _, tc := range tests {
		if got := string(appendPyFloat(nil, tc.in, 64)); got != tc.want {
			t.Errorf("repr(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

type inner struct {
	Z     int    `xmlrpc:"z"`
	Shade string // untagged: field name
}

type Embedded struct {
	E1  string `xmlrpc:"e1"`
	Dup string `xmlrpc:"dup"`
}

type tagged struct {
	ID       int64             `xmlrpc:"id"`
	Name     string            `xmlrpc:"name"`
	Owner    *string           `xmlrpc:"owner"`
	Arches   []string          `xmlrpc:"arches,omitempty"`
	Extra    map[string]any    `xmlrpc:"extra,omitempty"`
	Locked   bool              `xmlrpc:"locked,omitempty"`
	Weight   float64           `xmlrpc:"weight"`
	Skip     string            `xmlrpc:"-"`
	hidden   string            // unexported: never encoded
	Untagged int               // uses the field name
	Inner    inner             `xmlrpc:"inner"`
	When     time.Time         `xmlrpc:"when,omitempty"`
	Any      any               `xmlrpc:"any"`
	Typed    map[string]string `xmlrpc:"typed"`
	Embedded                   // flattened
	*inner                     // flattened through a pointer; nil here
	Dup      string            `xmlrpc:"dup"` // shallower than Embedded.Dup: wins
}

func TestEncodeStructTags(t *testing.T) {
	v := tagged{ID: 3, Name: "f40", Weight: 1.0, Skip: "x", hidden: "h", Untagged: 9,
		Inner: inner{Z: 1, Shade: "s"}, Typed: map[string]string{"k": "v"},
		Embedded: Embedded{E1: "e", Dup: "deep"}, Dup: "top"}
	got, err := decodeResp(encodeResp(t, v))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": int64(3), "name": "f40", "owner": nil, "weight": 1.0, "Untagged": int64(9),
		"inner": map[string]any{"z": int64(1), "Shade": "s"},
		"any":   nil, "typed": map[string]any{"k": "v"},
		"e1": "e", "dup": "top",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}

	// omitempty members come back when set; the embedded pointer is followed.
	owner := "kojiadmin"
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	v.Owner, v.Arches, v.Extra, v.Locked, v.When = &owner, []string{"x86_64"}, map[string]any{"a": 1}, true, when
	v.inner = &inner{Z: 2, Shade: "p"}
	got, err = decodeResp(encodeResp(t, &v))
	if err != nil {
		t.Fatal(err)
	}
	want["owner"], want["arches"], want["extra"], want["locked"], want["when"] = "kojiadmin", []any{"x86_64"}, map[string]any{"a": int64(1)}, true, when
	want["z"], want["Shade"] = int64(2), "p"
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

func TestEncodeStructLayout(t *testing.T) {
	type pair struct {
		B int    `xmlrpc:"b"`
		A string `xmlrpc:"a&"`
	}
	// Declaration order, not sorted; names escaped.
	want := resp("<value><struct>\n<member>\n<name>b</name>\n<value><int>1</int></value>\n</member>\n<member>\n<name>a&amp;</name>\n<value><string>x</string></value>\n</member>\n</struct></value>\n")
	if got := encodeResp(t, pair{1, "x"}); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestEncodeFieldConflicts(t *testing.T) {
	type A struct {
		X int
		Y int `xmlrpc:"y"`
	}
	type B struct {
		X int
		Y int
	}
	type both struct {
		A
		B
	}
	// X is ambiguous (two untagged fields at the same depth) and is dropped,
	// as encoding/json does. "y" and "Y" are different names: both stay.
	got, err := decodeResp(encodeResp(t, both{A{1, 2}, B{3, 4}}))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"y": int64(2), "Y": int64(4)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func TestEncodeErrors(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	cyclicSlice := []any{nil}
	cyclicSlice[0] = cyclicSlice
	type withChan struct {
		C chan int `xmlrpc:"c"`
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"NaN", math.NaN(), "cannot encode NaN"},
		{"+Inf", math.Inf(1), "cannot encode +Inf"},
		{"float32 -Inf", float32(math.Inf(-1)), "cannot encode -Inf"},
		{"uint64 beyond int64", uint64(math.MaxInt64) + 1, "cannot encode 9223372036854775808"},
		{"int keys", map[int]string{1: "a"}, "struct keys must be strings"},
		{"chan", make(chan int), "cannot encode value of type chan int"},
		{"func", func() {}, "cannot encode value of type func()"},
		{"complex", complex(1, 2), "cannot encode value of type complex128"},
		{"nested bad value names its path", map[string]any{"a": map[string]any{"b": math.NaN()}}, "a: b: cannot encode NaN"},
		{"struct field path", withChan{}, "c: cannot encode value of type chan int"},
		{"year 10000", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "year out of range"},
		{"negative year", time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), "year out of range"},
		{"cyclic map", cyclic, "nested deeper than 10000 levels"},
		{"cyclic slice", cyclicSlice, "nested deeper than 10000 levels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := EncodeResponse(&buf, tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Fatalf("wrote %d bytes despite the error", buf.Len())
			}
			if err := EncodeCall(&buf, "m", []any{tc.in}); err == nil || !strings.Contains(err.Error(), "param 0") {
				t.Fatalf("EncodeCall err = %v", err)
			}
		})
	}
}

func TestEncodeCall(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeCall(&buf, "getTaskInfo", WithKwargs([]any{1234}, map[string]any{"request": true})); err != nil {
		t.Fatal(err)
	}
	want := `<?xml version='1.0'?>
<methodCall>
<methodName>getTaskInfo</methodName>
<params>
<param>
<value><int>1234</int></value>
</param>
<param>
<value><struct>
<member>
<name>__starstar</name>
<value><boolean>1</boolean></value>
</member>
<member>
<name>request</name>
<value><boolean>1</boolean></value>
</member>
</struct></value>
</param>
</params>
</methodCall>
`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}

	buf.Reset()
	if err := EncodeCall(&buf, "getLastEvent", nil); err != nil {
		t.Fatal(err)
	}
	// Byte for byte what the Python client sent (transcript 373).
	want = "<?xml version='1.0'?>\n<methodCall>\n<methodName>getLastEvent</methodName>\n<params>\n</params>\n</methodCall>\n"
	if buf.String() != want {
		t.Fatalf("got %q\nwant %q", buf.String(), want)
	}
}

func TestEncodeFault(t *testing.T) {
	var buf bytes.Buffer
	if err := EncodeFault(&buf, &Fault{Code: 1002, String: "Invalid session or bad credentials"}); err != nil {
		t.Fatal(err)
	}
	// Byte for byte what Koji's hub sent (transcript tasks-and-errors/354).
	want := `<?xml version='1.0'?>
<methodResponse>
<fault>
<value><struct>
<member>
<name>faultCode</name>
<value><int>1002</int></value>
</member>
<member>
<name>faultString</name>
<value><string>Invalid session or bad credentials</string></value>
</member>
</struct></value>
</fault>
</methodResponse>
`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	if err := EncodeFault(&buf, nil); err == nil {
		t.Fatal("EncodeFault(nil) succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeWriteError(t *testing.T) {
	if err := EncodeResponse(failWriter{}, 1); err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v", err)
	}
}

// TestRoundTrip encodes values of every type and decodes them again.
func TestRoundTrip(t *testing.T) {
	when := time.Date(2024, 3, 12, 0, 6, 28, 0, time.UTC)
	tests := []struct {
		name string
		in   any
		want any // what decoding gives back; nil means same as in
	}{
		{"nil", nil, nil},
		{"bool", true, nil},
		{"int64", int64(-42), nil},
		{"int64 big", int64(math.MaxInt64), nil},
		{"int", 7, int64(7)},
		{"uint16", uint16(65535), int64(65535)},
		{"float64", 1795234635.6213796, nil},
		{"float tiny", 5e-324, nil},
		{"float huge", -math.MaxFloat64, nil},
		{"float32", float32(1.5), 1.5},
		{"string", "a & <b> \r\n \t ☺", nil},
		{"bytes", []byte{0, 1, 2, 255}, nil},
		{"empty bytes", []byte{}, nil},
		{"time", when, nil},
		{"array", []any{int64(1), "two", nil, false, 3.5, []any{}, map[string]any{}}, nil},
		{"struct", map[string]any{"id": int64(1), "name": "f40", "extra": map[string]any{"x": []any{nil}}, "": "empty key"}, nil},
		{"typed", map[string][]int{"a": {1, 2}}, map[string]any{"a": []any{int64(1), int64(2)}}},
		{"kwargs", WithKwargs([]any{"f40"}, map[string]any{"event": nil}), []any{"f40", map[string]any{"event": nil, "__starstar": true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if want == nil {
				want = tc.in
			}
			got, err := decodeResp(encodeResp(t, tc.in))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("response round trip: got %#v, want %#v", got, want)
			}
			var buf bytes.Buffer
			if err := EncodeCall(&buf, "echo", []any{tc.in, tc.in}); err != nil {
				t.Fatal(err)
			}
			c, err := DecodeCall(&buf, Limits{})
			if err != nil {
				t.Fatalf("DecodeCall: %v", err)
			}
			if wantCall := (&Call{"echo", []any{want, want}}); !reflect.DeepEqual(c, wantCall) {
				t.Fatalf("call round trip: got %#v, want %#v", c, wantCall)
			}
		})
	}
}

// A marshalled response reports its size and writes the same document as
// EncodeResponse, whether it fits one chunk or spans many.
func TestMarshalResponse(t *testing.T) {
	big := make([]map[string]any, 5000)
	for i := range big {
		big[i] = map[string]any{"id": int64(i), "nvr": strings.Repeat("x", i%50) + "-1.0-1"}
	}
	for _, tc := range []struct {
		name      string
		v         any
		minChunks int
	}{
		{"small", "hello", 1},
		{"big", big, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want bytes.Buffer
			if err := EncodeResponse(&want, tc.v); err != nil {
				t.Fatal(err)
			}
			r, err := MarshalResponse(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.chunks) < tc.minChunks {
				t.Errorf("%d chunks, want at least %d", len(r.chunks), tc.minChunks)
			}
			var got bytes.Buffer
			n, err := r.WriteTo(&got)
			if err != nil {
				t.Fatal(err)
			}
			if r.Len() != want.Len() || n != int64(want.Len()) || !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("Len %d, wrote %d bytes, want the %d bytes of EncodeResponse", r.Len(), n, want.Len())
			}
		})
	}
}
