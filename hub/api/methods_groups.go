package api

import (
	"context"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Comps groups: a tag's groups, their packages and the groups they require,
// each inherited along the tag's inheritance (the first entry seen wins) and
// blockable in a descendant.
func groupMethods() []Method {
	grp := func(extra ...Param) []Param { return append([]Param{P("taginfo"), P("grpinfo")}, extra...) }
	return []Method{
		{Name: "groupListAdd", Params: grp(Opt("block", false), Opt("force", false)), VarKW: "opts", Access: tagPerm, Writes: true,
			Doc: "Add a comps group to a tag (or change its entry): display_name, is_default, uservisible, description, langonly, biarchonly, exported.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, groupListAdd(ctx, c, c.Args.Value("taginfo"), c.Args.Value("grpinfo"), c.Args.Bool("block"), c.Args.Bool("force"), c.Args.Kwargs())
			}},
		{Name: "groupListRemove", Params: grp(Opt("force", false)), Access: tagPerm, Writes: true,
			Doc: "Remove a group's own entry from a tag (an inherited entry may then show).", Handler: groupListRemove},
		{Name: "groupListBlock", Params: grp(), Access: tagPerm, Writes: true,
			Doc: "Block a group in a tag (and in tags inheriting it).", Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, groupListAdd(ctx, c, c.Args.Value("taginfo"), c.Args.Value("grpinfo"), true, false, nil)
			}},
		{Name: "groupListUnblock", Params: grp(), Access: tagPerm, Writes: true,
			Doc: "Remove a tag's own block of a group.", Handler: groupListUnblock},
		{Name: "groupPackageListAdd", Params: grp(P("pkg_name"), Opt("block", false), Opt("force", false)), VarKW: "opts", Access: tagPerm, Writes: true,
			Doc: "Add a package to a group in a tag (or change it): type (default mandatory), basearchonly, requires.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, groupPackageAddCall(ctx, c, c.Args.Bool("block"), c.Args.Bool("force"), c.Args.Kwargs())
			}},
		{Name: "groupPackageListRemove", Params: grp(P("pkg_name")), Access: tagPerm, Writes: true,
			Doc: "Remove a package's own entry from a group in a tag.", Handler: groupPackageRemove},
		{Name: "groupPackageListBlock", Params: grp(P("pkg_name")), Access: tagPerm, Writes: true,
			Doc: "Block a package in a group of a tag.", Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, groupPackageAddCall(ctx, c, true, false, nil)
			}},
		{Name: "groupPackageListUnblock", Params: grp(P("pkg_name")), Access: tagPerm, Writes: true,
			Doc: "Remove a tag's own block of a package in a group.", Handler: groupPackageUnblock},
		{Name: "groupReqListAdd", Params: grp(P("reqinfo"), Opt("block", false), Opt("force", false)), VarKW: "opts", Access: tagPerm, Writes: true,
			Doc: "Make a group require another group in a tag: type (default mandatory), is_metapkg.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, groupReqAddCall(ctx, c, c.Args.Bool("block"), c.Args.Bool("force"), c.Args.Kwargs())
			}},
		{Name: "groupReqListRemove", Params: grp(P("reqinfo"), Opt("force", nil)), Access: tagPerm, Writes: true,
			Doc: "Remove a group requirement's own entry in a tag (force is ignored, as in Koji).", Handler: groupReqRemove},
		{Name: "groupReqListBlock", Params: grp(P("reqinfo")), Access: tagPerm, Writes: true,
			Doc: "Block a group requirement in a tag.", Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, groupReqAddCall(ctx, c, true, false, nil)
			}},
		{Name: "groupReqListUnblock", Params: grp(P("reqinfo")), Access: tagPerm, Writes: true,
			Doc: "Remove a tag's own block of a group requirement.", Handler: groupReqUnblock},
		{Name: "getTagGroups", Params: []Param{P("tag"), Opt("event", nil), Opt("inherit", true), Opt("incl_pkgs", true),
			Opt("incl_reqs", true), Opt("incl_blocked", false)}, Access: anyone,
			Doc:     "A tag's comps groups with their packagelist and grouplist, through inheritance; blocked entries only with incl_blocked.",
			Handler: getTagGroups},
	}
}

// tagGroup is one group as a tag sees it, with its packages and requirements
// in the order first seen.
type tagGroup struct {
	store.GroupRow
	pkgs     []store.GroupPackageRow
	pkgIndex map[string]int
	reqs     []store.GroupReqRow
	reqIndex map[int64]int
}

// tagGroups is Koji's group view of a tag: the tag's own entries first, then
// each ancestor's in inheritance order, the first entry of a group, package
// or requirement winning. Packages and requirements of blocked groups are
// left out, and so are requirements on groups the tag lacks or blocks.
func tagGroups(ctx context.Context, c *Call, tagID int64, event *int64, inherit, inclPkgs, inclReqs bool) ([]*tagGroup, map[int64]*tagGroup, error) {
	tags := []int64{tagID}
	if inherit {
		order, err := fullInheritance(ctx, c, tagID, event, false)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range order {
			tags = append(tags, l.ParentID)
		}
	}
	byTag := func(n int) map[int64][]int { return make(map[int64][]int, n) }
	cfgs, err := store.GroupConfigs(ctx, c.Tx, tags, event)
	if err != nil {
		return nil, nil, err
	}
	cfgByTag := byTag(len(tags))
	for i, r := range cfgs {
		cfgByTag[r.TagID] = append(cfgByTag[r.TagID], i)
	}
	var list []*tagGroup
	groups := map[int64]*tagGroup{}
	for _, t := range tags {
		for _, i := range cfgByTag[t] {
			r := cfgs[i]
			if _, seen := groups[r.GroupID]; seen {
				continue
			}
			g := &tagGroup{GroupRow: r, pkgIndex: map[string]int{}, reqIndex: map[int64]int{}}
			groups[r.GroupID] = g
			list = append(list, g)
		}
	}
	if inclPkgs {
		rows, err := store.GroupPackages(ctx, c.Tx, tags, event)
		if err != nil {
			return nil, nil, err
		}
		idx := byTag(len(tags))
		for i, r := range rows {
			idx[r.TagID] = append(idx[r.TagID], i)
		}
		for _, t := range tags {
			for _, i := range idx[t] {
				r := rows[i]
				g := groups[r.GroupID]
				if g == nil || g.Blocked {
					continue
				}
				if _, seen := g.pkgIndex[r.Package]; !seen {
					g.pkgIndex[r.Package] = len(g.pkgs)
					g.pkgs = append(g.pkgs, r)
				}
			}
		}
	}
	if inclReqs {
		rows, err := store.GroupReqs(ctx, c.Tx, tags, event)
		if err != nil {
			return nil, nil, err
		}
		idx := byTag(len(tags))
		for i, r := range rows {
			idx[r.TagID] = append(idx[r.TagID], i)
		}
		for _, t := range tags {
			for _, i := range idx[t] {
				r := rows[i]
				g, req := groups[r.GroupID], groups[r.ReqID]
				if g == nil || g.Blocked || req == nil || req.Blocked {
					continue
				}
				if _, seen := g.reqIndex[r.ReqID]; !seen {
					g.reqIndex[r.ReqID] = len(g.reqs)
					g.reqs = append(g.reqs, r)
				}
			}
		}
	}
	return list, groups, nil
}

func groupStruct(g *tagGroup, inclPkgs, inclReqs, inclBlocked bool) map[string]any {
	m := map[string]any{
		"name": g.Name, "group_id": g.GroupID, "tag_id": g.TagID, "blocked": g.Blocked, "exported": g.Exported,
		"display_name": g.DisplayName, "is_default": g.IsDefault, "uservisible": g.UserVisible,
		"description": g.Description, "langonly": g.LangOnly, "biarchonly": g.BiarchOnly,
	}
	if inclPkgs {
		pkgs := []any{}
		for _, p := range g.pkgs {
			if p.Blocked && !inclBlocked {
				continue
			}
			pkgs = append(pkgs, map[string]any{"group_id": p.GroupID, "tag_id": p.TagID, "package": p.Package,
				"blocked": p.Blocked, "type": p.Type, "basearchonly": p.BasearchOnly, "requires": p.Requires})
		}
		m["packagelist"] = pkgs
	}
	if inclReqs {
		reqs := []any{}
		for _, r := range g.reqs {
			if r.Blocked && !inclBlocked {
				continue
			}
			reqs = append(reqs, map[string]any{"group_id": r.GroupID, "tag_id": r.TagID, "req_id": r.ReqID,
				"blocked": r.Blocked, "type": r.Type, "is_metapkg": r.IsMetapkg, "name": r.Name})
		}
		m["grouplist"] = reqs
	}
	return m
}

func getTagGroups(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	event := eventArg(a, "event")
	if err := a.Err(); err != nil {
		return nil, err
	}
	t, err := lookupNamed(ctx, c, "tag", a.Value("tag"), true, false)
	if err != nil {
		return nil, err
	}
	inclPkgs, inclReqs, inclBlocked := a.Bool("incl_pkgs"), a.Bool("incl_reqs"), a.Bool("incl_blocked")
	list, _, err := tagGroups(ctx, c, t.ID, event, a.Bool("inherit"), inclPkgs, inclReqs)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, g := range list {
		if g.Blocked && !inclBlocked {
			continue
		}
		out = append(out, groupStruct(g, inclPkgs, inclReqs, inclBlocked))
	}
	return out, nil
}

// groupOpts picks the allowed keys of a call's **opts, dropping the rest as
// Koji does.
func groupOpts(opts map[string]any, fields []string) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		if v, ok := opts[f]; ok {
			out[f] = v
		}
	}
	return out
}

// sameValue compares an option with a stored value as Python's == would for
// the scalars these tables hold.
func sameValue(a, b any) bool { return pyRepr(normalizeScalar(a)) == pyRepr(normalizeScalar(b)) }

func normalizeScalar(v any) any {
	v = normalizeOld(v)
	if b, ok := v.(bool); ok {
		// Python: True == 1
		if b {
			return int64(1)
		}
		return int64(0)
	}
	return v
}

var groupCfgFields = []string{"exported", "display_name", "is_default", "uservisible", "description", "langonly", "biarchonly", "blocked"}

func groupCfgValue(g store.GroupRow, field string) any {
	switch field {
	case "exported":
		return g.Exported
	case "display_name":
		return g.DisplayName
	case "is_default":
		return g.IsDefault
	case "uservisible":
		return g.UserVisible
	case "description":
		return g.Description
	case "langonly":
		return g.LangOnly
	case "biarchonly":
		return g.BiarchOnly
	case "blocked":
		return g.Blocked
	}
	return nil
}

// optBool and optText turn option values into column values, refusing types
// the column cannot hold.
func optBool(name string, v any) (any, error) {
	switch v.(type) {
	case nil:
		return nil, nil
	case bool, int64:
		return truthy(v), nil
	}
	return nil, hub.ParameterError("%s must be a boolean, not %s", name, typeName(v))
}

func optText(name string, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return x, nil
	}
	return nil, hub.ParameterError("%s must be a string, not %s", name, typeName(v))
}

func groupListAdd(ctx context.Context, c *Call, tagInfo, grpInfo any, block, force bool, kw map[string]any) error {
	t, err := getTagAt(ctx, c, tagInfo, nil, true)
	if err != nil {
		return err
	}
	g, err := lookupNamed(ctx, c, "groups", grpInfo, false, false)
	if err != nil {
		return err
	}
	if g == nil {
		name, ok := grpInfo.(string)
		if !ok {
			return hub.GenericError("No such entry in table groups: %v", grpInfo)
		}
		if err := hub.VerifyInternalName(name); err != nil {
			return err
		}
		if g, err = lookupNamed(ctx, c, "groups", name, false, true); err != nil {
			return err
		}
	}
	opts := groupOpts(kw, groupCfgFields)
	opts["blocked"] = block
	_, groups, err := tagGroups(ctx, c, t.ID, nil, true, false, false)
	if err != nil {
		return err
	}
	if prev := groups[g.ID]; prev != nil {
		if prev.Blocked && !force {
			return hub.GenericError("group %s is blocked in tag %s", g.Name, t.Name)
		}
		changed := false
		for _, f := range groupCfgFields {
			old := groupCfgValue(prev.GroupRow, f)
			if v, ok := opts[f]; ok {
				if !sameValue(v, old) {
					changed = true
				}
			} else {
				opts[f] = normalizeOld(old)
			}
		}
		if !changed {
			return nil
		}
	}
	setDefault := func(k string, v any) {
		if _, ok := opts[k]; !ok {
			opts[k] = v
		}
	}
	setDefault("display_name", g.Name)
	setDefault("biarchonly", false)
	setDefault("exported", true)
	setDefault("uservisible", true)
	row := map[string]any{"group_id": g.ID, "tag_id": t.ID}
	for _, f := range groupCfgFields {
		v := opts[f]
		switch f {
		case "display_name":
			s, ok := v.(string)
			if !ok {
				return hub.ParameterError("display_name must be a string, not %s", typeName(v))
			}
			row[f] = s
		case "description", "langonly":
			if row[f], err = optText(f, v); err != nil {
				return err
			}
		default:
			if row[f], err = optBool(f, v); err != nil {
				return err
			}
			if f == "blocked" {
				row[f] = truthy(v)
			}
		}
	}
	key := map[string]any{"group_id": g.ID, "tag_id": t.ID}
	if _, err := store.GroupConfig.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
		return err
	}
	return store.GroupConfig.Insert(ctx, c.Tx, c.UserID(), row)
}

// normalizeOld turns a stored value back into an option value.
func normalizeOld(v any) any {
	switch x := v.(type) {
	case *bool:
		if x == nil {
			return nil
		}
		return *x
	case *string:
		if x == nil {
			return nil
		}
		return *x
	}
	return v
}

// tagAndGroup resolves (taginfo, grpinfo) strictly.
func tagAndGroup(ctx context.Context, c *Call) (*store.Tag, *store.NamedID, error) {
	t, err := getTagAt(ctx, c, c.Args.Value("taginfo"), nil, true)
	if err != nil {
		return nil, nil, err
	}
	g, err := lookupNamed(ctx, c, "groups", c.Args.Value("grpinfo"), true, false)
	if err != nil {
		return nil, nil, err
	}
	return t, g, nil
}

func groupListRemove(ctx context.Context, c *Call) (any, error) {
	t, g, err := tagAndGroup(ctx, c)
	if err != nil {
		return nil, err
	}
	n, err := store.GroupConfig.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"group_id": g.ID, "tag_id": t.ID})
	if err != nil {
		return nil, err
	}
	if n == 0 && !c.Args.Bool("force") {
		return nil, hub.GenericError("No group: %s found for tag: %s", g.Name, t.Name)
	}
	return nil, nil
}

func groupListUnblock(ctx context.Context, c *Call) (any, error) {
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("taginfo"), true, false)
	if err != nil {
		return nil, err
	}
	g, err := lookupNamed(ctx, c, "groups", c.Args.Value("grpinfo"), true, false)
	if err != nil {
		return nil, err
	}
	key := map[string]any{"group_id": g.ID, "tag_id": t.ID}
	return nil, unblockOwn(ctx, c, store.GroupConfig, key, fmtErr("group %s is NOT blocked in tag %s", g.Name, t.Name))
}

func fmtErr(format string, args ...any) error { return hub.GenericError(format, args...) }

// unblockOwn revokes the tag's own blocking row, or fails with notBlocked.
func unblockOwn(ctx context.Context, c *Call, v store.Versioned, key map[string]any, notBlocked error) error {
	blocked, err := store.ActiveBlocked(ctx, c.Tx, v.Table, key)
	if err != nil {
		return err
	}
	if !blocked {
		return notBlocked
	}
	_, err = v.Revoke(ctx, c.Tx, c.UserID(), key)
	return err
}

var groupPkgFields = []string{"type", "basearchonly", "requires"}

// groupPackageAddCall is groupPackageListAdd and Block on the call's
// (taginfo, grpinfo, pkg_name).
func groupPackageAddCall(ctx context.Context, c *Call, block, force bool, kw map[string]any) error {
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("taginfo"), true, false)
	if err != nil {
		return err
	}
	g, err := lookupNamed(ctx, c, "groups", c.Args.Value("grpinfo"), true, false)
	if err != nil {
		return err
	}
	pkg := c.Args.String("pkg_name")
	if err := c.Args.Err(); err != nil {
		return err
	}
	return groupPackageAdd(ctx, c, t, g, pkg, block, force, kw)
}

// groupPackageAdd adds (or changes, or blocks) a package of group g in tag t
// without a permission check (Koji's _grp_pkg_add).
func groupPackageAdd(ctx context.Context, c *Call, t, g *store.NamedID, pkg string, block, force bool, kw map[string]any) error {
	cfg, err := usableGroup(ctx, c, t, g, true, false)
	if err != nil {
		return err
	}
	opts := groupOpts(kw, groupPkgFields)
	if i, ok := cfg.pkgIndex[pkg]; ok {
		prev := cfg.pkgs[i]
		if prev.Blocked && !force {
			return hub.GenericError("package %s blocked in group %s, tag %s", pkg, g.Name, t.Name)
		}
		changed := block
		olds := map[string]any{"type": prev.Type, "basearchonly": normalizeOld(prev.BasearchOnly), "requires": normalizeOld(prev.Requires)}
		for _, f := range groupPkgFields {
			if v, ok := opts[f]; ok {
				if !sameValue(v, olds[f]) {
					changed = true
				}
			} else {
				opts[f] = olds[f]
			}
		}
		if !changed && !force {
			return nil
		}
	}
	if _, ok := opts["type"]; !ok {
		opts["type"] = "mandatory"
	}
	typ, ok := opts["type"].(string)
	if !ok {
		return hub.ParameterError("type must be a string, not %s", typeName(opts["type"]))
	}
	basearch, err := optBool("basearchonly", opts["basearchonly"])
	if err != nil {
		return err
	}
	requires, err := optText("requires", opts["requires"])
	if err != nil {
		return err
	}
	key := map[string]any{"group_id": g.ID, "tag_id": t.ID, "package": pkg}
	if _, err := store.GroupPackageListing.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
		return err
	}
	return store.GroupPackageListing.Insert(ctx, c.Tx, c.UserID(), map[string]any{"group_id": g.ID, "tag_id": t.ID,
		"package": pkg, "blocked": block, "type": typ, "basearchonly": basearch, "requires": requires})
}

// tagGroupAndName resolves (taginfo, grpinfo) by name lookup and reads the
// string argument name.
func tagGroupAndName(ctx context.Context, c *Call, arg string) (*store.NamedID, *store.NamedID, string, error) {
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("taginfo"), true, false)
	if err != nil {
		return nil, nil, "", err
	}
	g, err := lookupNamed(ctx, c, "groups", c.Args.Value("grpinfo"), true, false)
	if err != nil {
		return nil, nil, "", err
	}
	s := c.Args.String(arg)
	return t, g, s, c.Args.Err()
}

func groupPackageRemove(ctx context.Context, c *Call) (any, error) {
	t, g, pkg, err := tagGroupAndName(ctx, c, "pkg_name")
	if err != nil {
		return nil, err
	}
	_, err = store.GroupPackageListing.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"group_id": g.ID, "tag_id": t.ID, "package": pkg})
	return nil, err
}

func groupPackageUnblock(ctx context.Context, c *Call) (any, error) {
	t, g, pkg, err := tagGroupAndName(ctx, c, "pkg_name")
	if err != nil {
		return nil, err
	}
	key := map[string]any{"group_id": g.ID, "tag_id": t.ID, "package": pkg}
	return nil, unblockOwn(ctx, c, store.GroupPackageListing, key,
		fmtErr("package %s is NOT blocked in group %s, tag %s", pkg, g.Name, t.Name))
}

var groupReqFields = []string{"type", "is_metapkg"}

func tagGroupReq(ctx context.Context, c *Call) (*store.NamedID, *store.NamedID, *store.NamedID, error) {
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("taginfo"), true, false)
	if err != nil {
		return nil, nil, nil, err
	}
	g, err := lookupNamed(ctx, c, "groups", c.Args.Value("grpinfo"), true, false)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := lookupNamed(ctx, c, "groups", c.Args.Value("reqinfo"), true, false)
	if err != nil {
		return nil, nil, nil, err
	}
	return t, g, r, nil
}

// usableGroup is the group as the tag has it now (with inheritance), which
// must be there and not blocked for its packages or requirements to change.
func usableGroup(ctx context.Context, c *Call, t, g *store.NamedID, inclPkgs, inclReqs bool) (*tagGroup, error) {
	_, groups, err := tagGroups(ctx, c, t.ID, nil, true, inclPkgs, inclReqs)
	if err != nil {
		return nil, err
	}
	cfg := groups[g.ID]
	switch {
	case cfg == nil:
		return nil, hub.GenericError("group %s not present in tag %s", g.Name, t.Name)
	case cfg.Blocked:
		return nil, hub.GenericError("group %s is blocked in tag %s", g.Name, t.Name)
	}
	return cfg, nil
}

// groupReqAddCall is groupReqListAdd and Block on the call's (taginfo,
// grpinfo, reqinfo).
func groupReqAddCall(ctx context.Context, c *Call, block, force bool, kw map[string]any) error {
	t, g, req, err := tagGroupReq(ctx, c)
	if err != nil {
		return err
	}
	return groupReqAdd(ctx, c, t, g, req, block, force, kw)
}

// groupReqAdd makes group g require group req in tag t (or changes or
// blocks that), without a permission check (Koji's _grp_req_add).
func groupReqAdd(ctx context.Context, c *Call, t, g, req *store.NamedID, block, force bool, kw map[string]any) error {
	cfg, err := usableGroup(ctx, c, t, g, false, true)
	if err != nil {
		return err
	}
	opts := groupOpts(kw, groupReqFields)
	if i, ok := cfg.reqIndex[req.ID]; ok {
		prev := cfg.reqs[i]
		if prev.Blocked && !force {
			return hub.GenericError("requirement on group %s blocked in group %s, tag %s", req.Name, g.Name, t.Name)
		}
		changed := block
		olds := map[string]any{"type": normalizeOld(prev.Type), "is_metapkg": prev.IsMetapkg}
		for _, f := range groupReqFields {
			if v, ok := opts[f]; ok {
				if !sameValue(v, olds[f]) {
					changed = true
				}
			} else {
				opts[f] = olds[f]
			}
		}
		if !changed {
			return nil
		}
	}
	if _, ok := opts["type"]; !ok {
		opts["type"] = "mandatory"
	}
	typ, err := optText("type", opts["type"])
	if err != nil {
		return err
	}
	key := map[string]any{"group_id": g.ID, "tag_id": t.ID, "req_id": req.ID}
	if _, err := store.GroupReqListing.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
		return err
	}
	return store.GroupReqListing.Insert(ctx, c.Tx, c.UserID(), map[string]any{"group_id": g.ID, "tag_id": t.ID,
		"req_id": req.ID, "blocked": block, "type": typ, "is_metapkg": truthy(opts["is_metapkg"])})
}

func groupReqRemove(ctx context.Context, c *Call) (any, error) {
	t, g, req, err := tagGroupReq(ctx, c)
	if err != nil {
		return nil, err
	}
	_, err = store.GroupReqListing.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"group_id": g.ID, "tag_id": t.ID, "req_id": req.ID})
	return nil, err
}

func groupReqUnblock(ctx context.Context, c *Call) (any, error) {
	t, g, req, err := tagGroupReq(ctx, c)
	if err != nil {
		return nil, err
	}
	key := map[string]any{"group_id": g.ID, "tag_id": t.ID, "req_id": req.ID}
	return nil, unblockOwn(ctx, c, store.GroupReqListing, key,
		fmtErr("group req %s is NOT blocked in group %s, tag %s", req.Name, g.Name, t.Name))
}
