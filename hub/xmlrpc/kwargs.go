package xmlrpc

import "time"

// starstar marks the struct that carries keyword arguments (Python's **kw).
const starstar = "__starstar"

// SplitKwargs applies Koji's keyword-argument convention: the LAST param, if
// it is a struct with a truthy "__starstar" member, holds keyword arguments.
// Any other struct, including one whose marker is false, is an ordinary
// positional value. kwargs is nil when there are none; the marker is not
// included. params is not modified, and appending to positional cannot
// overwrite it.
func SplitKwargs(params []any) (positional []any, kwargs map[string]any) {
	if len(params) == 0 {
		return params, nil
	}
	n := len(params) - 1
	m, ok := params[n].(map[string]any)
	if !ok || !Truthy(m[starstar]) {
		return params, nil
	}
	kwargs = make(map[string]any, len(m))
	for k, v := range m {
		if k != starstar {
			kwargs[k] = v // nil values stay: they mean "passed as None"
		}
	}
	return params[:n:n], kwargs
}

// WithKwargs returns params followed by a keyword struct holding kw plus
// __starstar=true, as the Python client sends keyword arguments. With no
// keywords it returns params unchanged, again like the Python client.
// Neither params nor kw is modified.
func WithKwargs(params []any, kw map[string]any) []any {
	if len(kw) == 0 {
		return params
	}
	m := make(map[string]any, len(kw)+1)
	for k, v := range kw {
		m[k] = v
	}
	m[starstar] = true
	out := make([]any, len(params), len(params)+1)
	copy(out, params)
	return append(out, m)
}

// Truthy is Python's bool() over decoded values. Koji tests flags this way
// (the kwargs marker: `if last.get('__starstar')`; strict=1; opts values).
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case int:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []byte:
		return len(x) != 0
	case []any:
		return len(x) != 0
	case map[string]any:
		return len(x) != 0
	case time.Time:
		return true
	}
	return true
}
