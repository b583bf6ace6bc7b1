package kojicli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gokoji/gokoji/hub/kojiclient"
)

func init() {
	register(&command{name: "list-tasks", section: "info", summary: "Print the list of tasks", run: cmdListTasks})
	register(&command{name: "taskinfo", anon: true, section: "info", summary: "Show information about a task", run: cmdTaskinfo})
	register(&command{name: "cancel", section: "build", summary: "Cancel tasks and/or builds", run: cmdCancel})
	register(&command{name: "resubmit", section: "build", summary: "Retry a canceled or failed task with the same parameters", run: cmdResubmit})
	register(&command{name: "watch-task", anon: true, section: "monitor", summary: "Track progress of particular tasks", run: cmdWatchTask})
	register(&command{name: "watch-logs", anon: true, section: "monitor", summary: "Watch logs in realtime", run: cmdWatchLogs})
	register(&command{name: "download-task", anon: true, section: "download", summary: "Download the output of a build task", run: cmdDownloadTask})
}

// addTaskSelection adds the task selection options of list-tasks and watch-task.
func addTaskSelection(p *optionParser) {
	p.flag("", "--mine", "only your tasks")
	p.str("", "--user", "only tasks of this user")
	p.str("", "--arch", "only tasks for this architecture")
	p.str("", "--method", "only tasks of this method")
	p.str("", "--channel", "only tasks in this channel")
	p.str("", "--host", "only tasks on this host")
}

func cmdListTasks(a *app, args []string) error {
	p := newParser("%prog list-tasks [options]")
	addTaskSelection(p)
	p.flag("", "--quiet", "do not print the column headers")
	p.add(&option{long: "--before", kind: optString, metavar: "BEFORE", help: "tasks started before this time (a timestamp or a date)"})
	p.add(&option{long: "--after", kind: optString, metavar: "AFTER", help: "tasks started after this time (same formats as --before)"})
	p.flag("", "--all", "list finished tasks too (only with --after)")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return p.errorf("This command takes no arguments")
	}
	if o.b("all") && !o.has("after") {
		return p.errorf("--all must be used with --after")
	}
	for _, k := range []string{"before", "after"} {
		if o.has(k) {
			ts, err := parseTimeOption(o.s(k))
			if err != nil {
				return p.errorf("option --%s: %s", k, err)
			}
			o[k] = ts
		}
	}
	if err := a.activate(); err != nil {
		return err
	}
	list, err := a.listTasks(o)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		a.println("(no tasks)")
		return nil
	}
	if !(o.b("quiet") || a.quiet) {
		a.printTaskHeaders()
	}
	for _, t := range list {
		if truthy(t["sub"]) {
			continue
		}
		a.printTaskRecurse(t, 0)
	}
	return nil
}

// parseTimeOption is TimeOption: a Unix timestamp, or a date "YYYY-MM-DD"
// with an optional time, in local time. It returns a string the hub takes.
func parseTimeOption(s string) (any, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return float64(t.Unix()), nil
		}
	}
	return nil, fmt.Errorf("invalid time specification: %s", s)
}

func cmdTaskinfo(a *app, args []string) error {
	p := newParser("%prog taskinfo [options] <task_id> [<task_id> ...]")
	p.flag("-r", "--recurse", "show the task's children too")
	p.flag("-v", "--verbose", "show the request parameters")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("You must specify at least one task ID")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	for _, arg := range pos {
		id, err := strconv.ParseInt(strings.TrimSpace(arg), 10, 64)
		if err != nil {
			return fmt.Errorf("ValueError: invalid literal for int() with base 10: %s", pyStr(arg))
		}
		if err := a.printTaskInfo(id, 0, o.b("recurse"), o.b("verbose")); err != nil {
			return err
		}
	}
	return nil
}

// workPath is koji.pathinfo.work(volume) under the profile's topdir.
func (a *app) workPath(volume string) string {
	if volume != "" && volume != "DEFAULT" {
		return a.profile.TopDir + "/vol/" + volume + "/work"
	}
	return a.profile.TopDir + "/work"
}

func taskRelPath(id int64) string { return fmt.Sprintf("tasks/%d/%d", id%10000, id) }

// printTaskInfo is _printTaskInfo.
func (a *app) printTaskInfo(id int64, level int, recurse, verbose bool) error {
	indent := strings.Repeat(" ", 2*level)
	v, err := a.call("getTaskInfo", id)
	if err != nil {
		return err
	}
	info := asMap(v)
	if info == nil {
		return fmt.Errorf("No such task: %d", id)
	}
	var host map[string]any
	if truthy(info["host_id"]) {
		h, err := a.call("getHost", info["host_id"])
		if err != nil {
			return err
		}
		host = asMap(h)
	}
	brs, err := a.callKw("listBuildroots", nil, map[string]any{"taskID": id})
	if err != nil {
		return err
	}
	builds, err := a.callKw("listBuilds", nil, map[string]any{"taskID": id})
	if err != nil {
		return err
	}
	files, err := a.taskOutput(id)
	if err != nil {
		return err
	}
	var logs, output []string
	for _, fv := range files {
		p := a.workPath(fv[1]) + "/" + taskRelPath(id) + "/" + fv[0]
		if strings.HasSuffix(fv[0], ".log") {
			logs = append(logs, p)
		} else {
			output = append(output, p)
		}
	}
	u, err := a.call("getUser", info["owner"])
	if err != nil {
		return err
	}
	a.printf("%sTask: %d\n", indent, id)
	a.printf("%sType: %s\n", indent, mstr(info, "method"))
	if verbose {
		a.printf("%sRequest Parameters:\n", indent)
		for _, l := range a.parseTaskRequest(mstr(info, "method"), id) {
			a.printf("%s  %s\n", indent, l)
		}
	}
	a.printf("%sOwner: %s\n", indent, mstr(asMap(u), "name"))
	a.printf("%sState: %s\n", indent, strings.ToLower(taskState(info)))
	a.printf("%sCreated: %s\n", indent, asctime(info["create_ts"]))
	if truthy(info["start_ts"]) {
		a.printf("%sStarted: %s\n", indent, asctime(info["start_ts"]))
	}
	if truthy(info["completion_ts"]) {
		a.printf("%sFinished: %s\n", indent, asctime(info["completion_ts"]))
	}
	if host != nil {
		a.printf("%sHost: %s\n", indent, mstr(host, "name"))
	}
	if bl := asList(builds); len(bl) > 0 {
		b := asMap(bl[0])
		a.printf("%sBuild: %s (%d)\n", indent, mstr(b, "nvr"), mint(b, "build_id"))
	}
	if bl := asList(brs); len(bl) > 0 {
		a.printf("%sBuildroots:\n", indent)
		for _, r := range bl {
			m := asMap(r)
			a.printf("%s  /var/lib/mock/%s-%d-%d/\n", indent, mstr(m, "tag_name"), mint(m, "id"), mint(m, "repo_id"))
		}
	}
	a.printf("%sLog Files:\n", indent)
	if len(logs) > 0 {
		for _, l := range logs {
			a.printf("%s  %s\n", indent, l)
		}
	} else {
		a.printf("%s  No outputs reported [1]\n", indent)
	}
	a.printf("%sOutput:\n", indent)
	if len(output) > 0 {
		for _, l := range output {
			a.printf("%s  %s\n", indent, l)
		}
	} else {
		a.printf("%s  No outputs reported [1]\n", indent)
	}
	if len(logs) == 0 || len(output) == 0 {
		a.printf("%s[1] Not all tasks produce outputs, and task outputs are not retained indefinitely.\n", indent)
	}
	a.println()
	if recurse {
		kids, err := a.callKw("getTaskChildren", []any{id}, map[string]any{"request": true})
		if err != nil {
			return err
		}
		kl := asList(kids)
		sortTasksByID(kl)
		for _, k := range kl {
			if err := a.printTaskInfo(mint(asMap(k), "id"), level+1, recurse, verbose); err != nil {
				return err
			}
		}
	}
	return nil
}

// asctime is time.asctime(time.localtime(ts)).
func asctime(v any) string {
	var ts float64
	switch x := v.(type) {
	case float64:
		ts = x
	case int64:
		ts = float64(x)
	}
	return time.Unix(int64(ts), 0).Format("Mon Jan _2 15:04:05 2006")
}

// parseTaskRequest is _parseTaskParams: the request of a task as lines;
// any failure gives "Unable to parse task parameters", as in Koji.
func (a *app) parseTaskRequest(method string, id int64) (lines []string) {
	defer func() {
		if recover() != nil {
			lines = []string{"Unable to parse task parameters"}
		}
	}()
	body, err := a.sess.CallRaw(a.ctx, "getTaskRequest", id)
	if err != nil {
		return []string{"Unable to parse task parameters"}
	}
	v, err := decodeOrdered(body)
	if err != nil {
		return []string{"Unable to parse task parameters"}
	}
	params := asList(v)
	add := func(f string, args ...any) { lines = append(lines, fmt.Sprintf(f, args...)) }
	handleMap := func(m any, prefix string) {
		if o, ok := m.(*ordered); ok {
			for i, k := range o.keys {
				if k != "__starstar" {
					add("  %s%s: %s", prefix, k, pyStrOf(o.vals[i]))
				}
			}
		}
	}
	handleOpts := func(m any, prefix string) {
		if truthy(m) || (func() bool { o, ok := m.(*ordered); return ok && len(o.keys) > 0 })() {
			add("%sOptions:", prefix)
			handleMap(m, prefix)
		}
	}
	tagName := func(t any) (string, error) {
		v, err := a.call("getTag", t)
		if err != nil {
			return "", err
		}
		return mstr(asMap(v), "name"), nil
	}
	p := func(i int) any {
		if i < len(params) {
			return params[i]
		}
		panic("short request")
	}
	switch method {
	case "buildSRPMFromSCM":
		add("SCM URL: %s", pyStrOf(p(0)))
	case "buildArch":
		add("SRPM: %s/work/%s", a.profile.TopDir, pyStrOf(p(0)))
		t, err := a.call("getTag", p(1))
		if err != nil {
			panic(err)
		}
		name := pyStrOf(p(1)) + " (deleted)"
		if t != nil {
			name = mstr(asMap(t), "name")
		}
		add("Build Tag: %s", name)
		add("Build Arch: %s", pyStrOf(p(2)))
		add("SRPM Kept: %s", pyRepr(p(3)))
		if len(params) > 4 {
			handleOpts(p(4), "")
		}
	case "tagBuild":
		b, err := a.call("getBuild", p(1))
		if err != nil {
			panic(err)
		}
		tn, err := tagName(p(0))
		if err != nil {
			panic(err)
		}
		add("Destination Tag: %s", tn)
		add("Build: %s", buildLabel(asMap(b)))
	case "build", "maven":
		if method == "build" {
			add("Source: %s", pyStrOf(p(0)))
		} else {
			add("SCM URL: %s", pyStrOf(p(0)))
		}
		add("Build Target: %s", pyStrOf(p(1)))
		if len(params) > 2 {
			handleOpts(p(2), "")
		}
	case "newRepo":
		tn, err := tagName(p(0))
		if err != nil {
			panic(err)
		}
		add("Tag: %s", tn)
	case "createrepo":
		add("Repo ID: %s", pyStrOf(p(0)))
		add("Arch: %s", pyStrOf(p(1)))
		if old, ok := p(2).(*ordered); ok && len(old.keys) > 0 {
			add("Old Repo ID: %s", pyStrOf(old.get("id")))
			add("Old Repo Creation: %s", formatTimeLong(old.get("create_ts")))
		}
		if len(params) > 3 {
			var names []string
			for _, e := range asList(p(3)) {
				if o, ok := e.(*ordered); ok {
					names = append(names, pyStrOf(o.get("external_repo_name")))
				}
			}
			add("External Repos: %s", strings.Join(names, ", "))
		}
	case "dependantTask":
		var ids []string
		for _, x := range asList(p(0)) {
			ids = append(ids, pyStrOf(x))
		}
		add("Dependant Tasks: %s", strings.Join(ids, ", "))
		add("Subtasks:")
		for _, st := range asList(p(1)) {
			sl := asList(st)
			add("  Method: %s", pyStrOf(sl[0]))
			var ps []string
			for _, x := range asList(sl[1]) {
				ps = append(ps, pyStrOf(x))
			}
			add("  Parameters: %s", strings.Join(ps, ", "))
			if len(sl) > 2 && truthy(sl[2]) {
				handleOpts(sl[2], "  ")
			}
			add("")
		}
	case "chainbuild":
		add("Build Groups:")
		for i, g := range asList(p(0)) {
			var s []string
			for _, x := range asList(g) {
				s = append(s, pyStrOf(x))
			}
			add("  %d: %s", i+1, strings.Join(s, ", "))
		}
		add("Build Target: %s", pyStrOf(p(1)))
		if len(params) > 2 {
			handleOpts(p(2), "")
		}
	case "waitrepo":
		add("Build Target: %s", pyStrOf(p(0)))
		if truthy(p(1)) {
			add("Newer Than: %s", pyStrOf(p(1)))
		}
		if truthy(p(2)) {
			var s []string
			for _, x := range asList(p(2)) {
				s = append(s, pyStrOf(x))
			}
			add("NVRs: %s", strings.Join(s, ", "))
		}
	}
	return lines
}

func cmdCancel(a *app, args []string) error {
	p := newParser("%prog cancel [options] <task_id|build> [<task_id|build> ...]")
	p.flag("", "--justone", "do not cancel subtasks")
	p.flag("", "--full", "full cancellation (admin only)")
	p.flag("", "--force", "allow subtasks with --full")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return p.errorf("You must specify at least one task id or build")
	}
	if err := a.activate(); err != nil {
		return err
	}
	var tasks []int64
	var builds []string
	for _, arg := range pos {
		if n, err := strconv.ParseInt(strings.TrimSpace(arg), 10, 64); err == nil {
			tasks = append(tasks, n)
		} else if validNVR(arg) {
			builds = append(builds, arg)
		} else {
			return p.errorf("please specify only task ids (integer) or builds (n-v-r)")
		}
	}
	var calls []kojiclient.MultiCall
	for _, id := range tasks {
		c := kojiclient.MultiCall{Method: "cancelTask", Params: []any{id}}
		if o.b("justone") {
			c.Kw = map[string]any{"recurse": false}
		} else if o.b("full") {
			c.Method = "cancelTaskFull"
			if o.b("force") {
				c.Kw = map[string]any{"strict": false}
			}
		}
		calls = append(calls, c)
	}
	if len(builds) > 0 {
		ver, err := a.sess.HubVersion(a.ctx)
		if err != nil {
			return err
		}
		for _, b := range builds {
			c := kojiclient.MultiCall{Method: "cancelBuild", Params: []any{b}}
			if kojiclient.VersionAtLeast(ver, "1.33.0") {
				c.Kw = map[string]any{"strict": true}
			}
			calls = append(calls, c)
		}
	}
	bad := false
	for start := 0; start < len(calls); start += 100 {
		res, err := a.multi(calls[start:min(start+100, len(calls))], false)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Fault != nil {
				a.warn("%s", r.Fault.String)
				bad = true
			}
		}
	}
	if bad {
		return exitCode(1)
	}
	return nil
}

// validNVR is koji.parse_NVR succeeding: at least name-version-release.
func validNVR(s string) bool {
	if i := strings.Index(s, ":"); i >= 0 {
		s = s[i+1:]
	}
	r := strings.LastIndex(s, "-")
	if r <= 0 {
		return false
	}
	v := strings.LastIndex(s[:r], "-")
	return v > 0
}

func cmdResubmit(a *app, args []string) error {
	p := newParser("%prog resubmit [options] <task_id>")
	p.flag("", "--wait", "wait on the task, even when running in the background")
	p.add(&option{long: "--nowait", dest: "wait", kind: optFalse, help: "do not wait on the task"})
	p.add(&option{long: "--nowatch", dest: "nowait", kind: optBool, help: "the same as --nowait"})
	p.flag("", "--quiet", "do not print the task information")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return p.errorf("Please specify a single task ID")
	}
	quiet := o.b("quiet") || a.quiet
	if err := a.activate(); err != nil {
		return err
	}
	id, err := strconv.ParseInt(strings.TrimSpace(pos[0]), 10, 64)
	if err != nil {
		return fmt.Errorf("ValueError: invalid literal for int() with base 10: %s", pyStr(pos[0]))
	}
	if !quiet {
		a.println("Resubmitting the following task:")
		if err := a.printTaskInfo(id, 0, false, true); err != nil {
			return err
		}
	}
	nv, err := a.call("resubmitTask", id)
	if err != nil {
		return err
	}
	if !quiet {
		a.printf("Resubmitted task %d as new task %s\n", id, pyStrOf(nv))
	}
	return a.watchIfWaiting(o, []int64{mint(map[string]any{"id": nv}, "id")}, quiet)
}

func cmdWatchTask(a *app, args []string) error {
	p := newParser("%prog watch-task [options] <task id> [<task id> ...]")
	p.flag("", "--quiet", "do not print the task information")
	addTaskSelection(p)
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	selection := o.b("mine") || o.s("user") != "" || o.s("arch") != "" || o.s("method") != "" ||
		o.s("channel") != "" || o.s("host") != ""
	if len(pos) > 0 && selection {
		return p.errorf("Selection options cannot be combined with a task list")
	}
	if o.b("mine") {
		a.noauth = a.g.b("noauth")
		err = a.activate()
	} else {
		err = a.ensureConn()
	}
	if err != nil {
		return err
	}
	var ids []int64
	if selection {
		list, err := a.listTasks(o)
		if err != nil {
			return err
		}
		for _, t := range list {
			ids = append(ids, mint(t, "id"))
		}
		if len(ids) == 0 {
			a.println("(no tasks)")
			return nil
		}
	} else {
		for _, s := range pos {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return p.errorf("task id must be an integer")
			}
			ids = append(ids, n)
		}
		if len(ids) == 0 {
			return p.errorf("at least one task id must be specified")
		}
	}
	return a.watchTasks(ids, o.b("quiet") || a.quiet)
}

func cmdWatchLogs(a *app, args []string) error {
	p := newParser("%prog watch-logs [options] <task id> [<task id> ...]")
	p.str("", "--log", "watch only this log")
	p.flag("", "--mine", "watch the logs of all your tasks (no task ids then)")
	p.flag("-f", "--follow", "follow child tasks as they are created")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	var ids []int64
	if o.b("mine") {
		a.noauth = a.g.b("noauth")
		if err := a.activate(); err != nil {
			return err
		}
		if len(pos) > 0 {
			return p.errorf("Selection options cannot be combined with a task list")
		}
		list, err := a.listTasks(o)
		if err != nil {
			return err
		}
		for _, t := range list {
			ids = append(ids, mint(t, "id"))
		}
		if len(ids) == 0 {
			a.println("You've no active tasks.")
			return nil
		}
	} else {
		if err := a.ensureConn(); err != nil {
			return err
		}
		for _, s := range pos {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return p.errorf("task id must be an integer")
			}
			ids = append(ids, n)
		}
	}
	if len(ids) == 0 {
		return p.errorf("at least one task id must be specified")
	}
	return a.watchLogs(ids, o.s("log"), o.b("follow"))
}

// watchLogs is watch_logs: print new log contents of the tasks until they
// are all done, with a "==> task:volume:log: <==" line before each stretch.
func (a *app) watchLogs(ids []int64, only string, follow bool) error {
	a.println("Watching logs (this may be safely interrupted)...")
	offsets := map[string]int64{}
	lastlog := ""
	for {
		for _, id := range append([]int64(nil), ids...) {
			v, err := a.call("getTaskInfo", id)
			if err != nil {
				return err
			}
			if v == nil {
				a.printf("No such task id: %d\n", id)
				return exitCode(1)
			}
			if s := mint(asMap(v), "state"); s == taskClosed || s == taskCanceled || s == taskFailed {
				ids = removeID(ids, id)
			}
			files, err := a.taskOutput(id)
			if err != nil {
				return err
			}
			for _, fv := range files {
				if only != "" && fv[0] != only || only == "" && !strings.HasSuffix(fv[0], "log") {
					continue
				}
				key := fmt.Sprintf("%d\x00%s\x00%s", id, fv[1], fv[0])
				for {
					c, err := a.callKw("downloadTaskOutput", []any{id, fv[0], offsets[key], 16384}, map[string]any{"volume": fv[1]})
					if err != nil {
						return err
					}
					data := taskBytes(c)
					if len(data) == 0 {
						break
					}
					offsets[key] += int64(len(data))
					cur := fmt.Sprintf("%d:%s:%s:", id, fv[1], fv[0])
					if cur != lastlog {
						if lastlog != "" {
							a.printf("\n")
						}
						a.printf("==> %s <==\n", cur)
						lastlog = cur
					}
					a.out.Write(data)
				}
			}
			if follow {
				kids, err := a.call("getTaskChildren", id)
				if err != nil {
					return err
				}
				for _, k := range asList(kids) {
					kid := mint(asMap(k), "id")
					if !containsID(ids, kid) {
						ids = append(ids, kid)
					}
				}
			}
		}
		if len(ids) == 0 {
			return nil
		}
		if err := a.pause(); err != nil {
			return err
		}
	}
}

func taskBytes(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

func removeID(ids []int64, id int64) []int64 {
	for i, x := range ids {
		if x == id {
			return append(ids[:i:i], ids[i+1:]...)
		}
	}
	return ids
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func cmdDownloadTask(a *app, args []string) error {
	p := newParser("%prog download-task <task_id>\nDefault behavior without --all option downloads .rpm files only for build and buildArch tasks.\n")
	p.add(&option{long: "--arch", dest: "arches", kind: optAppend, metavar: "ARCH",
		help: "only packages for this arch (may be repeated); build and buildArch tasks only"})
	p.flag("", "--logs", "download the build logs too")
	p.add(&option{long: "--topurl", kind: optString, metavar: "URL", help: "URL under which Koji files are accessible"})
	p.flag("", "--noprogress", "do not show a progress meter")
	p.flag("", "--wait", "wait for running tasks to finish, even in the background")
	p.add(&option{long: "--nowait", dest: "wait", kind: optFalse, help: "do not wait for running tasks to finish"})
	p.flag("-q", "--quiet", "print nothing")
	p.flag("", "--all", "download all files of all methods, not only build and buildArch rpms")
	p.flag("", "--dirpertask", "download into one directory per task")
	p.flag("", "--parentonly", "download the parent task's files only")
	p.list("", "--filter", "regular expression the file names must match")
	p.list("", "--skip", "regular expression of file names to skip")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return p.errorf("Please specify a task ID")
	} else if len(pos) > 1 {
		return p.errorf("Only one task ID may be specified")
	}
	baseID, err := strconv.ParseInt(strings.TrimSpace(pos[0]), 10, 64)
	if err != nil {
		return fmt.Errorf("ValueError: invalid literal for int() with base 10: %s", pyStr(pos[0]))
	}
	var arches []string
	if l := o.l("arches"); len(l) > 0 {
		arches = strings.Split(strings.Join(l, ","), ",")
	}
	if len(o.l("filter")) > 0 && len(o.l("skip")) > 0 {
		return p.errorf("Only filter or skip may be specified. Not both.")
	}
	topurl := a.profile.TopURL
	if o.has("topurl") {
		topurl = o.s("topurl")
	}
	quiet := o.b("quiet") || a.quiet
	if err := a.ensureConn(); err != nil {
		return err
	}
	v, err := a.call("getTaskInfo", baseID)
	if err != nil {
		return err
	}
	base := asMap(v)
	if base == nil {
		return fail("No such task: %d", baseID)
	}
	if s := mint(base, "state"); a.shouldWait(o) && s != taskClosed && s != taskCanceled && s != taskFailed {
		if err := a.watchTasks([]int64{baseID}, quiet); err != nil {
			if _, ok := err.(exitCode); !ok {
				return err
			}
		}
		if v, err = a.call("getTaskInfo", baseID); err != nil {
			return err
		}
		base = asMap(v)
	}
	list := []any{base}
	if !o.b("parentonly") {
		kids, err := a.call("getTaskChildren", baseID)
		if err != nil {
			return err
		}
		list = append(list, asList(kids)...)
	}
	sortTasksByID(list)
	for _, x := range list {
		t := asMap(x)
		id := mint(t, "id")
		st := mint(t, "state")
		if st == taskClosed {
			continue
		}
		who := "Child task"
		if id == baseID {
			who = "Task"
		}
		switch st {
		case taskFailed:
			return fail("%s %d failed. You can use save-failed-tree plugin for FAILED tasks.", who, id)
		case taskCanceled:
			return fail("%s %d was canceled.", who, id)
		default:
			return fail("%s %d has not finished yet.", who, id)
		}
	}
	type dl struct {
		task             map[string]any
		file, vol, local string
	}
	var downloads []dl
	var filters, skips []*regexp.Regexp
	for _, f := range o.l("filter") {
		re, err := regexp.Compile(f)
		if err != nil {
			return fmt.Errorf("bad --filter %q: %v", f, err)
		}
		filters = append(filters, re)
	}
	for _, f := range o.l("skip") {
		re, err := regexp.Compile(f)
		if err != nil {
			return fmt.Errorf("bad --skip %q: %v", f, err)
		}
		skips = append(skips, re)
	}
	buildMethod := func(m string) bool { return m == "build" || m == "buildArch" }
	for _, x := range list {
		t := asMap(x)
		arch, tid := mstr(t, "arch"), pyStrOf(t["id"])
		files, err := a.taskOutput(mint(t, "id"))
		if err != nil {
			return err
		}
		for _, fv := range files {
			name := fv[0]
			keep := true
			for _, re := range filters {
				if !re.MatchString(name) {
					keep = false
					break
				}
			}
			for _, re := range skips {
				if re.MatchString(name) {
					keep = false
					break
				}
			}
			if !keep {
				continue
			}
			ftype := ""
			if strings.HasSuffix(name, "src.rpm") {
				ftype = "src.rpm"
			} else if i := strings.LastIndex(name, "."); i >= 0 {
				ftype = name[i+1:]
			}
			isRPM := ftype == "rpm" || ftype == "src.rpm"
			if o.b("all") && !(buildMethod(mstr(t, "method")) && isRPM) {
				if ftype != "log" {
					local := name
					if o.b("dirpertask") {
						local = tid + "/" + name
					} else if !strings.Contains(name, arch) && ftype != "src.rpm" {
						local = fmt.Sprintf("%s.%s.%s", name[:len(name)-len(ftype)-1], arch, ftype)
					}
					downloads = append(downloads, dl{t, name, fv[1], local})
				}
			} else if buildMethod(mstr(t, "method")) && isRPM {
				parts := strings.Split(name, ".")
				farch := parts[len(parts)-2]
				if len(arches) == 0 || contains(arches, farch) {
					local := name
					if o.b("dirpertask") {
						local = tid + "/" + name
					}
					downloads = append(downloads, dl{t, name, fv[1], local})
				}
			}
			if ftype == "log" && o.b("logs") {
				local := name
				if o.b("dirpertask") {
					local = tid + "/" + name
				} else if !strings.Contains(name, arch) {
					local = fmt.Sprintf("%s.%s.log", strings.TrimSuffix(name, ".log"), arch)
				}
				downloads = append(downloads, dl{t, name, fv[1], local})
			}
		}
	}
	if len(downloads) == 0 {
		a.println("No files for download found.")
		return nil
	}
	seen := map[string]bool{}
	dup := false
	for i, d := range downloads {
		tid := pyStrOf(d.task["id"])
		local := d.local
		if o.b("dirpertask") {
			os.MkdirAll(tid, 0o755)
		}
		if d.vol != "" && d.vol != "DEFAULT" {
			if o.b("dirpertask") {
				os.MkdirAll(filepath.Join(tid, d.vol), 0o755)
				local = filepath.Join(tid, d.vol, d.file)
			} else {
				os.MkdirAll(d.vol, 0o755)
				local = filepath.Join(d.vol, local)
			}
		}
		if strings.Contains(d.file, "..") {
			return fail("Invalid file name: %s", d.file)
		}
		url := taskDir(topurl, mint(d.task, "id"), d.vol) + "/" + d.file
		key := local + "\x00" + d.vol
		if !seen[key] {
			if err := a.downloadFile(url, local, quiet, o.b("noprogress"), len(downloads), i+1, 0); err != nil {
				return err
			}
			seen[key] = true
		} else {
			if !quiet {
				a.printf("Downloading [%d/%d]: %s\n", i+1, len(downloads), local)
				a.printf("File %s already downloaded, skipping\n", local)
			}
			dup = true
		}
	}
	if dup {
		a.warn("Duplicate files, for download all duplicate files use --dirpertask.")
	}
	return nil
}
