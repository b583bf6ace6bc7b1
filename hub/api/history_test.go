package api_test

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

func lastEvent(t *testing.T, h *hubtest.Hub) int64 {
	t.Helper()
	return call(t, h.Client(), "getLastEvent").(map[string]any)["id"].(int64)
}

// TestHistoryCLI follows koji list-history --tag (queryHistory with the
// CLI's keywords) and checks the filters, markers and record shapes.
func TestHistoryCLI(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "createUser", "alice")
		call(t, admin, "grantPermission", "alice", "tag")
		call(t, admin, "createTag", "f40")
		ev0 := lastEvent(t, h)
		callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"parent": "f40"})
		callKw(t, admin, "editTag2", []any{"f40"}, map[string]any{"extra": map[string]any{"mock.package_manager": "dnf"}})
		call(t, admin, "packageListAdd", "f40", "hello", "alice")
		call(t, admin, "groupListAdd", "f40", "build")
		call(t, admin, "groupPackageListAdd", "f40", "build", "bash")
		call(t, admin, "createExternalRepo", "fedora", "http://x/")
		call(t, admin, "addExternalRepoToTag", "f40", "fedora", int64(3))
		call(t, admin, "createBuildTarget", "f40-candidate", "f40-build", "f40")
		ev1 := lastEvent(t, h)
		time.Sleep(20 * time.Millisecond)
		mid := float64(time.Now().UnixMicro()) / 1e6
		call(t, admin, "editBuildTarget", "f40-candidate", "f40-candidate", "f40-build", "f40-build")
		call(t, admin, "editTag2", "f40", map[string]any{"__starstar": true, "locked": true})

		// koji list-history --tag f40 --utc
		res := callKw(t, admin, "queryHistory", nil, map[string]any{"tables": nil, "tag": "f40", "utc": true}).(map[string]any)
		tagTables := []string{"build_target_config", "group_config", "group_package_listing", "group_req_listing", "tag_config",
			"tag_external_repos", "tag_extra", "tag_inheritance", "tag_package_owners", "tag_packages"}
		for _, tbl := range tagTables {
			if _, ok := res[tbl]; !ok {
				t.Errorf("tag history lacks %s", tbl)
			}
		}
		for tbl := range res {
			if _, ok := store.LookupHistoryTable(tbl); !ok {
				t.Errorf("tag history has unknown table %s", tbl)
			}
			if tbl == "user_perms" || tbl == "external_repo_config" {
				t.Errorf("tag history has %s, to which the tag filter does not apply", tbl)
			}
		}
		count := func(tbl string) int { return len(res[tbl].([]any)) }
		wantCounts := map[string]int{"tag_config": 2, "tag_extra": 1, "tag_inheritance": 1, "tag_packages": 1, "tag_package_owners": 1,
			"group_config": 1, "group_package_listing": 1, "tag_external_repos": 1, "build_target_config": 1}
		for tbl, n := range wantCounts {
			if count(tbl) != n {
				t.Errorf("%s: %d records, want %d: %v", tbl, count(tbl), n, res[tbl])
			}
		}
		// Records carry the common keys, the columns and the dotted names.
		cfg := res["tag_config"].([]any)
		first, second := cfg[0].(map[string]any), cfg[1].(map[string]any)
		wantKeys := []string{"active", "arches", "create_event", "create_ts", "creator_id", "creator_name", "locked",
			"maven_include_all", "maven_support", "perm_id", "permission.name", "revoke_event", "revoke_ts",
			"revoker_id", "revoker_name", "tag.name", "tag_id"}
		var keys []string
		for k := range first {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !reflect.DeepEqual(keys, wantKeys) {
			t.Errorf("tag_config record keys = %v", keys)
		}
		if first["active"] != nil || first["revoker_name"] != "kojiadmin" || first["tag.name"] != "f40" || first["locked"] != false {
			t.Errorf("first tag_config record = %v", first)
		}
		if second["active"] != true || second["revoke_event"] != nil || second["locked"] != true {
			t.Errorf("second tag_config record = %v", second)
		}
		if ts, ok := first["create_ts"].(float64); !ok || ts < 1e9 {
			t.Errorf("create_ts = %#v", first["create_ts"])
		}
		inh := res["tag_inheritance"].([]any)[0].(map[string]any)
		if inh["tag.name"] != "f40-build" || inh["parent.name"] != "f40" {
			t.Errorf("tag_inheritance by parent = %v", inh)
		}
		own := res["tag_package_owners"].([]any)[0].(map[string]any)
		if own["owner.name"] != "alice" || own["package.name"] != "hello" {
			t.Errorf("owner record = %v", own)
		}
		// As in Koji, the tag filter of build_target_config is the destination tag.
		bt := res["build_target_config"].([]any)[0].(map[string]any)
		if bt["dest_tag.name"] != "f40" || bt["build_tag.name"] != "f40-build" || bt["build_target.name"] != "f40-candidate" {
			t.Errorf("build_target_config record = %v", bt)
		}

		cases := []struct {
			name string
			kw   map[string]any
			want map[string]int // table → records; tables not listed must be absent
			mark map[string]any // marker → value in the first record of the first table listed
		}{
			{"active only", map[string]any{"tables": []any{"tag_config"}, "active": true}, map[string]int{"tag_config": 2}, nil},
			{"revoked only", map[string]any{"tables": []any{"tag_config"}, "active": false, "tag": "f40"}, map[string]int{"tag_config": 1}, nil},
			{"active None is no filter", map[string]any{"tables": []any{"tag_config"}, "active": nil, "tag": "f40"}, map[string]int{"tag_config": 2}, nil},
			{"user", map[string]any{"user": "alice"}, map[string]int{"user_perms": 1, "user_groups": 0, "cg_users": 0, "tag_package_owners": 1}, nil},
			{"permission", map[string]any{"permission": "tag"}, map[string]int{"user_perms": 1, "tag_config": 0}, nil},
			{"package", map[string]any{"package": "hello"}, map[string]int{"tag_packages": 1, "tag_package_owners": 1, "group_package_listing": 0, "tag_listing": 0}, nil},
			{"group package by name", map[string]any{"tables": []any{"group_package_listing", "user_perms"}, "package": "bash"},
				map[string]int{"group_package_listing": 1}, nil},
			{"group", map[string]any{"group": "build"}, map[string]int{"group_config": 1, "group_package_listing": 1, "group_req_listing": 0}, nil},
			{"external repo", map[string]any{"external_repo": "fedora"}, map[string]int{"external_repo_config": 1, "external_repo_data": 0, "tag_external_repos": 1}, nil},
			{"build target", map[string]any{"build_target": "f40-candidate"}, map[string]int{"build_target_config": 2}, nil},
			{"extra key", map[string]any{"xkey": "mock.package_manager"}, map[string]int{"tag_extra": 1}, nil},
			{"afterEvent", map[string]any{"tables": []any{"tag_config"}, "afterEvent": ev1}, map[string]int{"tag_config": 2},
				map[string]any{"_created_after_event": false, "_revoked_after_event": true}},
			{"beforeEvent", map[string]any{"tables": []any{"tag_config"}, "beforeEvent": ev0 + 1, "tag": "f40"}, map[string]int{"tag_config": 1},
				map[string]any{"_created_before_event": true, "_revoked_before_event": false}},
			{"after a time", map[string]any{"tables": []any{"build_target_config"}, "after": mid}, map[string]int{"build_target_config": 2},
				map[string]any{"_created_after": false, "_revoked_after": true}},
			{"before a time", map[string]any{"tables": []any{"build_target_config"}, "before": mid}, map[string]int{"build_target_config": 1},
				map[string]any{"_created_before": true, "_revoked_before": false}},
			{"editor", map[string]any{"tables": []any{"tag_inheritance"}, "editor": "kojiadmin"}, map[string]int{"tag_inheritance": 1},
				map[string]any{"_created_by": true, "_revoked_by": nil}},
			{"editor who edited nothing", map[string]any{"tables": []any{"tag_config"}, "editor": "alice"}, map[string]int{"tag_config": 0}, nil},
			{"unknown keywords are ignored", map[string]any{"tables": []any{"tag_extra"}, "pkg": "x", "utc": true}, map[string]int{"tag_extra": 1}, nil},
			{"queryOpts per table", map[string]any{"tables": []any{"tag_config", "tag_extra"}, "queryOpts": map[string]any{"countOnly": true}}, nil, nil},
		}
		for _, c := range cases {
			got := callKw(t, admin, "queryHistory", nil, c.kw).(map[string]any)
			if c.want == nil {
				if got["tag_config"] != int64(3) || got["tag_extra"] != int64(1) {
					t.Errorf("%s: %v", c.name, got)
				}
				continue
			}
			if len(got) != len(c.want) {
				var names []string
				for k := range got {
					names = append(names, k)
				}
				sort.Strings(names)
				t.Errorf("%s: tables %v, want those of %v", c.name, names, c.want)
			}
			var firstTable string
			for tbl, n := range c.want {
				rows, ok := got[tbl].([]any)
				if !ok || len(rows) != n {
					t.Errorf("%s: %s = %v, want %d records", c.name, tbl, got[tbl], n)
				}
				if firstTable == "" || tbl < firstTable {
					firstTable = tbl
				}
			}
			if c.mark != nil {
				rows, _ := got[firstTable].([]any)
				if len(rows) == 0 {
					continue
				}
				r := rows[0].(map[string]any)
				for k, v := range c.mark {
					if gv, ok := r[k]; !ok || gv != v {
						t.Errorf("%s: marker %s = %#v (present %v), want %#v", c.name, k, gv, ok, v)
					}
				}
			}
		}
		bad := []struct {
			kw   map[string]any
			code int
			msg  string
		}{
			{map[string]any{"tables": []any{"nosuch"}}, hub.CodeGeneric, "No such history table: nosuch"},
			{map[string]any{"tag": "nosuch"}, hub.CodeGeneric, "No such entry in table tag: nosuch"},
			{map[string]any{"user": "nobody"}, hub.CodeGeneric, "No such user"},
			{map[string]any{"after": "yesterday"}, hub.CodeGeneric, "Invalid time for after"},
			{map[string]any{"tables": "tag_config"}, hub.CodeParameter, "tables must be a list"},
		}
		for _, b := range bad {
			_, err := admin.CallKw(ctx, "queryHistory", nil, b.kw)
			fault(t, err, b.code, b.msg)
		}

		// Tag change events, as kojira asks them.
		f40 := call(t, admin, "getTag", "f40").(map[string]any)["id"]
		last := lastEvent(t, h)
		events := []struct {
			method string
			args   []any
			kw     map[string]any
			want   any
		}{
			{"tagChangedSinceEvent", []any{ev0, []any{f40}}, nil, true},
			{"tagChangedSinceEvent", []any{last, []any{f40}}, nil, false},
			{"tagChangedSinceEvent", []any{ev0, []any{}}, nil, false},
			{"tagLastChangeEvent", []any{"f40"}, nil, last},
			{"tagLastChangeEvent", []any{"f40"}, map[string]any{"before": ev0 + 1}, ev0},
			{"tagFirstChangeEvent", []any{"f40"}, nil, ev0},
			{"tagFirstChangeEvent", []any{"f40"}, map[string]any{"after": last}, nil},
		}
		for _, e := range events {
			if got := callKw(t, admin, e.method, e.args, e.kw); !reflect.DeepEqual(got, e.want) {
				t.Errorf("%s(%v, %v) = %#v, want %#v", e.method, e.args, e.kw, got, e.want)
			}
		}
		// A parent's change is the child's change, unless inherit=False.
		if got := call(t, admin, "tagLastChangeEvent", "f40-build"); got != last {
			t.Errorf("tagLastChangeEvent(f40-build) = %v, want the parent's %v", got, last)
		}
		if got := callKw(t, admin, "tagLastChangeEvent", []any{"f40-build"}, map[string]any{"inherit": false}); got == last {
			t.Errorf("tagLastChangeEvent(f40-build, inherit=False) = %v, the parent's change", got)
		}
		call(t, admin, "deleteTag", "f40-build")
		deleted := lastEvent(t, h)
		if got := call(t, admin, "tagLastChangeEvent", "f40-build"); got != deleted {
			t.Errorf("tagLastChangeEvent of a deleted tag = %v, want its deletion %v", got, deleted)
		}
	})
}

// TestSearchCLI follows koji search for each type and match kind.
func TestSearchCLI(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		for _, tag := range []string{"f40", "f40-build", "F41_x", "epel9"} {
			call(t, admin, "createTag", tag)
		}
		call(t, admin, "deleteTag", "epel9")
		for _, p := range []string{"hello", "Hello-world", "bash"} {
			call(t, admin, "packageListAdd", "f40", p, "kojiadmin")
		}
		call(t, admin, "createBuildTarget", "f40-candidate", "f40-build", "f40")
		call(t, admin, "createUser", "alice")
		names := func(v any) []string {
			out := []string{}
			for _, r := range v.([]any) {
				out = append(out, r.(map[string]any)["name"].(string))
			}
			return out
		}
		cases := []struct {
			terms, typ, match string
			opts              map[string]any
			want              []string
		}{
			{"f40*", "tag", "glob", nil, []string{"f40", "f40-build"}},
			{"f4?*", "tag", "glob", nil, []string{"f40", "f40-build", "F41_x"}},
			{"f41_*", "tag", "glob", nil, []string{"F41_x"}},
			{"f4_*", "tag", "glob", nil, []string{}},
			{"epel*", "tag", "glob", nil, []string{}},
			{"^F4.*D$", "tag", "regexp", nil, []string{"f40-build"}},
			{"build", "tag", "regexp", nil, []string{"f40-build"}},
			{"f40", "tag", "exact", nil, []string{"f40"}},
			{"F40", "tag", "exact", nil, []string{}},
			{"hel*", "package", "glob", nil, []string{"hello", "Hello-world"}},
			{"^hello", "package", "regexp", map[string]any{"order": "-name"}, []string{"hello", "Hello-world"}},
			{"*", "package", "glob", map[string]any{"order": "name", "limit": int64(2)}, []string{"Hello-world", "bash"}},
			{"*cand*", "target", "glob", nil, []string{"f40-candidate"}},
			{"ALICE", "user", "glob", nil, []string{"alice"}},
			{"builder*", "host", "glob", nil, []string{}},
			{"x", "file", "glob", nil, []string{}},
		}
		for _, c := range cases {
			got := callKw(t, admin, "search", []any{c.terms, c.typ, c.match}, map[string]any{"queryOpts": c.opts})
			if g := names(got); !reflect.DeepEqual(g, c.want) {
				t.Errorf("search(%q, %s, %s, %v) = %v, want %v", c.terms, c.typ, c.match, c.opts, g, c.want)
			}
		}
		if got := callKw(t, admin, "search", []any{"*", "tag", "glob"}, map[string]any{"queryOpts": map[string]any{"countOnly": true}}); got != int64(3) {
			t.Errorf("search countOnly = %v", got)
		}
		bad := []struct {
			args []any
			msg  string
		}{
			{[]any{"", "tag", "glob"}, "empty search terms"},
			{[]any{"x", "nosuch", "glob"}, "No such search type: nosuch"},
			{[]any{"(", "tag", "regexp"}, "Invalid regular expression '('"},
		}
		for _, b := range bad {
			_, err := admin.Call(ctx, "search", b.args...)
			fault(t, err, hub.CodeGeneric, b.msg)
		}
	})
}

// TestUnchangedWritesLeaveNoHistory: writing back what is already there, as
// koji add-tag-inheritance does with a tag's other links, records nothing.
func TestUnchangedWritesLeaveNoHistory(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		for _, n := range []string{"base", "dest", "ih1"} {
			callKw(t, admin, "createTag", []any{n}, nil)
		}
		rows := func() int {
			res := callKw(t, admin, "queryHistory", nil, map[string]any{"tables": []any{"tag_inheritance"}, "tag": "ih1"}).(map[string]any)
			return len(res["tag_inheritance"].([]any))
		}
		base := call(t, admin, "getTag", "base").(map[string]any)["id"]
		dest := call(t, admin, "getTag", "dest").(map[string]any)["id"]
		link := map[string]any{"parent_id": base, "priority": int64(5), "maxdepth": int64(2), "intransitive": false,
			"noconfig": false, "pkg_filter": ""}
		call(t, admin, "setInheritanceData", "ih1", []any{link})
		before := rows()
		// What the CLI sends to add a second parent: the links it read, and the new one.
		current := call(t, admin, "getInheritanceData", "ih1").([]any)
		second := map[string]any{"parent_id": dest, "priority": int64(10), "maxdepth": nil, "intransitive": false,
			"noconfig": false, "pkg_filter": ""}
		call(t, admin, "setInheritanceData", "ih1", append(current, second))
		if got := rows(); got != before+1 {
			t.Errorf("adding one parent made %d history rows, want 1 (the unchanged link was rewritten)", got-before)
		}

		// A package list entry written again with force, unchanged.
		call(t, admin, "createUser", "bob")
		pkgRows := func() int {
			res := callKw(t, admin, "queryHistory", nil, map[string]any{"tables": []any{"tag_packages", "tag_package_owners"}, "tag": "dest"}).(map[string]any)
			return len(res["tag_packages"].([]any)) + len(res["tag_package_owners"].([]any))
		}
		callKw(t, admin, "packageListAdd", []any{"dest", "pkgA", "bob"}, map[string]any{"force": true})
		callKw(t, admin, "packageListAdd", []any{"dest", "pkgB", "bob"}, nil)
		callKw(t, admin, "packageListBlock", []any{"dest", "pkgB"}, nil)
		n := pkgRows()
		callKw(t, admin, "packageListAdd", []any{"dest", "pkgA", "bob"}, map[string]any{"force": true})
		callKw(t, admin, "packageListBlock", []any{"dest", "pkgB"}, map[string]any{"force": true})
		if got := pkgRows(); got != n {
			t.Errorf("unchanged package list writes with force added %d history rows", got-n)
		}
	})
}
