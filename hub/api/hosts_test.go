package api_test

import (
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

func names(t *testing.T, rows any) []string {
	t.Helper()
	var out []string
	for _, r := range rows.([]any) {
		out = append(out, r.(map[string]any)["name"].(string))
	}
	return out
}

// TestHostsAndChannels mirrors the CLI's add-host, edit-host, enable-host,
// disable-host, list-hosts, hostinfo, add-host-to-channel,
// remove-host-from-channel, list-channels, edit-channel/rename and remove.
func TestHostsAndChannels(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		chans := names(t, call(t, admin, "listChannels"))
		want := []string{"default", "createrepo", "maven", "livecd", "appliance", "vm", "image", "livemedia"}
		if !reflect.DeepEqual(chans, want) {
			t.Fatalf("channels = %v, want %v", chans, want)
		}
		id1 := callKw(t, admin, "addHost", []any{"builder1.example.com", []any{"x86_64", "noarch"}}, map[string]any{"force": false})
		call(t, admin, "addHost", "builder2.example.com", []any{"aarch64"})
		host := call(t, admin, "getHost", "builder1.example.com").(map[string]any)
		wantHost := map[string]any{"id": id1, "name": "builder1.example.com", "arches": "x86_64 noarch", "capacity": 2.0,
			"ready": false, "enabled": true, "task_load": 0.0, "update_ts": nil, "description": nil, "comment": nil,
			"user_id": host["user_id"]}
		if !reflect.DeepEqual(host, wantHost) {
			t.Errorf("getHost = %v\nwant %v", host, wantHost)
		}
		u := call(t, admin, "getUser", host["user_id"]).(map[string]any)
		if u["usertype"] != int64(hub.UserTypeHost) || u["name"] != "builder1.example.com" {
			t.Errorf("host user = %v", u)
		}
		call(t, admin, "addHostToChannel", "builder1.example.com", "createrepo")
		callKw(t, admin, "addHostToChannel", []any{"builder2.example.com", "special"}, map[string]any{"create": true})
		if got := names(t, callKw(t, admin, "listChannels", nil, map[string]any{"hostID": id1})); !reflect.DeepEqual(got, []string{"default", "createrepo"}) {
			t.Errorf("channels of builder1 = %v", got)
		}
		if got := names(t, callKw(t, admin, "listHosts", nil, map[string]any{"channelID": "createrepo"})); !reflect.DeepEqual(got, []string{"builder1.example.com"}) {
			t.Errorf("hosts in createrepo = %v", got)
		}
		if got := names(t, callKw(t, admin, "listHosts", nil, map[string]any{"arches": []any{"aarch64"}})); !reflect.DeepEqual(got, []string{"builder2.example.com"}) {
			t.Errorf("aarch64 hosts = %v", got)
		}
		if got := names(t, callKw(t, admin, "listHosts", nil, map[string]any{"arches": []any{"x86"}})); got != nil {
			t.Errorf("hosts matching a partial arch = %v", got)
		}
		edited := callKw(t, admin, "editHost", []any{"builder2.example.com"}, map[string]any{"capacity": 4.0, "description": "arm builder", "comment": "oracle"})
		again := callKw(t, admin, "editHost", []any{"builder2.example.com"}, map[string]any{"capacity": int64(4)})
		if edited != true || again != false {
			t.Errorf("editHost = %v then %v", edited, again)
		}
		call(t, admin, "disableHost", "builder2.example.com")
		if got := names(t, callKw(t, admin, "listHosts", nil, map[string]any{"enabled": false})); !reflect.DeepEqual(got, []string{"builder2.example.com"}) {
			t.Errorf("disabled hosts = %v", got)
		}
		h2 := call(t, admin, "getHost", "builder2.example.com").(map[string]any)
		if h2["capacity"] != 4.0 || h2["comment"] != "oracle" || h2["enabled"] != false {
			t.Errorf("edited host = %v", h2)
		}
		// History: the host as it was before the edits.
		ev := call(t, admin, "getLastEvent").(map[string]any)["id"].(int64)
		call(t, admin, "enableHost", "builder2.example.com")
		old := callKw(t, admin, "getHost", []any{"builder2.example.com"}, map[string]any{"event": ev}).(map[string]any)
		if old["enabled"] != false || call(t, admin, "getHost", "builder2.example.com").(map[string]any)["enabled"] != true {
			t.Errorf("getHost as of event %d = %v", ev, old)
		}
		call(t, admin, "removeHostFromChannel", "builder2.example.com", "special")
		if got := names(t, call(t, admin, "listChannels", "builder2.example.com")); !reflect.DeepEqual(got, []string{"default"}) {
			t.Errorf("channels of builder2 after removal = %v", got)
		}
		if got := callKw(t, admin, "editChannel", []any{"special"}, map[string]any{"name": "special2", "description": "for tests"}); got != true {
			t.Errorf("editChannel = %v", got)
		}
		call(t, admin, "renameChannel", "special2", "special3")
		ch := call(t, admin, "getChannel", "special3").(map[string]any)
		if ch["description"] != "for tests" || ch["enabled"] != true {
			t.Errorf("getChannel = %v", ch)
		}
		call(t, admin, "disableChannel", "special3", "closed")
		if got := names(t, callKw(t, admin, "listChannels", nil, map[string]any{"enabled": false})); !reflect.DeepEqual(got, []string{"special3"}) {
			t.Errorf("disabled channels = %v", got)
		}
		call(t, admin, "removeChannel", "special3")
		if got := call(t, admin, "getChannel", "special3"); got != nil {
			t.Errorf("removed channel still there: %v", got)
		}
		arches := call(t, admin, "getAllArches").([]any)
		if !reflect.DeepEqual(arches, []any{"x86_64", "noarch", "aarch64"}) {
			t.Errorf("getAllArches = %v", arches)
		}
	})
}

// TestHostAndChannelFaults: each bad call gets Koji's fault and changes nothing.
func TestHostAndChannelFaults(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "addHost", "b1", []any{"x86_64"})
		call(t, admin, "createUser", "alice")
		callKw(t, admin, "addChannel", []any{"busy"}, nil)
		call(t, admin, "addHostToChannel", "b1", "busy")
		callKw(t, admin, "makeTask", []any{"foo", []any{}}, map[string]any{"channel": "busy"})
		cases := []struct {
			method string
			args   []any
			kw     map[string]any
			code   int
			msg    string
		}{
			{"addHost", []any{"b1", []any{"x86_64"}}, nil, hub.CodeGeneric, "host already exists: b1"},
			{"addHost", []any{"alice", []any{"x86_64"}}, nil, hub.CodeGeneric, "user alice already exists and it is not a host"},
			{"addHost", []any{"bad name!", []any{"x86_64"}}, nil, hub.CodeGeneric, "does not match"},
			{"addHost", []any{"b2", []any{"x86 64!"}}, nil, hub.CodeGeneric, "Architecture can be only"},
			{"editHost", []any{"nosuch"}, map[string]any{"capacity": 3.0}, hub.CodeGeneric, "Invalid hostInfo: nosuch"},
			{"editHost", []any{"b1"}, map[string]any{"capacity": "lots"}, hub.CodeParameter, "Invalid type"},
			{"enableHost", []any{"nosuch"}, nil, hub.CodeGeneric, "host does not exist: nosuch"},
			{"getHost", []any{"nosuch"}, map[string]any{"strict": true}, hub.CodeGeneric, "Invalid hostInfo: nosuch"},
			{"getHost", []any{[]any{int64(1)}}, nil, hub.CodeParameter, "Invalid name or id value"},
			{"listHosts", nil, map[string]any{"arches": []any{}}, hub.CodeGeneric, "arches option cannot be empty"},
			{"listHosts", nil, map[string]any{"channelID": "nosuch"}, hub.CodeGeneric, "No such entry in table channels"},
			{"addHostToChannel", []any{"b1", "nosuchchannel"}, nil, hub.CodeGeneric, "channel does not exist: nosuchchannel"},
			{"addHostToChannel", []any{"b1", "default"}, nil, hub.CodeGeneric, "host b1 is already subscribed to the default channel"},
			{"addHostToChannel", []any{"nosuch", "default"}, nil, hub.CodeGeneric, "host does not exist: nosuch"},
			{"removeHostFromChannel", []any{"b1", "createrepo"}, nil, hub.CodeGeneric, "host b1 is not subscribed to the createrepo channel"},
			{"getChannel", []any{"nosuch"}, map[string]any{"strict": true}, hub.CodeGeneric, "No such channel: nosuch"},
			{"addChannel", []any{"default"}, nil, hub.CodeGeneric, "channel default already exists (id=1)"},
			{"editChannel", []any{"busy"}, map[string]any{"name": "default"}, hub.CodeGeneric, "channel default already exists"},
			{"renameChannel", []any{"nosuch", "x"}, nil, hub.CodeGeneric, "No such channel: nosuch"},
			{"removeChannel", []any{"busy"}, nil, hub.CodeGeneric, "channel busy has task references"},
		}
		for _, tc := range cases {
			before := snapshot(t, admin)
			_, err := admin.CallKw(ctx, tc.method, tc.args, tc.kw)
			fault(t, err, tc.code, tc.msg)
			if after := snapshot(t, admin); !reflect.DeepEqual(before, after) {
				t.Errorf("%s(%v) failed but changed data:\n%v\n%v", tc.method, tc.args, before, after)
			}
		}
		// Without the host permission.
		call(t, admin, "editUser", "alice", nil, nil, "pw")
		alice := h.Login(t, "alice", "pw")
		for _, m := range [][]any{{"addHost", "b9", []any{"x86_64"}}, {"enableHost", "b1"}, {"addHostToChannel", "b1", "createrepo"}} {
			_, err := alice.Call(ctx, m[0].(string), m[1:]...)
			fault(t, err, hub.CodeActionNotAllowed, "host permission required (logged in as alice)")
		}
		_, err := alice.Call(ctx, "addChannel", "mine")
		fault(t, err, hub.CodeActionNotAllowed, "admin permission required")
	})
}

// snapshot is what the fault tests compare: hosts, channels, tasks.
func snapshot(t *testing.T, c *xmlrpc.Client) []any {
	t.Helper()
	var out []any
	for _, m := range []string{"listHosts", "listChannels", "listTasks"} {
		out = append(out, call(t, c, m))
	}
	hosts := call(t, c, "listHosts").([]any)
	for _, hst := range hosts {
		out = append(out, call(t, c, "listChannels", hst.(map[string]any)["id"]))
	}
	return out
}
