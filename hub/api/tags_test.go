package api_test

import (
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

func kw(m map[string]any) map[string]any { return m }

// names picks one key out of a list of structs.
func pick(t *testing.T, v any, key string) []any {
	t.Helper()
	var out []any
	for _, e := range v.([]any) {
		out = append(out, e.(map[string]any)[key])
	}
	return out
}

// TestTagLifecycle follows the CLI's add-tag, edit-tag, taginfo, list-tags
// and remove-tag calls.
func TestTagLifecycle(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		// add-tag --arches "x86_64 noarch" -x mock.package_manager=dnf f40
		f40 := callKw(t, admin, "createTag", []any{"f40"}, kw(map[string]any{"arches": "x86_64 noarch", "extra": map[string]any{"mock.package_manager": "dnf", "n": int64(3)}})).(int64)
		child := callKw(t, admin, "createTag", []any{"f40-build"}, kw(map[string]any{"parent": "f40"})).(int64)
		info := call(t, admin, "getTag", "f40").(map[string]any)
		want := map[string]any{"id": f40, "name": "f40", "arches": "x86_64 noarch", "locked": false, "perm": nil, "perm_id": nil,
			"maven_support": false, "maven_include_all": false, "extra": map[string]any{"mock.package_manager": "dnf", "n": int64(3)}}
		if !reflect.DeepEqual(info, want) {
			t.Errorf("getTag = %v\nwant %v", info, want)
		}
		before := call(t, admin, "getLastEvent").(map[string]any)["id"].(int64)
		// edit-tag --perm admin --lock --rename f40-base -x a=1 -r n
		callKw(t, admin, "editTag2", []any{"f40"}, kw(map[string]any{"perm": "admin", "locked": true, "name": "f40-base",
			"extra": map[string]any{"a": int64(1)}, "remove_extra": []any{"n"}}))
		info = call(t, admin, "getTag", f40).(map[string]any)
		if info["name"] != "f40-base" || info["locked"] != true || info["perm"] != "admin" ||
			!reflect.DeepEqual(info["extra"], map[string]any{"mock.package_manager": "dnf", "a": int64(1)}) {
			t.Errorf("after edit: %v", info)
		}
		old := callKw(t, admin, "getTag", []any{f40}, kw(map[string]any{"event": before})).(map[string]any)
		if old["locked"] != false || old["query_event"] != before {
			t.Errorf("getTag as of event %d = %v", before, old)
		}
		// Blocked extra keys hide inherited values in the build config.
		callKw(t, admin, "editTag2", []any{child}, kw(map[string]any{"block_extra": []any{"a"}}))
		cfg := call(t, admin, "getBuildConfig", child).(map[string]any)
		// Koji stores "no arches" as "", which does not count as unset, so
		// the child's own "" wins over the parent's arches.
		if cfg["arches"] != "" || !reflect.DeepEqual(cfg["extra"], map[string]any{"mock.package_manager": "dnf"}) {
			t.Errorf("getBuildConfig = %v", cfg)
		}
		if got := call(t, admin, "getTagID", "f40-build"); got != child {
			t.Errorf("getTagID = %v", got)
		}
		if got := pick(t, callKw(t, admin, "listTags", nil, kw(map[string]any{"pattern": "F40-B*"})), "name"); !reflect.DeepEqual(got, []any{"f40-base", "f40-build"}) {
			t.Errorf("listTags(pattern) = %v", got)
		}
		// remove-tag revokes the config, inheritance and more at one event.
		call(t, admin, "deleteTag", "f40-base")
		if call(t, admin, "getTag", "f40-base") != nil {
			t.Error("deleted tag still found")
		}
		if got := call(t, admin, "getInheritanceData", child); len(got.([]any)) != 0 {
			t.Errorf("deleted parent still inherited: %v", got)
		}
		auto := callKw(t, admin, "getTag", []any{"f40-base"}, kw(map[string]any{"event": "auto"})).(map[string]any)
		if auto["name"] != "f40-base" || auto["revoke_event"] == nil {
			t.Errorf("getTag(event=auto) of a deleted tag = %v", auto)
		}
		// The name can be reused; the id is kept as in Koji.
		if id := call(t, admin, "createTag", "f40-base").(int64); id != f40 {
			t.Errorf("recreated tag id %d, want %d", id, f40)
		}
	})
}

func TestTagBadInput(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "createTag", "a")
		call(t, admin, "createTag", "b")
		callKw(t, admin, "createUser", []any{"bob"}, kw(map[string]any{"password": "pw"}))
		bob := h.Login(t, "bob", "pw")
		cases := []struct {
			c    *xmlrpc.Client
			m    string
			args []any
			kw   map[string]any
			code int
			msg  string
		}{
			{admin, "createTag", []any{"a"}, nil, hub.CodeGeneric, "A tag with the name 'a' already exists"},
			{admin, "createTag", []any{"bad tag!"}, nil, hub.CodeGeneric, "does not match RegexNameInternal"},
			{admin, "createTag", []any{"c"}, map[string]any{"parent": "nosuch"}, hub.CodeGeneric, "Parent tag 'nosuch' could not be found"},
			{admin, "createTag", []any{"c"}, map[string]any{"arches": "x86_64;rm"}, hub.CodeGeneric, "Architecture can be only"},
			{admin, "createTag", []any{"c"}, map[string]any{"perm": "nosuchperm"}, hub.CodeGeneric, "No such entry in table permissions"},
			{admin, "getTag", []any{"nosuch"}, map[string]any{"strict": true}, hub.CodeGeneric, "No such tagInfo: 'nosuch'"},
			{admin, "getTag", []any{[]any{}}, nil, hub.CodeParameter, "Invalid name or id value"},
			{admin, "editTag2", []any{"a"}, map[string]any{"name": "b"}, hub.CodeGeneric, "Name b already taken by tag"},
			{admin, "editTag2", []any{"a"}, map[string]any{"remove_extra": []any{"x"}}, hub.CodeGeneric, "doesn't have extra: x"},
			{admin, "editTag2", []any{"a"}, map[string]any{"bogus": int64(1)}, hub.CodeParameter, "unexpected keyword argument 'bogus'"},
			{admin, "deleteTag", []any{"nosuch"}, nil, hub.CodeGeneric, "No such tagInfo"},
			{bob, "createTag", []any{"d"}, nil, hub.CodeActionNotAllowed, "tag permission required (logged in as bob)"},
			{admin, "setInheritanceData", []any{"a", []any{map[string]any{"parent_id": int64(999), "priority": int64(0), "maxdepth": nil, "intransitive": false, "noconfig": false, "pkg_filter": ""}}}, nil, hub.CodeGeneric, "No such tagInfo: 999"},
			{admin, "setInheritanceData", []any{"a", []any{map[string]any{"parent_id": int64(2), "priority": int64(-1), "maxdepth": nil, "intransitive": false, "noconfig": false, "pkg_filter": ""}}}, nil, hub.CodeGeneric, "Priority must be a non-negative"},
			{admin, "setInheritanceData", []any{"a", []any{map[string]any{"parent_id": int64(2), "priority": int64(1), "maxdepth": nil, "intransitive": false, "noconfig": false, "pkg_filter": "(["}}}, nil, hub.CodeGeneric, "Invalid pkg_filter"},
			{admin, "setInheritanceData", []any{"a", []any{map[string]any{"parent_id": int64(2)}}}, nil, hub.CodeGeneric, "No value for priority"},
			{admin, "getFullInheritance", []any{"a"}, map[string]any{"stops": map[string]any{}}, hub.CodeParameter, "unexpected keyword argument 'stops'"},
		}
		for _, tc := range cases {
			before := call(t, admin, "getLastEvent")
			_, err := tc.c.CallKw(ctx, tc.m, tc.args, tc.kw)
			fault(t, err, tc.code, tc.msg)
			if after := call(t, admin, "getLastEvent"); !reflect.DeepEqual(before, after) {
				t.Errorf("%s%v left a change behind (event %v -> %v)", tc.m, tc.args, before, after)
			}
		}
	})
}

func inhLink(parent any, priority int64, extra map[string]any) map[string]any {
	l := map[string]any{"parent_id": parent, "priority": priority, "maxdepth": nil, "intransitive": false, "noconfig": false, "pkg_filter": ""}
	for k, v := range extra {
		l[k] = v
	}
	return l
}

// TestInheritanceWalk checks priority order, maxdepth, intransitive links,
// loops and pkg_filter accumulation.
func TestInheritanceWalk(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		id := map[string]int64{}
		for _, n := range []string{"top", "p1", "p2", "g1", "g2", "deep"} {
			id[n] = call(t, admin, "createTag", n).(int64)
		}
		call(t, admin, "setInheritanceData", "top", []any{inhLink(id["p2"], 10, nil), inhLink(id["p1"], 5, map[string]any{"pkg_filter": "^a"})})
		call(t, admin, "setInheritanceData", "p1", []any{inhLink(id["g1"], 0, map[string]any{"maxdepth": int64(0)})})
		call(t, admin, "setInheritanceData", "g1", []any{inhLink(id["deep"], 0, nil)})
		call(t, admin, "setInheritanceData", "p2", []any{inhLink(id["g2"], 0, map[string]any{"intransitive": true})})
		call(t, admin, "setInheritanceData", "g2", []any{inhLink(id["top"], 0, nil)}) // a loop back to top
		walk := call(t, admin, "getFullInheritance", "top").([]any)
		var got []string
		for _, e := range walk {
			m := e.(map[string]any)
			got = append(got, m["name"].(string))
		}
		// p1 first (priority 5); the link to g1 has maxdepth 0, so deep is cut;
		// p2's link to g2 is intransitive, so it is not followed from top.
		if !reflect.DeepEqual(got, []string{"p1", "g1", "p2"}) {
			t.Errorf("walk = %v", got)
		}
		g1 := walk[1].(map[string]any)
		if g1["currdepth"] != int64(2) || !reflect.DeepEqual(g1["filter"], []any{"^a"}) || g1["nextdepth"] != int64(0) {
			t.Errorf("g1 entry = %v", g1)
		}
		// From p2 the intransitive link counts, and the loop back is pruned.
		var fromP2 []string
		for _, e := range call(t, admin, "getFullInheritance", "p2").([]any) {
			fromP2 = append(fromP2, e.(map[string]any)["name"].(string))
		}
		if !reflect.DeepEqual(fromP2, []string{"g2", "top", "p1", "g1"}) {
			t.Errorf("walk from p2 = %v", fromP2)
		}
		rev := callKw(t, admin, "getFullInheritance", []any{"g1"}, kw(map[string]any{"reverse": true})).([]any)
		if len(rev) == 0 || rev[0].(map[string]any)["tag_id"] != id["p1"] {
			t.Errorf("reverse walk = %v", rev)
		}
		// Duplicate priorities are refused; delete link removes one.
		_, err := admin.Call(ctx, "setInheritanceData", "top", []any{inhLink(id["g1"], 10, nil)})
		fault(t, err, hub.CodeGeneric, "cannot have the same priority value (10)")
		call(t, admin, "setInheritanceData", "top", []any{map[string]any{"parent_id": id["p2"], "delete link": true}})
		if n := len(call(t, admin, "getInheritanceData", "top").([]any)); n != 1 {
			t.Errorf("after delete link: %d parents", n)
		}
		callKw(t, admin, "setInheritanceData", []any{"top", []any{inhLink(id["g2"], 1, nil)}}, kw(map[string]any{"clear": true}))
		if got := pick(t, call(t, admin, "getInheritanceData", "top"), "name"); !reflect.DeepEqual(got, []any{"g2"}) {
			t.Errorf("after clear: %v", got)
		}
	})
}

// TestPackageLists follows add-pkg, block-pkg, unblock-pkg, remove-pkg and
// list-pkgs, with inheritance, owners, locked tags and the result cache.
func TestPackageLists(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "createUser", "alice")
		call(t, admin, "createTag", "base")
		callKw(t, admin, "createTag", []any{"child"}, kw(map[string]any{"parent": "base"}))
		for _, p := range []string{"hello", "bash", "zsh"} {
			call(t, admin, "packageListAdd", "base", p, "kojiadmin")
		}
		callKw(t, admin, "packageListAdd", []any{"child", "hello", "alice"}, kw(map[string]any{"extra_arches": "i686"}))
		list := callKw(t, admin, "listPackages", nil, kw(map[string]any{"tagID": "child", "inherited": true})).([]any)
		if got := pick(t, list, "package_name"); !reflect.DeepEqual(got, []any{"hello", "bash", "zsh"}) {
			t.Fatalf("inherited list = %v", got)
		}
		if list[0].(map[string]any)["owner_name"] != "alice" || list[0].(map[string]any)["extra_arches"] != "i686" {
			t.Errorf("child's own entry = %v", list[0])
		}
		call(t, admin, "packageListBlock", "child", "bash")
		if call(t, admin, "checkTagPackage", "child", "bash") != false || call(t, admin, "checkTagPackage", "base", "bash") != true {
			t.Error("block must hide bash in child only")
		}
		_, err := admin.Call(ctx, "packageListBlock", "child", "nosuch")
		fault(t, err, hub.CodeGeneric, "No such entry in table package: nosuch")
		call(t, admin, "packageListUnblock", "child", "bash")
		if call(t, admin, "checkTagPackage", "child", "bash") != true {
			t.Error("unblock did not restore bash")
		}
		_, err = admin.Call(ctx, "packageListUnblock", "child", "bash")
		fault(t, err, hub.CodeGeneric, "package bash NOT blocked in tag child")
		call(t, admin, "packageListSetOwner", "base", "zsh", "alice")
		byOwner := callKw(t, admin, "listPackages", nil, kw(map[string]any{"userID": "alice", "with_dups": true})).([]any)
		if got := pick(t, byOwner, "package_name"); !reflect.DeepEqual(got, []any{"zsh", "hello"}) { // oldest entry first
			t.Errorf("alice's packages = %v", got)
		}
		_, err = admin.Call(ctx, "packageListAdd", "base", "newpkg")
		fault(t, err, hub.CodeGeneric, "owner not specified")
		call(t, admin, "packageListRemove", "child", "hello")
		cfg := call(t, admin, "getPackageConfig", "child", "hello").(map[string]any)
		if cfg["tag_name"] != "base" {
			t.Errorf("after remove, hello comes from %v", cfg["tag_name"])
		}
		// A pkg_filter on the link limits what is inherited.
		call(t, admin, "setInheritanceData", "child", []any{inhLink(call(t, admin, "getTagID", "base"), 0, map[string]any{"pkg_filter": "^(hello|zsh)$"})})
		if got := pick(t, callKw(t, admin, "listPackages", nil, kw(map[string]any{"tagID": "child", "inherited": true})), "package_name"); !reflect.DeepEqual(got, []any{"hello", "zsh"}) {
			t.Errorf("filtered inheritance = %v", got)
		}
		// Locked tags: only an admin with force changes them.
		callKw(t, admin, "editTag2", []any{"base"}, kw(map[string]any{"locked": true}))
		_, err = admin.Call(ctx, "packageListAdd", "base", "vim", "kojiadmin")
		fault(t, err, hub.CodeTag, "Tag base is locked")
		callKw(t, admin, "packageListAdd", []any{"base", "vim", "kojiadmin"}, kw(map[string]any{"force": true}))
		if call(t, admin, "checkTagPackage", "base", "vim") != true {
			t.Error("forced add did not land")
		}
		if n := callKw(t, admin, "listPackages", nil, kw(map[string]any{"queryOpts": map[string]any{"countOnly": true}})); n != int64(4) {
			t.Errorf("listPackages countOnly = %v", n)
		}
		pkg := call(t, admin, "getPackage", "vim").(map[string]any)
		if pkg["name"] != "vim" {
			t.Errorf("getPackage = %v", pkg)
		}
	})
}

// TestBuildTargets follows add-target, edit-target, remove-target, list-targets.
func TestBuildTargets(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		b := call(t, admin, "createTag", "f40-build").(int64)
		d := call(t, admin, "createTag", "f40").(int64)
		call(t, admin, "createBuildTarget", "f40-candidate", "f40-build", "f40")
		_, err := admin.Call(ctx, "createBuildTarget", "f40-candidate", "f40-build", "f40")
		fault(t, err, hub.CodeGeneric, "A build target with the name 'f40-candidate' already exists")
		_, err = admin.Call(ctx, "createBuildTarget", "x", "nosuch", "f40")
		fault(t, err, hub.CodeGeneric, "build tag 'nosuch' does not exist")
		tgt := call(t, admin, "getBuildTarget", "f40-candidate").(map[string]any)
		if tgt["build_tag"] != b || tgt["dest_tag"] != d || tgt["build_tag_name"] != "f40-build" || tgt["dest_tag_name"] != "f40" {
			t.Errorf("getBuildTarget = %v", tgt)
		}
		call(t, admin, "editBuildTarget", "f40-candidate", "f40-other", "f40", "f40-build")
		tgt = call(t, admin, "getBuildTarget", "f40-other").(map[string]any)
		if tgt["build_tag"] != d {
			t.Errorf("after edit = %v", tgt)
		}
		if n := len(callKw(t, admin, "getBuildTargets", nil, kw(map[string]any{"destTagID": "f40-build"})).([]any)); n != 1 {
			t.Errorf("getBuildTargets(destTagID) = %d", n)
		}
		call(t, admin, "deleteBuildTarget", "f40-other")
		if call(t, admin, "getBuildTarget", "f40-other") != nil {
			t.Error("deleted target still found")
		}
		_, err = admin.CallKw(ctx, "getBuildTarget", []any{"f40-other"}, map[string]any{"strict": true})
		fault(t, err, hub.CodeGeneric, "No such build target")
	})
}
