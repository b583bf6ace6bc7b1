package kojicli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gokoji/gokoji/hub/kojiclient"
	"github.com/gokoji/gokoji/hub/rpmhdr"
)

func init() {
	register(&command{name: "build", section: "build", summary: "Build a package from source", run: cmdBuild})
	register(&command{name: "chain-build", section: "build", summary: "Build one or more packages from source, in order", run: cmdChainBuild})
	register(&command{name: "import", section: "admin", summary: "Import externally built RPMs into the database", run: cmdImport})
	register(&command{name: "list-builds", anon: true, section: "info", summary: "Print the build listing", run: cmdListBuilds})
	register(&command{name: "buildinfo", anon: true, section: "info", summary: "Print basic information about a build", run: cmdBuildinfo})
	register(&command{name: "rpminfo", anon: true, section: "info", summary: "Print basic information about an RPM", run: cmdRpminfo})
	register(&command{name: "download-build", anon: true, section: "download", summary: "Download a completed build", run: cmdDownloadBuild})
	register(&command{name: "search", anon: true, section: "search", summary: "Search the system", run: cmdSearch})
}

// buildDir is koji.pathinfo.build(build) under top.
func buildDir(top string, b map[string]any) string {
	vol := top
	if v := mstr(b, "volume_name"); v != "" && v != "DEFAULT" {
		vol = top + "/vol/" + v
	}
	name := mstr(b, "name")
	if name == "" {
		name = mstr(b, "package_name")
	}
	return fmt.Sprintf("%s/packages/%s/%s/%s", vol, name, mstr(b, "version"), mstr(b, "release"))
}

// rpmRelPath is koji.pathinfo.rpm(rpminfo).
func rpmRelPath(r map[string]any) string {
	return fmt.Sprintf("%s/%s-%s-%s.%s.rpm", mstr(r, "arch"), mstr(r, "name"), mstr(r, "version"), mstr(r, "release"), mstr(r, "arch"))
}

// uniquePath is unique_path: <prefix>/<time>.<8 letters>.
func uniquePath(prefix string) string { return kojiclient.UniqueDir(prefix) }

func (a *app) blocksize() int { return a.profile.UploadBlocksize }

func cmdBuild(a *app, args []string) error {
	p := newParser(`%prog build [options] <target> <srpm path or scm url>

The first option is the build target, not to be confused with the destination
tag (where the build eventually lands) or build tag (where the buildroot
contents are pulled from).

You can list all available build targets using the '%prog list-targets' command.
More detail can be found in the documentation.
https://docs.pagure.org/koji/HOWTO/#package-organization`)
	p.flag("", "--skip-tag", "do not tag the build")
	p.flag("", "--scratch", "make a scratch build")
	p.add(&option{long: "--rebuild-srpm", dest: "rebuild_srpm", kind: optBool, help: "rebuild the SRPM (scratch builds only)"})
	p.add(&option{long: "--no-rebuild-srpm", dest: "rebuild_srpm", kind: optFalse, help: "do not rebuild the SRPM (scratch builds only)"})
	p.flag("", "--wait", "wait on the build, even when running in the background")
	p.add(&option{long: "--nowait", dest: "wait", kind: optFalse, help: "do not wait on the build"})
	p.flag("", "--wait-repo", "wait for a current repo of the build tag")
	p.add(&option{long: "--wait-build", dest: "wait_builds", kind: optAppend, metavar: "NVR", help: "wait for this build to be in the buildroot's repo"})
	p.flag("", "--quiet", "do not print the task information")
	p.str("", "--arch-override", "build only these arches (scratch builds only)")
	p.flag("", "--fail-fast", "fail as soon as one arch fails, whatever build_arch_can_fail says")
	p.integer("", "--repo-id", "use this repo")
	p.flag("", "--noprogress", "do not show the upload's progress")
	p.flag("", "--background", "run the build at a lower priority")
	p.add(&option{long: "--custom-user-metadata", kind: optString, metavar: "CUSTOM_USER_METADATA",
		help: "a JSON object stored in the build's extra.custom_user_metadata"})
	p.flag("", "--draft", "make a draft build")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return p.errorf("Exactly two arguments (a build target and a SCM URL or srpm file) are required")
	}
	if o.has("rebuild_srpm") && !o.b("scratch") {
		return p.errorf("--no-/rebuild-srpm is only allowed for --scratch builds")
	}
	if o.s("arch_override") != "" && !o.b("scratch") {
		return p.errorf("--arch_override is only allowed for --scratch builds")
	}
	if o.b("scratch") && o.b("draft") {
		return p.errorf("--scratch and --draft cannot be both specfied")
	}
	meta := map[string]any{}
	if o.s("custom_user_metadata") != "" {
		var v any
		if err := json.Unmarshal([]byte(o.s("custom_user_metadata")), &v); err != nil {
			return p.errorf("--custom-user-metadata is not valid JSON")
		}
		m, ok := fixNumbers(v).(map[string]any)
		if !ok {
			return p.errorf("--custom-user-metadata must be a JSON object")
		}
		meta = m
	}
	quiet := o.b("quiet") || a.quiet
	if err := a.activate(); err != nil {
		return err
	}
	var target any = pos[0]
	skipTag := o.b("skip_tag")
	if strings.ToLower(pos[0]) == "none" && o.i("repo_id") != 0 {
		target, skipTag = nil, true
	} else {
		bt, err := a.call("getBuildTarget", pos[0])
		if err != nil {
			return err
		}
		if bt == nil {
			return p.errorf("No such build target: %s", pos[0])
		}
		dt, err := a.call("getTag", asMap(bt)["dest_tag"])
		if err != nil {
			return err
		}
		if dt == nil {
			return p.errorf("No such destination tag: %s", mstr(asMap(bt), "dest_tag_name"))
		}
		if mbool(asMap(dt), "locked") && !o.b("scratch") {
			return p.errorf("Destination tag %s is locked", mstr(asMap(dt), "name"))
		}
	}
	opts := map[string]any{}
	if o.s("arch_override") != "" {
		arches, err := parseArches(o.s("arch_override"))
		if err != nil {
			return err
		}
		opts["arch_override"] = arches
	}
	if skipTag || o.has("skip_tag") {
		opts["skip_tag"] = skipTag
	}
	for _, k := range []string{"scratch", "fail_fast", "wait_repo", "rebuild_srpm", "draft"} {
		if o.has(k) {
			opts[k] = o[k]
		}
	}
	if o.has("repo_id") {
		opts["repo_id"] = o.i("repo_id")
	}
	opts["wait_builds"] = strList(o.l("wait_builds"))
	opts["custom_user_metadata"] = meta
	var priority any
	if o.b("background") {
		priority = 5
	}
	source := pos[1]
	if !strings.Contains(source, "://") {
		if !quiet {
			a.printf("Uploading srpm: %s\n", source)
		}
		dir := uniquePath("cli-build")
		var progress kojiclient.UploadProgress
		if !(a.runningInBackground() || o.b("noprogress") || quiet) {
			progress = a.uploadProgress()
		}
		if err := a.sess.Upload(a.ctx, source, dir, filepath.Base(source), a.blocksize(), progress); err != nil {
			return uploadError(err)
		}
		a.println()
		source = dir + "/" + filepath.Base(source)
	}
	id, err := a.callKw("build", []any{source, target, opts}, map[string]any{"priority": priority})
	if err != nil {
		return err
	}
	tid := mint(map[string]any{"id": id}, "id")
	if !quiet {
		a.printf("Created task: %d\n", tid)
		a.printf("Task info: %s/taskinfo?taskID=%d\n", a.profile.WebURL, tid)
	}
	return a.watchIfWaiting(o, []int64{tid}, quiet)
}

// uploadError turns a local file problem into the error the Python CLI
// would raise for it.
func uploadError(err error) error {
	var pe *os.PathError
	if ok := asPathError(err, &pe); ok {
		return &pyError{"FileNotFoundError", fmt.Sprintf("[Errno 2] No such file or directory: %s", pyStr(pe.Path))}
	}
	return err
}

func asPathError(err error, pe **os.PathError) bool {
	p, ok := err.(*os.PathError)
	if ok {
		*pe = p
	}
	return ok
}

func cmdChainBuild(a *app, args []string) error {
	p := newParser("%prog chain-build [options] <target> <URL> [<URL> [:] <URL> [:] <URL> ...]")
	p.flag("", "--wait", "wait on the build, even when running in the background")
	p.add(&option{long: "--nowait", dest: "wait", kind: optFalse, help: "do not wait on the build"})
	p.flag("", "--quiet", "do not print the task information")
	p.flag("", "--background", "run the build at a lower priority")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return p.errorf("At least two arguments (a build target and a SCM URL) are required")
	}
	quiet := o.b("quiet") || a.quiet
	if err := a.activate(); err != nil {
		return err
	}
	v, err := a.call("getBuildTarget", pos[0])
	if err != nil {
		return err
	}
	bt := asMap(v)
	if bt == nil {
		return p.errorf("No such build target: %s", pos[0])
	}
	v, err = a.callKw("getTag", []any{bt["dest_tag"]}, map[string]any{"strict": true})
	if err != nil {
		return err
	}
	dest := asMap(v)
	if mbool(dest, "locked") {
		return p.errorf("Destination tag %s is locked", mstr(dest, "name"))
	}
	anc, err := a.call("getFullInheritance", bt["build_tag"])
	if err != nil {
		return err
	}
	ok := mint(dest, "id") == mint(bt, "build_tag")
	for _, x := range asList(anc) {
		if mint(asMap(x), "parent_id") == mint(dest, "id") {
			ok = true
		}
	}
	if !ok {
		a.warn("Packages in destination tag %s are not inherited by build tag %s", mstr(bt, "dest_tag_name"), mstr(bt, "build_tag_name"))
		return fail("Target %s is not usable for a chain-build", mstr(bt, "name"))
	}
	var groups []any
	var level []any
	for _, src := range pos[1:] {
		switch {
		case src == ":":
			if len(level) > 0 {
				groups = append(groups, level)
				level = nil
			}
		case strings.Contains(src, "://"):
			level = append(level, src)
		case !strings.Contains(src, "/") && !strings.HasSuffix(src, ".rpm") && len(strings.Split(src, "-")) >= 3:
			level = append(level, src)
		default:
			return fail("\"%s\" is not a SCM URL or package N-V-R", src)
		}
	}
	if len(level) > 0 {
		groups = append(groups, level)
	}
	if len(groups) < 2 {
		return p.errorf("You must specify at least one dependency between builds with : (colon)\nIf there are no dependencies, use the build command instead")
	}
	var priority any
	if o.b("background") {
		priority = 5
	}
	id, err := a.callKw("chainBuild", []any{groups, pos[0]}, map[string]any{"priority": priority})
	if err != nil {
		return err
	}
	tid := mint(map[string]any{"id": id}, "id")
	if !quiet {
		a.printf("Created task: %d\n", tid)
		a.printf("Task info: %s/taskinfo?taskID=%d\n", a.profile.WebURL, tid)
	}
	return a.watchIfWaiting(o, []int64{tid}, quiet)
}

// rpmData is what import reads from a package's header.
type rpmData struct {
	path                    string
	name, version, release  string
	epoch                   any
	arch, sigmd5, sourcerpm string
	source                  bool
}

func readRPMData(path string) (*rpmData, error) {
	r, err := rpmhdr.Open(path)
	if err != nil {
		var pe *os.PathError
		if asPathError(err, &pe) {
			return nil, uploadError(err)
		}
		return nil, &pyError{"GenericError", fmt.Sprintf("Error reading header: %v", err)}
	}
	md5, err := r.SigMD5()
	if err != nil {
		return nil, &pyError{"GenericError", fmt.Sprintf("Error reading header: %v", err)}
	}
	d := &rpmData{path: path, name: r.Name(), version: r.Version(), release: r.Release(), arch: r.Arch(),
		sigmd5: md5, sourcerpm: r.SourceRPM(), source: r.IsSource()}
	if e := r.Epoch(); e != nil {
		d.epoch = *e
	}
	if d.source {
		d.arch = "src"
	}
	return d, nil
}

// nvrOfRPMName is koji.parse_NVRA(sourcerpm) reduced to n-v-r.
func nvrOfRPMName(s string) string {
	s = strings.TrimSuffix(s, ".rpm")
	if i := strings.LastIndex(s, "."); i >= 0 {
		s = s[:i]
	}
	return s
}

func cmdImport(a *app, args []string) error {
	p := newParser("%prog import [options] <package> [<package> ...]")
	p.flag("", "--link", "hard-link into the hub's work directory instead of uploading")
	p.flag("", "--test", "do not actually import")
	p.flag("", "--create-build", "create builds as needed")
	p.str("", "--src-epoch", "the epoch of builds it creates")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("At least one package must be specified")
	}
	var srcEpoch any
	switch e := o.s("src_epoch"); e {
	case "", "None", "none", "(none)":
	default:
		n, err := strconv.Atoi(strings.TrimSpace(e))
		if err != nil {
			return p.errorf("Invalid value for epoch: %s", e)
		}
		srcEpoch = n
	}
	if err := a.activate(); err != nil {
		return err
	}
	toImport := map[string][]*rpmData{}
	for _, path := range pos {
		d, err := readRPMData(path)
		if err != nil {
			return err
		}
		nvr := fmt.Sprintf("%s-%s-%s", d.name, d.version, d.release)
		if !d.source {
			nvr = nvrOfRPMName(d.sourcerpm)
		}
		toImport[nvr] = append(toImport[nvr], d)
	}
	nvrs := make([]string, 0, len(toImport))
	for k := range toImport {
		nvrs = append(nvrs, k)
	}
	sort.Strings(nvrs)
	missing := false
	for _, nvr := range nvrs {
		sort.SliceStable(toImport[nvr], func(i, j int) bool { return toImport[nvr][i].path < toImport[nvr][j].path })
		hasSrc := false
		for _, d := range toImport[nvr] {
			if d.source {
				hasSrc = true
				break
			}
		}
		if !hasSrc {
			b, err := a.call("getBuild", nvr)
			if err != nil {
				return err
			}
			if b == nil {
				a.printf("Missing build or srpm: %s\n", nvr)
				missing = true
			}
		}
	}
	if missing && !o.b("create_build") {
		a.println("Aborting import")
		return nil
	}
	doImport := func(d *rpmData) error {
		prev, err := a.call("getRPM", map[string]any{"name": d.name, "version": d.version, "release": d.release, "arch": d.arch})
		if err != nil {
			return err
		}
		if pm := asMap(prev); pm != nil && !truthy(pm["external_repo_id"]) {
			if mstr(pm, "payloadhash") == d.sigmd5 {
				a.printf("RPM already imported: %s\n", d.path)
			} else {
				a.warn("md5sum mismatch for %s", d.path)
				a.warn("  A different rpm with the same name has already been imported")
				a.warn("  Existing sigmd5 is %s, your import has %s", pyRepr(pm["payloadhash"]), pyStr(d.sigmd5))
			}
			a.println("Skipping import")
			return nil
		}
		if o.b("test") {
			a.printf("Test mode -- skipping import for %s\n", d.path)
			return nil
		}
		dir := uniquePath("cli-import")
		if o.b("link") {
			dst := filepath.Join(a.profile.TopDir, "work", dir, filepath.Base(d.path))
			if err := os.MkdirAll(filepath.Dir(dst), 0o775); err != nil {
				return err
			}
			a.printf("Linking rpm to: %s\n", dst)
			if err := os.Link(d.path, dst); err != nil {
				return err
			}
		} else {
			a.printf("uploading %s... ", d.path)
			if err := a.sess.Upload(a.ctx, d.path, dir, filepath.Base(d.path), a.blocksize(), nil); err != nil {
				return uploadError(err)
			}
			a.println("done")
		}
		a.printf("importing %s... ", d.path)
		_, err = a.call("importRPM", dir, filepath.Base(d.path))
		if f, ok := isFault(err); ok {
			lines := strings.Split(strings.TrimRight(f.String, "\n"), "\n")
			a.printf("\nError importing: %s\n", lines[len(lines)-1])
			return nil
		} else if err != nil {
			return err
		}
		a.println("done")
		return nil
	}
	for _, nvr := range nvrs {
		needBuild := true
		v, err := a.call("getBuild", nvr)
		if err != nil {
			return err
		}
		binfo := asMap(v)
		state := ""
		if binfo != nil {
			state = enumName(buildStates, binfo["state"])
			if state == "COMPLETE" {
				needBuild = false
			} else if state == "FAILED" || state == "CANCELED" {
				if !o.b("create_build") {
					a.printf("Build %s state is %s. Skipping import\n", nvr, state)
					continue
				}
			} else {
				a.printf("Build %s exists with state=%s. Skipping import\n", nvr, state)
				continue
			}
		}
		for _, d := range toImport[nvr] {
			if !d.source {
				continue
			}
			if binfo != nil && state != "COMPLETE" {
				a.printf("Creating empty build: %s\n", nvr)
				kw := map[string]any{"name": binfo["name"], "version": binfo["version"], "release": binfo["release"], "epoch": d.epoch}
				if _, err := a.callKw("createEmptyBuild", nil, kw); err != nil {
					return err
				}
				if v, err = a.call("getBuild", nvr); err != nil {
					return err
				}
				binfo = asMap(v)
			}
			if err := doImport(d); err != nil {
				return err
			}
			needBuild = false
		}
		if needBuild {
			if !o.b("create_build") {
				if binfo != nil {
					a.printf("Build %s state is %s. Skipping import\n", nvr, enumName(buildStates, binfo["state"]))
				} else {
					a.printf("No such build: %s (include matching srpm or use --create-build option to add it)\n", nvr)
				}
				continue
			}
			r := strings.LastIndex(nvr, "-")
			vi := strings.LastIndex(nvr[:r], "-")
			kw := map[string]any{"name": nvr[:vi], "version": nvr[vi+1 : r], "release": nvr[r+1:]}
			if truthy(srcEpoch) {
				kw["epoch"] = srcEpoch
			} else {
				kw["epoch"] = toImport[nvr][0].epoch
			}
			if o.b("test") {
				a.printf("Test mode -- would have created empty build: %s\n", nvr)
			} else {
				a.printf("Creating empty build: %s\n", nvr)
				if _, err := a.callKw("createEmptyBuild", nil, kw); err != nil {
					return err
				}
			}
		}
		for _, d := range toImport[nvr] {
			if d.source {
				continue
			}
			if err := doImport(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func cmdListBuilds(a *app, args []string) error {
	p := newParser("%prog list-builds [options]")
	p.str("", "--package", "builds of this package")
	p.str("", "--buildid", "this build, by id or n-v-r")
	p.add(&option{long: "--before", kind: optString, metavar: "BEFORE", help: "builds completed before this time (a timestamp or a date)"})
	p.add(&option{long: "--after", kind: optString, metavar: "AFTER", help: "builds completed after this time (same formats as --before)"})
	p.str("", "--state", "builds in this state")
	p.str("", "--task", "builds of this task")
	p.str("", "--type", "builds of this type")
	p.str("", "--prefix", "builds whose name starts with this")
	p.str("", "--pattern", "builds matching this glob pattern")
	p.str("", "--cg", "builds imported by this content generator")
	p.str("", "--source", "builds whose source matches this glob pattern")
	p.str("", "--owner", "builds by this owner")
	p.str("", "--volume", "builds on this volume")
	p.flag("", "--draft-only", "only draft builds")
	p.flag("", "--no-draft", "only regular builds")
	p.add(&option{short: "-k", long: "--sort-key", dest: "sort_key", kind: optAppend, metavar: "FIELD",
		help: "sort by this field: build_id, owner_name or state"})
	p.flag("-r", "--reverse", "print in reverse order")
	p.flag("", "--quiet", "do not print the header")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return p.errorf("This command takes no arguments")
	}
	for _, k := range []string{"before", "after"} {
		if o.has(k) {
			ts, err := parseTimeOption(o.s(k))
			if err != nil {
				return p.errorf("option --%s: invalid time specification: %s", k, pyStr(o.s(k)))
			}
			o[k] = ts
		}
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	opts := map[string]any{}
	for _, k := range []string{"type", "prefix", "pattern"} {
		if o.has(k) {
			opts[k] = o.s(k)
		}
	}
	if o.b("no_draft") && o.b("draft_only") {
		return p.errorf("--draft-only conflits with --no-draft")
	} else if o.b("no_draft") {
		opts["draft"] = false
	} else if o.b("draft_only") {
		opts["draft"] = true
	}
	if o.s("cg") != "" {
		opts["cgID"] = o.s("cg")
	}
	if s := o.s("package"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			opts["packageID"] = n
		} else {
			id, err := a.call("getPackageID", s)
			if err != nil {
				return err
			}
			if id == nil {
				return p.errorf("No such package: %s", s)
			}
			opts["packageID"] = id
		}
	}
	if s := o.s("owner"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			opts["userID"] = n
		} else {
			u, err := a.call("getUser", s)
			if err != nil {
				return err
			}
			if u == nil {
				return p.errorf("No such user: %s", s)
			}
			opts["userID"] = asMap(u)["id"]
		}
	}
	if s := o.s("volume"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			opts["volumeID"] = n
		} else {
			vols, err := a.call("listVolumes")
			if err != nil {
				return err
			}
			var id any
			for _, v := range asList(vols) {
				if mstr(asMap(v), "name") == s {
					id = asMap(v)["id"]
				}
			}
			if id == nil {
				return p.errorf("No such volume: %s", s)
			}
			opts["volumeID"] = id
		}
	}
	if s := o.s("state"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			if n > 4 || n < 0 {
				return p.errorf("Invalid state: %s", s)
			}
			opts["state"] = n
		} else {
			idx := -1
			for i, st := range buildStates {
				if st == s {
					idx = i
				}
			}
			if idx < 0 {
				return p.errorf("Invalid state: %s", s)
			}
			opts["state"] = idx
		}
	}
	if o.has("before") && truthy(o["before"]) {
		opts["completeBefore"] = o["before"]
	}
	if o.has("after") && truthy(o["after"]) {
		opts["completeAfter"] = o["after"]
	}
	if s := o.s("task"); s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return p.errorf("Task id must be an integer")
		}
		opts["taskID"] = n
	}
	if o.s("source") != "" {
		opts["source"] = o.s("source")
	}
	var data []map[string]any
	if s := o.s("buildid"); s != "" {
		var id any = s
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			id = n
		}
		b, err := a.call("getBuild", id)
		if err != nil {
			return err
		}
		if b == nil {
			return p.errorf("No such build: '%s'", pyStrOf(id))
		}
		data = []map[string]any{asMap(b)}
	} else {
		if len(opts) == 0 {
			return p.errorf("Filter must be provided for list")
		}
		v, err := a.callKw("listBuilds", nil, opts)
		if f, ok := isFault(err); ok && f.Code == 1019 {
			if strings.HasSuffix(f.String, "'pattern'") {
				return p.errorf("The hub doesn't support the 'pattern' argument, please try filtering the result on your local instead.")
			}
			if strings.HasSuffix(f.String, "'cgID'") {
				return p.errorf("The hub doesn't support the 'cg' argument, please try filtering the result on your local instead.")
			}
		}
		if err != nil {
			return err
		}
		for _, x := range asList(v) {
			data = append(data, asMap(x))
		}
	}
	keys := o.l("sort_key")
	if len(keys) == 0 {
		keys = []string{"build_id"}
	} else {
		for _, k := range keys {
			if k != "build_id" && k != "owner_name" && k != "state" {
				a.warn("Invalid sort_key: %s.", k)
			}
		}
	}
	sort.SliceStable(data, func(i, j int) bool {
		less := false
		for _, k := range keys {
			if c := pyCompare(data[i][k], data[j][k]); c != 0 {
				less = c < 0
				if o.b("reverse") {
					less = c > 0
				}
				return less
			}
		}
		return false
	})
	if !(o.b("quiet") || a.quiet) {
		a.printf("%-55s  %-16s  %s\n", "Build", "Built by", "State")
		a.printf("%s  %s  %s\n", strings.Repeat("-", 55), strings.Repeat("-", 16), strings.Repeat("-", 16))
	}
	for _, b := range data {
		a.printf("%-55s  %-16s  %s\n", mstr(b, "nvr"), mstr(b, "owner_name"), enumName(buildStates, b["state"]))
	}
	return nil
}

// pyCompare orders two scalar values as Python would (None first).
func pyCompare(x, y any) int {
	switch {
	case x == nil && y == nil:
		return 0
	case x == nil:
		return -1
	case y == nil:
		return 1
	}
	switch a := x.(type) {
	case int64:
		b, _ := y.(int64)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	case float64:
		b, _ := y.(float64)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	return strings.Compare(pyStrOf(x), pyStrOf(y))
}

func cmdRpminfo(a *app, args []string) error {
	p := newParser("%prog rpminfo [options] <n-v-r.a|id> [<n-v-r.a|id> ...]")
	p.flag("", "--buildroots", "show the buildroots the rpm was used in")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("Please specify an RPM")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	errHit := false
	epochStr := func(m map[string]any) string {
		if m["epoch"] == nil {
			return ""
		}
		return pyStrOf(m["epoch"]) + ":"
	}
	for _, r := range pos {
		v, err := a.call("getRPM", r)
		if err != nil {
			return err
		}
		info := asMap(v)
		if info == nil {
			a.warn("No such rpm: %s\n", r)
			errHit = true
			continue
		}
		var srpm, build map[string]any
		external := truthy(info["external_repo_id"])
		if !external {
			if mstr(info, "arch") == "src" {
				srpm = info
			} else {
				s, err := a.callKw("listRPMs", nil, map[string]any{"buildID": info["build_id"], "arches": "src"})
				if err != nil {
					return err
				}
				if l := asList(s); len(l) > 0 {
					srpm = asMap(l[0])
				}
			}
			b, err := a.call("getBuild", info["build_id"])
			if err != nil {
				return err
			}
			build = asMap(b)
		}
		a.printf("RPM: %s%s-%s-%s.%s [%d]\n", epochStr(info), mstr(info, "name"), mstr(info, "version"), mstr(info, "release"), mstr(info, "arch"), mint(info, "id"))
		if truthy(info["draft"]) {
			a.println("Draft: YES")
		}
		if external {
			er, err := a.call("getExternalRepo", info["external_repo_id"])
			if err != nil {
				return err
			}
			a.printf("External Repository: %s [%d]\n", mstr(asMap(er), "name"), mint(asMap(er), "id"))
			a.printf("External Repository url: %s\n", mstr(asMap(er), "url"))
		} else {
			a.printf("Build: %s [%d]\n", mstr(build, "nvr"), mint(build, "id"))
			a.printf("RPM Path: %s\n", buildDir(a.profile.TopDir, build)+"/"+rpmRelPath(info))
			srpmStr, srpmPath := "(none)", "(none)"
			if srpm != nil {
				srpmStr = fmt.Sprintf("%s%s-%s-%s [%d]", epochStr(srpm), mstr(srpm, "name"), mstr(srpm, "version"), mstr(srpm, "release"), mint(srpm, "id"))
				srpmPath = buildDir(a.profile.TopDir, build) + "/" + rpmRelPath(srpm)
			}
			a.printf("SRPM: %s\n", srpmStr)
			a.printf("SRPM Path: %s\n", srpmPath)
			a.printf("Built: %s\n", time.Unix(mint(info, "buildtime"), 0).Format("Mon, 02 Jan 2006 15:04:05 MST"))
		}
		a.printf("SIGMD5: %s\n", mstr(info, "payloadhash"))
		a.printf("Size: %s\n", pyStrOf(info["size"]))
		if !external {
			h, err := a.callKw("getRPMHeaders", nil, map[string]any{"rpmID": info["id"], "headers": []any{"license"}})
			if err != nil {
				return err
			}
			if l, ok := asMap(h)["license"]; ok {
				a.printf("License: %s\n", pyStrOf(l))
			}
			a.printf("Build ID: %s\n", pyStrOf(info["build_id"]))
		}
		if info["buildroot_id"] == nil {
			a.println("No buildroot data available")
		} else {
			b, err := a.call("getBuildroot", info["buildroot_id"])
			if err != nil {
				return err
			}
			br := asMap(b)
			if mint(br, "br_type") == 0 {
				a.printf("Buildroot: %d (tag %s, arch %s, repo %d)\n", mint(br, "id"), mstr(br, "tag_name"), mstr(br, "arch"), mint(br, "repo_id"))
				a.printf("Build Host: %s\n", mstr(br, "host_name"))
				a.printf("Build Task: %d\n", mint(br, "task_id"))
			} else {
				a.printf("Content generator: %s\n", mstr(br, "cg_name"))
				a.printf("Buildroot: %d\n", mint(br, "id"))
				a.printf("Build Host OS: %s (%s)\n", mstr(br, "host_os"), mstr(br, "host_arch"))
			}
		}
		if truthy(info["extra"]) {
			a.printf("Extra: %s\n", pyRepr(info["extra"]))
		}
		if o.b("buildroots") {
			v, err := a.callKw("listBuildroots", nil, map[string]any{"rpmID": info["id"], "queryOpts": map[string]any{"order": "buildroot.id"}})
			if err != nil {
				return err
			}
			brs := asList(v)
			a.printf("Used in %d buildroots:\n", len(brs))
			if len(brs) > 0 {
				a.printf("  %8s %-28s %-8s %-29s\n", "id", "build tag", "arch", "build host")
				a.printf("  %s %s %s %s\n", strings.Repeat("-", 8), strings.Repeat("-", 28), strings.Repeat("-", 8), strings.Repeat("-", 29))
			}
			for _, x := range brs {
				br := asMap(x)
				a.printf("  %8d %-28s %-8s %-29s\n", mint(br, "id"), mstr(br, "tag_name"), mstr(br, "arch"), mstr(br, "host_name"))
			}
		}
	}
	if errHit {
		return exitCode(1)
	}
	return nil
}

func cmdBuildinfo(a *app, args []string) error {
	p := newParser("%prog buildinfo [options] <n-v-r> [<n-v-r> ...]")
	p.flag("", "--changelog", "show the build's changelog")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("Please specify a build")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	errHit := false
	for _, arg := range pos {
		var ref any = arg
		if isDigits(arg) {
			n, _ := strconv.ParseInt(arg, 10, 64)
			ref = n
		}
		v, err := a.call("getBuild", ref)
		if err != nil {
			return err
		}
		info := asMap(v)
		if info == nil {
			a.warn("No such build: %s\n", pyStrOf(ref))
			errHit = true
			continue
		}
		var task map[string]any
		tid := info["task_id"]
		if tid == nil {
			if ex := asMap(info["extra"]); ex != nil {
				tid = ex["container_koji_task_id"]
			}
		}
		if truthy(tid) {
			t, err := a.callKw("getTaskInfo", []any{tid}, map[string]any{"request": true})
			if err != nil {
				return err
			}
			task = asMap(t)
		}
		tags, err := a.call("listTags", ref)
		if err != nil {
			return err
		}
		var taglist []string
		for _, t := range asList(tags) {
			taglist = append(taglist, mstr(asMap(t), "name"))
		}
		state := enumName(buildStates, info["state"])
		a.printf("BUILD: %s-%s-%s [%d]\n", mstr(info, "name"), mstr(info, "version"), mstr(info, "release"), mint(info, "id"))
		if truthy(info["draft"]) {
			a.println("Draft: YES")
		}
		a.printf("State: %s\n", state)
		if state == "BUILDING" {
			a.printf("Reserved by: %s\n", pyStrOf(info["cg_name"]))
		}
		a.printf("Built by: %s\n", mstr(info, "owner_name"))
		if src, ok := info["source"]; ok && src != nil {
			a.printf("Source: %s\n", pyStrOf(src))
		}
		if vn, ok := info["volume_name"]; ok {
			a.printf("Volume: %s\n", pyStrOf(vn))
		}
		if task != nil {
			a.printf("Task: %s %s\n", pyStrOf(task["id"]), taskLabel(task))
		} else {
			a.println("Task: none")
		}
		a.printf("Finished: %s\n", formatTimeLong(info["completion_ts"]))
		if truthy(info["promotion_ts"]) {
			a.printf("Promoted by: %s\n", mstr(info, "promoter_name"))
			a.printf("Promoted at: %s\n", formatTimeLong(info["promotion_ts"]))
		}
		mv, err := a.call("getMavenBuild", info["id"])
		if err != nil {
			return err
		}
		if m := asMap(mv); m != nil {
			a.printf("Maven groupId: %s\n", mstr(m, "group_id"))
			a.printf("Maven artifactId: %s\n", mstr(m, "artifact_id"))
			a.printf("Maven version: %s\n", mstr(m, "version"))
		}
		wv, err := a.call("getWinBuild", info["id"])
		if err != nil {
			return err
		}
		if m := asMap(wv); m != nil {
			a.printf("Windows build platform: %s\n", mstr(m, "platform"))
		}
		a.printf("Tags: %s\n", strings.Join(taglist, " "))
		if truthy(info["extra"]) {
			a.printf("Extra: %s\n", pyRepr(info["extra"]))
		}
		dir := buildDir(a.profile.TopDir, info)
		seen := map[int64]bool{}
		for _, kind := range []struct{ t, title, sub string }{{"maven", "Maven archives:", "/maven"}, {"win", "Windows archives:", "/win"}, {"image", "Image archives:", "/images"}} {
			v, err := a.callKw("listArchives", nil, map[string]any{"buildID": info["id"], "type": kind.t})
			if err != nil {
				return err
			}
			if l := asList(v); len(l) > 0 {
				a.println(kind.title)
				for _, x := range l {
					m := asMap(x)
					seen[mint(m, "id")] = true
					switch kind.t {
					case "maven":
						a.printf("%s/%s/%s/%s/%s\n", dir+kind.sub, strings.ReplaceAll(mstr(m, "group_id"), ".", "/"), mstr(m, "artifact_id"), mstr(m, "version"), mstr(m, "filename"))
					case "win":
						rel := mstr(m, "relpath")
						if rel != "" {
							rel += "/"
						}
						a.printf("%s/%s%s\n", dir+kind.sub, rel, mstr(m, "filename"))
					default:
						a.printf("%s/%s\n", dir+kind.sub, mstr(m, "filename"))
					}
				}
			}
		}
		av, err := a.callKw("listArchives", nil, map[string]any{"buildID": info["id"]})
		if err != nil {
			return err
		}
		var btypes []string
		byType := map[string][]map[string]any{}
		for _, x := range asList(av) {
			m := asMap(x)
			if seen[mint(m, "id")] {
				continue
			}
			bt := mstr(m, "btype")
			if byType[bt] == nil {
				btypes = append(btypes, bt)
			}
			byType[bt] = append(byType[bt], m)
		}
		for _, bt := range btypes {
			a.printf("%s Archives:\n", capitalize(bt))
			for _, m := range byType[bt] {
				a.printf("%s/files/%s/%s\n", dir, bt, mstr(m, "filename"))
			}
		}
		rv, err := a.callKw("listRPMs", nil, map[string]any{"buildID": info["id"]})
		if err != nil {
			return err
		}
		if rpms := asList(rv); len(rpms) > 0 {
			var calls []kojiclient.MultiCall
			for _, r := range rpms {
				calls = append(calls, kojiclient.MultiCall{Method: "queryRPMSigs", Params: []any{asMap(r)["id"]}})
			}
			res, err := a.multi(calls, true)
			if err != nil {
				return err
			}
			a.println("RPMs:")
			for i, r := range rpms {
				line := dir + "/" + rpmRelPath(asMap(r))
				var keys []string
				for _, s := range asList(res[i].Value) {
					if k := mstr(asMap(s), "sigkey"); k != "" {
						keys = append(keys, k)
					}
				}
				sort.Strings(keys)
				if len(keys) > 0 {
					line += "\tSignatures: " + strings.Join(keys, ", ")
				}
				a.println(line)
			}
		}
		if o.b("changelog") {
			cl, err := a.call("getChangelogEntries", info["id"])
			if err != nil {
				return err
			}
			if l := asList(cl); len(l) > 0 {
				a.println("Changelog:")
				var b strings.Builder
				for _, e := range l {
					m := asMap(e)
					fmt.Fprintf(&b, "* %s %s\n%s\n\n", changelogDate(m["date"]), mstr(m, "author"), mstr(m, "text"))
				}
				a.println(b.String())
			}
		}
	}
	if errHit {
		return exitCode(1)
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

// changelogDate is koji.util._changelogDate: "Sat Nov 21 2026".
func changelogDate(v any) string {
	switch x := v.(type) {
	case string:
		if t, err := time.Parse("2006-01-02 15:04:05", strings.SplitN(x, ".", 2)[0]); err == nil {
			return t.Format("Mon Jan 02 2006")
		}
		return x
	case float64:
		return time.Unix(int64(x), 0).Format("Mon Jan 02 2006")
	case int64:
		return time.Unix(x, 0).Format("Mon Jan 02 2006")
	}
	return pyStrOf(v)
}

func isDebuginfo(name string) bool {
	return strings.HasSuffix(name, "-debuginfo") || strings.HasSuffix(name, "-debugsource") || strings.Contains(name, "-debuginfo-")
}

func cmdDownloadBuild(a *app, args []string) error {
	p := newParser("%prog download-build [options] <n-v-r|build_id>\n\nDownloads files from the specified build entry\nNote: scratch builds do not have build entries. Use download-task for those")
	p.add(&option{short: "-a", long: "--arch", dest: "arches", kind: optAppend, metavar: "ARCH", help: "only packages of this arch (may be repeated)"})
	p.str("", "--type", "download archives of this type instead of rpms (maven, win, image, remote-sources)")
	p.str("", "--latestfrom", "download the latest build of this tag")
	p.flag("", "--debuginfo", "download -debuginfo rpms too")
	p.flag("", "--task-id", "take the id as a task id")
	p.flag("", "--rpm", "download this one rpm")
	p.str("", "--key", "download rpms signed with this key")
	p.flag("", "--fallback-unsigned", "with --key: download the unsigned rpm when there is no signed copy")
	p.add(&option{long: "--topurl", kind: optString, metavar: "URL", help: "URL under which Koji files are accessible"})
	p.flag("", "--noprogress", "do not show a progress meter")
	p.flag("-q", "--quiet", "print nothing")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("Please specify a package N-V-R or build ID")
	} else if len(pos) > 1 {
		return p.errorf("Only a single package N-V-R or build ID may be specified")
	}
	topurl := a.profile.TopURL
	if o.has("topurl") {
		topurl = o.s("topurl")
	}
	quiet := o.b("quiet") || a.quiet
	if err := a.ensureConn(); err != nil {
		return err
	}
	var build any = pos[0]
	if isDigits(pos[0]) {
		if o.s("latestfrom") != "" {
			return p.errorf("--latestfrom not compatible with build IDs, specify a package name.")
		}
		n, _ := strconv.ParseInt(pos[0], 10, 64)
		build = n
		if o.b("task_id") {
			v, err := a.callKw("listBuilds", nil, map[string]any{"taskID": n})
			if err != nil {
				return err
			}
			if len(asList(v)) == 0 {
				return fail("No associated builds for task %d\nIf this is a scratch build, try using download-task instead", n)
			}
			build = asMap(asList(v)[0])["build_id"]
		}
	}
	var info, rpminfo map[string]any
	switch {
	case o.s("latestfrom") != "":
		var typ any
		if o.has("type") {
			typ = o.s("type")
		}
		v, err := a.callKw("listTagged", []any{o.s("latestfrom")}, map[string]any{"latest": true, "package": build, "type": typ})
		if f, ok := isFault(err); ok {
			return fail("Error finding latest build: %s", f.String)
		} else if err != nil {
			return err
		}
		if len(asList(v)) == 0 {
			return fail("%s has no builds of %s", o.s("latestfrom"), pyStrOf(build))
		}
		info = asMap(asList(v)[0])
	case o.b("rpm"):
		v, err := a.call("getRPM", build)
		if err != nil {
			return err
		}
		if v == nil {
			return fail("No such rpm: %s", pyStrOf(build))
		}
		rpminfo = asMap(v)
		if v, err = a.call("getBuild", rpminfo["build_id"]); err != nil {
			return err
		}
		info = asMap(v)
	default:
		if s, ok := build.(string); ok && looksLikeNVRA(s) {
			if v, err := a.call("getRPM", s); err == nil && v != nil {
				build = asMap(v)["build_id"]
			}
		}
		v, err := a.call("getBuild", build)
		if err != nil {
			return err
		}
		info = asMap(v)
	}
	if info == nil {
		return fail("No such build: %s", pyStrOf(build))
	}
	if topurl == "" {
		return fail("You must specify --topurl to download files")
	}
	var rpms, unsigned, archives []map[string]any
	if o.has("type") {
		v, err := a.callKw("listArchives", nil, map[string]any{"buildID": info["id"], "type": o.s("type")})
		if err != nil {
			return err
		}
		for _, x := range asList(v) {
			archives = append(archives, asMap(x))
		}
		if len(archives) == 0 {
			return fail("No %s archives available for %s", o.s("type"), buildLabel(info))
		}
	} else {
		arches := o.l("arches")
		var all []map[string]any
		if o.b("rpm") {
			all = []map[string]any{rpminfo}
		} else {
			var av any
			if len(arches) > 0 {
				av = strList(arches)
			}
			v, err := a.callKw("listRPMs", nil, map[string]any{"buildID": info["id"], "arches": av})
			if err != nil {
				return err
			}
			for _, x := range asList(v) {
				all = append(all, asMap(x))
			}
		}
		if len(all) == 0 {
			if len(arches) > 0 {
				return fail("No %s packages available for %s", strings.Join(arches, " or "), buildLabel(info))
			}
			return fail("No packages available for %s", buildLabel(info))
		}
		for _, r := range all {
			if !o.b("debuginfo") && isDebuginfo(mstr(r, "name")) {
				continue
			}
			rpms = append(rpms, r)
		}
	}
	key := o.s("key")
	if key != "" {
		var calls []kojiclient.MultiCall
		for _, r := range rpms {
			calls = append(calls, kojiclient.MultiCall{Method: "queryRPMSigs", Kw: map[string]any{"rpm_id": r["id"], "sigkey": key}})
		}
		res, err := a.multi(calls, true)
		if err != nil {
			return err
		}
		var kept []map[string]any
		for i, r := range rpms {
			if !truthy(res[i].Value) {
				a.warn("No such sigkey %s for rpm %s-%s.rpm", key, mstr(r, "nvr"), mstr(r, "arch"))
				if o.b("fallback_unsigned") {
					unsigned = append(unsigned, r)
				}
				continue
			}
			kept = append(kept, r)
		}
		rpms = kept
	}
	size := len(rpms) + len(unsigned) + len(archives)
	n := 0
	for _, r := range rpms {
		n++
		err := a.downloadRPM(topurl, info, r, key, quiet, o.b("noprogress"), n, size)
		if pe, ok := err.(*pyError); ok && key != "" && o.b("fallback_unsigned") && strings.HasPrefix(pe.msg, "404 ") {
			a.warn("Signed copy not present, will download unsigned copy")
			err = a.downloadRPM(topurl, info, r, "", quiet, o.b("noprogress"), n, size)
		}
		if err != nil {
			return err
		}
	}
	for _, r := range unsigned {
		n++
		if err := a.downloadRPM(topurl, info, r, "", quiet, o.b("noprogress"), n, size); err != nil {
			return err
		}
	}
	for _, ar := range archives {
		n++
		dir := buildDir(topurl, info)
		var url, path string
		switch mstr(ar, "btype") {
		case "maven":
			path = fmt.Sprintf("%s/%s/%s/%s", strings.ReplaceAll(mstr(ar, "group_id"), ".", "/"), mstr(ar, "artifact_id"), mstr(ar, "version"), mstr(ar, "filename"))
			url = dir + "/maven/" + path
		case "win":
			path = mstr(ar, "filename")
			if rel := mstr(ar, "relpath"); rel != "" {
				path = rel + "/" + path
			}
			url = dir + "/win/" + path
		case "image":
			path = mstr(ar, "filename")
			url = dir + "/images/" + path
		default:
			path = mstr(ar, "filename")
			url = dir + "/files/" + mstr(ar, "btype") + "/" + path
		}
		if err := a.downloadFile(url, path, quiet, o.b("noprogress"), size, n, mint(ar, "size")); err != nil {
			return err
		}
		if st, err := os.Stat(path); err != nil || st.Size() != mint(ar, "size") {
			os.Remove(path)
			return fail("Downloaded rpm %s size does not match db size, deleting", path)
		}
	}
	return nil
}

// looksLikeNVRA is koji.parse_NVRA succeeding.
func looksLikeNVRA(s string) bool {
	i := strings.LastIndex(s, ".")
	return i > 0 && validNVR(s[:i])
}

// downloadRPM is download_rpm: fetch and check size, header and payload hash.
func (a *app) downloadRPM(topurl string, build, r map[string]any, sigkey string, quiet, noprogress bool, num, size int) error {
	rel := rpmRelPath(r)
	var filesize int64
	if sigkey != "" {
		rel = "data/signed/" + sigkey + "/" + rel
	} else {
		filesize = mint(r, "size")
	}
	url := buildDir(topurl, build) + "/" + rel
	path := filepath.Base(rel)
	if err := a.downloadFile(url, path, quiet, noprogress, size, num, filesize); err != nil {
		return err
	}
	if sigkey == "" {
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		if st.Size() != mint(r, "size") {
			os.Remove(path)
			return fail("Downloaded rpm %s size %d does not match db size %d, deleting", path, st.Size(), mint(r, "size"))
		}
	}
	h, err := rpmhdr.Open(path)
	if err != nil {
		os.Remove(path)
		a.warn("%v", err)
		return fail("Downloaded rpm %s is not valid rpm file, deleting", path)
	}
	md5, err := h.SigMD5()
	if err != nil || md5 != mstr(r, "payloadhash") {
		os.Remove(path)
		return fail("Downloaded rpm %s doesn't match db, deleting", path)
	}
	return nil
}

var searchTypes = []string{"package", "build", "tag", "target", "user", "host", "rpm", "maven", "win"}

func cmdSearch(a *app, args []string) error {
	p := newParser("%prog search [options] <search_type> <pattern>\nAvailable search types: " + strings.Join(searchTypes, ", "))
	p.flag("-r", "--regex", "the pattern is a regular expression")
	p.flag("", "--exact", "exact matches only")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("Please specify search type")
	}
	if len(pos) < 2 {
		return p.errorf("Please specify search pattern")
	}
	if !contains(searchTypes, pos[0]) {
		return p.errorf("No such search type: %s", pos[0])
	}
	match := "glob"
	if o.b("regex") {
		match = "regexp"
	} else if o.b("exact") {
		match = "exact"
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	v, err := a.call("search", pos[1], pos[0], match)
	if err != nil {
		return err
	}
	for _, r := range asList(v) {
		a.println(pyStrOf(asMap(r)["name"]))
	}
	return nil
}
