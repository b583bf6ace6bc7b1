package api

import (
	"context"
	"strconv"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Koji's scheduler.* calls (koji scheduler-info, koji scheduler-logs) and
// restartHosts.
func schedulerMethods() []Method {
	view := []Param{Opt("clauses", nil), Opt("fields", nil), Opt("opts", nil)}
	return []Method{
		{Name: "scheduler.getTaskRuns", Params: view, Access: anyone,
			Doc: "The scheduler's task runs, one per assignment of a task to a host: clauses [[field, value] or [field, op, value]], " +
				"fields (default id, task_id, host_id, active, create_ts; '*', '**'), opts {order, offset, limit, countOnly, asList}. " +
				"Fields: id, task_id, host_id, active, create_ts, method, state, owner, arch, channel_id, host_name, host_ready, start_ts, completion_ts.",
			Handler: viewHandler(store.TaskRunsView, true)},
		{Name: "scheduler.getTaskRefusals", Params: view[:2], Access: anyone,
			Doc:     "Hosts' refusals of tasks: clauses and fields as getTaskRuns (default id, task_id, host_id, by_host, soft, msg, ts).",
			Handler: viewHandler(store.TaskRefusalsView, false)},
		{Name: "scheduler.getLogMessages", Params: view, Access: anyone,
			Doc: "The scheduler's log: clauses, fields (default id, task_id, host_id, msg, msg_ts; also method, state, owner, arch, " +
				"channel_id, host_name, host_ready) and opts as getTaskRuns. Kept for a week, at most 100000 messages.",
			Handler: viewHandler(store.LogMessagesView, true)},
		{Name: "scheduler.getHostData", Params: []Param{Opt("hostID", nil)}, Access: anyone,
			Doc:     "The data builders sent with host.updateHost/setHostData: [{host_id, data}] by host id (one host with hostID).",
			Handler: schedGetHostData},
		{Name: "scheduler.doRun", Params: []Param{Opt("force", false)}, Access: admin, Writes: true,
			Doc: "Run the scheduler's pass now if none ran within its interval (force: regardless); returns whether it ran. " +
				"The pass takes work back from silent hosts; assignment happens on the hosts' polls.",
			Handler: schedDoRun},
		{Name: "restartHosts", Params: []Param{Opt("priority", int64(5)), Opt("options", nil)}, Access: perm("host"), Writes: true,
			Doc: "Create a restartHosts task (options: channel, arches, timeout), which a builder runs by restarting each enabled " +
				"host through restart and restartVerify subtasks; returns the task id.",
			Handler: restartHosts},
	}
}

var viewOps = map[string]bool{"IN": true, "=": true, "!=": true, ">": true, "<": true, ">=": true, "<=": true,
	"IS": true, "IS NOT": true}

// viewHandler serves a Koji QueryView call over v.
func viewHandler(v *store.View, withOpts bool) Handler {
	return func(ctx context.Context, c *Call) (any, error) {
		clauses, err := parseViewClauses(ctx, c, v, c.Args.Value("clauses"))
		if err != nil {
			return nil, err
		}
		fields, err := parseViewFields(c.Args.Value("fields"))
		if err != nil {
			return nil, err
		}
		var opts map[string]any
		if withOpts {
			opts = c.Args.Map("opts")
		}
		if err := c.Args.Err(); err != nil {
			return nil, err
		}
		order := map[string]string{}
		for n, f := range v.Fields {
			order[n] = f.Expr
		}
		q, err := parseQueryOpts(opts, order)
		if err != nil {
			if f, ok := err.(*hub.Fault); ok && strings.HasPrefix(f.Msg, "Invalid order field: ") {
				return nil, hub.ParameterError("Invalid field for query %s", strings.TrimPrefix(f.Msg, "Invalid order field: "))
			}
			return nil, err
		}
		used := map[string]bool{}
		for _, cl := range clauses {
			if j := v.Fields[cl.Field].Join; j != "" {
				used[j] = true
			}
		}
		for _, o := range q.page.Order {
			for _, f := range v.Fields {
				if f.Expr == o.Expr && f.Join != "" {
					used[f.Join] = true
				}
			}
		}
		names, err := v.SelectFields(fields, used)
		if err != nil {
			return nil, hub.ParameterError("Invalid field for query %s", strings.TrimPrefix(err.Error(), "invalid field for query "))
		}
		rows, n, err := v.Run(ctx, c.Tx, names, clauses, q.page, q.countOnly)
		if err != nil {
			return nil, err
		}
		if q.countOnly {
			return n, nil
		}
		if rows == nil {
			rows = []map[string]any{}
		}
		return q.shape(rows), nil
	}
}

func parseViewFields(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, hub.ParameterError("Invalid field for query %v", e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, hub.ParameterError("Invalid fields: %v", v)
}

// parseViewClauses reads Koji's clauses: [field, value] (IN for a list,
// = otherwise) or [field, op, value].
func parseViewClauses(ctx context.Context, c *Call, v *store.View, raw any) ([]store.ViewClause, error) {
	if raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, hub.ParameterError("Invalid clauses: %v", raw)
	}
	var out []store.ViewClause
	for _, r := range list {
		cl, ok := r.([]any)
		if !ok {
			return nil, hub.ParameterError("Invalid clause: %v", r)
		}
		var vc store.ViewClause
		switch len(cl) {
		case 2:
			vc.Value = cl[1]
			vc.Op = "="
			if _, isList := cl[1].([]any); isList {
				vc.Op = "IN"
			}
		case 3:
			op, _ := cl[1].(string)
			vc.Op, vc.Value = strings.ToUpper(op), cl[2]
			if !viewOps[vc.Op] {
				return nil, hub.ParameterError("Invalid operator: %v", cl[1])
			}
		default:
			return nil, hub.ParameterError("Invalid clause: %v", r)
		}
		name, _ := cl[0].(string)
		f, ok := v.Fields[name]
		if !ok {
			return nil, hub.ParameterError("Invalid field for query %v", cl[0])
		}
		list, isList := vc.Value.([]any)
		switch {
		case vc.Op == "IN" && !isList:
			return nil, hub.ParameterError("Invalid clause: %v (IN needs a list)", r)
		case vc.Op == "IS" || vc.Op == "IS NOT":
			if _, ok := vc.Value.(bool); !ok && vc.Value != nil {
				return nil, hub.ParameterError("Invalid clause: %v (IS needs None, True or False)", r)
			}
		case isList && vc.Op != "IN":
			return nil, hub.ParameterError("Invalid clause: %v", r)
		case isList:
			for i, e := range list {
				x, err := viewValue(ctx, c, name, f.Kind, e)
				if err != nil {
					return nil, err
				}
				list[i] = x
			}
		default:
			x, err := viewValue(ctx, c, name, f.Kind, vc.Value)
			if err != nil {
				return nil, err
			}
			vc.Value = x
		}
		vc.Field = name
		out = append(out, vc)
	}
	return out, nil
}

// viewValue checks a clause value against its field's kind. A numeric
// string counts as its number (PostgreSQL casts it so for Koji); a host
// name given for host_id is looked up (koji scheduler-info --host NAME
// sends the name), an unknown one matching nothing.
func viewValue(ctx context.Context, c *Call, field string, k store.Kind, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return nil, hub.ParameterError("Invalid value for %s: %v", field, v)
	case string:
		switch k {
		case store.KindInt:
			if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
				return n, nil
			}
			if field == "host_id" {
				h, err := lookupHost(ctx, c, x, nil)
				if err != nil {
					return nil, err
				}
				if h == nil {
					return int64(-1), nil
				}
				return h.ID, nil
			}
			return nil, hub.ParameterError("Invalid value for %s: %q", field, x)
		case store.KindFloat:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, hub.ParameterError("Invalid value for %s: %q", field, x)
			}
			return f, nil
		}
	case bool:
		if k == store.KindInt || k == store.KindFloat {
			return nil, hub.ParameterError("Invalid value for %s: %v", field, x)
		}
	}
	return v, nil
}

func schedGetHostData(ctx context.Context, c *Call) (any, error) {
	id := c.Args.OptCastInt("hostID")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	rows, err := store.AllHostData(ctx, c.Tx, id)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, r := range rows {
		data, err := decodeResult(r.Doc)
		if err != nil {
			continue // unreadable data is no data
		}
		out = append(out, map[string]any{"host_id": r.HostID, "data": data})
	}
	return out, nil
}

func schedDoRun(ctx context.Context, c *Call) (any, error) {
	force := c.Args.Bool("force")
	now := c.d.Now()
	if !force {
		return c.d.Sched.MaybeRun(ctx, c.Tx, now)
	}
	// Forced: still one pass at a time (the lease's lock), whenever the last ran.
	ok, err := store.TryLease(ctx, c.Tx, c.d.Sched.Holder, now.UnixMicro(), 0)
	if err != nil || !ok {
		return false, err
	}
	return true, c.d.Sched.Pass(ctx, c.Tx, now)
}

func restartHosts(ctx context.Context, c *Call) (any, error) {
	prio, ok := toInt(c.Args.Value("priority"))
	if !ok {
		return nil, hub.ParameterError("Invalid priority: %v", c.Args.Value("priority"))
	}
	args := []any{}
	switch o := c.Args.Value("options").(type) {
	case nil:
	case map[string]any:
		args = append(args, o)
	default:
		return nil, hub.ParameterError("Invalid type of options: %s", pyClass(o))
	}
	return createTask(ctx, c, "restartHosts", args, taskOpts{Priority: &prio})
}
