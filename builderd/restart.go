package builderd

import (
	"context"
	"fmt"
	"time"
)

// Koji's task states, by number, for messages.
var taskStateNames = []string{"FREE", "OPEN", "CLOSED", "CANCELED", "ASSIGNED", "FAILED"}

func genericError(format string, args ...any) error {
	return &TaskError{Code: 1000, Msg: fmt.Sprintf(format, args...)}
}

// restartHostsHandler is Koji's restartHosts([options]): a restart and a
// restartVerify subtask assigned to each enabled host that matches the
// options (channel, arches), then a wait for them all (options' timeout,
// one day by default). When this host is among them, the task is freed
// once its own restart task closed, so that the restart is not held up by
// it; the restarted builderd takes it again and finds its subtasks by label.
type restartHostsHandler struct{}

func (restartHostsHandler) Weight() float64 { return 0.1 }

func (restartHostsHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	opts := mapArg(t.Params, 0)
	query := map[string]any{"enabled": true}
	if ch, ok := opts["channel"]; ok {
		info, err := d.Hub.CallKw(ctx, "getChannel", []any{ch}, map[string]any{"strict": true})
		if err != nil {
			return nil, err
		}
		query["channelID"] = asMap(info)["id"]
	}
	if arches, ok := opts["arches"]; ok {
		query["arches"] = arches
	}
	res, err := d.Hub.CallKw(ctx, "listHosts", nil, query)
	if err != nil {
		return nil, fmt.Errorf("listHosts: %w", err)
	}
	hosts := asList(res)
	if len(hosts) == 0 {
		return nil, genericError("No matching hosts")
	}
	timeout := 24 * time.Hour
	switch v := opts["timeout"].(type) {
	case int64:
		timeout = time.Duration(v) * time.Second
	case float64:
		timeout = time.Duration(v * float64(time.Second))
	}
	var all, mine []any
	for _, h := range hosts {
		host := asMap(h)
		hid, _ := host["id"].(int64)
		// As in Koji, an assignment bypasses channel restrictions.
		ids, err := d.makeSubtasks(ctx, t, []subtaskSpec{
			{method: "restart", label: fmt.Sprintf("restart %d", hid), args: []any{host}, assign: hid}})
		if err != nil {
			return nil, err
		}
		verify, err := d.makeSubtasks(ctx, t, []subtaskSpec{
			{method: "restartVerify", label: fmt.Sprintf("sleep %d", hid), args: []any{ids[0], host}, assign: hid}})
		if err != nil {
			return nil, err
		}
		all = append(all, ids[0], verify[0])
		if hid == d.hostID {
			mine = []any{ids[0], verify[0]}
		}
	}
	if mine != nil {
		if _, err := d.waitSubtasks(ctx, t, mine[:1], timeout); err != nil {
			return nil, err
		}
		if pending, _ := d.restarting(); pending {
			// This run restarts: free the task so that the restart
			// need not wait for it (kojid raises ServerRestart here).
			return nil, errFreeTask
		}
	}
	if _, err := d.waitSubtasks(ctx, t, all, timeout); err != nil {
		return nil, err
	}
	return nil, nil
}

// restartHandler is Koji's restart(host): the daemon restarts once it runs
// no other task, and takes none meanwhile.
type restartHandler struct{}

func (restartHandler) Weight() float64  { return 0.1 }
func (restartHandler) Foreground() bool { return true }

func (restartHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	if id, _ := mapArg(t.Params, 0)["id"].(int64); id != d.hostID {
		return nil, genericError("Host mismatch")
	}
	d.setRestartPending()
	return "graceful restart initiated", nil
}

// restartVerifyHandler is Koji's restartVerify(task_id, host): it passes
// when the restart task closed and this daemon started after it did.
type restartVerifyHandler struct{}

func (restartVerifyHandler) Weight() float64  { return 0.1 }
func (restartVerifyHandler) Foreground() bool { return true }

func (restartVerifyHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	res, err := d.Hub.Call(ctx, "getTaskInfo", intArg(t.Params, 0))
	if err != nil {
		return nil, err
	}
	info := asMap(res)
	if info == nil {
		return nil, genericError("No such task: %d", intArg(t.Params, 0))
	}
	state, _ := info["state"].(int64)
	if state != 2 { // CLOSED
		name := fmt.Sprint(state)
		if state >= 0 && int(state) < len(taskStateNames) {
			name = taskStateNames[state]
		}
		return nil, genericError("Stage one restart task is %s", name)
	}
	if id, _ := mapArg(t.Params, 1)["id"].(int64); id != d.hostID {
		return nil, genericError("Host mismatch")
	}
	if done, _ := info["completion_ts"].(float64); d.started < done {
		sec := int64(d.started)
		start := time.Unix(sec, int64((d.started-float64(sec))*1e9)).Format(time.ANSIC)
		return nil, genericError("Restart failed - start time is %s", start)
	}
	return nil, nil
}
