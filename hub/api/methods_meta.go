package api

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// metaMethods are the introspection and utility calls. They need the registry
// itself, so they take it as an argument.
func metaMethods(r *Registry) []Method {
	return []Method{
		{Name: "_listapi", Access: anyone, Doc: "List every method with its signature.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				out := make([]any, 0, len(r.order))
				for _, n := range r.order {
					out = append(out, r.methods[n].ListAPIEntry())
				}
				return out, nil
			}},
		{Name: "system.listMethods", Access: anyone, Doc: "List the names of every method.",
			Handler: func(ctx context.Context, c *Call) (any, error) { return r.Names(), nil }},
		{Name: "system.methodSignature", Params: []Param{P("method")}, Access: anyone,
			Doc:     "Signatures are not supported; use system.methodHelp.",
			Handler: func(ctx context.Context, c *Call) (any, error) { return "signatures not supported", nil }},
		{Name: "system.methodHelp", Params: []Param{P("method")}, Access: anyone,
			Doc: "Describe a method: its signature and documentation; empty for an unknown name.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				name, _ := c.Args.Value("method").(string)
				if m := r.Lookup(name); m != nil {
					return m.Help(), nil
				}
				return "", nil
			}},
		{Name: "getAPIVersion", Access: anyone, Doc: "The XML-RPC API version (always 1).",
			Handler: func(ctx context.Context, c *Call) (any, error) { return hub.APIVersion, nil }},
		{Name: "getKojiVersion", Access: anyone, Doc: "The Koji release whose API this hub implements.",
			Handler: func(ctx context.Context, c *Call) (any, error) { return hub.KojiVersion, nil }},
		{Name: "hello", VarArgs: "args", Access: anyone, Doc: "A greeting, to check the hub answers.",
			Handler: func(ctx context.Context, c *Call) (any, error) { return "Hello World", nil }},
		{Name: "echo", VarArgs: "args", Access: anyone, Doc: "Return the arguments as given.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				if a := c.Args.VarArgs(); a != nil {
					return a, nil
				}
				return []any{}, nil
			}},
		{Name: "fault", Access: anyone, Doc: "Always fails with fault code 1; a debugging aid.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, &hub.Fault{Code: hub.CodeInternal, Msg: "<class 'Exception'>: test fault"}
			}},
		{Name: "error", Access: anyone, Doc: "Always fails with a GenericError; a debugging aid.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, hub.GenericError("test error")
			}},
		{Name: "mavenEnabled", Access: anyone, Doc: "Whether maven support is on (it is not).",
			Handler: func(ctx context.Context, c *Call) (any, error) { return false, nil }},
		{Name: "winEnabled", Access: anyone, Doc: "Whether Windows build support is on (it is not).",
			Handler: func(ctx context.Context, c *Call) (any, error) { return false, nil }},
		{Name: "showOpts", Params: []Param{Opt("as_string", true)}, Access: admin,
			Doc: "The hub's options, as a string or a struct.", Handler: showOpts},
		{Name: "evalPolicy", Params: []Param{P("name"), P("data")}, Access: anyone,
			Doc: "A built-in policy's action for data (\"allow\", or \"deny\" and the reason); None when no rule matches. " +
				"The user is data's user_id, else the caller.",
			Handler: evalPolicyCall},
		{Name: "getLastEvent", Params: []Param{Opt("before", nil), Opt("strict", true)}, Access: anyone,
			Doc: "The newest event, or the newest before an epoch time: {id, ts}.", Handler: getLastEvent},
		{Name: "getEvent", Params: []Param{P("id"), Opt("strict", true)}, Access: anyone,
			Doc: "An event by id: {id, ts}, or nil.", Handler: getEvent},
		{Name: "count", Params: []Param{P("methodName")}, VarArgs: "args", VarKW: "kw", Access: anyone,
			Doc: "Run a method and count its result: 0 for nil, the length of an array or struct, else 1.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				res, err := c.runNamed(ctx, r)
				if err != nil {
					return nil, err
				}
				return countOf(res), nil
			}},
		{Name: "filterResults", Params: []Param{P("methodName")}, VarArgs: "args", VarKW: "kw", Access: anyone,
			Doc: "Run a method that returns a list of structs and apply filterOpts (order, offset, limit, noneGreatest).",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				_, rows, err := c.filtered(ctx, r)
				return rows, err
			}},
		{Name: "countAndFilterResults", Params: []Param{P("methodName")}, VarArgs: "args", VarKW: "kw", Access: anyone,
			Doc: "Like filterResults, but answer [count before filtering, filtered rows].",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				n, rows, err := c.filtered(ctx, r)
				if err != nil {
					return nil, err
				}
				return []any{n, rows}, nil
			}},
	}
}

func showOpts(ctx context.Context, c *Call) (any, error) {
	opts := map[string]any{
		"SessionRenewalTimeout": c.d.Config.SessionTimeout.Minutes(),
		"CheckClientIP":         c.d.Config.CheckClientIP,
		"LoginCreatesUser":      c.d.Config.LoginCreatesUser,
	}
	for k, v := range c.d.Config.Options {
		opts[k] = v
	}
	if !c.Args.Bool("as_string") {
		return opts, nil
	}
	keys := sortedKeys(opts)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("'%s': %s", k, pyRepr(opts[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

func eventStruct(id, us int64) map[string]any {
	return map[string]any{"id": id, "ts": hub.TS(us)}
}

func getLastEvent(ctx context.Context, c *Call) (any, error) {
	var before *int64
	if v := c.Args.Value("before"); v != nil {
		var secs float64
		switch x := v.(type) {
		case int64:
			secs = float64(x)
		case float64:
			secs = x
		default:
			return nil, hub.GenericError("Invalid type for before: %s", typeName(v))
		}
		us := int64(math.Round(secs * 1e6))
		before = &us
	}
	id, us, ok, err := store.LastEvent(ctx, c.Tx, before)
	if err != nil {
		return nil, err
	}
	if !ok {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("No event found")
		}
		return nil, nil
	}
	return eventStruct(id, us), nil
}

func getEvent(ctx context.Context, c *Call) (any, error) {
	id := c.Args.CastInt("id")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	us, ok, err := store.EventByID(ctx, c.Tx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("No such event: %d", id)
		}
		return nil, nil
	}
	return eventStruct(id, us), nil
}

// runNamed runs the method named by the methodName argument with the rest of
// the arguments, through the same binding and access checks as a direct call.
func (c *Call) runNamed(ctx context.Context, r *Registry) (any, error) {
	name, ok := c.Args.Value("methodName").(string)
	m := r.Lookup(name)
	if !ok || m == nil {
		return nil, hub.GenericError("method %v doesn't exist", c.Args.Value("methodName"))
	}
	if m.Writes {
		return nil, hub.GenericError("%s changes data; only queries may be counted or filtered", name)
	}
	params := append([]any(nil), c.Args.VarArgs()...)
	if kw := c.Args.Kwargs(); len(kw) > 0 {
		params = xmlrpc.WithKwargs(params, kw)
	}
	return c.d.invoke(ctx, c, m, params)
}

func countOf(v any) int {
	switch x := normalize(v).(type) {
	case nil:
		return 0
	case []any:
		return len(x)
	case map[string]any:
		return len(x)
	}
	return 1
}

// normalize turns a handler's typed result into plain decoded values (maps,
// slices, int64 …) by a trip through the codec, so generic code can inspect it.
func normalize(v any) any {
	var buf bytes.Buffer
	if err := xmlrpc.EncodeResponse(&buf, v); err != nil {
		return v
	}
	out, err := xmlrpc.DecodeResponse(&buf, xmlrpc.Limits{MaxBodyBytes: int64(buf.Len()) + 1, MaxDepth: 1 << 20})
	if err != nil {
		return v
	}
	return out
}

// filtered runs the named method, taking filterOpts out of its keywords, and
// applies them to the list of structs it returns.
func (c *Call) filtered(ctx context.Context, r *Registry) (int, []any, error) {
	kw := c.Args.Kwargs()
	var opts map[string]any
	if raw, ok := kw["filterOpts"]; ok {
		opts, _ = raw.(map[string]any)
		rest := make(map[string]any, len(kw))
		for k, v := range kw {
			if k != "filterOpts" {
				rest[k] = v
			}
		}
		c.Args.kw = rest
	}
	res, err := c.runNamed(ctx, r)
	if err != nil {
		return 0, nil, err
	}
	rows, ok := normalize(res).([]any)
	if !ok {
		return 0, nil, hub.GenericError("%v did not return a list", c.Args.Value("methodName"))
	}
	for _, row := range rows {
		if _, ok := row.(map[string]any); !ok {
			return 0, nil, hub.GenericError("%v did not return a list of structs", c.Args.Value("methodName"))
		}
	}
	total := len(rows)
	if order, _ := opts["order"].(string); order != "" {
		sortRows(rows, order, truthy(opts["noneGreatest"]))
	}
	return total, pageRows(rows, opts), nil
}

// sortRows orders structs by one field; a leading '-' reverses. Nil sorts
// first, or last with noneGreatest.
func sortRows(rows []any, order string, noneGreatest bool) {
	desc := strings.HasPrefix(order, "-")
	field := strings.TrimPrefix(order, "-")
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].(map[string]any)[field], rows[j].(map[string]any)[field]
		if desc {
			a, b = b, a
		}
		return lessValue(a, b, noneGreatest)
	})
}

func lessValue(a, b any, noneGreatest bool) bool {
	if a == nil || b == nil {
		if a == nil && b == nil {
			return false
		}
		return (a == nil) != noneGreatest
	}
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return x < y
		case float64:
			return float64(x) < y
		}
	case float64:
		switch y := b.(type) {
		case int64:
			return x < float64(y)
		case float64:
			return x < y
		}
	case string:
		if y, ok := b.(string); ok {
			return x < y
		}
	case bool:
		if y, ok := b.(bool); ok {
			return !x && y
		}
	}
	return fmt.Sprint(a) < fmt.Sprint(b)
}
