package api

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

func packageMethods() []Method {
	force := Opt("force", false)
	return []Method{
		{Name: "packageListAdd", Params: []Param{P("taginfo"), P("pkginfo"), Opt("owner", nil), Opt("block", nil), Opt("extra_arches", nil), force, Opt("update", false)},
			Access: tagPerm, Writes: true, Doc: "Add a package to a tag's list (or update its entry).",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				a := c.Args
				return nil, pkglistAdd(ctx, c, a.Value("taginfo"), a.Value("pkginfo"), a.Value("owner"), a.OptBool("block"),
					a.Value("extra_arches"), a.Bool("force"), a.Bool("update"))
			}},
		{Name: "packageListRemove", Params: []Param{P("taginfo"), P("pkginfo"), force}, Access: tagPerm, Writes: true,
			Doc: "Remove a package's entry from a tag's own list (an inherited entry may then show).", Handler: pkglistRemove},
		{Name: "packageListBlock", Params: []Param{P("taginfo"), P("pkginfo"), force}, Access: tagPerm, Writes: true,
			Doc: "Block a package in a tag (and so in tags inheriting it).", Handler: pkglistBlock},
		{Name: "packageListUnblock", Params: []Param{P("taginfo"), P("pkginfo"), force}, Access: tagPerm, Writes: true,
			Doc: "Unblock a package in a tag.", Handler: pkglistUnblock},
		{Name: "packageListSetOwner", Params: []Param{P("taginfo"), P("pkginfo"), P("owner"), force}, Access: tagPerm, Writes: true,
			Doc: "Change a package's owner in a tag.", Handler: func(ctx context.Context, c *Call) (any, error) {
				a := c.Args
				return nil, pkglistAdd(ctx, c, a.Value("taginfo"), a.Value("pkginfo"), a.Value("owner"), nil, nil, a.Bool("force"), true)
			}},
		{Name: "packageListSetArches", Params: []Param{P("taginfo"), P("pkginfo"), P("arches"), force}, Access: tagPerm, Writes: true,
			Doc: "Set a package's extra arches in a tag.", Handler: func(ctx context.Context, c *Call) (any, error) {
				a := c.Args
				return nil, pkglistAdd(ctx, c, a.Value("taginfo"), a.Value("pkginfo"), nil, nil, a.Value("arches"), a.Bool("force"), true)
			}},
		{Name: "listPackages", Params: []Param{Opt("tagID", nil), Opt("userID", nil), Opt("pkgID", nil), Opt("prefix", nil), Opt("inherited", false),
			Opt("with_dups", false), Opt("event", nil), Opt("queryOpts", nil), Opt("with_owners", true), Opt("with_blocked", true)},
			Access: anyone, Doc: "Package list entries by tag (with inheritance), owner or package; with no filter, every package.",
			Handler: listPackages},
		{Name: "listPackagesSimple", Params: []Param{Opt("prefix", nil), Opt("queryOpts", nil)}, Access: anyone,
			Doc: "Every package: [{package_id, package_name}].", Handler: listPackagesSimple},
		{Name: "checkTagPackage", Params: []Param{P("tag"), P("pkg")}, Access: anyone,
			Doc: "Whether a package is listed, and not blocked, in a tag (with inheritance).", Handler: checkTagPackage},
		{Name: "getPackage", Params: []Param{P("info"), Opt("strict", false), Opt("create", false)}, Access: anyone,
			Doc: "A package {id, name} by id or name; create adds a missing name (needs the tag permission).", Handler: getPackage},
		{Name: "getPackageConfig", Params: []Param{P("tag"), P("pkg"), Opt("event", nil)}, Access: anyone,
			Doc: "A package's effective entry in a tag, with inheritance, or nil.", Handler: getPackageConfig},
	}
}

// packageRow is a listPackages entry as the wire shows it.
type packageRow struct {
	PackageID   int64   `xmlrpc:"package_id"`
	PackageName string  `xmlrpc:"package_name"`
	TagID       int64   `xmlrpc:"tag_id"`
	TagName     string  `xmlrpc:"tag_name"`
	ExtraArches *string `xmlrpc:"extra_arches"`
	Blocked     bool    `xmlrpc:"blocked"`
	OwnerID     *int64  `xmlrpc:"owner_id"`
	OwnerName   *string `xmlrpc:"owner_name"`
}

func packageEntryStruct(e store.PackageEntry, withOwners bool) map[string]any {
	m := map[string]any{"package_id": e.PackageID, "package_name": e.PackageName, "tag_id": e.TagID,
		"tag_name": e.TagName, "extra_arches": e.ExtraArches, "blocked": e.Blocked}
	if withOwners {
		m["owner_id"], m["owner_name"] = e.OwnerID, e.OwnerName
	}
	return m
}

// packageList is Koji's readPackageList: a tag's own entries, then, with
// inherit, those of each tag along the inheritance walk that are not yet
// seen (all of them with dups) and whose name passes the link's filters.
// The result keeps the order packages were first seen.
func packageList(ctx context.Context, c *Call, f store.PackageFilter, tagID *int64, inherit, dups bool, event *int64) ([][]store.PackageEntry, error) {
	snap, err := c.snapshotKey(ctx, event)
	if err != nil {
		return nil, err
	}
	var key string
	if snap != "" {
		key = fmt.Sprintf("pkglist|%s|%v|%v|%v|%v|%v|%v|%v|%v", snap, f.UserID != nil, ptrVal(f.UserID), ptrVal(f.PackageID),
			f.NoOwners, f.WithBlocked != nil && !*f.WithBlocked, ptrVal(tagID), inherit, dups)
		if v, ok := c.d.cache.get(key); ok {
			return v.([][]store.PackageEntry), nil
		}
	}
	out, err := readPackageList(ctx, c, f, tagID, inherit, dups, event)
	if err == nil && key != "" {
		c.d.cache.put(key, out, len(out)+1)
	}
	return out, err
}

func ptrVal(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func readPackageList(ctx context.Context, c *Call, f store.PackageFilter, tagID *int64, inherit, dups bool, event *int64) ([][]store.PackageEntry, error) {
	if tagID != nil {
		f.TagIDs = []int64{*tagID}
	}
	var walk []walkLink
	if tagID != nil && inherit {
		var err error
		if walk, err = fullInheritance(ctx, c, *tagID, event, false); err != nil {
			return nil, err
		}
		for _, l := range walk {
			f.TagIDs = append(f.TagIDs, l.ParentID)
		}
	}
	rows, err := store.PackageEntries(ctx, c.Tx, f, event)
	if err != nil {
		return nil, err
	}
	if tagID == nil {
		return groupEntries(rows, nil, dups), nil
	}
	byTag := map[int64][]store.PackageEntry{}
	for _, r := range rows {
		byTag[r.TagID] = append(byTag[r.TagID], r)
	}
	index := map[int64]int{}
	var out [][]store.PackageEntry
	add := func(e store.PackageEntry) {
		if i, ok := index[e.PackageID]; ok {
			if dups {
				out[i] = append(out[i], e)
			}
			return
		}
		index[e.PackageID] = len(out)
		out = append(out, []store.PackageEntry{e})
	}
	for _, e := range byTag[*tagID] {
		add(e)
	}
	cache := map[string]*regexp.Regexp{}
	for _, l := range walk {
		var res []*regexp.Regexp
		for _, pat := range l.Filter {
			re, ok := cache[pat]
			if !ok {
				// pkg_filter is matched at the start of the name, like Python's re.match.
				if re, err = regexp.Compile(`\A(?:` + pat + `)`); err != nil {
					return nil, hub.GenericError("Invalid pkg_filter %q: %v", pat, err)
				}
				cache[pat] = re
			}
			res = append(res, re)
		}
	entries:
		for _, e := range byTag[l.ParentID] {
			if _, seen := index[e.PackageID]; seen && !dups {
				continue
			}
			for _, re := range res {
				if !re.MatchString(e.PackageName) {
					continue entries
				}
			}
			add(e)
		}
	}
	return out, nil
}

func groupEntries(rows []store.PackageEntry, _ []walkLink, dups bool) [][]store.PackageEntry {
	index := map[int64]int{}
	var out [][]store.PackageEntry
	for _, e := range rows {
		if i, ok := index[e.PackageID]; ok {
			if dups {
				out[i] = append(out[i], e)
			} else {
				out[i] = []store.PackageEntry{e} // the last row wins, as in Koji
			}
			continue
		}
		index[e.PackageID] = len(out)
		out = append(out, []store.PackageEntry{e})
	}
	return out
}

// effectiveEntry is a package's entry in a tag with inheritance, or nil.
func effectiveEntry(ctx context.Context, c *Call, tagID, pkgID int64, event *int64) (*store.PackageEntry, error) {
	list, err := packageList(ctx, c, store.PackageFilter{PackageID: &pkgID}, &tagID, true, false, event)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0][0], nil
}

func listPackages(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	tagInfo, userInfo, pkgInfo := a.Value("tagID"), a.Value("userID"), a.Value("pkgID")
	prefix := a.OptString("prefix")
	event := eventArg(a, "event")
	opts := a.Map("queryOpts")
	withOwners := a.Bool("with_owners")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if tagInfo == nil && userInfo == nil && pkgInfo == nil {
		return simplePackages(ctx, c, prefix, opts)
	}
	f := store.PackageFilter{NoOwners: !withOwners, WithBlocked: a.OptBool("with_blocked")}
	var tagID *int64
	if tagInfo != nil {
		t, err := lookupNamed(ctx, c, "tag", tagInfo, true, false)
		if err != nil {
			return nil, err
		}
		tagID = &t.ID
	}
	if userInfo != nil {
		if !withOwners {
			return nil, hub.GenericError("userID and with_owners=False can't be used together")
		}
		u, err := lookupUser(ctx, c, userInfo, true)
		if err != nil {
			return nil, err
		}
		f.UserID = &u.ID
	}
	if pkgInfo != nil {
		p, err := lookupNamed(ctx, c, "package", pkgInfo, true, false)
		if err != nil {
			return nil, err
		}
		f.PackageID = &p.ID
	}
	list, err := packageList(ctx, c, f, tagID, a.Bool("inherited"), a.Bool("with_dups"), event)
	if err != nil {
		return nil, err
	}
	lp := ""
	if prefix != nil {
		lp = strings.ToLower(*prefix)
	}
	keep := func(e *store.PackageEntry) bool {
		return lp == "" || strings.HasPrefix(strings.ToLower(e.PackageName), lp)
	}
	if opts == nil && withOwners {
		// The common case answers typed rows: no map per entry.
		out := make([]packageRow, 0, len(list))
		for _, group := range list {
			for i := range group {
				if e := &group[i]; keep(e) {
					out = append(out, packageRow{e.PackageID, e.PackageName, e.TagID, e.TagName, e.ExtraArches, e.Blocked, e.OwnerID, e.OwnerName})
				}
			}
		}
		return out, nil
	}
	rows := make([]any, 0, len(list))
	for _, group := range list {
		for i := range group {
			if e := &group[i]; keep(e) {
				rows = append(rows, packageEntryStruct(*e, withOwners))
			}
		}
	}
	return applyQueryOpts(rows, opts)
}

func listPackagesSimple(ctx context.Context, c *Call) (any, error) {
	prefix := c.Args.OptString("prefix")
	opts := c.Args.Map("queryOpts")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	return simplePackages(ctx, c, prefix, opts)
}

func simplePackages(ctx context.Context, c *Call, prefix *string, opts map[string]any) (any, error) {
	p := ""
	if prefix != nil {
		p = *prefix
	}
	names, err := store.ListPackageNames(ctx, c.Tx, p)
	if err != nil {
		return nil, err
	}
	rows := make([]any, len(names))
	for i, n := range names {
		rows[i] = map[string]any{"package_id": n.ID, "package_name": n.Name}
	}
	return applyQueryOpts(rows, opts)
}

// checkPkgListAccess applies the rule for changes to a locked tag: only an
// admin using force may change it.
func checkLocked(ctx context.Context, c *Call, t *store.Tag, force bool) error {
	if !t.Locked {
		return nil
	}
	if force {
		if ok, err := c.HasPerm(ctx, "admin"); err != nil {
			return err
		} else if ok {
			return nil
		}
	}
	return hub.Errorf(hub.CodeTag, "Tag %s is locked", t.Name)
}

func checkForce(ctx context.Context, c *Call, force bool) error {
	if !force {
		return nil
	}
	if ok, err := c.HasPerm(ctx, "admin"); err != nil {
		return err
	} else if !ok {
		return hub.NotAllowed("only admins may use force (logged in as %s)", c.Session.User.Name)
	}
	return nil
}

func pkglistAdd(ctx context.Context, c *Call, tagInfo, pkgInfo, ownerInfo any, block *bool, arches any, force, update bool) error {
	if err := checkForce(ctx, c, force); err != nil {
		return err
	}
	t, err := getTagAt(ctx, c, tagInfo, nil, true)
	if err != nil {
		return err
	}
	if err := checkLocked(ctx, c, t, force); err != nil {
		return err
	}
	return directPkglistAdd(ctx, c, t, pkgInfo, ownerInfo, block, arches, force, update)
}

// directPkglistAdd is pkglistAdd without the force and lock checks (Koji's
// _direct_pkglist_add): a new package name is created, an unchanged entry
// is left alone unless force rewrites it.
func directPkglistAdd(ctx context.Context, c *Call, t *store.Tag, pkgInfo, ownerInfo any, block *bool, arches any, force, update bool) error {
	pkg, err := lookupNamed(ctx, c, "package", pkgInfo, false, false)
	if err != nil {
		return err
	}
	if pkg == nil {
		name, ok := pkgInfo.(string)
		if !ok {
			return hub.GenericError("No such package: %v", pkgInfo)
		}
		if err := hub.VerifyInternalName(name); err != nil {
			return err
		}
		if pkg, err = lookupNamed(ctx, c, "package", name, false, true); err != nil {
			return err
		}
	}
	var owner *int64
	if ownerInfo != nil {
		u, err := lookupUser(ctx, c, ownerInfo, true)
		if err != nil {
			return err
		}
		owner = &u.ID
	}
	var extraArches *string
	if arches != nil {
		if extraArches, err = parseArches(arches, true); err != nil {
			return err
		}
	}
	prev, err := effectiveEntry(ctx, c, t.ID, pkg.ID, nil)
	if err != nil {
		return err
	}
	blocked := block != nil && *block
	changed, ownerChanged := prev == nil, false
	if prev == nil {
		if update && !force {
			return hub.GenericError("cannot update: tag %s has no data for package %s", t.Name, pkg.Name)
		}
	} else {
		if owner == nil {
			owner = prev.OwnerID
		}
		ownerChanged = !equalInt(owner, prev.OwnerID)
		if block == nil {
			blocked = prev.Blocked
		}
		if arches == nil {
			extraArches = prev.ExtraArches
		}
		changed = prev.Blocked != blocked || !equalStr(prev.ExtraArches, extraArches)
		if !changed && !ownerChanged && !force {
			return nil
		}
		if prev.Blocked && !blocked && !force {
			return hub.GenericError("package %s is blocked in tag %s", pkg.Name, t.Name)
		}
	}
	if owner == nil {
		if !force {
			return hub.GenericError("owner not specified")
		}
		uid := c.UserID()
		owner = &uid
	}
	// As in Koji, force only gets past the checks above: unchanged data is
	// not written again (it would add history with no difference).
	key := map[string]any{"tag_id": t.ID, "package_id": pkg.ID}
	if changed {
		if _, err := store.TagPackages.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
			return err
		}
		if err := store.TagPackages.Insert(ctx, c.Tx, c.UserID(), map[string]any{
			"tag_id": t.ID, "package_id": pkg.ID, "blocked": blocked, "extra_arches": extraArches,
		}); err != nil {
			return err
		}
	}
	if changed || ownerChanged {
		if _, err := store.TagPackageOwners.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
			return err
		}
		return store.TagPackageOwners.Insert(ctx, c.Tx, c.UserID(), map[string]any{
			"tag_id": t.ID, "package_id": pkg.ID, "owner": *owner,
		})
	}
	return nil
}

// tagAndPackage resolves the common (taginfo, pkginfo) pair strictly.
func tagAndPackage(ctx context.Context, c *Call) (*store.Tag, *store.NamedID, error) {
	t, err := getTagAt(ctx, c, c.Args.Value("taginfo"), nil, true)
	if err != nil {
		return nil, nil, err
	}
	if err := checkForce(ctx, c, c.Args.Bool("force")); err != nil {
		return nil, nil, err
	}
	if err := checkLocked(ctx, c, t, c.Args.Bool("force")); err != nil {
		return nil, nil, err
	}
	p, err := lookupNamed(ctx, c, "package", c.Args.Value("pkginfo"), true, false)
	if err != nil {
		return nil, nil, err
	}
	return t, p, nil
}

func pkglistRemove(ctx context.Context, c *Call) (any, error) {
	t, p, err := tagAndPackage(ctx, c)
	if err != nil {
		return nil, err
	}
	// Only the entry goes; Koji leaves the owner row active (the recorded
	// history shows it), and a later add replaces it.
	_, err = store.TagPackages.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": t.ID, "package_id": p.ID})
	return nil, err
}

func pkglistBlock(ctx context.Context, c *Call) (any, error) {
	t, p, err := tagAndPackage(ctx, c)
	if err != nil {
		return nil, err
	}
	prev, err := effectiveEntry(ctx, c, t.ID, p.ID, nil)
	if err != nil {
		return nil, err
	}
	if prev == nil {
		return nil, hub.GenericError("Package %s is not in tag listing for %s", p.Name, t.Name)
	}
	yes := true
	return nil, pkglistAdd(ctx, c, t.ID, p.ID, nil, &yes, nil, c.Args.Bool("force"), false)
}

func pkglistUnblock(ctx context.Context, c *Call) (any, error) {
	t, p, err := tagAndPackage(ctx, c)
	if err != nil {
		return nil, err
	}
	prev, err := effectiveEntry(ctx, c, t.ID, p.ID, nil)
	if err != nil {
		return nil, err
	}
	if prev == nil {
		return nil, hub.GenericError("no data (blocked or otherwise) for package %s in tag %s", p.Name, t.Name)
	}
	if !prev.Blocked {
		return nil, hub.GenericError("package %s NOT blocked in tag %s", p.Name, t.Name)
	}
	key := map[string]any{"tag_id": t.ID, "package_id": p.ID}
	addUnblocked := func() error {
		if _, err := store.TagPackages.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
			return err
		}
		if err := store.TagPackages.Insert(ctx, c.Tx, c.UserID(), map[string]any{
			"tag_id": t.ID, "package_id": p.ID, "blocked": false, "extra_arches": prev.ExtraArches}); err != nil {
			return err
		}
		if _, err := store.TagPackageOwners.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
			return err
		}
		return store.TagPackageOwners.Insert(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": t.ID, "package_id": p.ID, "owner": *prev.OwnerID})
	}
	if prev.TagID != t.ID {
		// The block is inherited: override it with an unblocked entry here.
		return nil, addUnblocked()
	}
	// The block is our own: drop it, and add an entry only if that does not
	// leave the package listed and unblocked through inheritance.
	if _, err := store.TagPackages.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
		return nil, err
	}
	if _, err := store.TagPackageOwners.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
		return nil, err
	}
	now, err := effectiveEntry(ctx, c, t.ID, p.ID, nil)
	if err != nil {
		return nil, err
	}
	if now == nil || now.Blocked {
		return nil, addUnblocked()
	}
	return nil, nil
}

func checkTagPackage(ctx context.Context, c *Call) (any, error) {
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("tag"), false, false)
	if err != nil || t == nil {
		return false, err
	}
	p, err := lookupNamed(ctx, c, "package", c.Args.Value("pkg"), false, false)
	if err != nil || p == nil {
		return false, err
	}
	e, err := effectiveEntry(ctx, c, t.ID, p.ID, nil)
	if err != nil {
		return nil, err
	}
	return e != nil && !e.Blocked, nil
}

func getPackage(ctx context.Context, c *Call) (any, error) {
	create := c.Args.Bool("create")
	if create {
		if err := c.AssertPerm(ctx, "tag"); err != nil {
			return nil, err
		}
		if !c.Tx.Writable() {
			// getPackage is a query; creating goes through packageListAdd.
			return nil, hub.GenericError("getPackage(create=True) is not supported; add the package with packageListAdd")
		}
	}
	n, err := lookupNamed(ctx, c, "package", c.Args.Value("info"), c.Args.Bool("strict"), create)
	if err != nil || n == nil {
		return nil, err
	}
	return map[string]any{"id": n.ID, "name": n.Name}, nil
}

func getPackageConfig(ctx context.Context, c *Call) (any, error) {
	event := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("tag"), true, false)
	if err != nil {
		return nil, err
	}
	p, err := lookupNamed(ctx, c, "package", c.Args.Value("pkg"), false, false)
	if err != nil || p == nil {
		return nil, err
	}
	e, err := effectiveEntry(ctx, c, t.ID, p.ID, event)
	if err != nil || e == nil {
		return nil, err
	}
	return packageEntryStruct(*e, true), nil
}
