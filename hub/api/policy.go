package api

import (
	"context"
	"slices"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// policyRule is one line of a built-in policy: when the user holds any of
// perms (or always, with none), the answer is allow or deny with reason.
type policyRule struct {
	perms  []string
	allow  bool
	reason string
}

// defaultPolicies are Koji's default allow/deny policies (hub.conf's
// [policy] section is not configurable here yet). A policy not listed is
// "missing" and allowed, as Koji's MissingPolicyOk default has it.
var defaultPolicies = map[string][]policyRule{
	"build_rpm":          {{allow: true}},
	"build_from_srpm":    {{perms: []string{"admin"}, allow: true}, {reason: "Only admin can do this via default policy"}},
	"build_from_repo_id": {{perms: []string{"admin"}, allow: true}, {reason: "Only admin can do this via default policy"}},
	"build_from_scm":     {{perms: []string{"admin"}, allow: true}, {reason: "Only admin can do this via default policy"}},
	"package_list":       {{perms: []string{"admin", "tag"}, allow: true}, {reason: "Only admin/tag can do this via default policy"}},
	"vm":                 {{perms: []string{"admin", "win-admin"}, allow: true}, {reason: "Only admin/win-admin can do this via default policy"}},
	"cg_import":          {{allow: true}},
}

// checkPolicy evaluates a built-in policy for data; the user is data's
// user_id, else the caller.
func checkPolicy(ctx context.Context, c *Call, name string, data map[string]any) (bool, string, error) {
	rules, ok := defaultPolicies[name]
	if !ok {
		return true, "missing policy", nil
	}
	userID := c.UserID()
	if v, ok := toInt(data["user_id"]); ok {
		userID = v
	}
	var perms []string
	if userID != 0 {
		var err error
		if perms, err = store.UserPermNames(ctx, c.Tx, userID, true); err != nil {
			return false, "", err
		}
	}
	for _, r := range rules {
		match := len(r.perms) == 0
		for _, p := range r.perms {
			if slices.Contains(perms, p) {
				match = true
			}
		}
		if match {
			return r.allow, r.reason, nil
		}
	}
	return false, "not covered by policy", nil
}

func hostPolicy(assert bool) Handler {
	return func(ctx context.Context, c *Call) (any, error) {
		name := c.Args.String("name")
		data := c.Args.Map("data")
		if err := c.Args.Err(); err != nil {
			return nil, err
		}
		ok, reason, err := checkPolicy(ctx, c, name, data)
		if err != nil {
			return nil, err
		}
		if !ok && (assert || c.Args.Bool("strict")) {
			msg := "policy violation (" + name + ")"
			if reason != "" {
				msg += ": " + reason
			}
			return nil, hub.NotAllowed("%s", msg)
		}
		if assert {
			return nil, nil
		}
		return []any{ok, reason}, nil
	}
}
