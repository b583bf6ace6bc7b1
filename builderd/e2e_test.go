package builderd_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/builderd"
	"github.com/gokoji/gokoji/builderd/buildroot"
	"github.com/gokoji/gokoji/builderd/taskdir"
	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/kojiclient"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

var ctx = context.Background()

func call(t *testing.T, c *xmlrpc.Client, method string, args ...any) any {
	t.Helper()
	v, err := c.Call(ctx, method, args...)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return v
}

func callKw(t *testing.T, c *xmlrpc.Client, method string, args []any, kw map[string]any) any {
	t.Helper()
	v, err := c.CallKw(ctx, method, args, kw)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return v
}

// world is a hub with its workers, the tags and target of a Koji install,
// and one build host.
type world struct {
	h     *hubtest.Hub
	admin *xmlrpc.Client
}

func newWorld(t *testing.T, db *store.DB) *world {
	h := hubtest.Start(t, db)
	h.RunWorkers(t)
	admin := h.Admin(t)
	callKw(t, admin, "createTag", []any{"dist"}, map[string]any{"arches": "x86_64"})
	callKw(t, admin, "createTag", []any{"dist-build"}, map[string]any{"parent": "dist", "arches": "x86_64"})
	call(t, admin, "createBuildTarget", "dist-candidate", "dist-build", "dist")
	for _, p := range []string{"gk-noarch", "gk-arch", "gk-fail", "gk-slow", "gk-git"} {
		call(t, admin, "packageListAdd", "dist", p, "kojiadmin")
	}
	callKw(t, admin, "addHost", []any{"builder1", []any{"x86_64"}}, map[string]any{"password": "bpw"})
	call(t, admin, "addHostToChannel", "builder1", "createrepo")
	return &world{h: h, admin: admin}
}

// startBuilder runs a builderd daemon in this process as builder1 until the
// returned stop is called (or the test ends).
func (w *world) startBuilder(t *testing.T) (stop func()) {
	t.Helper()
	return w.startBuilderWith(t, &buildroot.RPMBuild{})
}

// startBuilderWith is startBuilder with another backend.
func (w *world) startBuilderWith(t *testing.T, backend buildroot.Backend) (stop func()) {
	t.Helper()
	d, _ := w.newDaemon(t, backend, true)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(rctx, 0); close(done) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

// newDaemon logs in as builder1, takes the exclusive session (force: from
// whichever session holds it) and returns a daemon not yet running, with
// its session.
func (w *world) newDaemon(t *testing.T, backend buildroot.Backend, force bool) (*builderd.Daemon, *kojiclient.Session) {
	t.Helper()
	s := &kojiclient.Session{URL: w.h.URL}
	if err := s.Login(ctx, "builder1", "bpw"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CallKw(ctx, "exclusiveSession", nil, map[string]any{"force": force}); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	// builder1 sees the hub's file tree and is in the createrepo channel:
	// it writes the repos, as Koji's builders do.
	d := &builderd.Daemon{
		Hub: builderd.NewSessionHub(s),
		Config: builderd.Config{WorkDir: t.TempDir(), TopURL: w.h.Base + "/kojifiles", TopDir: w.h.TopDir,
			SleepTime: 200 * time.Millisecond, MaxJobs: 4, TaskTimeout: 10 * time.Minute, LogInterval: 300 * time.Millisecond},
		Log:      log,
		Handlers: builderd.Handlers(backend),
	}
	for m, h := range builderd.RepoHandlers() {
		d.Handlers[m] = h
	}
	return d, s
}

// uploadSRPM builds a test spec's SRPM and uploads it as koji build does.
func (w *world) uploadSRPM(t *testing.T, spec string) string {
	t.Helper()
	rpms := hubtest.BuildSRPM(t, spec+".spec")
	for name, data := range rpms {
		if strings.HasSuffix(name, ".src.rpm") {
			dir := fmt.Sprintf("cli-build/%d.test", time.Now().UnixNano())
			if _, err := w.admin.Upload(ctx, xmlrpc.UploadChunk{Dir: dir, Name: name, Overwrite: true, Data: data}); err != nil {
				t.Fatal(err)
			}
			return dir + "/" + name
		}
	}
	t.Fatalf("no SRPM from %s", spec)
	return ""
}

// waitTask polls until the task ends. The deadline only guards against a
// hang; speed is measured by benchmarks.
func (w *world) waitTask(t *testing.T, id any) map[string]any {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		info := call(t, w.admin, "getTaskInfo", id).(map[string]any)
		if hub.TaskDone(int(info["state"].(int64))) {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %v did not finish: %v", id, info)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestBuildFromSRPM: an uploaded SRPM built against a target ends with the
// task CLOSED, the build COMPLETE, the RPMs under packages/, and the build
// tagged in the destination tag.
func TestBuildFromSRPM(t *testing.T) {
	hubtest.RequireCommand(t, "rpmbuild", "rpm")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.startBuilder(t)
		src := w.uploadSRPM(t, "gk-arch")
		task := call(t, w.admin, "build", src, "dist-candidate", map[string]any{})
		info := w.waitTask(t, task)
		if info["state"] != int64(hub.TaskClosed) {
			res, err := w.admin.Call(ctx, "getTaskResult", task)
			t.Fatalf("build task %v: %v %v", info["state"], res, err)
		}
		b := call(t, w.admin, "getBuild", "gk-arch-1.0-1").(map[string]any)
		if b["state"] != int64(hub.BuildComplete) || b["task_id"] != task {
			t.Errorf("build = %v", b)
		}
		for _, f := range []string{"x86_64/gk-arch-1.0-1.x86_64.rpm", "src/gk-arch-1.0-1.src.rpm"} {
			if _, err := os.Stat(filepath.Join(w.h.TopDir, "packages", "gk-arch", "1.0", "1", f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
		tagged := call(t, w.admin, "listTagged", "dist").([]any)
		if len(tagged) != 1 || tagged[0].(map[string]any)["nvr"] != "gk-arch-1.0-1" {
			t.Errorf("listTagged(dist) = %v", tagged)
		}
		kids := call(t, w.admin, "getTaskChildren", task).([]any)
		methods := map[string]bool{}
		for _, k := range kids {
			methods[k.(map[string]any)["method"].(string)] = true
		}
		for _, m := range []string{"rebuildSRPM", "buildArch", "tagBuild"} {
			if !methods[m] {
				t.Errorf("no %s subtask among %v", m, methods)
			}
		}
	})
}

// TestBuildFailure: a failing spec ends with the task FAILED, build.log
// holding rpmbuild's error, and the build FAILED.
func TestBuildFailure(t *testing.T) {
	hubtest.RequireCommand(t, "rpmbuild", "rpm")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.startBuilder(t)
		src := w.uploadSRPM(t, "gk-fail")
		task := call(t, w.admin, "build", src, "dist-candidate", map[string]any{})
		if info := w.waitTask(t, task); info["state"] != int64(hub.TaskFailed) {
			t.Fatalf("build task ended %v", info)
		}
		_, err := w.admin.Call(ctx, "getTaskResult", task)
		if f, ok := err.(*xmlrpc.Fault); !ok || f.Code != hub.CodeBuild {
			t.Errorf("getTaskResult = %v, want a BuildError", err)
		}
		b := call(t, w.admin, "getBuild", "gk-fail-1.0-1").(map[string]any)
		if b["state"] != int64(hub.BuildFailed) {
			t.Errorf("build state %v, want FAILED", b["state"])
		}
		// The buildArch child's build.log holds the spec's own output.
		var arch any
		for _, k := range call(t, w.admin, "getTaskChildren", task).([]any) {
			if k.(map[string]any)["method"] == "buildArch" {
				arch = k.(map[string]any)["id"]
			}
		}
		log := call(t, w.admin, "downloadTaskOutput", arch, "build.log")
		data, _ := log.(string)
		if b, ok := log.([]byte); ok {
			data = string(b)
		}
		if !strings.Contains(decodeB64(data), "gk-fail: about to fail on purpose") {
			t.Errorf("build.log does not hold rpmbuild's output: %q", data)
		}
	})
}

// TestBuildUnlistedPackage: as with kojid, a build of a package that is not
// on the destination tag's list, or blocked there, fails before any build
// record is made; a scratch build of it goes ahead.
func TestBuildUnlistedPackage(t *testing.T) {
	hubtest.RequireCommand(t, "rpmbuild", "rpm")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.startBuilder(t)
		call(t, w.admin, "packageListRemove", "dist", "gk-arch")
		call(t, w.admin, "packageListBlock", "dist", "gk-noarch")
		for _, c := range []struct{ spec, nvr, msg string }{
			{"gk-arch", "gk-arch-1.0-1", "package gk-arch not in list for tag dist"},
			{"gk-noarch", "gk-noarch-1.0-1", "package gk-noarch is blocked for tag dist"},
		} {
			task := call(t, w.admin, "build", w.uploadSRPM(t, c.spec), "dist-candidate", map[string]any{})
			if info := w.waitTask(t, task); info["state"] != int64(hub.TaskFailed) {
				t.Fatalf("build of %s ended %v", c.spec, info)
			}
			_, err := w.admin.Call(ctx, "getTaskResult", task)
			if f, ok := err.(*xmlrpc.Fault); !ok || f.Code != hub.CodeBuild || !strings.Contains(f.String, c.msg) {
				t.Errorf("getTaskResult = %v, want BuildError: %s", err, c.msg)
			}
			if b := call(t, w.admin, "getBuild", c.nvr); b != nil {
				t.Errorf("a build record was made: %v", b)
			}
		}
		scratch := call(t, w.admin, "build", w.uploadSRPM(t, "gk-noarch"), "dist-candidate", map[string]any{"scratch": true})
		if info := w.waitTask(t, scratch); info["state"] != int64(hub.TaskClosed) {
			res, err := w.admin.Call(ctx, "getTaskResult", scratch)
			t.Errorf("scratch build of a blocked package ended %v: %v %v", info["state"], res, err)
		}
	})
}

// TestBuildWithMock: a build through the mock backend, run against a
// stand-in for mock (testdata/mock-stand-in.sh: Debian has no mock, see
// buildroot's tests). Both subtasks point mock at the build tag's repo,
// and mock's logs come back as the tasks' logs.
func TestBuildWithMock(t *testing.T) {
	hubtest.RequireCommand(t, "rpmbuild", "rpm")
	script, err := os.ReadFile(filepath.Join("..", "testdata", "mock-stand-in.sh"))
	if err != nil {
		t.Fatal(err)
	}
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		// A stand-in per store: it logs its calls beside itself.
		bin := t.TempDir()
		if err := os.WriteFile(filepath.Join(bin, "mock"), script, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		w := newWorld(t, db)
		w.startBuilderWith(t, &buildroot.Mock{})
		src := w.uploadSRPM(t, "gk-arch")
		task := call(t, w.admin, "build", src, "dist-candidate", map[string]any{})
		if info := w.waitTask(t, task); info["state"] != int64(hub.TaskClosed) {
			res, err := w.admin.Call(ctx, "getTaskResult", task)
			t.Fatalf("build task %v: %v %v", info["state"], res, err)
		}
		if b := call(t, w.admin, "getBuild", "gk-arch-1.0-1").(map[string]any); b["state"] != int64(hub.BuildComplete) {
			t.Errorf("build = %v", b)
		}
		if _, err := os.Stat(filepath.Join(w.h.TopDir, "packages", "gk-arch", "1.0", "1", "x86_64", "gk-arch-1.0-1.x86_64.rpm")); err != nil {
			t.Error(err)
		}

		var archTask any
		for _, k := range call(t, w.admin, "getTaskChildren", task).([]any) {
			if k.(map[string]any)["method"] == "buildArch" {
				archTask = k.(map[string]any)["id"]
			}
		}

		// Each mock call's config (-r) is made from the repo the build used.
		req := call(t, w.admin, "getTaskRequest", archTask).([]any)
		repoID := req[4].(map[string]any)["repo_id"]
		root := fmt.Sprintf("dist-build-%v-x86_64", repoID)
		url := fmt.Sprintf("%s/kojifiles/repos/dist-build/%v/x86_64", w.h.Base, repoID)
		argv, err := os.ReadFile(filepath.Join(bin, "argv.log"))
		if err != nil {
			t.Fatal(err)
		}
		modes := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(argv)), "\n") {
			args := strings.Split(line, "\x1f")
			for _, a := range args {
				if strings.HasPrefix(a, "--") && !strings.Contains(a, " ") {
					modes[a] = true
				}
			}
			if len(args) < 2 || args[0] != "-r" {
				t.Fatalf("mock called without -r first: %q", args)
			}
			cfg, err := os.ReadFile(args[1])
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"config_opts['root'] = '" + root + "'\n", `\nbaseurl=` + url + `\n`} {
				if !strings.Contains(string(cfg), want) {
					t.Errorf("%s lacks %s:\n%s", args[1], want, cfg)
				}
			}
		}
		for _, m := range []string{"--buildsrpm", "--init", "--installdeps", "--shell", "--rebuild"} {
			if !modes[m] {
				t.Errorf("mock was never called with %s: %s", m, argv)
			}
		}

		// The buildArch task's root.log is mock's.
		log := call(t, w.admin, "downloadTaskOutput", archTask, "root.log")
		data, _ := log.(string)
		if b, ok := log.([]byte); ok {
			data = string(b)
		}
		if !strings.Contains(decodeB64(data), "stand-in mock: installing @build") {
			t.Errorf("root.log does not hold mock's: %q", decodeB64(data))
		}
	})
}

// TestCancelBuild: cancelling mid-build stops the build and leaves no
// process behind, nor a mount in the task's directory.
func TestCancelBuild(t *testing.T) {
	hubtest.RequireCommand(t, "rpmbuild", "rpm")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		backend := &mountingRPMBuild{t: t}
		w.startBuilderWith(t, backend)
		src := w.uploadSRPM(t, "gk-slow")
		task := call(t, w.admin, "build", src, "dist-candidate", map[string]any{})
		deadline := time.Now().Add(2 * time.Minute)
		for !sleeping() {
			if time.Now().After(deadline) {
				t.Fatal("the slow build never started")
			}
			time.Sleep(200 * time.Millisecond)
		}
		call(t, w.admin, "cancelTask", task)
		// kill happens on the builder's next poll; give it a few of them
		for i := 0; i < 50 && sleeping(); i++ {
			time.Sleep(200 * time.Millisecond)
		}
		if sleeping() {
			t.Fatal("build processes survived the cancel")
		}
		if st := call(t, w.admin, "getTaskInfo", task).(map[string]any)["state"]; st != int64(hub.TaskCanceled) {
			t.Errorf("task state %v", st)
		}
		dir := backend.dir(t)
		for i := 0; i < 50 && len(mountsUnder(t, dir)) > 0; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if left := mountsUnder(t, dir); len(left) > 0 {
			t.Errorf("the cancelled build's mounts are left: %q", left)
		}
		if b := call(t, w.admin, "getBuild", "gk-slow-1.0-1"); b != nil && b.(map[string]any)["state"] != int64(hub.BuildCanceled) {
			t.Errorf("build = %v", b)
		}
		// The cancelled build's buildroot is expired, as kojid does.
		active := func() []any {
			return callKw(t, w.admin, "listBuildroots", nil, map[string]any{"state": []any{int64(0), int64(1), int64(2)}}).([]any)
		}
		for i := 0; i < 50 && len(active()) > 0; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if left := active(); len(left) > 0 {
			t.Errorf("buildroots left active after the cancel: %v", left)
		}
		if all := callKw(t, w.admin, "listBuildroots", nil, nil).([]any); len(all) == 0 {
			t.Error("the build made no buildroot: nothing was checked")
		}
	})
}

// mountingRPMBuild is the rpmbuild backend mounting into the task's
// directory first, as mock mounts /proc and the like into its root.
type mountingRPMBuild struct {
	buildroot.RPMBuild
	t        *testing.T
	mu       sync.Mutex
	jobDir   string
	mountErr error
}

func (b *mountingRPMBuild) Rebuild(ctx context.Context, job *buildroot.Job, srpm, arch string) (*buildroot.Result, error) {
	dst := filepath.Join(job.Dir, "mock", "root", "proc")
	err := os.MkdirAll(dst, 0o755)
	if err == nil {
		err = syscall.Mount("tmpfs", dst, "tmpfs", 0, "size=1m")
	}
	b.mu.Lock()
	b.jobDir, b.mountErr = job.Dir, err
	b.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// Should the daemon leave it, it goes when the test ends, before
	// t.TempDir's removal could walk into it.
	b.t.Cleanup(func() { syscall.Unmount(dst, syscall.MNT_DETACH) })
	return b.RPMBuild.Rebuild(ctx, job, srpm, arch)
}

// dir is the task directory the backend mounted into.
func (b *mountingRPMBuild) dir(t *testing.T) string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.jobDir == "" || b.mountErr != nil {
		t.Fatalf("the backend did not mount into the task directory (the test needs root; uid %d): %v", os.Getuid(), b.mountErr)
	}
	return b.jobDir
}

// sleeping tells whether gk-slow's build is running (its %build sleeps 300).
func sleeping() bool {
	out, _ := exec.Command("pgrep", "-f", "sleep 300").Output()
	return len(out) > 0
}

func decodeB64(s string) string {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return string(b)
	}
	return s
}

// TestBuildFromGit: a git source (a local file:// repository, pinned to a
// commit) builds the same way, and the build records the resolved commit.
func TestBuildFromGit(t *testing.T) {
	hubtest.RequireCommand(t, "git", "git")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.startBuilder(t)
		repo := t.TempDir()
		spec, err := os.ReadFile(filepath.Join(hubtest.SpecsDir(t), "gk-noarch.spec"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(repo, "gk-git.spec"), []byte(strings.ReplaceAll(string(spec), "gk-noarch", "gk-git")), 0o644)
		git := hubtest.Git(t, repo)
		git("init", "-q", "-b", "main")
		git("add", ".")
		git("commit", "-q", "-m", "spec")
		commit := git("rev-parse", "HEAD")
		src := "git+file://" + repo + "#main"
		task := call(t, w.admin, "build", src, "dist-candidate", map[string]any{})
		if info := w.waitTask(t, task); info["state"] != int64(hub.TaskClosed) {
			res, err := w.admin.Call(ctx, "getTaskResult", task)
			t.Fatalf("build task %v: %v %v", info["state"], res, err)
		}
		b := call(t, w.admin, "getBuild", "gk-git-1.0-1").(map[string]any)
		if b["state"] != int64(hub.BuildComplete) {
			t.Errorf("build = %v", b)
		}
		if src, _ := b["source"].(string); !strings.HasSuffix(src, "#"+commit) {
			t.Errorf("build source %q does not name commit %s", src, commit)
		}
	})
}

// TestBuilderKilledMidBuild: builderd killed with SIGKILL mid-build and
// started again finishes the build exactly once, reusing the finished
// subtasks, and leaves no task OPEN.
func TestBuilderKilledMidBuild(t *testing.T) {
	hubtest.RequireCommand(t, "rpmbuild", "rpm")
	bin := filepath.Join(t.TempDir(), "builderd")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/builderd").CombinedOutput(); err != nil {
		t.Fatalf("go build builderd: %v\n%s", err, out)
	}
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		call(t, w.admin, "packageListAdd", "dist", "gk-pause", "kojiadmin")
		work := t.TempDir()
		start := func() *exec.Cmd {
			cmd := exec.Command(bin, "--server", w.h.URL, "--topurl", w.h.Base+"/kojifiles", "--user", "builder1",
				"--password", "bpw", "--workdir", work, "--sleeptime", "200ms", "--log-interval", "300ms", "--force-lock")
			cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			return cmd
		}
		first := start()
		src := w.uploadSRPM(t, "gk-pause")
		task := call(t, w.admin, "build", src, "dist-candidate", map[string]any{})
		deadline := time.Now().Add(2 * time.Minute)
		for {
			if out, _ := exec.Command("pgrep", "-f", "sleep 4.321").Output(); len(out) > 0 {
				break
			}
			if time.Now().After(deadline) {
				first.Process.Kill()
				t.Fatal("the build never reached its build step")
			}
			time.Sleep(100 * time.Millisecond)
		}
		first.Process.Kill() // SIGKILL: no cleanup, no freeing
		first.Wait()
		cacheFile := leaveMounts(t, work)
		second := start()
		defer func() { second.Process.Kill(); second.Wait() }()
		info := w.waitTask(t, task)
		if info["state"] != int64(hub.TaskClosed) {
			res, err := w.admin.Call(ctx, "getTaskResult", task)
			t.Fatalf("build after the restart: %v %v %v", info["state"], res, err)
		}
		builds := callKw(t, w.admin, "listBuilds", nil, map[string]any{"prefix": "gk-pause"}).([]any)
		if len(builds) != 1 || builds[0].(map[string]any)["state"] != int64(hub.BuildComplete) {
			t.Fatalf("builds of gk-pause = %v, want exactly one COMPLETE", builds)
		}
		if data, err := os.ReadFile(cacheFile); err != nil || string(data) != "cached" {
			t.Errorf("the shared package cache's file after the restart: %q, %v", data, err)
		}
		if left := mountsUnder(t, work); len(left) > 0 {
			t.Errorf("still mounted in the workdir after the restart: %q", left)
		}
		kids := call(t, w.admin, "getTaskChildren", task).([]any)
		perLabel := map[string]int{}
		for _, k := range kids {
			m := k.(map[string]any)
			perLabel[fmt.Sprint(m["method"])]++
			if m["state"] == int64(hub.TaskOpen) {
				t.Errorf("task %v left OPEN", m["id"])
			}
		}
		for m, n := range perLabel {
			if n != 1 {
				t.Errorf("%d %s subtasks, want one (subtasks are found again by label)", n, m)
			}
		}
		// The killed run's buildroot was expired by the restarted one.
		active := callKw(t, w.admin, "listBuildroots", nil, map[string]any{"state": []any{int64(0), int64(1), int64(2)}}).([]any)
		all := callKw(t, w.admin, "listBuildroots", nil, nil).([]any)
		if len(active) > 0 || len(all) < 2 {
			t.Errorf("after the restart %d of %d buildroots are active, want none of at least 2: %v", len(active), len(all), active)
		}
	})
}

// leaveMounts does what a mock killed mid-build leaves in the task
// directories under workdir: a package cache that all tasks share,
// bind-mounted into their roots. It returns a file in that cache.
func leaveMounts(t *testing.T, workdir string) string {
	t.Helper()
	cache := t.TempDir()
	file := filepath.Join(cache, "pkg.rpm")
	if err := os.WriteFile(file, []byte("cached"), 0o644); err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(workdir, "task-*"))
	if len(dirs) == 0 {
		t.Fatalf("no task directories in %s", workdir)
	}
	for _, d := range dirs {
		dst := filepath.Join(d, "mock", "root", "var", "cache", "dnf")
		if err := os.MkdirAll(dst, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mount(cache, dst, "", syscall.MS_BIND, ""); err != nil {
			t.Fatalf("bind-mount into %s (the test needs root; uid %d): %v", d, os.Getuid(), err)
		}
	}
	// Should the daemon not detach them, they must not outlive the test,
	// nor t.TempDir's removal walk into them: this runs before it.
	t.Cleanup(func() {
		for _, p := range mountsUnder(t, workdir) {
			syscall.Unmount(p, syscall.MNT_DETACH)
		}
	})
	return file
}

// mountsUnder is what the kernel has mounted at or below dir.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	all, err := taskdir.ParseMountPoints(data)
	if err != nil {
		t.Fatal(err)
	}
	return taskdir.Under(all, dir)
}

// BenchmarkBuildOverhead: a scratch build of a trivial package from submit
// to CLOSED, with builderd polling every second, minus what rpmbuild itself
// takes for the same package here (measured in the same run): the hub's and
// builder's overhead, reported as overhead-ms.
func BenchmarkBuildOverhead(b *testing.B) {
	bw := newBenchWorld(b, 1, time.Second)
	admin, must, srpmName, srpm := bw.admin, bw.must, bw.srpmName, bw.srpm
	// rpmbuild alone: the SRPM rebuild and the binary build the tasks run.
	rb := &buildroot.RPMBuild{}
	var rpmbuildTime time.Duration
	for i := 0; i < 3; i++ {
		dir := b.TempDir()
		logs, _ := buildroot.OpenLogs(filepath.Join(dir, "logs"))
		job := &buildroot.Job{Dir: dir, Logs: logs}
		local := filepath.Join(dir, srpmName)
		os.WriteFile(local, srpm, 0o644)
		src := filepath.Join(dir, "src")
		os.MkdirAll(src, 0o755)
		start := time.Now()
		cmd := exec.Command("sh", "-c", "rpm2cpio \"$1\" | cpio -idm --quiet", "x", local)
		cmd.Dir = src
		cmd.Run()
		again, err := rb.BuildSRPM(ctx, job, src)
		if err == nil {
			_, err = rb.Rebuild(ctx, job, again, "noarch")
		}
		rpmbuildTime += time.Since(start)
		logs.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	rpmbuildTime /= 3
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := fmt.Sprintf("cli-build/bench.%d", i)
		if _, err := admin.Upload(ctx, xmlrpc.UploadChunk{Dir: dir, Name: srpmName, Overwrite: true, Data: srpm}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		task := must("build", []any{dir + "/" + srpmName, "dist-candidate", map[string]any{"scratch": true}}, nil)
		for {
			info := must("getTaskInfo", []any{task}, nil).(map[string]any)
			if st := int(info["state"].(int64)); hub.TaskDone(st) {
				if st != hub.TaskClosed {
					b.Fatalf("build %v ended %v", task, st)
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "submit-to-closed-ms")
	b.ReportMetric(float64(rpmbuildTime.Milliseconds()), "rpmbuild-ms")
	b.ReportMetric(float64((total/time.Duration(b.N) - rpmbuildTime).Milliseconds()), "overhead-ms")
}

// benchWorld is a hub with a target and n builders (builder1…builderN,
// each with maxjobs 4) polling every sleep, and gk-noarch's SRPM.
type benchWorld struct {
	admin    *xmlrpc.Client
	must     func(method string, args []any, kw map[string]any) any
	srpmName string
	srpm     []byte
}

func newBenchWorld(b *testing.B, n int, sleep time.Duration) *benchWorld {
	db := hubtest.OpenDB(b, hubtest.SQLite)
	h := hubtest.Start(b, db)
	h.RunWorkers(b)
	admin := h.Admin(b)
	must := func(method string, args []any, kw map[string]any) any {
		v, err := admin.CallKw(ctx, method, args, kw)
		if err != nil {
			b.Fatalf("%s: %v", method, err)
		}
		return v
	}
	must("createTag", []any{"dist"}, map[string]any{"arches": "x86_64"})
	must("createTag", []any{"dist-build"}, map[string]any{"parent": "dist", "arches": "x86_64"})
	must("createBuildTarget", []any{"dist-candidate", "dist-build", "dist"}, nil)
	must("packageListAdd", []any{"dist", "gk-noarch", "kojiadmin"}, nil)
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("builder%d", i)
		must("addHost", []any{name, []any{"x86_64"}}, map[string]any{"password": "bpw"})
		s := &kojiclient.Session{URL: h.URL}
		if err := s.Login(ctx, name, "bpw"); err != nil {
			b.Fatal(err)
		}
		s.CallKw(ctx, "exclusiveSession", nil, map[string]any{"force": true})
		log := logrus.New()
		log.SetOutput(io.Discard)
		d := &builderd.Daemon{Hub: builderd.NewSessionHub(s), Log: log, Handlers: builderd.Handlers(&buildroot.RPMBuild{}),
			Config: builderd.Config{WorkDir: b.TempDir(), TopURL: h.Base + "/kojifiles", SleepTime: sleep,
				MaxJobs: 4, TaskTimeout: 10 * time.Minute, LogInterval: time.Second}}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { d.Run(rctx, 0); close(done) }()
		b.Cleanup(func() { cancel(); <-done })
	}
	bw := &benchWorld{admin: admin, must: must}
	for name, data := range hubtest.BuildSRPM(b, "gk-noarch.spec") {
		bw.srpmName, bw.srpm = name, data
	}
	return bw
}

// BenchmarkBurst50 submits 50 scratch builds at once to 2 builders polling
// every second and samples the task table every 100 ms. idle-samples counts
// samples where a builder ran nothing but its waiting parents while a task
// had been FREE for longer than a poll interval (plus slack): the issue
// wants none. It also reports the whole burst's time and the longest any
// task stayed FREE.
func BenchmarkBurst50(b *testing.B) {
	const builds, sleep = 50, time.Second
	bw := newBenchWorld(b, 2, sleep)
	hosts := map[int64]bool{}
	for _, h := range bw.must("listHosts", nil, nil).([]any) {
		hosts[h.(map[string]any)["id"].(int64)] = true
	}
	var idle, samples int
	var burst, maxFree time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var parents []any
		for j := 0; j < builds; j++ {
			dir := fmt.Sprintf("cli-build/burst.%d.%d", i, j)
			if _, err := bw.admin.Upload(ctx, xmlrpc.UploadChunk{Dir: dir, Name: bw.srpmName, Overwrite: true, Data: bw.srpm}); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		for j := 0; j < builds; j++ {
			dir := fmt.Sprintf("cli-build/burst.%d.%d", i, j)
			parents = append(parents, bw.must("build", []any{dir + "/" + bw.srpmName, "dist-candidate", map[string]any{"scratch": true}}, nil))
		}
		for {
			now := time.Now()
			free := bw.must("listTasks", []any{map[string]any{"state": []any{int64(hub.TaskFree)}}}, nil).([]any)
			stale := false
			for _, f := range free {
				created := time.Unix(0, int64(f.(map[string]any)["create_ts"].(float64)*1e9))
				if now.Sub(created) > sleep+500*time.Millisecond {
					stale = true
				}
			}
			busy := map[int64]bool{}
			for _, o := range bw.must("listTasks", []any{map[string]any{"state": []any{int64(hub.TaskOpen)}}}, nil).([]any) {
				m := o.(map[string]any)
				if hid, ok := m["host_id"].(int64); ok && m["waiting"] != true {
					busy[hid] = true
				}
			}
			samples++
			if stale && len(busy) < len(hosts) {
				idle++
			}
			done := bw.must("listTasks", []any{map[string]any{"parent": nil, "state": []any{int64(hub.TaskClosed), int64(hub.TaskFailed), int64(hub.TaskCanceled)},
				"method": "build"}}, nil).([]any)
			if len(done) >= (i+1)*builds {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		burst += time.Since(start)
		for _, p := range parents {
			info := bw.must("getTaskInfo", []any{p}, nil).(map[string]any)
			if info["state"] != int64(hub.TaskClosed) {
				b.Fatalf("build task %v ended %v", p, info["state"])
			}
		}
	}
	b.StopTimer()
	for _, t := range bw.must("listTasks", nil, nil).([]any) {
		m := t.(map[string]any)
		if st, ok := m["start_ts"].(float64); ok {
			maxFree = max(maxFree, time.Duration((st-m["create_ts"].(float64))*float64(time.Second)))
		}
	}
	b.ReportMetric(burst.Seconds()/float64(b.N), "burst-s")
	b.ReportMetric(maxFree.Seconds(), "max-free-s")
	b.ReportMetric(float64(idle), "idle-samples")
	b.ReportMetric(float64(samples), "samples")
}

// TestTaskTimeoutAndDrain: a task past the wall-clock limit is killed and
// failed with a clear result; a daemon stopped with no drain time frees the
// task it was running so another run takes it again.
func TestTaskTimeoutAndDrain(t *testing.T) {
	hubtest.RequireCommand(t, "rpmbuild", "rpm")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		start := func(timeout time.Duration) (stop func()) {
			s := &kojiclient.Session{URL: w.h.URL}
			if err := s.Login(ctx, "builder1", "bpw"); err != nil {
				t.Fatal(err)
			}
			s.CallKw(ctx, "exclusiveSession", nil, map[string]any{"force": true})
			log := logrus.New()
			log.SetOutput(io.Discard)
			d := &builderd.Daemon{Hub: builderd.NewSessionHub(s), Log: log, Handlers: builderd.Handlers(&buildroot.RPMBuild{}),
				Config: builderd.Config{WorkDir: t.TempDir(), TopURL: w.h.Base + "/kojifiles", SleepTime: 200 * time.Millisecond,
					MaxJobs: 4, TaskTimeout: timeout, LogInterval: time.Second}}
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { d.Run(rctx, 0); close(done) }()
			return func() { cancel(); <-done }
		}
		// Drain: stop the builder while the slow build runs; its tasks go back to FREE.
		stop := start(10 * time.Minute)
		src := w.uploadSRPM(t, "gk-slow")
		task := call(t, w.admin, "build", src, "dist-candidate", map[string]any{})
		for deadline := time.Now().Add(2 * time.Minute); !sleeping(); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the slow build never started")
			}
		}
		stop()
		if sleeping() {
			t.Fatal("stopping the builder left the build running")
		}
		for _, k := range append([]any{call(t, w.admin, "getTaskInfo", task)}, call(t, w.admin, "getTaskChildren", task).([]any)...) {
			if st := k.(map[string]any)["state"]; st == int64(hub.TaskOpen) {
				t.Errorf("task %v still OPEN after the builder stopped", k.(map[string]any)["id"])
			}
		}
		// Timeout: a builder with a short limit picks the tasks up again and
		// fails the build when the limit passes.
		stop = start(3 * time.Second)
		defer stop()
		info := w.waitTask(t, task)
		if info["state"] != int64(hub.TaskFailed) {
			t.Fatalf("build ended %v, want FAILED by the timeout", info["state"])
		}
		found := false
		for _, k := range call(t, w.admin, "getTaskChildren", task).([]any) {
			if _, err := w.admin.Call(ctx, "getTaskResult", k.(map[string]any)["id"]); err != nil && strings.Contains(err.Error(), "timed out") {
				found = true
			}
		}
		if _, err := w.admin.Call(ctx, "getTaskResult", task); err != nil && strings.Contains(err.Error(), "timed out") {
			found = true
		}
		if !found {
			t.Error("no task result says it timed out")
		}
	})
}

// gitSpecRepo makes a local git repository holding one test spec, renamed.
func gitSpecRepo(t *testing.T, spec, name string) (url string) {
	t.Helper()
	repo := t.TempDir()
	data, err := os.ReadFile(filepath.Join(hubtest.SpecsDir(t), spec+".spec"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(repo, name+".spec"), []byte(strings.ReplaceAll(string(data), "Name:           "+spec, "Name:           "+name)), 0o644)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "spec"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return "git+file://" + repo + "#main"
}

// TestChainBuild: the second group BuildRequires what the first built, so
// it builds only once the build tag's repo has the first group's build.
func TestChainBuild(t *testing.T) {
	hubtest.RequireCommand(t, "git", "git")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		call(t, w.admin, "packageListAdd", "dist", "gk-needs", "kojiadmin")
		w.startBuilder(t)
		first := gitSpecRepo(t, "gk-noarch", "gk-noarch")
		second := gitSpecRepo(t, "gk-needs", "gk-needs")
		task := call(t, w.admin, "chainBuild", []any{[]any{first}, []any{second}}, "dist-candidate")
		if info := w.waitTask(t, task); info["state"] != int64(hub.TaskClosed) {
			res, err := w.admin.Call(ctx, "getTaskResult", task)
			t.Fatalf("chain build ended %v: %v %v", info["state"], res, err)
		}
		for _, nvr := range []string{"gk-noarch-1.0-1", "gk-needs-1.0-1"} {
			b := call(t, w.admin, "getBuild", nvr)
			if b == nil || b.(map[string]any)["state"] != int64(hub.BuildComplete) {
				t.Errorf("%s = %v", nvr, b)
			}
		}
		// gk-needs was built in a root holding gk-noarch from the repo; its
		// buildroot records that, as kojid's setBuildRootList does.
		needs := call(t, w.admin, "getBuild", "gk-needs-1.0-1").(map[string]any)
		rpms := call(t, w.admin, "listRPMs", needs["id"]).([]any)
		var brootID any
		for _, r := range rpms {
			if m := r.(map[string]any); m["arch"] == "noarch" {
				brootID = m["buildroot_id"]
			}
		}
		if brootID == nil {
			t.Fatalf("gk-needs noarch rpm has no buildroot: %v", rpms)
		}
		var names []any
		for _, e := range call(t, w.admin, "getBuildrootListing", brootID).([]any) {
			names = append(names, e.(map[string]any)["name"])
		}
		if len(names) != 1 || names[0] != "gk-noarch" {
			t.Errorf("buildroot %v listing = %v, want [gk-noarch]", brootID, names)
		}
		// So gk-noarch is referenced: the rpms built on it and when, and it
		// cannot be deleted even once untagged.
		refs := call(t, w.admin, "buildReferences", "gk-noarch-1.0-1").(map[string]any)
		used := refs["rpms"].([]any)
		if len(used) == 0 || used[0].(map[string]any)["build_id"] != needs["id"] {
			t.Errorf("buildReferences(gk-noarch) rpms = %v, want the rpms of build %v", used, needs["id"])
		}
		if last, ok := refs["last_used"].(float64); !ok || last < float64(time.Now().Add(-time.Hour).Unix()) {
			t.Errorf("buildReferences(gk-noarch) last_used = %v", refs["last_used"])
		}
		call(t, w.admin, "untagBuildBypass", "dist", "gk-noarch-1.0-1")
		if _, err := w.admin.Call(ctx, "deleteBuild", "gk-noarch-1.0-1"); err == nil || !strings.Contains(err.Error(), "Cannot delete build, used in buildroots: [{'id': ") {
			t.Errorf("deleteBuild of a build used in a buildroot: %v", err)
		}
		if got := callKw(t, w.admin, "deleteBuild", []any{"gk-noarch-1.0-1"}, map[string]any{"strict": false}); got != false {
			t.Errorf("deleteBuild(strict=False) = %v, want False", got)
		}
	})
}

// TestRepoOnBuilder: with a builder in the createrepo channel that sees the
// hub's file tree, the repo that follows a tag change is made by a newRepo
// task on it, with a createrepo subtask per arch; the repo is READY and
// lists the tag's latest build to dnf.
func TestRepoOnBuilder(t *testing.T) {
	hubtest.RequireCommand(t, "rpmbuild", "rpm")
	hubtest.RequireCommand(t, "createrepo_c", "createrepo-c")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.startBuilder(t)
		build := call(t, w.admin, "build", w.uploadSRPM(t, "gk-noarch"), "dist-candidate", map[string]any{})
		if info := w.waitTask(t, build); info["state"] != int64(hub.TaskClosed) {
			t.Fatalf("build task ended %v", info)
		}
		tagged := call(t, w.admin, "listTagged", "dist").([]any)
		if len(tagged) != 1 {
			t.Fatalf("listTagged(dist) = %v", tagged)
		}
		// The tagging makes dist-build's repo stale; wait for the one that
		// follows it.
		tagEvent := tagged[0].(map[string]any)["create_event"].(int64)
		var repo map[string]any
		deadline := time.Now().Add(2 * time.Minute)
		for {
			repo, _ = call(t, w.admin, "getRepo", "dist-build").(map[string]any)
			if repo != nil && repo["create_event"].(int64) >= tagEvent {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no repo of dist-build after event %d: %v", tagEvent, repo)
			}
			time.Sleep(200 * time.Millisecond)
		}
		task := repo["task_id"]
		// host.repoDone makes the repo READY just before newRepo closes.
		info := w.waitTask(t, task)
		host := call(t, w.admin, "getHost", "builder1").(map[string]any)
		if info["method"] != "newRepo" || info["state"] != int64(hub.TaskClosed) || info["host_id"] != host["id"] {
			t.Errorf("repo task %v, want a CLOSED newRepo on builder1 (%v), not the hub", info, host["id"])
		}
		var arches []string
		for _, k := range call(t, w.admin, "getTaskChildren", task).([]any) {
			kid := k.(map[string]any)
			if kid["method"] != "createrepo" || kid["state"] != int64(hub.TaskClosed) || kid["host_id"] != host["id"] {
				t.Errorf("child %v", kid)
			}
			arches = append(arches, kid["label"].(string))
		}
		if !reflect.DeepEqual(arches, []string{"x86_64"}) {
			t.Errorf("createrepo subtasks for %v, want [x86_64]", arches)
		}
		res := call(t, w.admin, "getTaskResult", task).([]any)
		if res[0] != repo["id"] {
			t.Errorf("newRepo result %v, repo %v", res, repo["id"])
		}
		dir := filepath.Join(w.h.TopDir, "repos", "dist-build", fmt.Sprint(repo["id"]), "x86_64")
		got := hubtest.DNFList(t, "--repofrompath=r,file://"+dir, "--repo=r")
		if !reflect.DeepEqual(got, []string{"gk-noarch-1.0-1.noarch"}) {
			t.Errorf("dnf lists %v", got)
		}
		latest, err := os.Readlink(filepath.Join(w.h.TopDir, "repos", "dist-build", "latest"))
		if err != nil || latest != fmt.Sprint(repo["id"]) {
			t.Errorf("latest -> %q (%v), want %v", latest, err, repo["id"])
		}
	})
}

// BenchmarkTagToRepoReadyOnBuilder is BenchmarkTagToRepoReady (hub/api)
// with the repo written by a builder polling every second: a tag change to
// a READY repo of a 100-package build tag, through newRepo and createrepo
// tasks on the builder.
func BenchmarkTagToRepoReadyOnBuilder(b *testing.B) {
	h := hubtest.Start(b, hubtest.OpenDB(b, hubtest.SQLite))
	h.RunWorkers(b)
	admin := h.Admin(b)
	if _, err := admin.CallKw(ctx, "addHost", []any{"builder1", []any{"x86_64"}}, map[string]any{"password": "bpw"}); err != nil {
		b.Fatal(err)
	}
	if _, err := admin.Call(ctx, "addHostToChannel", "builder1", "createrepo"); err != nil {
		b.Fatal(err)
	}
	rb := hubtest.NewRepoBench(b, admin)
	s := &kojiclient.Session{URL: h.URL}
	if err := s.Login(ctx, "builder1", "bpw"); err != nil {
		b.Fatal(err)
	}
	s.CallKw(ctx, "exclusiveSession", nil, map[string]any{"force": true})
	log := logrus.New()
	log.SetOutput(io.Discard)
	d := &builderd.Daemon{Hub: builderd.NewSessionHub(s), Log: log, Handlers: builderd.RepoHandlers(),
		Config: builderd.Config{WorkDir: b.TempDir(), TopURL: h.Base + "/kojifiles", TopDir: h.TopDir, SleepTime: time.Second,
			MaxJobs: 4, TaskTimeout: 10 * time.Minute, LogInterval: time.Second}}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { d.Run(rctx, 0); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	rb.WaitFirst()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rb.Change(b)
	}
	b.StopTimer()
	// The repos were the builder's.
	info, err := admin.Call(ctx, "repoInfo", rb.Last())
	if err != nil {
		b.Fatal(err)
	}
	task, err := admin.Call(ctx, "getTaskInfo", info.(map[string]any)["task_id"])
	if err != nil || task.(map[string]any)["host_id"] == nil {
		b.Fatalf("the hub wrote repo %d, not the builder (%v)", rb.Last(), err)
	}
}
