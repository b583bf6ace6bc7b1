package api_test

import (
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// TestQueryOptsLimitZero: Koji applies a limit only when it is truthy, so
// limit 0 returns everything, on each of the paths that page answers: in
// SQL (listBuilds, listUsers), the task query, in Go (listTags) and
// filterResults' filterOpts.
func TestQueryOptsLimitZero(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		for _, n := range []string{"a", "b", "c"} {
			callKw(t, admin, "createTag", []any{"tag-" + n}, nil)
			call(t, admin, "createUser", "user-"+n)
			callKw(t, admin, "createEmptyBuild", []any{"pkg-" + n, "1", "1", nil}, nil)
			call(t, admin, "makeTask", "job-"+n, []any{})
		}
		for _, c := range []struct {
			method string
			args   []any
			kw     func(opts map[string]any) map[string]any
		}{
			{"listBuilds", nil, func(o map[string]any) map[string]any { return map[string]any{"queryOpts": o} }},
			{"listUsers", nil, func(o map[string]any) map[string]any { return map[string]any{"queryOpts": o} }},
			{"listTags", nil, func(o map[string]any) map[string]any { return map[string]any{"queryOpts": o} }},
			{"listTasks", nil, func(o map[string]any) map[string]any { return map[string]any{"queryOpts": o} }},
			{"filterResults", []any{"listTags"}, func(o map[string]any) map[string]any { return map[string]any{"filterOpts": o} }},
		} {
			all := len(callKw(t, admin, c.method, c.args, c.kw(map[string]any{})).([]any))
			if all < 3 {
				t.Fatalf("%s answers %d rows; the test needs 3 or more", c.method, all)
			}
			for limit, want := range map[int64]int{0: all, 2: 2} {
				got := len(callKw(t, admin, c.method, c.args, c.kw(map[string]any{"limit": limit})).([]any))
				if got != want {
					t.Errorf("%s with limit %d: %d rows, want %d", c.method, limit, got, want)
				}
			}
		}
	})
}
