package api_test

import (
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// TestPolicies: the built-in policies through evalPolicy (Koji's action
// strings), and host.checkPolicy and host.assertPolicy (allowed or not,
// and why).
func TestPolicies(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		adminID := call(t, admin, "getLoggedInUser").(map[string]any)["id"].(int64)
		callKw(t, admin, "createUser", []any{"bob"}, map[string]any{"password": "bob"})
		bob := h.Login(t, "bob", "bob")
		host, _ := startHost(t, h, admin, "builder", []any{"noarch"})
		anon := h.Client()
		const onlyAdmin = "Only admin can do this via default policy"
		empty := map[string]any{}
		for _, tc := range []struct {
			name   string
			c      *xmlrpc.Client
			method string
			args   []any
			want   any
			code   int // a fault's, with want its text
		}{
			{"admin may build from scm", admin, "evalPolicy", []any{"build_from_scm", empty}, "allow", 0},
			{"bob may not", bob, "evalPolicy", []any{"build_from_scm", empty}, "deny " + onlyAdmin, 0},
			{"anyone may build rpms", anon, "evalPolicy", []any{"build_rpm", empty}, "allow", 0},
			{"the user from data", anon, "evalPolicy", []any{"build_from_srpm", map[string]any{"user_id": adminID}}, "allow", 0},
			{"host", host, "host.evalPolicy", []any{"build_from_scm", empty}, "deny " + onlyAdmin, 0},
			{"no such policy", anon, "evalPolicy", []any{"nosuch", empty}, "no such policy: nosuch", hub.CodeGeneric},
			{"data not a struct", anon, "evalPolicy", []any{"build_rpm", "x"}, "data", hub.CodeParameter},
			{"host.evalPolicy is for hosts", admin, "host.evalPolicy", []any{"build_rpm", empty}, "", hub.CodeAuth},
			{"check, denied", host, "host.checkPolicy", []any{"build_from_scm", empty}, []any{false, onlyAdmin}, 0},
			{"check, allowed for the data's user", host, "host.checkPolicy", []any{"build_from_scm", map[string]any{"user_id": adminID}}, []any{true, ""}, 0},
			{"check, missing policy", host, "host.checkPolicy", []any{"nosuch", empty}, []any{true, "missing policy"}, 0},
			{"check, strict", host, "host.checkPolicy", []any{"build_from_scm", empty, "deny", true}, "policy violation (build_from_scm): " + onlyAdmin, hub.CodeActionNotAllowed},
			{"assert, allowed", host, "host.assertPolicy", []any{"build_rpm", empty}, nil, 0},
			{"assert, denied", host, "host.assertPolicy", []any{"build_from_srpm", empty}, "policy violation (build_from_srpm): " + onlyAdmin, hub.CodeActionNotAllowed},
		} {
			got, err := tc.c.Call(ctx, tc.method, tc.args...)
			if tc.code != 0 {
				fault(t, err, tc.code, tc.want.(string))
				continue
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: %s%v = %#v, %v; want %#v", tc.name, tc.method, tc.args, got, err, tc.want)
			}
		}
	})
}
