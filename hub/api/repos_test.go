package api_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
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
	})
}

// TestRepoProblem: a repo that cannot be written ends as PROBLEM with a
// failed task, and the request retries.
func TestRepoProblem(t *testing.T) {
	db := hubtest.OpenDB(t, hubtest.SQLite)
	h := hubtest.Start(t, db)
	log := logrus.New()
	log.SetOutput(io.Discard)
	rc := api.DefaultRepoConfig()
	rc.Debounce = 0
	rc.CreateRepo = "/nonexistent/createrepo_c"
	m := api.NewRepoManager(api.NewDispatcher(h.DB, h.Config, log), rc)
	admin := h.Admin(t)
	callKw(t, admin, "createTag", []any{"t"}, map[string]any{"arches": "x86_64"})
	taskID := call(t, admin, "newRepo", "t").(int64)
	settle(t, m)
	task := call(t, admin, "getTaskInfo", taskID).(map[string]any)
	if task["state"] != int64(hub.TaskFailed) {
		t.Fatalf("task = %v", task)
	}
	_, err := admin.Call(ctx, "getTaskResult", taskID)
	fault(t, err, hub.CodeInternal, "createrepo_c is not installed")
	repos := call(t, admin, "repo.query", []any{[]any{"tag_id", "=", call(t, admin, "getTagID", "t")}}).([]any)
	if len(repos) != 1 || repos[0].(map[string]any)["state"] != int64(store.RepoProblem) {
		t.Errorf("repos = %v", repos)
	}
	_ = time.Second
}
