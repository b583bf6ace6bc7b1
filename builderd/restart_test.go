package builderd

import (
	"context"
	"io"
	"strings"
	"testing"

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
