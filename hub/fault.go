// Package hub holds the hub's domain vocabulary: Koji's fault kinds, state numbers
// and the shapes shared by the store, the method registry and the server. It does
// no I/O.
package hub

import (
	"errors"
	"fmt"
)

// Koji's fault codes. Each Koji exception class maps to one number; clients pick
// their behaviour (re-login, retry, fallback) from the number, so these must not change.
const (
	CodeInternal           = 1 // any non-Koji error inside the hub
	CodeGeneric            = 1000
	CodeLock               = 1001
	CodeAuth               = 1002
	CodeTag                = 1003
	CodeActionNotAllowed   = 1004
	CodeBuild              = 1005
	CodeAuthLock           = 1006
	CodeAuthExpired        = 1007
	CodeSequence           = 1008
	CodeRetry              = 1009
	CodePreBuild           = 1010
	CodePostBuild          = 1011
	CodeBuildroot          = 1012
	CodeFunctionDeprecated = 1013
	CodeServerOffline      = 1014
	CodeLiveCD             = 1015
	CodePlugin             = 1016
	CodeCallback           = 1017
	CodeAppliance          = 1018
	CodeParameter          = 1019
	CodeImport             = 1020
	CodeConfiguration      = 1021
	CodeLiveMedia          = 1022
	CodeGSSAPIAuth         = 1023
	CodeNameValidation     = 1024
)

// Fault is an error that reaches the client as an XML-RPC fault with Koji's code.
type Fault struct {
	Code int
	Msg  string
}

func (f *Fault) Error() string { return f.Msg }

// ClassName is the Koji exception class for the code, as the CLI prints it.
func (f *Fault) ClassName() string {
	if n, ok := faultNames[f.Code]; ok {
		return n
	}
	return "Fault"
}

var faultNames = map[int]string{
	CodeGeneric: "GenericError", CodeLock: "LockError", CodeAuth: "AuthError",
	CodeTag: "TagError", CodeActionNotAllowed: "ActionNotAllowed", CodeBuild: "BuildError",
	CodeAuthLock: "AuthLockError", CodeAuthExpired: "AuthExpired", CodeSequence: "SequenceError",
	CodeRetry: "RetryError", CodePreBuild: "PreBuildError", CodePostBuild: "PostBuildError",
	CodeBuildroot: "BuildrootError", CodeFunctionDeprecated: "FunctionDeprecated",
	CodeServerOffline: "ServerOffline", CodeLiveCD: "LiveCDError", CodePlugin: "PluginError",
	CodeCallback: "CallbackError", CodeAppliance: "ApplianceError", CodeParameter: "ParameterError",
	CodeImport: "ImportError", CodeConfiguration: "ConfigurationError", CodeLiveMedia: "LiveMediaError",
	CodeGSSAPIAuth: "GSSAPIAuthError", CodeNameValidation: "NameValidationError",
}

// Errorf builds a fault of the given code.
func Errorf(code int, format string, args ...any) *Fault {
	return &Fault{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// GenericError is the most common fault: a lookup that failed, a bad value.
func GenericError(format string, args ...any) *Fault {
	return Errorf(CodeGeneric, format, args...)
}

// ParameterError is for arguments that do not bind or have the wrong type.
func ParameterError(format string, args ...any) *Fault {
	return Errorf(CodeParameter, format, args...)
}

// AuthError is for failed authentication.
func AuthError(format string, args ...any) *Fault {
	return Errorf(CodeAuth, format, args...)
}

// NotAllowed is for a caller who lacks a permission or a login.
func NotAllowed(format string, args ...any) *Fault {
	return Errorf(CodeActionNotAllowed, format, args...)
}

// AsFault finds a *Fault in err's chain. Errors that carry none are internal
// (code 1), as in Koji, where any non-Koji exception becomes fault 1.
func AsFault(err error) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	return &Fault{Code: CodeInternal, Msg: fmt.Sprintf("<class 'Exception'>: %v", err)}
}
