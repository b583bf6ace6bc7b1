package kojicli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gokoji/gokoji/hub/kojiclient"
)

func init() {
	register(&command{name: "add-target", section: "admin", summary: "Create a build target", run: cmdAddTarget})
	register(&command{name: "list-targets", anon: true, section: "info", summary: "List build targets", run: cmdListTargets})
	register(&command{name: "add-pkg", section: "admin", summary: "Add packages to a tag's list", run: cmdAddPkg})
	register(&command{name: "list-pkgs", anon: true, section: "info", summary: "List packages of a tag, owner or name", run: cmdListPkgs})
	register(&command{name: "block-pkg", section: "admin", summary: "Block packages in a tag", run: cmdBlockPkg})
}

func cmdAddTarget(a *app, args []string) error {
	p := newParser("%prog add-target <name> <build tag> <dest tag>")
	_, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return p.errorf("Please specify a target name, a build tag, and destination tag")
	} else if len(pos) > 3 {
		return p.errorf("Incorrect number of arguments")
	}
	name, buildTag, dest := pos[0], pos[1], pos[0]
	if len(pos) > 2 {
		dest = pos[2]
	}
	if err := a.activate(); err != nil {
		return err
	}
	if err := a.requirePerm(p, "target"); err != nil {
		return err
	}
	bt, err := a.call("getTag", buildTag)
	if err != nil {
		return err
	}
	dt, err := a.call("getTag", dest)
	if err != nil {
		return err
	}
	if bt == nil {
		return fail("No such tag: %s", buildTag)
	}
	if !truthy(asMap(bt)["arches"]) {
		return fail("Build tag has no arches: %s", buildTag)
	}
	if dt == nil {
		return fail("No such destination tag: %s", dest)
	}
	_, err = a.call("createBuildTarget", name, buildTag, dest)
	return err
}

func cmdListTargets(a *app, args []string) error {
	p := newParser("%prog list-targets [options]")
	p.str("", "--name", "only this target")
	p.flag("", "--quiet", "print no header")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return p.errorf("This command takes no arguments")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	var name any
	if o.has("name") {
		name = o.s("name")
	}
	v, err := a.call("getBuildTargets", name)
	if err != nil {
		return err
	}
	targets := asList(v)
	if len(targets) == 0 {
		if truthy(name) {
			return p.errorf("No such build target: %s", o.s("name"))
		}
		return p.errorf("No targets were found")
	}
	if !(o.b("quiet") || a.quiet) {
		a.printf("%-30s %-30s %-30s\n", "Name", "Buildroot", "Destination")
		a.println(strings.Repeat("-", 93))
	}
	sort.SliceStable(targets, func(i, j int) bool { return mstr(asMap(targets[i]), "name") < mstr(asMap(targets[j]), "name") })
	for _, t := range targets {
		m := asMap(t)
		a.printf("%-30s %-30s %-30s\n", mstr(m, "name"), mstr(m, "build_tag_name"), mstr(m, "dest_tag_name"))
	}
	return nil
}

// tagPackages maps package name → id for a tag's list.
func (a *app) tagPackages(tagID any, inherited bool) (map[string]any, error) {
	kw := map[string]any{"tagID": tagID, "with_owners": false}
	if inherited {
		kw["inherited"] = true
	}
	v, err := a.callKw("listPackages", nil, kw)
	if f, ok := isFault(err); ok && f.Code == 1019 {
		delete(kw, "with_owners")
		v, err = a.callKw("listPackages", nil, kw)
	}
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, x := range asList(v) {
		m := asMap(x)
		out[mstr(m, "package_name")] = m["package_id"]
	}
	return out, nil
}

func cmdAddPkg(a *app, args []string) error {
	p := newParser("%prog add-pkg [options] --owner <owner> <tag> <package> [<package> ...]")
	p.flag("", "--force", "override blocks")
	p.str("", "--owner", "owner of the packages")
	p.str("", "--extra-arches", "extra architectures for the packages")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return p.errorf("Please specify a tag and at least one package")
	}
	if o.s("owner") == "" {
		return p.errorf("Please specify an owner for the package(s)")
	}
	u, err := a.call("getUser", o.s("owner"))
	if err != nil {
		return err
	}
	if u == nil {
		return fail("No such user: %s", o.s("owner"))
	}
	if err := a.activate(); err != nil {
		return err
	}
	tag := pos[0]
	kw := map[string]any{"force": o.b("force"), "block": false}
	if !o.has("force") {
		kw["force"] = nil
	}
	tv, err := a.call("getTag", tag)
	if err != nil {
		return err
	}
	if tv == nil {
		return fail("No such tag: %s", tag)
	}
	have, err := a.tagPackages(asMap(tv)["id"], false)
	if err != nil {
		return err
	}
	var toAdd []string
	for _, pkg := range pos[1:] {
		if _, ok := have[pkg]; ok {
			a.printf("Package %s already exists in tag %s\n", pkg, tag)
			continue
		}
		toAdd = append(toAdd, pkg)
	}
	if o.s("extra_arches") != "" {
		ar, err := parseArches(o.s("extra_arches"))
		if err != nil {
			return err
		}
		kw["extra_arches"] = ar
	}
	a.printf("Adding %d packages to tag %s\n", len(toAdd), mstr(asMap(tv), "name"))
	var calls []kojiclient.MultiCall
	for _, pkg := range toAdd {
		calls = append(calls, kojiclient.MultiCall{Method: "packageListAdd", Params: []any{tag, pkg, o.s("owner")}, Kw: kw})
	}
	_, err = a.multi(calls, true)
	return err
}

func cmdBlockPkg(a *app, args []string) error {
	p := newParser("%prog block-pkg [options] <tag> <package> [<package> ...]")
	p.flag("", "--force", "override blocks and ownership")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return p.errorf("Please specify a tag and at least one package")
	}
	if err := a.activate(); err != nil {
		return err
	}
	tag := pos[0]
	tv, err := a.call("getTag", tag)
	if err != nil {
		return err
	}
	if tv == nil {
		return fail("No such tag: %s", tag)
	}
	have, err := a.tagPackages(asMap(tv)["id"], true)
	if err != nil {
		return err
	}
	rc := 0
	for _, pkg := range pos[1:] {
		if _, ok := have[pkg]; !ok {
			a.warn("Package %s doesn't exist in tag %s", pkg, tag)
			rc = 1
		}
	}
	if rc != 0 {
		return &exitError{rc, ""}
	}
	var calls []kojiclient.MultiCall
	for _, pkg := range pos[1:] {
		c := kojiclient.MultiCall{Method: "packageListBlock", Params: []any{tag, pkg}}
		if o.b("force") {
			c.Kw = map[string]any{"force": true}
		}
		calls = append(calls, c)
	}
	_, err = a.multi(calls, true)
	return err
}

func cmdListPkgs(a *app, args []string) error {
	p := newParser("%prog list-pkgs [options]")
	p.str("", "--owner", "packages owned by this user")
	p.str("", "--tag", "packages listed in this tag")
	p.str("", "--package", "this package")
	p.flag("", "--quiet", "print no header")
	p.flag("", "--noinherit", "do not follow inheritance")
	p.flag("", "--show-blocked", "show blocked packages too")
	p.flag("", "--show-dups", "show entries hidden by inheritance")
	addEventOpts(p)
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return p.errorf("This command takes no arguments")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	kw := map[string]any{}
	if o.s("owner") != "" {
		u, err := a.call("getUser", o.s("owner"))
		if err != nil {
			return err
		}
		if u == nil {
			return p.errorf("No such user: %s", o.s("owner"))
		}
		kw["userID"] = asMap(u)["id"]
	}
	if o.s("tag") != "" {
		t, err := a.call("getTag", o.s("tag"))
		if err != nil {
			return err
		}
		if t == nil {
			return p.errorf("No such tag: %s", o.s("tag"))
		}
		kw["tagID"] = asMap(t)["id"]
	}
	if o.s("package") != "" {
		kw["pkgID"] = o.s("package")
	}
	allpkgs := len(kw) == 0
	kw["inherited"] = !o.b("noinherit")
	if o.s("tag") != "" {
		kw["with_dups"] = o.b("show_dups")
	} else {
		kw["with_dups"] = true
	}
	ev, err := a.eventFromOpts(o)
	if err != nil {
		return err
	}
	if ev != nil {
		kw["event"] = ev["id"]
	}
	if kw["tagID"] == nil && kw["userID"] == nil && kw["pkgID"] == nil {
		if ev != nil {
			return p.errorf("--event and --ts makes sense only with --tag, --owner or --package")
		}
		if o.b("show_blocked") {
			return p.errorf("--show-blocked makes sense only with --tag, --owner or --package")
		}
	}
	if o.b("show_blocked") {
		kw["with_blocked"] = true
	}
	v, err := a.callKw("listPackages", nil, kw)
	if f, ok := isFault(err); ok && f.Code == 1019 {
		delete(kw, "with_blocked")
		v, err = a.callKw("listPackages", nil, kw)
	}
	if err != nil {
		return err
	}
	data := asList(v)
	if len(data) == 0 {
		return fail("(no matching packages)")
	}
	if !(o.b("quiet") || a.quiet) {
		if allpkgs {
			a.println("Package")
			a.println(strings.Repeat("-", 23))
		} else {
			a.printf("%-23s %-23s %-16s %-15s\n", "Package", "Tag", "Extra Arches", "Owner")
			a.printf("%s %s %s %s\n", strings.Repeat("-", 23), strings.Repeat("-", 23), strings.Repeat("-", 16), strings.Repeat("-", 15))
		}
	}
	for _, x := range data {
		m := asMap(x)
		if allpkgs {
			a.println(mstr(m, "package_name"))
			continue
		}
		if !o.b("show_blocked") && mbool(m, "blocked") {
			continue
		}
		if _, ok := m["tag_id"]; ok {
			line := fmt.Sprintf("%-23s %-23s %-16s %-15s", mstr(m, "package_name"), mstr(m, "tag_name"), mstr(m, "extra_arches"), mstr(m, "owner_name"))
			if mbool(m, "blocked") {
				line += " [BLOCKED]"
			}
			a.println(line)
		} else {
			a.println(mstr(m, "package_name"))
		}
	}
	return nil
}
