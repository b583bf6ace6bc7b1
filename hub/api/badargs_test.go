package api_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// notSwept are the calls that sweeps and fuzzing of every method leave
// out: those that end the admin's session, or (disableUser(None), as in
// Koji) block the caller, would turn the rest into AuthErrors; "error" and
// "fault" fault with code 1 on purpose.
var notSwept = map[string]bool{"error": true, "fault": true, "logout": true, "logoutChild": true, "exclusiveSession": true,
	"sharedSession": true, "disableUser": true}

// TestEveryMethodFaultsOnOddArguments calls every method as an admin (who
// passes every permission check) or, for host.*, as a build host with an
// exclusive session; those anyone may call, also with no session. It calls
// each with no arguments; with each of a set of odd values in every
// parameter, and in the required ones only; and with one odd value at a
// time in one parameter while the others name objects that exist (so that
// the call gets past its look-ups). Each answer must be a value or a Koji
// fault: never an internal error (fault code 1, what a panic or an
// unforeseen Go error becomes), nor a broken response.
func TestEveryMethodFaultsOnOddArguments(t *testing.T) {
	odd := []any{nil, "x", "", "../../etc", "%", int64(-1), int64(0), int64(1), int64(1 << 62), 1.5, true,
		[]any{}, []any{"x", int64(1)}, map[string]any{}, map[string]any{"x": int64(1)},
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), []byte("\x00\xff"), longText(10000)}
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		// An admin of its own, whose id no odd value names: the calls may
		// well disable or rename kojiadmin (user 1).
		root := h.Admin(t)
		callKw(t, root, "createUser", []any{"sweeper"}, map[string]any{"password": "pw"})
		call(t, root, "grantPermission", "sweeper", "admin")
		admin := h.Login(t, "sweeper", "pw")
		if id := call(t, admin, "getLoggedInUser").(map[string]any)["id"]; id == int64(1) || id == int64(0) || id == int64(-1) {
			t.Fatalf("sweeper has id %v, which the odd values name", id)
		}
		builder, _ := startHost(t, h, root, "sweephost", []any{"x86_64"})
		world := sweepWorld(t, root)
		callKw(t, root, "assignTask", []any{world.value("task"), "sweephost"}, map[string]any{"force": true})
		call(t, builder, "host.openTask", world.value("task"))
		reg := h.Dispatcher.Registry
		for _, name := range reg.Names() {
			if notSwept[name] {
				continue
			}
			m := reg.Lookup(name)
			c := admin
			if strings.HasPrefix(name, "host.") {
				c = builder
			}
			required := 0
			for _, p := range m.Params {
				if !p.Optional {
					required++
				}
			}
			calls := [][]any{nil}
			for _, v := range odd {
				for _, n := range []int{required, len(m.Params)} {
					args := make([]any, n)
					for i := range args {
						args[i] = v
					}
					calls = append(calls, args)
				}
			}
			for i := range m.Params {
				for _, v := range odd[:10] {
					args := make([]any, max(required, i+1))
					for j := range args {
						args[j] = world.value(m.Params[j].Name)
					}
					args[i] = v
					calls = append(calls, args)
				}
			}
			// Without a session, the methods anyone may call run with none
			// behind them.
			callers := []*xmlrpc.Client{c}
			if m.Access == (api.Access{}) {
				callers = append(callers, h.Client())
			}
			for _, args := range calls {
				for _, c := range callers {
					if _, err := c.Call(ctx, name, args...); !answered(err) {
						t.Errorf("%s%v: %v", name, args, err)
					}
				}
			}
		}
	})
}

// sweepGuess names an object of the sweep's world for parameters whose
// names contain one of parts.
type sweepGuess struct {
	parts []string
	value any
}

// sweepObjects are objects the sweep's calls can name, guessed from a
// parameter's name; the first guess that fits wins.
type sweepObjects []sweepGuess

// sweepWorld makes a tag, a target, a package with a build, an external
// repo, a group and a task.
func sweepWorld(t *testing.T, admin *xmlrpc.Client) sweepObjects {
	t.Helper()
	call(t, admin, "createTag", "t")
	call(t, admin, "createBuildTarget", "tgt", "t", "t")
	call(t, admin, "packageListAdd", "t", "foo", "kojiadmin")
	call(t, admin, "createEmptyBuild", "foo", "1", "1", nil)
	call(t, admin, "createExternalRepo", "ext", "http://example.com/$arch/")
	call(t, admin, "groupListAdd", "t", "grp")
	task := call(t, admin, "makeTask", "sleep", []any{int64(1)}).(int64)
	return sweepObjects{
		{[]string{"external_repo", "repo_info"}, "ext"},
		{[]string{"target"}, "tgt"},
		{[]string{"tag"}, "t"},
		{[]string{"build", "nvr"}, "foo-1-1"},
		{[]string{"package", "pkg"}, "foo"},
		{[]string{"user", "owner"}, "kojiadmin"},
		{[]string{"host"}, "sweephost"},
		{[]string{"channel"}, "default"},
		{[]string{"task"}, task},
		{[]string{"group"}, "grp"},
		{[]string{"perm"}, "repo"},
		{[]string{"arch"}, "x86_64"},
		{[]string{"repo", "rpm", "event", "id"}, int64(1)},
	}
}

// value is the guess for a parameter, or "x".
func (w sweepObjects) value(param string) any {
	p := strings.ToLower(param)
	for _, g := range w {
		for _, part := range g.parts {
			if strings.Contains(p, part) {
				return g.value
			}
		}
	}
	return "x"
}

// longText is n letters that do not compress: PostgreSQL compresses a long
// repetitive value until it fits an index row, but not this.
func longText(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}
