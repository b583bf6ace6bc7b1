package api_test

import (
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// TestIntegersBeyond32Bits sends integers that need XML-RPC's i8 where the
// schema once had 32-bit columns on PostgreSQL (priorities, depths, epochs,
// states). Both backends store and match them alike: no call fails inside
// the hub, and stored values read back whole.
func TestIntegersBeyond32Bits(t *testing.T) {
	const big = int64(1) << 40
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		a := h.Admin(t)
		parent := call(t, a, "createTag", "parent").(int64)
		call(t, a, "createTag", "child")
		call(t, a, "createExternalRepo", "ext", "http://example.com/$arch/")
		link := map[string]any{"parent_id": parent, "priority": big, "maxdepth": big, "intransitive": false,
			"noconfig": false, "pkg_filter": ""}
		for _, c := range []struct {
			method string
			args   []any
			kw     map[string]any
		}{
			{"setInheritanceData", []any{"child", []any{link}}, nil},
			{"addExternalRepoToTag", []any{"child", "ext", big}, nil},
			{"createEmptyBuild", []any{"foo", "1", "1", big}, nil},
			{"makeTask", []any{"sleep", []any{int64(1)}}, map[string]any{"priority": big}},
			{"repo.request", []any{"child"}, map[string]any{"priority": big}},
			{"listBuilds", nil, map[string]any{"state": big}},
			{"listTasks", []any{map[string]any{"state": []any{big}}}, nil},
			{"getRPM", []any{map[string]any{"name": "foo", "version": "1", "release": "1", "epoch": big, "arch": "x86_64"}}, nil},
		} {
			if _, err := a.CallKw(ctx, c.method, c.args, c.kw); !answered(err) {
				t.Errorf("%s: %v", c.method, err)
			}
		}
		links := call(t, a, "getInheritanceData", "child").([]any)
		if len(links) != 1 || links[0].(map[string]any)["priority"] != big || links[0].(map[string]any)["maxdepth"] != big {
			t.Errorf("getInheritanceData = %v, want priority and maxdepth %d", links, big)
		}
		b := call(t, a, "getBuild", "foo-1-1").(map[string]any)
		if b["epoch"] != big {
			t.Errorf("epoch = %v, want %d", b["epoch"], big)
		}
		if got := hubtest.Len(callKw(t, a, "listBuilds", nil, map[string]any{"state": big})); got != 0 {
			t.Errorf("listBuilds(state=%d) has %d builds", big, got)
		}
	})
}
