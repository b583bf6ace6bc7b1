package api_test

import (
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// cloneWorld is clone-tag's source: base ← f40. base lists hello, goodbye
// and curl and holds the comps groups; f40 adds zlib, blocks curl and the
// group extra, and carries config. hello's builds are tagged into f40 out
// of id order, so only the tagging order makes hello-1.0-1 its latest.
// It returns the admin client and the event before the last tagging.
func cloneWorld(t *testing.T, h *hubtest.Hub) (*xmlrpc.Client, any) {
	t.Helper()
	admin := h.Admin(t)
	callKw(t, admin, "createUser", []any{"bob"}, map[string]any{"password": "bob"})
	call(t, admin, "grantPermission", "kojiadmin", "dist-repo") // f40's perm, for its tagging
	call(t, admin, "createTag", "base")
	callKw(t, admin, "createTag", []any{"f40"}, map[string]any{"parent": "base", "arches": "x86_64 aarch64", "perm": "dist-repo",
		"extra": map[string]any{"mock.package_manager": "dnf", "num": int64(3)}})
	for _, p := range [][3]string{{"base", "hello", "kojiadmin"}, {"base", "goodbye", "bob"}, {"base", "curl", "kojiadmin"}, {"f40", "zlib", "bob"}} {
		callKw(t, admin, "packageListAdd", []any{p[0], p[1]}, map[string]any{"owner": p[2]})
	}
	callKw(t, admin, "packageListSetArches", []any{"f40", "zlib", "noarch"}, nil)
	call(t, admin, "packageListBlock", "f40", "curl")
	for _, nvr := range [][3]string{{"hello", "1.0", "1"}, {"hello", "1.1", "1"}, {"goodbye", "1.0", "1"}, {"curl", "1.0", "1"},
		{"zlib", "1.0", "1"}, {"hello", "0.5", "1"}, {"hello", "0.9", "1"}} {
		call(t, admin, "createEmptyBuild", nvr[0], nvr[1], nvr[2], nil)
	}
	for _, tb := range [][2]string{{"base", "hello-0.9-1"}, {"base", "goodbye-1.0-1"}, {"base", "curl-1.0-1"}, {"f40", "zlib-1.0-1"},
		{"f40", "hello-1.1-1"}, {"f40", "hello-0.5-1"}} {
		call(t, admin, "tagBuildBypass", tb[0], tb[1])
	}
	before := call(t, admin, "getLastEvent").(map[string]any)["id"]
	call(t, admin, "tagBuildBypass", "f40", "hello-1.0-1")

	call(t, admin, "groupListAdd", "base", "build")
	call(t, admin, "groupPackageListAdd", "base", "build", "bash")
	callKw(t, admin, "groupPackageListAdd", []any{"base", "build", "coreutils"}, map[string]any{"type": "optional"})
	callKw(t, admin, "groupListAdd", []any{"base", "srpm-build"}, map[string]any{"description": "for srpms"})
	call(t, admin, "groupPackageListAdd", "base", "srpm-build", "rpm-build")
	call(t, admin, "groupReqListAdd", "base", "build", "srpm-build")
	call(t, admin, "groupListAdd", "base", "extra")
	call(t, admin, "groupPackageListAdd", "base", "extra", "vim")
	call(t, admin, "groupListBlock", "f40", "extra")
	call(t, admin, "groupPackageListBlock", "f40", "build", "bash")
	return admin, before
}

// pkgView is a listPackages answer by package: owner, blocked, extra arches.
func pkgView(t *testing.T, v any) map[string][3]any {
	t.Helper()
	out := map[string][3]any{}
	for _, e := range v.([]any) {
		m := e.(map[string]any)
		out[m["package_name"].(string)] = [3]any{m["owner_name"], m["blocked"], m["extra_arches"]}
	}
	return out
}

// buildOrder is a listTagged answer by package, newest first: the order
// within a package is what decides the latest.
func buildOrder(t *testing.T, v any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, e := range v.([]any) {
		m := e.(map[string]any)
		out[m["package_name"].(string)] = append(out[m["package_name"].(string)], m["nvr"].(string))
	}
	return out
}

// configView is the part of getTag a snapshot copies.
func configView(t *testing.T, c *xmlrpc.Client, tag string, event any) []any {
	t.Helper()
	m := callKw(t, c, "getTag", []any{tag}, map[string]any{"event": event}).(map[string]any)
	return []any{m["arches"], m["perm"], m["locked"], m["maven_support"], m["maven_include_all"], m["extra"]}
}

// groupTypes is each group package's type, "group/package" → type.
func groupTypes(t *testing.T, c *xmlrpc.Client, tag string, kw map[string]any) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, g := range callKw(t, c, "getTagGroups", []any{tag}, kw).([]any) {
		m := g.(map[string]any)
		for _, p := range m["packagelist"].([]any) {
			pm := p.(map[string]any)
			out[m["name"].(string)+"/"+pm["package"].(string)] = pm["type"]
		}
	}
	return out
}

func TestSnapshotTag(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin, before := cloneWorld(t, h)
		if got := buildOrder(t, call(t, admin, "getLatestBuilds", "f40"))["hello"]; !reflect.DeepEqual(got, []string{"hello-1.0-1"}) {
			t.Fatalf("setup: latest hello in f40 = %v", got)
		}
		tests := []struct {
			name string
			kw   map[string]any
			// what the copy should equal in f40 (with inheritance)
			latest, inherit bool
			event           any
			config, pkgs    bool
			builds, groups  bool
		}{
			{name: "defaults", kw: nil, latest: true, inherit: true, config: true, pkgs: true, builds: true, groups: true},
			{name: "all builds", kw: map[string]any{"latest_only": false}, inherit: true, config: true, pkgs: true, builds: true, groups: true},
			{name: "latest own builds", kw: map[string]any{"inherit_builds": false}, latest: true, config: true, pkgs: true, builds: true, groups: true},
			{name: "all own builds", kw: map[string]any{"inherit_builds": false, "latest_only": false}, config: true, pkgs: true, builds: true, groups: true},
			// koji clone-tag sends None for the switches it was not given
			{name: "package list only", kw: map[string]any{"config": nil, "builds": nil, "groups": nil, "pkgs": true, "latest_only": nil,
				"inherit_builds": nil, "event": nil, "force": nil}, pkgs: true},
			{name: "at an event", kw: map[string]any{"event": before, "latest_only": false}, event: before, inherit: true,
				config: true, pkgs: true, builds: true, groups: true},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				dst := "snap" + string(rune('a'+i))
				if got := callKw(t, admin, "snapshotTag", []any{"f40", dst}, tc.kw); got != nil {
					t.Errorf("snapshotTag = %v, want None", got)
				}
				if got := call(t, admin, "getInheritanceData", dst); !reflect.DeepEqual(got, []any{}) {
					t.Errorf("inheritance of %s = %v, want none", dst, got)
				}
				wantCfg := configView(t, admin, "base", nil) // a tag made plainly
				if tc.config {
					wantCfg = configView(t, admin, "f40", tc.event)
				}
				if got := configView(t, admin, dst, nil); !reflect.DeepEqual(got, wantCfg) {
					t.Errorf("config = %v, want %v", got, wantCfg)
				}
				wantPkgs := map[string][3]any{}
				if tc.pkgs {
					wantPkgs = pkgView(t, callKw(t, admin, "listPackages", nil, map[string]any{"tagID": "f40", "inherited": true, "event": tc.event}))
				}
				gotPkgs := callKw(t, admin, "listPackages", nil, map[string]any{"tagID": dst})
				if got := pkgView(t, gotPkgs); !reflect.DeepEqual(got, wantPkgs) {
					t.Errorf("packages = %v, want %v", got, wantPkgs)
				}
				wantBuilds := map[string][]string{}
				if tc.builds {
					wantBuilds = buildOrder(t, callKw(t, admin, "listTagged", []any{"f40"},
						map[string]any{"inherit": tc.inherit, "latest": tc.latest, "event": tc.event}))
				}
				if got := buildOrder(t, call(t, admin, "listTagged", dst)); !reflect.DeepEqual(got, wantBuilds) {
					t.Errorf("builds = %v, want %v", got, wantBuilds)
				}
				wantGroups, wantTypes := map[string][]string{}, map[string]any{}
				if tc.groups {
					wantGroups = groupNames(t, admin, "f40", map[string]any{"event": tc.event})
					wantTypes = groupTypes(t, admin, "f40", map[string]any{"event": tc.event})
				}
				if got := groupNames(t, admin, dst, map[string]any{"inherit": false}); !reflect.DeepEqual(got, wantGroups) {
					t.Errorf("groups = %v, want %v", got, wantGroups)
				}
				if got := groupTypes(t, admin, dst, nil); !reflect.DeepEqual(got, wantTypes) {
					t.Errorf("group package types = %v, want %v", got, wantTypes)
				}
			})
		}
		// The copy's latest is the source's, though hello-1.0-1 is not
		// the newest build id: tagging order was kept.
		if got := buildOrder(t, call(t, admin, "getLatestBuilds", "snapb"))["hello"]; !reflect.DeepEqual(got, []string{"hello-1.0-1"}) {
			t.Errorf("latest hello in the copy = %v", got)
		}

		// Faults, and nothing made by them.
		bob := h.Login(t, "bob", "bob")
		call(t, admin, "createTag", "locked")
		callKw(t, admin, "editTag2", []any{"locked"}, map[string]any{"locked": true})
		faults := []struct {
			name   string
			c      *xmlrpc.Client
			args   []any
			kw     map[string]any
			code   int
			msg    string
			absent string
		}{
			{"missing source", admin, []any{"nosuch", "x1"}, nil, hub.CodeGeneric, "No such tagInfo: 'nosuch'", "x1"},
			{"existing destination", admin, []any{"f40", "base"}, nil, hub.CodeGeneric, "Target tag already exists", ""},
			{"existing destination, forced", admin, []any{"f40", "base"}, map[string]any{"force": true}, hub.CodeGeneric, "Target tag already exists", ""},
			{"builds without packages", admin, []any{"f40", "x2"}, map[string]any{"pkgs": false}, hub.CodeParameter,
				"builds can't be used without pkgs in snapshotTag", "x2"},
			{"locked source", admin, []any{"locked", "x3"}, nil, hub.CodeGeneric, "Source tag is locked, use force to copy", "x3"},
			{"without the tag permission", bob, []any{"f40", "x4"}, nil, hub.CodeActionNotAllowed, "tag permission required (logged in as bob)", "x4"},
			{"anonymous", h.Client(), []any{"f40", "x5"}, nil, hub.CodeActionNotAllowed, "tag permission required", "x5"},
			{"bad name", admin, []any{"f40", "bad name!"}, nil, hub.CodeGeneric, "", "bad name!"},
		}
		for _, tc := range faults {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.c.CallKw(ctx, "snapshotTag", tc.args, tc.kw)
				fault(t, err, tc.code, tc.msg)
				if tc.absent != "" {
					if got := call(t, admin, "getTag", tc.absent); got != nil {
						t.Errorf("a failed snapshotTag left tag %v", got)
					}
				}
			})
		}
		callKw(t, admin, "snapshotTag", []any{"locked", "locked-copy"}, map[string]any{"force": true})
		if got := configView(t, admin, "locked-copy", nil)[2]; got != true {
			t.Errorf("a copy of a locked tag is locked = %v", got)
		}
	})
}

func TestSnapshotTagModify(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin, _ := cloneWorld(t, h)
		// old: an earlier copy gone stale: other config, an extra
		// package and build, an old hello build, a group of its own and
		// a package in build that f40 does not have.
		callKw(t, admin, "createTag", []any{"old"}, map[string]any{"arches": "i686", "extra": map[string]any{"stale": true, "num": int64(1)}})
		for _, p := range [][2]string{{"hello", "bob"}, {"stale", "bob"}} {
			callKw(t, admin, "packageListAdd", []any{"old", p[0]}, map[string]any{"owner": p[1]})
		}
		call(t, admin, "createEmptyBuild", "stale", "1.0", "1", nil)
		call(t, admin, "createEmptyBuild", "hello", "0.1", "1", nil)
		for _, b := range []string{"hello-1.0-1", "hello-0.1-1", "stale-1.0-1"} {
			call(t, admin, "tagBuildBypass", "old", b)
		}
		call(t, admin, "groupListAdd", "old", "gone")
		call(t, admin, "groupListAdd", "old", "build")
		call(t, admin, "groupPackageListAdd", "old", "build", "emacs")

		steps := []struct {
			name       string
			kw         map[string]any
			pkgs       map[string][3]any
			builds     map[string][]string
			groups     map[string][]string
			staleBuild bool
		}{
			{name: "add and block, keep the rest", kw: map[string]any{"latest_only": false},
				// hello keeps bob: an entry both list is left as it is
				pkgs: map[string][3]any{"hello": {"bob", false, nil}, "stale": {"bob", true, nil}, "goodbye": {"bob", false, nil},
					"curl": {"kojiadmin", true, nil}, "zlib": {"bob", false, "noarch"}},
				// old's extra hello-0.1-1 stays, before f40's builds;
				// hello-1.0-1 is retagged last to be the latest again
				builds: map[string][]string{"hello": {"hello-1.0-1", "hello-0.5-1", "hello-1.1-1", "hello-0.9-1", "hello-0.1-1"},
					"goodbye": {"goodbye-1.0-1"}, "zlib": {"zlib-1.0-1"}},
				groups: map[string][]string{"build": {"@srpm-build", "coreutils", "emacs"}, "gone": nil, "srpm-build": {"rpm-build"}},
				// a blocked package's builds stay tagged, unseen
				staleBuild: true},
			{name: "remove", kw: map[string]any{"remove": true, "latest_only": false},
				pkgs: map[string][3]any{"hello": {"bob", false, nil}, "stale": {"bob", true, nil}, "goodbye": {"bob", false, nil},
					"curl": {"kojiadmin", true, nil}, "zlib": {"bob", false, "noarch"}},
				builds: map[string][]string{"hello": {"hello-1.0-1", "hello-0.5-1", "hello-1.1-1", "hello-0.9-1"},
					"goodbye": {"goodbye-1.0-1"}, "zlib": {"zlib-1.0-1"}},
				groups:     map[string][]string{"build": {"@srpm-build", "coreutils"}, "srpm-build": {"rpm-build"}},
				staleBuild: true},
			{name: "latest only, remove", kw: map[string]any{"remove": true},
				pkgs: map[string][3]any{"hello": {"bob", false, nil}, "stale": {"bob", true, nil}, "goodbye": {"bob", false, nil},
					"curl": {"kojiadmin", true, nil}, "zlib": {"bob", false, "noarch"}},
				builds: map[string][]string{"hello": {"hello-1.0-1"}, "goodbye": {"goodbye-1.0-1"}, "zlib": {"zlib-1.0-1"}},
				groups: map[string][]string{"build": {"@srpm-build", "coreutils"}, "srpm-build": {"rpm-build"}}, staleBuild: true},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				callKw(t, admin, "snapshotTagModify", []any{"f40", "old"}, st.kw)
				if got, want := configView(t, admin, "old", nil), configView(t, admin, "f40", nil); !reflect.DeepEqual(got, want) {
					t.Errorf("config = %v, want %v", got, want)
				}
				if got := pkgView(t, callKw(t, admin, "listPackages", nil, map[string]any{"tagID": "old"})); !reflect.DeepEqual(got, st.pkgs) {
					t.Errorf("packages = %v, want %v", got, st.pkgs)
				}
				if got := buildOrder(t, call(t, admin, "listTagged", "old")); !reflect.DeepEqual(got, st.builds) {
					t.Errorf("builds = %v, want %v", got, st.builds)
				}
				if got, want := buildOrder(t, call(t, admin, "getLatestBuilds", "old")), buildOrder(t, call(t, admin, "getLatestBuilds", "f40")); !reflect.DeepEqual(got, want) {
					t.Errorf("latest builds = %v, want f40's %v", got, want)
				}
				if got := groupNames(t, admin, "old", nil); !reflect.DeepEqual(got, st.groups) {
					t.Errorf("groups = %v, want %v", got, st.groups)
				}
				tags := call(t, admin, "listTags", "stale-1.0-1").([]any)
				if got := len(tags) == 1; got != st.staleBuild {
					t.Errorf("stale-1.0-1 tagged in %v", tags)
				}
			})
		}
		// Running it again changes nothing.
		ev := call(t, admin, "tagLastChangeEvent", "old")
		callKw(t, admin, "snapshotTagModify", []any{"f40", "old"}, map[string]any{"remove": true})
		if got := call(t, admin, "tagLastChangeEvent", "old"); got != ev {
			t.Errorf("a second identical modify changed old: event %v → %v: %v", ev, got,
				callKw(t, admin, "queryHistory", nil, map[string]any{"tag": "old", "afterEvent": ev}))
		}

		// A failure part way leaves nothing: config and package list
		// would change before the tagging of a build already in the tag
		// (hidden by a block) fails.
		call(t, admin, "createTag", "broken")
		callKw(t, admin, "packageListAdd", []any{"broken", "hello"}, map[string]any{"owner": "bob"})
		call(t, admin, "tagBuildBypass", "broken", "hello-1.0-1")
		call(t, admin, "packageListBlock", "broken", "hello")
		state := func() any {
			return []any{configView(t, admin, "broken", nil),
				callKw(t, admin, "queryHistory", nil, map[string]any{"tag": "broken"})}
		}
		before := state()
		_, err := admin.CallKw(ctx, "snapshotTagModify", []any{"f40", "broken"}, nil)
		fault(t, err, hub.CodeTag, "build hello-1.0-1 already tagged (broken)")
		if got := state(); !reflect.DeepEqual(got, before) {
			t.Errorf("a failed snapshotTagModify changed broken:\n%v\nwas\n%v", got, before)
		}

		bob := h.Login(t, "bob", "bob")
		call(t, admin, "createTag", "locked")
		callKw(t, admin, "editTag2", []any{"locked"}, map[string]any{"locked": true})
		faults := []struct {
			name string
			c    *xmlrpc.Client
			args []any
			kw   map[string]any
			code int
			msg  string
		}{
			{"missing source", admin, []any{"nosuch", "old"}, nil, hub.CodeGeneric, "No such tagInfo: 'nosuch'"},
			{"missing destination", admin, []any{"f40", "nosuch"}, nil, hub.CodeGeneric, "No such tagInfo: 'nosuch'"},
			{"builds without packages", admin, []any{"f40", "old"}, map[string]any{"pkgs": false}, hub.CodeParameter, "builds can't be used without pkgs"},
			{"locked destination", admin, []any{"f40", "locked"}, nil, hub.CodeGeneric, "Source or destination tag is locked, use force to copy"},
			{"without the tag permission", bob, []any{"f40", "old"}, nil, hub.CodeActionNotAllowed, "tag permission required (logged in as bob)"},
		}
		for _, tc := range faults {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.c.CallKw(ctx, "snapshotTagModify", tc.args, tc.kw)
				fault(t, err, tc.code, tc.msg)
			})
		}
	})
}
