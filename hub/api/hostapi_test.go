package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/sched"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// fakeClock is a settable clock for the scheduler's timeouts.
type fakeClock struct{ us atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.us.Store(time.Now().UnixMicro())
	return c
}
func (c *fakeClock) Now() time.Time            { return time.UnixMicro(c.us.Load()) }
func (c *fakeClock) Advance(d time.Duration)   { c.us.Add(d.Microseconds()) }
func withClock(c *fakeClock) func(*api.Config) { return func(cfg *api.Config) { cfg.Clock = c.Now } }

// startHost adds a build host with a password, puts it in channels, logs it
// in with an exclusive session and reports it ready, as a builder starts.
func startHost(t testing.TB, h *hubtest.Hub, admin *xmlrpc.Client, name string, arches []any, channels ...string) (*xmlrpc.Client, int64) {
	t.Helper()
	id := callKw(t, admin, "addHost", []any{name, arches}, map[string]any{"password": "pw-" + name}).(int64)
	for _, ch := range channels {
		callKw(t, admin, "addHostToChannel", []any{name, ch}, map[string]any{"create": true})
	}
	c := h.Login(t, name, "pw-"+name)
	call(t, c, "exclusiveSession")
	if got := call(t, c, "host.getID"); got != id {
		t.Fatalf("host.getID = %v, want %d", got, id)
	}
	callKw(t, c, "host.updateHost", []any{0.0, true}, map[string]any{"data": map[string]any{"methods": []any{"foo"}, "maxjobs": int64(10)}})
	return c, id
}

// result and faultDoc are what a builder sends to closeTask and failTask.
func resultDoc(t *testing.T, v any) string {
	var b bytes.Buffer
	if err := xmlrpc.EncodeResponse(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func faultDoc(t *testing.T, code int, msg string) string {
	var b bytes.Buffer
	if err := xmlrpc.EncodeFault(&b, &xmlrpc.Fault{Code: code, String: msg}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func taskState(t *testing.T, c *xmlrpc.Client, id any) int64 {
	t.Helper()
	return call(t, c, "getTaskInfo", id).(map[string]any)["state"].(int64)
}

// allTasks is every task with request and result: what a failed call must
// leave unchanged.
func allTasks(t *testing.T, c *xmlrpc.Client) any {
	t.Helper()
	return callKw(t, c, "listTasks", []any{map[string]any{}, map[string]any{"order": "id"}}, nil)
}

func TestHostAccess(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		callKw(t, admin, "addHost", []any{"b1", []any{"x86_64"}}, map[string]any{"password": "pw"})
		shared := h.Login(t, "b1", "pw")
		cases := []struct {
			who  *xmlrpc.Client
			code int
			msg  string
		}{
			{h.Client(), hub.CodeAuth, "Not logged-in"},
			{admin, hub.CodeAuth, "User 1 is not a host"},
			{shared, hub.CodeAuth, "This method requires an exclusive session"},
		}
		for _, m := range []string{"host.getID", "host.getTask", "host.getTasks", "host.updateHost", "host.openTask", "host.subtask"} {
			for _, tc := range cases {
				args := map[string][]any{"host.updateHost": {1.0, true}, "host.openTask": {int64(1)}, "host.subtask": {"x", []any{}, int64(1)}}[m]
				_, err := tc.who.Call(ctx, m, args...)
				fault(t, err, tc.code, tc.msg)
			}
		}
		// A subsession of the exclusive session counts as exclusive.
		call(t, shared, "exclusiveSession")
		sub := call(t, shared, "subsession").(map[string]any)
		child := &xmlrpc.Client{URL: h.URL, SessionID: sub["session-id"].(int64), SessionKey: sub["session-key"].(string)}
		if got := call(t, child, "host.getID"); got != int64(1) {
			t.Errorf("host.getID in a subsession = %v", got)
		}
	})
}

// TestHostSimulator walks a generic task through the builder protocol and,
// at each step, makes the call fail in the ways a confused or hostile host
// could, checking that the failure changes nothing.
func TestHostSimulator(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		b1, id1 := startHost(t, h, admin, "b1.example.com", []any{"x86_64"})
		b2, id2 := startHost(t, h, admin, "b2.example.com", []any{"x86_64"})
		parent := callKw(t, admin, "makeTask", []any{"parentjob", []any{"a", int64(1)}}, map[string]any{"priority": int64(10)}).(int64)

		// bad is a call that must fail with code and msg and change nothing.
		bad := func(who *xmlrpc.Client, code int, msg, method string, args ...any) {
			t.Helper()
			before := allTasks(t, admin)
			_, err := who.Call(ctx, method, args...)
			fault(t, err, code, msg)
			if after := allTasks(t, admin); !reflect.DeepEqual(before, after) {
				t.Errorf("failed %s changed the tasks:\n%v\n%v", method, before, after)
			}
		}
		notOwner := func(host, task int64) string { return fmt.Sprintf("host %d does not own task %d", host, task) }

		// Poll: the task is ASSIGNED to the first host that asks.
		got := call(t, b1, "host.getTask").(map[string]any)
		if got["id"] != parent || got["state"] != int64(hub.TaskAssigned) || got["host_id"] != id1 ||
			!reflect.DeepEqual(got["request"], []any{"a", int64(1)}) {
			t.Fatalf("host.getTask = %v", got)
		}
		// Polled again before opening it, the host gets it again, request
		// and all.
		if again := call(t, b1, "host.getTask").(map[string]any); !reflect.DeepEqual(again, got) {
			t.Fatalf("second host.getTask = %v, want %v", again, got)
		}
		tasks := call(t, b1, "host.getTasks").([]any)
		if len(tasks) != 1 || tasks[0].(map[string]any)["id"] != parent {
			t.Errorf("host.getTasks = %v", tasks)
		}
		if got := call(t, b2, "host.getTask"); got != nil {
			t.Errorf("b2 got %v while the only task is assigned to b1", got)
		}
		// Open: not by another host, not before it is open.
		if got := call(t, b2, "host.openTask", parent); got != nil {
			t.Errorf("b2 opened b1's task: %v", got)
		}
		bad(b1, hub.CodeActionNotAllowed, notOwner(id1, parent), "host.closeTask", parent, resultDoc(t, "x"))
		bad(b1, hub.CodeActionNotAllowed, notOwner(id1, parent), "host.subtask", "child", []any{}, parent)
		opened := call(t, b1, "host.openTask", parent).(map[string]any)
		if opened["state"] != int64(hub.TaskOpen) || !strings.HasPrefix(opened["request"].(string), "<?xml") {
			t.Errorf("host.openTask = %v", opened)
		}
		if got := call(t, b1, "host.openTask", parent); got != nil {
			t.Errorf("opening an OPEN task again = %v", got)
		}
		call(t, b1, "host.setTaskWeight", parent, 0.2)
		bad(b2, hub.CodeActionNotAllowed, notOwner(id2, parent), "host.setTaskWeight", parent, 2.0)
		bad(b1, hub.CodeGeneric, "No such task: 999", "host.setTaskWeight", int64(999), 2.0)

		// Subtasks: only of an OPEN task of the caller; idempotent by label.
		bad(b2, hub.CodeActionNotAllowed, notOwner(id2, parent), "host.subtask", "child", []any{}, parent)
		bad(b1, hub.CodeActionNotAllowed, "The owner option is not allowed here", "host.subtask",
			xmlrpc.WithKwargs([]any{"child", []any{}, parent}, map[string]any{"owner": int64(1)})...)
		bad(b1, hub.CodeParameter, "arglist must be a list", "host.subtask", "child", "notalist", parent)
		kidA := callKw(t, b1, "host.subtask", nil, map[string]any{"method": "child", "arglist": []any{"x"}, "parent": parent,
			"label": "a", "arch": "x86_64", "kwargs": map[string]any{"opt": true}}).(int64)
		again := callKw(t, b1, "host.subtask", nil, map[string]any{"method": "child", "arglist": []any{"x"}, "parent": parent, "label": "a"})
		if again != kidA {
			t.Errorf("subtask with the same label = %v, want %d", again, kidA)
		}
		kidB := call(t, b1, "host.subtask2", parent, map[string]any{"label": "b"}, "child", "y").(int64)
		info := callKw(t, admin, "getTaskInfo", []any{kidA}, map[string]any{"request": true}).(map[string]any)
		if info["parent"] != parent || info["priority"] != int64(9) || info["arch"] != "x86_64" || info["channel_id"] != int64(1) ||
			!reflect.DeepEqual(info["request"], []any{"x", map[string]any{"opt": true, "__starstar": true}}) {
			t.Errorf("subtask = %v", info)
		}
		if req := call(t, admin, "getTaskRequest", kidB); !reflect.DeepEqual(req, []any{"y"}) {
			t.Errorf("subtask2 request = %v", req)
		}
		_, err := admin.CallKw(ctx, "makeTask", []any{"x", []any{}}, map[string]any{"parent": int64(999)})
		fault(t, err, hub.CodeGeneric, "Invalid parent task: 999")

		// Wait: only the parent's host.
		bad(b1, hub.CodeParameter, "tasks must be a list", "host.taskSetWait", parent, "all")
		bad(b2, hub.CodeActionNotAllowed, notOwner(id2, parent), "host.taskSetWait", parent, nil)
		call(t, b1, "host.taskSetWait", parent, nil)
		if got := call(t, b1, "host.taskWait", parent); !reflect.DeepEqual(got, []any{[]any{}, []any{kidA, kidB}}) {
			t.Errorf("taskWait = %v", got)
		}
		bad(b2, hub.CodeActionNotAllowed, notOwner(id2, parent), "host.taskWait", parent)
		// The parent's weight no longer counts while it waits, so b1 may take a child.
		child := call(t, b1, "host.getTask").(map[string]any)
		if child["id"] != kidA {
			t.Fatalf("b1 polled %v, want subtask %d (higher priority than b)", child["id"], kidA)
		}
		call(t, b1, "host.openTask", kidA)
		call(t, b2, "host.openTask", kidB) // FREE tasks may be opened by any host
		bad(b1, hub.CodeParameter, "not an XML-RPC methodResponse", "host.closeTask", kidA, "garbage")
		bad(b2, hub.CodeActionNotAllowed, notOwner(id2, kidA), "host.closeTask", kidA, resultDoc(t, "x"))
		call(t, b1, "host.closeTask", kidA, resultDoc(t, map[string]any{"rpms": []any{"a.rpm"}}))
		bad(b1, hub.CodeActionNotAllowed, notOwner(id1, kidA), "host.closeTask", kidA, resultDoc(t, "again"))
		bad(b1, hub.CodeActionNotAllowed, notOwner(id1, kidA), "host.failTask", kidA, faultDoc(t, 1005, "late"))
		call(t, b2, "host.failTask", kidB, faultDoc(t, hub.CodeBuild, "child b broke"))
		ht := call(t, b1, "host.getHostTasks").([]any)
		if len(ht) != 1 || ht[0].(map[string]any)["alert"] != true || ht[0].(map[string]any)["waiting"] != true {
			t.Errorf("host.getHostTasks = %v", ht)
		}
		if got := call(t, b1, "host.taskWait", parent); !reflect.DeepEqual(got, []any{[]any{kidA, kidB}, []any{}}) {
			t.Errorf("taskWait after both finished = %v", got)
		}
		// A failed child not in canfail raises its fault, and the wait goes on.
		bad(b1, hub.CodeBuild, "child b broke", "host.taskWaitResults", parent, nil)
		res := call(t, b1, "host.taskWaitResults", parent, nil, []any{kidB})
		want := []any{[]any{kidA, map[string]any{"rpms": []any{"a.rpm"}}}, []any{kidB, map[string]any{"faultCode": int64(hub.CodeBuild), "faultString": "child b broke"}}}
		if !reflect.DeepEqual(res, want) {
			t.Errorf("taskWaitResults = %v\nwant %v", res, want)
		}
		if w := call(t, admin, "getTaskInfo", parent).(map[string]any)["waiting"]; w != false {
			t.Errorf("parent waiting after taskWaitResults = %v", w)
		}
		call(t, b1, "host.closeTask", parent, resultDoc(t, nil))
		if r, err := admin.Call(ctx, "getTaskResult", parent); err != nil || r != nil {
			t.Errorf("getTaskResult(parent) = %v, %v", r, err)
		}
		_, err = admin.Call(ctx, "getTaskResult", kidB)
		fault(t, err, hub.CodeBuild, "child b broke")
		if r := callKw(t, admin, "getTaskResult", []any{kidB}, map[string]any{"raise_fault": false}); !reflect.DeepEqual(r, want[1].([]any)[1]) {
			t.Errorf("getTaskResult(raise_fault=False) = %v", r)
		}
		desc := call(t, admin, "getTaskDescendents", parent).(map[string]any)
		if len(desc) != 3 || len(desc[fmt.Sprint(parent)].([]any)) != 2 || len(desc[fmt.Sprint(kidA)].([]any)) != 0 {
			t.Errorf("getTaskDescendents = %v", desc)
		}
		if fin := call(t, admin, "taskFinished", parent); fin != true {
			t.Errorf("taskFinished = %v", fin)
		}
		// Subtasks of a finished parent are refused.
		bad(b1, hub.CodeActionNotAllowed, notOwner(id1, parent), "host.subtask", "late", []any{}, parent)

		// freeTasks skips tasks the host does not hold; refuseTask frees and remembers.
		t2 := call(t, admin, "makeTask", "second", []any{}).(int64)
		if got := call(t, b2, "host.getTask").(map[string]any)["id"]; got != t2 {
			t.Fatalf("b2 polled %v, want %d", got, t2)
		}
		call(t, b1, "host.freeTasks", []any{t2}) // not b1's: skipped
		if s := taskState(t, admin, t2); s != hub.TaskAssigned {
			t.Errorf("b1 freed b2's task: state %d", s)
		}
		callKw(t, b2, "host.refuseTask", []any{t2}, map[string]any{"soft": false, "msg": "no handler for method"})
		if s := taskState(t, admin, t2); s != hub.TaskFree {
			t.Errorf("refused task state = %d", s)
		}
		if got := call(t, b2, "host.getTask"); got != nil {
			t.Errorf("b2 was offered the task it refused: %v", got)
		}
		if got := call(t, b1, "host.getTask").(map[string]any)["id"]; got != t2 {
			t.Errorf("b1 polled %v, want the task b2 refused", got)
		}
		call(t, b1, "host.openTask", t2)
		call(t, b1, "host.freeTasks", []any{t2})
		if s := taskState(t, admin, t2); s != hub.TaskFree {
			t.Errorf("freed task state = %d", s)
		}
	})
}

// TestSchedulerMatching: which host gets which task.
func TestSchedulerMatching(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		x86, _ := startHost(t, h, admin, "x86", []any{"x86_64", "i686"})
		arm, _ := startHost(t, h, admin, "arm", []any{"aarch64"}, "createrepo")
		mk := func(method string, kw map[string]any) int64 {
			return callKw(t, admin, "makeTask", []any{method, []any{}}, kw).(int64)
		}
		poll := func(c *xmlrpc.Client) any {
			got := call(t, c, "host.getTask")
			if got == nil {
				return nil
			}
			id := got.(map[string]any)["id"]
			call(t, c, "host.openTask", id)
			call(t, c, "host.closeTask", id, resultDoc(t, nil))
			return id
		}
		armOnly := mk("armjob", map[string]any{"arch": "aarch64"})
		repo := mk("createrepo", map[string]any{"channel": "createrepo"})
		late := mk("late", nil)
		urgent := mk("urgent", map[string]any{"priority": int64(5)})
		cases := []struct {
			name string
			host *xmlrpc.Client
			want any
		}{
			{"priority first", x86, urgent},
			{"then age", x86, late},
			{"arch: x86 may not take aarch64 or a createrepo-channel task", x86, nil},
			{"channel: arm is in createrepo, priority/age decide", arm, armOnly},
			{"arm takes the createrepo task", arm, repo},
			{"nothing left", arm, nil},
		}
		for _, tc := range cases {
			if got := poll(tc.host); got != tc.want {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		// Capacity: two open tasks of weight 1 fill a capacity of 2.
		a, b, c := mk("a", nil), mk("b", nil), mk("c", nil)
		for _, id := range []int64{a, b} {
			got := call(t, x86, "host.getTask").(map[string]any)["id"]
			call(t, x86, "host.openTask", got)
			if got != id {
				t.Errorf("x86 got %v, want %d", got, id)
			}
		}
		if got := call(t, x86, "host.getTask"); got != nil {
			t.Errorf("a full host was given %v", got)
		}
		call(t, x86, "host.setTaskWeight", a, 0.5)
		if got := call(t, x86, "host.getTask"); got == nil || got.(map[string]any)["id"] != c {
			t.Errorf("after lightening a task the host got %v, want %d", got, c)
		}
		// Disabled hosts and disabled channels get nothing.
		d := mk("d", map[string]any{"channel": "createrepo"})
		call(t, admin, "disableHost", "arm")
		if got := call(t, arm, "host.getTask"); got != nil {
			t.Errorf("disabled host got %v", got)
		}
		call(t, admin, "enableHost", "arm")
		call(t, admin, "disableChannel", "createrepo")
		if got := call(t, arm, "host.getTask"); got != nil {
			t.Errorf("host got %v from a disabled channel", got)
		}
		call(t, admin, "enableChannel", "createrepo")
		if got := call(t, arm, "host.getTasks").([]any); len(got) != 1 || got[0].(map[string]any)["id"] != d {
			t.Errorf("host.getTasks = %v", got)
		}
		ld := call(t, arm, "host.getLoadData").([]any)
		hosts, tasks := ld[0].([]any), ld[1].([]any)
		if len(hosts) != 1 || !reflect.DeepEqual(hosts[0].(map[string]any)["channels"], []any{int64(1), int64(2)}) || len(tasks) != 1 {
			t.Errorf("host.getLoadData = %v", ld)
		}
	})
}

// TestDeadHost: a host takes a task and stops polling; after HostTimeout
// the task is FREE again and another host completes it. A task that loses
// its host too often fails with a clear result, and its subtasks are canceled.
func TestDeadHost(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		clock := newFakeClock()
		cfg := sched.DefaultConfig()
		cfg.ReadyTimeout, cfg.HostTimeout, cfg.RunInterval, cfg.MaxHostLosses = 3*time.Minute, 10*time.Minute, 0, 1
		h := hubtest.Start(t, db, withClock(clock), func(c *api.Config) { c.Scheduler = cfg })
		admin := h.Admin(t)
		dead, _ := startHost(t, h, admin, "dead", []any{"x86_64"})
		alive, aliveID := startHost(t, h, admin, "alive", []any{"x86_64"})
		task := call(t, admin, "makeTask", "job", []any{}).(int64)
		call(t, dead, "host.getTask")
		call(t, dead, "host.openTask", task)

		clock.Advance(5 * time.Minute)
		if got := call(t, alive, "host.getTask"); got != nil {
			t.Fatalf("alive got %v while the dead host's timeout has not passed", got)
		}
		if s := taskState(t, admin, task); s != hub.TaskOpen {
			t.Errorf("task state before HostTimeout = %d", s)
		}
		if r := call(t, admin, "getHost", "dead").(map[string]any)["ready"]; r != false {
			t.Errorf("silent host still ready after ReadyTimeout")
		}
		clock.Advance(6 * time.Minute)
		got := call(t, alive, "host.getTask")
		if got == nil || got.(map[string]any)["id"] != task {
			t.Fatalf("after HostTimeout alive got %v, want task %d", got, task)
		}
		call(t, alive, "host.openTask", task)
		call(t, alive, "host.closeTask", task, resultDoc(t, "done"))
		info := call(t, admin, "getTaskInfo", task).(map[string]any)
		if info["state"] != int64(hub.TaskClosed) || info["host_id"] != aliveID {
			t.Errorf("task after the other host finished it = %v", info)
		}
		_, err := dead.Call(ctx, "host.closeTask", task, resultDoc(t, "zombie"))
		fault(t, err, hub.CodeActionNotAllowed, "does not own task")

		// Second task: alive takes it, opens a subtask, then goes silent; the
		// pass runs from the background (no builder polls) and frees it once
		// (MaxHostLosses 1); after the second loss it fails.
		t2 := call(t, admin, "makeTask", "job2", []any{}).(int64)
		call(t, alive, "host.getTask")
		call(t, alive, "host.openTask", t2)
		// (an arch no host has, so it stays FREE and out of the polls below)
		kid := callKw(t, alive, "host.subtask", []any{"kid", []any{}, t2}, map[string]any{"arch": "s390x"}).(int64)
		s := sched.New(cfg, nil)
		pass := func() {
			t.Helper()
			if err := db.InTx(ctx, true, func(tx *store.Tx) error { _, err := s.MaybeRun(ctx, tx, clock.Now()); return err }); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(11 * time.Minute)
		pass()
		if st := taskState(t, admin, t2); st != hub.TaskFree {
			t.Fatalf("after the first loss the task is %d, want FREE", st)
		}
		call(t, dead, "host.updateHost", 0.0, true) // the other host comes back
		if got := call(t, dead, "host.getTask"); got == nil || got.(map[string]any)["id"] != t2 {
			t.Fatalf("revived host got %v", got)
		}
		call(t, dead, "host.openTask", t2)
		clock.Advance(11 * time.Minute)
		pass()
		if st := taskState(t, admin, t2); st != hub.TaskFailed {
			t.Fatalf("after the second loss the task is %d, want FAILED", st)
		}
		_, err = admin.Call(ctx, "getTaskResult", t2)
		fault(t, err, hub.CodeGeneric, "stopped responding")
		if st := taskState(t, admin, kid); st != hub.TaskCanceled {
			t.Errorf("subtask of the failed task is %d, want CANCELED", st)
		}
		open := callKw(t, admin, "listTasks", []any{map[string]any{"state": []any{int64(hub.TaskOpen)}}}, nil).([]any)
		if len(open) != 0 {
			t.Errorf("tasks left OPEN on dead hosts: %v", open)
		}
	})
}

// TestTaskFolderUploads: only the host holding a task OPEN may upload into
// its folder under work/tasks/.
func TestTaskFolderUploads(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		b1, _ := startHost(t, h, admin, "b1.example.com", []any{"x86_64"})
		b2, _ := startHost(t, h, admin, "b2.example.com", []any{"x86_64"})
		id := call(t, admin, "makeTask", "job", []any{}).(int64)
		task := call(t, b1, "host.getTask").(map[string]any)
		if task["id"] != id {
			t.Fatalf("host.getTask = %v", task)
		}
		call(t, b1, "host.openTask", id)
		dir := fmt.Sprintf("tasks/%d/%d", id%10000, id)
		chunk := xmlrpc.UploadChunk{Dir: dir, Name: "build.log", Offset: 0, Data: []byte("line 1\n"), Verify: "adler32"}
		if _, err := b1.Upload(ctx, chunk); err != nil {
			t.Fatalf("the holder's upload: %v", err)
		}
		chunk.Offset = 7
		chunk.Data = []byte("line 2\n")
		if _, err := b1.Upload(ctx, chunk); err != nil {
			t.Fatalf("append: %v", err)
		}
		for _, c := range []*xmlrpc.Client{b2, admin} {
			_, err := c.Upload(ctx, xmlrpc.UploadChunk{Dir: dir, Name: "evil.log", Data: []byte("x")})
			fault(t, err, hub.CodeActionNotAllowed, fmt.Sprintf("task %d", id))
		}
		call(t, b1, "host.closeTask", id, resultDoc(t, nil))
		_, err := b1.Upload(ctx, xmlrpc.UploadChunk{Dir: dir, Name: "late.log", Data: []byte("x")})
		fault(t, err, hub.CodeActionNotAllowed, "does not hold task")
		got, err := os.ReadFile(filepath.Join(h.TopDir, "work", dir, "build.log"))
		if err != nil || string(got) != "line 1\nline 2\n" {
			t.Errorf("build.log = %q, %v", got, err)
		}
	})
}

// TestWaitingParentsHoldNoSlot: a host at maxjobs gets no more work, but a
// parent waiting on subtasks does not count, or a burst of builds would
// fill every host with parents whose children have nowhere to run.
func TestWaitingParentsHoldNoSlot(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		b1, _ := startHost(t, h, admin, "b1", []any{"x86_64"})
		callKw(t, b1, "host.updateHost", []any{0.0, true}, map[string]any{"data": map[string]any{"maxjobs": int64(1)}})
		parent := call(t, admin, "makeTask", "parentjob", []any{}).(int64)
		other := call(t, admin, "makeTask", "otherjob", []any{}).(int64)
		if got := call(t, b1, "host.getTask").(map[string]any)["id"]; got != parent {
			t.Fatalf("first task = %v, want %d", got, parent)
		}
		call(t, b1, "host.openTask", parent)
		if got := call(t, b1, "host.getTask"); got != nil {
			t.Fatalf("a host at maxjobs got %v", got)
		}
		child := callKw(t, b1, "host.subtask", nil, map[string]any{"method": "childjob", "arglist": []any{}, "parent": parent}).(int64)
		call(t, b1, "host.taskSetWait", parent, []any{child})
		got := call(t, b1, "host.getTask")
		if got == nil {
			t.Fatalf("a host whose one task waits on a subtask got nothing (FREE: %d and %d)", other, child)
		}
	})
}

// TestConcurrentPollsTakeEachTaskOnce: hosts polling at the same time, on
// PostgreSQL through two hubs, never get the same task, and each task
// taken has one active run and one "Assigning task" log message.
func TestConcurrentPollsTakeEachTaskOnce(t *testing.T) {
	const hosts, tasks = 8, 40
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		hubs := []*hubtest.Hub{hubtest.Start(t, db)}
		if db.Dialect == store.Postgres {
			hubs = append(hubs, hubtest.Start(t, hubtest.OtherHub(t, db)))
		}
		admin := hubs[0].Admin(t)
		seedTasks(t, db, tasks, `INSERT INTO task (state, create_us, channel_id, owner, method, request, arch, priority, weight)
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			SELECT 0, 1700000000000000 + i, 1, 1, 'job', ?, 'noarch', 20, 1.0 FROM n`)
		hc := &http.Client{}
		clients := make([]*xmlrpc.Client, hosts)
		for i := range clients {
			h := hubs[i%len(hubs)]
			clients[i] = hostSession(t, h, admin, hc, fmt.Sprintf("poller%d.example.com", i))
		}
		// Each host takes a task, opens and closes it, and polls again,
		// until none is left.
		var mu sync.Mutex
		taken := map[int64]int{}
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Add(1)
			go func(i int, c *xmlrpc.Client) {
				defer wg.Done()
				for {
					got, err := c.Call(ctx, "host.getTask")
					if err != nil {
						t.Errorf("host %d: getTask: %v", i, err)
						return
					}
					if got == nil {
						return
					}
					id := got.(map[string]any)["id"].(int64)
					mu.Lock()
					taken[id]++
					mu.Unlock()
					if _, err := c.Call(ctx, "host.openTask", id); err != nil {
						t.Errorf("host %d: openTask(%d): %v", i, id, err)
						return
					}
					if _, err := c.Call(ctx, "host.closeTask", id, resultDocB(nil)); err != nil {
						t.Errorf("host %d: closeTask(%d): %v", i, id, err)
						return
					}
				}
			}(i, c)
		}
		wg.Wait()
		if len(taken) != tasks {
			t.Errorf("%d tasks taken, want %d", len(taken), tasks)
		}
		for id, n := range taken {
			if n != 1 {
				t.Errorf("task %d was given %d times", id, n)
			}
		}
		var runs, active, logged int
		err := db.InTx(ctx, false, func(tx *store.Tx) error {
			if err := tx.Get(ctx, &runs, "SELECT COUNT(*) FROM scheduler_task_runs"); err != nil {
				return err
			}
			if err := tx.Get(ctx, &active, "SELECT COUNT(*) FROM scheduler_task_runs WHERE active = TRUE"); err != nil {
				return err
			}
			return tx.Get(ctx, &logged, "SELECT COUNT(*) FROM scheduler_log_messages WHERE msg = 'Assigning task'")
		})
		if err != nil {
			t.Fatal(err)
		}
		if runs != tasks || active != 0 || logged != tasks {
			t.Errorf("%d runs (%d active) and %d assignment messages, want %d (0 active) and %d", runs, active, logged, tasks, tasks)
		}
		closed := call(t, admin, "listTasks", map[string]any{"state": []any{int64(2)}}, map[string]any{"countOnly": true})
		if closed != int64(tasks) {
			t.Errorf("%v tasks CLOSED, want %d", closed, tasks)
		}
	})
}
