package builderd_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gokoji/gokoji/builderd"
	"github.com/gokoji/gokoji/builderd/buildroot"
	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// TestRestartHosts: restartHosts with one builder. The builder runs it,
// runs the restart subtask assigned to it, frees restartHosts and, idle,
// returns ErrRestart; a daemon started afresh for the host (as the re-exec
// does, after the old one logged out) passes restartVerify, and restartHosts
// closes.
func TestRestartHosts(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		old, oldSession := w.newDaemon(t, &buildroot.RPMBuild{}, true)
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- old.Run(rctx, 0) }()

		task := call(t, w.admin, "restartHosts")
		select {
		case err := <-errc:
			if !errors.Is(err, builderd.ErrRestart) {
				t.Fatalf("Run = %v, want ErrRestart", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("the builder did not ask for a restart")
		}
		kids := func() map[string]map[string]any {
			out := map[string]map[string]any{}
			for _, k := range call(t, w.admin, "getTaskChildren", task).([]any) {
				m := k.(map[string]any)
				out[m["method"].(string)] = m
			}
			return out
		}
		before := kids()
		for _, c := range []struct {
			method string
			state  int
		}{{"restart", hub.TaskClosed}, {"restartVerify", hub.TaskAssigned}} {
			if k := before[c.method]; k == nil || k["state"] != int64(c.state) {
				t.Errorf("before the restart, %s = %v, want state %d", c.method, k, c.state)
			}
		}
		if info := call(t, w.admin, "getTaskInfo", task).(map[string]any); info["state"] != int64(hub.TaskFree) {
			t.Errorf("restartHosts before the restart: state %v, want FREE", info["state"])
		}
		if res := call(t, w.admin, "getTaskResult", before["restart"]["id"]); res != "graceful restart initiated" {
			t.Errorf("restart result = %v", res)
		}
		// The re-exec: the old process logs out, which frees the
		// exclusive session, and the new one takes it without force.
		if err := oldSession.Logout(ctx); err != nil {
			t.Fatal(err)
		}
		fresh, _ := w.newDaemon(t, &buildroot.RPMBuild{}, false)
		nctx, ncancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { fresh.Run(nctx, 0); close(done) }()
		defer func() { ncancel(); <-done }()

		info := w.waitTask(t, task)
		if info["state"] != int64(hub.TaskClosed) {
			res, err := w.admin.Call(ctx, "getTaskResult", task)
			t.Fatalf("restartHosts: state %v: %v %v", info["state"], res, err)
		}
		after := kids()
		if len(after) != 2 {
			t.Errorf("subtasks = %v, want one restart and one restartVerify", after)
		}
		for _, m := range []string{"restart", "restartVerify"} {
			if k := after[m]; k == nil || k["state"] != int64(hub.TaskClosed) || k["id"] != before[m]["id"] {
				t.Errorf("after the restart, %s = %v, want task %v CLOSED", m, k, before[m]["id"])
			}
		}
	})
}
