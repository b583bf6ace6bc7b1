package kojicli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gokoji/gokoji/hub/kojiclient"
)

func init() {
	register(&command{name: "list-tagged", anon: true, section: "info", summary: "List the builds or rpms in a tag", run: cmdListTagged})
	register(&command{name: "latest-build", anon: true, section: "info", summary: "Print the latest builds for a tag", run: cmdLatestBuild})
	register(&command{name: "tag-build", section: "bind", summary: "Apply a tag to one or more builds", run: cmdTagBuild})
	register(&command{name: "untag-build", section: "bind", summary: "Remove a tag from one or more builds", run: cmdUntagBuild})
	register(&command{name: "move-build", section: "bind", summary: "'Move' one or more builds between tags", run: cmdMoveBuild})
	register(&command{name: "regen-repo", section: "admin", summary: "Generate a current repo if there is not one", run: cmdRegenRepo})
	register(&command{name: "wait-repo", anon: true, section: "monitor", summary: "Wait for a repo to be regenerated", run: cmdWaitRepo})
}

// fmtBuildLine is "%(nvr)-40s  %(tag_name)-20s  %(owner_name)s" and its
// maven and path variants.
func fmtBuildLine(b map[string]any, typ string, paths bool, top string) string {
	first := mstr(b, "nvr")
	if paths {
		first = buildDir(top, b)
		if typ == "maven" {
			first += "/maven"
		}
	}
	if typ == "maven" {
		return fmt.Sprintf("%-40s  %-20s  %-20s  %-20s  %s", first, mstr(b, "tag_name"), mstr(b, "maven_group_id"), mstr(b, "maven_artifact_id"), mstr(b, "owner_name"))
	}
	return fmt.Sprintf("%-40s  %-20s  %s", first, mstr(b, "tag_name"), mstr(b, "owner_name"))
}

func (a *app) buildHeader(typ string) {
	if typ == "maven" {
		a.printf("%-40s  %-20s  %-20s  %-20s  %s\n", "Build", "Tag", "Group Id", "Artifact Id", "Built by")
		a.printf("%s  %s  %s  %s  %s\n", strings.Repeat("-", 40), strings.Repeat("-", 20), strings.Repeat("-", 20), strings.Repeat("-", 20), strings.Repeat("-", 16))
	} else {
		a.printf("%-40s  %-20s  %s\n", "Build", "Tag", "Built by")
		a.printf("%s  %s  %s\n", strings.Repeat("-", 40), strings.Repeat("-", 20), strings.Repeat("-", 16))
	}
}

func printSorted(a *app, lines []string) {
	sort.Strings(lines)
	for _, l := range lines {
		a.println(l)
	}
}

func cmdListTagged(a *app, args []string) error {
	p := newParser("%prog list-tagged [options] <tag> [<package>]")
	p.list("", "--arch", "list rpms of this arch")
	p.flag("", "--rpms", "show rpms instead of builds")
	p.flag("", "--inherit", "follow inheritance")
	p.flag("", "--latest", "only the latest builds/rpms")
	p.add(&option{long: "--latest-n", kind: optInt, metavar: "N", help: "only the latest N builds/rpms"})
	p.flag("", "--quiet", "do not print the header")
	p.flag("", "--paths", "show the file paths")
	p.flag("", "--sigs", "show signatures")
	p.str("", "--type", "only builds of this type: maven, win, image")
	addEventOpts(p)
	p.flag("", "--draft-only", "only draft builds/rpms")
	p.flag("", "--no-draft", "only regular builds/rpms")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return p.errorf("A tag name must be specified")
	} else if len(pos) > 2 {
		return p.errorf("Only one package name may be specified")
	}
	if o.b("no_draft") && o.b("draft_only") {
		return p.errorf("--draft-only conflicts with --no-draft")
	}
	quiet := o.b("quiet") || a.quiet
	if err := a.ensureConn(); err != nil {
		return err
	}
	tag := pos[0]
	rpms := o.b("rpms")
	opts := map[string]any{"latest": o.b("latest"), "inherit": o.b("inherit")}
	if o.has("latest_n") {
		opts["latest"] = o.i("latest_n")
	}
	if len(pos) > 1 {
		opts["package"] = pos[1]
	}
	if len(o.l("arch")) > 0 {
		rpms = true
		opts["arch"] = strList(o.l("arch"))
	}
	if o.b("sigs") {
		opts["rpmsigs"] = true
		rpms = true
	}
	switch {
	case o.has("type"):
		opts["type"] = o.s("type")
	case o.b("no_draft"):
		opts["draft"] = false
	case o.b("draft_only"):
		opts["draft"] = true
	}
	var eventID any
	if quiet {
		// eventFromOpts prints "Querying at event"; only when not quiet.
		a.out, a.quietOut = discardWriter{}, a.out
	}
	ev, err := a.eventFromOpts(o)
	if quiet {
		a.out = a.quietOut
	}
	if err != nil {
		return err
	}
	if ev != nil {
		opts["event"] = ev["id"]
		eventID = ev["id"]
	}
	ti, err := a.callKw("getTag", []any{tag}, map[string]any{"event": eventID})
	if err != nil {
		return err
	}
	if ti == nil {
		return p.errorf("No such tag: %s", tag)
	}
	if o.b("sigs") && o.b("paths") {
		return fail("'list-tagged --sigs --paths' requires accessible %s/packages", a.profile.TopDir)
	}
	var lines []string
	if rpms {
		v, err := a.callKw("listTaggedRPMS", []any{tag}, opts)
		if err != nil {
			return err
		}
		pair := asList(v)
		builds := map[int64]map[string]any{}
		if len(pair) > 1 {
			for _, b := range asList(pair[1]) {
				builds[mint(asMap(b), "id")] = asMap(b)
			}
		}
		for _, x := range asList(pair[0]) {
			r := asMap(x)
			if o.b("paths") {
				lines = append(lines, buildDir(a.profile.TopDir, builds[mint(r, "build_id")])+"/"+rpmRelPath(r))
				continue
			}
			s := fmt.Sprintf("%s-%s-%s.%s", mstr(r, "name"), mstr(r, "version"), mstr(r, "release"), mstr(r, "arch"))
			if truthy(r["draft"]) {
				s += fmt.Sprintf(" (,draft_%s)", pyStrOf(r["build_id"]))
			}
			if o.b("sigs") {
				s = pyStrOf(r["sigkey"]) + " " + s
			}
			lines = append(lines, s)
		}
	} else {
		v, err := a.callKw("listTagged", []any{tag}, opts)
		if err != nil {
			return err
		}
		for _, x := range asList(v) {
			lines = append(lines, fmtBuildLine(asMap(x), o.s("type"), o.b("paths"), a.profile.TopDir))
		}
		if !quiet {
			a.buildHeader(o.s("type"))
		}
	}
	printSorted(a, lines)
	return nil
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }

func cmdLatestBuild(a *app, args []string) error {
	p := newParser(`%prog latest-build [options] <tag> <package> [<package> ...]

The first option should be the name of a tag, not the name of a build target.
If you want to know the latest build in buildroots for a given build target,
then you should use the name of the build tag for that target. You can find
this value by running '%prog list-targets --name=<target>'

More information on tags and build targets can be found in the documentation.
https://docs.pagure.org/koji/HOWTO/#package-organization`)
	p.str("", "--arch", "list the latest rpms of this arch")
	p.flag("", "--all", "list the latest builds of every package in the tag")
	p.flag("", "--quiet", "do not print the header")
	p.flag("", "--paths", "show the file paths")
	p.str("", "--type", "only builds of this type: maven, win, image, or a content generator's btype")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return p.errorf("A tag name must be specified")
	}
	quiet := o.b("quiet") || a.quiet
	if err := a.ensureConn(); err != nil {
		return err
	}
	pkgs := make([]any, 0, len(pos))
	if o.b("all") {
		if len(pos) > 1 {
			return p.errorf("A package name may not be combined with --all")
		}
		pkgs = append(pkgs, nil)
	} else {
		if len(pos) < 2 {
			return p.errorf("A tag name and package name must be specified")
		}
		for _, s := range pos[1:] {
			pkgs = append(pkgs, s)
		}
	}
	for _, pkg := range pkgs {
		var lines []string
		if o.s("arch") != "" {
			v, err := a.callKw("getLatestRPMS", []any{pos[0]}, map[string]any{"package": pkg, "arch": o.s("arch")})
			if err != nil {
				return err
			}
			pair := asList(v)
			builds := map[int64]map[string]any{}
			for _, b := range asList(pair[1]) {
				builds[mint(asMap(b), "build_id")] = asMap(b)
			}
			for _, x := range asList(pair[0]) {
				r := asMap(x)
				if o.b("paths") {
					b := merge(r, map[string]any{"name": mstr(builds[mint(r, "build_id")], "package_name")})
					lines = append(lines, buildDir(a.profile.TopDir, b)+"/"+rpmRelPath(r))
				} else {
					lines = append(lines, fmt.Sprintf("%s-%s-%s.%s", mstr(r, "name"), mstr(r, "version"), mstr(r, "release"), mstr(r, "arch")))
				}
			}
		} else {
			kw := map[string]any{"package": pkg}
			if o.s("type") != "" {
				kw["type"] = o.s("type")
			}
			v, err := a.callKw("getLatestBuilds", []any{pos[0]}, kw)
			if err != nil {
				return err
			}
			for _, x := range asList(v) {
				lines = append(lines, fmtBuildLine(asMap(x), o.s("type"), o.b("paths"), a.profile.TopDir))
			}
			if !quiet {
				a.buildHeader(o.s("type"))
				quiet = true
			}
		}
		printSorted(a, lines)
	}
	return nil
}

func cmdTagBuild(a *app, args []string) error {
	p := newParser("%prog tag-build [options] <tag> <pkg> [<pkg> ...]")
	p.flag("", "--force", "force the operation")
	p.flag("", "--wait", "wait on the task, even when running in the background")
	p.add(&option{long: "--nowait", dest: "wait", kind: optFalse, help: "do not wait on the task"})
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return p.errorf("This command takes at least two arguments: a tag name/ID and one or more package n-v-r's")
	}
	if err := a.activate(); err != nil {
		return err
	}
	var tasks []int64
	for _, pkg := range pos[1:] {
		v, err := a.callKw("tagBuild", []any{pos[0], pkg}, map[string]any{"force": o.b("force")})
		if err != nil {
			return err
		}
		id := mint(map[string]any{"id": v}, "id")
		tasks = append(tasks, id)
		a.printf("Created task %d\n", id)
	}
	return a.watchIfWaiting(o, tasks, a.quiet)
}

func cmdMoveBuild(a *app, args []string) error {
	p := newParser("%prog move-build [options] <tag1> <tag2> <pkg> [<pkg> ...]")
	p.flag("", "--force", "force the operation")
	p.flag("", "--wait", "wait on the tasks, even when running in the background")
	p.add(&option{long: "--nowait", dest: "wait", kind: optFalse, help: "do not wait on the tasks"})
	p.flag("", "--all", "move all builds of the packages (the arguments are package names)")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 3 {
		if o.b("all") {
			return p.errorf("This command, with --all, takes at least three arguments: two tags and one or more package names")
		}
		return p.errorf("This command takes at least three arguments: two tags and one or more package n-v-r's")
	}
	if err := a.activate(); err != nil {
		return err
	}
	var tasks []int64
	if o.b("all") {
		for _, arg := range pos[2:] {
			pk, err := a.call("getPackage", arg)
			if err != nil {
				return err
			}
			if pk == nil {
				a.printf("No such package: %s, skipping.\n", arg)
				continue
			}
			v, err := a.call("moveAllBuilds", pos[0], pos[1], arg, o.b("force"))
			if err != nil {
				return err
			}
			for _, t := range asList(v) {
				tasks = append(tasks, mint(map[string]any{"id": t}, "id"))
			}
		}
	} else {
		var builds []map[string]any
		seen := map[int64]bool{}
		for _, arg := range pos[2:] {
			v, err := a.call("getBuild", arg)
			if err != nil {
				return err
			}
			if v == nil {
				a.printf("No such build: %s, skipping.\n", arg)
				continue
			}
			b := asMap(v)
			if !seen[mint(b, "id")] {
				seen[mint(b, "id")] = true
				builds = append(builds, b)
			}
		}
		for _, b := range builds {
			v, err := a.call("moveBuild", pos[0], pos[1], b["id"], o.b("force"))
			if err != nil {
				return err
			}
			id := mint(map[string]any{"id": v}, "id")
			tasks = append(tasks, id)
			a.printf("Created task %d, moving %s\n", id, buildLabel(b))
		}
	}
	return a.watchIfWaiting(o, tasks, a.quiet)
}

func cmdUntagBuild(a *app, args []string) error {
	p := newParser("%prog untag-build [options] <tag> <pkg> [<pkg> ...]")
	p.flag("", "--all", "untag all builds of the packages in the tag (the arguments are package names)")
	p.flag("", "--non-latest", "untag all but the latest build of the packages (the arguments are package names)")
	p.flag("-n", "--test", "test mode")
	p.flag("-v", "--verbose", "print details")
	p.flag("", "--force", "force the operation")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if o.b("non_latest") && o.b("force") {
		if len(pos) < 1 {
			return p.errorf("Please specify a tag")
		}
	} else if len(pos) < 2 {
		return p.errorf("This command takes at least two arguments: a tag name/ID and one or more package n-v-r's or package names")
	}
	if err := a.activate(); err != nil {
		return err
	}
	tv, err := a.call("getTag", pos[0])
	if err != nil {
		return err
	}
	tag := asMap(tv)
	if tag == nil {
		return p.errorf("No such tag: %s", pos[0])
	}
	history := func(key string, pkgs []string) ([]map[string]any, error) {
		var calls []kojiclient.MultiCall
		for _, pkg := range pkgs {
			calls = append(calls, kojiclient.MultiCall{Method: "queryHistory", Kw: map[string]any{"tag": pos[0], key: pkg, "active": true}})
		}
		res, err := a.multi(calls, true)
		if err != nil {
			return nil, err
		}
		var out []map[string]any
		for _, r := range res {
			tl, ok := asMap(r.Value)["tag_listing"]
			if !ok {
				return nil, &pyError{"KeyError", "'tag_listing'"}
			}
			for _, x := range asList(tl) {
				out = append(out, asMap(x))
			}
		}
		return out, nil
	}
	nvrOf := func(b map[string]any) string {
		return fmt.Sprintf("%s-%s-%s", mstr(b, "name"), mstr(b, "version"), mstr(b, "release"))
	}
	var builds []map[string]any
	switch {
	case o.b("all"):
		if builds, err = history("package", pos[1:]); err != nil {
			return err
		}
	case o.b("non_latest"):
		var tagged []map[string]any
		if o.b("force") && len(pos) == 1 {
			v, err := a.callKw("queryHistory", nil, map[string]any{"tag": pos[0], "active": true})
			if err != nil {
				return err
			}
			tl, ok := asMap(v)["tag_listing"]
			if !ok {
				return &pyError{"KeyError", "'tag_listing'"}
			}
			for _, x := range asList(tl) {
				tagged = append(tagged, asMap(x))
			}
		} else if tagged, err = history("package", pos[1:]); err != nil {
			return err
		}
		sort.SliceStable(tagged, func(i, j int) bool { return mint(tagged[i], "create_event") > mint(tagged[j], "create_event") })
		seen := map[string]bool{}
		for _, b := range tagged {
			if !seen[mstr(b, "name")] {
				if o.b("verbose") {
					a.printf("Leaving latest build for package %s: %s\n", mstr(b, "name"), nvrOf(b))
				}
			} else {
				builds = append(builds, b)
			}
			seen[mstr(b, "name")] = true
		}
	default:
		var names []string
		for _, nvr := range pos[1:] {
			if !validNVR(nvr) {
				return &pyError{"GenericError", fmt.Sprintf("invalid format: %s", nvr)}
			}
			r := strings.LastIndex(nvr, "-")
			name := nvr[:strings.LastIndex(nvr[:r], "-")]
			if i := strings.Index(name, ":"); i >= 0 {
				name = name[i+1:]
			}
			if !contains(names, name) {
				names = append(names, name)
			}
		}
		tagged, err := history("pkg", names)
		if err != nil {
			return err
		}
		idx := map[string]map[string]any{}
		for _, b := range tagged {
			idx[nvrOf(b)] = b
		}
		for _, nvr := range pos[1:] {
			if b := idx[nvr]; b != nil {
				builds = append(builds, b)
				continue
			}
			b, err := a.call("getBuild", nvr)
			if err != nil {
				return err
			}
			if b == nil {
				a.warn("No such build: %s", nvr)
			} else {
				a.warn("Build %s not in tag %s", nvr, mstr(tag, "name"))
			}
			if !o.b("force") {
				return exitCode(1)
			}
		}
	}
	var calls []kojiclient.MultiCall
	for i := len(builds) - 1; i >= 0; i-- {
		nvr := nvrOf(builds[i])
		if o.b("test") {
			a.printf("would have untagged %s\n", nvr)
			continue
		}
		if o.b("verbose") {
			a.printf("untagging %s\n", nvr)
		}
		calls = append(calls, kojiclient.MultiCall{Method: "untagBuild", Params: []any{mstr(tag, "name"), nvr}, Kw: map[string]any{"force": o.b("force")}})
	}
	_, err = a.multi(calls, true)
	return err
}

// repoWatcher is koji.util.RepoWatcher: wait for a repo of a tag that
// satisfies an event and build conditions, by request or by polling.
type repoWatcher struct {
	a        *app
	tag      map[string]any
	nvrs     []string
	minEvent any
	atEvent  any
	opts     any
	start    time.Time
	timeout  time.Duration
	verbose  bool
}

func (a *app) newRepoWatcher(tagID any, nvrs []string, minEvent, atEvent, opts any, timeoutMin int, verbose bool) (*repoWatcher, error) {
	v, err := a.callKw("getTag", []any{tagID}, map[string]any{"strict": true})
	if err != nil {
		return nil, err
	}
	w := &repoWatcher{a: a, tag: asMap(v), nvrs: nvrs, atEvent: atEvent, opts: opts,
		timeout: time.Duration(timeoutMin) * time.Minute, verbose: verbose}
	if minEvent == "last" {
		if w.minEvent, err = a.call("tagLastChangeEvent", w.tag["id"]); err != nil {
			return nil, err
		}
	} else {
		w.minEvent = minEvent
	}
	return w, nil
}

func (w *repoWatcher) info(format string, args ...any) {
	if w.verbose && !w.a.quiet {
		w.a.printf(format+"\n", args...)
	}
}

func (w *repoWatcher) logErr(format string, args ...any) {
	w.a.printf(format+"\n", args...)
}

func (w *repoWatcher) request(minEvent any) (map[string]any, error) {
	if minEvent == nil {
		minEvent = w.minEvent
	}
	w.info("Requesting a repo")
	v, err := w.a.callKw("repo.request", []any{w.tag["id"]}, map[string]any{"min_event": minEvent, "at_event": w.atEvent, "opts": w.opts})
	return asMap(v), err
}

// checkForBuilds is koji.util.checkForBuilds.
func (w *repoWatcher) checkForBuilds(event any) (bool, error) {
	for _, nvr := range w.nvrs {
		r := strings.LastIndex(nvr, "-")
		name := nvr[:strings.LastIndex(nvr[:r], "-")]
		v, err := w.a.callKw("listTagged", []any{w.tag["id"]}, map[string]any{"event": event, "package": name, "inherit": true})
		if err != nil {
			return false, err
		}
		found := false
		for _, b := range asList(v) {
			if mstr(asMap(b), "nvr") == nvr {
				found = true
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

func (w *repoWatcher) checkRepo(r map[string]any) (bool, error) {
	if mint(r, "tag_id") != mint(w.tag, "id") {
		w.logErr("Got repo for wrong tag, expected %s, got %s", pyStrOf(w.tag["id"]), pyStrOf(r["tag_id"]))
		return false, nil
	}
	if w.atEvent != nil {
		if mint(r, "create_event") != mint(map[string]any{"e": w.atEvent}, "e") {
			return false, nil
		}
	} else if w.minEvent != nil && mint(r, "create_event") < mint(map[string]any{"e": w.minEvent}, "e") {
		return false, nil
	}
	if w.opts != nil && pyRepr(r["opts"]) != pyRepr(w.opts) {
		return false, nil
	}
	if len(w.nvrs) > 0 {
		return w.checkForBuilds(r["create_event"])
	}
	return true, nil
}

func (w *repoWatcher) timedOut() bool { return time.Since(w.start) > w.timeout }

func durationStr(start time.Time) string {
	e := time.Since(start)
	return fmt.Sprintf("%d:%02d", int(e.Minutes()), int(e.Seconds())%60)
}

func (w *repoWatcher) waitRequest(req map[string]any) (map[string]any, error) {
	if w.start.IsZero() {
		w.start = time.Now()
	}
	for {
		v, err := w.a.call("repo.checkRequest", req["id"])
		if err != nil {
			return nil, err
		}
		check := asMap(v)
		if r := asMap(check["repo"]); r != nil {
			return r, nil
		}
		if w.timedOut() {
			return nil, fmt.Errorf("Unsuccessfully waited %s for a new %s repo", durationStr(w.start), mstr(w.tag, "name"))
		}
		rq := asMap(check["request"])
		if !truthy(rq["active"]) {
			if truthy(rq["task_id"]) {
				w.logErr("Task %s state is %s", pyStrOf(rq["task_id"]), enumName(taskStates, rq["task_state"]))
			}
			return nil, fmt.Errorf("Repo request no longer active")
		}
		if err := w.a.pause(); err != nil {
			return nil, err
		}
	}
}

func (w *repoWatcher) waitRepo(anon bool) (map[string]any, error) {
	w.info("Waiting on repo for %s", mstr(w.tag, "name"))
	if w.start.IsZero() {
		w.start = time.Now()
	}
	minEvent := w.minEvent
	var req map[string]any
	for {
		if req != nil {
			r, err := w.waitRequest(req)
			if err != nil {
				return nil, err
			}
			ok, err := w.checkRepo(r)
			if err != nil {
				return nil, err
			}
			if ok {
				return r, nil
			}
			if minEvent, err = w.a.call("tagLastChangeEvent", w.tag["id"]); err != nil {
				return nil, err
			}
			w.logErr("Repo request did not satisfy conditions")
		} else if anon {
			v, err := w.a.callKw("repo.get", []any{w.tag["id"]}, map[string]any{"min_event": minEvent, "at_event": w.atEvent, "opts": w.opts})
			if err != nil {
				return nil, err
			}
			if r := asMap(v); r != nil {
				ok, err := w.checkRepo(r)
				if err != nil {
					return nil, err
				}
				if ok {
					return r, nil
				}
			}
		}
		if len(w.nvrs) > 0 {
			for {
				ok, err := w.checkForBuilds(nil)
				if err != nil {
					return nil, err
				}
				if ok {
					break
				}
				if w.timedOut() {
					return nil, fmt.Errorf("Unsuccessfully waited %s for %s to appear in the %s repo", durationStr(w.start), printList(w.nvrs), mstr(w.tag, "name"))
				}
				if err := w.a.pause(); err != nil {
					return nil, err
				}
			}
			var err error
			if minEvent, err = w.a.call("tagLastChangeEvent", w.tag["id"]); err != nil {
				return nil, err
			}
		}
		if !anon {
			check, err := w.request(minEvent)
			if err != nil {
				return nil, err
			}
			if r := asMap(check["repo"]); r != nil {
				ok, err := w.checkRepo(r)
				if err != nil {
					return nil, err
				}
				if ok {
					return r, nil
				}
			} else {
				req = asMap(check["request"])
				if minEvent == nil || minEvent == "last" {
					minEvent = req["min_event"]
				}
			}
		}
		if w.timedOut() && req == nil {
			return nil, fmt.Errorf("Unsuccessfully waited %s for a new %s repo", durationStr(w.start), mstr(w.tag, "name"))
		}
		if err := w.a.pause(); err != nil {
			return nil, err
		}
	}
}

// printList is koji.util.printList: "a", "a and b", "a, b, and c".
func printList(l []string) string {
	switch len(l) {
	case 0:
		return ""
	case 1:
		return l[0]
	case 2:
		return l[0] + " and " + l[1]
	}
	return strings.Join(l[:len(l)-1], ", ") + ", and " + l[len(l)-1]
}

func cmdRegenRepo(a *app, args []string) error {
	p := newParser("%prog regen-repo [options] <tag>")
	p.flag("", "--target", "the argument is a build target")
	p.flag("", "--wait", "wait for the repo, even when running in the background")
	p.add(&option{long: "--nowait", dest: "wait", kind: optFalse, help: "do not wait for the repo"})
	p.flag("", "--make-task", "create a newRepo task directly")
	p.flag("", "--debuginfo", "include debuginfo rpms")
	p.flag("", "--source", "include source rpms in each repo")
	p.flag("", "--separate-source", "put source rpms in a separate src repo")
	p.add(&option{long: "--timeout", kind: optInt, metavar: "TIMEOUT", help: "minutes to wait (default: 120)"})
	p.flag("-v", "--verbose", "more output")
	p.flag("", "--quiet", "less output")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return p.errorf("A tag name must be specified")
	} else if len(pos) > 1 {
		if o.b("target") {
			return p.errorf("Only a single target may be specified")
		}
		return p.errorf("Only a single tag name may be specified")
	}
	if err := a.activate(); err != nil {
		return err
	}
	ver, err := a.sess.HubVersion(a.ctx)
	if err != nil {
		return err
	}
	repoOpts := map[string]any{}
	if o.b("debuginfo") {
		repoOpts["debuginfo"] = true
	}
	if o.b("source") {
		repoOpts["src"] = true
	}
	if o.b("separate_source") {
		repoOpts["separate_src"] = true
	}
	getTag := func() (map[string]any, error) {
		if o.b("target") {
			t, err := a.call("getBuildTarget", pos[0])
			if err != nil {
				return nil, err
			}
			if t == nil {
				return nil, p.errorf("No such build target: %s", pos[0])
			}
			v, err := a.callKw("getTag", []any{asMap(t)["build_tag"]}, map[string]any{"strict": true})
			return asMap(v), err
		}
		v, err := a.call("getTag", pos[0])
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, p.errorf("No such tag: %s", pos[0])
		}
		return asMap(v), nil
	}
	if !o.b("make_task") && kojiclient.VersionAtLeast(ver, "1.35.0") {
		// request-repo --current
		tag, err := getTag()
		if err != nil {
			return err
		}
		if !truthy(tag["arches"]) {
			a.warn("Tag %s has an empty arch list", mstr(tag, "name"))
		}
		var opts any
		if len(repoOpts) > 0 {
			opts = repoOpts
		}
		timeout := 120
		if o.has("timeout") {
			timeout = o.i("timeout")
		}
		w, err := a.newRepoWatcher(tag["id"], nil, "last", nil, opts, timeout, o.b("verbose"))
		if err != nil {
			return err
		}
		check, err := w.request(nil)
		if err != nil {
			return err
		}
		if r := asMap(check["repo"]); r != nil {
			a.printf("Got repo %d\n", mint(r, "id"))
			a.printf("Repo info: %s/repoinfo?repoID=%s\n", a.profile.WebURL, pyStrOf(r["id"]))
			return nil
		}
		req := asMap(check["request"])
		if !o.b("wait") {
			a.printf("Got request: %s\n", pyStrOf(req["id"]))
			if truthy(req["task_id"]) {
				a.printf("Got task: %s\n", pyStrOf(req["task_id"]))
				a.printf("Task info: %s/taskinfo?taskID=%s\n", a.profile.WebURL, pyStrOf(req["task_id"]))
			}
			return nil
		}
		r, err := w.waitRequest(req)
		if f, ok := isFault(err); ok {
			err = fmt.Errorf("%s", f.String)
		}
		if err != nil {
			if isCtxErr(err) {
				return err
			}
			if o.b("quiet") || a.quiet {
				return exitCode(1)
			}
			return fail("Failed to get repo -- %s", err.Error())
		}
		a.printf("Got repo %d\n", mint(r, "id"))
		a.printf("Repo info: %s/repoinfo?repoID=%s\n", a.profile.WebURL, pyStrOf(r["id"]))
		return nil
	}
	if !o.b("make_task") {
		a.warn("Hub does not support repo requests, attempting to create a task directly.")
	}
	tag, err := getTag()
	if err != nil {
		return err
	}
	if !o.b("target") {
		ts, err := a.callKw("getBuildTargets", nil, map[string]any{"buildTagID": tag["id"]})
		if err != nil {
			return err
		}
		if len(asList(ts)) == 0 {
			a.warn("%s is not a build tag", mstr(tag, "name"))
		}
	}
	if !truthy(tag["arches"]) {
		a.warn("Tag %s has an empty arch list", mstr(tag, "name"))
	}
	v, err := a.callKw("newRepo", []any{mstr(tag, "name")}, repoOpts)
	if err != nil {
		return err
	}
	id := mint(map[string]any{"id": v}, "id")
	a.printf("Regenerating repo for tag: %s\n", mstr(tag, "name"))
	a.printf("Created task: %d\n", id)
	a.printf("Task info: %s/taskinfo?taskID=%d\n", a.profile.WebURL, id)
	return a.watchIfWaiting(o, []int64{id}, a.quiet)
}

func cmdWaitRepo(a *app, args []string) error {
	p := newParser("%prog wait-repo [options] <tag>")
	p.add(&option{long: "--build", dest: "builds", kind: optAppend, metavar: "NVR", help: "wait until this build is in the repo (may be repeated)"})
	p.flag("", "--target", "the argument is a build target")
	p.flag("", "--request", "create a repo request (needs a login)")
	p.add(&option{long: "--no-request", dest: "request", kind: optFalse, help: "do not create a repo request (the default)"})
	p.add(&option{long: "--timeout", kind: optInt, metavar: "TIMEOUT", help: "minutes to wait before giving up (default: 120)"})
	p.flag("-v", "--verbose", "more output")
	p.flag("", "--quiet", "print nothing; the exit code tells")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	for _, b := range o.l("builds") {
		if !validNVR(b) {
			return &pyError{"GenericError", "invalid format: " + b}
		}
	}
	if len(pos) < 1 {
		return p.errorf("Please specify a tag name")
	} else if len(pos) > 1 {
		return p.errorf("Only one tag may be specified")
	}
	quiet := o.b("quiet") || a.quiet
	timeout := 120
	if o.has("timeout") {
		timeout = o.i("timeout")
	}
	ver, err := a.sess.HubVersion(a.ctx)
	if err != nil {
		return err
	}
	compat := !kojiclient.VersionAtLeast(ver, "1.35.0")
	anon := true
	if o.b("request") {
		if compat {
			return fail("Hub does not support repo requests")
		}
		a.noauth = false
		if err := a.activate(); err != nil {
			return err
		}
		anon = false
	} else if !o.has("request") && !compat {
		a.warn("The --request option is recommended for faster results")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	var tag map[string]any
	if o.b("target") {
		t, err := a.call("getBuildTarget", pos[0])
		if err != nil {
			return err
		}
		if t == nil {
			return p.errorf("No such build target: %s", pos[0])
		}
		v, err := a.callKw("getTag", []any{asMap(t)["build_tag"]}, map[string]any{"strict": true})
		if err != nil {
			return err
		}
		tag = asMap(v)
	} else {
		v, err := a.call("getTag", pos[0])
		if err != nil {
			return err
		}
		if v == nil {
			return p.errorf("No such tag: %s", pos[0])
		}
		tag = asMap(v)
		ts, err := a.callKw("getBuildTargets", nil, map[string]any{"buildTagID": tag["id"]})
		if err != nil {
			return err
		}
		if len(asList(ts)) == 0 {
			a.warn("%s is not a build tag for any target", mstr(tag, "name"))
			ts, err = a.callKw("getBuildTargets", nil, map[string]any{"destTagID": tag["id"]})
			if err != nil {
				return err
			}
			if l := asList(ts); len(l) > 0 {
				set := map[string]bool{}
				var names []string
				for _, t := range l {
					n := mstr(asMap(t), "build_tag_name")
					if !set[n] {
						set[n] = true
						names = append(names, n)
					}
				}
				sort.Strings(names)
				a.warn("Suggested tags: %s", strings.Join(names, ", "))
			}
		}
	}
	if !o.b("request") && !truthy(asMap(tag["extra"])["repo.auto"]) && !compat {
		a.warn("This tag is not configured for automatic regeneration")
	}
	for _, nvr := range o.l("builds") {
		r := strings.LastIndex(nvr, "-")
		name := nvr[:strings.LastIndex(nvr[:r], "-")]
		v, err := a.callKw("getLatestBuilds", []any{tag["id"]}, map[string]any{"package": name})
		if err != nil {
			return err
		}
		if l := asList(v); len(l) == 0 {
			a.warn("No %s builds in tag %s", name, mstr(tag, "name"))
		} else if cur := mstr(asMap(l[0]), "nvr"); cur != nvr {
			a.warn("nvr %s is not current in tag %s\n  latest build is %s", nvr, mstr(tag, "name"), cur)
		}
	}
	if compat {
		return a.waitRepoCompat(tag, o.l("builds"), timeout, quiet)
	}
	var minEvent any = "last"
	if len(o.l("builds")) > 0 {
		minEvent = nil
	}
	w, err := a.newRepoWatcher(tag["id"], o.l("builds"), minEvent, nil, nil, timeout, o.b("verbose"))
	if err != nil {
		return err
	}
	r, err := w.waitRepo(anon)
	if f, ok := isFault(err); ok {
		// koji.GenericError, which the Python CLI catches here, is the base
		// of every hub fault.
		err = fmt.Errorf("%s", f.String)
	}
	if err != nil {
		if _, ok := err.(exitCode); ok || isCtxErr(err) {
			return err
		}
		if quiet {
			return exitCode(1)
		}
		return fail("Failed to get repo -- %s", err.Error())
	}
	if !quiet {
		a.printf("Got repo %d\n", mint(r, "id"))
		a.printf("Repo info: %s/repoinfo?repoID=%s\n", a.profile.WebURL, pyStrOf(r["id"]))
	}
	return nil
}

// waitRepoCompat is wait_repo for hubs before 1.35: poll getRepo.
func (a *app) waitRepoCompat(tag map[string]any, nvrs []string, timeout int, quiet bool) error {
	w := &repoWatcher{a: a, tag: tag, nvrs: nvrs}
	repo, err := a.call("getRepo", tag["id"])
	if err != nil {
		return err
	}
	var last any
	start := time.Now()
	name := mstr(tag, "name")
	done := func(ok bool, msg string) error {
		if ok {
			if !quiet {
				a.println(msg)
			}
			return nil
		}
		if quiet {
			return exitCode(1)
		}
		return fail("%s", msg)
	}
	for {
		if len(nvrs) > 0 && repo != nil && pyRepr(repo) != pyRepr(last) {
			ok, err := w.checkForBuilds(asMap(repo)["create_event"])
			if err != nil {
				return err
			}
			if ok {
				return done(true, fmt.Sprintf("Successfully waited %s for %s to appear in the %s repo", durationStr(start), printList(nvrs), name))
			}
		}
		if time.Since(start) >= time.Duration(timeout)*time.Minute {
			if len(nvrs) > 0 {
				return done(false, fmt.Sprintf("Unsuccessfully waited %s for %s to appear in the %s repo", durationStr(start), printList(nvrs), name))
			}
			return done(false, fmt.Sprintf("Unsuccessfully waited %s for a new %s repo", durationStr(start), name))
		}
		if err := a.pause(); err != nil {
			return err
		}
		last = repo
		if repo, err = a.call("getRepo", tag["id"]); err != nil {
			return err
		}
		if len(nvrs) == 0 && pyRepr(repo) != pyRepr(last) {
			return done(true, fmt.Sprintf("Successfully waited %s for a new %s repo", durationStr(start), name))
		}
	}
}

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
