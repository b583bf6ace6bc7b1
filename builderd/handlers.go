package builderd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/builderd/buildroot"
	"github.com/gokoji/gokoji/builderd/scm"
	"github.com/gokoji/gokoji/builderd/taskdir"
	"github.com/gokoji/gokoji/hub/rpmhdr"
)

// Handlers are the task methods this daemon runs, with Koji's request
// formats and results (koji-protocol §8.5).
func Handlers(backend buildroot.Backend) map[string]Handler {
	return map[string]Handler{
		"build":            &buildHandler{},
		"buildArch":        &buildArchHandler{backend: backend},
		"rebuildSRPM":      &srpmHandler{backend: backend},
		"buildSRPMFromSCM": &srpmHandler{backend: backend, fromSCM: true},
		"waitrepo":         &waitRepoHandler{},
		"chainbuild":       &chainBuildHandler{},
		"restartHosts":     &restartHostsHandler{},
		"restart":          &restartHandler{},
		"restartVerify":    &restartVerifyHandler{},
	}
}

// BuildError marks a failure of the package being built (Koji's 1005).
func buildError(format string, args ...any) error {
	return &TaskError{Code: 1005, Msg: fmt.Sprintf(format, args...)}
}

func strArg(p []any, i int) string {
	if i < len(p) {
		s, _ := p[i].(string)
		return s
	}
	return ""
}

func intArg(p []any, i int) int64 {
	if i < len(p) {
		n, _ := p[i].(int64)
		return n
	}
	return 0
}

func mapArg(p []any, i int) map[string]any {
	if i < len(p) {
		m, _ := p[i].(map[string]any)
		if m != nil {
			return m
		}
	}
	return map[string]any{}
}

// download fetches work/<rel> (or any topdir path) from the hub's file tree.
func (d *Daemon) download(ctx context.Context, rel, dest string) error {
	url := strings.TrimRight(d.Config.TopURL, "/") + "/" + strings.TrimLeft(rel, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: HTTP %s", url, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	f, err := os.Create(dest)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("download %s: %w", url, err)
	}
	return f.Close()
}

// upload sends a local file into the task's folder and returns its
// work-relative path.
func (d *Daemon) upload(ctx context.Context, t *Task, local string) (string, error) {
	data, err := os.ReadFile(local)
	if err != nil {
		return "", err
	}
	name := filepath.Base(local)
	const chunk = 1 << 20
	for off := 0; off == 0 || off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		if err := d.Hub.UploadAt(ctx, t.Uploads, name, int64(off), data[off:end]); err != nil {
			return "", fmt.Errorf("upload %s: %w", name, err)
		}
		if len(data) == 0 {
			break
		}
	}
	return path.Join(t.Uploads, name), nil
}

// prepare makes the task's directory and logs, and streams them. What an
// earlier run of the task left is removed first, its mounts detached
// (a killed mock's), so the backend gets a clean directory.
func (d *Daemon) prepare(t *Task) (*buildroot.Job, func(), error) {
	unmounted, err := taskdir.RemoveTree(t.Dir)
	d.logUnmounted(t, unmounted)
	if err != nil {
		return nil, nil, fmt.Errorf("clean the task directory: %w", err)
	}
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return nil, nil, err
	}
	logs, err := buildroot.OpenLogs(filepath.Join(t.Dir, "logs"))
	if err != nil {
		return nil, nil, err
	}
	stop := d.streamLogs(context.Background(), t, logs.Dir, buildroot.LogNames)
	done := func() {
		stop()
		logs.Close()
		// The directory outlives the task, so what a build killed in it
		// (cancel, timeout) left mounted must go now, not at the next
		// rerun or restart: until then anyone removing the directory
		// would delete through the mounts.
		unmounted, err := taskdir.Unmount(t.Dir)
		d.logUnmounted(t, unmounted)
		if err != nil {
			d.Log.WithError(err).WithField("task", t.ID).Error("cannot detach the mounts in the task directory")
		}
	}
	return &buildroot.Job{Dir: t.Dir, Logs: logs}, done, nil
}

func (d *Daemon) logUnmounted(t *Task, mounts []string) {
	if len(mounts) > 0 {
		d.Log.WithFields(logrus.Fields{"task": t.ID, "mounts": mounts}).
			Warn("detached mounts a killed build left in the task directory")
	}
}

func logPaths(t *Task) []any {
	out := make([]any, len(buildroot.LogNames))
	for i, n := range buildroot.LogNames {
		out[i] = path.Join(t.Uploads, n)
	}
	return out
}

// asBuildFailure turns a backend's BuildError into a BuildError fault.
func asBuildFailure(err error) error {
	var be *buildroot.BuildError
	if errors.As(err, &be) {
		return buildError("%s", be.Msg)
	}
	return err
}

// subtasks creates children (idempotent by label, so a restarted parent
// finds the ones it made before) and waits for them all.
func (d *Daemon) subtasks(ctx context.Context, t *Task, kids []subtaskSpec) ([]any, error) {
	ids, err := d.makeSubtasks(ctx, t, kids)
	if err != nil {
		return nil, err
	}
	return d.waitSubtasks(ctx, t, ids, 0)
}

// makeSubtasks creates children (idempotent by label) without waiting.
func (d *Daemon) makeSubtasks(ctx context.Context, t *Task, kids []subtaskSpec) ([]any, error) {
	ids := make([]any, 0, len(kids))
	for _, k := range kids {
		kw := map[string]any{"method": k.method, "arglist": k.args, "parent": t.ID, "label": k.label}
		if k.arch != "" {
			kw["arch"] = k.arch
		}
		if k.assign != nil {
			kw["assign"] = k.assign
		}
		id, err := d.Hub.CallKw(ctx, "host.subtask", nil, kw)
		if err != nil {
			return nil, fmt.Errorf("host.subtask %s: %w", k.method, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// waitSubtasks waits for all of ids and returns their results; a failed
// child fails the parent with the child's fault. With a timeout, children
// still running after it are canceled and the wait fails, as Koji's.
func (d *Daemon) waitSubtasks(ctx context.Context, t *Task, ids []any, timeout time.Duration) ([]any, error) {
	if _, err := d.Hub.Call(ctx, "host.taskSetWait", t.ID, ids); err != nil {
		return nil, fmt.Errorf("host.taskSetWait: %w", err)
	}
	d.setWaiting(t.ID, true)
	defer d.setWaiting(t.ID, false)
	d.kick() // the children may be ours to run
	start := time.Now()
	wait := 50 * time.Millisecond
	for {
		res, err := d.Hub.Call(ctx, "host.taskWait", t.ID)
		if err != nil {
			return nil, fmt.Errorf("host.taskWait: %w", err)
		}
		pair, _ := res.([]any)
		if len(pair) == 2 && len(asList(pair[1])) == 0 {
			break
		}
		if pending, _ := d.restarting(); pending {
			// A restart waits for the running tasks but takes no new
			// ones, so children that would run here never could. Free
			// this task: it runs again after the restart and finds its
			// subtasks again by label.
			return nil, errFreeTask
		}
		if took := time.Since(start); timeout > 0 && took > timeout {
			if _, err := d.Hub.Call(ctx, "cancelTaskChildren", t.ID); err != nil {
				d.Log.WithError(err).WithField("task", t.ID).Warn("cannot cancel the subtasks that timed out")
			}
			return nil, &TaskError{Code: 1000, Msg: fmt.Sprintf("Subtasks timed out after %.1f seconds", took.Seconds())}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second) // quick for short children, light for long ones
	}
	res, err := d.Hub.Call(ctx, "host.taskWaitResults", t.ID, ids)
	if err != nil {
		return nil, err // a failed child fails the parent with the child's fault
	}
	out := make([]any, 0, len(ids))
	for _, p := range asList(res) {
		if pr := asList(p); len(pr) == 2 {
			out = append(out, pr[1])
		}
	}
	return out, nil
}

type subtaskSpec struct {
	method, label, arch string
	args                []any
	assign              any // a host id: the subtask is ASSIGNED to it
}

// waitRepo waits for a READY repo of the tag that is current as of now,
// asking the hub for one (Koji 1.35's repo requests).
func (d *Daemon) waitRepo(ctx context.Context, tag any) (map[string]any, error) {
	res, err := d.Hub.CallKw(ctx, "repo.request", []any{tag}, map[string]any{"min_event": nil})
	if err != nil {
		return nil, fmt.Errorf("repo.request: %w", err)
	}
	for {
		m, _ := res.(map[string]any)
		if repo, ok := m["repo"].(map[string]any); ok && repo != nil {
			return repo, nil
		}
		req, _ := m["request"].(map[string]any)
		if req == nil {
			return nil, fmt.Errorf("repo.request answered neither a repo nor a request")
		}
		if active, _ := req["active"].(bool); !active && req["repo_id"] == nil {
			return nil, buildError("repo request %v for tag %v was given up", req["id"], tag)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
		if res, err = d.Hub.Call(ctx, "repo.checkRequest", req["id"]); err != nil {
			return nil, fmt.Errorf("repo.checkRequest: %w", err)
		}
	}
}

type waitRepoHandler struct{}

func (*waitRepoHandler) Weight() float64 { return 0.2 }

// Run implements waitrepo(tag, newer_than=None, nvrs=None, min_event=None).
func (*waitRepoHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	return d.waitRepo(ctx, t.Params[0])
}

type srpmHandler struct {
	backend buildroot.Backend
	fromSCM bool
}

func (*srpmHandler) Weight() float64 { return 1.0 }

// Run implements rebuildSRPM(srpm, build_tag, opts) and
// buildSRPMFromSCM(url, build_tag, opts).
func (h *srpmHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	job, done, err := d.prepare(t)
	if err != nil {
		return nil, err
	}
	defer done()
	// A backend that builds the SRPM in a root (mock) makes it from the
	// build tag's repo, as buildArch does.
	if repoID, ok := mapArg(t.Params, 2)["repo_id"].(int64); ok {
		if err := d.useRepo(ctx, job, repoID, buildroot.HostArch()); err != nil {
			return nil, err
		}
	}
	src := strArg(t.Params, 0)
	srcDir := filepath.Join(t.Dir, "sources")
	os.MkdirAll(srcDir, 0o755)
	source := map[string]any{}
	if h.fromSCM {
		s, err := scm.Parse(src)
		if err != nil {
			return nil, buildError("%v", err)
		}
		var log bytes.Buffer
		dir, commit, err := s.Checkout(ctx, srcDir, &log)
		job.Logs.Root.Write(log.Bytes())
		if err != nil {
			return nil, buildError("%v", err)
		}
		srcDir = dir
		source = map[string]any{"source": s.Resolved(commit), "url": src}
	} else {
		local := filepath.Join(t.Dir, filepath.Base(src))
		if err := d.download(ctx, "work/"+src, local); err != nil {
			return nil, err
		}
		// Unpack the SRPM's spec and sources, then build it anew.
		cmd := exec.CommandContext(ctx, "sh", "-c", "rpm2cpio \"$1\" | cpio -idm --quiet", "unpack", local)
		cmd.Dir = srcDir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, buildError("cannot unpack %s: %v: %s", filepath.Base(src), err, out)
		}
		source = map[string]any{"source": filepath.Base(src), "url": filepath.Base(src)}
	}
	srpm, err := h.backend.BuildSRPM(ctx, job, srcDir)
	if err != nil {
		return nil, asBuildFailure(err)
	}
	up, err := d.upload(ctx, t, srpm)
	if err != nil {
		return nil, err
	}
	return map[string]any{"srpm": up, "logs": logPaths(t), "brootid": nil, "source": source}, nil
}

// useRepo gives the job the build tag's repo for arch (noarch builds use
// the host's arch's).
func (d *Daemon) useRepo(ctx context.Context, job *buildroot.Job, repoID int64, arch string) error {
	info, err := d.Hub.Call(ctx, "repoInfo", repoID)
	if err != nil {
		return err
	}
	repo, _ := info.(map[string]any)
	if repo == nil {
		return nil
	}
	if arch == "noarch" {
		arch = buildroot.HostArch()
	}
	job.Tag, _ = repo["tag_name"].(string)
	job.RepoID = repoID
	job.RepoURL = fmt.Sprintf("%s/repos/%s/%d/%s", strings.TrimRight(d.Config.TopURL, "/"), repo["tag_name"], repoID, arch)
	return nil
}

type buildArchHandler struct{ backend buildroot.Backend }

func (*buildArchHandler) Weight() float64 { return 1.5 }

// Run implements buildArch(pkg, root, arch, keep_srpm, opts).
func (h *buildArchHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	pkg, arch := strArg(t.Params, 0), strArg(t.Params, 2)
	keep := len(t.Params) > 3 && t.Params[3] == true
	opts := mapArg(t.Params, 4)
	job, done, err := d.prepare(t)
	if err != nil {
		return nil, err
	}
	defer done()
	var brootID any
	if repoID, ok := opts["repo_id"].(int64); ok {
		if err := d.useRepo(ctx, job, repoID, arch); err != nil {
			return nil, err
		}
		if brootID, err = d.Hub.Call(ctx, "host.newBuildRoot", repoID, arch, t.ID); err != nil {
			return nil, fmt.Errorf("host.newBuildRoot: %w", err)
		}
		job.RootReady = func(ctx context.Context, installed []buildroot.Package) error {
			return d.startBuildroot(ctx, t, job, brootID, installed)
		}
		// Without the task id: a canceled task is no longer this host's
		// to name, yet its buildroot must still be expired (as kojid's
		// updateBuildroots does).
		defer d.Hub.Call(context.Background(), "host.setBuildRootState", brootID, "EXPIRED")
	}
	local := filepath.Join(t.Dir, filepath.Base(pkg))
	if err := d.download(ctx, "work/"+pkg, local); err != nil {
		return nil, err
	}
	res, err := h.backend.Rebuild(ctx, job, local, arch)
	if err != nil {
		return nil, asBuildFailure(err)
	}
	rpms := []any{}
	for _, r := range res.RPMs {
		up, err := d.upload(ctx, t, r)
		if err != nil {
			return nil, err
		}
		rpms = append(rpms, up)
	}
	srpms := []any{}
	if keep {
		up, err := d.upload(ctx, t, local)
		if err != nil {
			return nil, err
		}
		srpms = append(srpms, up)
	}
	return map[string]any{"rpms": rpms, "srpms": srpms, "logs": logPaths(t), "brootid": brootID}, nil
}

// startBuildroot records what the root holds (Koji's setBuildRootList,
// allowed only while the buildroot is INIT) and marks it BUILDING. The
// list is informational: rpms the hub does not know (say, from an external
// repo) are noted in root.log rather than failing the build.
func (d *Daemon) startBuildroot(ctx context.Context, t *Task, job *buildroot.Job, brootID any, installed []buildroot.Package) error {
	list := make([]any, 0, len(installed))
	for _, p := range installed {
		var epoch any
		if p.Epoch != nil {
			epoch = *p.Epoch
		}
		list = append(list, map[string]any{"name": p.Name, "version": p.Version, "release": p.Release, "epoch": epoch, "arch": p.Arch})
	}
	if _, err := d.Hub.Call(ctx, "host.setBuildRootList", brootID, list, t.ID); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(job.Logs.Root, "buildroot %v: contents not recorded: %v\n", brootID, err)
	}
	if _, err := d.Hub.Call(ctx, "host.setBuildRootState", brootID, "BUILDING", t.ID); err != nil {
		return fmt.Errorf("host.setBuildRootState: %w", err)
	}
	return nil
}

type buildHandler struct{}

func (*buildHandler) Weight() float64 { return 0.2 }

// Run implements build(src, target, opts): SRPM subtask, initBuild, one
// buildArch per arch, completeBuild (or moveBuildToScratch), tagBuild.
func (h *buildHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	src, target := strArg(t.Params, 0), t.Params[1]
	opts := mapArg(t.Params, 2)
	scratch := opts["scratch"] == true
	tgt, err := d.Hub.CallKw(ctx, "getBuildTarget", []any{target}, map[string]any{"strict": true})
	if err != nil {
		return nil, err
	}
	tm := tgt.(map[string]any)
	buildTag, destTag := tm["build_tag"], tm["dest_tag"]
	repo, err := d.waitRepo(ctx, buildTag)
	if err != nil {
		return nil, err
	}
	repoOpts := map[string]any{"repo_id": repo["id"]}
	if scratch {
		repoOpts["scratch"] = true
	}
	method := "rebuildSRPM"
	if scm.IsSCM(src) {
		method = "buildSRPMFromSCM"
	}
	res, err := d.subtasks(ctx, t, []subtaskSpec{{method: method, label: "srpm", args: []any{src, buildTag, repoOpts}}})
	if err != nil {
		return nil, err
	}
	srpmRes, _ := res[0].(map[string]any)
	srpm, _ := srpmRes["srpm"].(string)
	local := filepath.Join(d.Config.WorkDir, fmt.Sprintf("task-%d", t.ID), filepath.Base(srpm))
	if err := d.download(ctx, "work/"+srpm, local); err != nil {
		return nil, err
	}
	hdr, err := rpmhdr.Open(local)
	if err != nil {
		return nil, buildError("cannot read %s: %v", filepath.Base(srpm), err)
	}
	// As kojid does: a build that will be tagged needs its package on the
	// destination tag's list (not blocked), checked before a build record
	// is made, at the event of the repo it builds against.
	if !scratch && opts["skip_tag"] != true {
		cfg, err := d.Hub.CallKw(ctx, "getPackageConfig", []any{destTag, hdr.Name()}, map[string]any{"event": repo["create_event"]})
		if err != nil {
			return nil, err
		}
		pc, _ := cfg.(map[string]any)
		switch {
		case pc == nil:
			return nil, buildError("package %s not in list for tag %s", hdr.Name(), tm["dest_tag_name"])
		case pc["blocked"] == true:
			return nil, buildError("package %s is blocked for tag %s", hdr.Name(), tm["dest_tag_name"])
		}
	}
	arches, err := buildArches(ctx, d, hdr, buildTag)
	if err != nil {
		return nil, err
	}
	var buildID any
	if !scratch {
		data := map[string]any{"name": hdr.Name(), "version": hdr.Version(), "release": hdr.Release(),
			"epoch": nil, "task_id": t.ID}
		// As Koji records it: the resolved source, and the URL as given.
		if s, ok := srpmRes["source"].(map[string]any); ok {
			data["source"] = s["source"]
			data["extra"] = map[string]any{"source": map[string]any{"original_url": s["url"]}}
		}
		if e := hdr.Epoch(); e != nil {
			data["epoch"] = *e
		}
		if buildID, err = d.Hub.Call(ctx, "host.initBuild", data); err != nil {
			return nil, err
		}
	}
	fail := func(err error) (any, error) {
		if buildID != nil {
			d.Hub.Call(context.Background(), "host.failBuild", t.ID, buildID)
		}
		return nil, err
	}
	var kids []subtaskSpec
	for i, a := range arches {
		kids = append(kids, subtaskSpec{method: "buildArch", label: a, arch: a,
			args: []any{srpm, buildTag, a, i == 0, map[string]any{"repo_id": repo["id"]}}})
	}
	results, err := d.subtasks(ctx, t, kids)
	if err != nil {
		return fail(err)
	}
	var rpms, logs []any
	brmap := map[string]any{}
	keptSRPM := srpm
	for _, r := range results {
		m, _ := r.(map[string]any)
		for _, p := range asList(m["rpms"]) {
			rpms = append(rpms, p)
			if s, ok := p.(string); ok && m["brootid"] != nil {
				brmap[s] = m["brootid"]
			}
		}
		for _, p := range asList(m["srpms"]) {
			keptSRPM, _ = p.(string)
			if m["brootid"] != nil {
				brmap[keptSRPM] = m["brootid"]
			}
		}
		logs = append(logs, asList(m["logs"])...)
	}
	if scratch {
		if _, err := d.Hub.Call(ctx, "host.moveBuildToScratch", t.ID, keptSRPM, rpms, map[string]any{"noarch": logs}); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if _, err := d.Hub.Call(ctx, "host.completeBuild", t.ID, buildID, keptSRPM, rpms, brmap, map[string]any{"noarch": logs}); err != nil {
		return fail(err)
	}
	if opts["skip_tag"] != true {
		if _, err := d.subtasks(ctx, t, []subtaskSpec{{method: "tagBuild", label: "tag",
			args: []any{destTag, buildID, false, nil, true}}}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// buildArches are the arches to build for: noarch for noarch-only packages,
// else the build tag's arches allowed by ExclusiveArch and ExcludeArch.
func buildArches(ctx context.Context, d *Daemon, hdr *rpmhdr.RPM, buildTag any) ([]string, error) {
	if v, ok := hdr.Field("buildarchs"); ok {
		if l := fieldStrings(v); len(l) == 1 && l[0] == "noarch" {
			return []string{"noarch"}, nil
		}
	}
	cfg, err := d.Hub.Call(ctx, "getBuildConfig", buildTag)
	if err != nil {
		return nil, err
	}
	tagArches, _ := cfg.(map[string]any)["arches"].(string)
	var excl, exclude []string
	if v, ok := hdr.Field("exclusivearch"); ok {
		excl = fieldStrings(v)
	}
	if v, ok := hdr.Field("excludearch"); ok {
		exclude = fieldStrings(v)
	}
	var out []string
	for _, a := range strings.Fields(tagArches) {
		if a == "noarch" || a == "src" || contains(exclude, a) || (len(excl) > 0 && !contains(excl, a)) {
			continue
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, buildError("no arch of build tag %v (%s) is allowed for %s", buildTag, tagArches, hdr.Name())
	}
	return out, nil
}

func fieldStrings(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case string:
		return strings.Fields(x)
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

type chainBuildHandler struct{}

func (*chainBuildHandler) Weight() float64 { return 0.1 }

// Run implements chainbuild(srcs, target, opts): each group of sources is
// built in parallel (a build subtask per SCM URL; an N-V-R names a build
// that must already exist), and before the next group starts the build
// tag's repo must be current, so later builds can BuildRequire earlier ones.
func (*chainBuildHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	groups := asList(t.Params[0])
	target := t.Params[1]
	opts := mapArg(t.Params, 2)
	tgt, err := d.Hub.CallKw(ctx, "getBuildTarget", []any{target}, map[string]any{"strict": true})
	if err != nil {
		return nil, err
	}
	buildTag := tgt.(map[string]any)["build_tag"]
	for i, g := range groups {
		var kids []subtaskSpec
		for j, raw := range asList(g) {
			src, _ := raw.(string)
			if !scm.IsSCM(src) {
				b, err := d.Hub.CallKw(ctx, "getBuild", []any{src}, map[string]any{"strict": true})
				if err != nil {
					return nil, buildError("chain build: %s is neither an SCM URL nor an existing build: %v", src, err)
				}
				if st, _ := b.(map[string]any)["state"].(int64); st != 1 {
					return nil, buildError("chain build: build %s is not complete", src)
				}
				continue
			}
			kids = append(kids, subtaskSpec{method: "build", label: fmt.Sprintf("%d-%d", i, j), args: []any{src, target, opts}})
		}
		if len(kids) > 0 {
			if _, err := d.subtasks(ctx, t, kids); err != nil {
				return nil, err
			}
		}
		if i < len(groups)-1 {
			// The group's builds are tagged; wait for a repo that has them.
			if _, err := d.waitRepo(ctx, buildTag); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}
