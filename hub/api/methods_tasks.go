package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/sched"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

func taskMethods() []Method {
	return []Method{
		{Name: "makeTask", VarArgs: "args", VarKW: "opts", Access: admin, Writes: true,
			Doc:     "Create a task by hand (a debugging aid): makeTask(method, arglist, parent=, label=, channel=, arch=, priority=, assign=); returns its id. owner is not allowed.",
			Handler: makeTask},
		{Name: "getTaskInfo", Params: []Param{P("task_id"), Opt("request", false), Opt("strict", false)}, Access: anyone,
			Doc: "A task (or, for a list of ids, a list of tasks), with its decoded request if asked.", Handler: getTaskInfo},
		{Name: "getTaskRequest", Params: []Param{P("taskId")}, Access: anyone,
			Doc: "A task's request: its decoded parameters.", Handler: getTaskRequest},
		{Name: "getTaskResult", Params: []Param{P("taskId"), Opt("raise_fault", true)}, Access: anyone,
			Doc: "A finished task's result; a failed task's stored fault is raised (or returned as a struct).", Handler: getTaskResult},
		{Name: "getTaskChildren", Params: []Param{P("task_id"), Opt("request", false), Opt("strict", false)}, Access: anyone,
			Doc: "The subtasks of a task.", Handler: getTaskChildren},
		{Name: "getTaskDescendents", Params: []Param{P("task_id"), Opt("request", false)}, Access: anyone,
			Doc: "Every task below a task: {\"<id>\": [children]} for it and each descendant.", Handler: getTaskDescendents},
		{Name: "listTasks", Params: []Param{Opt("opts", nil), Opt("queryOpts", nil)}, Access: anyone,
			Doc: "List tasks. opts: arch, not_arch, state, not_state, owner, not_owner, host_id, not_host_id, channel_id, not_channel_id, " +
				"parent, not_parent (int, list or None), method, decode, createdBefore/After, startedBefore/After, completeBefore/After. queryOpts: order, offset, limit, countOnly, asList.",
			Handler: listTasks},
		{Name: "taskFinished", Params: []Param{P("taskId")}, Access: anyone,
			Doc: "Whether a task is CLOSED, CANCELED or FAILED.", Handler: taskFinished},
		{Name: "cancelTask", Params: []Param{P("task_id"), Opt("recurse", true)}, Access: anyone, Writes: true,
			Doc: "Cancel a task (its owner, its host or an admin) and, with recurse, its unfinished subtasks.", Handler: cancelTask},
		{Name: "cancelTaskChildren", Params: []Param{P("task_id")}, Access: loggedIn, Writes: true,
			Doc: "Cancel a task's subtasks but not the task.", Handler: cancelTaskChildren},
		{Name: "cancelTaskFull", Params: []Param{P("task_id"), Opt("strict", true)}, Access: admin, Writes: true,
			Doc: "Cancel a task and every task in its tree; without strict, start from its top-level task.", Handler: cancelTaskFull},
		{Name: "resubmitTask", Params: []Param{P("taskID")}, Access: loggedIn, Writes: true,
			Doc: "Run a canceled or failed top-level task again as a new task; returns the new id.", Handler: resubmitTask},
		{Name: "setTaskPriority", Params: []Param{P("task_id"), P("priority"), Opt("recurse", true)}, Access: admin, Writes: true,
			Doc: "Change an unfinished task's priority (lower runs sooner), and its subtasks' with recurse.", Handler: setTaskPriority},
		{Name: "assignTask", Params: []Param{P("task_id"), P("host"), Opt("force", false), Opt("override", false)}, Access: admin, Writes: true,
			Doc: "Assign a FREE task to a host (force: any unfinished task); returns whether it was assigned.", Handler: assignTask},
		{Name: "freeTask", Params: []Param{P("task_id")}, Access: admin, Writes: true,
			Doc: "Put an unfinished task back to FREE, away from its host.", Handler: freeTask},
		{Name: "listTaskOutput", Params: []Param{P("taskID"), Opt("stat", false), Opt("all_volumes", false), Opt("strict", false)}, Access: anyone,
			Doc: "The files a task wrote under work/tasks/: names, or with stat {name: {st_size, st_mtime, …}}.", Handler: listTaskOutput},
		{Name: "downloadTaskOutput", Params: []Param{P("taskID"), P("fileName"), Opt("offset", int64(0)), Opt("size", int64(-1)), Opt("volume", nil)},
			Access: anyone, Doc: "Part of a task's output file, base64-encoded (a negative offset counts from the end).", Handler: downloadTaskOutput},
	}
}

// taskStruct is getTaskInfo's answer for t.
func taskStruct(t *store.Task) map[string]any {
	return map[string]any{
		"id": t.ID, "state": t.State,
		"create_time": hub.TimeString(t.CreateUS), "create_ts": hub.TS(t.CreateUS),
		"start_time": hub.OptTimeString(t.StartUS), "start_ts": hub.OptTS(t.StartUS),
		"completion_time": hub.OptTimeString(t.CompletionUS), "completion_ts": hub.OptTS(t.CompletionUS),
		"channel_id": t.ChannelID, "host_id": t.HostID, "parent": t.Parent, "label": t.Label,
		"waiting": t.Waiting, "awaited": t.Awaited, "owner": t.Owner, "method": t.Method,
		"arch": t.Arch, "priority": t.Priority, "weight": t.Weight,
	}
}

// taskFieldOrder is the order of listTasks' fields, for asList.
var taskFieldOrder = []string{"id", "state", "create_time", "create_ts", "start_time", "start_ts", "completion_time",
	"completion_ts", "channel_id", "host_id", "parent", "label", "waiting", "awaited", "owner", "method", "arch",
	"priority", "weight", "request", "result", "owner_name", "owner_type"}

// legacyDoc undoes the base64 wrapping very old Koji hubs stored.
func legacyDoc(doc string) []byte {
	head := doc
	if len(head) > 10 {
		head = head[:10]
	}
	if strings.Contains(head, "<?xml") {
		return []byte(doc)
	}
	if b, err := base64.StdEncoding.DecodeString(doc); err == nil {
		return b
	}
	return []byte(doc)
}

// decodeRequest returns a stored request's parameters.
func decodeRequest(doc string) ([]any, error) {
	call, err := xmlrpc.DecodeCall(bytes.NewReader(legacyDoc(doc)), xmlrpc.Limits{MaxBodyBytes: int64(len(doc)) + 1024, MaxDepth: 1000})
	if err != nil {
		return nil, err
	}
	return call.Params, nil
}

// decodeResult returns a stored result, or the stored fault as a *xmlrpc.Fault error.
func decodeResult(doc string) (any, error) {
	return xmlrpc.DecodeResponse(bytes.NewReader(legacyDoc(doc)), xmlrpc.Limits{MaxBodyBytes: int64(len(doc)) + 1024, MaxDepth: 1000})
}

// encodeRequest stores a request as a <methodCall> document.
func encodeRequest(method string, args []any) (string, error) {
	var buf bytes.Buffer
	if err := xmlrpc.EncodeCall(&buf, method, args); err != nil {
		return "", hub.ParameterError("cannot encode the task request: %v", err)
	}
	return buf.String(), nil
}

func taskIDArg(c *Call, name string) (int64, error) {
	id := c.Args.CastInt(name) // Koji's Task(id) takes int() of it
	return id, c.Args.Err()
}

// taskOrFail reads a task or fails with Koji's "No such task".
func taskOrFail(ctx context.Context, c *Call, id int64, withRequest bool) (*store.Task, error) {
	t, err := store.GetTask(ctx, c.Tx, id, withRequest)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, hub.GenericError("No such task: %d", id)
	}
	return t, nil
}

// taskOrNoRows reads a task or fails as Koji's strict single-row queries
// do, with "query returned no rows".
func taskOrNoRows(ctx context.Context, c *Call, id int64, withRequest bool) (*store.Task, error) {
	t, err := store.GetTask(ctx, c.Tx, id, withRequest)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, hub.GenericError("query returned no rows")
	}
	return t, nil
}

// taskOpts are make_task's options.
type taskOpts struct {
	Parent   *int64
	Label    *string
	Owner    *int64
	Channel  any // name or id
	Arch     any
	Priority *int64
	Assign   any // host id or name
}

func parseTaskOpts(m map[string]any) (taskOpts, error) {
	var o taskOpts
	for k, v := range m {
		switch k {
		case "parent":
			n, err := intOf(v)
			if err != nil {
				return o, err
			}
			o.Parent = &n
		case "label":
			if v != nil {
				s, ok := v.(string)
				if !ok {
					return o, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'str'>", v, pyClass(v))
				}
				o.Label = &s
			}
		case "channel":
			o.Channel = v
		case "arch":
			o.Arch = v
		case "priority":
			n, err := intOf(v)
			if err != nil {
				return o, err
			}
			o.Priority = &n
		case "assign":
			o.Assign = v
		}
	}
	return o, nil
}

// createTask is Koji's make_task: defaults from the parent for subtasks,
// channel by the default channel policy (requested, else the parent's, else
// default), the request stored as a <methodCall> document.
func createTask(ctx context.Context, c *Call, method string, args []any, o taskOpts) (int64, error) {
	if method == "" {
		return 0, hub.ParameterError("task method must be a non-empty string")
	}
	nt := store.NewTask{Method: method, NowUS: c.d.Now().UnixMicro(), Label: o.Label}
	var parentChannel int64
	if o.Parent != nil {
		p, err := store.GetTask(ctx, c.Tx, *o.Parent, false)
		if err != nil {
			return 0, err
		}
		if p == nil {
			return 0, hub.GenericError("Invalid parent task: %d", *o.Parent)
		}
		if p.State != hub.TaskOpen {
			return 0, hub.GenericError("Parent task (id %d) is not open", *o.Parent)
		}
		nt.Parent = o.Parent
		nt.Priority = p.Priority - 1
		nt.Owner = p.Owner
		nt.Arch = p.Arch
		parentChannel = p.ChannelID
	} else {
		nt.Priority = hub.PriorityDefault
		nt.Arch = "noarch"
		nt.Label = nil
		switch {
		case o.Owner != nil: // set below
		case c.Session == nil:
			return 0, hub.GenericError("task must have an owner")
		default:
			nt.Owner = c.Session.UserID
		}
	}
	if o.Owner != nil {
		nt.Owner = *o.Owner
	}
	if o.Priority != nil {
		nt.Priority = int(*o.Priority)
	}
	if o.Arch != nil {
		arches, err := hub.ParseArches(o.Arch, true)
		if err != nil {
			return 0, err
		}
		nt.Arch = strings.Join(arches, " ")
	}
	switch {
	case o.Channel != nil:
		ch, err := lookupChannel(ctx, c, o.Channel)
		if err != nil {
			return 0, err
		}
		if ch == nil {
			return 0, hub.GenericError("No such channel: %v", o.Channel)
		}
		if !ch.Enabled {
			return 0, hub.GenericError("Channel %s is disabled.", ch.Name)
		}
		nt.ChannelID = ch.ID
	case o.Parent != nil:
		nt.ChannelID = parentChannel
	default:
		ch, err := store.ChannelBy(ctx, c.Tx, "name", "default")
		if err != nil {
			return 0, err
		}
		if ch == nil || !ch.Enabled {
			return 0, hub.GenericError("Channel default is disabled.")
		}
		nt.ChannelID = ch.ID
	}
	if o.Assign != nil {
		h, err := lookupHost(ctx, c, o.Assign, nil)
		if err != nil {
			return 0, err
		}
		if h == nil {
			return 0, hub.GenericError("Invalid hostInfo: %v", o.Assign)
		}
		nt.HostID = &h.ID
	}
	req, err := encodeRequest(method, args)
	if err != nil {
		return 0, err
	}
	nt.Request = req
	id, err := store.CreateTask(ctx, c.Tx, nt)
	if err == nil && isHubTask(method) && nt.HostID == nil {
		c.AfterCommit(c.d.kickHubTasks)
	}
	return id, err
}

func makeTask(ctx context.Context, c *Call) (any, error) {
	args := c.Args.VarArgs()
	kw := c.Args.Kwargs()
	if _, ok := kw["owner"]; ok {
		return nil, hub.NotAllowed("The owner option is not allowed here")
	}
	// make_task(method, arglist, **opts): the first two may come by keyword.
	rest := map[string]any{}
	for k, v := range kw {
		rest[k] = v
	}
	pos := append([]any(nil), args...)
	for _, name := range []string{"method", "arglist"} {
		if v, ok := rest[name]; ok {
			pos = append(pos, v)
			delete(rest, name)
		}
	}
	if len(pos) != 2 {
		return nil, hub.ParameterError("make_task() takes 2 positional arguments (method, arglist) but %d were given", len(pos))
	}
	method, ok := pos[0].(string)
	if !ok {
		return nil, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'str'>", pos[0], pyClass(pos[0]))
	}
	arglist, ok := pos[1].([]any)
	if !ok {
		return nil, hub.ParameterError("task arglist must be a list, not %s", typeName(pos[1]))
	}
	o, err := parseTaskOpts(rest)
	if err != nil {
		return nil, err
	}
	return createTask(ctx, c, method, arglist, o)
}

// withRequest adds the decoded request to a task struct.
func withRequest(m map[string]any, t *store.Task) error {
	if t.Request == nil {
		return nil
	}
	params, err := decodeRequest(*t.Request)
	if err != nil {
		return err
	}
	m["request"] = params
	return nil
}

func getTaskInfo(ctx context.Context, c *Call) (any, error) {
	req, strict := c.Args.Bool("request"), c.Args.Bool("strict")
	one := func(v any) (any, error) {
		id, err := intOf(v)
		if err != nil {
			return nil, err
		}
		t, err := store.GetTask(ctx, c.Tx, id, req)
		if err != nil {
			return nil, err
		}
		if t == nil {
			if strict {
				return nil, hub.GenericError("query returned no rows")
			}
			return nil, nil
		}
		m := taskStruct(t)
		return m, withRequest(m, t)
	}
	if list, ok := c.Args.Value("task_id").([]any); ok {
		out := make([]any, len(list))
		for i, v := range list {
			var err error
			if out[i], err = one(v); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return one(c.Args.Value("task_id"))
}

func getTaskRequest(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "taskId")
	if err != nil {
		return nil, err
	}
	t, err := taskOrNoRows(ctx, c, id, true)
	if err != nil {
		return nil, err
	}
	return decodeRequest(*t.Request)
}

// taskResult is Koji's Task.getResult.
func taskResult(ctx context.Context, tx *store.Tx, id int64, raiseFault bool) (any, error) {
	state, doc, found, err := store.TaskResult(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case !found:
		return nil, hub.GenericError("No such task")
	case state == hub.TaskCanceled:
		return nil, hub.GenericError("Task %d is canceled", id)
	case state != hub.TaskClosed && state != hub.TaskFailed:
		return nil, hub.GenericError("Task %d is not finished", id)
	case doc == nil:
		return nil, nil
	}
	v, err := decodeResult(*doc)
	var f *xmlrpc.Fault
	if errors.As(err, &f) {
		if raiseFault {
			return nil, &hub.Fault{Code: f.Code, Msg: f.String}
		}
		return map[string]any{"faultCode": f.Code, "faultString": f.String}, nil
	}
	if err != nil {
		return nil, hub.GenericError("task %d has an unreadable result: %v", id, err)
	}
	return v, nil
}

func getTaskResult(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "taskId")
	if err != nil {
		return nil, err
	}
	return taskResult(ctx, c.Tx, id, c.Args.Bool("raise_fault"))
}

func childStructs(tasks []store.Task) ([]map[string]any, error) {
	out := make([]map[string]any, len(tasks))
	for i := range tasks {
		out[i] = taskStruct(&tasks[i])
		if err := withRequest(out[i], &tasks[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func getTaskChildren(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "task_id")
	if err != nil {
		return nil, err
	}
	if c.Args.Bool("strict") {
		if _, err := taskOrNoRows(ctx, c, id, false); err != nil {
			return nil, err
		}
	}
	kids, err := store.TaskChildren(ctx, c.Tx, id, c.Args.Bool("request"))
	if err != nil {
		return nil, err
	}
	return childStructs(kids)
}

func getTaskDescendents(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "task_id")
	if err != nil {
		return nil, err
	}
	req := c.Args.Bool("request")
	out := map[string]any{}
	queue := []int64{id}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		key := strconv.FormatInt(cur, 10)
		if _, seen := out[key]; seen {
			return nil, hub.GenericError("Task LOOP at task %d", cur)
		}
		kids, err := store.TaskChildren(ctx, c.Tx, cur, req)
		if err != nil {
			return nil, err
		}
		structs, err := childStructs(kids)
		if err != nil {
			return nil, err
		}
		out[key] = structs
		for _, k := range kids {
			queue = append(queue, k.ID)
		}
	}
	return out, nil
}

// intList reads an int-or-list option; ok is false for a bad type.
func intList(v any) ([]int64, bool) {
	switch x := v.(type) {
	case int64, bool:
		n, _ := toInt(x)
		return []int64{n}, true
	case []any:
		out := make([]int64, 0, len(x))
		for _, e := range x {
			n, ok := toInt(e)
			if !ok {
				return nil, false
			}
			out = append(out, n)
		}
		return out, true
	}
	return nil, false
}

func strList(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// parseTimeOpt reads createdBefore & co.: epoch seconds or an ISO string.
func parseTimeOpt(key string, v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x * 1e6, nil
	case float64:
		return int64(math.Round(x * 1e6)), nil
	case string:
		s := strings.TrimSpace(x)
		for _, layout := range []string{"2006-01-02 15:04:05.999999-07:00", "2006-01-02T15:04:05.999999-07:00",
			"2006-01-02 15:04:05.999999", "2006-01-02T15:04:05.999999", "2006-01-02 15:04", "2006-01-02"} {
			if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
				return t.UnixMicro(), nil
			}
		}
		return 0, hub.GenericError("Invalid time value for %s: %s", key, pyRepr(x))
	}
	return 0, hub.GenericError("Invalid type for %s: %s", key, pyClass(v))
}

// taskFilter turns listTasks' opts into a store filter.
func taskFilter(opts map[string]any) (store.TaskFilter, error) {
	var f store.TaskFilter
	for _, key := range []string{"arch", "not_arch"} {
		if v, ok := opts[key]; ok {
			l, ok := strList(v)
			if !ok {
				return f, hub.ParameterError("listTasks: %s must be a list of strings", key)
			}
			if key == "arch" {
				f.Arch = l
			} else {
				f.NotArch = l
			}
		}
	}
	for _, key := range []string{"state", "not_state"} {
		if v, ok := opts[key]; ok {
			l, ok := intList(v)
			if !ok {
				return f, hub.ParameterError("listTasks: %s must be a list of integers", key)
			}
			if key == "state" {
				f.State = l
			} else {
				f.NotState = l
			}
		}
	}
	ints := map[string]*[]int64{"owner": &f.Owner, "not_owner": &f.NotOwner, "host_id": &f.HostID, "not_host_id": &f.NotHostID,
		"channel_id": &f.Channel, "not_channel_id": &f.NotChannel, "parent": &f.Parent, "not_parent": &f.NotParent}
	for _, col := range []string{"owner", "host_id", "channel_id", "parent"} {
		for _, key := range []string{col, "not_" + col} {
			v, ok := opts[key]
			if !ok {
				continue
			}
			if v == nil {
				if key == col {
					f.NullCols = append(f.NullCols, col)
				} else {
					f.NotNullCols = append(f.NotNullCols, col)
				}
				continue
			}
			l, ok := intList(v)
			if !ok {
				return f, hub.ParameterError("listTasks: %s must be an integer, a list of integers or None", key)
			}
			*ints[key] = l
		}
	}
	if v, ok := opts["method"]; ok {
		s, ok := v.(string)
		if !ok {
			return f, hub.ParameterError("listTasks: method must be a string")
		}
		f.Method = &s
	}
	bounds := []struct {
		key, col string
		less     bool
	}{
		{"createdBefore", "create_us", true}, {"createdAfter", "create_us", false},
		{"startedBefore", "start_us", true}, {"startedAfter", "start_us", false},
		{"completeBefore", "completion_us", true}, {"completeAfter", "completion_us", false},
		{"completedBefore", "completion_us", true}, {"completedAfter", "completion_us", false},
	}
	for _, b := range bounds {
		v := opts[b.key]
		if v == nil {
			continue
		}
		us, err := parseTimeOpt(b.key, v)
		if err != nil {
			return f, err
		}
		f.TimeBounds = append(f.TimeBounds, store.TimeBound{Column: b.col, Less: b.less, US: us})
	}
	return f, nil
}

func listTasks(ctx context.Context, c *Call) (any, error) {
	opts := c.Args.Map("opts")
	q := c.Args.Map("queryOpts")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	f, err := taskFilter(opts)
	if err != nil {
		return nil, err
	}
	if _, ok := q["group"]; ok {
		return nil, hub.GenericError("queryOpts.group is not available for listTasks")
	}
	if truthy(q["countOnly"]) {
		return store.CountTasks(ctx, c.Tx, f)
	}
	var page store.TaskPage
	if order, _ := q["order"].(string); order != "" {
		for _, field := range strings.Split(order, ",") {
			field = strings.TrimSpace(field)
			desc := strings.HasPrefix(field, "-")
			name := strings.TrimPrefix(field, "-")
			col, ok := store.TaskOrderColumns[name]
			if !ok {
				return nil, hub.GenericError("Invalid order field: %s", name)
			}
			if desc {
				col += " DESC"
			}
			page.Order = append(page.Order, col)
		}
		page.Order = append(page.Order, "t.id")
	}
	if v, ok := queryLimit(q); ok {
		page.Limit = &v
	}
	if v, ok := toInt(q["offset"]); ok && v > 0 {
		page.Offset = v
	}
	f.WithRequest, f.WithOwner = true, true
	tasks, err := store.ListTasks(ctx, c.Tx, f, page)
	if err != nil {
		return nil, err
	}
	decode := truthy(opts["decode"])
	asList := truthy(q["asList"])
	out := make([]any, len(tasks))
	for i := range tasks {
		t := &tasks[i]
		m := taskStruct(t)
		m["owner_name"], m["owner_type"] = t.OwnerName, t.OwnerType
		m["request"], m["result"] = t.Request, t.Result
		if decode && !asList {
			if t.Request != nil {
				if params, err := decodeRequest(*t.Request); err == nil {
					m["request"] = params
				}
			}
			if t.Result != nil {
				v, err := decodeResult(*t.Result)
				var fl *xmlrpc.Fault
				switch {
				case errors.As(err, &fl):
					m["result"] = map[string]any{"faultCode": fl.Code, "faultString": fl.String}
				case err == nil:
					m["result"] = v
				}
			}
		}
		if asList {
			row := make([]any, len(taskFieldOrder))
			for j, k := range taskFieldOrder {
				row[j] = m[k]
			}
			out[i] = row
			continue
		}
		out[i] = m
	}
	return out, nil
}

func taskFinished(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "taskId")
	if err != nil {
		return nil, err
	}
	t, err := taskOrNoRows(ctx, c, id, false)
	if err != nil {
		return nil, err
	}
	return hub.TaskDone(t.State), nil
}

// mayControlTask: the task's owner, the host running it, or an admin.
func mayControlTask(ctx context.Context, c *Call, t *store.Task) error {
	if c.Session != nil && c.Session.UserID == t.Owner {
		return nil
	}
	if c.Session != nil && t.State == hub.TaskOpen && t.HostID != nil {
		if hid, err := store.HostIDForUser(ctx, c.Tx, c.Session.UserID); err != nil {
			return err
		} else if hid == *t.HostID {
			return nil
		}
	}
	if ok, err := c.HasPerm(ctx, "admin"); err != nil || ok {
		return err
	}
	return hub.NotAllowed("Cannot cancel task, not owner")
}

// controlledTask reads the task_id argument's task, which the caller must
// be allowed to control (mayControlTask).
func controlledTask(ctx context.Context, c *Call) (*store.Task, error) {
	id, err := taskIDArg(c, "task_id")
	if err != nil {
		return nil, err
	}
	t, err := taskOrFail(ctx, c, id, false)
	if err != nil {
		return nil, err
	}
	return t, mayControlTask(ctx, c, t)
}

func cancelTask(ctx context.Context, c *Call) (any, error) {
	t, err := controlledTask(ctx, c)
	if err != nil {
		return nil, err
	}
	_, err = sched.Cancel(ctx, c.Tx, t.ID, c.Args.Bool("recurse"), c.d.Now())
	return nil, err
}

func cancelTaskChildren(ctx context.Context, c *Call) (any, error) {
	t, err := controlledTask(ctx, c)
	if err != nil {
		return nil, err
	}
	_, err = sched.CancelChildren(ctx, c.Tx, t.ID, c.d.Now())
	return nil, err
}

func cancelTaskFull(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "task_id")
	if err != nil {
		return nil, err
	}
	return nil, cancelTaskTree(ctx, c, id, c.Args.Bool("strict"))
}

// cancelTaskTree is Koji's Task.cancelFull: cancel a task's whole tree, from
// its top-level task (strict: the task must be top-level).
func cancelTaskTree(ctx context.Context, c *Call, id int64, strict bool) error {
	t, err := taskOrFail(ctx, c, id, false)
	if err != nil {
		return err
	}
	seen := map[int64]bool{id: true}
	for t.Parent != nil {
		if strict {
			return hub.GenericError("Task %d is not top-level (parent=%d)", id, *t.Parent)
		}
		if seen[*t.Parent] {
			return hub.GenericError("Task LOOP at task %d", *t.Parent)
		}
		seen[*t.Parent] = true
		if t, err = taskOrFail(ctx, c, *t.Parent, false); err != nil {
			return err
		}
	}
	all, err := store.Descendants(ctx, c.Tx, t.ID)
	if err != nil {
		return err
	}
	ids := []int64{t.ID}
	for _, d := range all {
		ids = append(ids, d.ID)
	}
	_, err = store.CancelTasks(ctx, c.Tx, ids, c.d.Now().UnixMicro())
	return err
}

func resubmitTask(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "taskID")
	if err != nil {
		return nil, err
	}
	t, err := taskOrFail(ctx, c, id, true)
	if err != nil {
		return nil, err
	}
	if t.State != hub.TaskCanceled && t.State != hub.TaskFailed {
		return nil, hub.GenericError("only canceled or failed tasks may be resubmitted")
	}
	if t.Parent != nil {
		return nil, hub.GenericError("only top-level tasks may be resubmitted")
	}
	if c.UserID() != t.Owner {
		if ok, err := c.HasPerm(ctx, "admin"); err != nil {
			return nil, err
		} else if !ok {
			return nil, hub.GenericError("only the task owner or an admin may resubmit a task")
		}
	}
	args, err := decodeRequest(*t.Request)
	if err != nil {
		return nil, err
	}
	prio := int64(t.Priority)
	return createTask(ctx, c, t.Method, args, taskOpts{Arch: t.Arch, Channel: t.ChannelID, Priority: &prio})
}

func setTaskPriority(ctx context.Context, c *Call) (any, error) {
	id := c.Args.Int("task_id")
	prio := c.Args.Int("priority")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := taskOrFail(ctx, c, id, false)
	if err != nil {
		return nil, err
	}
	if hub.TaskDone(t.State) {
		return nil, hub.GenericError("Finished task's priority can't be updated")
	}
	ids := []int64{id}
	if c.Args.Bool("recurse") {
		all, err := store.Descendants(ctx, c.Tx, id)
		if err != nil {
			return nil, err
		}
		for _, d := range all {
			ids = append(ids, d.ID)
		}
	}
	for _, x := range ids {
		if _, err := store.SetTaskFields(ctx, c.Tx, x, map[string]any{"priority": prio}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func assignTask(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "task_id")
	if err != nil {
		return nil, err
	}
	h, err := lookupHost(ctx, c, c.Args.Value("host"), nil)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, hub.GenericError("Invalid hostInfo: %v", c.Args.Value("host"))
	}
	t, err := taskOrFail(ctx, c, id, false)
	if err != nil {
		return nil, err
	}
	if !c.Args.Bool("force") {
		switch {
		case t.State == hub.TaskFree && t.HostID == nil:
		case t.State == hub.TaskAssigned && t.HostID != nil && *t.HostID == h.ID:
			return true, nil
		default:
			return false, nil
		}
	}
	now := c.d.Now()
	if _, err = store.SetTaskFields(ctx, c.Tx, id, map[string]any{"state": hub.TaskAssigned, "host_id": h.ID,
		"assign_us": now.UnixMicro()}); err != nil {
		return nil, err
	}
	// As in Koji, an override assignment leaves no task run.
	if c.Args.Bool("override") {
		if err := store.EndTaskRuns(ctx, c.Tx, id); err != nil {
			return nil, err
		}
		return true, store.SchedLog(ctx, c.Tx, now.UnixMicro(), id, h.ID, "Assigning task (override)")
	}
	return true, sched.RecordAssignment(ctx, c.Tx, id, h.ID, now)
}

// freeTaskRow is Koji's Task.free: any unfinished task goes back to FREE.
func freeTaskRow(ctx context.Context, c *Call, t *store.Task) error {
	if hub.TaskDone(t.State) {
		return hub.GenericError("Cannot free task %d, state is %s", t.ID, hub.TaskStateNames[t.State])
	}
	if t.State == hub.TaskFree {
		return hub.GenericError("Task %d is already FREE", t.ID)
	}
	_, err := store.SetTaskFields(ctx, c.Tx, t.ID, map[string]any{"state": hub.TaskFree, "host_id": nil, "assign_us": nil})
	return err
}

func freeTask(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "task_id")
	if err != nil {
		return nil, err
	}
	t, err := taskOrFail(ctx, c, id, false)
	if err != nil {
		return nil, err
	}
	return nil, freeTaskRow(ctx, c, t)
}

// taskDir is where a task's output lives: <topdir>/work/tasks/<id % 10000>/<id>.
func (c *Call) taskDir(id int64) (string, error) {
	top := c.d.Config.TopDir
	if top == "" {
		return "", hub.GenericError("the hub has no topdir configured")
	}
	return filepath.Join(top, "work", "tasks", strconv.FormatInt(id%10000, 10), strconv.FormatInt(id, 10)), nil
}

func listTaskOutput(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "taskID")
	if err != nil {
		return nil, err
	}
	if c.Args.Bool("strict") {
		if t, err := store.GetTask(ctx, c.Tx, id, false); err != nil {
			return nil, err
		} else if t == nil {
			return nil, hub.GenericError("Task doesn't exist")
		}
	}
	stat, allVolumes := c.Args.Bool("stat"), c.Args.Bool("all_volumes")
	dir, err := c.taskDir(id)
	if err != nil {
		return nil, err
	}
	names := []string{}
	stats := map[string]any{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == dir {
				return filepath.SkipDir
			}
			return err
		}
		// Files moved into packages/ or scratch/ leave a symlink behind.
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		names = append(names, rel)
		if stat {
			fi, err := os.Stat(path)
			if err != nil {
				return err
			}
			mt := float64(fi.ModTime().UnixNano()) / 1e9
			stats[rel] = map[string]any{"st_size": strconv.FormatInt(fi.Size(), 10), "st_mtime": mt, "st_atime": mt, "st_ctime": mt}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	switch {
	case allVolumes:
		out := map[string]any{}
		for _, n := range names {
			if stat {
				out[n] = map[string]any{"DEFAULT": stats[n]}
			} else {
				out[n] = []any{"DEFAULT"}
			}
		}
		return out, nil
	case stat:
		return stats, nil
	}
	return names, nil
}

func downloadTaskOutput(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	id := a.Int("taskID")
	name := a.String("fileName")
	size := a.Int("size")
	if err := a.Err(); err != nil {
		return nil, err
	}
	var offset int64
	switch x := a.Value("offset").(type) {
	case nil:
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return nil, hub.ParameterError("Invalid offset: %s", pyRepr(x))
		}
		offset = n
	default:
		n, ok := toInt(x)
		if !ok {
			return nil, hub.ParameterError("Invalid offset: %s", pyRepr(x))
		}
		offset = n
	}
	if v := a.Value("volume"); v != nil && v != "DEFAULT" {
		return nil, hub.GenericError("No such volume: %v", v)
	}
	if strings.Contains(name, "..") {
		return nil, hub.GenericError("Invalid file name: %s", name)
	}
	dir, err := c.taskDir(id)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, filepath.Clean("/"+name))
	f, err := os.Open(path)
	if err == nil {
		defer f.Close()
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil && !fi.Mode().IsRegular() {
			err = fs.ErrNotExist
		}
	}
	if err != nil {
		return nil, hub.GenericError("no file \"%s\" output by task %d", name, id)
	}
	whence := 0
	if offset < 0 {
		whence = 2
	}
	if offset != 0 {
		if _, err := f.Seek(offset, whence); err != nil {
			return nil, hub.GenericError("cannot seek to %d in %s: %v", offset, name, err)
		}
	}
	var data []byte
	if size < 0 {
		data, err = readAll(f)
	} else {
		data = make([]byte, size)
		var n int
		n, err = readFull(f, data)
		data = data[:n]
	}
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString(data), nil
}

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(r) }

// readFull reads up to len(b) bytes; a short file is not an error.
func readFull(r io.Reader, b []byte) (int, error) {
	n, err := io.ReadFull(r, b)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return n, err
}
