package xmlrpc

import "strconv"

// Fault is an XML-RPC fault. Koji clients choose their reaction from Code
// (1007 re-login, 1014 retry, ...), so it is kept exactly as sent.
//
// The field tags make a Fault placed inside a value (a failed multiCall
// entry) encode as the {faultCode, faultString} struct Koji uses there.
type Fault struct {
	Code   int    `xmlrpc:"faultCode"`
	String string `xmlrpc:"faultString"`
}

// Error returns "Fault <code>: <string>".
func (f *Fault) Error() string {
	return "Fault " + strconv.Itoa(f.Code) + ": " + f.String
}
