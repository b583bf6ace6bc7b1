package api

import (
	"context"
	"slices"
	"strings"

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

// evalPolicy applies a built-in policy to data, as Koji's ruleset.apply
// does: the first rule that matches, or nil when none does. found is false
// for a policy that does not exist. The user is data's user_id, else the
// caller.
func evalPolicy(ctx context.Context, c *Call, name string, data map[string]any) (rule *policyRule, found bool, err error) {
	rules, ok := defaultPolicies[name]
	if !ok {
		return nil, false, nil
	}
	userID := c.UserID()
	if v, ok := toInt(data["user_id"]); ok {
		userID = v
	}
	var perms []string
	if userID != 0 {
		if perms, err = store.UserPermNames(ctx, c.Tx, userID, true); err != nil {
			return nil, true, err
		}
	}
	for i, r := range rules {
		match := len(r.perms) == 0
		for _, p := range r.perms {
			if slices.Contains(perms, p) {
				match = true
			}
		}
		if match {
			return &rules[i], true, nil
		}
	}
	return nil, true, nil
}

// checkPolicy is Koji's check_policy: whether the policy allows data,
// and why not. A missing policy allows (Koji's MissingPolicyOk default).
func checkPolicy(ctx context.Context, c *Call, name string, data map[string]any) (bool, string, error) {
	rule, found, err := evalPolicy(ctx, c, name, data)
	switch {
	case err != nil:
		return false, "", err
	case !found:
		return true, "missing policy", nil
	case rule == nil:
		return false, "not covered by policy", nil
	}
	return rule.allow, rule.reason, nil
}

// evalPolicyCall is the evalPolicy call (root and host.): the matching
// rule's action ("allow", or "deny" and its reason), None when no rule
// matches.
func evalPolicyCall(ctx context.Context, c *Call) (any, error) {
	name := c.Args.String("name")
	data := c.Args.Map("data")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	rule, found, err := evalPolicy(ctx, c, name, data)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return nil, hub.GenericError("no such policy: %s", name)
	case rule == nil:
		return nil, nil
	case rule.allow:
		return "allow", nil
	}
	return strings.TrimSpace("deny " + rule.reason), nil
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
