// Package api is the hub's method registry. Every Koji method is declared here
// once — name, parameters with defaults, access rule, doc and handler — and
// dispatch, keyword binding, _listapi, system.methodHelp and the docs' API table
// are all derived from those declarations.
package api

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Param is one declared parameter. A parameter without Optional is required.
type Param struct {
	Name     string
	Optional bool
	Default  any  // Python-visible default: nil, bool, int64, string
	Ext      bool // our extension: Koji has no such parameter (always optional, last)
}

// P declares a required parameter.
func P(name string) Param { return Param{Name: name} }

// Opt declares a parameter with a default.
func Opt(name string, def any) Param { return Param{Name: name, Optional: true, Default: def} }

// Ext declares an extension parameter, a trailing keyword old clients never send.
func Ext(name string, def any) Param {
	return Param{Name: name, Optional: true, Default: def, Ext: true}
}

// Access is who may call a method. Handlers may check more (e.g. "admin or
// the user themself"); this is the rule every call passes first.
type Access struct {
	Login bool   // a logged-in session is needed
	Perm  string // this permission (or admin) is needed; implies Login
	// OrPerm, when set, lets holders of this other permission in too.
	OrPerm string
	Host   bool // the caller must be a build host with an exclusive session
}

var (
	anyone   = Access{}
	loggedIn = Access{Login: true}
	admin    = Access{Perm: "admin"}
)

func perm(name string) Access { return Access{Perm: name} }

// Handler runs one call. It returns a value the XML-RPC encoder understands.
type Handler func(ctx context.Context, c *Call) (any, error)

// Method is one declared Koji method.
type Method struct {
	Name    string
	Params  []Param
	VarArgs string // name of *args, or ""
	VarKW   string // name of **kwargs, or ""
	Access  Access
	Writes  bool // runs in a write transaction; only such calls commit
	// KeepsAnswers: the call writes only what no cached answer reads (host
	// and task state, rpm checksums), so, made on its own (not in a
	// multiCall), its commit keeps cached answers.
	KeepsAnswers bool
	Ext          bool // our extension: Koji has no such method
	Doc          string
	Handler      Handler
}

// Registry holds the declared methods by name.
type Registry struct {
	methods map[string]*Method
	order   []string
}

// NewRegistry declares every method the hub serves.
func NewRegistry() *Registry {
	r := &Registry{methods: map[string]*Method{}}
	for _, group := range [][]Method{
		metaMethods(r),
		sessionMethods(),
		userMethods(),
		cgMethods(),
		tagMethods(),
		inheritanceMethods(),
		packageMethods(),
		targetMethods(),
		groupMethods(),
		extRepoMethods(),
		historyMethods(),
		buildMethods(),
		rpmMethods(),
		taggingMethods(),
		snapshotMethods(),
		archiveMethods(),
		uploadMethods(),
		repoMethods(),
		hostRepoMethods(),
		hostMethods(),
		taskMethods(),
		schedulerMethods(),
		hostAPIMethods(),
		buildTaskMethods(),
		buildrootMethods(),
		volumeMethods(),
		notificationMethods(),
	} {
		for i := range group {
			r.add(&group[i])
		}
	}
	return r
}

func (r *Registry) add(m *Method) {
	if _, dup := r.methods[m.Name]; dup {
		panic("api: method declared twice: " + m.Name) // a programming error, found by any test
	}
	r.methods[m.Name] = m
	r.order = append(r.order, m.Name)
}

// Lookup returns the method or nil.
func (r *Registry) Lookup(name string) *Method { return r.methods[name] }

// Names returns the method names in declaration order.
func (r *Registry) Names() []string { return append([]string(nil), r.order...) }

// SortedNames returns the method names alphabetically.
func (r *Registry) SortedNames() []string {
	n := r.Names()
	sort.Strings(n)
	return n
}

// ArgDesc renders the signature as Koji's argdesc: "(a, b=None, *args, **kw)".
func (m *Method) ArgDesc() string {
	parts := make([]string, 0, len(m.Params)+2)
	for _, p := range m.Params {
		if p.Optional {
			parts = append(parts, p.Name+"="+pyRepr(p.Default))
		} else {
			parts = append(parts, p.Name)
		}
	}
	if m.VarArgs != "" {
		parts = append(parts, "*"+m.VarArgs)
	}
	if m.VarKW != "" {
		parts = append(parts, "**"+m.VarKW)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Help is system.methodHelp's text.
func (m *Method) Help() string {
	s := m.Name + m.ArgDesc()
	if m.Doc != "" {
		s += "\ndescription: " + m.Doc
	}
	return s
}

// ListAPIEntry is the method's entry in _listapi, in Koji's shape.
func (m *Method) ListAPIEntry() map[string]any {
	names := []any{}
	var defaults []any
	args := []any{}
	for _, p := range m.Params {
		names = append(names, p.Name)
		if p.Optional {
			defaults = append(defaults, p.Default)
			args = append(args, []any{p.Name, p.Default})
		} else {
			args = append(args, p.Name)
		}
	}
	var varargs, varkw any
	if m.VarArgs != "" {
		varargs = m.VarArgs
		args = append(args, m.VarArgs)
	}
	if m.VarKW != "" {
		varkw = m.VarKW
		args = append(args, m.VarKW)
	}
	var defs any
	if defaults != nil {
		defs = defaults
	}
	var doc any
	if m.Doc != "" {
		doc = m.Doc
	}
	return map[string]any{
		"name":    m.Name,
		"doc":     doc,
		"argspec": []any{names, varargs, varkw, defs, []any{}, nil, map[string]any{}},
		"argdesc": m.ArgDesc(),
		"args":    args,
	}
}

// pyRepr renders a value as Python's repr would; Koji's messages and argdesc
// quote values this way.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") {
			s += ".0"
		}
		return s
	case string:
		q := "'"
		if strings.Contains(x, "'") && !strings.Contains(x, `"`) {
			q = `"`
		}
		r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`, q, `\`+q)
		return q + r.Replace(x) + q
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyRepr(k) + ": " + pyRepr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	default:
		return fmt.Sprint(x)
	}
}
