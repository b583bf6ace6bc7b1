package xmlrpc

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// More seeds, taken from the recorded Koji traffic, are in testdata/fuzz.
var fuzzSeeds = []string{
	"",
	"<methodCall><methodName>getAPIVersion</methodName></methodCall>",
	"<?xml version='1.0'?>\n<methodCall>\n<methodName>getLastEvent</methodName>\n<params>\n</params>\n</methodCall>\n",
	`<?xml version="1.0"?><methodCall><methodName>getBuild</methodName><params><param><value><i8>1099511627776</i8></value></param><param><value><struct><member><name>strict</name><value><boolean>0</boolean></value></member><member><name>__starstar</name><value><boolean>1</boolean></value></member></struct></value></param></params></methodCall>`,
	"<methodCall><methodName>echo</methodName><params><param><value>untyped &amp; &#13;</value></param><param><value><ex:nil/></value></param>" +
		"<param><value><double>1e-05</double></value></param><param><value><base64>aGk=\n</base64></value></param>" +
		"<param><value><dateTime.iso8601>20240312T00:06:28</dateTime.iso8601></value></param>" +
		"<param><value><array><data><value><int>-2147483649</int></value><value><string/></value></data></array></value></param></params></methodCall>",
	resp("<value><struct>\n<member>\n<name>session-id</name>\n<value><int>1</int></value>\n</member>\n<member>\n<name>header-auth</name>\n<value><boolean>1</boolean></value>\n</member>\n</struct></value>\n"),
	resp("<value><array><data>\n<value><array><data>\n<value><nil/></value></data></array></value>\n</data></array></value>\n"),
	"<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>1000</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>Invalid method: x</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n",
	`<!DOCTYPE x [<!ENTITY a "b">]><methodResponse/>`,
}

// roomy limits for decoding what we re-encoded: escaping can make a
// document longer than the input was.
var roomy = Limits{MaxBodyBytes: 1 << 30}

func FuzzDecodeCall(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCall(bytes.NewReader(data), Limits{})
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := EncodeCall(&buf, c.Method, c.Params); err != nil {
			t.Fatalf("cannot re-encode %#v: %v", c, err)
		}
		c2, err := DecodeCall(&buf, roomy)
		if err != nil {
			t.Fatalf("cannot decode re-encoded call: %v", err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip changed the call:\n%#v\n%#v", c, c2)
		}
	})
}

func FuzzDecodeResponse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeResponse(bytes.NewReader(data), Limits{})
		var fault *Fault
		if errors.As(err, &fault) {
			var buf bytes.Buffer
			if err := EncodeFault(&buf, fault); err != nil {
				t.Fatalf("cannot re-encode fault %#v: %v", fault, err)
			}
			_, err := DecodeResponse(&buf, roomy)
			var f2 *Fault
			if !errors.As(err, &f2) || *f2 != *fault {
				t.Fatalf("fault round trip: got %v, want %v", err, fault)
			}
			return
		}
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := EncodeResponse(&buf, v); err != nil {
			t.Fatalf("cannot re-encode %#v: %v", v, err)
		}
		v2, err := DecodeResponse(&buf, roomy)
		if err != nil {
			t.Fatalf("cannot decode re-encoded response: %v", err)
		}
		if !reflect.DeepEqual(v, v2) {
			t.Fatalf("round trip changed the value:\n%#v\n%#v", v, v2)
		}
	})
}
