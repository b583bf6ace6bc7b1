package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

var (
	gkOnce sync.Once
	gkRPMs map[string][]byte
)

// gkRPMs builds testdata/specs' gk-arch and gk-noarch once per test binary.
func gkPackages(t *testing.T) map[string][]byte {
	t.Helper()
	gkOnce.Do(func() {
		gkRPMs = map[string][]byte{}
		for _, s := range []string{"gk-arch.spec", "gk-noarch.spec"} {
			for k, v := range hubtest.BuildSpec(t, s, nil) {
				gkRPMs[k] = v
			}
		}
	})
	if len(gkRPMs) != 4 {
		t.Fatalf("built %d rpms, want 4", len(gkRPMs))
	}
	return gkRPMs
}

// buildWorld is a hub set up for builds: a target, a repo of its build tag,
// a build host and the packages to build.
type buildWorld struct {
	h        *hubtest.Hub
	admin    *xmlrpc.Client
	host     *xmlrpc.Client
	hostID   int64
	other    *xmlrpc.Client // a second host
	buildTag int64
	repoID   int64
	arch     string            // this machine's rpm arch
	rpms     map[string][]byte // by file name
	archRPM  string            // gk-arch's binary rpm
	uploads  int
}

func newBuildWorld(t *testing.T, db *store.DB) *buildWorld {
	t.Helper()
	w := &buildWorld{rpms: gkPackages(t)}
	for n := range w.rpms {
		if strings.HasPrefix(n, "gk-arch-") && !strings.HasSuffix(n, ".src.rpm") {
			w.archRPM = n
			w.arch = strings.TrimSuffix(strings.TrimPrefix(n, "gk-arch-1.0-1."), ".rpm")
		}
	}
	w.h = hubtest.Start(t, db)
	w.admin = w.h.Admin(t)
	w.buildTag = call(t, w.admin, "createTag", "f40-build").(int64)
	callKw(t, w.admin, "createTag", []any{"f40"}, nil)
	call(t, w.admin, "createBuildTarget", "f40-candidate", "f40-build", "f40")
	// A repo of the build tag, as the repo manager would make it.
	err := db.InTx(ctx, true, func(tx *store.Tx) error {
		ev, err := tx.Event(ctx)
		if err != nil {
			return err
		}
		w.repoID, err = tx.InsertID(ctx, `INSERT INTO repo (creation_us, create_event, state_us, tag_id, state)
			VALUES (1, ?, 1, ?, 1)`, ev, w.buildTag)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	w.host, w.hostID = startHost(t, w.h, w.admin, "b1.example.com", []any{w.arch, "noarch"})
	w.other, _ = startHost(t, w.h, w.admin, "b2.example.com", []any{"s390x"})
	return w
}

// upload puts data into work/dir/name as c.
func (w *buildWorld) upload(t *testing.T, c *xmlrpc.Client, dir, name string, data []byte) {
	t.Helper()
	upload(t, c, dir, name, data, 1<<20)
}

// cliUpload uploads an rpm as `koji build` does and returns its work path.
func (w *buildWorld) cliUpload(t *testing.T, c *xmlrpc.Client, name string) string {
	t.Helper()
	w.uploads++
	dir := fmt.Sprintf("cli-build/1700000000.%d.abcdefgh", w.uploads)
	w.upload(t, c, dir, name, w.rpms[name])
	return dir + "/" + name
}

func taskDir(id int64) string { return fmt.Sprintf("tasks/%d/%d", id%10000, id) }

// state is what a failed call must leave unchanged: tasks, builds, rpms,
// buildroots and the files under packages/ and scratch/.
func (w *buildWorld) state(t *testing.T) any {
	t.Helper()
	return []any{
		allTasks(t, w.admin),
		callKw(t, w.admin, "listBuilds", nil, nil),
		callKw(t, w.admin, "listRPMs", nil, nil),
		callKw(t, w.admin, "listBuildroots", nil, nil),
		treeFiles(t, filepath.Join(w.h.TopDir, "packages")),
		treeFiles(t, filepath.Join(w.h.TopDir, "scratch")),
	}
}

// bad makes a call that must fail with code and a message containing msg,
// and checks that it changed nothing.
func (w *buildWorld) bad(t *testing.T, who *xmlrpc.Client, code int, msg, method string, args ...any) {
	t.Helper()
	before := w.state(t)
	_, err := who.Call(ctx, method, args...)
	fault(t, err, code, msg)
	if after := w.state(t); !reflect.DeepEqual(before, after) {
		t.Errorf("failed %s changed the hub:\n%v\n%v", method, before, after)
	}
}

// run is one build walked through the host protocol up to the build arch
// subtask's results, stopping early as the test asks.
type run struct {
	w        *buildWorld
	src      string // the uploaded SRPM's work path
	parent   int64
	sub      int64
	build    int64
	broot    int64
	srpmPath string // outputs in the subtask's folder
	rpmPath  string
	logPaths []string
}

// start: the client uploads the SRPM and calls build; the host takes the
// task, inits the build and starts a buildArch subtask that it then opens.
func (w *buildWorld) start(t *testing.T) *run {
	t.Helper()
	r := &run{w: w}
	r.src = w.cliUpload(t, w.admin, "gk-arch-1.0-1.src.rpm")
	r.parent = callKw(t, w.admin, "build", []any{r.src, "f40-candidate", map[string]any{"wait_builds": []any{}, "custom_user_metadata": map[string]any{}}},
		map[string]any{"priority": nil}).(int64)
	got := call(t, w.host, "host.getTask").(map[string]any)
	if got["id"] != r.parent || got["method"] != "build" {
		t.Fatalf("host.getTask = %v, want build task %d", got, r.parent)
	}
	if call(t, w.host, "host.openTask", r.parent) == nil {
		t.Fatal("could not open the build task")
	}
	r.build = call(t, w.host, "host.initBuild", map[string]any{"name": "gk-arch", "version": "1.0", "release": "1",
		"epoch": nil, "task_id": r.parent, "source": r.src}).(int64)
	r.sub = callKw(t, w.host, "host.subtask", nil, map[string]any{"method": "buildArch",
		"arglist": []any{r.src, w.buildTag, w.arch, true, map[string]any{"repo_id": w.repoID}},
		"parent":  r.parent, "label": w.arch, "arch": w.arch}).(int64)
	call(t, w.host, "host.taskSetWait", r.parent, []any{r.sub})
	if got := call(t, w.host, "host.taskWait", r.parent); !reflect.DeepEqual(got, []any{[]any{}, []any{r.sub}}) {
		t.Fatalf("taskWait = %v", got)
	}
	got = call(t, w.host, "host.getTask").(map[string]any)
	if got["id"] != r.sub {
		t.Fatalf("host.getTask = %v, want the buildArch subtask %d", got["id"], r.sub)
	}
	if call(t, w.host, "host.openTask", r.sub) == nil {
		t.Fatal("could not open the subtask")
	}
	return r
}

// buildArch: the subtask makes a buildroot, "builds", uploads its output
// into its folder and closes with the buildArch result.
func (r *run) buildArch(t *testing.T) {
	t.Helper()
	w := r.w
	r.broot = call(t, w.host, "host.newBuildRoot", w.repoID, w.arch, r.sub).(int64)
	call(t, w.host, "host.setBuildRootList", r.broot, []any{
		map[string]any{"name": "gk-noarch", "version": "1.0", "release": "1", "arch": "noarch", "epoch": nil},
		map[string]any{"name": "glibc", "version": "2.39", "release": "1", "arch": w.arch, "location": int64(7)}, // external: skipped
	}, r.sub)
	call(t, w.host, "host.setBuildRootState", r.broot, "BUILDING", r.sub)
	src := call(t, w.admin, "getRPM", "gk-noarch-1.0-1.src").(map[string]any)
	call(t, w.host, "host.updateBuildRootList", r.broot, []any{map[string]any{"id": src["id"]}}, r.sub)
	dir := taskDir(r.sub)
	w.upload(t, w.host, dir, "gk-arch-1.0-1.src.rpm", w.rpms["gk-arch-1.0-1.src.rpm"])
	w.upload(t, w.host, dir, w.archRPM, w.rpms[w.archRPM])
	for _, l := range []string{"build.log", "root.log"} {
		w.upload(t, w.host, dir, l, []byte(l+" of task "+fmt.Sprint(r.sub)+"\n"))
		r.logPaths = append(r.logPaths, dir+"/"+l)
	}
	r.srpmPath, r.rpmPath = dir+"/gk-arch-1.0-1.src.rpm", dir+"/"+w.archRPM
	call(t, w.host, "host.setBuildRootState", r.broot, int64(store.BRExpired), r.sub)
	call(t, w.host, "host.closeTask", r.sub, resultDoc(t, map[string]any{"rpms": []any{r.rpmPath},
		"srpms": []any{r.srpmPath}, "logs": strsAny(r.logPaths), "brootid": r.broot}))
	if got := call(t, w.host, "host.taskWait", r.parent); !reflect.DeepEqual(got, []any{[]any{r.sub}, []any{}}) {
		t.Fatalf("taskWait after the subtask = %v", got)
	}
}

func strsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// completeArgs are host.completeBuild's arguments for this run.
func (r *run) completeArgs() []any {
	return xmlrpc.WithKwargs([]any{r.parent, r.build, r.srpmPath, []any{r.rpmPath},
		map[string]any{r.srpmPath: r.broot, r.rpmPath: r.broot}}, map[string]any{"logs": map[string]any{r.w.arch: strsAny(r.logPaths)}})
}

func buildState(t *testing.T, c *xmlrpc.Client, id int64) int64 {
	t.Helper()
	return call(t, c, "getBuild", id).(map[string]any)["state"].(int64)
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestBuildSimulator walks a build task through the whole host protocol with
// real rpms, and checks what the clients then see.
func TestBuildSimulator(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newBuildWorld(t, db)
		// gk-noarch is imported, to be listed in the buildroot.
		for _, n := range []string{"gk-noarch-1.0-1.src.rpm", "gk-noarch-1.0-1.noarch.rpm"} {
			importRPM(t, w.admin, "imports", n, w.rpms[n])
		}
		r := w.start(t)
		req := call(t, w.admin, "getTaskRequest", r.parent)
		if want := []any{r.src, "f40-candidate", map[string]any{"wait_builds": []any{}, "custom_user_metadata": map[string]any{}}}; !reflect.DeepEqual(req, want) {
			t.Errorf("build request = %v, want %v", req, want)
		}
		info := call(t, w.admin, "getTaskInfo", r.parent).(map[string]any)
		if info["priority"] != int64(hub.PriorityDefault) || info["arch"] != "noarch" || info["channel_id"] != int64(1) {
			t.Errorf("build task = %v", info)
		}
		b := call(t, w.admin, "getBuild", r.build).(map[string]any)
		if b["state"] != int64(hub.BuildBuilding) || b["task_id"] != r.parent || b["owner_name"] != "kojiadmin" ||
			b["completion_time"] != nil || b["source"] != r.src {
			t.Errorf("initBuild made %v", b)
		}
		// The task restarted: initBuild again gives the same build.
		if again := call(t, w.host, "host.initBuild", map[string]any{"name": "gk-arch", "version": "1.0", "release": "1",
			"epoch": nil, "task_id": r.parent}); again != r.build {
			t.Errorf("initBuild by the same task again = %v, want %d", again, r.build)
		}
		r.buildArch(t)
		res := call(t, w.host, "host.taskWaitResults", r.parent, []any{r.sub}).([]any)
		if len(res) != 1 || res[0].([]any)[1].(map[string]any)["brootid"] != r.broot {
			t.Fatalf("taskWaitResults = %v", res)
		}
		done := call(t, w.host, "host.completeBuild", r.completeArgs()...).(map[string]any)
		if done["id"] != r.build || done["state"] != int64(hub.BuildComplete) || done["completion_ts"] == nil {
			t.Errorf("completeBuild = %v", done)
		}
		call(t, w.host, "host.closeTask", r.parent, resultDoc(t, nil))

		// What clients see.
		if s := taskState(t, w.admin, r.parent); s != hub.TaskClosed {
			t.Errorf("build task state %d", s)
		}
		rpms := call(t, w.admin, "listBuildRPMs", r.build).([]any)
		if len(rpms) != 2 {
			t.Fatalf("build rpms = %v", rpms)
		}
		for _, x := range rpms {
			m := x.(map[string]any)
			if m["buildroot_id"] != r.broot {
				t.Errorf("rpm %v: buildroot_id %v, want %d", m["nvr"], m["buildroot_id"], r.broot)
			}
			name := fmt.Sprintf("%s-%s-%s.%s.rpm", m["name"], m["version"], m["release"], m["arch"])
			code, body := get(t, fmt.Sprintf("%s/kojifiles/packages/gk-arch/1.0/1/%s/%s", w.h.Base, m["arch"], name))
			if code != 200 || !bytes.Equal(body, w.rpms[name]) {
				t.Errorf("download %s: HTTP %d, %d bytes", name, code, len(body))
			}
		}
		code, body := get(t, fmt.Sprintf("%s/kojifiles/packages/gk-arch/1.0/1/data/logs/%s/build.log", w.h.Base, w.arch))
		if code != 200 || !strings.HasPrefix(string(body), "build.log of task") {
			t.Errorf("build.log: HTTP %d %q", code, body)
		}
		// The task's output still lists (as symlinks to the imported files).
		out := call(t, w.admin, "listTaskOutput", r.sub).([]any)
		if len(out) != 4 {
			t.Errorf("listTaskOutput after the import = %v", out)
		}
		if fi, err := os.Lstat(filepath.Join(w.h.TopDir, "work", r.rpmPath)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the task's rpm is not a symlink after the import: %v %v", fi, err)
		}
		brs := callKw(t, w.admin, "listBuildroots", nil, map[string]any{"taskID": r.sub}).([]any)
		if len(brs) != 1 {
			t.Fatalf("listBuildroots(taskID) = %v", brs)
		}
		br := brs[0].(map[string]any)
		if br["id"] != r.broot || br["state"] != int64(store.BRExpired) || br["host_name"] != "b1.example.com" ||
			br["tag_name"] != "f40-build" || br["repo_id"] != w.repoID || br["arch"] != w.arch || br["retire_event_id"] == nil ||
			br["br_type"] != int64(0) || br["task_id"] != r.sub {
			t.Errorf("buildroot = %v", br)
		}
		if got := call(t, w.admin, "getBuildroot", r.broot); !reflect.DeepEqual(got, br) {
			t.Errorf("getBuildroot = %v, listBuildroots gave %v", got, br)
		}
		listing := call(t, w.admin, "getBuildrootListing", r.broot).([]any)
		updates := map[any]any{}
		for _, l := range listing {
			updates[l.(map[string]any)["arch"]] = l.(map[string]any)["is_update"]
		}
		if len(listing) != 2 || !reflect.DeepEqual(updates, map[any]any{"noarch": false, "src": true}) {
			t.Errorf("getBuildrootListing = %v", listing)
		}
		noarch := call(t, w.admin, "getRPM", "gk-noarch-1.0-1.noarch").(map[string]any)
		for _, tc := range []struct {
			kw   map[string]any
			want int
		}{
			{map[string]any{"hostID": "b1.example.com"}, 1}, {map[string]any{"hostID": w.hostID, "state": []any{int64(0), int64(1), int64(2)}}, 0},
			{map[string]any{"tagID": w.buildTag}, 1}, {map[string]any{"rpmID": noarch["id"]}, 1}, {map[string]any{"repoID": w.repoID}, 1},
			{map[string]any{"buildrootID": []any{r.broot, int64(99)}}, 1}, {map[string]any{"archiveID": int64(1)}, 0},
			{map[string]any{"taskID": r.parent}, 0}, {map[string]any{"queryOpts": map[string]any{"order": "-buildroot.id", "countOnly": true}}, 1},
		} {
			got := callKw(t, w.admin, "listBuildroots", nil, tc.kw)
			if n, ok := got.(int64); ok {
				if int(n) != tc.want {
					t.Errorf("listBuildroots(%v) = %v", tc.kw, got)
				}
			} else if len(got.([]any)) != tc.want {
				t.Errorf("listBuildroots(%v) = %v, want %d", tc.kw, got, tc.want)
			}
		}
		comp := callKw(t, w.admin, "listRPMs", nil, map[string]any{"componentBuildrootID": r.broot}).([]any)
		if len(comp) != 2 || comp[0].(map[string]any)["component_buildroot_id"] != r.broot {
			t.Errorf("listRPMs(componentBuildrootID) = %v", comp)
		}
		if got := callKw(t, w.admin, "listRPMs", nil, map[string]any{"hostID": w.hostID}).([]any); len(got) != 2 {
			t.Errorf("listRPMs(hostID) = %v", got)
		}
		// The calls of the koji CLI's hostinfo, list-buildroot, taskinfo -v,
		// cancel and resubmit, in the shapes it sends them.
		for s, want := range []int{0, 0, 0} {
			if got := callKw(t, w.admin, "listBuildroots", nil, map[string]any{"hostID": w.hostID, "state": int64(s)}).([]any); len(got) != want {
				t.Errorf("hostinfo's listBuildroots(state=%d) = %v", s, got)
			}
		}
		if got := callKw(t, w.admin, "listArchives", nil, map[string]any{"componentBuildrootID": r.broot}); !reflect.DeepEqual(got, []any{}) {
			t.Errorf("list-buildroot's listArchives = %v", got)
		}
		if got := callKw(t, w.admin, "listRPMs", nil, map[string]any{"buildrootID": r.broot}).([]any); len(got) != 2 {
			t.Errorf("list-buildroot --built's listRPMs = %v", got)
		}
		if got := callKw(t, w.admin, "listTaskOutput", []any{r.sub}, map[string]any{"all_volumes": true}).(map[string]any); !reflect.DeepEqual(got["build.log"], []any{"DEFAULT"}) {
			t.Errorf("taskinfo's listTaskOutput = %v", got)
		}
		if got := callKw(t, w.admin, "listBuilds", nil, map[string]any{"taskID": r.parent}).([]any); len(got) != 1 {
			t.Errorf("taskinfo's listBuilds(taskID) = %v", got)
		}
		src2 := w.cliUpload(t, w.admin, "gk-arch-1.0-1.src.rpm")
		again := callKw(t, w.admin, "build", []any{src2, "f40-candidate", map[string]any{"scratch": true}}, map[string]any{"priority": nil}).(int64)
		call(t, w.admin, "cancelTask", again)
		re := call(t, w.admin, "resubmitTask", again).(int64)
		if a, b := call(t, w.admin, "getTaskRequest", again), call(t, w.admin, "getTaskRequest", re); !reflect.DeepEqual(a, b) || taskState(t, w.admin, re) != hub.TaskFree {
			t.Errorf("resubmitted request %v, original %v", b, a)
		}
		call(t, w.admin, "cancelTask", re)
		// Completing twice, or anything after the task closed, changes nothing.
		w.bad(t, w.host, hub.CodeActionNotAllowed, "does not own task", "host.completeBuild", r.completeArgs()...)
		w.bad(t, w.host, hub.CodeActionNotAllowed, "does not own task", "host.subtask", "buildArch", []any{}, r.parent)
		_, err := w.admin.Call(ctx, "getBuildrootListing", int64(999))
		fault(t, err, hub.CodeGeneric, "no buildroot with ID: 999")
		if got := call(t, w.admin, "getBuildroot", int64(999)); got != nil {
			t.Errorf("getBuildroot(999) = %v", got)
		}
	})
}

// TestBuildFailures injects a failure at each step of the build protocol and
// checks that nothing is left half-done.
func TestBuildFailures(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newBuildWorld(t, db)
		for _, n := range []string{"gk-noarch-1.0-1.src.rpm", "gk-noarch-1.0-1.noarch.rpm"} {
			importRPM(t, w.admin, "imports", n, w.rpms[n])
		}
		noBuildFiles := func(t *testing.T) {
			t.Helper()
			if f := treeFiles(t, filepath.Join(w.h.TopDir, "packages", "gk-arch")); len(f) != 0 {
				t.Errorf("files under packages/gk-arch: %v", f)
			}
		}

		// 1. Bad completeBuild arguments: each refused, nothing changes.
		r := w.start(t)
		r.buildArch(t)
		call(t, w.host, "host.taskWaitResults", r.parent, []any{r.sub})
		unrelated := callKw(t, w.admin, "makeTask", []any{"other", []any{}}, nil).(int64)
		call(t, w.admin, "cancelTask", unrelated) // only its folder matters
		odir := filepath.Join(w.h.TopDir, "work", taskDir(unrelated))
		os.MkdirAll(odir, 0o755)
		os.WriteFile(filepath.Join(odir, "gk-arch-1.0-1.src.rpm"), w.rpms["gk-arch-1.0-1.src.rpm"], 0o644)
		w.upload(t, w.host, taskDir(r.parent), "gk-noarch-1.0-1.src.rpm", w.rpms["gk-noarch-1.0-1.src.rpm"])
		w.upload(t, w.host, taskDir(r.parent), "gk-noarch-1.0-1.noarch.rpm", w.rpms["gk-noarch-1.0-1.noarch.rpm"])
		brmap := map[string]any{r.srpmPath: r.broot, r.rpmPath: r.broot}
		logs := map[string]any{"logs": map[string]any{w.arch: strsAny(r.logPaths)}}
		args := func(srpm string, rpms []any, brmap map[string]any, logs map[string]any) []any {
			return xmlrpc.WithKwargs([]any{r.parent, r.build, srpm, rpms, brmap}, logs)
		}
		for _, tc := range []struct {
			name string
			args []any
			code int
			msg  string
		}{
			{"dotdot", args(taskDir(r.sub)+"/../"+fmt.Sprint(r.sub)+"/gk-arch-1.0-1.src.rpm", []any{r.rpmPath}, brmap, logs), hub.CodeGeneric, "Invalid file path"},
			{"absolute", args("/etc/passwd", []any{r.rpmPath}, brmap, logs), hub.CodeGeneric, "Invalid file path"},
			{"client upload", args(r.src, []any{r.rpmPath}, brmap, logs), hub.CodeActionNotAllowed, "is not in the work folder of task"},
			{"other task", args(taskDir(unrelated)+"/gk-arch-1.0-1.src.rpm", []any{r.rpmPath}, brmap, logs), hub.CodeActionNotAllowed, "is not in the work folder of task"},
			{"rpm outside", args(r.srpmPath, []any{"imports/x.rpm"}, brmap, logs), hub.CodeActionNotAllowed, "is not in the work folder"},
			{"log outside", args(r.srpmPath, []any{r.rpmPath}, brmap, map[string]any{"logs": map[string]any{w.arch: []any{"cli-build/x.log"}}}), hub.CodeActionNotAllowed, "is not in the work folder"},
			{"log folder", args(r.srpmPath, []any{r.rpmPath}, brmap, map[string]any{"logs": map[string]any{"../x": strsAny(r.logPaths)}}), hub.CodeGeneric, "Invalid log folder"},
			{"missing file", args(taskDir(r.sub)+"/nope.src.rpm", []any{r.rpmPath}, brmap, logs), hub.CodeGeneric, "No such file"},
			{"wrong srpm", args(taskDir(r.parent)+"/gk-noarch-1.0-1.src.rpm", []any{r.rpmPath}, brmap, logs), hub.CodeGeneric, "Unable to complete build: name mismatch"},
			{"binary as srpm", args(r.rpmPath, []any{}, brmap, logs), hub.CodeGeneric, "not a source package"},
			{"foreign rpm", args(r.srpmPath, []any{taskDir(r.parent) + "/gk-noarch-1.0-1.noarch.rpm"}, brmap, logs), hub.CodeGeneric, "srpm mismatch"},
			{"bad buildroot", args(r.srpmPath, []any{r.rpmPath}, map[string]any{r.rpmPath: int64(999)}, logs), hub.CodeGeneric, "no buildroot with ID: 999"},
			{"no such build", xmlrpc.WithKwargs([]any{r.parent, int64(999), r.srpmPath, []any{}}, nil), hub.CodeGeneric, "No such build: 999"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w.bad(t, w.host, tc.code, tc.msg, "host.completeBuild", tc.args...)
			})
		}
		// Not the parent's host, not a host at all.
		w.bad(t, w.other, hub.CodeActionNotAllowed, "does not own task", "host.completeBuild", r.completeArgs()...)
		w.bad(t, w.admin, hub.CodeAuth, "is not a host", "host.completeBuild", r.completeArgs()...)
		w.bad(t, w.h.Client(), hub.CodeAuth, "Not logged-in", "host.initBuild", map[string]any{})
		w.bad(t, w.other, hub.CodeActionNotAllowed, "does not own task", "host.failBuild", r.parent, r.build)
		// The subtask's host cannot complete the build with the subtask.
		w.bad(t, w.host, hub.CodeGeneric, "state is", "host.completeBuild", xmlrpc.WithKwargs([]any{r.parent, int64(1), r.srpmPath, []any{}}, nil)...)
		noBuildFiles(t)
		// The genuine call still works after all that.
		call(t, w.host, "host.completeBuild", r.completeArgs()...)
		call(t, w.host, "host.closeTask", r.parent, resultDoc(t, nil))
		if s := buildState(t, w.admin, r.build); s != hub.BuildComplete {
			t.Fatalf("build state %d after the good completeBuild", s)
		}
		// A new build of a COMPLETE NVR is refused.
		r2 := w.startTask(t, "gk-arch-1.0-1.src.rpm")
		w.bad(t, w.host, hub.CodeGeneric, "Build already exists", "host.initBuild", map[string]any{"name": "gk-arch", "version": "1.0", "release": "1",
			"epoch": nil, "task_id": r2})
		call(t, w.admin, "cancelTask", r2)

		// 2. failBuild: the subtask fails; the parent fails the build.
		call(t, w.admin, "resetBuild", r.build) // the NVR is free again (CANCELED, no rpms)
		r = w.start(t)
		if r.build == 0 {
			t.Fatal("no build")
		}
		call(t, w.host, "host.failTask", r.sub, faultDoc(t, hub.CodeBuild, "error building package (arch x), mock exited with status 1"))
		_, err := w.host.Call(ctx, "host.taskWaitResults", r.parent, []any{r.sub})
		fault(t, err, hub.CodeBuild, "mock exited")
		w.bad(t, w.host, hub.CodeActionNotAllowed, "does not own task", "host.failBuild", r.sub, r.build)
		s2 := callKw(t, w.host, "host.subtask", nil, map[string]any{"method": "noop", "arglist": []any{}, "parent": r.parent, "label": "x"}).(int64)
		call(t, w.host, "host.openTask", s2)
		w.bad(t, w.host, hub.CodeActionNotAllowed, "does not belong to task", "host.failBuild", s2, r.build)
		call(t, w.host, "host.closeTask", s2, resultDoc(t, nil))
		call(t, w.host, "host.failBuild", r.parent, r.build)
		call(t, w.host, "host.failTask", r.parent, faultDoc(t, hub.CodeBuild, "buildArch failed"))
		b := call(t, w.admin, "getBuild", r.build).(map[string]any)
		if b["state"] != int64(hub.BuildFailed) || b["completion_ts"] == nil {
			t.Errorf("failed build = %v", b)
		}
		noBuildFiles(t)
		// A FAILED build is recycled by the next build of the NVR.
		r3 := w.startTask(t, "gk-arch-1.0-1.src.rpm")
		if id := call(t, w.host, "host.initBuild", map[string]any{"name": "gk-arch", "version": "1.0", "release": "1",
			"epoch": nil, "task_id": r3}); id != r.build {
			t.Errorf("initBuild after a failure = %v, want the recycled build %d", id, r.build)
		}
		if b := call(t, w.admin, "getBuild", r.build).(map[string]any); b["state"] != int64(hub.BuildBuilding) || b["task_id"] != r3 {
			t.Errorf("recycled build = %v", b)
		}
		// 3. cancel mid-way: the whole tree and the build stop.
		call(t, w.admin, "cancelTask", r3)
		if s := buildState(t, w.admin, r.build); s != hub.BuildCanceled {
			t.Errorf("build state %d after canceling its task", s)
		}
		r = w.start(t)
		// The subtask is half-way: its output uploaded, not closed yet.
		r.srpmPath, r.rpmPath = taskDir(r.sub)+"/gk-arch-1.0-1.src.rpm", taskDir(r.sub)+"/"+w.archRPM
		w.upload(t, w.host, taskDir(r.sub), "gk-arch-1.0-1.src.rpm", w.rpms["gk-arch-1.0-1.src.rpm"])
		w.upload(t, w.host, taskDir(r.sub), w.archRPM, w.rpms[w.archRPM])
		call(t, w.admin, "cancelTask", r.parent)
		for _, id := range []int64{r.parent, r.sub} {
			if s := taskState(t, w.admin, id); s != hub.TaskCanceled {
				t.Errorf("task %d state %d after cancel", id, s)
			}
		}
		if s := buildState(t, w.admin, r.build); s != hub.BuildCanceled {
			t.Errorf("build state %d after cancel", s)
		}
		w.bad(t, w.host, hub.CodeActionNotAllowed, "does not own task", "host.completeBuild", r.completeArgs()...)
		w.bad(t, w.host, hub.CodeActionNotAllowed, "does not own task", "host.subtask", "buildArch", []any{}, r.parent)
		noBuildFiles(t)
		// cancelBuild cancels the build's task tree.
		r = w.start(t)
		if got := call(t, w.admin, "cancelBuild", r.build); got != true {
			t.Errorf("cancelBuild = %v", got)
		}
		for _, id := range []int64{r.parent, r.sub} {
			if s := taskState(t, w.admin, id); s != hub.TaskCanceled {
				t.Errorf("task %d state %d after cancelBuild", id, s)
			}
		}
		if got := call(t, w.admin, "cancelBuild", r.build); got != false {
			t.Errorf("cancelBuild again = %v", got)
		}
		// No build is left BUILDING, none COMPLETE but the one completed.
		for _, s := range []int64{hub.BuildBuilding} {
			if n := callKw(t, w.admin, "listBuilds", nil, map[string]any{"state": s, "queryOpts": map[string]any{"countOnly": true}}); n != int64(0) {
				t.Errorf("%d builds in state %d", n, s)
			}
		}
	})
}

// startTask: a build task opened by the host, without a build yet.
func (w *buildWorld) startTask(t *testing.T, srpm string) int64 {
	t.Helper()
	src := w.cliUpload(t, w.admin, srpm)
	id := call(t, w.admin, "build", src, "f40-candidate", map[string]any{}).(int64)
	if got := call(t, w.host, "host.getTask").(map[string]any); got["id"] != id {
		t.Fatalf("host.getTask = %v, want %d", got["id"], id)
	}
	call(t, w.host, "host.openTask", id)
	return id
}

// TestBuildroots checks the buildroot state rules and ownership.
func TestBuildroots(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newBuildWorld(t, db)
		r := w.start(t)
		w.bad(t, w.host, hub.CodeGeneric, "No such repo: 999", "host.newBuildRoot", int64(999), w.arch, r.sub)
		w.bad(t, w.host, hub.CodeGeneric, "task_id is required", "host.newBuildRoot", w.repoID, w.arch)
		w.bad(t, w.other, hub.CodeActionNotAllowed, "does not own task", "host.newBuildRoot", w.repoID, w.arch, r.sub)
		br := call(t, w.host, "host.newBuildRoot", w.repoID, w.arch, r.sub).(int64)
		if s := call(t, w.admin, "getBuildroot", br).(map[string]any)["state"]; s != int64(store.BRInit) {
			t.Errorf("new buildroot state %v", s)
		}
		for _, tc := range []struct {
			who  *xmlrpc.Client
			args []any
			code int
			msg  string
		}{
			{w.host, []any{br, "INIT", r.sub}, hub.CodeGeneric, "Cannot change buildroot state to INIT"},
			{w.host, []any{br, "BOGUS", r.sub}, hub.CodeGeneric, "Invalid buildroot state"},
			{w.host, []any{br, int64(7)}, hub.CodeGeneric, "Invalid buildroot state"},
			{w.host, []any{br, "BUILDING", r.parent}, hub.CodeActionNotAllowed, "does not have lock on buildroot"},
			{w.other, []any{br, "BUILDING"}, hub.CodeActionNotAllowed, "not owner of buildroot"},
			{w.host, []any{int64(999), "BUILDING"}, hub.CodeGeneric, "no buildroot with ID: 999"},
		} {
			w.bad(t, tc.who, tc.code, tc.msg, "host.setBuildRootState", tc.args...)
		}
		w.bad(t, w.host, hub.CodeGeneric, "wrong state", "host.updateBuildRootList", br, []any{}, r.sub)
		w.bad(t, w.host, hub.CodeGeneric, "No such rpm", "host.setBuildRootList", br, []any{map[string]any{"name": "nope", "version": "1", "release": "1", "arch": "noarch"}}, r.sub)
		call(t, w.host, "host.setBuildRootState", br, "WAITING", r.sub)
		w.bad(t, w.host, hub.CodeGeneric, "wrong state", "host.setBuildRootList", br, []any{}, r.sub)
		call(t, w.host, "host.setBuildRootState", br, "BUILDING")
		call(t, w.host, "host.setBuildRootState", br, "EXPIRED")
		call(t, w.host, "host.setBuildRootState", br, "EXPIRED") // a no-op
		w.bad(t, w.host, hub.CodeGeneric, "is EXPIRED", "host.setBuildRootState", br, "BUILDING")
	})
}

// TestBuildRequests checks build and chainBuild's validation and the tasks
// they create.
func TestBuildRequests(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newBuildWorld(t, db)
		callKw(t, w.admin, "createTag", []any{"locked"}, nil)
		callKw(t, w.admin, "editTag2", []any{"locked"}, map[string]any{"locked": true})
		call(t, w.admin, "createBuildTarget", "locked-candidate", "f40-build", "locked")
		src := w.cliUpload(t, w.admin, "gk-arch-1.0-1.src.rpm")
		scm := "git+https://example.com/gk-arch.git#abc123"
		for _, tc := range []struct {
			name   string
			method string
			args   []any
			kw     map[string]any
			code   int
			msg    string
			prio   int64
		}{
			{"srpm", "build", []any{src, "f40-candidate", map[string]any{}}, nil, 0, "", 20},
			{"scm", "build", []any{scm, "f40-candidate", nil}, nil, 0, "", 20},
			{"priority", "build", []any{scm, "f40-candidate"}, map[string]any{"priority": int64(5)}, 0, "", 25},
			{"admin high priority", "build", []any{scm, "f40-candidate"}, map[string]any{"priority": int64(-5)}, 0, "", 15},
			{"channel", "build", []any{scm, "f40-candidate"}, map[string]any{"channel": "createrepo"}, 0, "", 20},
			{"locked scratch", "build", []any{src, "locked-candidate", map[string]any{"scratch": true}}, nil, 0, "", 20},
			{"no target", "build", []any{src, "nope"}, nil, hub.CodeGeneric, "unknown build target: nope", 0},
			{"locked", "build", []any{src, "locked-candidate"}, nil, hub.CodeBuild, "Destination tag locked is locked", 0},
			{"missing srpm", "build", []any{"cli-build/x/nope.src.rpm", "f40-candidate"}, nil, hub.CodeGeneric, "No such file", 0},
			{"escaping srpm", "build", []any{"../../etc/passwd", "f40-candidate"}, nil, hub.CodeGeneric, "Invalid build source", 0},
			{"bad channel", "build", []any{scm, "f40-candidate"}, map[string]any{"channel": "nope"}, hub.CodeGeneric, "No such channel", 0},
			{"bad opts", "build", []any{scm, "f40-candidate", "x"}, nil, hub.CodeParameter, "expected type <class 'dict'>", 0},
			{"chain", "chainBuild", []any{[]any{[]any{scm}, []any{"gk-noarch-1.0-1"}}, "f40-candidate"}, nil, 0, "", 20},
			{"chain bad", "chainBuild", []any{[]any{"x"}, "f40-candidate"}, nil, hub.CodeParameter, "list of non-empty lists", 0},
			{"chain srpm", "chainBuild", []any{[]any{[]any{"x.src.rpm"}}, "f40-candidate"}, nil, hub.CodeGeneric, "chain builds take SCM URLs and NVRs", 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.code != 0 {
					w.bad(t, w.admin, tc.code, tc.msg, tc.method, xmlrpc.WithKwargs(tc.args, tc.kw)...)
					return
				}
				id := callKw(t, w.admin, tc.method, tc.args, tc.kw).(int64)
				info := callKw(t, w.admin, "getTaskInfo", []any{id}, map[string]any{"request": true}).(map[string]any)
				want := append([]any(nil), tc.args...)
				for len(want) < 3 {
					want = append(want, nil)
				}
				if want[2] == nil {
					want[2] = map[string]any{}
				}
				method := map[string]string{"build": "build", "chainBuild": "chainbuild"}[tc.method]
				if info["method"] != method || info["priority"] != tc.prio || !reflect.DeepEqual(info["request"], want) {
					t.Errorf("task = %v, want request %v", info, want)
				}
				call(t, w.admin, "cancelTask", id)
			})
		}
		// A user without admin: scratch builds of uploads, SCM builds, but
		// not a real build of an upload, nor a high priority.
		alice := loginNew(t, w, "alice")
		asrc := w.cliUpload(t, alice, "gk-arch-1.0-1.src.rpm")
		// Koji's hub takes alice's build of her upload; the build_from_srpm
		// policy stops it when it starts (host.initBuild).
		refused := call(t, alice, "build", asrc, "f40-candidate").(int64)
		if got := call(t, w.host, "host.getTask").(map[string]any); got["id"] != refused {
			t.Fatalf("host.getTask = %v, want %d", got["id"], refused)
		}
		call(t, w.host, "host.openTask", refused)
		w.bad(t, w.host, hub.CodeActionNotAllowed, "policy violation (build_from_srpm): Only admin can do this via default policy",
			"host.initBuild", map[string]any{"name": "gk-arch", "version": "1.0", "release": "1", "epoch": nil, "task_id": refused})
		call(t, alice, "cancelTask", refused)
		w.bad(t, alice, hub.CodeActionNotAllowed, "only admins may create high-priority tasks", "build", xmlrpc.WithKwargs([]any{scm, "f40-candidate"}, map[string]any{"priority": int64(-1)})...)
		w.bad(t, alice, hub.CodeActionNotAllowed, "policy violation (build_from_repo_id)", "build", scm, "f40-candidate", map[string]any{"repo_id": w.repoID})
		w.bad(t, w.h.Client(), hub.CodeActionNotAllowed, "must be logged in", "build", scm, "f40-candidate")
		id := call(t, alice, "build", asrc, "f40-candidate", map[string]any{"scratch": true}).(int64)
		if info := call(t, w.admin, "getTaskInfo", id).(map[string]any); info["owner"] == int64(1) {
			t.Errorf("alice's task is owned by %v", info["owner"])
		}
		call(t, alice, "build", scm, "f40-candidate")
	})
}

// loginNew creates a user with a password and logs in.
func loginNew(t *testing.T, w *buildWorld, name string) *xmlrpc.Client {
	t.Helper()
	callKw(t, w.admin, "createUser", []any{name}, map[string]any{"password": "pw-" + name})
	return w.h.Login(t, name, "pw-"+name)
}

// TestScratchBuild: a scratch build's files go to scratch/<owner>/task_<id>/
// and nothing is imported.
func TestScratchBuild(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newBuildWorld(t, db)
		src := w.cliUpload(t, w.admin, "gk-arch-1.0-1.src.rpm")
		parent := call(t, w.admin, "build", src, "f40-candidate", map[string]any{"scratch": true}).(int64)
		call(t, w.host, "host.getTask")
		call(t, w.host, "host.openTask", parent)
		dir := taskDir(parent)
		w.upload(t, w.host, dir, "gk-arch-1.0-1.src.rpm", w.rpms["gk-arch-1.0-1.src.rpm"])
		w.upload(t, w.host, dir, w.archRPM, w.rpms[w.archRPM])
		w.upload(t, w.host, dir, "build.log", []byte("log\n"))
		logs := map[string]any{"logs": map[string]any{w.arch: []any{dir + "/build.log"}}}
		w.bad(t, w.host, hub.CodeGeneric, "Invalid file path", "host.moveBuildToScratch",
			xmlrpc.WithKwargs([]any{parent, dir + "/../x.src.rpm", []any{}}, logs)...)
		w.bad(t, w.host, hub.CodeActionNotAllowed, "is not in the work folder", "host.moveBuildToScratch",
			xmlrpc.WithKwargs([]any{parent, src, []any{}}, logs)...)
		w.bad(t, w.other, hub.CodeActionNotAllowed, "does not own task", "host.moveBuildToScratch",
			xmlrpc.WithKwargs([]any{parent, dir + "/gk-arch-1.0-1.src.rpm", []any{}}, logs)...)
		call(t, w.host, "host.moveBuildToScratch", xmlrpc.WithKwargs([]any{parent, dir + "/gk-arch-1.0-1.src.rpm", []any{dir + "/" + w.archRPM}}, logs)...)
		got := treeFiles(t, filepath.Join(w.h.TopDir, "scratch"))
		want := []string{"kojiadmin/task_" + fmt.Sprint(parent) + "/gk-arch-1.0-1.src.rpm", "kojiadmin/task_" + fmt.Sprint(parent) + "/" + w.archRPM,
			"kojiadmin/task_" + fmt.Sprint(parent) + "/logs/" + w.arch + "/build.log"}
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("scratch/ holds %v, want %v", got, want)
		}
		if n := callKw(t, w.admin, "listBuilds", nil, map[string]any{"queryOpts": map[string]any{"countOnly": true}}); n != int64(0) {
			t.Errorf("a scratch build made %v builds", n)
		}
		code, body := get(t, fmt.Sprintf("%s/kojifiles/scratch/kojiadmin/task_%d/%s", w.h.Base, parent, w.archRPM))
		if code != 200 || !bytes.Equal(body, w.rpms[w.archRPM]) {
			t.Errorf("download scratch rpm: HTTP %d", code)
		}
	})
}
