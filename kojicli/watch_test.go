package kojicli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// TestWatchTaskLive watches two tasks that change state in later polls and
// checks the lines watch_tasks prints: each task's first state, each
// change with the tally of all watched tasks as known at that moment, and
// the summary of the top-level tasks.
func TestWatchTaskLive(t *testing.T) {
	hubtest.ForEachBackend(t, watchTaskLive)
}

func watchTaskLive(t *testing.T, db *store.DB) {
	h := hubtest.Start(t, db)
	conf := writeConf(t, h)
	for _, l := range []string{`call --json-input -b makeTask sleep [1]`, `call --json-input -b makeTask build '["cli-build/1.abc/foo-1-1.src.rpm", "f40-candidate", {"scratch": true}]'`} {
		if out, rc := run(conf, l); rc != 0 {
			t.Fatal(out)
		}
	}
	admin := h.Admin(t)
	polls := 0
	sleep := func(time.Duration) {
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
	out, rc := runEnv(conf, "watch-task 1 2", Env{Background: func() bool { return true }, Sleep: sleep})
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

// TestWaitsInForeground checks when a command that starts a task watches
// it: by default only in the foreground; --wait and --nowait decide
// whatever the terminal.
func TestWaitsInForeground(t *testing.T) {
	hubtest.ForEachBackend(t, waitsInForeground)
}

func waitsInForeground(t *testing.T, db *store.DB) {
	h := hubtest.Start(t, db)
	conf := writeConf(t, h)
	for _, l := range []string{"add-tag dest", "add-pkg --owner kojiadmin dest foo",
		`call --json-input createEmptyBuild '"foo"' '"1"' '"1"' null`} {
		if out, rc := run(conf, l); rc != 0 {
			t.Fatal(out)
		}
	}
	for i, c := range []struct {
		background bool
		flag       string
		watch      bool
	}{{false, "", true}, {true, "", false}, {true, "--wait", true}, {false, "--nowait", false}} {
		// Each case tags the build anew; the untag between is not watched.
		if out, rc := run(conf, "untag-build dest foo-1-1"); i > 0 && rc != 0 {
			t.Fatal(out)
		}
		// A watcher's pause runs the hub's tasks, as its worker would.
		polls := 0
		pause := func(time.Duration) {
			if polls++; polls > 10 {
				t.Fatal("the task did not finish")
			}
			if _, err := h.Dispatcher.RunHubTasks(context.Background()); err != nil {
				t.Error(err)
			}
		}
		env := Env{Background: func() bool { return c.background }, Sleep: pause}
		out, rc := runEnv(conf, strings.TrimSpace("tag-build "+c.flag+" dest foo-1-1"), env)
		if rc != 0 {
			t.Fatalf("background %v %q: rc %d\n%s", c.background, c.flag, rc, out)
		}
		if watched := strings.Contains(out, "Watching tasks"); watched != c.watch {
			t.Errorf("background %v %q: watched %v, want %v\n%s", c.background, c.flag, watched, c.watch, out)
		}
		// Unwatched, the task is still queued.
		if _, err := h.Dispatcher.RunHubTasks(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
