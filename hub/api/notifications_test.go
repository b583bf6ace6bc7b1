package api_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

func TestBuildNotifications(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		anon := h.Client()
		f40 := call(t, admin, "createTag", "f40").(int64)
		call(t, admin, "packageListAdd", "f40", "hello", "kojiadmin")
		call(t, admin, "packageListAdd", "f40", "bash", "kojiadmin")
		hello := call(t, admin, "getPackageID", "hello").(int64)
		bash := call(t, admin, "getPackageID", "bash").(int64)
		aliceID := callKw(t, admin, "createUser", []any{"alice"}, map[string]any{"password": "pw-alice"}).(int64)
		bobID := callKw(t, admin, "createUser", []any{"bob"}, map[string]any{"password": "pw-bob"}).(int64)
		alice := h.Login(t, "alice", "pw-alice")
		bob := h.Login(t, "bob", "pw-bob")

		notif := func(id, user int64, pkg, tag any, successOnly bool, email string) map[string]any {
			return map[string]any{"id": id, "user_id": user, "package_id": pkg, "tag_id": tag,
				"success_only": successOnly, "email": email}
		}
		block := func(id, user int64, pkg, tag any) map[string]any {
			return map[string]any{"id": id, "user_id": user, "package_id": pkg, "tag_id": tag}
		}
		// only returns the single entry of a list.
		only := func(v any) map[string]any {
			t.Helper()
			l, ok := v.([]any)
			if !ok || len(l) != 1 {
				t.Fatalf("want one entry, got %v", v)
			}
			return l[0].(map[string]any)
		}

		// Success: a user for themself (by name, the package by name), an
		// admin for another user (by id, the tag by id).
		if got := call(t, alice, "createNotification", "alice", "hello", nil, true); got != nil {
			t.Fatalf("createNotification = %v, want None", got)
		}
		call(t, admin, "createNotification", bobID, nil, f40, false)
		aliceN := only(call(t, alice, "getBuildNotifications"))
		aliceNID := aliceN["id"].(int64)
		if want := notif(aliceNID, aliceID, hello, nil, true, "alice@None"); !reflect.DeepEqual(aliceN, want) {
			t.Fatalf("getBuildNotifications() = %v, want %v", aliceN, want)
		}
		bobN := only(call(t, anon, "getBuildNotifications", "bob"))
		bobNID := bobN["id"].(int64)
		if want := notif(bobNID, bobID, nil, f40, false, "bob@None"); !reflect.DeepEqual(bobN, want) {
			t.Fatalf("getBuildNotifications(bob) = %v, want %v", bobN, want)
		}
		if got := call(t, anon, "getBuildNotification", bobNID); !reflect.DeepEqual(got, bobN) {
			t.Fatalf("getBuildNotification = %v, want %v", got, bobN)
		}
		if got := call(t, anon, "getBuildNotification", int64(999)); got != nil {
			t.Fatalf("getBuildNotification(missing) = %v, want None", got)
		}
		// The same package and tag with another success_only is no duplicate.
		call(t, alice, "createNotification", aliceID, "hello", nil, false)
		if n := len(call(t, alice, "getBuildNotifications", aliceID).([]any)); n != 2 {
			t.Fatalf("alice has %d notifications, want 2", n)
		}
		// Update: the owner, and an admin for another user.
		call(t, alice, "updateNotification", aliceNID, "bash", "f40", false)
		if got, want := call(t, alice, "getBuildNotification", aliceNID), notif(aliceNID, aliceID, bash, f40, false, "alice@None"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after update: %v, want %v", got, want)
		}
		call(t, admin, "updateNotification", bobNID, hello, nil, true)
		if got, want := call(t, bob, "getBuildNotification", bobNID), notif(bobNID, bobID, hello, nil, true, "bob@None"); !reflect.DeepEqual(got, want) {
			t.Fatalf("after admin's update: %v, want %v", got, want)
		}

		// Blocks.
		call(t, alice, "createNotificationBlock", "alice", "hello")
		callKw(t, admin, "createNotificationBlock", []any{bobID}, map[string]any{"tag_id": "f40"})
		aliceB := only(call(t, alice, "getBuildNotificationBlocks"))
		aliceBID := aliceB["id"].(int64)
		if want := block(aliceBID, aliceID, hello, nil); !reflect.DeepEqual(aliceB, want) {
			t.Fatalf("getBuildNotificationBlocks() = %v, want %v", aliceB, want)
		}
		bobB := only(call(t, anon, "getBuildNotificationBlocks", bobID))
		bobBID := bobB["id"].(int64)
		if want := block(bobBID, bobID, nil, f40); !reflect.DeepEqual(bobB, want) {
			t.Fatalf("getBuildNotificationBlocks(bob) = %v, want %v", bobB, want)
		}
		if got := call(t, anon, "getBuildNotificationBlock", bobBID); !reflect.DeepEqual(got, bobB) {
			t.Fatalf("getBuildNotificationBlock = %v, want %v", got, bobB)
		}
		if got := call(t, anon, "getBuildNotificationBlock", int64(999)); got != nil {
			t.Fatalf("getBuildNotificationBlock(missing) = %v, want None", got)
		}

		for _, tc := range []struct {
			name   string
			c      *xmlrpc.Client
			method string
			args   []any
			code   int
			msg    string
		}{
			{"list anonymous", anon, "getBuildNotifications", nil, hub.CodeGeneric, "No user provided"},
			{"list unknown user", anon, "getBuildNotifications", []any{"nobody"}, hub.CodeGeneric, "No such user: 'nobody'"},
			{"get missing strict", anon, "getBuildNotification", []any{int64(999), true}, hub.CodeGeneric, "No notification with ID 999 found"},
			{"create anonymous", anon, "createNotification", []any{"alice", "hello", nil, true}, hub.CodeGeneric, "Not logged-in"},
			{"create for other", alice, "createNotification", []any{"bob", "hello", nil, true}, hub.CodeGeneric, "user alice cannot create notifications for user bob"},
			{"create unknown user", alice, "createNotification", []any{"nobody", "hello", nil, true}, hub.CodeGeneric, "No such user ID: nobody"},
			{"create unknown package", alice, "createNotification", []any{"alice", "nopkg", nil, true}, hub.CodeGeneric, "No such entry in table package: nopkg"},
			{"create unknown tag", alice, "createNotification", []any{"alice", nil, "notag", true}, hub.CodeGeneric, "No such entry in table tag: notag"},
			{"create duplicate", alice, "createNotification", []any{"alice", "bash", f40, false}, hub.CodeGeneric, "notification already exists"},
			{"admin duplicate", admin, "createNotification", []any{"bob", "hello", nil, true}, hub.CodeGeneric, "notification already exists"},
			{"update anonymous", anon, "updateNotification", []any{aliceNID, nil, nil, true}, hub.CodeGeneric, "Not logged-in"},
			{"update missing", alice, "updateNotification", []any{int64(999), nil, nil, true}, hub.CodeGeneric, "No notification with ID 999 found"},
			{"update other's", alice, "updateNotification", []any{bobNID, nil, nil, true}, hub.CodeGeneric,
				fmt.Sprintf("user %d cannot update notifications for user %d", aliceID, bobID)},
			{"update unknown package", alice, "updateNotification", []any{aliceNID, "nopkg", nil, true}, hub.CodeGeneric, "No such entry in table package: nopkg"},
			{"update unknown tag", alice, "updateNotification", []any{aliceNID, nil, int64(999), true}, hub.CodeGeneric, "No such entry in table tag: 999"},
			{"update to a duplicate", alice, "updateNotification", []any{aliceNID, "hello", nil, false}, hub.CodeGeneric, "notification already exists"},
			{"update unchanged", alice, "updateNotification", []any{aliceNID, "bash", "f40", false}, hub.CodeGeneric, "notification already exists"},
			{"delete missing", alice, "deleteNotification", []any{int64(999)}, hub.CodeGeneric, "No notification with ID 999 found"},
			{"delete anonymous", anon, "deleteNotification", []any{aliceNID}, hub.CodeGeneric, "Not logged-in"},
			{"delete other's", alice, "deleteNotification", []any{bobNID}, hub.CodeGeneric,
				fmt.Sprintf("user %d cannot delete notifications for user %d", aliceID, bobID)},
			{"bad id", alice, "deleteNotification", []any{"x"}, hub.CodeParameter, ""},
			{"blocks anonymous", anon, "getBuildNotificationBlocks", nil, hub.CodeGeneric, "No user provided"},
			{"blocks unknown user", anon, "getBuildNotificationBlocks", []any{int64(999)}, hub.CodeGeneric, "No such user: 999"},
			{"get block missing strict", anon, "getBuildNotificationBlock", []any{int64(999), true}, hub.CodeGeneric, "No notification block with ID 999 found"},
			{"block anonymous", anon, "createNotificationBlock", []any{"alice"}, hub.CodeGeneric, "Not logged-in"},
			{"block for other", alice, "createNotificationBlock", []any{"bob"}, hub.CodeGeneric, "user alice cannot create notification blocks for user bob"},
			{"block unknown user", alice, "createNotificationBlock", []any{int64(999)}, hub.CodeGeneric, "No such user ID: 999"},
			{"block unknown package", alice, "createNotificationBlock", []any{"alice", "nopkg"}, hub.CodeGeneric, "No such entry in table package: nopkg"},
			{"block unknown tag", alice, "createNotificationBlock", []any{"alice", nil, "notag"}, hub.CodeGeneric, "No such entry in table tag: notag"},
			{"block duplicate", alice, "createNotificationBlock", []any{"alice", hello}, hub.CodeGeneric, "notification already exists"},
			{"delete block missing", alice, "deleteNotificationBlock", []any{int64(999)}, hub.CodeGeneric, "No notification block with ID 999 found"},
			{"delete block anonymous", anon, "deleteNotificationBlock", []any{aliceBID}, hub.CodeGeneric, "Not logged-in"},
			{"delete other's block", alice, "deleteNotificationBlock", []any{bobBID}, hub.CodeGeneric,
				fmt.Sprintf("user %d cannot delete notification blocks for user %d", aliceID, bobID)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.c.Call(ctx, tc.method, tc.args...)
				fault(t, err, tc.code, tc.msg)
			})
		}

		// A block with no package and no tag is a block of everything; it is
		// still one per user.
		call(t, bob, "createNotificationBlock", "bob")
		_, err := bob.Call(ctx, "createNotificationBlock", "bob", nil, nil)
		fault(t, err, hub.CodeGeneric, "notification already exists")

		// Deletes: the owner, and an admin for another user.
		call(t, alice, "deleteNotification", aliceNID)
		call(t, admin, "deleteNotification", bobNID)
		call(t, alice, "deleteNotificationBlock", aliceBID)
		call(t, admin, "deleteNotificationBlock", bobBID)
		for _, id := range []int64{aliceNID, bobNID} {
			if got := call(t, anon, "getBuildNotification", id); got != nil {
				t.Errorf("getBuildNotification(%d) after delete = %v", id, got)
			}
		}
		for _, id := range []int64{aliceBID, bobBID} {
			if got := call(t, anon, "getBuildNotificationBlock", id); got != nil {
				t.Errorf("getBuildNotificationBlock(%d) after delete = %v", id, got)
			}
		}
		if n := len(call(t, anon, "getBuildNotifications", "alice").([]any)); n != 1 {
			t.Errorf("alice has %d notifications left, want 1", n)
		}
		if n := len(call(t, anon, "getBuildNotifications", "bob").([]any)); n != 0 {
			t.Errorf("bob has %d notifications left, want 0", n)
		}
		if n := len(call(t, anon, "getBuildNotificationBlocks", "bob").([]any)); n != 1 {
			t.Errorf("bob has %d blocks left, want 1", n)
		}
	})
}

func TestBuildNotificationEmailDomain(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db, func(c *api.Config) { c.Options = map[string]any{"EmailDomain": "example.com"} })
		admin := h.Admin(t)
		call(t, admin, "createNotification", nil, nil, nil, false) // None: the caller
		n := call(t, admin, "getBuildNotifications").([]any)
		if len(n) != 1 || n[0].(map[string]any)["email"] != "kojiadmin@example.com" {
			t.Fatalf("getBuildNotifications = %v, want one for kojiadmin@example.com", n)
		}
	})
}
