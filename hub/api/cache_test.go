package api_test

import (
	"fmt"
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// TestCachedAnswersFollowWrites: cached listTagged, getLatestBuilds and
// listPackages answers change with every write that changes them, those
// that make no event (setBuildOwner) included.
func TestCachedAnswersFollowWrites(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		callKw(t, admin, "createTag", []any{"f40"}, nil)
		call(t, admin, "packageListAdd", "f40", "hello", "kojiadmin")
		call(t, admin, "createUser", "alice")
		callKw(t, admin, "createEmptyBuild", []any{"hello", "1", "1", nil}, nil)
		call(t, admin, "tagBuildBypass", "f40", "hello-1-1")
		owner := func(method string) any {
			rows := call(t, admin, method, "f40").([]any)
			if len(rows) != 1 {
				t.Fatalf("%s(f40) = %v", method, rows)
			}
			return rows[0].(map[string]any)["owner_name"]
		}
		for _, m := range []string{"listTagged", "getLatestBuilds", "listTagged"} {
			if got := owner(m); got != "kojiadmin" {
				t.Fatalf("%s owner %v", m, got)
			}
		}
		call(t, admin, "setBuildOwner", "hello-1-1", "alice")
		for _, m := range []string{"listTagged", "getLatestBuilds"} {
			if got := owner(m); got != "alice" {
				t.Errorf("after setBuildOwner, %s says owner %v (a stale cached answer)", m, got)
			}
		}
		call(t, admin, "untagBuildBypass", "f40", "hello-1-1")
		if rows := call(t, admin, "listTagged", "f40").([]any); len(rows) != 0 {
			t.Errorf("after untag, listTagged = %v", rows)
		}
		if n := len(call(t, admin, "listPackages", map[string]any{"__starstar": true, "tagID": "f40"}).([]any)); n != 1 {
			t.Fatalf("listPackages = %d packages", n)
		}
		call(t, admin, "packageListRemove", "f40", "hello")
		if n := len(call(t, admin, "listPackages", map[string]any{"__starstar": true, "tagID": "f40"}).([]any)); n != 0 {
			t.Errorf("after packageListRemove, listPackages = %d packages", n)
		}
	})
}

// TestCachedAnswersFollowOtherHubs: hubs on one PostgreSQL database each
// keep their own cache; a write through one must show through the other,
// and a heartbeat through one must not empty the other's.
func TestCachedAnswersFollowOtherHubs(t *testing.T) {
	db := hubtest.OpenDB(t, hubtest.Postgres)
	h := hubtest.Start(t, db)
	other := hubtest.Start(t, hubtest.OtherHub(t, db))
	admin, admin2 := h.Admin(t), other.Admin(t)
	callKw(t, admin, "createTag", []any{"f40"}, map[string]any{"arches": "x86_64"})
	call(t, admin, "packageListAdd", "f40", "hello", "kojiadmin")
	call(t, admin, "createUser", "alice")
	callKw(t, admin, "createEmptyBuild", []any{"hello", "1", "1", nil}, nil)
	call(t, admin, "tagBuildBypass", "f40", "hello-1-1")
	host, _ := startHost(t, other, admin2, "b1", []any{"x86_64"})
	owner := func() any {
		rows := call(t, admin, "getLatestBuilds", "f40").([]any)
		if len(rows) != 1 {
			t.Fatalf("getLatestBuilds(f40) = %v", rows)
		}
		return rows[0].(map[string]any)["owner_name"]
	}
	if got := owner(); got != "kojiadmin" {
		t.Fatalf("owner %v", got)
	}
	v := answersVersion(t, db)
	callKw(t, host, "host.updateHost", []any{0.0, true}, nil)
	if answersVersion(t, db) != v {
		t.Error("a heartbeat through the other hub changed the answers version")
	}
	call(t, admin2, "setBuildOwner", "hello-1-1", "alice")
	if got := owner(); got != "alice" {
		t.Errorf("after setBuildOwner through the other hub, owner %v (a stale cached answer)", got)
	}
}

// TestCachedTaggedMissingTag: cached answers are keyed by the tag as the
// caller named it, so a missing tag must still fault where the method says
// so, whatever another call cached, and must answer once it exists.
func TestCachedTaggedMissingTag(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		for i := 0; i < 2; i++ { // the second answer comes from the cache
			if rows := callKw(t, admin, "listTagged", []any{"later"}, map[string]any{"strict": false}).([]any); len(rows) != 0 {
				t.Fatalf("listTagged(later, strict=False) = %v", rows)
			}
			if _, err := admin.Call(ctx, "listTagged", "later"); err == nil {
				t.Error("listTagged(later) of a missing tag did not fault")
			}
			if _, err := admin.Call(ctx, "getLatestBuilds", "later"); err == nil {
				t.Error("getLatestBuilds(later) of a missing tag did not fault")
			}
		}
		id := callKw(t, admin, "createTag", []any{"later"}, nil).(int64)
		callKw(t, admin, "createEmptyBuild", []any{"hello", "1", "1", nil}, nil)
		call(t, admin, "packageListAdd", "later", "hello", "kojiadmin")
		call(t, admin, "tagBuildBypass", "later", "hello-1-1")
		for _, tag := range []any{"later", id} {
			for _, m := range []string{"listTagged", "getLatestBuilds", "listTagged"} {
				if rows := call(t, admin, m, tag).([]any); len(rows) != 1 {
					t.Errorf("%s(%v) = %v, want hello-1-1", m, tag, rows)
				}
			}
		}
	})
}

// TestStringIDs: the calls where Koji takes int() of an id take the koji
// CLI's string ids too (koji repoinfo 3 sends "3").
func TestStringIDs(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		task := call(t, admin, "makeTask", "job", []any{}).(int64)
		callKw(t, admin, "createTag", []any{"f40"}, map[string]any{"arches": "x86_64"})
		for _, c := range []struct {
			method string
			arg    any
			key    string
			want   any
		}{
			{"getTaskInfo", fmt.Sprint(task), "id", task},
			{"getTaskInfo", " " + fmt.Sprint(task) + " ", "id", task},
			{"getEvent", "1", "id", int64(1)},
		} {
			got, ok := call(t, admin, c.method, c.arg).(map[string]any)
			if !ok || got[c.key] != c.want {
				t.Errorf("%s(%q) = %v", c.method, c.arg, got)
			}
		}
		if got := call(t, admin, "repoInfo", nil); got != nil {
			t.Errorf("repoInfo(None) = %v, want None", got)
		}
	})
}

// TestHeartbeatsKeepCachedAnswers: a builder's heartbeat and poll, and the
// repo manager's ticks, write only host, task and repo state: they leave
// cached answers valid, where a write of data (or any multiCall) does not.
func TestHeartbeatsKeepCachedAnswers(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		m := repoManager(t, h)
		admin := h.Admin(t)
		callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"arches": "x86_64"})
		call(t, admin, "createBuildTarget", "f40-candidate", "f40-build", "f40-build")
		host, _ := startHost(t, h, admin, "b1", []any{"x86_64"})
		settle(t, m)
		for _, c := range []struct {
			name  string
			write func()
			keeps bool
		}{
			{"host.updateHost", func() { callKw(t, host, "host.updateHost", []any{0.0, true}, nil) }, true},
			{"host.getTask", func() { call(t, host, "host.getTask") }, true},
			{"repo manager tick", func() { settle(t, m) }, true},
			{"multiCall of host.updateHost", func() {
				call(t, host, "multiCall", []any{map[string]any{"methodName": "host.updateHost", "params": []any{0.0, true}}})
			}, false},
			{"packageListAdd", func() { call(t, admin, "packageListAdd", "f40-build", "hello", "kojiadmin") }, false},
		} {
			before := answersVersion(t, db)
			c.write()
			if kept := answersVersion(t, db) == before; kept != c.keeps {
				t.Errorf("%s: cached answers kept = %v, want %v", c.name, kept, c.keeps)
			}
		}
	})
}

// answersVersion is what a new read would key cached answers by.
func answersVersion(t *testing.T, db *store.DB) string {
	t.Helper()
	var v string
	err := db.InTx(ctx, false, func(tx *store.Tx) error {
		var err error
		v, err = store.AnswersVersion(ctx, tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
