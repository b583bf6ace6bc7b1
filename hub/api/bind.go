package api

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gokoji/gokoji/hub"
)

// bind matches positional and keyword arguments to the declared parameters by
// Python's rules, which is what Koji clients expect. Failures are
// ParameterError (1019) worded as Python words them, because clients look for
// "got an unexpected keyword argument" to detect old hubs.
func (m *Method) bind(positional []any, kwargs map[string]any) (*Args, error) {
	a := &Args{method: m.Name, vals: make(map[string]any, len(m.Params)), given: map[string]bool{}}
	n := len(m.Params)
	if len(positional) > n {
		if m.VarArgs == "" {
			return nil, hub.ParameterError("%s() takes %s but %d %s given",
				m.Name, plural(n, "positional argument"), len(positional), wasWere(len(positional)))
		}
		a.varargs = positional[n:]
		positional = positional[:n]
	}
	for i, v := range positional {
		a.vals[m.Params[i].Name] = v
		a.given[m.Params[i].Name] = true
	}
	// Sorted so that the first bad keyword named is the same on every run.
	for _, k := range sortedKeys(kwargs) {
		v := kwargs[k]
		if idx := m.paramIndex(k); idx >= 0 {
			if a.given[k] {
				return nil, hub.ParameterError("%s() got multiple values for argument '%s'", m.Name, k)
			}
			a.vals[k] = v
			a.given[k] = true
			continue
		}
		if m.VarKW == "" {
			return nil, hub.ParameterError("%s() got an unexpected keyword argument '%s'", m.Name, k)
		}
		if a.kw == nil {
			a.kw = map[string]any{}
		}
		a.kw[k] = v
	}
	var missing []string
	for _, p := range m.Params {
		if a.given[p.Name] {
			continue
		}
		if !p.Optional {
			missing = append(missing, "'"+p.Name+"'")
			continue
		}
		a.vals[p.Name] = p.Default
	}
	if len(missing) > 0 {
		return nil, hub.ParameterError("%s() missing %d required positional %s: %s",
			m.Name, len(missing), pluralWord(len(missing), "argument"), joinPython(missing))
	}
	return a, nil
}

func (m *Method) paramIndex(name string) int {
	for i, p := range m.Params {
		if p.Name == name {
			return i
		}
	}
	return -1
}

func plural(n int, word string) string { return fmt.Sprintf("%d %s", n, pluralWord(n, word)) }

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// joinPython joins like Python's messages: 'a', 'b' and 'c'.
func joinPython(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
