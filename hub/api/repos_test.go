package api_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/repos"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// repoManager runs a repo manager on the test hub's database and topdir.
func repoManager(t *testing.T, h *hubtest.Hub) *api.RepoManager {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	cfg := h.Config
	d := api.NewDispatcher(h.DB, cfg, log)
	rc := api.DefaultRepoConfig()
	rc.Debounce = 0
	rc.TopURL = h.Base + "/kojifiles"
	return api.NewRepoManager(d, rc)
}

// settle runs manager steps until there is no more work.
func settle(t *testing.T, m *api.RepoManager) {
	t.Helper()
	for i := 0; i < 50; i++ {
		busy, err := m.Step(context.Background())
		if err != nil {
			t.Fatalf("repo manager: %v", err)
		}
		if !busy {
			return
		}
	}
	t.Fatal("the repo manager never settled")
}

// TestRepoFollowsTagChanges: a change to a build tag makes a READY repo with
// no call to newRepo; the repo has Koji's layout, latest and a .repo file.
func TestRepoFollowsTagChanges(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		m := repoManager(t, h)
		admin := h.Admin(t)
		callKw(t, admin, "createTag", []any{"f40"}, map[string]any{"arches": "x86_64"})
		callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"parent": "f40", "arches": "x86_64 noarch"})
		call(t, admin, "createBuildTarget", "f40-candidate", "f40-build", "f40")
		settle(t, m)
		repo := call(t, admin, "getRepo", "f40-build").(map[string]any)
		if repo["state"] != int64(store.RepoReady) || repo["tag_name"] != "f40-build" {
			t.Fatalf("getRepo = %v", repo)
		}
		id := repo["id"].(int64)
		dir := filepath.Join(h.TopDir, "repos", "f40-build")
		for _, f := range []string{"latest/x86_64/repodata/repomd.xml", "latest/repo.json", "f40-build.repo"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
		if call(t, admin, "getRepo", "f40") != nil {
			t.Error("f40 is no build tag, yet it got a repo")
		}
		// The task that made it is a closed newRepo task answering [repo, event].
		task := call(t, admin, "getTaskInfo", repo["task_id"]).(map[string]any)
		if task["method"] != "newRepo" || task["state"] != int64(hub.TaskClosed) {
			t.Errorf("repo task = %v", task)
		}
		res := call(t, admin, "getTaskResult", repo["task_id"]).([]any)
		if res[0] != id || res[1] != repo["create_event"] {
			t.Errorf("newRepo result = %v", res)
		}
		// A change in the parent reaches the child's repo; the old one expires.
		call(t, admin, "packageListAdd", "f40", "hello", "kojiadmin")
		settle(t, m)
		newer := call(t, admin, "getRepo", "f40-build").(map[string]any)
		if newer["id"] == id || newer["create_event"].(int64) <= repo["create_event"].(int64) {
			t.Fatalf("no new repo after the parent changed: %v", newer)
		}
		old := call(t, admin, "repoInfo", id).(map[string]any)
		if old["state"] != int64(store.RepoExpired) {
			t.Errorf("old repo state %v, want EXPIRED", old["state"])
		}
		blocklist := filepath.Join(dir, "latest", "x86_64", "blocklist")
		call(t, admin, "packageListBlock", "f40-build", "hello")
		settle(t, m)
		if data, _ := os.ReadFile(blocklist); string(data) != "hello\n" {
			t.Errorf("blocklist = %q", data)
		}
	})
}

// TestRepoRequests follows koji regen-repo and wait-repo: repo.request,
// repo.checkRequest, duplicates, and the legacy newRepo.
func TestRepoRequests(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		m := repoManager(t, h)
		admin := h.Admin(t)
		callKw(t, admin, "createTag", []any{"side"}, map[string]any{"arches": "x86_64"})
		settle(t, m) // not a build tag: no repo
		if call(t, admin, "getRepo", "side") != nil {
			t.Fatal("unrequested repo")
		}
		first := callKw(t, admin, "repo.request", []any{"side"}, map[string]any{"opts": nil}).(map[string]any)
		if first["repo"] != nil || first["duplicate"] != false {
			t.Fatalf("first request = %v", first)
		}
		req := first["request"].(map[string]any)
		second := callKw(t, admin, "repo.request", []any{"side"}, nil).(map[string]any)
		if second["duplicate"] != true || second["request"].(map[string]any)["id"] != req["id"] {
			t.Errorf("second request = %v", second)
		}
		settle(t, m)
		status := call(t, admin, "repo.checkRequest", req["id"]).(map[string]any)
		if status["repo"] == nil || status["request"].(map[string]any)["active"] != false {
			t.Fatalf("checkRequest after the manager ran = %v", status)
		}
		// koji wait-repo-request sends the id as a string.
		if again := call(t, admin, "repo.checkRequest", fmt.Sprint(req["id"])).(map[string]any); !reflect.DeepEqual(again, status) {
			t.Errorf("checkRequest(%q) = %v, want %v", fmt.Sprint(req["id"]), again, status)
		}
		// Now a request is answered by the repo at once.
		third := callKw(t, admin, "repo.request", []any{"side"}, nil).(map[string]any)
		if third["repo"] == nil {
			t.Errorf("request with a current repo = %v", third)
		}
		queue := call(t, admin, "repo.queryQueue").([]any)
		if len(queue) != 1 {
			t.Errorf("queryQueue = %v", queue)
		}
		// The legacy call makes a task; its repo has the asked option.
		taskID := callKw(t, admin, "newRepo", []any{"side"}, map[string]any{"debuginfo": true}).(int64)
		task := call(t, admin, "getTaskInfo", taskID).(map[string]any)
		if task["method"] != "newRepo" || task["priority"] != int64(15) {
			t.Errorf("newRepo task = %v", task)
		}
		settle(t, m)
		if st := call(t, admin, "getTaskInfo", taskID).(map[string]any)["state"]; st != int64(hub.TaskClosed) {
			t.Fatalf("newRepo task state %v", st)
		}
		withDebug := callKw(t, admin, "repo.get", []any{"side"}, map[string]any{"opts": map[string]any{"debuginfo": true}}).(map[string]any)
		if withDebug["custom_opts"].(map[string]any)["debuginfo"] != true {
			t.Errorf("repo.get(debuginfo) = %v", withDebug)
		}
		// Bad input.
		_, err := admin.CallKw(ctx, "repo.request", []any{"side"}, map[string]any{"opts": map[string]any{"bogus": true}})
		fault(t, err, hub.CodeParameter, "Invalid repo option: bogus")
		_, err = admin.CallKw(ctx, "repo.request", []any{"side"}, map[string]any{"min_event": int64(999999)})
		fault(t, err, hub.CodeParameter, "Invalid event")
		_, err = admin.Call(ctx, "repo.request", "nosuchtag")
		fault(t, err, hub.CodeGeneric, "No such tagInfo")
		_, err = admin.Call(ctx, "repoExpire", int64(4242))
		fault(t, err, hub.CodeGeneric, "No such repo")
		_, err = h.Client().Call(ctx, "newRepo", "side")
		fault(t, err, hub.CodeActionNotAllowed, "regen-repo permission required")
		id := withDebug["id"].(int64)
		call(t, admin, "repoExpire", id)
		_, err = admin.Call(ctx, "repo.setState", id, int64(store.RepoReady))
		fault(t, err, hub.CodeGeneric, "Invalid repo state transition")
		// A buildroot using a repo keeps it from deletion.
		host, _ := startHost(t, h, admin, "b1.example.com", []any{"x86_64"})
		jobID := call(t, admin, "makeTask", "job", []any{}).(int64)
		call(t, host, "host.getTask")
		call(t, host, "host.openTask", jobID)
		br := call(t, host, "host.newBuildRoot", id, "x86_64", jobID).(int64)
		if n := call(t, admin, "repoDelete", id); n != int64(1) {
			t.Errorf("repoDelete of a used repo = %v, want 1 reference", n)
		}
		refs := call(t, admin, "repo.references", id).([]any)
		if len(refs) != 1 || refs[0].(map[string]any)["id"] != br {
			t.Errorf("repo.references = %v", refs)
		}
		call(t, host, "host.setBuildRootState", br, "EXPIRED", jobID)
		if n := call(t, admin, "repoDelete", id); n != int64(0) {
			t.Errorf("repoDelete of an unused repo = %v", n)
		}
	})
}

// TestRepoProblem: a repo that cannot be written ends as PROBLEM with a
// failed task, and the request retries.
func TestRepoProblem(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		log := logrus.New()
		log.SetOutput(io.Discard)
		rc := api.DefaultRepoConfig()
		rc.Debounce = 0
		rc.CreateRepo = "/nonexistent/createrepo_c"
		m := api.NewRepoManager(api.NewDispatcher(h.DB, h.Config, log), rc)
		admin := h.Admin(t)
		callKw(t, admin, "createTag", []any{"t"}, map[string]any{"arches": "x86_64"})
		newRepoFails(t, admin, m, "t", "createrepo_c is not installed")
		repos := call(t, admin, "repo.query", []any{[]any{"tag_id", "=", call(t, admin, "getTagID", "t")}}).([]any)
		if len(repos) != 1 || repos[0].(map[string]any)["state"] != int64(store.RepoProblem) {
			t.Errorf("repos = %v", repos)
		}
	})
}

// TestRepoContentWithDNF: tagging builds into a build tag gives a READY repo
// with no manual call, and Debian's dnf reading it lists exactly the latest
// NVRs; an untagged build leaves, a blocked package is absent, an inherited
// build is present, and the tag's .repo file works over HTTP.
func TestRepoContentWithDNF(t *testing.T) {
	rpms := hubtest.BuildRPMs(t, [][3]string{{"hello", "1.0", "1"}, {"hello", "1.1", "1"}, {"bye", "2.0", "1"}})
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		m := repoManager(t, h)
		admin := h.Admin(t)
		callKw(t, admin, "createTag", []any{"base"}, map[string]any{"arches": "x86_64"})
		callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"parent": "base"})
		call(t, admin, "createBuildTarget", "f40-candidate", "f40-build", "base")
		for _, p := range []string{"hello", "bye"} {
			call(t, admin, "packageListAdd", "base", p, "kojiadmin")
		}
		for i, f := range []string{"hello-1.0-1.src.rpm", "hello-1.0-1.noarch.rpm", "hello-1.1-1.src.rpm", "hello-1.1-1.noarch.rpm",
			"bye-2.0-1.src.rpm", "bye-2.0-1.noarch.rpm"} {
			importRPM(t, admin, fmt.Sprintf("repo-test/%d", i), f, rpms[f])
		}
		call(t, admin, "tagBuildBypass", "base", "hello-1.1-1") // tagged first, so not the latest
		call(t, admin, "tagBuildBypass", "base", "bye-2.0-1")
		call(t, admin, "tagBuildBypass", "f40-build", "hello-1.0-1")
		settle(t, m)
		arch := filepath.Join(h.TopDir, "repos", "f40-build", "latest", "x86_64")
		list := func() []string {
			return hubtest.DNFList(t, "--repofrompath=r,file://"+arch, "--repo=r")
		}
		want := []string{"bye-2.0-1.noarch", "hello-1.0-1.noarch"} // bye inherited; hello latest in the tag itself
		if got := list(); !reflect.DeepEqual(got, want) {
			t.Fatalf("dnf lists %v, want %v", got, want)
		}
		// Through the .repo file, over HTTP, as a user would add it.
		reposd := t.TempDir()
		data, err := os.ReadFile(filepath.Join(h.TopDir, "repos", "f40-build", "f40-build.repo"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(reposd, "f40-build.repo"), data, 0o644)
		if got := hubtest.DNFList(t, "--setopt=reposdir="+reposd); !reflect.DeepEqual(got, want) {
			t.Errorf("dnf through the .repo file lists %v, want %v", got, want)
		}
		call(t, admin, "untagBuildBypass", "f40-build", "hello-1.0-1")
		settle(t, m)
		if got := list(); !reflect.DeepEqual(got, []string{"bye-2.0-1.noarch", "hello-1.1-1.noarch"}) {
			t.Errorf("after untag dnf lists %v", got)
		}
		call(t, admin, "packageListBlock", "f40-build", "bye")
		settle(t, m)
		if got := list(); !reflect.DeepEqual(got, []string{"hello-1.1-1.noarch"}) {
			t.Errorf("after block dnf lists %v", got)
		}
	})
}

// BenchmarkTagToRepoReady measures a tag change to READY repo of a
// 100-package build tag, the manager doing the rest (debounce included).
func BenchmarkTagToRepoReady(b *testing.B) {
	h := hubtest.Start(b, hubtest.OpenDB(b, hubtest.SQLite))
	log := logrus.New()
	log.SetOutput(io.Discard)
	m := api.NewRepoManager(api.NewDispatcher(h.DB, h.Config, log), api.DefaultRepoConfig())
	rb := hubtest.NewRepoBench(b, h.Admin(b))
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(runCtx)
	rb.WaitFirst()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rb.Change(b)
	}
}

// TestRepoMergesExternalRepos: an external repo of a parent tag is merged
// into the build tag's repo (dnf offers the tag's package and the external
// one); a dead external repo makes the next repo PROBLEM with a reason.
func TestRepoMergesExternalRepos(t *testing.T) {
	hubtest.RequireCommand(t, "mergerepo_c", "createrepo-c")
	rpms := hubtest.BuildRPMs(t, [][3]string{{"hello", "1.0", "1"}, {"outer", "3.0", "1"}})
	ext := t.TempDir()
	rel := "packages/outer/3.0/1/noarch/outer-3.0-1.noarch.rpm"
	os.MkdirAll(filepath.Join(ext, filepath.Dir(rel)), 0o755)
	if err := os.WriteFile(filepath.Join(ext, rel), rpms["outer-3.0-1.noarch.rpm"], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := repos.Write(context.Background(), repos.Spec{TopDir: ext, Tag: "ext", RepoID: 1, Arches: []string{"x86_64"},
		RPMs: []repos.RPM{{Name: "outer", Version: "3.0", Release: "1", Arch: "noarch", Path: rel}}}); err != nil {
		t.Fatal(err)
	}
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		m := repoManager(t, h)
		admin := h.Admin(t)
		callKw(t, admin, "createTag", []any{"base"}, map[string]any{"arches": "x86_64"})
		callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"parent": "base"})
		call(t, admin, "createBuildTarget", "f40-candidate", "f40-build", "base")
		call(t, admin, "packageListAdd", "base", "hello", "kojiadmin")
		for i, f := range []string{"hello-1.0-1.src.rpm", "hello-1.0-1.noarch.rpm"} {
			importRPM(t, admin, fmt.Sprintf("ext-test/%d", i), f, rpms[f])
		}
		call(t, admin, "createExternalRepo", "ext", "file://"+repos.Dir(ext, "ext", 1)+"/$arch/")
		call(t, admin, "addExternalRepoToTag", "base", "ext", 5)
		call(t, admin, "tagBuildBypass", "base", "hello-1.0-1")
		settle(t, m)
		arch := filepath.Join(h.TopDir, "repos", "f40-build", "latest", "x86_64")
		got := hubtest.DNFList(t, "--repofrompath=r,file://"+arch, "--repo=r")
		if want := []string{"hello-1.0-1.noarch", "outer-3.0-1.noarch"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("dnf lists %v, want %v", got, want)
		}

		call(t, admin, "createExternalRepo", "dead", "file:///nonexistent/$arch/")
		call(t, admin, "addExternalRepoToTag", "f40-build", "dead", 1)
		taskID := newRepoFails(t, admin, m, "f40-build", "external repo dead (file:///nonexistent/x86_64/): no repodata")
		rs := call(t, admin, "repo.query", []any{[]any{"tag_id", "=", call(t, admin, "getTagID", "f40-build")},
			[]any{"state", "=", int64(store.RepoProblem)}}).([]any)
		found := false // the request retries, so there are several
		for _, r := range rs {
			found = found || r.(map[string]any)["task_id"] == taskID
		}
		if !found {
			t.Errorf("PROBLEM repos = %v", rs)
		}
		if got := hubtest.DNFList(t, "--repofrompath=r,file://"+arch, "--repo=r"); len(got) != 2 {
			t.Errorf("latest changed: %v", got)
		}
	})
}

// newRepoFails runs a newRepo task for tag that must fail with an internal
// fault holding msg; it returns the task's id.
func newRepoFails(t *testing.T, admin *xmlrpc.Client, m *api.RepoManager, tag, msg string) int64 {
	t.Helper()
	taskID := call(t, admin, "newRepo", tag).(int64)
	settle(t, m)
	task := call(t, admin, "getTaskInfo", taskID).(map[string]any)
	if task["state"] != int64(hub.TaskFailed) {
		t.Fatalf("task = %v", task)
	}
	_, err := admin.Call(ctx, "getTaskResult", taskID)
	fault(t, err, hub.CodeInternal, msg)
	return taskID
}

// TestNewRepoGoesToBuilders: while an enabled, ready host in the createrepo
// channel says it runs newRepo, the hub leaves newRepo tasks to the
// scheduler, which gives them to that host; a host in the channel that
// does not run newRepo, or one not ready, leaves the work to the hub.
func TestNewRepoGoesToBuilders(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		m := repoManager(t, h)
		admin := h.Admin(t)
		callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"arches": "x86_64"})
		report := func(c *xmlrpc.Client, ready bool, methods ...any) {
			callKw(t, c, "host.updateHost", []any{0.0, ready}, map[string]any{"data": map[string]any{"methods": methods, "maxjobs": int64(4)}})
		}
		// startHost reports methods without newRepo.
		other, _ := startHost(t, h, admin, "other", []any{"x86_64"}, "createrepo")
		task := call(t, admin, "newRepo", "f40-build")
		settle(t, m)
		if info := call(t, admin, "getTaskInfo", task).(map[string]any); info["state"] != int64(hub.TaskClosed) || info["host_id"] != nil {
			t.Fatalf("with no host running newRepo, the hub should have: %v", info)
		}

		repoHost, repoHostID := startHost(t, h, admin, "repohost", []any{"x86_64"}, "createrepo")
		report(repoHost, true, "newRepo", "createrepo")
		task = call(t, admin, "newRepo", "f40-build")
		settle(t, m)
		if info := call(t, admin, "getTaskInfo", task).(map[string]any); info["state"] != int64(hub.TaskFree) {
			t.Fatalf("a builder runs newRepo, yet the hub took the task: %v", info)
		}
		got := call(t, repoHost, "host.getTask")
		if info, _ := got.(map[string]any); info["id"] != task {
			t.Fatalf("host.getTask for the repo host = %v, want task %v", got, task)
		}
		if info := call(t, repoHost, "host.openTask", task); info == nil {
			t.Fatal("the repo host could not open the newRepo task")
		}
		if info := call(t, admin, "getTaskInfo", task).(map[string]any); info["host_id"] != repoHostID || info["state"] != int64(hub.TaskOpen) {
			t.Errorf("newRepo task %v, want OPEN on host %d", info, repoHostID)
		}
		// The builder begins the repo, then fails: the INIT repo becomes a
		// PROBLEM one rather than staying INIT for ever.
		res := callKw(t, repoHost, "host.repoInit", []any{"f40-build"}, map[string]any{"task_id": task}).([]any)
		call(t, repoHost, "host.failTask", task, faultDoc(t, 1000, "createrepo_c failed"))
		settle(t, m)
		if repo := call(t, admin, "repoInfo", res[0]).(map[string]any); repo["state"] != int64(store.RepoProblem) {
			t.Errorf("the repo of a failed newRepo is %v, want PROBLEM", repo["state"])
		}

		// Not ready: the hub works again.
		report(repoHost, false, "newRepo", "createrepo")
		report(other, true, "foo")
		task = call(t, admin, "newRepo", "f40-build")
		settle(t, m)
		if info := call(t, admin, "getTaskInfo", task).(map[string]any); info["state"] != int64(hub.TaskClosed) || info["host_id"] != nil {
			t.Errorf("with the repo host not ready, the hub should run newRepo: %v", info)
		}
	})
}
