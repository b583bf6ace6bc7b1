package api_test

import (
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// TestContentGeneratorAccess: grantCGAccess, revokeCGAccess and listCGs as
// `koji grant-cg-access` and `revoke-cg-access` use them, with Koji's
// faults, and the grants in queryHistory.
func TestContentGeneratorAccess(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "createUser", "alice")
		call(t, admin, "createUser", "bob")
		anon := h.Client()

		if got := call(t, anon, "listCGs"); !reflect.DeepEqual(got, map[string]any{}) {
			t.Fatalf("listCGs() before any grant = %v", got)
		}
		bad := []struct {
			name   string
			method string
			args   []any
			kw     map[string]any
			code   int
			msg    string
		}{
			{"unknown generator", "grantCGAccess", []any{"alice", "osbs"}, nil, hub.CodeGeneric, "No such entry in table content_generator: osbs"},
			{"create by id", "grantCGAccess", []any{"alice", int64(77)}, map[string]any{"create": true}, hub.CodeGeneric, "Name must be a string"},
			{"unknown user", "grantCGAccess", []any{"nobody", "osbs"}, map[string]any{"create": true}, hub.CodeGeneric, "No such user"},
			{"bad generator value", "grantCGAccess", []any{"alice", 1.5}, nil, hub.CodeParameter, "Invalid name or id value"},
			{"revoke unknown generator", "revokeCGAccess", []any{"alice", "nope"}, nil, hub.CodeGeneric, "No such entry in table content_generator: nope"},
		}
		for _, tc := range bad {
			_, err := admin.CallKw(ctx, tc.method, tc.args, tc.kw)
			fault(t, err, tc.code, tc.msg)
		}
		_, err := anon.Call(ctx, "grantCGAccess", "alice", "osbs")
		fault(t, err, hub.CodeActionNotAllowed, "admin")
		if got := call(t, anon, "listCGs"); !reflect.DeepEqual(got, map[string]any{}) {
			t.Fatalf("listCGs() after refused grants = %v (a failed call left something behind)", got)
		}

		callKw(t, admin, "grantCGAccess", []any{"alice", "osbs"}, map[string]any{"create": true})
		_, err = admin.Call(ctx, "grantCGAccess", "alice", "osbs")
		fault(t, err, hub.CodeGeneric, "User already has access to content generator osbs")
		call(t, admin, "grantCGAccess", "bob", "osbs")
		callKw(t, admin, "grantCGAccess", []any{"bob", "kiwi"}, map[string]any{"create": true})
		cgs := call(t, anon, "listCGs").(map[string]any)
		osbs, kiwi := cgs["osbs"].(map[string]any), cgs["kiwi"].(map[string]any)
		if len(cgs) != 2 || !reflect.DeepEqual(osbs["users"], []any{"alice", "bob"}) || !reflect.DeepEqual(kiwi["users"], []any{"bob"}) {
			t.Fatalf("listCGs() = %v", cgs)
		}
		// By id too; revoking twice is quiet, as in Koji.
		call(t, admin, "revokeCGAccess", "alice", osbs["id"])
		call(t, admin, "revokeCGAccess", "alice", "osbs")
		cgs = call(t, anon, "listCGs").(map[string]any)
		if !reflect.DeepEqual(cgs["osbs"], map[string]any{"id": osbs["id"], "users": []any{"bob"}}) {
			t.Errorf("listCGs() after the revoke = %v", cgs)
		}
		// A generator nobody may use any more is not listed.
		call(t, admin, "revokeCGAccess", "bob", "kiwi")
		if _, ok := call(t, anon, "listCGs").(map[string]any)["kiwi"]; ok {
			t.Error("listCGs() still lists kiwi after its last user was revoked")
		}
		hist := callKw(t, anon, "queryHistory", nil, map[string]any{"tables": []any{"cg_users"}, "user": "alice"}).(map[string]any)
		rows := hist["cg_users"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["content_generator.name"] != "osbs" || rows[0].(map[string]any)["active"] != nil {
			t.Errorf("queryHistory(cg_users, alice) = %v", rows)
		}
	})
}
