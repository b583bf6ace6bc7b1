package kojicli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub/hubtest"
)

// TestWatchTaskLive watches two tasks that change state in later polls and
// checks the lines watch_tasks prints: each task's first state, each
// change with the tally of all watched tasks as known at that moment, and
// the summary of the top-level tasks.
func TestWatchTaskLive(t *testing.T) {
	h := hubtest.Start(t, hubtest.OpenDB(t, hubtest.SQLite))
	conf := writeConf(t, h)
	for _, l := range []string{`call --json-input -b makeTask sleep [1]`, `call --json-input -b makeTask build '["cli-build/1.abc/foo-1-1.src.rpm", "f40-candidate", {"scratch": true}]'`} {
		if out, rc := run(conf, l); rc != 0 {
			t.Fatal(out)
		}
	}
	admin := h.Admin(t)
	polls := 0
	pollSleep = func(time.Duration) {
		polls++
		if polls == 1 {
			if _, err := admin.Call(context.Background(), "cancelTask", int64(1)); err != nil {
				t.Error(err)
			}
		}
		if polls == 2 {
			if _, err := admin.Call(context.Background(), "cancelTask", int64(2)); err != nil {
				t.Error(err)
			}
		}
	}
	defer func() { pollSleep = time.Sleep }()
	out, rc := run(conf, "watch-task 1 2")
	want := `Watching tasks (this may be safely interrupted)...
1 sleep (noarch): free
2 build (f40-candidate, foo-1-1.src.rpm): free
1 sleep (noarch): free -> canceled
  1 free  0 open  1 done  0 failed
2 build (f40-candidate, foo-1-1.src.rpm): free -> canceled
  0 free  0 open  2 done  0 failed

1 sleep (noarch) was canceled
2 build (f40-candidate, foo-1-1.src.rpm) was canceled
`
	if rc != 1 || !strings.Contains(out, "--- stdout:\n"+want+"--- stderr:\n") {
		t.Errorf("watch-task: rc %d\n%s\nwant stdout:\n%s", rc, out, want)
	}
}

func TestTaskLabel(t *testing.T) {
	for _, c := range []struct {
		task map[string]any
		want string
	}{
		{map[string]any{"method": "build", "arch": "noarch", "request": []any{"git+https://src.example.com/rpms/foo.git#abc123", "f40-candidate", map[string]any{}}},
			"build (f40-candidate, /rpms/foo.git:abc123)"},
		{map[string]any{"method": "buildArch", "arch": "noarch", "request": []any{"work/x/foo-1-1.src.rpm", int64(3), "x86_64", true, map[string]any{}}},
			"buildArch (foo-1-1.src.rpm, x86_64)"},
		{map[string]any{"method": "newRepo", "arch": "noarch", "request": []any{"f40-build"}}, "newRepo (f40-build)"},
		{map[string]any{"method": "tagBuild", "arch": "noarch", "request": []any{int64(1), int64(2)}}, "tagBuild (noarch)"},
		{map[string]any{"method": "chainbuild", "arch": "noarch", "request": []any{[]any{}, "f40-candidate"}}, "chainbuild (f40-candidate)"},
		{map[string]any{"method": "waitrepo", "arch": "noarch", "request": []any{"f40-build", nil, []any{"a-1-1", "b-1-1"}}}, "waitrepo (f40-build, a-1-1, b-1-1)"},
		{map[string]any{"method": "sleep", "arch": "noarch", "request": []any{}}, "sleep (noarch, unknown args)"},
		{map[string]any{"method": "myPlugin", "arch": "x86_64", "request": []any{1}}, "myPlugin (x86_64)"},
		{map[string]any{"method": "sleep", "arch": "noarch"}, "malformed task"},
	} {
		if got := taskLabel(c.task); got != c.want {
			t.Errorf("taskLabel(%v) = %q, want %q", c.task, got, c.want)
		}
	}
}
