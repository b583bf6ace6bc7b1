package xmlrpc_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// A hub decodes the call, splits off keyword arguments and answers.
func Example() {
	body := `<?xml version='1.0'?>
<methodCall>
<methodName>getTaskInfo</methodName>
<params>
<param><value><int>1234</int></value></param>
<param><value><struct>
<member><name>request</name><value><boolean>1</boolean></value></member>
<member><name>__starstar</name><value><boolean>1</boolean></value></member>
</struct></value></param>
</params>
</methodCall>`
	call, err := xmlrpc.DecodeCall(strings.NewReader(body), xmlrpc.Limits{})
	if err != nil {
		xmlrpc.EncodeFault(os.Stdout, &xmlrpc.Fault{Code: 1, String: err.Error()})
		return
	}
	args, kwargs := xmlrpc.SplitKwargs(call.Params)
	fmt.Println(call.Method, args, kwargs)

	xmlrpc.EncodeResponse(os.Stdout, map[string]any{"id": args[0], "state": 1, "weight": 1.0})
	// Output:
	// getTaskInfo [1234] map[request:true]
	// <?xml version='1.0'?>
	// <methodResponse>
	// <params>
	// <param>
	// <value><struct>
	// <member>
	// <name>id</name>
	// <value><int>1234</int></value>
	// </member>
	// <member>
	// <name>state</name>
	// <value><int>1</int></value>
	// </member>
	// <member>
	// <name>weight</name>
	// <value><double>1.0</double></value>
	// </member>
	// </struct></value>
	// </param>
	// </params>
	// </methodResponse>
}

func ExampleEncodeFault() {
	xmlrpc.EncodeFault(os.Stdout, &xmlrpc.Fault{Code: 1000, String: "Invalid method: nope"})
	// Output:
	// <?xml version='1.0'?>
	// <methodResponse>
	// <fault>
	// <value><struct>
	// <member>
	// <name>faultCode</name>
	// <value><int>1000</int></value>
	// </member>
	// <member>
	// <name>faultString</name>
	// <value><string>Invalid method: nope</string></value>
	// </member>
	// </struct></value>
	// </fault>
	// </methodResponse>
}
