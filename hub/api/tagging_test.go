package api_test

import (
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// tagWorld is the import-and-tag scenario's setup: f40 ← f40-updates ←
// f40-build, and f40-testing alone; hello and goodbye listed in f40; four
// COMPLETE builds and one CANCELED.
func tagWorld(t *testing.T, h *hubtest.Hub) *xmlrpc.Client {
	t.Helper()
	admin := h.Admin(t)
	call(t, admin, "createTag", "f40")
	callKw(t, admin, "createTag", []any{"f40-updates"}, map[string]any{"parent": "f40"})
	callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"parent": "f40-updates"})
	call(t, admin, "createTag", "f40-testing")
	for _, p := range []string{"hello", "goodbye"} {
		callKw(t, admin, "packageListAdd", []any{"f40", p}, map[string]any{"owner": "kojiadmin"})
	}
	for _, nvr := range [][3]string{{"hello", "1.0", "1"}, {"hello", "1.1", "1"}, {"goodbye", "2.0", "1"}, {"notinlist", "0.1", "1"}, {"hello", "0.9", "1"}} {
		call(t, admin, "createEmptyBuild", nvr[0], nvr[1], nvr[2], nil)
	}
	call(t, admin, "resetBuild", "hello-0.9-1") // CANCELED
	return admin
}

// nvrs lists the nvr of each entry of a listTagged-like answer.
func nvrs(t *testing.T, v any) []string {
	t.Helper()
	out := []string{}
	for _, e := range v.([]any) {
		out = append(out, e.(map[string]any)["nvr"].(string))
	}
	return out
}

// tagState is what a failed call must leave as it was.
func tagState(t *testing.T, c *xmlrpc.Client) any {
	t.Helper()
	return []any{
		callKw(t, c, "queryHistory", nil, map[string]any{"tables": []any{"tag_listing", "tag_packages"}}),
		allTasks(t, c),
	}
}

func TestTagging(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := tagWorld(t, h)
		anon := h.Client()
		ev0 := call(t, anon, "tagLastChangeEvent", "f40")

		// Direct tagging, as the scenario does.
		for _, tb := range [][2]string{{"f40", "hello-1.0-1"}, {"f40-updates", "hello-1.1-1"}, {"f40", "goodbye-2.0-1"}, {"f40", "notinlist-0.1-1"}} {
			call(t, admin, "tagBuildBypass", tb[0], tb[1])
		}
		if ev := call(t, anon, "tagLastChangeEvent", "f40"); ev == ev0 {
			t.Errorf("tagLastChangeEvent did not move after tagging (%v)", ev)
		}
		if !call(t, anon, "tagChangedSinceEvent", ev0, []any{int64(1)}).(bool) {
			t.Errorf("tagChangedSinceEvent: f40 did not change")
		}
		var changes int64
		if err := db.InTx(ctx, false, func(tx *store.Tx) error {
			return tx.Get(ctx, &changes, "SELECT COUNT(*) FROM tag_changes WHERE tag_id = 1")
		}); err != nil || changes == 0 {
			t.Errorf("no tag_changes rows for f40 (%v)", err)
		}
		// A forced retag replaces the listing at a new event.
		callKw(t, admin, "tagBuildBypass", []any{"f40", "notinlist-0.1-1"}, map[string]any{"force": true})

		// Bad input and refused changes: the right fault, nothing changed.
		user := h.Client()
		callKw(t, admin, "createUser", []any{"bob"}, map[string]any{"password": "bob"})
		callKw(t, admin, "grantPermission", []any{"bob", "tag"}, nil)
		bob := h.Login(t, "bob", "bob")
		call(t, admin, "createTag", "locked")
		callKw(t, admin, "packageListAdd", []any{"locked", "hello"}, map[string]any{"owner": "kojiadmin"})
		call(t, admin, "tagBuildBypass", "locked", "hello-1.1-1")
		callKw(t, admin, "editTag2", []any{"locked"}, map[string]any{"locked": true})
		callKw(t, admin, "createTag", []any{"guarded"}, map[string]any{"perm": "admin"})
		callKw(t, admin, "packageListAdd", []any{"guarded", "hello"}, map[string]any{"owner": "kojiadmin"})
		callKw(t, admin, "packageListAdd", []any{"f40-testing", "hello"}, map[string]any{"owner": "kojiadmin"})
		callKw(t, admin, "packageListBlock", []any{"f40-testing", "hello"}, nil)
		before := tagState(t, admin)
		for _, tc := range []struct {
			name   string
			c      *xmlrpc.Client
			method string
			args   []any
			kw     map[string]any
			code   int
			msg    string
		}{
			{"anonymous", user, "tagBuildBypass", []any{"f40", "hello-1.1-1"}, nil, hub.CodeActionNotAllowed, "tag permission required"},
			{"no such build", admin, "tagBuildBypass", []any{"f40", "nosuch-1.0-1"}, nil, hub.CodeGeneric, "No such build: 'nosuch-1.0-1'"},
			{"no such tag", admin, "tagBuildBypass", []any{"nosuch", "hello-1.1-1"}, nil, hub.CodeGeneric, "No such tagInfo"},
			{"bad build value", admin, "tagBuildBypass", []any{"f40", []any{}}, nil, hub.CodeGeneric, "Invalid type"},
			{"not complete", admin, "tagBuildBypass", []any{"f40", "hello-0.9-1"}, nil, hub.CodeTag, "build hello-0.9-1 not complete: state CANCELED"},
			{"already tagged", admin, "tagBuildBypass", []any{"f40", "hello-1.0-1"}, nil, hub.CodeTag, "build hello-1.0-1 already tagged (f40)"},
			{"locked", bob, "tagBuildBypass", []any{"locked", "hello-1.0-1"}, nil, hub.CodeActionNotAllowed, "tag is locked"},
			{"locked, force without admin", bob, "tagBuildBypass", []any{"locked", "hello-1.0-1"}, map[string]any{"force": true}, hub.CodeActionNotAllowed, "tag is locked"},
			{"tag perm", bob, "tagBuildBypass", []any{"guarded", "hello-1.1-1"}, nil, hub.CodeActionNotAllowed, "tag requires admin permission"},
			{"untag absent", admin, "untagBuild", []any{"f40-updates", "goodbye-2.0-1"}, nil, hub.CodeTag, "build goodbye-2.0-1 not in tag f40-updates"},
			{"untag locked", bob, "untagBuild", []any{"locked", "hello-1.1-1"}, nil, hub.CodeActionNotAllowed, "tag is locked"},
			{"tagBuild not listed", admin, "tagBuild", []any{"f40-updates", "notinlist-0.1-1"}, nil, hub.CodeTag, "Package notinlist not in list for f40-updates"},
			{"tagBuild blocked", admin, "tagBuild", []any{"f40-testing", "hello-1.1-1"}, nil, hub.CodeTag, "Package hello blocked in f40-testing"},
			{"tagBuild not complete", admin, "tagBuild", []any{"f40", "hello-0.9-1"}, nil, hub.CodeTag, "not complete"},
			{"tagBuild anonymous", user, "tagBuild", []any{"f40", "hello-1.1-1"}, nil, hub.CodeActionNotAllowed, "logged in"},
			{"moveBuild not listed", admin, "moveBuild", []any{"f40", "nosuchtag", "hello-1.0-1"}, nil, hub.CodeGeneric, "No such tagInfo"},
			{"moveAllBuilds not listed", admin, "moveAllBuilds", []any{"f40", "f40-testing", "goodbye"}, nil, hub.CodeTag, "Package goodbye not in list for tag f40-testing"},
			{"deleteBuild tagged", admin, "deleteBuild", []any{"hello-1.0-1"}, nil, hub.CodeGeneric, "Cannot delete build, tagged: [{'tag_id': 1, 'name': 'f40'}]"},
			{"unsupported type", admin, "listTagged", []any{"f40"}, map[string]any{"type": "nosuch"}, hub.CodeGeneric, "unsupported build type: nosuch"},
			{"listTagged strict", admin, "listTagged", []any{"nosuchtag"}, nil, hub.CodeGeneric, "No such tagInfo: 'nosuchtag'"},
			{"listTaggedRPMS arch type", admin, "listTaggedRPMS", []any{"f40"}, map[string]any{"arch": int64(3)}, hub.CodeGeneric, "Invalid type for arch option"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := tc.c.CallKw(ctx, tc.method, tc.args, tc.kw)
				fault(t, err, tc.code, tc.msg)
				if after := tagState(t, admin); !reflect.DeepEqual(before, after) {
					t.Errorf("%s changed the tags or tasks", tc.method)
				}
			})
		}
		// An admin using force passes the lock (and retags).
		callKw(t, admin, "tagBuildBypass", []any{"locked", "hello-1.1-1"}, map[string]any{"force": true})
		if got := call(t, admin, "deleteBuild", "hello-1.0-1", false); got != false {
			t.Errorf("deleteBuild(strict=False) of a tagged build = %v, want false", got)
		}

		// Queries.
		f := func(kw map[string]any) map[string]any { kw["__starstar"] = true; return kw }
		for _, tc := range []struct {
			name   string
			method string
			args   []any
			want   []string
		}{
			{"plain", "listTagged", []any{"f40"}, []string{"goodbye-2.0-1", "hello-1.0-1"}},
			{"parent only", "listTagged", []any{"f40-updates"}, []string{"hello-1.1-1"}},
			{"inherit", "listTagged", []any{"f40-build", f(map[string]any{"inherit": true})}, []string{"hello-1.1-1", "goodbye-2.0-1", "hello-1.0-1"}},
			{"latest", "listTagged", []any{"f40-build", f(map[string]any{"inherit": true, "latest": true})}, []string{"hello-1.1-1", "goodbye-2.0-1"}},
			{"latest 2", "listTagged", []any{"f40-build", f(map[string]any{"inherit": true, "latest": int64(2)})}, []string{"hello-1.1-1", "goodbye-2.0-1", "hello-1.0-1"}},
			{"package", "listTagged", []any{"f40-build", f(map[string]any{"inherit": true, "package": "hello"})}, []string{"hello-1.1-1", "hello-1.0-1"}},
			{"prefix", "listTagged", []any{"f40-build", f(map[string]any{"inherit": true, "prefix": "GOOD"})}, []string{"goodbye-2.0-1"}},
			{"owner", "listTagged", []any{"f40", f(map[string]any{"owner": "bob"})}, []string{}},
			{"draft", "listTagged", []any{"f40", f(map[string]any{"draft": true})}, []string{}},
			{"type rpm", "listTagged", []any{"f40", f(map[string]any{"type": "rpm"})}, []string{}},
			{"type maven", "listTagged", []any{"f40", f(map[string]any{"type": "maven"})}, []string{}},
			{"not strict", "listTagged", []any{"nosuchtag", f(map[string]any{"strict": false})}, []string{}},
			{"at event", "listTagged", []any{"f40", f(map[string]any{"event": ev0})}, []string{}},
			{"getLatestBuilds", "getLatestBuilds", []any{"f40-build"}, []string{"hello-1.1-1", "goodbye-2.0-1"}},
			{"getLatestBuilds package", "getLatestBuilds", []any{"f40", f(map[string]any{"package": "hello"})}, []string{"hello-1.0-1"}},
			{"getLatestBuilds unknown id", "getLatestBuilds", []any{int64(999)}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := nvrs(t, callKw(t, anon, tc.method, tc.args, nil))
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s %v = %v, want %v", tc.method, tc.args, got, tc.want)
				}
			})
		}
		// Entry shape (extra only when asked).
		e := call(t, anon, "listTagged", "f40-updates").([]any)[0].(map[string]any)
		if e["tag_name"] != "f40-updates" || e["build_id"] != e["id"] || e["create_event"] == nil {
			t.Errorf("listTagged entry: %v", e)
		}
		if _, ok := e["extra"]; ok {
			t.Errorf("listTagged without extra has an extra key")
		}
		e = callKw(t, anon, "listTagged", []any{"f40-updates"}, map[string]any{"extra": true}).([]any)[0].(map[string]any)
		if _, ok := e["extra"]; !ok {
			t.Errorf("listTagged(extra=True) has no extra key")
		}
		// A block in a child tag hides the package there, and only there.
		callKw(t, admin, "packageListBlock", []any{"f40-build", "goodbye"}, nil)
		if got := nvrs(t, call(t, anon, "getLatestBuilds", "f40-build")); !reflect.DeepEqual(got, []string{"hello-1.1-1"}) {
			t.Errorf("getLatestBuilds after block = %v", got)
		}
		if got := nvrs(t, call(t, anon, "getLatestBuilds", "f40-updates")); !reflect.DeepEqual(got, []string{"hello-1.1-1", "goodbye-2.0-1"}) {
			t.Errorf("getLatestBuilds(f40-updates) after a block below = %v", got)
		}
		callKw(t, admin, "packageListUnblock", []any{"f40-build", "goodbye"}, nil)
		// A pkg_filter on a link takes the package-list path computed in Go.
		call(t, admin, "setInheritanceData", "f40-build", []any{map[string]any{"parent_id": int64(2), "priority": int64(0),
			"maxdepth": nil, "intransitive": false, "noconfig": false, "pkg_filter": "^hel"}})
		if got := nvrs(t, call(t, anon, "getLatestBuilds", "f40-build")); !reflect.DeepEqual(got, []string{"hello-1.1-1"}) {
			t.Errorf("getLatestBuilds with pkg_filter = %v, want hello only", got)
		}
		for pkg, want := range map[string][]string{"hello": {"hello-1.1-1"}, "goodbye": {}} {
			got := nvrs(t, callKw(t, anon, "getLatestBuilds", []any{"f40-build"}, map[string]any{"package": pkg}))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("getLatestBuilds(package=%s) with pkg_filter = %v, want %v", pkg, got, want)
			}
		}
		call(t, admin, "setInheritanceData", "f40-build", []any{map[string]any{"parent_id": int64(2), "priority": int64(0),
			"maxdepth": nil, "intransitive": false, "noconfig": false, "pkg_filter": ""}})

		// rpms: these builds have none.
		r := call(t, anon, "getLatestRPMS", "f40-build").([]any)
		if len(r) != 2 || len(r[0].([]any)) != 0 || len(nvrs(t, r[1])) != 2 {
			t.Errorf("getLatestRPMS = %v", r)
		}

		// untagging, references, untagged builds, listTags(build=).
		call(t, admin, "untagBuild", "f40", "goodbye-2.0-1")
		callKw(t, admin, "untagBuild", []any{"f40", "goodbye-2.0-1"}, map[string]any{"strict": false})
		unt := callKw(t, anon, "untaggedBuilds", nil, nil).([]any)
		if len(unt) != 1 || unt[0].(map[string]any)["name"] != "goodbye" {
			t.Errorf("untaggedBuilds = %v", unt)
		}
		if n := callKw(t, anon, "untaggedBuilds", []any{"hello"}, nil).([]any); len(n) != 0 {
			t.Errorf("untaggedBuilds(hello) = %v", n)
		}
		refs := call(t, anon, "buildReferences", "hello-1.0-1").(map[string]any)
		if tags := refs["tags"].([]any); len(tags) != 1 || tags[0].(map[string]any)["name"] != "f40" {
			t.Errorf("buildReferences tags = %v", refs)
		}
		lt := callKw(t, anon, "listTags", nil, map[string]any{"build": "hello-1.0-1"}).([]any)
		if len(lt) != 1 || lt[0].(map[string]any)["name"] != "f40" {
			t.Errorf("listTags(build=) = %v", lt)
		}
		if got := call(t, admin, "deleteBuild", "goodbye-2.0-1"); got != true {
			t.Errorf("deleteBuild of an untagged build = %v", got)
		}
		// History by build, as list-history --build asks.
		hist := callKw(t, anon, "queryHistory", nil, map[string]any{"build": "notinlist-0.1-1"}).(map[string]any)
		rows := hist["tag_listing"].([]any)
		if len(hist) != 1 || len(rows) != 2 || rows[0].(map[string]any)["name"] != "notinlist" || rows[1].(map[string]any)["active"] != true {
			t.Errorf("queryHistory(build=) = %v", hist)
		}
		th := callKw(t, anon, "tagHistory", nil, map[string]any{"build": "notinlist-0.1-1"}).([]any)
		if len(th) != 2 {
			t.Errorf("tagHistory(build=) = %v", th)
		}
	})
}

// TestTagBuildTasks: tagBuild and moveBuild queue tasks the hub runs
// itself; builders never get them.
func TestTagBuildTasks(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := tagWorld(t, h)
		host, _ := startHost(t, h, admin, "builder1", []any{"x86_64"})

		id := call(t, admin, "tagBuild", "f40", "hello-1.0-1")
		info := callKw(t, admin, "getTaskInfo", []any{id}, map[string]any{"request": true}).(map[string]any)
		if info["method"] != "tagBuild" || info["priority"] != int64(10) || info["arch"] != "noarch" ||
			!reflect.DeepEqual(info["request"], []any{int64(1), int64(1), false, nil}) {
			t.Errorf("tagBuild task = %v", info)
		}
		if got := call(t, host, "host.getTasks").([]any); len(got) != 0 {
			t.Errorf("a builder was given %v", got)
		}
		if got := call(t, host, "host.openTask", id); got != nil {
			t.Errorf("a builder opened the hub's task: %v", got)
		}
		n, err := h.Dispatcher.RunHubTasks(ctx)
		if err != nil || n != 1 {
			t.Fatalf("RunHubTasks = %d, %v", n, err)
		}
		if s := taskState(t, admin, id); s != hub.TaskClosed {
			t.Errorf("task state %d, want CLOSED", s)
		}
		if got := call(t, admin, "getTaskResult", id); got != nil {
			t.Errorf("task result %v", got)
		}
		if got := nvrs(t, call(t, admin, "listTagged", "f40")); !reflect.DeepEqual(got, []string{"hello-1.0-1"}) {
			t.Errorf("after the task f40 holds %v", got)
		}

		// A task that fails when it runs: the build got tagged meanwhile.
		id2 := call(t, admin, "tagBuild", "f40", "goodbye-2.0-1")
		call(t, admin, "tagBuildBypass", "f40", "goodbye-2.0-1")
		if _, err := h.Dispatcher.RunHubTasks(ctx); err != nil {
			t.Fatal(err)
		}
		if s := taskState(t, admin, id2); s != hub.TaskFailed {
			t.Errorf("task state %d, want FAILED", s)
		}
		_, err = admin.Call(ctx, "getTaskResult", id2)
		fault(t, err, hub.CodeTag, "already tagged")

		// A move, once the package is listed in the destination.
		_, err = admin.Call(ctx, "moveBuild", "f40", "f40-testing", "hello-1.0-1")
		fault(t, err, hub.CodeTag, "Package hello not in list for f40-testing")
		callKw(t, admin, "packageListAdd", []any{"f40-testing", "hello"}, map[string]any{"owner": "kojiadmin"})
		id3 := call(t, admin, "moveBuild", "f40", "f40-testing", "hello-1.0-1")
		if _, err := h.Dispatcher.RunHubTasks(ctx); err != nil {
			t.Fatal(err)
		}
		if s := taskState(t, admin, id3); s != hub.TaskClosed {
			t.Errorf("move task state %d", s)
		}
		if got := nvrs(t, call(t, admin, "listTagged", "f40-testing")); !reflect.DeepEqual(got, []string{"hello-1.0-1"}) {
			t.Errorf("after the move f40-testing holds %v", got)
		}
		if got := nvrs(t, call(t, admin, "listTagged", "f40")); !reflect.DeepEqual(got, []string{"goodbye-2.0-1"}) {
			t.Errorf("after the move f40 holds %v", got)
		}

		// moveAllBuilds: one task per build, oldest tagging first.
		call(t, admin, "tagBuildBypass", "f40", "hello-1.1-1")
		call(t, admin, "tagBuildBypass", "f40", "hello-1.0-1", true)
		ids := call(t, admin, "moveAllBuilds", "f40", "f40-testing", "hello", true).([]any)
		if len(ids) != 2 {
			t.Fatalf("moveAllBuilds = %v", ids)
		}
		if _, err := h.Dispatcher.RunHubTasks(ctx); err != nil {
			t.Fatal(err)
		}
		if got := nvrs(t, call(t, admin, "listTagged", "f40-testing")); !reflect.DeepEqual(got, []string{"hello-1.0-1", "hello-1.1-1"}) {
			t.Errorf("after moveAllBuilds f40-testing holds %v", got)
		}

		// host.tagBuild for a builder's own task.
		tid := callKw(t, admin, "makeTask", []any{"build", []any{}}, nil)
		call(t, host, "host.getTasks")
		call(t, host, "host.openTask", tid)
		call(t, host, "host.tagBuild", tid, "f40-updates", "goodbye-2.0-1")
		if got := nvrs(t, call(t, admin, "listTagged", "f40-updates")); !reflect.DeepEqual(got, []string{"goodbye-2.0-1"}) {
			t.Errorf("after host.tagBuild f40-updates holds %v", got)
		}
		if got := call(t, host, "host.tagNotification", true, int64(1), nil, int64(1), int64(1)); got != nil {
			t.Errorf("host.tagNotification = %v", got)
		}
	})
}

// TestCLITagSequences replays, call by call, what the koji CLI sends for
// the commands the recorded transcripts do not cover: tag-build waiting for
// its task, and list-untagged (--show-references).
func TestCLITagSequences(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := tagWorld(t, h)
		// koji tag-build f40 hello-1.0-1: tagBuild, logout, then watch_tasks
		// polls getTaskInfo(request=True) and getTaskChildren until done.
		id := callKw(t, admin, "tagBuild", []any{"f40", "hello-1.0-1"}, map[string]any{"force": nil})
		if _, err := h.Dispatcher.RunHubTasks(ctx); err != nil { // the worker's turn
			t.Fatal(err)
		}
		anon := h.Client()
		info := callKw(t, anon, "getTaskInfo", []any{id}, map[string]any{"request": true}).(map[string]any)
		if info["state"] != int64(hub.TaskClosed) {
			t.Fatalf("tag-build's task: %v", info)
		}
		if kids := call(t, anon, "getTaskChildren", id).([]any); len(kids) != 0 {
			t.Errorf("getTaskChildren = %v", kids)
		}
		// koji list-untagged [hello] [--show-references]
		if call(t, anon, "getPackageID", "hello") == nil {
			t.Fatal("getPackageID(hello) = nil")
		}
		data := callKw(t, anon, "untaggedBuilds", nil, map[string]any{"name": "hello"}).([]any)
		if len(data) != 1 || data[0].(map[string]any)["version"] != "1.1" {
			t.Fatalf("untaggedBuilds(name=hello) = %v", data)
		}
		res := call(t, anon, "multiCall", []any{map[string]any{"methodName": "buildReferences",
			"params": []any{data[0].(map[string]any)["id"]}}}).([]any)
		refs := res[0].([]any)[0].(map[string]any)
		for _, k := range []string{"tags", "rpms", "component_of", "archives", "images"} {
			if l, ok := refs[k].([]any); !ok || len(l) != 0 {
				t.Errorf("buildReferences %s = %v", k, refs[k])
			}
		}
		if _, ok := refs["last_used"]; !ok {
			t.Errorf("buildReferences has no last_used: %v", refs)
		}
		if all := callKw(t, anon, "untaggedBuilds", nil, nil).([]any); len(all) != 3 {
			t.Errorf("untaggedBuilds() = %v, want hello-1.1, goodbye, notinlist", all)
		}
		if n := callKw(t, anon, "untaggedBuilds", nil, map[string]any{"queryOpts": map[string]any{"countOnly": true}}); n != int64(3) {
			t.Errorf("untaggedBuilds countOnly = %v", n)
		}
	})
}
