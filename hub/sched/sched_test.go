package sched

import (
	"testing"

	"github.com/gokoji/gokoji/hub/store"
)

// TestLoad: a waiting task (a parent waiting on its subtasks) adds neither
// weight nor a job; a task whose waiting is unset counts as working.
func TestLoad(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		name      string
		tasks     []store.Task
		wantLoad  float64
		wantCount int64
	}{
		{"idle", nil, 0, 0},
		{"working", []store.Task{{Weight: 1.5, Waiting: &no}, {Weight: 0.5}}, 2, 2},
		{"waiting parent", []store.Task{{Weight: 2, Waiting: &yes}, {Weight: 0.2, Waiting: &no}}, 0.2, 1},
	} {
		load, jobs := Load(c.tasks)
		if load != c.wantLoad || jobs != c.wantCount {
			t.Errorf("%s: Load = %v, %d; want %v, %d", c.name, load, jobs, c.wantLoad, c.wantCount)
		}
	}
}
