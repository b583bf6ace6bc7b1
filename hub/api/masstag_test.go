package api_test

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// TestMassTag: massTag tags builds in the order given, each at its own
// event, past the tag's lock; a bad build anywhere in the list changes
// nothing.
func TestMassTag(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := tagWorld(t, h)
		callKw(t, admin, "createUser", []any{"bob"}, map[string]any{"password": "bob"})
		bob := h.Login(t, "bob", "bob")
		callKw(t, admin, "editTag2", []any{"f40"}, map[string]any{"locked": true})

		before := tagState(t, admin)
		for _, tc := range []struct {
			name string
			c    *xmlrpc.Client
			args []any
			code int
			msg  string
		}{
			{"no tag permission", bob, []any{"f40", []any{"hello-1.0-1"}}, hub.CodeActionNotAllowed, "tag"},
			{"incomplete build last", admin, []any{"f40", []any{"goodbye-2.0-1", "hello-0.9-1"}}, hub.CodeTag, "build hello-0.9-1 not complete"},
			{"missing build", admin, []any{"f40", []any{"hello-1.0-1", "nosuch-1-1"}}, hub.CodeGeneric, "No such build: 'nosuch-1-1'"},
			{"missing tag", admin, []any{"nosuch", []any{"hello-1.0-1"}}, hub.CodeGeneric, "No such tagInfo"},
			{"builds not a list", admin, []any{"f40", "hello-1.0-1"}, hub.CodeParameter, "builds"},
		} {
			_, err := tc.c.Call(ctx, "massTag", tc.args...)
			fault(t, err, tc.code, tc.msg)
		}
		if after := tagState(t, admin); !reflect.DeepEqual(before, after) {
			t.Fatalf("a refused massTag changed the tags:\nbefore %v\nafter  %v", before, after)
		}

		// The newer hello first: tagged at the same event, the higher
		// build id would count as latest; tagged in order, the older one
		// tagged last does.
		if got := call(t, admin, "massTag", "f40", []any{"hello-1.1-1", "goodbye-2.0-1", "hello-1.0-1"}); got != nil {
			t.Fatalf("massTag = %v", got)
		}
		anon := h.Client()
		if got := nvrs(t, call(t, anon, "listTagged", "f40")); !reflect.DeepEqual(got, []string{"hello-1.0-1", "goodbye-2.0-1", "hello-1.1-1"}) {
			t.Errorf("listTagged(f40) = %v", got)
		}
		if got := nvrs(t, callKw(t, anon, "getLatestBuilds", []any{"f40"}, map[string]any{"package": "hello"})); !reflect.DeepEqual(got, []string{"hello-1.0-1"}) {
			t.Errorf("latest hello = %v", got)
		}
		events := map[any]bool{}
		for _, e := range callKw(t, anon, "queryHistory", nil, map[string]any{"tables": []any{"tag_listing"}}).(map[string]any)["tag_listing"].([]any) {
			events[e.(map[string]any)["create_event"]] = true
		}
		if len(events) != 3 {
			t.Errorf("the three taggings share events: %v", events)
		}
		// Already tagged: tagged again, as the newest.
		call(t, admin, "massTag", "f40", []any{"hello-1.1-1"})
		if got := nvrs(t, callKw(t, anon, "getLatestBuilds", []any{"f40"}, map[string]any{"package": "hello"})); !reflect.DeepEqual(got, []string{"hello-1.1-1"}) {
			t.Errorf("latest hello after retagging = %v", got)
		}
	})
}

// TestCheckTagAccess: [access, override, reason] for the caller or for a
// user named by id.
func TestCheckTagAccess(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		bobID := callKw(t, admin, "createUser", []any{"bob"}, map[string]any{"password": "bob"}).(int64)
		bob := h.Login(t, "bob", "bob")
		anon := h.Client()
		call(t, admin, "createTag", "open")
		callKw(t, admin, "createTag", []any{"locked"}, map[string]any{"locked": true})
		callKw(t, admin, "createTag", []any{"guarded"}, map[string]any{"perm": "repo"})
		check := func(name string, c *xmlrpc.Client, args []any, want []any) {
			t.Helper()
			if got := call(t, c, "checkTagAccess", args...); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: checkTagAccess%v = %v, want %v", name, args, got, want)
			}
		}
		check("bob, open", bob, []any{"open"}, []any{true, false, ""})
		check("admin, open", admin, []any{"open"}, []any{true, true, ""})
		check("bob, locked", bob, []any{"locked"}, []any{false, false, "tag is locked"})
		check("admin, locked", admin, []any{"locked"}, []any{false, true, "tag is locked"})
		check("bob, guarded", bob, []any{"guarded"}, []any{false, false, "tag requires repo permission"})
		check("bob by id", anon, []any{"guarded", bobID}, []any{false, false, "tag requires repo permission"})
		check("no such user", anon, []any{"open", int64(99999)}, []any{true, false, ""})
		call(t, admin, "grantPermission", "bob", "repo")
		check("bob with repo", bob, []any{"guarded"}, []any{true, false, ""})
		check("bob by id string", admin, []any{"guarded", "2"}, []any{true, false, ""})

		_, err := anon.Call(ctx, "checkTagAccess", "open")
		fault(t, err, hub.CodeGeneric, "a user_id is required")
		_, err = anon.Call(ctx, "checkTagAccess", "open", "bob")
		fault(t, err, hub.CodeParameter, "expected type <class 'int'>")
		_, err = bob.Call(ctx, "checkTagAccess", "nosuch")
		fault(t, err, hub.CodeGeneric, "No such tagInfo")
	})
}

// TestConcurrentMassTags: two massTags of the same packages in opposite
// orders run side by side without a deadlock. (On PostgreSQL each tagging
// locks its package in the tag; taken in the order given, the second
// lock of each would wait for the other's first, until PostgreSQL broke
// the deadlock after deadlock_timeout and the dispatcher ran one again.)
func TestConcurrentMassTags(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		conflicts := logtest.NewLocal(h.Dispatcher.Log.(*logrus.Logger))
		call(t, admin, "createTag", "t")
		var forward, backward []any
		for i := 0; i < 6; i++ {
			call(t, admin, "createEmptyBuild", fmt.Sprint("p", i), "1", "1", nil)
			forward = append(forward, fmt.Sprintf("p%d-1-1", i))
			backward = append([]any{fmt.Sprintf("p%d-1-1", i)}, backward...)
		}
		var wg sync.WaitGroup
		for _, list := range [][]any{forward, backward} {
			c := h.Admin(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 5; i++ {
					if _, err := c.Call(ctx, "massTag", "t", list); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		for _, e := range conflicts.AllEntries() {
			if strings.Contains(e.Message, "conflict") {
				t.Errorf("massTag ran into a concurrent one: %s: %v", e.Message, e.Data)
			}
		}
	})
}
