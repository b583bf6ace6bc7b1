package api_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

var ctx = context.Background()

func call(t testing.TB, c *xmlrpc.Client, method string, args ...any) any {
	t.Helper()
	res, err := c.Call(ctx, method, args...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return res
}

func callKw(t testing.TB, c *xmlrpc.Client, method string, args []any, kw map[string]any) any {
	t.Helper()
	res, err := c.CallKw(ctx, method, args, kw)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return res
}

// answered reports whether a call's err is nil or a Koji fault other than
// an internal error (code 1, what a panic or an unforeseen Go error
// becomes): the call was answered cleanly, whether it succeeded or not.
func answered(err error) bool {
	var f *xmlrpc.Fault
	return err == nil || errors.As(err, &f) && f.Code != hub.CodeInternal
}

// fault asserts the call fails with code and a message containing msg.
func fault(t *testing.T, err error, code int, msg string) {
	t.Helper()
	var f *xmlrpc.Fault
	if !errors.As(err, &f) {
		t.Fatalf("want fault %d %q, got %v", code, msg, err)
	}
	if f.Code != code || !strings.Contains(f.String, msg) {
		t.Fatalf("want fault %d containing %q, got %d %q", code, msg, f.Code, f.String)
	}
}

func TestMetaCalls(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		c := h.Client()
		tests := []struct {
			method string
			args   []any
			want   any
		}{
			{"getAPIVersion", nil, int64(1)},
			{"getKojiVersion", nil, hub.KojiVersion},
			{"hello", []any{"x", int64(1)}, "Hello World"},
			{"echo", []any{"OK"}, []any{"OK"}},
			{"echo", nil, []any{}},
			{"getLoggedInUser", nil, nil},
			{"getSessionInfo", nil, nil},
			{"system.methodSignature", []any{"getUser"}, "signatures not supported"},
			{"system.methodHelp", []any{"nosuch"}, ""},
			{"mavenEnabled", nil, false},
			{"count", []any{"listUsers"}, int64(1)},
		}
		for _, tc := range tests {
			if got := call(t, c, tc.method, tc.args...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s(%v) = %#v, want %#v", tc.method, tc.args, got, tc.want)
			}
		}
		help := call(t, c, "system.methodHelp", "getUser").(string)
		if !strings.HasPrefix(help, "getUser(userInfo=None, strict=False, krb_princs=True, groups=False)\ndescription: ") {
			t.Errorf("methodHelp = %q", help)
		}
		ev := call(t, c, "getLastEvent").(map[string]any)
		if ev["id"].(int64) < 1 || ev["ts"].(float64) < 1e9 {
			t.Errorf("getLastEvent = %v", ev)
		}
		got := call(t, c, "getEvent", ev["id"])
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("getEvent = %v, want %v", got, ev)
		}
		_, err := c.Call(ctx, "getEvent", int64(999999))
		fault(t, err, hub.CodeGeneric, "No such event")
		_, err = c.Call(ctx, "getLastEvent", "yesterday")
		fault(t, err, hub.CodeGeneric, "Invalid type for before")
		_, err = c.Call(ctx, "getLastEvent", float64(1))
		fault(t, err, hub.CodeGeneric, "No event found")
		if got := callKw(t, c, "getLastEvent", []any{float64(1)}, map[string]any{"strict": false}); got != nil {
			t.Errorf("getLastEvent(before=1, strict=False) = %v", got)
		}
		names := call(t, c, "system.listMethods").([]any)
		if len(names) < 40 {
			t.Errorf("listMethods has %d names", len(names))
		}
		for _, n := range names {
			if n == "multiCall" {
				t.Error("multiCall must not be listed")
			}
		}
	})
}

func TestBadCalls(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		c := h.Client()
		cases := []struct {
			method string
			args   []any
			kw     map[string]any
			code   int
			msg    string
		}{
			{"noSuchMethod", []any{int64(1)}, nil, hub.CodeGeneric, "Invalid method: noSuchMethod"},
			{"getUser", []any{"x"}, map[string]any{"bogus": int64(1)}, hub.CodeParameter, "got an unexpected keyword argument 'bogus'"},
			{"getAPIVersion", []any{"extra"}, nil, hub.CodeParameter, "takes 0 positional arguments but 1 was given"},
			{"getEvent", nil, nil, hub.CodeParameter, "missing 1 required positional argument: 'id'"},
			{"getEvent", []any{"abc"}, nil, hub.CodeParameter, "Invalid type for value 'abc': <class 'str'>, expected type <class 'int'>"},
			{"repoInfo", []any{"x1"}, nil, hub.CodeParameter, "Invalid type for value 'x1'"},
			{"getEvent", []any{[]any{int64(1)}}, nil, hub.CodeParameter, "Invalid type for value '[1]': <class 'list'>"},
			{"getUser", []any{[]any{int64(1)}}, nil, hub.CodeGeneric, "Invalid type for userInfo"},
			{"getUser", []any{"nobody"}, map[string]any{"strict": true}, hub.CodeGeneric, "No such user: 'nobody'"},
			{"createUser", []any{"eve"}, nil, hub.CodeActionNotAllowed, "admin permission required (user not logged in)"},
			{"showOpts", nil, nil, hub.CodeActionNotAllowed, "admin permission required"},
			{"logout", nil, nil, hub.CodeAuth, "Not logged in"},
			{"login", []any{"kojiadmin", "wrong"}, nil, hub.CodeAuth, "invalid username or password"},
			{"login", []any{"nobody", "x"}, nil, hub.CodeAuth, "invalid username or password"},
			{"login", []any{"kojiadmin", ""}, nil, hub.CodeAuth, "invalid username or password"},
			{"login", []any{"kojiadmin"}, nil, hub.CodeParameter, "login() missing 1 required positional argument: 'password'"},
			{"sslLogin", nil, nil, hub.CodeAuth, "could not verify client"},
			{"multiCall", []any{"x"}, nil, hub.CodeParameter, "array of calls"},
		}
		for _, tc := range cases {
			_, err := c.CallKw(ctx, tc.method, tc.args, tc.kw)
			fault(t, err, tc.code, tc.msg)
		}
	})
}

func TestSessions(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		u := call(t, admin, "getLoggedInUser").(map[string]any)
		if u["name"] != "kojiadmin" || u["authtype"] != int64(0) || u["krb_principal"] != nil {
			t.Errorf("getLoggedInUser = %v", u)
		}
		// The principals are read for getLoggedInUser, not on every call.
		call(t, admin, "editUser", "kojiadmin", nil, []any{map[string]any{"old": nil, "new": "admin@EXAMPLE.COM"}})
		u = call(t, admin, "getLoggedInUser").(map[string]any)
		if u["krb_principal"] != "admin@EXAMPLE.COM" || !reflect.DeepEqual(u["krb_principals"], []any{"admin@EXAMPLE.COM"}) {
			t.Errorf("getLoggedInUser after adding a principal = %v", u)
		}
		info := call(t, admin, "getSessionInfo").(map[string]any)
		for _, k := range []string{"user_id", "authtype", "callnum", "exclusive", "expired", "master", "start_time", "start_ts", "update_time", "update_ts", "renew_time", "renew_ts"} {
			if _, ok := info[k]; !ok {
				t.Errorf("getSessionInfo lacks %s: %v", k, info)
			}
		}
		if info["exclusive"] != nil || info["expired"] != false {
			t.Errorf("new session: exclusive %v expired %v", info["exclusive"], info["expired"])
		}
		_, err := admin.Call(ctx, "login", "kojiadmin", hubtest.AdminPassword)
		fault(t, err, hub.CodeAuth, "Already logged in")

		// A forged key is refused even for calls that need no login.
		forged := &xmlrpc.Client{URL: h.URL, SessionID: admin.SessionID, SessionKey: admin.SessionKey + "x"}
		_, err = forged.Call(ctx, "getAPIVersion")
		fault(t, err, hub.CodeAuth, "Invalid session or bad credentials")

		// Subsessions share the user; logoutChild closes them.
		sub := call(t, admin, "subsession").(map[string]any)
		child := &xmlrpc.Client{URL: h.URL, SessionID: sub["session-id"].(int64), SessionKey: sub["session-key"].(string)}
		if got := call(t, child, "getSessionInfo").(map[string]any)["master"]; got != admin.SessionID {
			t.Errorf("subsession master = %v, want %d", got, admin.SessionID)
		}
		_, err = child.Call(ctx, "exclusiveSession")
		fault(t, err, hub.CodeGeneric, "subsessions cannot become exclusive")
		call(t, admin, "logoutChild", sub["session-id"])
		_, err = child.Call(ctx, "getAPIVersion")
		fault(t, err, hub.CodeAuth, "Invalid session")

		// Exclusive sessions lock the user's other sessions out.
		other := h.Admin(t)
		call(t, admin, "exclusiveSession")
		_, err = admin.Call(ctx, "exclusiveSession")
		fault(t, err, hub.CodeGeneric, "session is already exclusive")
		_, err = other.Call(ctx, "getAPIVersion")
		fault(t, err, hub.CodeAuthLock, "User locked by another session")
		_, err = other.Call(ctx, "exclusiveSession")
		fault(t, err, hub.CodeAuthLock, "Cannot get exclusive session")
		call(t, other, "exclusiveSession", true) // force takes the lock over
		_, err = admin.Call(ctx, "getAPIVersion")
		fault(t, err, hub.CodeAuth, "Invalid session")
		call(t, other, "sharedSession")

		// logout closes the session.
		call(t, other, "logout")
		_, err = other.Call(ctx, "getAPIVersion")
		fault(t, err, hub.CodeAuth, "Invalid session or bad credentials")
	})
}

func TestCallnum(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		c := h.Admin(t)
		call(t, c, "getAPIVersion")      // callnum 0
		call(t, c, "createUser", "dave") // callnum 1 commits
		// A replay of the committed call number is refused; reads never store one.
		c.Callnum = 1
		_, err := c.Call(ctx, "createUser", "erin")
		fault(t, err, hub.CodeRetry, "unable to retry call 1 (method createUser)")
		c.Callnum = 0
		_, err = c.Call(ctx, "getAPIVersion")
		fault(t, err, hub.CodeSequence, "1 > 0")
		c.Callnum = 5
		call(t, c, "getAPIVersion")
		c.Callnum = 3 // reads did not advance the stored number
		call(t, c, "getAPIVersion")
		if got := call(t, c, "getUser", "erin"); got != nil {
			t.Errorf("refused call left a user behind: %v", got)
		}
	})
}

func TestSessionExpiryAndRenewal(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db, func(c *api.Config) { c.SessionTimeout = time.Second })
		c := h.Admin(t)
		id := c.SessionID
		call(t, c, "createUser", "frank") // stores a callnum
		time.Sleep(1100 * time.Millisecond)
		_, err := c.Call(ctx, "getAPIVersion")
		fault(t, err, hub.CodeAuthExpired, `session "`)
		// Renewal keeps the id, issues a new key, and resets the callnum.
		c.Callnum = 0
		res := callKw(t, c, "login", []any{"kojiadmin", hubtest.AdminPassword}, map[string]any{"opts": nil, "renew": true})
		info := res.(map[string]any)
		if info["session-id"] != id || info["session-key"] == c.SessionKey || info["header-auth"] != true {
			t.Fatalf("renewal = %v (old id %d)", info, id)
		}
		c.SessionKey = info["session-key"].(string)
		c.Callnum = 0
		if got := call(t, c, "getLoggedInUser").(map[string]any)["name"]; got != "kojiadmin" {
			t.Errorf("after renewal user = %v", got)
		}
	})
}

func TestUsersAndPermissions(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		alice := call(t, admin, "createUser", "alice").(int64)
		callKw(t, admin, "createUser", []any{"bob"}, map[string]any{"status": int64(0), "krb_principal": "bob@EXAMPLE.COM", "password": "bobpw"})
		callKw(t, admin, "createUser", []any{"carol"}, map[string]any{"status": int64(1)})
		_, err := admin.Call(ctx, "createUser", "alice")
		fault(t, err, hub.CodeGeneric, "user already exists: alice")
		_, err = admin.Call(ctx, "createUser", "bob@EXAMPLE.COM")
		fault(t, err, hub.CodeGeneric, "user already exists")
		_, err = admin.Call(ctx, "createUser", "bad name!")
		fault(t, err, hub.CodeGeneric, "does not match RegexUserName value")
		_, err = admin.CallKw(ctx, "createUser", []any{"x"}, map[string]any{"status": int64(7)})
		fault(t, err, hub.CodeGeneric, "invalid status: 7")

		// getUser finds by id, name, principal and struct.
		for _, info := range []any{alice, "alice", map[string]any{"name": "alice"}, map[string]any{"id": alice, "name": "alice"}} {
			u := call(t, admin, "getUser", info).(map[string]any)
			if u["id"] != alice || u["name"] != "alice" {
				t.Errorf("getUser(%v) = %v", info, u)
			}
		}
		if got := call(t, admin, "getUser", "bob@EXAMPLE.COM").(map[string]any)["name"]; got != "bob" {
			t.Errorf("getUser by principal = %v", got)
		}
		if got := call(t, admin, "getUser", map[string]any{"id": alice, "name": "bob"}); got != nil {
			t.Errorf("getUser with conflicting struct = %v", got)
		}
		withGroups := callKw(t, admin, "getUser", []any{"alice"}, map[string]any{"groups": true, "krb_princs": false}).(map[string]any)
		if _, ok := withGroups["krb_principals"]; ok || withGroups["groups"] == nil {
			t.Errorf("getUser(groups, !krb_princs) = %v", withGroups)
		}

		// Disabled users cannot log in; bob can with the password extension.
		_, err = h.Client().Call(ctx, "login", "carol", "x")
		fault(t, err, hub.CodeAuth, "invalid username or password")
		bob := h.Login(t, "bob", "bobpw")
		_, err = bob.Call(ctx, "createUser", "zed")
		fault(t, err, hub.CodeActionNotAllowed, "admin permission required (logged in as bob)")
		call(t, admin, "disableUser", "bob")
		_, err = bob.Call(ctx, "getAPIVersion")
		fault(t, err, hub.CodeAuth, "logins by bob are not allowed")
		call(t, admin, "enableUser", "bob")
		_, err = admin.Call(ctx, "enableUser", "nobody")
		fault(t, err, hub.CodeGeneric, "No such user: nobody")

		// Permissions: grant, duplicate, unknown, create, revoke.
		call(t, admin, "grantPermission", "alice", "tag")
		_, err = admin.Call(ctx, "grantPermission", "alice", "tag")
		fault(t, err, hub.CodeGeneric, "user alice already has permission: tag")
		_, err = admin.Call(ctx, "grantPermission", "alice", "nosuchperm")
		fault(t, err, hub.CodeGeneric, "No such entry in table permissions: nosuchperm")
		_, err = admin.CallKw(ctx, "grantPermission", []any{"alice", "tag"}, map[string]any{"description": "x"})
		fault(t, err, hub.CodeGeneric, "Description should be specified only with create.")
		callKw(t, admin, "grantPermission", []any{"bob", "oracle-perm"}, map[string]any{"create": true, "description": "custom"})
		perms := call(t, admin, "getAllPerms").([]any)
		last := perms[len(perms)-1].(map[string]any)
		if last["name"] != "oracle-perm" || last["description"] != "custom" {
			t.Errorf("last perm = %v", last)
		}
		if got := call(t, admin, "getUserPerms", "alice"); !reflect.DeepEqual(got, []any{"tag"}) {
			t.Errorf("getUserPerms(alice) = %v", got)
		}
		if got := call(t, admin, "getUserPermsInheritance", alice); !reflect.DeepEqual(got, map[string]any{"tag": []any{nil}}) {
			t.Errorf("getUserPermsInheritance = %v", got)
		}
		users := callKw(t, admin, "listUsers", nil, map[string]any{"perm": "tag"}).([]any)
		if len(users) != 1 || users[0].(map[string]any)["name"] != "alice" {
			t.Errorf("listUsers(perm=tag) = %v", users)
		}
		call(t, admin, "revokePermission", "alice", "tag")
		_, err = admin.Call(ctx, "revokePermission", "alice", "tag")
		fault(t, err, hub.CodeGeneric, "user alice does not have permission: tag")

		// hasPerm: admin does not stand in for other permissions here.
		if call(t, admin, "hasPerm", "tag") != false || call(t, admin, "hasPerm", "admin") != true {
			t.Error("hasPerm must report only held permissions")
		}
		_, err = admin.CallKw(ctx, "hasPerm", []any{"nosuch"}, map[string]any{"strict": true})
		fault(t, err, hub.CodeGeneric, "No such permission nosuch defined")

		// Groups give their members permissions.
		gid := call(t, admin, "newGroup", "packagers").(int64)
		_, err = admin.Call(ctx, "newGroup", "packagers")
		fault(t, err, hub.CodeGeneric, "user/group already exists: packagers")
		call(t, admin, "addGroupMember", "packagers", "alice")
		_, err = admin.Call(ctx, "addGroupMember", "packagers", "alice")
		fault(t, err, hub.CodeGeneric, "User already in group")
		_, err = admin.Call(ctx, "addGroupMember", "alice", "bob")
		fault(t, err, hub.CodeGeneric, "Not a group: alice")
		call(t, admin, "grantPermission", "packagers", "target")
		if got := call(t, admin, "getUserPermsInheritance", "alice"); !reflect.DeepEqual(got, map[string]any{"target": []any{"packagers"}}) {
			t.Errorf("inherited perms = %v", got)
		}
		if got := callKw(t, admin, "getUserPerms", []any{"alice"}, map[string]any{"with_groups": false}); !reflect.DeepEqual(got, []any{}) {
			t.Errorf("getUserPerms(with_groups=False) = %v", got)
		}
		members := call(t, admin, "getGroupMembers", "packagers").([]any)
		if len(members) != 1 || members[0].(map[string]any)["name"] != "alice" {
			t.Errorf("members = %v", members)
		}
		if got := call(t, admin, "getUserGroups", "alice"); !reflect.DeepEqual(got, []any{map[string]any{"id": gid, "name": "packagers"}}) {
			t.Errorf("getUserGroups = %v", got)
		}
		inherited := callKw(t, admin, "listUsers", nil, map[string]any{"perm": "target", "inherited_perm": true}).([]any)
		if len(inherited) != 1 {
			t.Errorf("listUsers(inherited) = %v", inherited)
		}
		call(t, admin, "dropGroupMember", "packagers", "alice")
		_, err = admin.Call(ctx, "dropGroupMember", "packagers", "alice")
		fault(t, err, hub.CodeGeneric, "No such user in group: packagers")

		// editUser renames and remaps principals.
		callKw(t, admin, "editUser", []any{"alice", "alice2", []any{map[string]any{"old": nil, "new": "alice@EXAMPLE.COM"}}}, nil)
		u := call(t, admin, "getUser", "alice@EXAMPLE.COM").(map[string]any)
		if u["name"] != "alice2" {
			t.Errorf("after editUser = %v", u)
		}
		_, err = admin.Call(ctx, "editUser", "alice2", "bob")
		fault(t, err, hub.CodeGeneric, "Name bob already taken by user")

		// listUsers filters and queryOpts.
		got := callKw(t, admin, "listUsers", nil, map[string]any{"prefix": "AL"}).([]any)
		if len(got) != 1 {
			t.Errorf("listUsers(prefix=AL) = %v", got)
		}
		n := callKw(t, admin, "listUsers", nil, map[string]any{"queryOpts": map[string]any{"countOnly": true}})
		if n != int64(4) {
			t.Errorf("countOnly = %v", n)
		}
		ordered := callKw(t, admin, "listUsers", nil, map[string]any{"queryOpts": map[string]any{"order": "-name", "limit": int64(2)}}).([]any)
		if len(ordered) != 2 || ordered[0].(map[string]any)["name"] != "kojiadmin" {
			t.Errorf("ordered = %v", ordered)
		}
		groups := callKw(t, admin, "listUsers", nil, map[string]any{"userType": int64(hub.UserTypeGroup)}).([]any)
		if len(groups) != 1 {
			t.Errorf("groups = %v", groups)
		}
	})
}

func TestVersionedHistory(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "createUser", "gina")
		before := call(t, admin, "getLastEvent").(map[string]any)["id"].(int64)
		call(t, admin, "grantPermission", "gina", "repo")
		granted := call(t, admin, "getLastEvent").(map[string]any)["id"].(int64)
		call(t, admin, "revokePermission", "gina", "repo")
		if granted <= before {
			t.Fatalf("grant made no event: %d <= %d", granted, before)
		}
		var uid int64
		err := db.InTx(ctx, false, func(tx *store.Tx) error {
			u, err := store.UserBy(ctx, tx, "name", "gina")
			if err != nil {
				return err
			}
			uid = u.ID
			for ev, want := range map[int64]int{before: 0, granted: 1} {
				src, err := store.UserPermSources(ctx, tx, uid, false, &ev)
				if err != nil {
					return err
				}
				if len(src) != want {
					t.Errorf("as of event %d: %d perms, want %d", ev, len(src), want)
				}
			}
			now, err := store.UserPermSources(ctx, tx, uid, false, nil)
			if len(now) != 0 {
				t.Errorf("after revoke: %v", now)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestMultiCall(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		calls := []any{
			map[string]any{"methodName": "createUser", "params": []any{"henry"}},
			map[string]any{"methodName": "createUser", "params": []any{"henry"}}, // duplicate: fails alone
			map[string]any{"methodName": "noSuchMethod", "params": []any{}},
			map[string]any{"methodName": "getUser", "params": xmlrpc.WithKwargs([]any{"henry"}, map[string]any{"strict": true})},
			map[string]any{"methodName": "multiCall", "params": []any{[]any{}}},
		}
		res := call(t, admin, "multiCall", calls).([]any)
		if len(res) != 5 {
			t.Fatalf("multiCall = %v", res)
		}
		if _, ok := res[0].([]any); !ok {
			t.Errorf("success entry = %v", res[0])
		}
		f := res[1].(map[string]any)
		if f["faultCode"] != int64(1000) || f["faultString"] != "user already exists: henry" {
			t.Errorf("fault entry = %v", f)
		}
		if _, ok := f["traceback"]; !ok {
			t.Error("fault entry lacks traceback")
		}
		if res[2].(map[string]any)["faultString"] != "Invalid method: noSuchMethod" {
			t.Errorf("unknown method entry = %v", res[2])
		}
		if res[3].([]any)[0].(map[string]any)["name"] != "henry" {
			t.Errorf("getUser entry = %v", res[3])
		}
		if !reflect.DeepEqual(res[4], []any{[]any{}}) {
			t.Errorf("nested multiCall = %v", res[4])
		}
		// The successful write committed although a sibling failed.
		if call(t, admin, "getUser", "henry") == nil {
			t.Error("henry was rolled back with the failed call")
		}
	})
}
