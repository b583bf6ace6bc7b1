package kojicli

import (
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/gokoji/gokoji/hub/kojiclient"
)

// Task and build states, by the numbers the hub uses.
var taskStates = []string{"FREE", "OPEN", "CLOSED", "CANCELED", "ASSIGNED", "FAILED"}
var buildStates = []string{"BUILDING", "COMPLETE", "DELETED", "FAILED", "CANCELED"}

const (
	taskFree, taskOpen, taskClosed, taskCanceled, taskAssigned, taskFailed = 0, 1, 2, 3, 4, 5
)

func taskState(t map[string]any) string { return enumName(taskStates, t["state"]) }

// runningInBackground is the Env's answer, or the terminal's.
func (a *app) runningInBackground() bool {
	if a.env.Background != nil {
		return a.env.Background()
	}
	fd := os.Stdin.Fd()
	return !isTerminal(fd) || !foreground(fd)
}

// shouldWait is "options.wait or (options.wait is None and not _running_in_bg())".
func (a *app) shouldWait(o values) bool {
	if o.has("wait") {
		return o.b("wait")
	}
	return !a.runningInBackground()
}

// watchIfWaiting ends a command that started tasks: when it should wait,
// it logs out (as Koji's CLI does before watching) and watches them.
func (a *app) watchIfWaiting(o values, tasks []int64, quiet bool) error {
	if !a.shouldWait(o) {
		return nil
	}
	a.sess.Logout(a.ctx)
	return a.watchTasks(tasks, quiet)
}

// taskSig is a legacy task signature: argument names and how many of the
// last ones have defaults; varargs/varkw are for "default"-style methods.
type taskSig struct {
	args      []string
	defaults  int
	varargs   bool
	varkw     bool
	alternate *taskSig
}

// taskSigs are koji.tasks.LEGACY_SIGNATURES for the methods whose labels
// use their parameters (and a few common ones). Others are labelled with
// their arch only, as Koji does for methods it has no signature for.
var taskSigs = map[string]*taskSig{
	"build":             {args: []string{"src", "target", "opts"}, defaults: 1},
	"maven":             {args: []string{"url", "target", "opts"}, defaults: 1},
	"chainbuild":        {args: []string{"srcs", "target", "opts"}, defaults: 1},
	"chainmaven":        {args: []string{"builds", "target", "opts"}, defaults: 1},
	"waitrepo":          {args: []string{"tag", "newer_than", "nvrs", "min_event"}, defaults: 3},
	"buildSRPMFromSCM":  {args: []string{"url", "build_tag", "opts"}, defaults: 1},
	"rebuildSRPM":       {args: []string{"srpm", "build_tag", "opts"}, defaults: 1},
	"buildArch":         {args: []string{"pkg", "root", "arch", "keep_srpm", "opts"}, defaults: 1},
	"buildMaven":        {args: []string{"url", "build_tag", "opts"}, defaults: 1},
	"buildNotification": {args: []string{"recipients", "build", "target", "weburl"}},
	"tagBuild":          {args: []string{"tag_id", "build_id", "force", "fromtag", "ignore_success"}, defaults: 3},
	"tagNotification": {args: []string{"recipients", "is_successful", "tag_info", "from_info", "build_info",
		"user_info", "ignore_success", "failure_msg"}, defaults: 2},
	"newRepo": {args: []string{"tag", "event", "src", "debuginfo", "separate_src"}, defaults: 4,
		alternate: &taskSig{args: []string{"tag", "event", "src", "debuginfo", "separate_src", "opts"}, defaults: 5}},
	"distRepo":       {args: []string{"tag", "repo_id", "keys", "task_opts"}},
	"createrepo":     {args: []string{"repo_id", "arch", "oldrepo"}},
	"createdistrepo": {args: []string{"tag", "repo_id", "arch", "keys", "opts"}},
	"dependantTask":  {args: []string{"wait_list", "task_list"}},
	"sleep":          {args: []string{"n"}},
	"fork":           {args: []string{"n", "m"}, defaults: 2},
	"subtask":        {args: []string{"n"}, defaults: 1},
	"waittest":       {args: []string{"count", "seconds"}, defaults: 1},
	"default":        {varargs: true, varkw: true},
	"someMethod":     {varargs: true},
	"shutdown":       {},
	"restart":        {args: []string{"host"}},
	"restartVerify":  {args: []string{"task_id", "host"}},
	"restartHosts":   {args: []string{"options"}, defaults: 1},
	"vmExec":         {args: []string{"name", "task_info", "opts"}},
	"winbuild":       {args: []string{"name", "source_url", "target", "opts"}},
	"wrapperRPM":     {args: []string{"spec_url", "build_target", "build", "task", "opts"}, defaults: 1},
	"saveFailedTree": {args: []string{"buildrootID", "full"}, defaults: 1},
}

// parseTaskParams is koji.tasks.parse_task_params: the request as named
// parameters. known is false for a method without a signature; ok is false
// when the request fits none of its signatures.
func parseTaskParams(method string, req []any) (params map[string]any, known, ok bool) {
	if len(req) == 1 {
		if m := asMap(req[0]); m != nil {
			if _, isNew := m["__method__"]; isNew {
				out := map[string]any{}
				for k, v := range m {
					if k != "__method__" {
						out[k] = v
					}
				}
				return out, true, true
			}
		}
	}
	args, kwargs := req, map[string]any{}
	if n := len(req); n > 0 {
		if m := asMap(req[n-1]); m != nil && truthy(m["__starstar"]) {
			args = req[:n-1]
			for k, v := range m {
				if k != "__starstar" {
					kwargs[k] = v
				}
			}
		}
	}
	sig := taskSigs[method]
	if sig == nil {
		return nil, false, true
	}
	for s := sig; s != nil; s = s.alternate {
		if p, good := applyArgspec(s, args, kwargs); good {
			return p, true, true
		}
	}
	return nil, true, false
}

func applyArgspec(s *taskSig, args []any, kwargs map[string]any) (map[string]any, bool) {
	data := map[string]any{}
	for i, name := range s.args {
		if i < len(args) {
			data[name] = args[i]
		}
	}
	if len(args) > len(s.args) && !s.varargs {
		return nil, false
	}
	for k, v := range kwargs {
		if _, dup := data[k]; dup {
			return nil, false
		}
		if contains(s.args, k) {
			data[k] = v
		} else if !s.varkw {
			return nil, false
		}
	}
	for i, name := range s.args {
		if _, has := data[name]; !has {
			if i < len(s.args)-s.defaults {
				return nil, false
			}
			data[name] = nil
		}
	}
	return data, true
}

// moduleInfo is koji._module_info: "repo path:rev" of an SCM URL.
func moduleInfo(url string) string {
	module := ""
	q, h := strings.Index(url, "?"), strings.Index(url, "#")
	if q >= 0 {
		end := h
		if end < 0 {
			end = len(url) - 1 // url.find('#') is -1: Python slices to the last character
		}
		if end > q+1 {
			module = url[q+1 : end]
		}
	}
	start := strings.Index(url, "://")
	repoStart := strings.Index(url[start+3:], "/")
	if repoStart >= 0 {
		repoStart += start + 3
	} else {
		repoStart = len(url) - 1
	}
	repoEnd := q
	if repoEnd < 0 {
		repoEnd = h
	}
	if repoEnd < 0 {
		repoEnd = len(url) - 1
	}
	repo := ""
	if repoEnd > repoStart {
		repo = url[repoStart:repoEnd]
	}
	rev := url[h+1:]
	if module != "" {
		return repo + ":" + module + ":" + rev
	}
	return repo + ":" + rev
}

func nameOrStr(v any) string {
	if m := asMap(v); m != nil {
		return pyStrOf(m["name"])
	}
	return pyStrOf(v)
}

// buildLabel is koji.buildLabel: "name-version-release" of a build map.
func buildLabel(b map[string]any) string {
	name := mstr(b, "package_name")
	if name == "" {
		name = mstr(b, "name")
	}
	return fmt.Sprintf("%s-%s-%s", name, mstr(b, "version"), mstr(b, "release"))
}

// taskLabel is koji.taskLabel: "method (details)".
func taskLabel(t map[string]any) (label string) {
	defer func() {
		if recover() != nil {
			label = "malformed task"
		}
	}()
	method, arch := mstr(t, "method"), pyStrOf(t["arch"])
	req, hasReq := t["request"]
	if !hasReq {
		return "malformed task"
	}
	params, known, ok := parseTaskParams(method, asList(req))
	if !ok {
		return fmt.Sprintf("%s (%s, unknown args)", method, arch)
	}
	extra := ""
	if known {
		switch method {
		case "build", "maven":
			src := pyStrOf(params["src"])
			if !truthy(params["src"]) {
				src = pyStrOf(params["url"])
			}
			mod := path.Base(src)
			if strings.Contains(src, "://") {
				mod = moduleInfo(src)
			} else if i := strings.LastIndex(src, "/"); i >= 0 {
				mod = src[i+1:]
			}
			target := params["target"]
			if !truthy(target) {
				target = params["build_tag"]
			}
			extra = nameOrStr(target) + ", " + mod
		case "buildSRPMFromSCM":
			extra = moduleInfo(pyStrOf(params["url"]))
		case "buildArch":
			pkg := params["pkg"]
			if m := asMap(pkg); m != nil {
				pkg = m["name"]
			}
			s := pyStrOf(pkg)
			if i := strings.LastIndex(s, "/"); i >= 0 {
				s = s[i+1:]
			}
			arch = pyStrOf(params["arch"])
			extra = s + ", " + arch
		case "buildMaven":
			extra = pyStrOf(asMap(params["build_tag"])["name"])
		case "wrapperRPM":
			if truthy(params["build"]) {
				extra = pyStrOf(asMap(params["build_target"])["name"]) + ", " + buildLabel(asMap(params["build"]))
			} else {
				extra = pyStrOf(asMap(params["build_target"])["name"])
			}
		case "winbuild":
			extra = nameOrStr(params["target"]) + ", " + moduleInfo(pyStrOf(params["source_url"]))
		case "vmExec":
			extra = pyStrOf(params["name"])
		case "buildNotification":
			extra = buildLabel(asMap(params["build"]))
		case "newRepo", "distRepo":
			extra = nameOrStr(params["tag"])
		case "createrepo":
			extra = pyStrOf(params["arch"])
		case "createdistrepo":
			extra = pyStrOf(params["repo_id"]) + ", " + pyStrOf(params["arch"])
		case "dependantTask":
			var ids []string
			for _, st := range asList(params["task_list"]) {
				ids = append(ids, pyStrOf(asList(st)[0]))
			}
			extra = strings.Join(ids, ", ")
		case "chainbuild", "chainmaven":
			extra = nameOrStr(params["target"])
		case "waitrepo":
			extra = nameOrStr(params["tag"])
			if nv, ok := params["nvrs"].([]any); ok {
				var s []string
				for _, x := range nv {
					s = append(s, pyStrOf(x))
				}
				extra += ", " + strings.Join(s, ", ")
			}
		case "restart", "restartVerify":
			extra = pyStrOf(asMap(params["host"])["name"])
		}
	}
	if extra != "" {
		return fmt.Sprintf("%s (%s)", method, extra)
	}
	return fmt.Sprintf("%s (%s)", method, arch)
}

// taskWatcher is the Python CLI's TaskWatcher.
type taskWatcher struct {
	a      *app
	id     int64
	info   map[string]any
	level  int
	quiet  bool
	topurl string
}

func (w *taskWatcher) str() string {
	if w.info != nil {
		return fmt.Sprintf("%s%d %s", strings.Repeat("  ", w.level), w.id, taskLabel(w.info))
	}
	return fmt.Sprintf("%s%d", strings.Repeat("  ", w.level), w.id)
}

func (w *taskWatcher) isDone() bool {
	if w.info == nil {
		return false
	}
	s := mint(w.info, "state")
	return s == taskClosed || s == taskCanceled || s == taskFailed
}

func (w *taskWatcher) isSuccess() bool { return w.info != nil && mint(w.info, "state") == taskClosed }

func (w *taskWatcher) failure() (string, error) {
	if mint(w.info, "state") != taskFailed {
		return "", nil
	}
	_, err := w.a.call("getTaskResult", w.id)
	if f, ok := isFault(err); ok {
		return fmt.Sprintf("%s: %s", kojiclient.FaultClass(f), strings.TrimSpace(f.String)), nil
	}
	return "", err
}

func (w *taskWatcher) displayState(info map[string]any, level int) (string, error) {
	if info == nil {
		return "unknown", nil
	}
	switch st := mint(info, "state"); st {
	case taskOpen, taskAssigned:
		s := strings.ToLower(taskStates[st])
		if truthy(info["host_id"]) {
			h, err := w.a.call("getHost", info["host_id"])
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%s (%s)", s, mstr(asMap(h), "name")), nil
		}
		return s, nil
	case taskFailed:
		f, err := w.failure()
		if err != nil {
			return "", err
		}
		s := "FAILED: " + f
		if w.topurl != "" {
			files, err := w.a.taskOutput(w.id)
			if err != nil {
				return "", err
			}
			level++
			var logs []string
			for _, fv := range files {
				if strings.HasSuffix(fv[0], "log") {
					logs = append(logs, strings.Repeat("  ", level)+taskDir(w.topurl, w.id, fv[1])+"/"+fv[0])
				}
			}
			if len(logs) > 0 {
				s += "\n" + strings.Repeat("  ", level) + "Relevant logs:\n" + strings.Join(logs, "\n")
			}
		}
		return s, nil
	default:
		return strings.ToLower(enumName(taskStates, info["state"])), nil
	}
}

// update refreshes the task; true when its state changed.
func (w *taskWatcher) update() (bool, error) {
	if w.isDone() {
		return false, nil
	}
	last := w.info
	v, err := w.a.callKw("getTaskInfo", []any{w.id}, map[string]any{"request": true})
	if err != nil {
		return false, err
	}
	w.info = asMap(v)
	if w.info == nil {
		if !w.quiet {
			w.a.printf("No such task id: %d\n", w.id)
		}
		return false, &exitError{1, ""}
	}
	if last != nil {
		if mint(last, "state") != mint(w.info, "state") {
			if !w.quiet {
				from, err := w.displayState(last, 0)
				if err != nil {
					return false, err
				}
				to, err := w.displayState(w.info, 0)
				if err != nil {
					return false, err
				}
				w.a.printf("%s: %s -> %s\n", w.str(), from, to)
			}
			return true, nil
		}
		return false, nil
	}
	if !w.quiet {
		s, err := w.displayState(w.info, w.level)
		if err != nil {
			return false, err
		}
		w.a.printf("%s: %s\n", w.str(), s)
	}
	return false, nil
}

// taskDir is koji.PathInfo(topdir).task(id, volume).
func taskDir(top string, id int64, volume string) string {
	work := top + "/work"
	if volume != "" && volume != "DEFAULT" {
		work = top + "/vol/" + volume + "/work"
	}
	return fmt.Sprintf("%s/tasks/%d/%d", work, id%10000, id)
}

// taskOutput is list_task_output_all_volumes as (file, volume) pairs in the
// hub's order.
func (a *app) taskOutput(id int64) ([][2]string, error) {
	v, err := a.callKw("listTaskOutput", []any{id}, map[string]any{"all_volumes": true})
	if err != nil {
		if f, ok := isFault(err); ok && f.Code == 1019 && strings.Contains(f.String, "unexpected keyword argument") {
			v, err = a.call("listTaskOutput", id)
			if err != nil {
				return nil, err
			}
			var out [][2]string
			for _, fn := range asList(v) {
				out = append(out, [2]string{pyStrOf(fn), "DEFAULT"})
			}
			return out, nil
		}
		return nil, err
	}
	var out [][2]string
	m := asMap(v)
	if o, ok := v.(*ordered); ok {
		for i, k := range o.keys {
			for _, vol := range asList(o.vals[i]) {
				out = append(out, [2]string{k, pyStrOf(vol)})
			}
		}
		return out, nil
	}
	for _, k := range sortedKeys(m) {
		for _, vol := range asList(m[k]) {
			out = append(out, [2]string{k, pyStrOf(vol)})
		}
	}
	return out, nil
}

// watchTasks is watch_tasks: follow the tasks and their children until all
// are done, printing state changes; 1 when a top-level task did not close.
func (a *app) watchTasks(ids []int64, quiet bool) error {
	if len(ids) == 0 {
		return nil
	}
	if !quiet {
		a.println("Watching tasks (this may be safely interrupted)...")
	}
	var order []int64
	tasks := map[int64]*taskWatcher{}
	for _, id := range ids {
		if tasks[id] == nil {
			order = append(order, id)
		}
		tasks[id] = &taskWatcher{a: a, id: id, quiet: quiet, topurl: a.profile.TopURL}
	}
	rv := 0
	for {
		allDone := true
		for i := 0; i < len(order); i++ {
			id := order[i]
			t := tasks[id]
			changed, err := t.update()
			if err != nil {
				return err
			}
			if !t.isDone() {
				allDone = false
			} else {
				if changed && !quiet {
					displayTasklistStatus(a, order, tasks)
				}
				if t.level == 0 && !t.isSuccess() {
					rv = 1
				}
			}
			kids, err := a.call("getTaskChildren", id)
			if err != nil {
				return err
			}
			for _, k := range asList(kids) {
				kid := mint(asMap(k), "id")
				if tasks[kid] == nil {
					tasks[kid] = &taskWatcher{a: a, id: kid, level: t.level + 1, quiet: quiet, topurl: a.profile.TopURL}
					order = append(order, kid)
					if _, err := tasks[kid].update(); err != nil {
						return err
					}
					allDone = false
				}
			}
		}
		if allDone {
			if !quiet {
				a.println()
				for _, id := range order {
					t := tasks[id]
					if t.level != 0 {
						continue
					}
					switch mint(t.info, "state") {
					case taskClosed:
						a.printf("%s completed successfully\n", t.str())
					case taskFailed:
						a.printf("%s failed\n", t.str())
					case taskCanceled:
						a.printf("%s was canceled\n", t.str())
					default:
						a.printf("%s has not completed\n", t.str())
					}
				}
			}
			break
		}
		if err := a.pause(); err != nil {
			if !quiet {
				var lines []string
				for _, id := range order {
					if t := tasks[id]; !t.isDone() {
						s, _ := t.displayState(t.info, t.level)
						lines = append(lines, t.str()+": "+s)
					}
				}
				a.printf("Tasks still running. You can continue to watch with the 'koji watch-task' command.\nRunning Tasks:\n%s\n", strings.Join(lines, "\n"))
			}
			return err
		}
	}
	if rv != 0 {
		return exitCode(rv)
	}
	return nil
}

func displayTasklistStatus(a *app, order []int64, tasks map[int64]*taskWatcher) {
	var free, open, failed, done int
	for _, id := range order {
		switch mint(tasks[id].info, "state") {
		case taskFailed:
			failed++
		case taskClosed, taskCanceled:
			done++
		case taskOpen, taskAssigned:
			open++
		case taskFree:
			free++
		}
	}
	a.printf("  %d free  %d open  %d done  %d failed\n", free, open, done, failed)
}

// pause sleeps for the poll interval; an interrupted context ends the wait.
func (a *app) pause() error {
	d := time.Duration(a.profile.PollInterval) * time.Second
	if a.profile.PollInterval <= 0 {
		d = 6 * time.Second
	}
	if a.env.Sleep != nil {
		a.env.Sleep(d)
		return a.ctx.Err()
	}
	select {
	case <-a.ctx.Done():
		return a.ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// listTasks is _list_tasks: the open tasks (or, with --all, all) matching
// the options, with children threaded under their parents.
func (a *app) listTasks(o values) ([]map[string]any, error) {
	callopts := map[string]any{"decode": true}
	if !o.b("all") {
		callopts["state"] = []any{int64(taskFree), int64(taskOpen), int64(taskAssigned)}
	}
	if o.has("after") {
		callopts["startedAfter"] = o.s("after")
	}
	if o.has("before") {
		callopts["startedBefore"] = o.s("before")
	}
	if o.b("mine") {
		if o.s("user") != "" {
			return nil, fmt.Errorf("Can't specify 'mine' and 'user' in same time")
		}
		u, err := a.call("getLoggedInUser")
		if err != nil {
			return nil, err
		}
		if u == nil {
			a.println("Unable to determine user")
			return nil, exitCode(1)
		}
		callopts["owner"] = asMap(u)["id"]
	}
	if o.s("user") != "" {
		u, err := a.call("getUser", o.s("user"))
		if err != nil {
			return nil, err
		}
		if u == nil {
			a.printf("No such user: %s\n", o.s("user"))
			return nil, exitCode(1)
		}
		callopts["owner"] = asMap(u)["id"]
	}
	if o.s("arch") != "" {
		arches, err := parseArches(o.s("arch"))
		if err != nil {
			return nil, err
		}
		callopts["arch"] = strList(strings.Fields(arches))
	}
	if o.s("method") != "" {
		callopts["method"] = o.s("method")
	}
	if o.s("channel") != "" {
		c, err := a.call("getChannel", o.s("channel"))
		if err != nil {
			return nil, err
		}
		if c == nil {
			a.printf("No such channel: %s\n", o.s("channel"))
			return nil, exitCode(1)
		}
		callopts["channel_id"] = asMap(c)["id"]
	}
	if o.s("host") != "" {
		h, err := a.call("getHost", o.s("host"))
		if err != nil {
			return nil, err
		}
		if h == nil {
			a.printf("No such host: %s\n", o.s("host"))
			return nil, exitCode(1)
		}
		callopts["host_id"] = asMap(h)["id"]
	}
	v, err := a.call("listTasks", callopts, map[string]any{"order": "priority,create_time"})
	if err != nil {
		return nil, err
	}
	var list []map[string]any
	byID := map[int64]map[string]any{}
	for _, x := range asList(v) {
		m := asMap(x)
		list = append(list, m)
		byID[mint(m, "id")] = m
	}
	for _, t := range list {
		if t["parent"] != nil {
			if p := byID[mint(t, "parent")]; p != nil {
				p["children"] = append(asList(p["children"]), t)
				t["sub"] = true
			}
		}
	}
	return list, nil
}

func (a *app) printTaskHeaders() {
	a.println("ID       Pri  Owner                State    Arch       Name")
}

func (a *app) printTaskRecurse(t map[string]any, depth int) {
	indent := ""
	if depth > 0 {
		indent = strings.Repeat("  ", depth-1) + " +"
	}
	state := "BADSTATE"
	if s := mint(t, "state"); t["state"] != nil && s >= 0 && int(s) < len(taskStates) {
		state = taskStates[s]
	}
	a.printf("%-8s %-4s %-20s %-8s %-10s %s%s\n", pyStrOf(t["id"]), pyStrOf(t["priority"]), pyStrOf(t["owner_name"]),
		state, pyStrOf(t["arch"]), indent, taskLabel(t))
	for _, c := range asList(t["children"]) {
		a.printTaskRecurse(asMap(c), depth+1)
	}
}

// sortTasksByID orders task maps by id.
func sortTasksByID(l []any) {
	sort.SliceStable(l, func(i, j int) bool { return mint(asMap(l[i]), "id") < mint(asMap(l[j]), "id") })
}
