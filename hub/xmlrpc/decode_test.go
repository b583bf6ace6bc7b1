package xmlrpc

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeValues(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		name string
		in   string // a <value> element
		want any
	}{
		{"int", "<value><int>42</int></value>", int64(42)},
		{"i4", "<value><i4>-7</i4></value>", int64(-7)},
		{"i8 beyond int32", "<value><i8>1099511627776</i8></value>", int64(1099511627776)},
		{"i1", "<value><i1>3</i1></value>", int64(3)},
		{"i2", "<value><i2>300</i2></value>", int64(300)},
		{"biginteger", "<value><biginteger>-9000000000</biginteger></value>", int64(-9000000000)},
		{"big int up to int64", "<value><int>9223372036854775807</int></value>", int64(math.MaxInt64)},
		{"big negative int", "<value><int>-9223372036854775808</int></value>", int64(math.MinInt64)},
		{"int with spaces and plus", "<value><int> +5\n</int></value>", int64(5)},
		{"boolean 1", "<value><boolean>1</boolean></value>", true},
		{"boolean 0", "<value><boolean>0</boolean></value>", false},
		{"double", "<value><double>2.0</double></value>", 2.0},
		{"double timestamp", "<value><double>1710216388.543129</double></value>", 1710216388.543129},
		{"double exponent", "<value><double>1e-05</double></value>", 1e-05},
		{"float tag", "<value><float>-0.5</float></value>", -0.5},
		{"bigdecimal", "<value><bigdecimal>12.25</bigdecimal></value>", 12.25},
		{"double underflow", "<value><double>1e-400</double></value>", 0.0},
		{"string", "<value><string>f40-build</string></value>", "f40-build"},
		{"string entities", "<value><string>a &amp; b &lt;c&gt; &quot;d&quot; &#233;&#x263A;</string></value>", "a & b <c> \"d\" é☺"},
		{"string keeps whitespace", "<value><string>  two\n lines\t</string></value>", "  two\n lines\t"},
		{"string CR reference kept", "<value><string>a&#13;b</string></value>", "a\rb"},
		{"literal CRLF becomes LF", "<value><string>a\r\nb\rc</string></value>", "a\nb\nc"},
		{"string CDATA", "<value><string><![CDATA[<x> & y]]></string></value>", "<x> & y"},
		{"string around comment", "<value><string>ab<!-- note -->cd</string></value>", "abcd"},
		{"empty string", "<value><string></string></value>", ""},
		{"self-closed string", "<value><string/></value>", ""},
		{"untyped value is a string", "<value>hello</value>", "hello"},
		{"untyped value keeps whitespace", "<value>  spaced out \n</value>", "  spaced out \n"},
		{"empty untyped value", "<value></value>", ""},
		{"self-closed value", "<value/>", ""},
		{"nil", "<value><nil/></value>", nil},
		{"nil with whitespace around", "<value>\n  <nil/>\n</value>", nil},
		{"ex:nil undeclared prefix", "<value><ex:nil/></value>", nil},
		{"ex:nil declared prefix", `<value><ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/></value>`, nil},
		{"ex:i8", "<value><ex:i8>4294967296</ex:i8></value>", int64(4294967296)},
		{"default namespace", `<value xmlns="urn:x"><int>1</int></value>`, int64(1)},
		{"base64", "<value><base64>aGVsbG8=</base64></value>", []byte("hello")},
		{"base64 python line breaks", "<value><base64>\nYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5emFiY2Rl\nZmdo\n</base64></value>",
			[]byte("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefgh")},
		{"base64 unpadded", "<value><base64>aGk</base64></value>", []byte("hi")},
		{"base64 empty", "<value><base64></base64></value>", []byte{}},
		{"dateTime compact", "<value><dateTime.iso8601>20240312T00:06:28</dateTime.iso8601></value>", utc(2024, 3, 12, 0, 6, 28)},
		{"dateTime dashed", "<value><dateTime.iso8601>2024-03-12T00:06:28</dateTime.iso8601></value>", utc(2024, 3, 12, 0, 6, 28)},
		{"dateTime Z", "<value><dateTime.iso8601>20240312T00:06:28Z</dateTime.iso8601></value>", utc(2024, 3, 12, 0, 6, 28)},
		{"dateTime offset", "<value><dateTime.iso8601>2024-03-12T00:06:28-04:00</dateTime.iso8601></value>", utc(2024, 3, 12, 4, 6, 28)},
		{"dateTime offset no colon", "<value><dateTime.iso8601>20240312T00:06:28+0130</dateTime.iso8601></value>", utc(2024, 3, 11, 22, 36, 28)},
		{"dateTime fraction dropped", "<value><dateTime.iso8601>20240312T00:06:28.541893</dateTime.iso8601></value>", utc(2024, 3, 12, 0, 6, 28)},
		{"dateTime no colons", "<value><dateTime.iso8601> 20240312T000628 </dateTime.iso8601></value>", utc(2024, 3, 12, 0, 6, 28)},
		{"empty array", "<value><array><data></data></array></value>", []any{}},
		{"empty array no data", "<value><array/></value>", []any{}},
		{"empty struct", "<value><struct></struct></value>", map[string]any{}},
		{"array", "<value><array><data>\n<value><int>1</int></value>\n<value>x</value>\n<value><nil/></value></data></array></value>",
			[]any{int64(1), "x", nil}},
		{"struct", "<value><struct>\n<member>\n<name>id</name>\n<value><int>1</int></value>\n</member>\n<member><name>name</name><value><string>f40</string></value></member>\n</struct></value>",
			map[string]any{"id": int64(1), "name": "f40"}},
		{"struct value before name", "<value><struct><member><value><int>1</int></value><name>id</name></member></struct></value>",
			map[string]any{"id": int64(1)}},
		{"struct duplicate member last wins", "<value><struct><member><name>a</name><value><int>1</int></value></member><member><name>a</name><value><int>2</int></value></member></struct></value>",
			map[string]any{"a": int64(2)}},
		{"struct name whitespace kept", "<value><struct><member><name> a </name><value/></member></struct></value>",
			map[string]any{" a ": ""}},
		{"nested", "<value><array><data><value><struct><member><name>x</name><value><array><data><value><boolean>1</boolean></value></data></array></value></member></struct></value></data></array></value>",
			[]any{map[string]any{"x": []any{true}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeResp(resp(tc.in))
			if err != nil {
				t.Fatalf("decode %s: %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("decode %s\n got %#v\nwant %#v", tc.in, got, tc.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	const hdr = "<?xml version='1.0'?>\n"
	tests := []struct {
		name, in, want string
	}{
		{"boolean true", resp("<value><boolean>true</boolean></value>"), `invalid boolean value "true"`},
		{"boolean with space", resp("<value><boolean> 1</boolean></value>"), `invalid boolean value " 1"`},
		{"boolean 2", resp("<value><boolean>2</boolean></value>"), `invalid boolean value "2"`},
		{"int beyond int64", resp("<value><int>9223372036854775808</int></value>"), `integer value "9223372036854775808" does not fit in 64 bits`},
		{"i8 beyond int64", resp("<value><i8>-99999999999999999999</i8></value>"), "does not fit in 64 bits"},
		{"int garbage", resp("<value><int>12a</int></value>"), `invalid integer value "12a"`},
		{"int empty", resp("<value><int></int></value>"), `invalid integer value ""`},
		{"double nan", resp("<value><double>nan</double></value>"), `invalid double value "nan"`},
		{"double inf", resp("<value><double>inf</double></value>"), `invalid double value "inf"`},
		{"double overflow", resp("<value><double>1e999</double></value>"), `invalid double value "1e999"`},
		{"double garbage", resp("<value><double>x</double></value>"), `invalid double value "x"`},
		{"base64 garbage", resp("<value><base64>!!!!</base64></value>"), "invalid base64 value"},
		{"dateTime garbage", resp("<value><dateTime.iso8601>yesterday</dateTime.iso8601></value>"), `invalid dateTime.iso8601 value "yesterday"`},
		{"dateTime bad day", resp("<value><dateTime.iso8601>20240230T00:00:00</dateTime.iso8601></value>"), "invalid dateTime.iso8601 value"},
		{"dateTime out of range", resp("<value><dateTime.iso8601>00000101T00:00:00+01:00</dateTime.iso8601></value>"), "out of range"},
		{"unknown type", resp("<value><foo>1</foo></value>"), "unexpected element <foo> in <value>"},
		{"two types", resp("<value><int>1</int><int>2</int></value>"), "unexpected element <int> in <value>"},
		{"text before type", resp("<value>x<int>1</int></value>"), `unexpected text "x" before <int> in <value>`},
		{"text after type", resp("<value><int>1</int>x</value>"), `unexpected text "x" in <value>`},
		{"element in int", resp("<value><int><b/></int></value>"), "unexpected element <b> in <int>"},
		{"element in string", resp("<value><string>a<b>c</b></string></value>"), "unexpected element <b> in <string>"},
		{"member without name", resp("<value><struct><member><value/></member></struct></value>"), "<member> without <name>"},
		{"member without value", resp("<value><struct><member><name>a</name></member></struct></value>"), `<member> "a" without <value>`},
		{"member two names", resp("<value><struct><member><name>a</name><name>b</name><value/></member></struct></value>"), "unexpected element <name> in <member>"},
		{"value directly in struct", resp("<value><struct><value/></struct></value>"), "unexpected element <value> in <struct>"},
		{"value directly in array", resp("<value><array><value/></array></value>"), "unexpected element <value> in <array>"},
		{"two data", resp("<value><array><data/><data/></array></value>"), "unexpected element <data> in <array>"},
		{"text in struct", resp("<value><struct>oops</struct></value>"), `unexpected text "oops" in <struct>`},
		{"param without value", hdr + "<methodResponse><params><param></param></params></methodResponse>", "<param> without <value>"},
		{"param with two values", hdr + "<methodResponse><params><param><value/><value/></param></params></methodResponse>", "unexpected element <value> in <param>"},
		{"response with two params", hdr + "<methodResponse><params><param><value/></param><param><value/></param></params></methodResponse>", "exactly one <param>, found 2"},
		{"response with no params", hdr + "<methodResponse><params></params></methodResponse>", "exactly one <param>, found 0"},
		{"empty response", hdr + "<methodResponse></methodResponse>", "neither <params> nor <fault>"},
		{"params and fault", hdr + "<methodResponse><params><param><value/></param></params><fault/></methodResponse>", "unexpected element <fault> in <methodResponse>"},
		{"fault not struct", hdr + "<methodResponse><fault><value><int>1</int></value></fault></methodResponse>", "<fault> value is not a struct"},
		{"fault without code", hdr + "<methodResponse><fault><value><struct><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>", "no integer faultCode"},
		{"fault string not string", hdr + "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value><int>1</int></value></member></struct></value></fault></methodResponse>", "no string faultString"},
		{"wrong root", hdr + "<methodCall><methodName>x</methodName></methodCall>", "expected <methodResponse>, found <methodCall>"},
		{"empty body", "", "empty response body"},
		{"only whitespace", " \n ", "empty response body"},
		{"not xml", "this is not xml", `unexpected text "this is not xml" before <methodResponse>`},
		{"mismatched tag", resp("<value><string>x</value>"), "mismatched tag: <string> closed by </value>"},
		{"mismatched prefix", resp("<value><ex:nil></nil></value>"), "mismatched tag: <ex:nil> closed by </nil>"},
		{"truncated", hdr + "<methodResponse><params>", "unexpected end of response body inside <params>"},
		{"truncated in text", hdr + "<methodResponse><params><param><value><string>abc", "unexpected end of response body inside <string>"},
		{"truncated in tag", hdr + "<methodResponse><params><param><val", "XML syntax error"},
		{"junk after root", resp("<value/>") + "<extra/>", "unexpected element <extra> after </methodResponse>"},
		{"text after root", resp("<value/>") + "trailing", `unexpected text "trailing" after </methodResponse>`},
		{"undefined entity", resp("<value><string>&bogus;</string></value>"), "invalid character entity &bogus;"},
		{"illegal char ref", resp("<value><string>&#1;</string></value>"), "illegal character code"},
		{"invalid utf-8", resp("<value><string>\xff</string></value>"), "invalid UTF-8"},
		{"xml 1.1", "<?xml version='1.1'?><methodResponse/>", "unsupported version"},
		{"unknown encoding", "<?xml version='1.0' encoding='koi8-r'?><methodResponse/>", "koi8-r"},
		{"long text is clipped", resp("<value><int>" + strings.Repeat("9", 500) + "</int></value>"), `..."`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := decodeResp(tc.in)
			if err == nil {
				t.Fatalf("decoded %q to %#v, want error containing %q", tc.in, v, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			var f *Fault
			if errors.As(err, &f) {
				t.Fatalf("decode error is a *Fault: %v", err)
			}
		})
	}
}

func TestDecodeCall(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Call
	}{
		{"params", `<?xml version="1.0"?><methodCall><methodName>getTag</methodName><params><param><value><string>f40</string></value></param></params></methodCall>`,
			&Call{"getTag", []any{"f40"}}},
		{"empty params element", "<?xml version='1.0'?>\n<methodCall>\n<methodName>getLastEvent</methodName>\n<params>\n</params>\n</methodCall>\n",
			&Call{"getLastEvent", []any{}}},
		{"self-closed params", "<methodCall><methodName>getAPIVersion</methodName><params/></methodCall>",
			&Call{"getAPIVersion", []any{}}},
		{"missing params", "<methodCall><methodName>getAPIVersion</methodName></methodCall>",
			&Call{"getAPIVersion", []any{}}},
		{"params before name", "<methodCall><params><param><value><int>1</int></value></param></params><methodName>echo</methodName></methodCall>",
			&Call{"echo", []any{int64(1)}}},
		{"no xml declaration, comments", "<!-- hi --><methodCall><methodName>hello</methodName><!-- x --></methodCall>\n<!-- bye -->\n",
			&Call{"hello", []any{}}},
		{"kwargs stay in params", "<methodCall><methodName>getBuild</methodName><params><param><value><i8>1099511627776</i8></value></param><param><value><struct><member><name>strict</name><value><boolean>0</boolean></value></member><member><name>__starstar</name><value><boolean>1</boolean></value></member></struct></value></param></params></methodCall>",
			&Call{"getBuild", []any{int64(1099511627776), map[string]any{"strict": false, "__starstar": true}}}},
		{"latin-1", "<?xml version='1.0' encoding='ISO-8859-1'?><methodCall><methodName>echo</methodName><params><param><value>caf\xe9</value></param></params></methodCall>",
			&Call{"echo", []any{"café"}}},
		{"byte order mark", "\uFEFF<?xml version='1.0'?><methodCall><methodName>echo</methodName></methodCall>",
			&Call{"echo", []any{}}},
		{"ascii", "<?xml version='1.0' encoding='us-ascii'?><methodCall><methodName>echo</methodName></methodCall>",
			&Call{"echo", []any{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeCall(strings.NewReader(tc.in), Limits{})
			if err != nil {
				t.Fatalf("DecodeCall: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestDecodeCallErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"missing methodName", "<methodCall><params/></methodCall>", "missing <methodName> in <methodCall>"},
		{"two methodNames", "<methodCall><methodName>a</methodName><methodName>b</methodName></methodCall>", "more than one <methodName>"},
		{"two params", "<methodCall><methodName>a</methodName><params/><params/></methodCall>", "more than one <params>"},
		{"unknown child", "<methodCall><methodName>a</methodName><foo/></methodCall>", "unexpected element <foo> in <methodCall>"},
		{"value in params", "<methodCall><methodName>a</methodName><params><value/></params></methodCall>", "unexpected element <value> in <params>"},
		{"element in methodName", "<methodCall><methodName><b/></methodName></methodCall>", "unexpected element <b> in <methodName>"},
		{"response instead of call", resp("<value/>"), "expected <methodCall>, found <methodResponse>"},
		{"other root", `<?xml version="1.0"?><hello><world/></hello>`, "expected <methodCall>, found <hello>"},
		{"empty", "", "empty request body"},
		{"unclosed", "<methodCall><methodName>a</methodName>", "unexpected end of request body inside <methodCall>"},
		{"transcript mismatched tag", `<?xml version="1.0"?><methodCall><methodName>getTag</methodName><params><param><value><string>f40</value></param></params>`, "mismatched tag: <string> closed by </value>"},
		{"bad attribute syntax", `<methodCall a=b><methodName>x</methodName></methodCall>`, "XML syntax error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := DecodeCall(strings.NewReader(tc.in), Limits{})
			if err == nil {
				t.Fatalf("decoded %q to %#v, want error containing %q", tc.in, c, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestDecodeFault(t *testing.T) {
	in := `<?xml version='1.0'?>
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
<member><name>traceback</name><value><array><data></data></array></value></member>
</struct></value>
</fault>
</methodResponse>
`
	v, err := decodeResp(in)
	if v != nil {
		t.Errorf("value = %#v, want nil", v)
	}
	var f *Fault
	if !errors.As(err, &f) {
		t.Fatalf("err = %v (%T), want *Fault", err, err)
	}
	want := &Fault{Code: 1002, String: "Invalid session or bad credentials"}
	if *f != *want {
		t.Fatalf("fault = %#v, want %#v", f, want)
	}
	if got := f.Error(); got != "Fault 1002: Invalid session or bad credentials" {
		t.Fatalf("Error() = %q", got)
	}
}
