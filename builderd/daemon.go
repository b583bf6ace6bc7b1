// Package builderd is the builder daemon: it logs in to the hub as a build
// host, heartbeats, polls for tasks, runs each in its own goroutine with its
// own context, streams logs, and reports results through the host API.
package builderd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/builderd/buildroot"
	"github.com/gokoji/gokoji/builderd/taskdir"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// Hub is what the daemon needs of a hub session.
type Hub interface {
	Call(ctx context.Context, method string, params ...any) (any, error)
	CallKw(ctx context.Context, method string, params []any, kw map[string]any) (any, error)
	// UploadAt writes data at offset of work/<dir>/<name> (raw upload).
	UploadAt(ctx context.Context, dir, name string, offset int64, data []byte) error
}

// Config is the daemon's settings (see cmd/builderd for where they come from).
type Config struct {
	WorkDir     string        // local scratch space, one directory per task
	TopURL      string        // the hub's file tree over HTTP
	TopDir      string        // the hub's file tree mounted here; "" when not shared
	SleepTime   time.Duration // between polls when idle
	MaxJobs     int           // tasks run at once
	TaskTimeout time.Duration // wall-clock limit per task
	LogInterval time.Duration // how often running logs are uploaded
}

// Daemon runs tasks for one build host.
type Daemon struct {
	Hub      Hub
	Config   Config
	Log      logrus.FieldLogger
	Handlers map[string]Handler

	hostID  int64
	mu      sync.Mutex
	running map[int64]*running
	wg      sync.WaitGroup
	wake    chan struct{} // a handler made subtasks: poll now, not after sleeptime

	// started is when this run began, on the hub's clock (its session's
	// start_ts, as kojid's start_ts): restartVerify compares it with the
	// restart task's completion.
	started float64
	// restartPending: a restart task closed; take nothing new and return
	// ErrRestart once nothing runs.
	restartPending bool
}

// ErrRestart is what Run returns after a restart task, once no task runs:
// the caller re-executes builderd (kojid re-execs itself the same way).
var ErrRestart = errors.New("builderd: restart requested")

// errFreeTask makes runTask free the task rather than report an end: it
// runs again later (Koji's ServerRestart raised in a handler).
var errFreeTask = errors.New("free the task")

// foreground handlers run in the poll loop: nothing else is taken until
// they end (Koji's Foreground tasks).
type foreground interface{ Foreground() bool }

func (d *Daemon) setRestartPending() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.restartPending = true
}

// restarting reports whether a restart is pending, and whether no task runs.
func (d *Daemon) restarting() (pending, idle bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.restartPending, len(d.running) == 0
}

// kick makes the poll loop look for work at once.
func (d *Daemon) kick() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

type running struct {
	cancel  context.CancelFunc
	weight  float64
	waiting bool // waiting on subtasks: holds no slot (the hub counts it so too)
}

// Task is an opened task as a handler sees it.
type Task struct {
	ID      int64
	Method  string
	Arch    string
	Params  []any          // positional request params
	Kwargs  map[string]any // the request's keyword params
	Info    map[string]any // the task struct host.openTask answered
	Dir     string         // the task's own local directory
	Weight  float64
	Uploads string // work-relative upload directory: tasks/<id%10000>/<id>
}

// Handler runs one kind of task and returns its result value.
type Handler interface {
	Weight() float64
	Run(ctx context.Context, d *Daemon, t *Task) (any, error)
}

// Run serves until ctx ends. Then it takes no new tasks, lets running ones
// finish (or frees them when drain ends), reports not ready, and returns.
func (d *Daemon) Run(ctx context.Context, drain time.Duration) error {
	d.running = map[int64]*running{}
	d.wake = make(chan struct{}, 1)
	id, err := d.Hub.Call(ctx, "host.getID")
	if err != nil {
		return fmt.Errorf("host.getID: %w", err)
	}
	d.hostID, _ = id.(int64)
	d.started = float64(time.Now().UnixMicro()) / 1e6
	if si, err := d.Hub.Call(ctx, "getSessionInfo"); err == nil {
		if ts, ok := asMap(si)["start_ts"].(float64); ok {
			d.started = ts
		}
	}
	if err := d.recover(ctx); err != nil {
		return err
	}
	restart := false
	for {
		if pending, idle := d.restarting(); pending && idle {
			d.Log.Info("restart pending and no task runs: restarting")
			restart = true
			break
		}
		took, err := d.poll(ctx)
		if err != nil && ctx.Err() == nil {
			d.Log.WithError(err).Warn("poll failed")
		}
		if ctx.Err() != nil {
			break
		}
		if took {
			continue // look again at once while there is work
		}
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-time.After(d.Config.SleepTime):
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err := d.shutdown(drain); err != nil || !restart {
		return err
	}
	return ErrRestart
}

// recover frees tasks the hub thinks we hold but we do not run (we were
// killed): they go back to FREE and run again; finished subtasks are kept,
// since subtasks are found again by label.
func (d *Daemon) recover(ctx context.Context) error {
	if n := buildroot.KillLeftovers(d.Config.WorkDir); n > 0 {
		d.Log.WithField("groups", n).Info("killed builds an earlier run left behind")
	}
	// Builds killed along with the earlier run left their mounts (a mock
	// root's /proc, /sys, the shared package cache): detach them before a
	// task directory is reused or removed. Other mounts in the workdir
	// are the admin's.
	unmounted, err := taskdir.UnmountEntries(d.Config.WorkDir, "task-*")
	if len(unmounted) > 0 {
		d.Log.WithField("mounts", unmounted).Info("detached mounts builds of an earlier run left behind")
	}
	if err != nil {
		// Not fatal: removing such a task directory refuses while it is
		// mounted in, so the task fails rather than deleting through it.
		d.Log.WithError(err).Error("cannot detach mounts an earlier run left behind")
	}
	if err := d.expireBuildroots(ctx); err != nil {
		return err
	}
	res, err := d.Hub.Call(ctx, "host.getHostTasks")
	if err != nil {
		return fmt.Errorf("host.getHostTasks: %w", err)
	}
	var ids []any
	for _, t := range asList(res) {
		if m, ok := t.(map[string]any); ok {
			ids = append(ids, m["id"])
		}
	}
	if len(ids) == 0 {
		return nil
	}
	d.Log.WithField("tasks", ids).Info("freeing tasks left open by an earlier run")
	if _, err := d.Hub.Call(ctx, "host.freeTasks", ids); err != nil {
		return fmt.Errorf("host.freeTasks: %w", err)
	}
	return nil
}

// expireBuildroots expires the host's buildroots an earlier run left INIT,
// WAITING or BUILDING: nothing builds in them now.
func (d *Daemon) expireBuildroots(ctx context.Context) error {
	res, err := d.Hub.CallKw(ctx, "listBuildroots", nil, map[string]any{"hostID": d.hostID, "state": []any{int64(0), int64(1), int64(2)}})
	if err != nil {
		return fmt.Errorf("listBuildroots: %w", err)
	}
	for _, b := range asList(res) {
		m, _ := b.(map[string]any)
		if _, err := d.Hub.Call(ctx, "host.setBuildRootState", m["id"], "EXPIRED"); err != nil {
			return fmt.Errorf("expire buildroot %v: %w", m["id"], err)
		}
		d.Log.WithField("buildroot", m["id"]).Info("expired a buildroot an earlier run left")
	}
	return nil
}

func (d *Daemon) load() (float64, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var w float64
	n := 0
	for _, r := range d.running {
		if !r.waiting {
			w += r.weight
			n++
		}
	}
	return w, n
}

// setWaiting marks a running task as waiting on its subtasks or not.
func (d *Daemon) setWaiting(id int64, waiting bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.running[id]; ok {
		r.waiting = waiting
	}
}

// poll heartbeats and takes at most one task; it reports whether it took one.
func (d *Daemon) poll(ctx context.Context) (bool, error) {
	load, n := d.load()
	pending, _ := d.restarting()
	ready := n < d.Config.MaxJobs && !pending
	methods := make([]any, 0, len(d.Handlers))
	for m := range d.Handlers {
		methods = append(methods, m)
	}
	if _, err := d.Hub.CallKw(ctx, "host.updateHost", []any{load, ready},
		map[string]any{"data": map[string]any{"methods": methods, "maxjobs": int64(d.Config.MaxJobs)}}); err != nil {
		return false, fmt.Errorf("host.updateHost: %w", err)
	}
	d.checkCanceled(ctx)
	if !ready {
		return false, nil
	}
	res, err := d.Hub.Call(ctx, "host.getTask")
	if err != nil || res == nil {
		return false, err
	}
	info, _ := res.(map[string]any)
	return true, d.take(ctx, info)
}

// take opens a task and starts its handler.
func (d *Daemon) take(ctx context.Context, info map[string]any) error {
	id, _ := info["id"].(int64)
	method, _ := info["method"].(string)
	h, ok := d.Handlers[method]
	if !ok {
		_, err := d.Hub.CallKw(ctx, "host.refuseTask", []any{id}, map[string]any{"soft": false, "msg": "no handler for method " + method})
		return err
	}
	opened, err := d.Hub.Call(ctx, "host.openTask", id)
	if err != nil || opened == nil {
		return err // someone else got it
	}
	task, err := d.newTask(opened.(map[string]any), h.Weight())
	if err != nil {
		d.fail(ctx, id, err)
		return nil
	}
	if _, err := d.Hub.Call(ctx, "host.setTaskWeight", id, task.Weight); err != nil {
		return fmt.Errorf("host.setTaskWeight: %w", err)
	}
	tctx, cancel := context.WithCancel(context.Background())
	if d.Config.TaskTimeout > 0 {
		tctx, cancel = context.WithTimeout(context.Background(), d.Config.TaskTimeout)
	}
	d.mu.Lock()
	d.running[id] = &running{cancel: cancel, weight: task.Weight}
	d.mu.Unlock()
	d.wg.Add(1)
	done := make(chan struct{})
	go func() {
		defer d.wg.Done()
		defer close(done)
		defer cancel()
		d.runTask(tctx, h, task)
		d.mu.Lock()
		delete(d.running, id)
		d.mu.Unlock()
		d.kick() // a slot is free: look for work now, not after sleeptime
	}()
	if fg, ok := h.(foreground); ok && fg.Foreground() {
		<-done
	}
	return nil
}

func (d *Daemon) newTask(info map[string]any, weight float64) (*Task, error) {
	id, _ := info["id"].(int64)
	req, _ := info["request"].(string)
	call, err := xmlrpc.DecodeCall(strings.NewReader(req), xmlrpc.Limits{MaxBodyBytes: 64 << 20})
	if err != nil {
		return nil, fmt.Errorf("task %d: cannot read its request: %w", id, err)
	}
	params, kw := xmlrpc.SplitKwargs(call.Params)
	t := &Task{ID: id, Params: params, Kwargs: kw, Info: info, Weight: weight,
		Uploads: fmt.Sprintf("tasks/%d/%d", id%10000, id)}
	t.Method, _ = info["method"].(string)
	t.Arch, _ = info["arch"].(string)
	t.Dir = fmt.Sprintf("%s/task-%d", d.Config.WorkDir, id)
	return t, nil
}

// runTask runs a handler and reports its end to the hub.
func (d *Daemon) runTask(ctx context.Context, h Handler, t *Task) {
	log := d.Log.WithFields(logrus.Fields{"task": t.ID, "method": t.Method})
	log.Info("task started")
	result, err := h.Run(ctx, d, t)
	// The hub must hear the outcome even when the task's context ended.
	report := context.Background()
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		log.Info("task canceled")
	case errors.Is(err, errFreeTask):
		log.Info("freeing the task: it runs again later")
		if _, err := d.Hub.Call(report, "host.freeTasks", []any{t.ID}); err != nil {
			log.WithError(err).Error("cannot free the task")
		}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		log.Warn("task timed out")
		d.fail(report, t.ID, &TaskError{Code: 1005, Msg: fmt.Sprintf("task %d timed out after %s", t.ID, d.Config.TaskTimeout)})
	case err != nil:
		log.WithError(err).Warn("task failed")
		d.fail(report, t.ID, err)
	default:
		if err := d.close(report, t.ID, result); err != nil {
			log.WithError(err).Error("cannot report the result")
			return
		}
		log.Info("task closed")
	}
}

// TaskError is a failure with a Koji fault code (BuildError 1005 …).
type TaskError struct {
	Code int
	Msg  string
}

func (e *TaskError) Error() string { return e.Msg }

func (d *Daemon) close(ctx context.Context, id int64, result any) error {
	var buf bytes.Buffer
	if err := xmlrpc.EncodeResponse(&buf, result); err != nil {
		return err
	}
	_, err := d.Hub.Call(ctx, "host.closeTask", id, buf.String())
	return err
}

func (d *Daemon) fail(ctx context.Context, id int64, err error) {
	f := &xmlrpc.Fault{Code: 1, String: err.Error()}
	var te *TaskError
	var hf *xmlrpc.Fault
	switch {
	case errors.As(err, &te):
		f.Code = te.Code
	case errors.As(err, &hf):
		f = hf
	}
	var buf bytes.Buffer
	if xerr := xmlrpc.EncodeFault(&buf, f); xerr != nil {
		d.Log.WithError(xerr).Error("cannot encode a failure")
		return
	}
	if _, cerr := d.Hub.Call(ctx, "host.failTask", id, buf.String()); cerr != nil {
		d.Log.WithError(cerr).WithField("task", id).Error("cannot report the failure")
	}
}

// checkCanceled cancels running tasks the hub no longer has OPEN on us
// (canceled, or freed and given away).
func (d *Daemon) checkCanceled(ctx context.Context) {
	d.mu.Lock()
	ids := make([]any, 0, len(d.running))
	for id := range d.running {
		ids = append(ids, id)
	}
	d.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	res, err := d.Hub.Call(ctx, "getTaskInfo", ids)
	if err != nil {
		d.Log.WithError(err).Warn("cannot check running tasks")
		return
	}
	for _, raw := range asList(res) {
		info, _ := raw.(map[string]any)
		id, _ := info["id"].(int64)
		state, _ := info["state"].(int64)
		host, _ := info["host_id"].(int64)
		if info == nil || state != 1 || host != d.hostID { // 1 = OPEN
			d.mu.Lock()
			if r, ok := d.running[id]; ok {
				d.Log.WithField("task", id).Info("task is no longer ours: stopping it")
				r.cancel()
			}
			d.mu.Unlock()
		}
	}
}

// shutdown drains: running tasks get drain to finish, then are stopped and
// freed so another builder reruns them.
func (d *Daemon) shutdown(drain time.Duration) error {
	ctx := context.Background()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drain):
		d.mu.Lock()
		var ids []any
		for id, r := range d.running {
			r.cancel()
			ids = append(ids, id)
		}
		d.mu.Unlock()
		<-done
		if len(ids) > 0 {
			if _, err := d.Hub.Call(ctx, "host.freeTasks", ids); err != nil {
				d.Log.WithError(err).Warn("cannot free tasks")
			}
		}
	}
	_, err := d.Hub.CallKw(ctx, "host.updateHost", nil, map[string]any{"task_load": 0.0, "ready": false})
	return err
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
