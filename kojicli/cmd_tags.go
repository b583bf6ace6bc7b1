package kojicli

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gokoji/gokoji/hub/kojiclient"
)

func init() {
	register(&command{name: "list-tags", anon: true, section: "info", summary: "List tags", run: cmdListTags})
	register(&command{name: "taginfo", anon: true, section: "info", summary: "Show a tag's settings, targets and inheritance", run: cmdTaginfo})
	register(&command{name: "add-tag", section: "admin", summary: "Create a tag", run: cmdAddTag})
	register(&command{name: "edit-tag", section: "admin", summary: "Change a tag", run: cmdEditTag})
	register(&command{name: "remove-tag", section: "admin", summary: "Delete a tag", run: cmdRemoveTag})
	register(&command{name: "add-tag-inheritance", section: "admin", summary: "Add a parent to a tag", run: cmdAddTagInheritance})
	register(&command{name: "list-tag-inheritance", anon: true, section: "info", summary: "Show a tag's inheritance tree", run: cmdListTagInheritance})
}

var archRe = regexp.MustCompile(`^[a-zA-Z0-9_\-]*$`)

// parseArches is koji.parse_arches: commas or spaces in, spaces out.
func parseArches(s string) (string, error) {
	f := strings.Fields(strings.ReplaceAll(s, ",", " "))
	for _, a := range f {
		if !archRe.MatchString(a) {
			return "", fail("GenericError: Architecture can be only [a-zA-Z0-9_-]")
		}
	}
	return strings.Join(f, " "), nil
}

// addEventOpts adds --event/--ts/--repo to a parser.
func addEventOpts(p *optionParser) {
	p.add(&option{long: "--event", kind: optInt, metavar: "EVENT#", help: "as of this event"})
	p.add(&option{long: "--ts", kind: optInt, metavar: "TIMESTAMP", help: "as of the last event before this time"})
	p.add(&option{long: "--repo", kind: optInt, metavar: "REPO#", help: "as of the event of this repo"})
}

// eventFromOpts is koji.util.eventFromOpts: the event named by the options,
// or nil, with "Querying at event …" printed as the Python CLI does.
func (a *app) eventFromOpts(o values) (map[string]any, error) {
	var v any
	var err error
	switch {
	case o.has("event"):
		v, err = a.call("getEvent", o.i("event"))
	case o.has("ts"):
		v, err = a.callKw("getLastEvent", nil, map[string]any{"before": o.i("ts")})
	case o.has("repo"):
		var r any
		r, err = a.call("repoInfo", o.i("repo"))
		if err == nil && r != nil {
			v, err = a.call("getEvent", asMap(r)["create_event"])
		}
	default:
		return nil, nil
	}
	if err != nil || v == nil {
		return nil, err
	}
	ev := asMap(v)
	ts, _ := ev["ts"].(float64)
	a.printf("Querying at event %d (%s)\n", mint(ev, "id"), time.Unix(int64(ts), 0).Format("Mon Jan _2 15:04:05 2006"))
	return ev, nil
}

func cmdListTags(a *app, args []string) error {
	p := newParser("%prog list-tags [options] [pattern]")
	p.flag("", "--show-id", "show tag ids")
	p.flag("", "--verbose", "show locks and required permissions")
	p.flag("", "--unlocked", "only tags that are neither locked nor need a permission")
	p.str("", "--build", "only tags holding this build")
	p.str("", "--package", "only tags listing this package")
	o, patterns, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	var pkgID, buildID any
	if o.has("package") {
		v, err := a.call("getPackage", o.s("package"))
		if err != nil {
			return err
		}
		if v == nil {
			return p.errorf("No such package: %s", o.s("package"))
		}
		pkgID = asMap(v)["id"]
	}
	if o.has("build") {
		v, err := a.call("getBuild", o.s("build"))
		if err != nil {
			return err
		}
		if v == nil {
			return p.errorf("No such build: %s", o.s("build"))
		}
		buildID = asMap(v)["id"]
	}
	var tags []any
	if len(patterns) == 0 {
		v, err := a.callKw("listTags", nil, map[string]any{"build": buildID, "package": pkgID})
		if err != nil {
			return err
		}
		tags = asList(v)
	} else {
		var calls []kojiclient.MultiCall
		for _, pat := range patterns {
			calls = append(calls, kojiclient.MultiCall{Method: "listTags",
				Kw: map[string]any{"build": buildID, "package": pkgID, "pattern": pat}})
		}
		res, err := a.multi(calls, true)
		if err != nil {
			return err
		}
		for _, r := range res {
			tags = append(tags, asList(r.Value)...)
		}
	}
	sort.SliceStable(tags, func(i, j int) bool { return mstr(asMap(tags[i]), "name") < mstr(asMap(tags[j]), "name") })
	for _, t := range tags {
		m := asMap(t)
		if o.b("unlocked") && (mbool(m, "locked") || truthy(m["perm"])) {
			continue
		}
		line := mstr(m, "name")
		if o.b("show_id") {
			line += fmt.Sprintf(" [%d]", mint(m, "id"))
		}
		if o.b("verbose") {
			if mbool(m, "locked") {
				line += " [LOCKED]"
			}
			if truthy(m["perm"]) {
				line += fmt.Sprintf(" [%s perm required]", mstr(m, "perm"))
			}
		}
		a.println(line)
	}
	return nil
}

func inheritanceFlags(m map[string]any) string {
	f := ""
	for _, c := range []struct {
		code string
		on   bool
	}{{"M", m["maxdepth"] != nil}, {"F", truthy(m["pkg_filter"])}, {"I", truthy(m["intransitive"])}, {"N", truthy(m["noconfig"])}} {
		if c.on {
			f += c.code
		} else {
			f += "."
		}
	}
	return f
}

func cmdTaginfo(a *app, args []string) error {
	p := newParser("%prog taginfo [options] <tag> [<tag> ...]")
	addEventOpts(p)
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("Please specify a tag")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	ev, err := a.eventFromOpts(o)
	if err != nil {
		return err
	}
	evKw := map[string]any{}
	if ev != nil {
		evKw["event"] = ev["id"]
	}
	pv, err := a.call("getAllPerms")
	if err != nil {
		return err
	}
	perms := map[int64]string{}
	for _, x := range asList(pv) {
		perms[mint(asMap(x), "id")] = mstr(asMap(x), "name")
	}
	var infos []map[string]any
	for _, tag := range pos {
		v, err := a.callKw("getBuildConfig", []any{tag}, evKw)
		if err != nil {
			return err
		}
		if v == nil {
			if n, cerr := strconv.Atoi(tag); cerr == nil {
				if v, err = a.callKw("getBuildConfig", []any{n}, evKw); err != nil {
					return err
				}
			}
			if v == nil {
				return p.errorf("No such tag: %s", tag)
			}
		}
		infos = append(infos, asMap(v))
	}
	for n, info := range infos {
		if n > 0 {
			a.println("")
		}
		id := mint(info, "id")
		a.printf("Tag: %s [%d]\n", mstr(info, "name"), id)
		a.printf("Arches: %s\n", pyStrOf(info["arches"]))
		gv, err := a.callKw("getTagGroups", []any{id}, evKw)
		if err != nil {
			return err
		}
		var groups []string
		for _, g := range asList(gv) {
			groups = append(groups, mstr(asMap(g), "name"))
		}
		sort.Strings(groups)
		a.printf("Groups: %s\n", strings.Join(groups, ", "))
		if mbool(info, "locked") {
			a.println("LOCKED")
		}
		if info["perm_id"] != nil {
			pid := mint(info, "perm_id")
			if name, ok := perms[pid]; ok {
				a.printf("Required permission: %s\n", pyStr(name))
			} else {
				a.printf("Required permission: %d\n", pid)
			}
		}
		mv, err := a.call("mavenEnabled")
		if err != nil {
			return err
		}
		if truthy(mv) {
			a.printf("Maven support?: %s\n", yesno(mbool(info, "maven_support")))
			a.printf("Include all Maven archives?: %s\n", yesno(mbool(info, "maven_include_all")))
		}
		if extra, ok := info["extra"].(map[string]any); ok {
			a.println("Tag options:")
			inh := asMap(asMap(info["config_inheritance"])["extra"])
			for _, k := range sortedKeys(extra) {
				line := fmt.Sprintf("  %s : %s", k, pprint(extra[k]))
				if src, ok := inh[k]; ok {
					line = fmt.Sprintf("%-30s [%s]", line, mstr(asMap(src), "name"))
				}
				a.println(line)
			}
		}
		dv, err := a.callKw("getBuildTargets", nil, merge(map[string]any{"destTagID": id}, evKw))
		if err != nil {
			return err
		}
		bv, err := a.callKw("getBuildTargets", nil, merge(map[string]any{"buildTagID": id}, evKw))
		if err != nil {
			return err
		}
		dest, build := asList(dv), asList(bv)
		repos := map[int64]string{}
		if ev == nil {
			var ids []int64
			for _, t := range append(append([]any{}, dest...), build...) {
				ids = append(ids, mint(asMap(t), "build_tag"))
			}
			ids = append(ids, id)
			for _, rid := range ids {
				if _, ok := repos[rid]; ok {
					continue
				}
				r, err := a.call("getRepo", rid)
				if err != nil {
					return err
				}
				if r == nil {
					repos[rid] = "no active repo"
				} else {
					repos[rid] = fmt.Sprintf("repo#%d: %s", mint(asMap(r), "id"), mstr(asMap(r), "creation_time"))
				}
			}
		}
		if len(dest) > 0 {
			a.println("Targets that build into this tag:")
			for _, t := range dest {
				m := asMap(t)
				if ev != nil {
					a.printf("  %s (%s)\n", mstr(m, "name"), mstr(m, "build_tag_name"))
				} else {
					a.printf("  %s (%s, %s)\n", mstr(m, "name"), mstr(m, "build_tag_name"), repos[mint(m, "build_tag")])
				}
			}
		}
		if len(build) > 0 {
			a.println("This tag is a buildroot for one or more targets")
			if ev == nil {
				a.printf("Current repo: %s\n", repos[id])
			}
			a.println("Targets that build from this tag:")
			for _, t := range build {
				a.printf("  %s\n", mstr(asMap(t), "name"))
			}
		} else if r, ok := repos[id]; ok {
			a.printf("Current repo: %s\n", r)
		}
		xv, err := a.callKw("getTagExternalRepos", nil, merge(map[string]any{"tag_info": id}, evKw))
		if err != nil {
			return err
		}
		if xr := asList(xv); len(xr) > 0 {
			a.println("External repos:")
			for _, x := range xr {
				m := asMap(x)
				arches := "-"
				if v, ok := m["arches"]; ok {
					arches = pyStrOf(v)
					if !truthy(v) {
						arches = "inherited from tag"
					}
				}
				a.printf("  %3d %s (%s, merge mode: %s), arches: %s\n", mint(m, "priority"),
					mstr(m, "external_repo_name"), mstr(m, "url"), mstr(m, "merge_mode"), arches)
			}
		}
		a.println("Inheritance:")
		iv, err := a.callKw("getInheritanceData", []any{id}, evKw)
		if err != nil {
			return err
		}
		for _, x := range asList(iv) {
			m := asMap(x)
			a.printf("  %-4d %s %s [%s]\n", mint(m, "priority"), inheritanceFlags(m), mstr(m, "name"), pyStrOf(m["parent_id"]))
			if m["maxdepth"] != nil {
				a.printf("    maxdepth: %s\n", pyStrOf(m["maxdepth"]))
			}
			if truthy(m["pkg_filter"]) {
				a.printf("    package filter: %s\n", pyStrOf(m["pkg_filter"]))
			}
		}
	}
	return nil
}

func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// requirePerm is the CLI's local check "hasPerm(admin) or hasPerm(perm)".
func (a *app) requirePerm(p *optionParser, perm string) error {
	for _, q := range []string{"admin", perm} {
		v, err := a.call("hasPerm", q)
		if err != nil {
			return err
		}
		if truthy(v) {
			return nil
		}
	}
	return p.errorf("This action requires %s or admin privileges", perm)
}

func parseExtra(p *optionParser, list []string, parseJSON, noDup bool) (map[string]any, error) {
	extra := map[string]any{}
	for _, x := range list {
		k, v, ok := strings.Cut(x, "=")
		if !ok {
			return nil, fail("ValueError: not enough values to unpack (expected 2, got 1)")
		}
		if _, dup := extra[k]; dup && noDup {
			return nil, p.errorf("Duplicate extra key: %s", k)
		}
		val := argFilter(v)
		if s, isStr := val.(string); isStr && parseJSON {
			if j, err := parseJSONArg(s); err == nil {
				val = j
			}
		}
		extra[k] = val
	}
	return extra, nil
}

func cmdAddTag(a *app, args []string) error {
	p := newParser("%prog add-tag [options] <name>")
	p.str("", "--parent", "inherit from this tag (priority 0)")
	p.str("", "--arches", "architectures to build for")
	p.flag("", "--maven-support", "make Maven repos for this tag")
	p.flag("", "--include-all", "put every package in this tag's Maven repos")
	p.add(&option{short: "-x", long: "--extra", kind: optAppend, metavar: "key=value", help: "set an extra option"})
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return p.errorf("Please specify a name for the tag")
	}
	if err := a.activate(); err != nil {
		return err
	}
	if err := a.requirePerm(p, "tag"); err != nil {
		return err
	}
	kw := map[string]any{}
	if o.s("parent") != "" {
		kw["parent"] = o.s("parent")
	}
	if o.s("arches") != "" {
		ar, err := parseArches(o.s("arches"))
		if err != nil {
			return err
		}
		kw["arches"] = ar
	}
	if o.b("maven_support") {
		kw["maven_support"] = true
	}
	if o.b("include_all") {
		kw["maven_include_all"] = true
	}
	if len(o.l("extra")) > 0 {
		extra, err := parseExtra(p, o.l("extra"), false, false)
		if err != nil {
			return err
		}
		kw["extra"] = extra
	}
	_, err = a.callKw("createTag", []any{pos[0]}, kw)
	return err
}

func cmdEditTag(a *app, args []string) error {
	p := newParser("%prog edit-tag [options] <name>")
	p.str("", "--arches", "architectures to build for")
	p.str("", "--perm", "permission needed to change the tag")
	p.flag("", "--no-perm", "need no permission")
	p.flag("", "--lock", "lock the tag")
	p.flag("", "--unlock", "unlock the tag")
	p.str("", "--rename", "new name")
	p.flag("", "--maven-support", "make Maven repos")
	p.flag("", "--no-maven-support", "make no Maven repos")
	p.flag("", "--include-all", "put every package in Maven repos")
	p.flag("", "--no-include-all", "put only the latest packages in Maven repos")
	p.add(&option{short: "-x", long: "--extra", kind: optAppend, metavar: "key=value", help: "set an extra option (JSON or a plain value)"})
	p.add(&option{short: "-r", long: "--remove-extra", kind: optAppend, metavar: "key", help: "remove an extra option"})
	p.add(&option{short: "-b", long: "--block-extra", kind: optAppend, metavar: "key", help: "block an inherited extra option"})
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return p.errorf("Please specify a name for the tag")
	}
	if err := a.activate(); err != nil {
		return err
	}
	kw := map[string]any{}
	if o.s("arches") != "" {
		ar, err := parseArches(o.s("arches"))
		if err != nil {
			return err
		}
		kw["arches"] = ar
	}
	if o.b("no_perm") {
		kw["perm"] = nil
	} else if o.s("perm") != "" {
		kw["perm"] = o.s("perm")
	}
	if o.b("unlock") {
		kw["locked"] = false
	}
	if o.b("lock") {
		kw["locked"] = true
	}
	if o.s("rename") != "" {
		kw["name"] = o.s("rename")
	}
	if o.b("maven_support") {
		kw["maven_support"] = true
	}
	if o.b("no_maven_support") {
		kw["maven_support"] = false
	}
	if o.b("include_all") {
		kw["maven_include_all"] = true
	}
	if o.b("no_include_all") {
		kw["maven_include_all"] = false
	}
	if len(o.l("extra")) > 0 {
		extra, err := parseExtra(p, o.l("extra"), true, true)
		if err != nil {
			return err
		}
		kw["extra"] = extra
	}
	kw["remove_extra"] = strList(o.l("remove_extra"))
	kw["block_extra"] = strList(o.l("block_extra"))
	_, err = a.callKw("editTag2", []any{pos[0]}, kw)
	return err
}

func strList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func cmdRemoveTag(a *app, args []string) error {
	p := newParser("%prog remove-tag [options] <name>")
	_, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return p.errorf("Please specify a tag to remove")
	}
	if err := a.activate(); err != nil {
		return err
	}
	if err := a.requirePerm(p, "tag"); err != nil {
		return err
	}
	v, err := a.call("getTag", pos[0])
	if err != nil {
		return err
	}
	if v == nil {
		return fail("No such tag: %s", pos[0])
	}
	_, err = a.call("deleteTag", asMap(v)["id"])
	return err
}

func cmdAddTagInheritance(a *app, args []string) error {
	p := newParser("%prog add-tag-inheritance [options] <tag> <parent-tag>")
	p.str("", "--priority", "priority of the new parent (default 0)")
	p.str("", "--maxdepth", "inherit at most this many levels through the parent")
	p.flag("", "--intransitive", "do not pass this link on to the tag's children")
	p.flag("", "--noconfig", "inherit packages only, not configuration")
	p.str("", "--pkg-filter", "regular expression of packages to inherit")
	p.flag("", "--force", "add the parent even if it is a parent already")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return p.errorf("This command takes exactly two arguments: a tag name or ID and that tag's new parent name or ID")
	}
	if err := a.activate(); err != nil {
		return err
	}
	tv, err := a.call("getTag", pos[0])
	if err != nil {
		return err
	}
	if tv == nil {
		return p.errorf("No such tag: %s", pos[0])
	}
	pv, err := a.call("getTag", pos[1])
	if err != nil {
		return err
	}
	if pv == nil {
		return p.errorf("No such tag: %s", pos[1])
	}
	tag, parent := asMap(tv), asMap(pv)
	dv, err := a.call("getInheritanceData", tag["id"])
	if err != nil {
		return err
	}
	data := asList(dv)
	prio := 0
	if o.s("priority") != "" {
		n, err := strconv.Atoi(strings.TrimSpace(o.s("priority")))
		if err != nil {
			return fail("ValueError: invalid literal for int() with base 10: %s", pyStr(o.s("priority")))
		}
		prio = n
	}
	sameParent, samePrio := false, false
	for _, d := range data {
		m := asMap(d)
		if mint(m, "parent_id") == mint(parent, "id") {
			sameParent = true
		}
		if mint(m, "priority") == int64(prio) {
			samePrio = true
		}
	}
	if sameParent && !o.b("force") {
		a.warn("Error: You are attempting to add %s as %s's parent even though it already is %s's parent.",
			mstr(parent, "name"), mstr(tag, "name"), mstr(tag, "name"))
		return fail("Please use --force if this is what you really want to do.")
	}
	if samePrio {
		return fail("Error: There is already an active inheritance with that priority on %s, please specify a different priority with --priority.", mstr(tag, "name"))
	}
	nd := map[string]any{"parent_id": parent["id"], "priority": int64(0)}
	if o.s("priority") != "" {
		nd["priority"] = o.s("priority") // the Python CLI sends the text as given
	}
	nd["maxdepth"] = nil
	if md := o.s("maxdepth"); md != "" && isDigits(md) {
		n, _ := strconv.Atoi(md)
		nd["maxdepth"] = int64(n)
	}
	nd["intransitive"] = o.b("intransitive")
	nd["noconfig"] = o.b("noconfig")
	nd["pkg_filter"] = o.s("pkg_filter")
	data = append(data, nd)
	_, err = a.call("setInheritanceData", tag["id"], data)
	return err
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func cmdListTagInheritance(a *app, args []string) error {
	p := newParser("%prog list-tag-inheritance [options] <tag>\n\n" +
		"Prints tag inheritance with basic information about links.\n" +
		"Four flags could be seen in the output:\n" +
		" M - maxdepth - limits inheritance to n-levels\n" +
		" F - package filter (packages ignored for inheritance)\n" +
		" I - intransitive link - inheritance immediately stops here\n" +
		" N - noconfig - if tag is used in buildroot, its configuration values will not be used\n\n" +
		"Exact values for maxdepth and package filter can be inquired by taginfo command.\n")
	p.flag("", "--reverse", "show the tag's children instead of its parents")
	p.str("", "--stop", "removed in Koji 1.26")
	p.str("", "--jump", "removed in Koji 1.26")
	addEventOpts(p)
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return p.errorf("This command takes exactly one argument: a tag name or ID")
	}
	for _, d := range []string{"stop", "jump"} {
		if o.s(d) != "" {
			return p.errorf("--%s option has been removed in 1.26", d)
		}
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	ev, err := a.eventFromOpts(o)
	if err != nil {
		return err
	}
	var tv any
	if ev != nil {
		tv, err = a.callKw("getTag", []any{pos[0]}, map[string]any{"event": ev["id"]})
	} else {
		tv, err = a.call("getTag", pos[0])
	}
	if err != nil {
		return err
	}
	if tv == nil {
		return p.errorf("No such tag: %s", pos[0])
	}
	tag := asMap(tv)
	kw := map[string]any{"reverse": o.b("reverse")}
	if ev != nil {
		kw["event"] = ev["id"]
	}
	a.printf("     %s (%d)\n", mstr(tag, "name"), mint(tag, "id"))
	dv, err := a.callKw("getFullInheritance", []any{tag["id"]}, kw)
	if err != nil {
		return err
	}
	a.printInheritance(asList(dv), o.b("reverse"))
	return nil
}

// printInheritance draws the tree of a getFullInheritance answer.
func (a *app) printInheritance(tags []any, reverse bool) {
	var sibdepths []int64
	for i := range tags {
		cur := asMap(tags[i])
		rest := tags[i+1:]
		siblings := 0
		for _, t := range rest {
			m := asMap(t)
			if reverse && mint(m, "parent_id") == mint(cur, "parent_id") ||
				!reverse && mint(m, "child_id") == mint(cur, "child_id") {
				siblings++
			}
		}
		var b strings.Builder
		b.WriteString(inheritanceFlags(cur))
		depth := mint(cur, "currdepth")
		var outdepth int64
		for _, d := range sibdepths {
			if d < depth {
				b.WriteString(strings.Repeat(" ", max(0, int((d-outdepth)*3-1))))
				b.WriteString("│")
				outdepth = d
			}
		}
		b.WriteString(strings.Repeat(" ", max(0, int((depth-outdepth)*3-1))))
		if siblings > 0 {
			b.WriteString("├")
		} else {
			b.WriteString("└")
		}
		b.WriteString("─")
		if reverse {
			fmt.Fprintf(&b, "%s (%d)\n", mstr(cur, "name"), mint(cur, "tag_id"))
		} else {
			fmt.Fprintf(&b, "%s (%d)\n", mstr(cur, "name"), mint(cur, "parent_id"))
		}
		a.printf("%s", b.String())
		if siblings > 0 {
			if len(sibdepths) == 0 || sibdepths[len(sibdepths)-1] != depth {
				sibdepths = append(sibdepths, depth)
			}
		} else if len(sibdepths) > 0 && sibdepths[len(sibdepths)-1] == depth {
			sibdepths = sibdepths[:len(sibdepths)-1]
		}
	}
}
