package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/sched"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// Hub-run tasks. Some of Koji's task methods need only the database
// (tagBuild) or the hub's own files; the hub runs those itself, so they
// complete with no builder connected. The scheduler never gives them to a
// build host, and host.openTask refuses them.

// hubTaskFunc does one task's work inside the runner's transaction, as the
// task's owner (c's session). params is the decoded request. The result is
// stored as the task's result; an error fails the task with its fault.
type hubTaskFunc func(ctx context.Context, c *Call, params []any) (any, error)

// hubTaskMethods are the task methods the hub runs. Adding one is one entry.
var hubTaskMethods = map[string]hubTaskFunc{
	"tagBuild": runTagBuild,
}

// repoManagerMethods are run by the repo manager, outside a transaction
// (writing a repo takes a while), rather than by the task runner, and only
// while no build host serves their channel (createrepo): with one, builders
// run them as Koji's do, with createrepo subtasks per arch.
var repoManagerMethods = []string{"newRepo"}

// repoChannel is the channel of newRepo tasks and of the builders that may
// run them.
const repoChannel = "createrepo"

// HubTaskMethods lists the task methods only the hub runs (never given to
// a build host), sorted.
func HubTaskMethods() []string {
	out := make([]string, 0, len(hubTaskMethods))
	for m := range hubTaskMethods {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// hubOnly reports whether only the hub runs method.
func hubOnly(method string) bool {
	_, ok := hubTaskMethods[method]
	return ok
}

// isHubTask reports whether the hub may run method (itself only, or while
// no builder serves its channel).
func isHubTask(method string) bool {
	return hubOnly(method) || slices.Contains(repoManagerMethods, method)
}

// kickHubTasks wakes the runner (a task to run was committed).
func (d *Dispatcher) kickHubTasks() {
	select {
	case d.hubKick <- struct{}{}:
	default:
	}
}

// RunHubTasks runs FREE hub-run tasks, one transaction each, until none is
// left or another hub holds the lease; it returns how many ran.
func (d *Dispatcher) RunHubTasks(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		ran, err := d.runOneHubTask(ctx)
		if err != nil || !ran {
			return n, err
		}
		n++
	}
	return n, ctx.Err()
}

// HubTaskWorker runs hub-run tasks whenever a call queues one, and every
// interval (tasks queued through another hub, or left by a crash), until
// ctx ends.
func (d *Dispatcher) HubTaskWorker(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if _, err := d.RunHubTasks(ctx); err != nil && ctx.Err() == nil {
			d.Log.WithError(err).Warn("hub task runner failed")
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-d.hubKick:
		}
	}
}

// runOneHubTask opens, runs and closes (or fails) one task in one
// transaction: a crash before the commit leaves the task FREE, to run again.
func (d *Dispatcher) runOneHubTask(ctx context.Context) (bool, error) {
	tx, err := d.DB.Begin(ctx, true)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if ok, err := store.TryHubTaskLease(ctx, tx); err != nil || !ok {
		return false, err
	}
	t, err := store.PickHubTask(ctx, tx, HubTaskMethods())
	if err != nil || t == nil {
		return false, err
	}
	now := d.Now()
	if _, err := store.SetTaskFields(ctx, tx, t.ID, map[string]any{"state": hub.TaskOpen, "start_us": now.UnixMicro()}, hub.TaskFree); err != nil {
		return false, err
	}
	fx := &effects{}
	defer fx.abort(0)
	c := &Call{Tx: tx, d: d, fx: fx}
	var result any
	runErr := tx.Savepoint(ctx, func() error {
		params, err := decodeRequest(derefStr(t.Request))
		if err != nil {
			return hub.GenericError("task %d: unreadable request: %v", t.ID, err)
		}
		if err := c.actAs(ctx, t.Owner); err != nil {
			return err
		}
		result, err = hubTaskMethods[t.Method](ctx, c, params)
		return err
	})
	if runErr != nil {
		fx.abort(0)
		var f *hub.Fault
		if !errors.As(runErr, &f) {
			d.Log.WithError(runErr).WithField("task", t.ID).Error("hub task failed")
			f = hub.Errorf(hub.CodeInternal, "%v", runErr)
		}
		if _, err := sched.FailTask(ctx, tx, t.ID, f, now); err != nil {
			return false, err
		}
	} else {
		var buf bytes.Buffer
		if err := xmlrpc.EncodeResponse(&buf, result); err != nil {
			return false, fmt.Errorf("task %d: encode result: %w", t.ID, err)
		}
		if _, err := store.SetTaskFields(ctx, tx, t.ID, map[string]any{"state": hub.TaskClosed, "result": buf.String(),
			"completion_us": d.Now().UnixMicro()}, hub.TaskOpen); err != nil {
			return false, err
		}
	}
	if err := fx.commit(); err != nil {
		return false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	fx.done()
	return true, nil
}

func derefStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// actAs makes c act for user id: its permissions and its name, as a task
// runs with its owner's rights.
func (c *Call) actAs(ctx context.Context, userID int64) error {
	u, err := store.UserBy(ctx, c.Tx, "id", userID)
	if err != nil {
		return err
	}
	if u == nil {
		return hub.GenericError("No such user: %d", userID)
	}
	c.Session = &Session{Session: store.Session{UserID: u.ID}, User: *u}
	c.perms = nil
	return nil
}
