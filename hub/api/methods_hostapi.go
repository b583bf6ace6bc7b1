package api

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sort"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// The host.* calls: what build hosts use. All need a host's exclusive session.
func hostAPIMethods() []Method {
	h := Access{Host: true}
	return []Method{
		{Name: "host.getID", Access: h, Doc: "The calling host's id.",
			Handler: func(ctx context.Context, c *Call) (any, error) { return c.HostID(), nil }},
		{Name: "host.getHost", Access: h, Doc: "The calling host, as getHost returns it.",
			Handler: hostGetHost},
		{Name: "host.updateHost", Params: []Param{P("task_load"), P("ready"), Opt("data", nil)}, Access: h, Writes: true, KeepsAnswers: true,
			Doc: "The builder's heartbeat: its load and readiness, and (data) {methods, maxjobs, …} for the scheduler.", Handler: hostUpdateHost},
		{Name: "host.setHostData", Params: []Param{P("hostdata")}, Access: h, Writes: true,
			Doc: "Store the builder's scheduler data (older builders).", Handler: hostSetHostData},
		{Name: "host.getTask", Access: h, Writes: true, KeepsAnswers: true, Ext: true,
			Doc:     "Our builder's poll (Koji has no such call): the next task this host should run, ASSIGNED to it, as getTaskInfo(request=True) returns it; or nil. Counts as a heartbeat.",
			Handler: hostGetTask},
		{Name: "host.getTasks", Access: h, Writes: true,
			Doc:     "The tasks ASSIGNED to the calling host: [{id, state, channel_id, host_id, arch, method, priority, create_ts}]; if none, the scheduler first assigns what fits.",
			Handler: hostGetTasks},
		{Name: "host.getLoadData", Access: h, Writes: true,
			Doc: "For older builders: [[this host with its channel ids], the tasks assigned to it].", Handler: hostGetLoadData},
		{Name: "host.getHostTasks", Access: h, Doc: "The host's OPEN tasks: [{id, waiting, weight, alert?}]; alert marks a waiting task whose awaited subtasks finished.",
			Handler: hostGetHostTasks},
		{Name: "host.openTask", Params: []Param{P("task_id")}, Access: h, Writes: true,
			Doc: "Start a FREE task or one ASSIGNED to this host: it becomes OPEN; returns the task with its raw request, or nil.", Handler: hostOpenTask},
		{Name: "host.closeTask", Params: []Param{P("task_id"), P("response")}, Access: h, Writes: true,
			Doc: "Finish an OPEN task this host runs, storing response (a <methodResponse> document): CLOSED.", Handler: hostFinishTask(hub.TaskClosed)},
		{Name: "host.failTask", Params: []Param{P("task_id"), P("response")}, Access: h, Writes: true,
			Doc: "Fail an OPEN task this host runs, storing response (a fault document): FAILED.", Handler: hostFinishTask(hub.TaskFailed)},
		{Name: "host.freeTasks", Params: []Param{P("tasks")}, Access: h, Writes: true,
			Doc: "Give back OPEN tasks of this host (others are skipped).", Handler: hostFreeTasks},
		{Name: "host.refuseTask", Params: []Param{P("task_id"), Opt("soft", true), Opt("msg", "")}, Access: h, Writes: true,
			Doc: "Refuse a task assigned to this host: it is freed and not offered to this host again (soft refusals expire).", Handler: hostRefuseTask},
		{Name: "host.setTaskWeight", Params: []Param{P("task_id"), P("weight")}, Access: h, Writes: true,
			Doc: "Set the weight of an OPEN task this host runs.", Handler: hostSetTaskWeight},
		{Name: "host.subtask", Params: []Param{P("method"), P("arglist"), P("parent")}, VarKW: "opts", Access: h, Writes: true,
			Doc:     "Create a subtask of an OPEN task this host runs; opts: label, arch, priority, channel, kwargs. An existing subtask with the same label is returned instead.",
			Handler: hostSubtask},
		{Name: "host.subtask2", Params: []Param{P("_HostExports__parent"), P("_HostExports__taskopts"), P("_HostExports__method")},
			VarArgs: "args", VarKW: "opts", Access: h, Writes: true,
			Doc: "host.subtask with the task options first and the subtask's own arguments after.", Handler: hostSubtask2},
		{Name: "host.taskSetWait", Params: []Param{P("parent"), P("tasks")}, Access: h, Writes: true,
			Doc: "Mark the parent waiting on the listed subtasks (nil: all of them).", Handler: hostTaskSetWait},
		{Name: "host.taskWait", Params: []Param{P("parent")}, Access: h, Writes: true,
			Doc: "[finished, unfinished] ids among the awaited subtasks; finished ones stop being awaited.", Handler: hostTaskWait},
		{Name: "host.taskWaitResults", Params: []Param{P("parent"), P("tasks"), Opt("canfail", nil)}, Access: h, Writes: true,
			Doc: "[[id, result]] of the listed (nil: all finished) subtasks; a failed subtask not in canfail raises its fault.", Handler: hostTaskWaitResults},
		{Name: "host.tagBuild", Params: []Param{P("task_id"), P("tag"), P("build"), Opt("force", false), Opt("fromtag", nil)},
			Access: h, Writes: true,
			Doc:     "Tag a build (with fromtag: move it) for an OPEN task of this host, as the task's owner, after the package list check.",
			Handler: hostTagBuild},
		{Name: "host.tagNotification", Params: []Param{P("is_successful"), P("tag_id"), P("from_id"), P("build_id"), P("user_id"),
			Opt("ignore_success", false), Opt("failure_msg", "")}, Access: h,
			Doc: "Accepted and ignored: there are no tag notification mails here.", Handler: func(context.Context, *Call) (any, error) { return nil, nil }},
		{Name: "host.isEnabled", Access: h, Doc: "Whether the calling host is enabled.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				hst, err := store.HostBy(ctx, c.Tx, "id", c.HostID(), nil)
				if err != nil || hst == nil {
					return nil, err
				}
				return hst.Enabled, nil
			}},
		{Name: "host.assertPolicy", Params: []Param{P("name"), P("data"), Opt("default", "deny")}, Access: h,
			Doc: "Fail with ActionNotAllowed unless the named policy allows data.", Handler: hostPolicy(true)},
		{Name: "host.checkPolicy", Params: []Param{P("name"), P("data"), Opt("default", "deny"), Opt("strict", false)}, Access: h,
			Doc: "[allowed, reason] of the named policy for data.", Handler: hostPolicy(false)},
		{Name: "host.evalPolicy", Params: []Param{P("name"), P("data")}, Access: h,
			Doc: "evalPolicy for a build host.", Handler: evalPolicyCall},
		// Koji's hosts may write signed copies too (a signing task on a
		// builder); the work is writeSignedRPM's, with the host's rights.
		{Name: "host.writeSignedRPM", Params: []Param{P("an_rpm"), P("sigkey"), Opt("force", false)}, Access: h, Writes: true,
			Doc: "writeSignedRPM for a build host.", Handler: writeSignedRPM},
	}
}

func hostGetHost(ctx context.Context, c *Call) (any, error) {
	hst, err := store.HostBy(ctx, c.Tx, "id", c.HostID(), nil)
	if err != nil || hst == nil {
		return nil, err
	}
	return hostStruct(hst), nil
}

func hostUpdateHost(ctx context.Context, c *Call) (any, error) {
	load := c.Args.Float("task_load")
	ready := c.Args.Bool("ready")
	data := c.Args.Map("data")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	var hd *store.HostData
	if data != nil {
		d, err := hostData(data)
		if err != nil {
			return nil, err
		}
		hd = &d
	}
	// A heartbeat is soft state, sent again a second later: like a poll,
	// it need not wait for a disk flush.
	c.Tx.AsyncCommit()
	return nil, store.UpdateHostStatus(ctx, c.Tx, c.HostID(), load, ready, c.d.Now().UnixMicro(), hd)
}

// hostData stores data, a builder's announcement ({methods, maxjobs, …}),
// as an XML-RPC document.
func hostData(data map[string]any) (store.HostData, error) {
	var d store.HostData
	if v, ok := toInt(data["maxjobs"]); ok {
		d.MaxJobs = &v
	}
	var buf bytes.Buffer
	if err := xmlrpc.EncodeResponse(&buf, data); err != nil {
		return d, hub.ParameterError("cannot store host data: %v", err)
	}
	d.Doc = buf.String()
	return d, nil
}

func hostSetHostData(ctx context.Context, c *Call) (any, error) {
	data := c.Args.Map("hostdata")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	d, err := hostData(data)
	if err != nil {
		return nil, err
	}
	return nil, store.SetHostData(ctx, c.Tx, c.HostID(), d)
}

// schedule runs the rate-limited maintenance pass and then, if the host has
// nothing ASSIGNED, gives it what fits (up to max). It returns the host's
// ASSIGNED tasks. withRequest reads a single newly assigned task's request
// in the same query, as host.getTask answers it.
func (c *Call) schedule(ctx context.Context, max int, withRequest bool) ([]store.Task, error) {
	// A lost assignment or heartbeat is harmless: the task stays FREE, or
	// the AssignTimeout frees it. So polls need not wait for a disk flush.
	c.Tx.AsyncCommit()
	now := c.d.Now()
	if _, err := c.d.Sched.MaybeRun(ctx, c.Tx, now); err != nil {
		return nil, err
	}
	// One read gives the ASSIGNED tasks (the answer, if there are any) and
	// the host's load, which its OPEN tasks make.
	current, err := store.HostTasks(ctx, c.Tx, c.HostID(), hub.TaskOpen, hub.TaskAssigned)
	if err != nil {
		return nil, err
	}
	var assigned []store.Task
	for _, t := range current {
		if t.State == hub.TaskAssigned {
			assigned = append(assigned, t)
		}
	}
	if len(assigned) > 0 {
		return assigned, nil
	}
	hst, err := store.HostBy(ctx, c.Tx, "id", c.HostID(), nil)
	if err != nil || hst == nil {
		return nil, err
	}
	got, err := c.d.Sched.AssignFor(ctx, c.Tx, hst, current, max, now, withRequest)
	if err != nil || len(got) <= 1 {
		return got, err
	}
	return store.HostTasks(ctx, c.Tx, c.HostID(), hub.TaskAssigned)
}

func hostGetTask(ctx context.Context, c *Call) (any, error) {
	// A poll shows the builder is alive, as updateHost does.
	if _, err := c.Tx.Exec(ctx, "UPDATE host SET update_us = ? WHERE id = ?", c.d.Now().UnixMicro(), c.HostID()); err != nil {
		return nil, err
	}
	tasks, err := c.schedule(ctx, 1, true)
	if err != nil || len(tasks) == 0 {
		return nil, err
	}
	t := &tasks[0]
	if t.Request == nil {
		// Assigned before this poll: read without its request.
		if t, err = store.GetTask(ctx, c.Tx, t.ID, true); err != nil || t == nil {
			return nil, err
		}
	}
	m := taskStruct(t)
	return m, withRequest(m, t)
}

func assignedStructs(tasks []store.Task) []map[string]any {
	out := make([]map[string]any, len(tasks))
	for i, t := range tasks {
		out[i] = map[string]any{"id": t.ID, "state": t.State, "channel_id": t.ChannelID, "host_id": t.HostID,
			"arch": t.Arch, "method": t.Method, "priority": t.Priority, "create_ts": hub.TS(t.CreateUS)}
	}
	return out
}

func hostGetTasks(ctx context.Context, c *Call) (any, error) {
	tasks, err := c.schedule(ctx, 100, false)
	if err != nil {
		return nil, err
	}
	return assignedStructs(tasks), nil
}

func hostGetLoadData(ctx context.Context, c *Call) (any, error) {
	tasks, err := c.schedule(ctx, 100, false)
	if err != nil {
		return nil, err
	}
	hst, err := store.HostBy(ctx, c.Tx, "id", c.HostID(), nil)
	if err != nil || hst == nil {
		return nil, err
	}
	id := c.HostID()
	chans, err := store.ListChannels(ctx, c.Tx, &id, nil, nil)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(chans))
	for i, ch := range chans {
		ids[i] = ch.ID
	}
	hm := hostStruct(hst)
	hm["channels"] = ids
	return []any{[]any{hm}, assignedStructs(tasks)}, nil
}

// waitCheck is [finished, unfinished] among parent's awaited children.
func waitCheck(ctx context.Context, c *Call, parent int64) ([]int64, []int64, error) {
	kids, err := store.AwaitedChildren(ctx, c.Tx, parent)
	if err != nil {
		return nil, nil, err
	}
	finished, unfinished := []int64{}, []int64{}
	for _, k := range kids {
		if hub.TaskDone(k.State) {
			finished = append(finished, k.ID)
		} else {
			unfinished = append(unfinished, k.ID)
		}
	}
	return finished, unfinished, nil
}

func hostGetHostTasks(ctx context.Context, c *Call) (any, error) {
	tasks, err := store.HostTasks(ctx, c.Tx, c.HostID(), hub.TaskOpen)
	if err != nil {
		return nil, err
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].ID < tasks[j].ID })
	out := make([]map[string]any, len(tasks))
	for i, t := range tasks {
		out[i] = map[string]any{"id": t.ID, "waiting": t.Waiting, "weight": t.Weight}
		if t.Waiting != nil && *t.Waiting {
			finished, _, err := waitCheck(ctx, c, t.ID)
			if err != nil {
				return nil, err
			}
			if len(finished) > 0 {
				out[i]["alert"] = true
			}
		}
	}
	return out, nil
}

func hostOpenTask(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "task_id")
	if err != nil {
		return nil, err
	}
	t, err := store.OpenTask(ctx, c.Tx, id, c.HostID(), c.d.Now().UnixMicro(), c.d.Sched.HubMethods)
	if err != nil {
		return nil, err
	}
	if t == nil {
		// Taken by another host, run by the hub, canceled or finished: not
		// an error. A task that is not there is.
		_, err := taskOrFail(ctx, c, id, false)
		return nil, err
	}
	m := taskStruct(t)
	m["request"] = string(legacyDoc(*t.Request))
	return m, nil
}

// ownedOpenTask reads a task that must be OPEN on the calling host.
func ownedOpenTask(ctx context.Context, c *Call, id int64) (*store.Task, error) {
	t, err := taskOrFail(ctx, c, id, false)
	if err != nil {
		return nil, err
	}
	if t.State != hub.TaskOpen || t.HostID == nil || *t.HostID != c.HostID() {
		return nil, hub.NotAllowed("host %d does not own task %d", c.HostID(), id)
	}
	return t, nil
}

func hostFinishTask(state int) Handler {
	return func(ctx context.Context, c *Call) (any, error) {
		id := c.Args.Int("task_id")
		resp := c.Args.String("response")
		if err := c.Args.Err(); err != nil {
			return nil, err
		}
		// Store only what can be read back: a result or a fault document.
		_, derr := decodeResult(resp)
		var f *xmlrpc.Fault
		if derr != nil && !errors.As(derr, &f) {
			// A host that does not own the task hears that first.
			if _, err := ownedOpenTask(ctx, c, id); err != nil {
				return nil, err
			}
			return nil, hub.ParameterError("task %d: response is not an XML-RPC methodResponse document: %v", id, derr)
		}
		done, err := store.FinishTask(ctx, c.Tx, id, c.HostID(), state, resp, c.d.Now().UnixMicro())
		if err != nil || done {
			return nil, err
		}
		// Nothing changed: say why.
		if _, err := ownedOpenTask(ctx, c, id); err != nil {
			return nil, err
		}
		return nil, hub.NotAllowed("host %d does not own task %d", c.HostID(), id)
	}
}

func hostFreeTasks(ctx context.Context, c *Call) (any, error) {
	list := c.Args.List("tasks")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	for _, v := range list {
		id, ok := toInt(v)
		if !ok {
			return nil, hub.ParameterError("host.freeTasks: task ids must be integers, not %s", typeName(v))
		}
		t, err := taskOrFail(ctx, c, id, false)
		if err != nil {
			return nil, err
		}
		if t.State != hub.TaskOpen || t.HostID == nil || *t.HostID != c.HostID() {
			continue // freed or reassigned since the host last looked
		}
		if err := freeTaskRow(ctx, c, t); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func hostRefuseTask(ctx context.Context, c *Call) (any, error) {
	id := c.Args.Int("task_id")
	soft := c.Args.Bool("soft")
	var msg string
	if v := c.Args.Value("msg"); v != nil {
		s, ok := v.(string)
		if !ok {
			return nil, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'str'>", v, pyClass(v))
		}
		msg = s
	}
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := taskOrNoRows(ctx, c, id, false)
	if err != nil {
		return nil, err
	}
	if t.HostID == nil || *t.HostID != c.HostID() {
		return nil, nil // not ours: Koji only logs this
	}
	if err := freeTaskRow(ctx, c, t); err != nil {
		return nil, err
	}
	nowUS := c.d.Now().UnixMicro()
	if err := store.SchedLog(ctx, c.Tx, nowUS, id, c.HostID(), "Host refused task: "+msg); err != nil {
		return nil, err
	}
	return nil, store.SetRefusal(ctx, c.Tx, store.Refusal{TaskID: id, HostID: c.HostID(), ByHost: true, Soft: soft,
		Msg: msg, TimeUS: nowUS})
}

func hostSetTaskWeight(ctx context.Context, c *Call) (any, error) {
	id := c.Args.Int("task_id")
	w := c.Args.Float("weight")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if w < 0 {
		return nil, hub.GenericError("task weight must not be negative: %v", w)
	}
	if _, err := ownedOpenTask(ctx, c, id); err != nil {
		return nil, err
	}
	_, err := store.SetTaskFields(ctx, c.Tx, id, map[string]any{"weight": w})
	return nil, err
}

// subtask is Koji's HostExports.subtask.
func subtask(ctx context.Context, c *Call, method any, arglist any, parent any, opts map[string]any) (any, error) {
	pid, err := intOf(parent)
	if err != nil {
		return nil, err
	}
	if _, err := ownedOpenTask(ctx, c, pid); err != nil {
		return nil, err
	}
	if _, ok := opts["owner"]; ok {
		return nil, hub.NotAllowed("The owner option is not allowed here")
	}
	name, ok := method.(string)
	if !ok {
		return nil, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'str'>", method, pyClass(method))
	}
	args, ok := arglist.([]any)
	if !ok {
		return nil, hub.ParameterError("subtask arglist must be a list, not %s", typeName(arglist))
	}
	if label, ok := opts["label"].(string); ok {
		if id, err := store.ChildByLabel(ctx, c.Tx, pid, label); err != nil || id != 0 {
			return id, err
		}
	}
	if kw, ok := opts["kwargs"]; ok {
		m, ok := kw.(map[string]any)
		if !ok && kw != nil {
			return nil, hub.ParameterError("subtask kwargs must be a struct, not %s", typeName(kw))
		}
		if len(m) > 0 {
			args = xmlrpc.WithKwargs(append([]any(nil), args...), m)
		}
	}
	rest := map[string]any{}
	for k, v := range opts {
		if k != "kwargs" {
			rest[k] = v
		}
	}
	o, err := parseTaskOpts(rest)
	if err != nil {
		return nil, err
	}
	o.Parent = &pid
	return createTask(ctx, c, name, args, o)
}

func hostSubtask(ctx context.Context, c *Call) (any, error) {
	return subtask(ctx, c, c.Args.Value("method"), c.Args.Value("arglist"), c.Args.Value("parent"), c.Args.Kwargs())
}

func hostSubtask2(ctx context.Context, c *Call) (any, error) {
	taskopts, ok := c.Args.Value("_HostExports__taskopts").(map[string]any)
	if !ok && c.Args.Value("_HostExports__taskopts") != nil {
		return nil, hub.ParameterError("host.subtask2: task options must be a struct")
	}
	args := append([]any(nil), c.Args.VarArgs()...)
	if kw := c.Args.Kwargs(); len(kw) > 0 {
		args = xmlrpc.WithKwargs(args, kw)
	}
	return subtask(ctx, c, c.Args.Value("_HostExports__method"), args, c.Args.Value("_HostExports__parent"), taskopts)
}

// waitParent checks the parent of a wait call: an OPEN task of this host.
func waitParent(ctx context.Context, c *Call) (int64, error) {
	id, err := taskIDArg(c, "parent")
	if err != nil {
		return 0, err
	}
	_, err = ownedOpenTask(ctx, c, id)
	return id, err
}

func idList(v any, what string) ([]int64, error) {
	if v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, hub.ParameterError("%s must be a list of task ids or None, not %s", what, typeName(v))
	}
	out := make([]int64, 0, len(l))
	for _, e := range l {
		n, ok := toInt(e)
		if !ok {
			return nil, hub.ParameterError("%s must be a list of task ids, not a list holding %s", what, typeName(e))
		}
		out = append(out, n)
	}
	return out, nil
}

func hostTaskSetWait(ctx context.Context, c *Call) (any, error) {
	parent, err := waitParent(ctx, c)
	if err != nil {
		return nil, err
	}
	tasks, err := idList(c.Args.Value("tasks"), "tasks")
	if err != nil {
		return nil, err
	}
	if _, err := store.SetTaskFields(ctx, c.Tx, parent, map[string]any{"waiting": true}); err != nil {
		return nil, err
	}
	if tasks != nil && len(tasks) == 0 {
		return nil, nil // nothing to wait on, as Koji (it only logs)
	}
	return nil, store.SetChildrenAwaited(ctx, c.Tx, parent, tasks, true)
}

func hostTaskWait(ctx context.Context, c *Call) (any, error) {
	parent, err := waitParent(ctx, c)
	if err != nil {
		return nil, err
	}
	finished, unfinished, err := waitCheck(ctx, c, parent)
	if err != nil {
		return nil, err
	}
	for _, id := range finished {
		if _, err := store.SetTaskFields(ctx, c.Tx, id, map[string]any{"awaited": false}); err != nil {
			return nil, err
		}
	}
	return []any{finished, unfinished}, nil
}

func hostTaskWaitResults(ctx context.Context, c *Call) (any, error) {
	parent, err := waitParent(ctx, c)
	if err != nil {
		return nil, err
	}
	tasks, err := idList(c.Args.Value("tasks"), "tasks")
	if err != nil {
		return nil, err
	}
	canfail, err := idList(c.Args.Value("canfail"), "canfail")
	if err != nil {
		return nil, err
	}
	// Getting the results ends the wait.
	if _, err := store.SetTaskFields(ctx, c.Tx, parent, map[string]any{"waiting": false}); err != nil {
		return nil, err
	}
	if _, err := c.Tx.Exec(ctx, "UPDATE task SET awaited = FALSE WHERE parent = ?", parent); err != nil {
		return nil, err
	}
	if tasks == nil {
		if tasks, err = store.FinishedChildren(ctx, c.Tx, parent); err != nil {
			return nil, err
		}
	}
	out := make([]any, 0, len(tasks))
	for _, id := range tasks {
		mayFail := slices.Contains(canfail, id)
		res, err := taskResult(ctx, c.Tx, id, !mayFail)
		if err != nil {
			state, _, found, serr := store.TaskResult(ctx, c.Tx, id)
			if serr != nil {
				return nil, serr
			}
			if mayFail && found && state == hub.TaskCanceled {
				f := hub.AsFault(err)
				out = append(out, []any{id, map[string]any{"faultCode": f.Code, "faultString": f.Msg}})
				continue
			}
			return nil, err
		}
		out = append(out, []any{id, res})
	}
	return out, nil
}

func hostTagBuild(ctx context.Context, c *Call) (any, error) {
	id, err := taskIDArg(c, "task_id")
	if err != nil {
		return nil, err
	}
	t, err := ownedOpenTask(ctx, c, id)
	if err != nil {
		return nil, err
	}
	as := *c
	if err := as.actAs(ctx, t.Owner); err != nil {
		return nil, err
	}
	a := c.Args
	return nil, doTagBuild(ctx, &as, a.Value("tag"), a.Value("build"), a.Bool("force"), a.Value("fromtag"))
}
