package api_test

import (
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/sched"
	"github.com/gokoji/gokoji/hub/store"
)

func rowKeys(v any) []string {
	var keys []string
	for k := range v.(map[string]any) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func column(rows any, key string) []any {
	out := []any{}
	for _, r := range rows.([]any) {
		out = append(out, r.(map[string]any)[key])
	}
	return out
}

// TestSchedulerInfo drives tasks through assignments, a refusal, an
// override and a scheduler pass, then reads them back through Koji's
// scheduler.* calls as koji scheduler-info and scheduler-logs do.
func TestSchedulerInfo(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		clock := newFakeClock()
		cfg := sched.DefaultConfig()
		cfg.RunInterval = time.Hour // passes only when forced
		h := hubtest.Start(t, db, withClock(clock), func(c *api.Config) { c.Scheduler = cfg })
		admin := h.Admin(t)
		b1, id1 := startHost(t, h, admin, "b1", []any{"x86_64"})
		b2, id2 := startHost(t, h, admin, "b2", []any{"x86_64"})

		// task1: b1 takes, runs and closes it.
		t1 := call(t, admin, "makeTask", "job", []any{}).(int64)
		call(t, b1, "host.getTask")
		clock.Advance(time.Second)
		call(t, b1, "host.openTask", t1)
		clock.Advance(time.Second)
		call(t, b1, "host.closeTask", t1, resultDoc(t, "ok"))
		// task2: b1 refuses it, b2 takes it.
		t2 := call(t, admin, "makeTask", "job2", []any{}).(int64)
		call(t, b1, "host.getTask")
		callKw(t, b1, "host.refuseTask", []any{t2}, map[string]any{"msg": "busy"})
		if got := call(t, b2, "host.getTask"); got == nil || got.(map[string]any)["id"] != t2 {
			t.Fatalf("b2 polled %v, want task %d", got, t2)
		}
		// task3: an admin's override assignment leaves no run.
		t3 := call(t, admin, "makeTask", "job3", []any{}).(int64)
		if got := callKw(t, admin, "assignTask", []any{t3, "b1"}, map[string]any{"override": true}); got != true {
			t.Fatalf("assignTask = %v", got)
		}

		anon := h.Client()
		runsOf := func(clauses []any, fields []any, opts map[string]any) any {
			t.Helper()
			kw := map[string]any{"clauses": clauses}
			if fields != nil {
				kw["fields"] = fields
			}
			if opts != nil {
				kw["opts"] = opts
			}
			return callKw(t, anon, "scheduler.getTaskRuns", nil, kw)
		}

		all := runsOf(nil, nil, nil).([]any)
		if len(all) != 3 {
			t.Fatalf("getTaskRuns() = %v, want 3 runs", all)
		}
		if keys := rowKeys(all[0]); !reflect.DeepEqual(keys, []string{"active", "create_ts", "host_id", "id", "task_id"}) {
			t.Errorf("default fields = %v", keys)
		}
		cliFields := []any{"id", "task_id", "host_name", "state", "create_ts", "start_ts", "completion_ts"}
		r1 := runsOf([]any{[]any{"task_id", t1}}, cliFields, nil).([]any)
		if len(r1) != 1 {
			t.Fatalf("runs of task 1 = %v", r1)
		}
		run := r1[0].(map[string]any)
		if run["host_name"] != "b1" || run["state"] != int64(hub.TaskClosed) {
			t.Errorf("run of task 1 = %v", run)
		}
		c, s, e := run["create_ts"].(float64), run["start_ts"].(float64), run["completion_ts"].(float64)
		if !(c < s && s < e) || e-c < 1.5 || e-c > 2.5 {
			t.Errorf("run times create %v start %v end %v", c, s, e)
		}

		tests := []struct {
			name    string
			clauses []any
			fields  []any
			opts    map[string]any
			key     string
			want    any
		}{
			{"by task", []any{[]any{"task_id", t2}}, nil, nil, "host_id", []any{id1, id2}},
			{"active", []any{[]any{"active", true}}, nil, nil, "task_id", []any{t2}},
			{"host by name", []any{[]any{"host_id", "b2"}}, nil, nil, "task_id", []any{t2}},
			{"host by id string", []any{[]any{"host_id", strconv.FormatInt(id1, 10)}}, nil, nil, "task_id", []any{t1, t2}},
			{"unknown host", []any{[]any{"host_id", "nobody"}}, nil, nil, "task_id", []any{}},
			{"state in", []any{[]any{"state", "IN", []any{int64(hub.TaskClosed), int64(hub.TaskOpen)}}}, nil, nil, "task_id", []any{t1}},
			{"list means IN", []any{[]any{"task_id", []any{t1, t3}}}, nil, nil, "task_id", []any{t1}},
			{"not ended", []any{[]any{"completion_ts", "is", nil}}, nil, nil, "task_id", []any{t2, t2}},
			{"method and host", []any{[]any{"method", "job2"}, []any{"host_id", "!=", id1}}, []any{"host_name"}, nil, "host_name", []any{"b2"}},
			{"newest first", nil, nil, map[string]any{"order": "-id", "limit": int64(2)}, "task_id", []any{t2, t2}},
			{"order by joined field", nil, []any{"task_id"}, map[string]any{"order": "-method,id"}, "task_id", []any{t2, t2, t1}},
			{"star", []any{[]any{"task_id", t1}}, []any{"*"}, nil, "host_id", []any{id1}},
		}
		for _, tc := range tests {
			got := column(runsOf(tc.clauses, tc.fields, tc.opts), tc.key)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: %s = %v, want %v", tc.name, tc.key, got, tc.want)
			}
		}
		if n := runsOf(nil, nil, map[string]any{"countOnly": true}); n != int64(3) {
			t.Errorf("countOnly = %v", n)
		}
		star := runsOf([]any{[]any{"task_id", t1}}, []any{"*"}, nil).([]any)[0]
		if keys := rowKeys(star); !reflect.DeepEqual(keys, []string{"active", "create_ts", "host_id", "id", "task_id"}) {
			t.Errorf("'*' fields = %v", keys)
		}
		if n := len(rowKeys(runsOf(nil, []any{"**"}, nil).([]any)[0])); n != 14 {
			t.Errorf("'**' gives %d fields, want 14", n)
		}

		bad := []struct {
			method string
			kw     map[string]any
			code   int
			msg    string
		}{
			{"scheduler.getTaskRuns", map[string]any{"fields": []any{"nope"}}, hub.CodeParameter, "Invalid field for query nope"},
			{"scheduler.getTaskRuns", map[string]any{"clauses": []any{[]any{"nope", int64(1)}}}, hub.CodeParameter, "Invalid field for query nope"},
			{"scheduler.getTaskRuns", map[string]any{"clauses": []any{[]any{"id", "LIKE", "x"}}}, hub.CodeParameter, "Invalid operator: LIKE"},
			{"scheduler.getTaskRuns", map[string]any{"clauses": []any{[]any{"id"}}}, hub.CodeParameter, "Invalid clause"},
			{"scheduler.getTaskRuns", map[string]any{"clauses": []any{[]any{"id", "IN", int64(1)}}}, hub.CodeParameter, "IN needs a list"},
			{"scheduler.getTaskRuns", map[string]any{"clauses": []any{[]any{"task_id", "x"}}}, hub.CodeParameter, "Invalid value for task_id"},
			{"scheduler.getTaskRuns", map[string]any{"opts": map[string]any{"order": "nope"}}, hub.CodeParameter, "Invalid field for query nope"},
			{"scheduler.getLogMessages", map[string]any{"clauses": []any{[]any{"msg_ts", ">=", "soon"}}}, hub.CodeParameter, "Invalid value for msg_ts"},
			{"scheduler.doRun", nil, hub.CodeActionNotAllowed, "admin"},
			{"restartHosts", nil, hub.CodeActionNotAllowed, "host"},
		}
		for _, tc := range bad {
			_, err := anon.CallKw(ctx, tc.method, nil, tc.kw)
			fault(t, err, tc.code, tc.msg)
		}

		// Refusals as the scheduler records them.
		refs := callKw(t, anon, "scheduler.getTaskRefusals", nil, map[string]any{"clauses": []any{[]any{"task_id", t2}}}).([]any)
		if len(refs) != 1 || refs[0].(map[string]any)["host_id"] != id1 || refs[0].(map[string]any)["by_host"] != true ||
			refs[0].(map[string]any)["msg"] != "busy" {
			t.Errorf("getTaskRefusals = %v", refs)
		}

		// Host data: what startHost sent with host.updateHost.
		hd := call(t, anon, "scheduler.getHostData").([]any)
		if len(hd) != 2 || hd[1].(map[string]any)["host_id"] != id2 {
			t.Fatalf("getHostData() = %v", hd)
		}
		want := []any{map[string]any{"host_id": id1, "data": map[string]any{"methods": []any{"foo"}, "maxjobs": int64(10)}}}
		if got := callKw(t, anon, "scheduler.getHostData", nil, map[string]any{"hostID": id1}); !reflect.DeepEqual(got, want) {
			t.Errorf("getHostData(hostID=%d) = %v", id1, got)
		}
		if got := call(t, anon, "scheduler.getHostData", int64(999)); !reflect.DeepEqual(got, []any{}) {
			t.Errorf("getHostData(999) = %v", got)
		}

		// A forced pass after the timeouts: hosts not ready, assignments expire.
		if got := call(t, admin, "scheduler.doRun"); got != false {
			t.Errorf("doRun() within the interval = %v", got)
		}
		clock.Advance(6 * time.Minute)
		if got := call(t, admin, "scheduler.doRun", true); got != true {
			t.Errorf("doRun(True) = %v", got)
		}
		if got := column(runsOf([]any{[]any{"active", true}}, nil, nil), "id"); len(got) != 0 {
			t.Errorf("active runs after the assignment expired: %v", got)
		}
		logs := func(clauses []any) []any {
			t.Helper()
			return column(callKw(t, anon, "scheduler.getLogMessages", nil, map[string]any{"clauses": clauses,
				"fields": []any{"id", "task_id", "host_id", "host_name", "msg_ts", "msg"}}), "msg")
		}
		logTests := []struct {
			name    string
			clauses []any
			want    []any
		}{
			{"task 1", []any{[]any{"task_id", t1}}, []any{"Assigning task"}},
			{"task 2", []any{[]any{"task_id", t2}}, []any{"Assigning task", "Host refused task: busy", "Assigning task", "Task assignment timeout"}},
			{"task 3", []any{[]any{"task_id", t3}}, []any{"Assigning task (override)", "Task assignment timeout"}},
			{"host 2", []any{[]any{"host_id", id2}}, []any{"Assigning task", "Marking host not ready", "Task assignment timeout"}},
			{"host events", []any{[]any{"task_id", "IS", nil}}, []any{"Marking host not ready", "Marking host not ready"}},
			{"after the pass", []any{[]any{"msg_ts", ">=", float64(clock.Now().Unix() - 1)}}, []any{
				"Marking host not ready", "Marking host not ready", "Task assignment timeout", "Task assignment timeout"}},
		}
		for _, tc := range logTests {
			if got := logs(tc.clauses); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("log %s = %v, want %v", tc.name, got, tc.want)
			}
		}
		last := callKw(t, anon, "scheduler.getLogMessages", nil, map[string]any{"fields": []any{"host_name", "msg", "task_id"},
			"opts": map[string]any{"order": "-id", "limit": int64(1)}}).([]any)
		if len(last) != 1 || last[0].(map[string]any)["host_name"] != "b1" || last[0].(map[string]any)["task_id"] != t3 {
			t.Errorf("newest log message = %v", last)
		}

		// restartHosts creates Koji's task: method restartHosts, priority 5 by
		// default, the options (if any) as its only argument.
		for _, tc := range []struct {
			kw       map[string]any
			wantReq  []any
			wantPrio int64
		}{
			{nil, []any{}, 5},
			{map[string]any{"options": map[string]any{"channel": "default", "arches": []any{"x86_64"}}, "priority": int64(7)},
				[]any{map[string]any{"channel": "default", "arches": []any{"x86_64"}}}, 7},
		} {
			id := callKw(t, admin, "restartHosts", nil, tc.kw).(int64)
			info := callKw(t, admin, "getTaskInfo", []any{id}, map[string]any{"request": true}).(map[string]any)
			if info["method"] != "restartHosts" || info["priority"] != tc.wantPrio || info["state"] != int64(hub.TaskFree) ||
				info["arch"] != "noarch" || info["channel_id"] != int64(1) || !reflect.DeepEqual(info["request"], tc.wantReq) {
				t.Errorf("restartHosts(%v) task = %v", tc.kw, info)
			}
		}
		_, err := admin.CallKw(ctx, "restartHosts", nil, map[string]any{"options": "x"})
		fault(t, err, hub.CodeParameter, "Invalid type of options: <class 'str'>")
	})
}
