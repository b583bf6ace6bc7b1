package api_test

import (
	"reflect"
	"sort"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// groupNames summarises getTagGroups: group → [tag of the group entry,
// packages "name@tag" …, requirements "@name" …], sorted.
func groupNames(t *testing.T, c *xmlrpc.Client, tag string, kw map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, g := range callKw(t, c, "getTagGroups", []any{tag}, kw).([]any) {
		m := g.(map[string]any)
		var items []string
		for _, p := range m["packagelist"].([]any) {
			pm := p.(map[string]any)
			s := pm["package"].(string)
			if pm["blocked"] == true {
				s += "!"
			}
			items = append(items, s)
		}
		for _, r := range m["grouplist"].([]any) {
			items = append(items, "@"+r.(map[string]any)["name"].(string))
		}
		sort.Strings(items)
		name := m["name"].(string)
		if m["blocked"] == true {
			name += "!"
		}
		out[name] = items
	}
	return out
}

// TestGroupsCLI follows what koji add-group, add-group-pkg, block-group and
// list-groups call, then the rest of the group API, and checks inheritance
// as Koji applies it.
func TestGroupsCLI(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "createTag", "f40")
		callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"parent": "f40"})

		// koji add-group f40 build
		if call(t, admin, "hasPerm", "admin") != true {
			t.Fatal("kojiadmin lacks admin")
		}
		call(t, admin, "getTag", "f40")
		if got := callKw(t, admin, "getTagGroups", []any{"f40"}, map[string]any{"inherit": false}); !reflect.DeepEqual(got, []any{}) {
			t.Fatalf("groups of a new tag = %v", got)
		}
		call(t, admin, "groupListAdd", "f40", "build")
		// koji add-group-pkg f40 build bash coreutils
		for _, p := range []string{"bash", "coreutils"} {
			call(t, admin, "groupPackageListAdd", "f40", "build", p)
		}
		before := call(t, admin, "getLastEvent").(map[string]any)["id"]
		callKw(t, admin, "groupListAdd", []any{"f40", "srpm-build"}, map[string]any{"description": "for srpms", "is_default": true})
		call(t, admin, "groupReqListAdd", "f40", "build", "srpm-build")

		// koji list-groups f40-build: the entry shows where it comes from.
		groups := call(t, admin, "getTagGroups", "f40-build").([]any)
		f40 := call(t, admin, "getTag", "f40").(map[string]any)["id"]
		for _, g := range groups {
			m := g.(map[string]any)
			if m["tag_id"] != f40 {
				t.Errorf("group %v comes from tag %v, want f40 (%v)", m["name"], m["tag_id"], f40)
			}
			if m["name"] == "srpm-build" && (m["description"] != "for srpms" || m["is_default"] != true || m["display_name"] != "srpm-build" || m["uservisible"] != true) {
				t.Errorf("srpm-build = %v", m)
			}
		}
		steps := []struct {
			name   string
			method string
			args   []any
			tag    string
			kw     map[string]any
			want   map[string][]string
		}{
			{"inherited", "", nil, "f40-build", nil, map[string][]string{"build": {"@srpm-build", "bash", "coreutils"}, "srpm-build": nil}},
			{"no inherit", "", nil, "f40-build", map[string]any{"inherit": false}, map[string][]string{}},
			{"as of an event", "", nil, "f40", map[string]any{"event": before}, map[string][]string{"build": {"bash", "coreutils"}}},
			{"block a package below", "groupPackageListBlock", []any{"f40-build", "build", "bash"}, "f40-build", nil,
				map[string][]string{"build": {"@srpm-build", "coreutils"}, "srpm-build": nil}},
			{"blocked shown on request", "", nil, "f40-build", map[string]any{"incl_blocked": true},
				map[string][]string{"build": {"@srpm-build", "bash!", "coreutils"}, "srpm-build": nil}},
			{"parent unaffected", "", nil, "f40", nil, map[string][]string{"build": {"@srpm-build", "bash", "coreutils"}, "srpm-build": nil}},
			{"block a group: requirements on it go too", "groupListBlock", []any{"f40-build", "srpm-build"}, "f40-build", nil,
				map[string][]string{"build": {"coreutils"}}},
			{"unblock the group", "groupListUnblock", []any{"f40-build", "srpm-build"}, "f40-build", nil,
				map[string][]string{"build": {"@srpm-build", "coreutils"}, "srpm-build": nil}},
			{"unblock the package", "groupPackageListUnblock", []any{"f40-build", "build", "bash"}, "f40-build", nil,
				map[string][]string{"build": {"@srpm-build", "bash", "coreutils"}, "srpm-build": nil}},
			{"block a requirement", "groupReqListBlock", []any{"f40-build", "build", "srpm-build"}, "f40-build", nil,
				map[string][]string{"build": {"bash", "coreutils"}, "srpm-build": nil}},
			{"unblock it", "groupReqListUnblock", []any{"f40-build", "build", "srpm-build"}, "f40-build", nil,
				map[string][]string{"build": {"@srpm-build", "bash", "coreutils"}, "srpm-build": nil}},
			{"re-adding an inherited package adds no entry", "groupPackageListAdd", []any{"f40-build", "build", "coreutils"}, "f40-build", map[string]any{"inherit": false},
				map[string][]string{}},
			{"remove a package", "groupPackageListRemove", []any{"f40", "build", "bash"}, "f40", nil,
				map[string][]string{"build": {"@srpm-build", "coreutils"}, "srpm-build": nil}},
			{"remove a requirement", "groupReqListRemove", []any{"f40", "build", "srpm-build"}, "f40", nil,
				map[string][]string{"build": {"coreutils"}, "srpm-build": nil}},
			{"remove a group", "groupListRemove", []any{"f40", "srpm-build"}, "f40", nil, map[string][]string{"build": {"coreutils"}}},
		}
		for _, s := range steps {
			if s.method != "" {
				call(t, admin, s.method, s.args...)
			}
			if got := groupNames(t, admin, s.tag, s.kw); !reflect.DeepEqual(got, s.want) && !(len(got) == 0 && len(s.want) == 0) {
				t.Errorf("%s: groups of %s = %v, want %v", s.name, s.tag, got, s.want)
			}
		}
		// coreutils still comes from f40 alone.
		if got := groupNames(t, admin, "f40-build", nil); !reflect.DeepEqual(got["build"], []string{"coreutils"}) {
			t.Errorf("f40-build build = %v", got["build"])
		}

		// Adding what is already there changes nothing: no new event.
		last := call(t, admin, "getLastEvent").(map[string]any)["id"]
		call(t, admin, "groupListAdd", "f40", "build")
		call(t, admin, "groupPackageListAdd", "f40", "build", "coreutils")
		if now := call(t, admin, "getLastEvent").(map[string]any)["id"]; now != last {
			t.Errorf("a repeated add made event %v (last was %v)", now, last)
		}

		anon := h.Client()
		bad := []struct {
			c      *xmlrpc.Client
			method string
			args   []any
			code   int
			msg    string
		}{
			{anon, "groupListAdd", []any{"f40", "x"}, hub.CodeActionNotAllowed, "tag permission required"},
			{admin, "groupListAdd", []any{"nosuch", "x"}, hub.CodeGeneric, "No such tagInfo: 'nosuch'"},
			{admin, "groupListRemove", []any{"f40", "nosuch"}, hub.CodeGeneric, "No such entry in table groups: nosuch"},
			{admin, "groupListRemove", []any{"f40-build", "build"}, hub.CodeGeneric, "No group: build found for tag: f40-build"},
			{admin, "groupListUnblock", []any{"f40", "build"}, hub.CodeGeneric, "group build is NOT blocked in tag f40"},
			{admin, "groupPackageListAdd", []any{"f40", "nosuch", "bash"}, hub.CodeGeneric, "No such entry in table groups: nosuch"},
			{admin, "groupPackageListUnblock", []any{"f40", "build", "coreutils"}, hub.CodeGeneric, "package coreutils is NOT blocked in group build, tag f40"},
			{admin, "groupReqListAdd", []any{"f40", "build", "nosuch"}, hub.CodeGeneric, "No such entry in table groups: nosuch"},
			{admin, "getTagGroups", []any{"nosuch"}, hub.CodeGeneric, "No such entry in table tag: nosuch"},
		}
		for _, b := range bad {
			_, err := b.c.Call(ctx, b.method, b.args...)
			fault(t, err, b.code, b.msg)
		}
		call(t, admin, "groupListAdd", "f40", "empty")
		_, err := admin.Call(ctx, "groupPackageListAdd", "f40-build", "gone", "bash")
		fault(t, err, hub.CodeGeneric, "No such entry in table groups: gone")
		call(t, admin, "groupListBlock", "f40-build", "empty")
		_, err = admin.Call(ctx, "groupPackageListAdd", "f40-build", "empty", "bash")
		fault(t, err, hub.CodeGeneric, "group empty is blocked in tag f40-build")
		_, err = admin.Call(ctx, "groupListAdd", "f40-build", "empty")
		fault(t, err, hub.CodeGeneric, "group empty is blocked in tag f40-build")
		if now := call(t, admin, "getLastEvent").(map[string]any)["id"]; now == last {
			t.Error("the block made no event")
		}

		// Deleting the tag takes its groups along.
		call(t, admin, "deleteTag", "f40-build")
		hist := callKw(t, admin, "queryHistory", nil, map[string]any{"tables": []any{"group_config"}, "active": true}).(map[string]any)
		for _, r := range hist["group_config"].([]any) {
			if r.(map[string]any)["tag.name"] == "f40-build" {
				t.Errorf("group row of the deleted tag still active: %v", r)
			}
		}
		call(t, admin, "groupListRemove", "f40", "build", true)
	})
}
