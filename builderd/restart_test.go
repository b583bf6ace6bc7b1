package builderd

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// taskInfoHub answers getTaskInfo with one task.
type taskInfoHub struct {
	Hub
	info map[string]any
}

func (h *taskInfoHub) Call(ctx context.Context, method string, params ...any) (any, error) {
	if method == "getTaskInfo" {
		return h.info, nil
	}
	panic("unexpected call " + method)
}

func TestRestartVerify(t *testing.T) {
	const done = 1_700_000_000.5 // the restart task's completion_ts
	for _, c := range []struct {
		name    string
		state   int64
		host    int64
		started float64
		err     string // "" when it passes
	}{
		{"started after the restart", 2, 7, done + 1, ""},
		{"started before the restart completed", 2, 7, done - 60, "Restart failed - start time is "},
		{"restart still open", 1, 7, done + 1, "Stage one restart task is OPEN"},
		{"restart failed", 5, 7, done + 1, "Stage one restart task is FAILED"},
		{"another host", 2, 8, done + 1, "Host mismatch"},
	} {
		t.Run(c.name, func(t *testing.T) {
			log := logrus.New()
			log.SetOutput(io.Discard)
			d := &Daemon{Log: log, hostID: 7, started: c.started,
				Hub: &taskInfoHub{info: map[string]any{"id": int64(40), "state": c.state, "completion_ts": done}}}
			task := &Task{ID: 41, Method: "restartVerify", Params: []any{int64(40), map[string]any{"id": c.host, "name": "b"}}}
			res, err := restartVerifyHandler{}.Run(context.Background(), d, task)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("restartVerify failed: %v", err)
			case c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)):
				t.Fatalf("restartVerify = %v, %v; want an error starting %q", res, err, c.err)
			case c.err != "" && err.(*TaskError).Code != 1000:
				t.Errorf("fault code %d, want GenericError's 1000", err.(*TaskError).Code)
			}
		})
	}
}

func TestRestart(t *testing.T) {
	for _, c := range []struct {
		name    string
		host    int64
		pending bool
	}{
		{"this host", 7, true},
		{"another host", 8, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := &Daemon{hostID: 7}
			res, err := restartHandler{}.Run(context.Background(), d, &Task{Params: []any{map[string]any{"id": c.host}}})
			if pending, _ := d.restarting(); pending != c.pending {
				t.Errorf("restart pending = %v, want %v", pending, c.pending)
			}
			if c.pending && (err != nil || res != "graceful restart initiated") {
				t.Errorf("restart = %v, %v", res, err)
			}
			if !c.pending && (err == nil || err.Error() != "Host mismatch") {
				t.Errorf("restart = %v, %v; want Host mismatch", res, err)
			}
		})
	}
}

// waitHub answers a parent's wait as if its child never ended.
type waitHub struct {
	Hub
	waits int
}

func (h *waitHub) Call(ctx context.Context, method string, params ...any) (any, error) {
	switch method {
	case "host.taskSetWait":
		return nil, nil
	case "host.taskWait":
		h.waits++
		return []any{[]any{}, []any{int64(2)}}, nil
	}
	panic("unexpected call " + method)
}

// TestWaitFreesOnRestart: a task waiting on subtasks is freed once a
// restart is pending, rather than holding the restart up while its
// children, which this daemon no longer takes, never run.
func TestWaitFreesOnRestart(t *testing.T) {
	for _, pending := range []bool{false, true} {
		h := &waitHub{}
		d := &Daemon{Hub: h, hostID: 7, running: map[int64]*running{1: {}}, wake: make(chan struct{}, 1)}
		if pending {
			d.setRestartPending()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, err := d.waitSubtasks(ctx, &Task{ID: 1}, []any{int64(2)}, 0)
		cancel()
		switch {
		case pending && (!errors.Is(err, errFreeTask) || h.waits != 1):
			t.Errorf("restart pending: wait = %v after %d polls, want the task freed after one", err, h.waits)
		case !pending && !errors.Is(err, context.DeadlineExceeded):
			t.Errorf("no restart: wait = %v, want it to go on until the context ends", err)
		}
	}
}
