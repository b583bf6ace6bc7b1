package api

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/files"
	"github.com/gokoji/gokoji/hub/store"
)

// Build tasks: the client calls that start them (build, chainBuild) and the
// host calls a build task makes to record its build (host.initBuild,
// host.completeBuild, host.failBuild, host.moveBuildToScratch).
func buildTaskMethods() []Method {
	h := Access{Host: true}
	return []Method{
		{Name: "build", Params: []Param{P("src"), P("target"), Opt("opts", nil), Opt("priority", nil), Opt("channel", nil)},
			Access: loggedIn, Writes: true,
			Doc: "Start a build task of src (an SCM URL, or an uploaded SRPM's path under work/) for a build target; " +
				"priority is relative to the default (negative: admins only). Returns the task id.",
			Handler: buildTask},
		{Name: "chainBuild", Params: []Param{P("srcs"), P("target"), Opt("opts", nil), Opt("priority", nil), Opt("channel", nil)},
			Access: loggedIn, Writes: true,
			Doc:     "Start a chainbuild task: srcs is a list of groups (lists of SCM URLs or NVRs), each built after the previous one is in a repo. Returns the task id.",
			Handler: chainBuildTask},
		{Name: "host.initBuild", Params: []Param{P("data")}, Access: h, Writes: true,
			Doc: "Create a BUILDING build for one of the host's OPEN tasks ({name, version, release, epoch, task_id, source?, extra?}), " +
				"owned by the task's owner; a FAILED or CANCELED build of the NVR is reused. A non-scratch build task from an uploaded SRPM " +
				"must pass the build_from_srpm policy (admins only by default). Returns the build id.",
			Handler: hostInitBuild},
		{Name: "host.completeBuild", Params: []Param{P("task_id"), P("build_id"), P("srpm"), P("rpms"), Opt("brmap", nil), Opt("logs", nil)},
			Access: h, Writes: true,
			Doc: "Import a BUILDING build's rpms and logs (paths under work/ in the folders of the task and its subtasks) and make it COMPLETE; " +
				"the files move to packages/ when the call commits. Returns the build.",
			Handler: hostCompleteBuild},
		{Name: "host.failBuild", Params: []Param{P("task_id"), P("build_id")}, Access: h, Writes: true,
			Doc: "Mark a BUILDING build of the task FAILED.", Handler: hostFailBuild},
		{Name: "host.moveBuildToScratch", Params: []Param{P("task_id"), P("srpm"), P("rpms"), Opt("logs", nil)}, Access: h, Writes: true,
			Doc:     "Move a scratch build's files from the task's folders to scratch/<owner>/task_<task_id>/ (logs under logs/<arch>/); nothing is imported.",
			Handler: hostMoveBuildToScratch},
	}
}

// isSCMURL: Koji's CLI and builder treat any src with "://" as an SCM URL.
func isSCMURL(src string) bool { return strings.Contains(src, "://") }

// taskPriority is Koji's priority rule for client-created build tasks.
func taskPriority(ctx context.Context, c *Call) (*int64, error) {
	v := c.Args.Value("priority")
	if !truthy(v) {
		return nil, nil
	}
	p, err := intOf(v)
	if err != nil {
		return nil, err
	}
	if p < 0 {
		if ok, err := c.HasPerm(ctx, "admin"); err != nil {
			return nil, err
		} else if !ok {
			return nil, hub.NotAllowed("only admins may create high-priority tasks")
		}
	}
	p += hub.PriorityDefault
	return &p, nil
}

// buildTarget resolves a build request's target and refuses a locked
// destination tag unless the build is a scratch build (as the CLI and the
// builder would, only sooner).
func buildTarget(ctx context.Context, c *Call, target any, opts map[string]any) error {
	if target == nil {
		if _, ok := toInt(opts["repo_id"]); !ok {
			return hub.GenericError("unknown build target: None (give a target, or opts.repo_id)")
		}
		return nil
	}
	ts, err := findTargets(ctx, c, target, nil)
	if err != nil {
		return err
	}
	if len(ts) != 1 {
		if _, ok := toInt(opts["repo_id"]); ok {
			// With a repo, the builder takes target as the destination tag.
			tag, err := getTagAt(ctx, c, target, nil, false)
			if err != nil {
				return err
			}
			if tag == nil {
				return hub.GenericError("neither tag nor target: %v", target)
			}
			return checkDestTag(tag, opts)
		}
		return hub.GenericError("unknown build target: %v", target)
	}
	tag, err := getTagAt(ctx, c, ts[0].DestTag, nil, true)
	if err != nil {
		return err
	}
	return checkDestTag(tag, opts)
}

func checkDestTag(tag *store.Tag, opts map[string]any) error {
	if tag.Locked && !truthy(opts["scratch"]) {
		return hub.Errorf(hub.CodeBuild, "Destination tag %s is locked", tag.Name)
	}
	return nil
}

// checkBuildSource checks one build source: an SCM URL, or an uploaded SRPM
// that exists under work/.
func checkBuildSource(c *Call, src string) error {
	if isSCMURL(src) {
		return nil
	}
	dir, base := path.Split(src)
	fn, err := c.d.Files.UploadPath(strings.TrimSuffix(dir, "/"), base)
	if err != nil {
		return hub.GenericError("Invalid build source: %s", src)
	}
	if st, err := os.Lstat(fn); err != nil || !st.Mode().IsRegular() {
		return hub.GenericError("No such file: %s", path.Join("work", src))
	}
	// The build_from_srpm policy is checked when the build starts
	// (host.initBuild), not here: Koji's hub accepts the task and its
	// builder refuses it, and clients see exactly that.
	return nil
}

// checkSRPMPolicy is the build_from_srpm rule for a build task's build:
// a non-scratch build from an uploaded SRPM needs the policy's consent
// for the task's owner (by default, admins only). Koji's builder asks with
// host.assertPolicy; the hub checks again in host.initBuild, so a builder
// that skips the question cannot get around the rule.
func checkSRPMPolicy(ctx context.Context, c *Call, t *store.Task) error {
	if t.Method != "build" || t.Request == nil {
		return nil
	}
	params, err := decodeRequest(*t.Request)
	if err != nil || len(params) == 0 {
		return err
	}
	src, _ := params[0].(string)
	var opts map[string]any
	if len(params) > 2 {
		opts, _ = params[2].(map[string]any)
	}
	if src == "" || isSCMURL(src) || truthy(opts["scratch"]) {
		return nil
	}
	return assertPolicy(ctx, c, "build_from_srpm", map[string]any{"user_id": t.Owner, "source": src, "task_id": t.ID})
}

// assertPolicy fails with ActionNotAllowed when a built-in policy denies.
func assertPolicy(ctx context.Context, c *Call, name string, data map[string]any) error {
	ok, reason, err := checkPolicy(ctx, c, name, data)
	if err != nil || ok {
		return err
	}
	msg := "policy violation (" + name + ")"
	if reason != "" {
		msg += ": " + reason
	}
	return hub.NotAllowed("%s", msg)
}

// buildOpts reads a build request's opts (None → {}).
func buildOpts(ctx context.Context, c *Call) (map[string]any, error) {
	v := c.Args.Value("opts")
	if !truthy(v) {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'dict'>", v, pyClass(v))
	}
	if _, ok := m["repo_id"]; ok && m["repo_id"] != nil {
		if err := assertPolicy(ctx, c, "build_from_repo_id", nil); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// startBuildTask creates a top-level task with Koji's request [src(s), target, opts].
func startBuildTask(ctx context.Context, c *Call, method string, srcs any, opts map[string]any) (any, error) {
	prio, err := taskPriority(ctx, c)
	if err != nil {
		return nil, err
	}
	o := taskOpts{Priority: prio}
	if ch := c.Args.Value("channel"); truthy(ch) {
		o.Channel = ch
	}
	// The stored request is exactly what the client sent: None stays None.
	var reqOpts any = c.Args.Value("opts")
	if reqOpts == nil {
		reqOpts = opts
	}
	return createTask(ctx, c, method, []any{srcs, c.Args.Value("target"), reqOpts}, o)
}

func buildTask(ctx context.Context, c *Call) (any, error) {
	src, ok := c.Args.Value("src").(string)
	if !ok {
		return nil, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'str'>", c.Args.Value("src"), pyClass(c.Args.Value("src")))
	}
	opts, err := buildOpts(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := buildTarget(ctx, c, c.Args.Value("target"), opts); err != nil {
		return nil, err
	}
	if err := checkBuildSource(c, src); err != nil {
		return nil, err
	}
	return startBuildTask(ctx, c, "build", src, opts)
}

func chainBuildTask(ctx context.Context, c *Call) (any, error) {
	srcs, ok := c.Args.Value("srcs").([]any)
	if !ok {
		return nil, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'list'>", c.Args.Value("srcs"), pyClass(c.Args.Value("srcs")))
	}
	opts, err := buildOpts(ctx, c)
	if err != nil {
		return nil, err
	}
	if c.Args.Value("target") == nil {
		return nil, hub.GenericError("chain builds need a build target")
	}
	if err := buildTarget(ctx, c, c.Args.Value("target"), opts); err != nil {
		return nil, err
	}
	if len(srcs) == 0 {
		return nil, hub.GenericError("empty chain build")
	}
	for _, g := range srcs {
		group, ok := g.([]any)
		if !ok || len(group) == 0 {
			return nil, hub.ParameterError("chainBuild srcs must be a list of non-empty lists, not %s", pyRepr(c.Args.Value("srcs")))
		}
		for _, s := range group {
			src, ok := s.(string)
			if !ok {
				return nil, hub.ParameterError("chainBuild sources must be strings, not %s", pyClass(s))
			}
			// The builder takes SCM URLs and NVRs of existing builds.
			if isSCMURL(src) {
				continue
			}
			if _, err := hub.ParseNVR(src); err != nil {
				return nil, hub.GenericError("chain builds take SCM URLs and NVRs, not %s", src)
			}
		}
	}
	return startBuildTask(ctx, c, "chainbuild", srcs, opts)
}

// ---- host calls ----

func hostInitBuild(ctx context.Context, c *Call) (any, error) {
	data := c.Args.Map("data")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if data == nil {
		return nil, hub.ParameterError("host.initBuild: data must be a struct")
	}
	taskID, ok := toInt(data["task_id"])
	if !ok {
		return nil, hub.GenericError("host.initBuild: data needs the task_id")
	}
	t, err := ownedOpenTask(ctx, c, taskID)
	if err != nil {
		return nil, err
	}
	if t, err = store.GetTask(ctx, c.Tx, taskID, true); err != nil {
		return nil, err
	}
	if err := checkSRPMPolicy(ctx, c, t); err != nil {
		return nil, err
	}
	if truthy(data["draft"]) {
		return nil, hub.GenericError("draft builds are not supported by this hub")
	}
	str := func(k string) (string, error) {
		if _, ok := data[k]; !ok {
			return "", hub.GenericError("No %s value for build", k)
		}
		s, ok := data[k].(string)
		if !ok {
			return "", hub.GenericError("Invalid build %s: %s", k, pyRepr(data[k]))
		}
		return s, nil
	}
	d := buildData{state: hub.BuildBuilding, owner: t.Owner, taskID: &taskID}
	if d.name, err = str("name"); err != nil {
		return nil, err
	}
	if d.version, err = str("version"); err != nil {
		return nil, err
	}
	if d.release, err = str("release"); err != nil {
		return nil, err
	}
	ep, ok := data["epoch"]
	if !ok {
		return nil, hub.GenericError("No epoch value for build")
	}
	if ep != nil {
		n, ok := toInt(ep)
		if !ok {
			return nil, hub.GenericError("Invalid build epoch: %s", pyRepr(ep))
		}
		d.epoch = &n
	}
	if s, ok := data["source"].(string); ok {
		d.source = &s
	}
	if x, ok := data["extra"]; ok && x != nil {
		b, err := json.Marshal(x)
		if err != nil {
			return nil, hub.GenericError("No such build extra data: %s", pyRepr(x))
		}
		s := string(b)
		d.extra = &s
	}
	now := c.d.Now().UnixMicro()
	d.startUS = &now
	return newBuild(ctx, c, d)
}

// taskFiles resolves work-relative output paths of a task: each must be a
// plain file in the work folder of the task or one of its subtasks,
// tasks/<id%10000>/<id>/…, with no "..", no absolute path and no symlink.
type taskFiles struct {
	c       *Call
	taskID  int64
	allowed map[int64]bool
}

func newTaskFiles(ctx context.Context, c *Call, taskID int64) (*taskFiles, error) {
	kids, err := store.Descendants(ctx, c.Tx, taskID)
	if err != nil {
		return nil, err
	}
	tf := &taskFiles{c: c, taskID: taskID, allowed: map[int64]bool{taskID: true}}
	for _, k := range kids {
		tf.allowed[k.ID] = true
	}
	return tf, nil
}

func (tf *taskFiles) resolve(v any) (string, error) {
	rel, ok := v.(string)
	if !ok {
		return "", hub.ParameterError("file paths must be strings, not %s", pyClass(v))
	}
	bad := rel == "" || strings.HasPrefix(rel, "/") || strings.Contains(rel, "\x00")
	for _, part := range strings.Split(rel, "/") {
		if part == ".." || part == "." || part == "" {
			bad = true
		}
	}
	if bad {
		return "", hub.GenericError("Invalid file path: %s", rel)
	}
	parts := strings.Split(rel, "/")
	var id int64 = -1
	if len(parts) >= 4 && parts[0] == "tasks" {
		if n, err := strconv.ParseInt(parts[2], 10, 64); err == nil && parts[1] == strconv.FormatInt(n%10000, 10) {
			id = n
		}
	}
	if id < 0 || !tf.allowed[id] {
		return "", hub.NotAllowed("%s is not in the work folder of task %d or of its subtasks", rel, tf.taskID)
	}
	fn, err := tf.c.d.Files.UploadPath(path.Dir(rel), path.Base(rel))
	if err != nil {
		return "", err
	}
	if st, err := os.Lstat(fn); err != nil || !st.Mode().IsRegular() {
		return "", hub.GenericError("No such file: %s", path.Join("work", rel))
	}
	return fn, nil
}

// resolveList resolves a list of paths.
func (tf *taskFiles) resolveList(v any, what string) ([]string, []string, error) {
	l, ok := v.([]any)
	if !ok {
		return nil, nil, hub.ParameterError("%s must be a list of paths, not %s", what, typeName(v))
	}
	abs := make([]string, 0, len(l))
	rels := make([]string, 0, len(l))
	for _, e := range l {
		fn, err := tf.resolve(e)
		if err != nil {
			return nil, nil, err
		}
		abs = append(abs, fn)
		rels = append(rels, e.(string))
	}
	return abs, rels, nil
}

// logFile is one log to place: its file and its folder ("" or an arch).
type logFile struct {
	fn, dir string
}

// resolveLogs reads Koji's logs struct: {arch: [paths]}.
func (tf *taskFiles) resolveLogs(v any) ([]logFile, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, hub.ParameterError("logs must be a struct of {arch: [paths]}, not %s", typeName(v))
	}
	var out []logFile
	for _, arch := range sortedKeys(m) {
		if arch != "" && (strings.ContainsAny(arch, "/\x00") || arch == "." || arch == ".." || strings.HasPrefix(arch, ".")) {
			return nil, hub.GenericError("Invalid log folder: %s", arch)
		}
		fns, _, err := tf.resolveList(m[arch], "logs["+pyRepr(arch)+"]")
		if err != nil {
			return nil, err
		}
		for _, fn := range fns {
			out = append(out, logFile{fn: fn, dir: arch})
		}
	}
	return out, nil
}

// place stages a task's output file at dst (relative to the topdir); it
// moves when the request commits and leaves a symlink behind.
func (c *Call) placeTaskFile(fn, dst string) error {
	if _, err := os.Lstat(c.d.Files.Abs(dst)); err == nil {
		return hub.GenericError("Error importing file, %s already exists", dst)
	}
	p, err := c.d.Files.Stage(fn, dst, true)
	if err != nil {
		return fmt.Errorf("stage %s: %w", dst, err)
	}
	p.LinkBack()
	c.Defer(p)
	return nil
}

func hostCompleteBuild(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	taskID := a.Int("task_id")
	buildID := a.Int("build_id")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if _, err := ownedOpenTask(ctx, c, taskID); err != nil {
		return nil, err
	}
	b, err := store.BuildByID(ctx, c.Tx, buildID)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, hub.GenericError("No such build: %d", buildID)
	}
	// The build must be this task's, still BUILDING.
	if b.State != hub.BuildBuilding {
		return nil, hub.GenericError("Unable to complete build: state is %s", hub.BuildStateName(b.State))
	}
	if b.TaskID == nil || *b.TaskID != taskID {
		return nil, hub.GenericError("Unable to complete build: task_id mismatch (build: %s, rpm: %d)", pyRepr(optInt(b.TaskID)), taskID)
	}
	tf, err := newTaskFiles(ctx, c, taskID)
	if err != nil {
		return nil, err
	}
	srpmFn, err := tf.resolve(a.Value("srpm"))
	if err != nil {
		return nil, err
	}
	srpmRel := a.Value("srpm").(string)
	rpmFns, rpmRels, err := tf.resolveList(a.Value("rpms"), "rpms")
	if err != nil {
		return nil, err
	}
	logs, err := tf.resolveLogs(a.Value("logs"))
	if err != nil {
		return nil, err
	}
	// brmap: path → buildroot id; every buildroot must exist.
	brmap := map[string]int64{}
	if v := a.Value("brmap"); v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, hub.ParameterError("brmap must be a struct of {path: buildroot id}, not %s", typeName(v))
		}
		for k, x := range m {
			if _, err := buildrootOrFail(ctx, c, x); err != nil {
				return nil, err
			}
			brmap[k], _ = toInt(x)
		}
	}
	// The SRPM must be this build's.
	h, err := openUploadedRPM(srpmFn, filepath.Base(srpmFn))
	if err != nil {
		return nil, err
	}
	if !h.IsSource() {
		return nil, hub.GenericError("not a source package: %s", srpmRel)
	}
	for _, f := range []struct {
		key       string
		want, got any
	}{{"name", b.PackageName, h.Name()}, {"version", b.Version, h.Version()}, {"release", b.Release, h.Release()},
		{"epoch", optInt(b.Epoch), optInt(h.Epoch())}, {"task_id", optInt(b.TaskID), taskID}} {
		if f.want != f.got {
			return nil, hub.GenericError("Unable to complete build: %s mismatch (build: %s, rpm: %s)", f.key, pyRepr(f.want), pyRepr(f.got))
		}
	}
	now := c.d.Now().UnixMicro()
	if ok, err := store.SetBuildState(ctx, c.Tx, b.ID, hub.BuildBuilding, hub.BuildComplete, &now); err != nil {
		return nil, err
	} else if !ok {
		return nil, hub.GenericError("Unable to complete build: state changed")
	}
	if b, err = store.BuildByID(ctx, c.Tx, b.ID); err != nil {
		return nil, err
	}
	imports := []rpmImport{{fn: srpmFn, h: h, build: b, linkBack: true}}
	if id, ok := brmap[srpmRel]; ok {
		imports[0].brootID = &id
	}
	seenNoarch := map[string]bool{}
	for i, fn := range rpmFns {
		rh, err := openUploadedRPM(fn, filepath.Base(fn))
		if err != nil {
			return nil, err
		}
		if rh.IsSource() {
			return nil, hub.GenericError("unexpected source rpm among the binary rpms: %s", rpmRels[i])
		}
		if rh.SourceRPM() != h.FileName() {
			return nil, hub.GenericError("srpm mismatch for %s: %s (expected %s)", rpmRels[i], rh.SourceRPM(), h.FileName())
		}
		// Each arch subtask builds the same noarch rpms; one copy is kept
		// (Koji compares them with rpmdiff first; we keep the first).
		if rh.Arch() == "noarch" {
			if seenNoarch[rh.FileName()] {
				continue
			}
			seenNoarch[rh.FileName()] = true
		}
		ri := rpmImport{fn: fn, h: rh, build: b, linkBack: true}
		if id, ok := brmap[rpmRels[i]]; ok {
			ri.brootID = &id
		}
		imports = append(imports, ri)
	}
	for _, ri := range imports {
		if _, err := importRPMFile(ctx, c, ri); err != nil {
			return nil, err
		}
	}
	dir := files.BuildDir(b.PackageName, b.Version, b.Release)
	for _, l := range logs {
		dst := filepath.Join(dir, files.LogDir(l.dir), filepath.Base(l.fn))
		if err := c.placeTaskFile(l.fn, dst); err != nil {
			return nil, err
		}
	}
	return buildStruct(b, true), nil
}

func hostFailBuild(ctx context.Context, c *Call) (any, error) {
	taskID := c.Args.Int("task_id")
	buildID := c.Args.Int("build_id")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if _, err := ownedOpenTask(ctx, c, taskID); err != nil {
		return nil, err
	}
	b, err := store.BuildByID(ctx, c.Tx, buildID)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, hub.GenericError("No such build: %d", buildID)
	}
	// Koji lets any host fail any build; we keep a host to its own task's.
	if b.TaskID == nil || *b.TaskID != taskID {
		return nil, hub.NotAllowed("build %d does not belong to task %d", buildID, taskID)
	}
	if b.State != hub.BuildBuilding {
		return nil, hub.GenericError("cannot update build %d, state: %s", buildID, hub.BuildStateName(b.State))
	}
	if b.CompletionUS != nil {
		return nil, hub.GenericError("cannot update build %d, completed at %s", buildID, hub.TimeString(*b.CompletionUS))
	}
	now := c.d.Now().UnixMicro()
	_, err = store.SetBuildState(ctx, c.Tx, buildID, hub.BuildBuilding, hub.BuildFailed, &now)
	return nil, err
}

func hostMoveBuildToScratch(ctx context.Context, c *Call) (any, error) {
	taskID := c.Args.Int("task_id")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := ownedOpenTask(ctx, c, taskID)
	if err != nil {
		return nil, err
	}
	tf, err := newTaskFiles(ctx, c, taskID)
	if err != nil {
		return nil, err
	}
	srpmFn, err := tf.resolve(c.Args.Value("srpm"))
	if err != nil {
		return nil, err
	}
	rpmFns, _, err := tf.resolveList(c.Args.Value("rpms"), "rpms")
	if err != nil {
		return nil, err
	}
	logs, err := tf.resolveLogs(c.Args.Value("logs"))
	if err != nil {
		return nil, err
	}
	owner, err := store.UserBy(ctx, c.Tx, "id", t.Owner)
	if err != nil {
		return nil, err
	}
	if owner == nil || owner.Name == "." || owner.Name == ".." || strings.ContainsAny(owner.Name, "/\x00") {
		return nil, hub.GenericError("cannot make a scratch folder for the owner of task %d", taskID)
	}
	dir := filepath.Join("scratch", owner.Name, fmt.Sprintf("task_%d", taskID))
	seen := map[string]bool{}
	for _, fn := range append([]string{srpmFn}, rpmFns...) {
		base := filepath.Base(fn)
		if seen[base] {
			continue // the same noarch rpm from several arches
		}
		seen[base] = true
		if err := c.placeTaskFile(fn, filepath.Join(dir, base)); err != nil {
			return nil, err
		}
	}
	for _, l := range logs {
		if err := c.placeTaskFile(l.fn, filepath.Join(dir, "logs", l.dir, filepath.Base(l.fn))); err != nil {
			return nil, err
		}
	}
	return nil, nil
}
