package api

import (
	"fmt"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// Args are a call's bound arguments. The typed getters record the first type
// error and return a zero value, so a handler reads all its arguments and then
// checks Err once.
type Args struct {
	method  string
	vals    map[string]any
	given   map[string]bool
	varargs []any
	kw      map[string]any
	err     error
}

// Err is the first conversion error, a ParameterError naming the argument.
func (a *Args) Err() error { return a.err }

// Given reports whether the caller passed name (rather than its default).
func (a *Args) Given(name string) bool { return a.given[name] }

// Value is the raw bound value.
func (a *Args) Value(name string) any { return a.vals[name] }

// VarArgs are the extra positional arguments (*args).
func (a *Args) VarArgs() []any { return a.varargs }

// Kwargs are the extra keyword arguments (**kw).
func (a *Args) Kwargs() map[string]any { return a.kw }

func (a *Args) fail(name, want string, v any) {
	if a.err == nil {
		a.err = hub.ParameterError("%s(): argument '%s' must be %s, not %s", a.method, name, want, typeName(v))
	}
}

// Int reads an integer argument. Python bools are ints, so they pass too.
func (a *Args) Int(name string) int64 {
	v := a.vals[name]
	if n, ok := toInt(v); ok {
		return n
	}
	a.fail(name, "an integer", v)
	return 0
}

// OptInt reads an integer argument that may be None.
func (a *Args) OptInt(name string) *int64 {
	v := a.vals[name]
	if v == nil {
		return nil
	}
	if n, ok := toInt(v); ok {
		return &n
	}
	a.fail(name, "an integer or None", v)
	return nil
}

// CastInt reads an argument Koji passes through int() (its convert_value
// with cast=int): an integer, a bool, a float (truncated) or a string of
// digits, so the CLI's string ids work, e.g. koji repoinfo 3.
func (a *Args) CastInt(name string) int64 {
	n, err := intOf(a.vals[name])
	if err != nil && a.err == nil {
		a.err = err
	}
	return n
}

// OptCastInt is CastInt for an argument that may be None.
func (a *Args) OptCastInt(name string) *int64 {
	if a.vals[name] == nil {
		return nil
	}
	n := a.CastInt(name)
	return &n
}

// intOf is Koji's convert_value(v, cast=int), with its faults.
func intOf(v any) (int64, error) {
	if v == nil {
		return 0, hub.ParameterError("Invalid type, expected type <class 'int'>")
	}
	if n, ok := intLike(v); ok {
		return n, nil
	}
	if x, ok := v.(float64); ok && x == x && x < 9.2e18 && x > -9.2e18 { // not NaN, in range
		return int64(x), nil
	}
	return 0, hub.ParameterError("Invalid type for value '%s': %s, expected type <class 'int'>", pyStr(v), pyClass(v))
}

// Float reads a number.
func (a *Args) Float(name string) float64 {
	switch x := a.vals[name].(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	a.fail(name, "a number", a.vals[name])
	return 0
}

// Bool reads an argument by Python truthiness, as Koji does.
func (a *Args) Bool(name string) bool { return truthy(a.vals[name]) }

// OptBool is nil when the argument is None.
func (a *Args) OptBool(name string) *bool {
	v := a.vals[name]
	if v == nil {
		return nil
	}
	b := truthy(v)
	return &b
}

// String reads a string argument.
func (a *Args) String(name string) string {
	v := a.vals[name]
	if s, ok := v.(string); ok {
		return s
	}
	a.fail(name, "a string", v)
	return ""
}

// OptString reads a string argument that may be None.
func (a *Args) OptString(name string) *string {
	v := a.vals[name]
	if v == nil {
		return nil
	}
	if s, ok := v.(string); ok {
		return &s
	}
	a.fail(name, "a string or None", v)
	return nil
}

// Map reads a struct argument; None gives nil.
func (a *Args) Map(name string) map[string]any {
	v := a.vals[name]
	if v == nil {
		return nil
	}
	if m, ok := v.(map[string]any); ok {
		return m
	}
	a.fail(name, "a struct or None", v)
	return nil
}

// List reads an array argument; None gives nil.
func (a *Args) List(name string) []any {
	v := a.vals[name]
	if v == nil {
		return nil
	}
	if l, ok := v.([]any); ok {
		return l
	}
	a.fail(name, "an array or None", v)
	return nil
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// truthy reads a flag by Python truthiness, as Koji does.
func truthy(v any) bool { return xmlrpc.Truthy(v) }

// typeName names a decoded value's type as Python would.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case []byte:
		return "Binary"
	}
	return fmt.Sprintf("%T", v)
}
