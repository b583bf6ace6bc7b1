package api

import (
	"context"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Snapshots: copying a tag's config and contents, inheritance flattened,
// into a new tag or onto an existing one. koji clone-tag calls only these.
func snapshotMethods() []Method {
	params := func(extra ...Param) []Param {
		return append([]Param{P("src"), P("dst"), Opt("config", true), Opt("pkgs", true), Opt("builds", true), Opt("groups", true),
			Opt("latest_only", true), Opt("inherit_builds", true), Opt("event", nil), Opt("force", false)}, extra...)
	}
	return []Method{
		{Name: "snapshotTag", Params: params(), Access: tagPerm, Writes: true,
			Doc: "Copy a tag (as of event) into a new tag dst, without inheritance: config (arches, perm, locked, extra), " +
				"the package list as src sees it (owners and blocks), its builds (latest_only: the latest per package; " +
				"inherit_builds: inherited ones too; newest stays latest) and its groups with packages and requirements.",
			Handler: snapshotTag},
		{Name: "snapshotTagModify", Params: params(Opt("remove", false)), Access: tagPerm, Writes: true,
			Doc: "Bring an existing tag dst in line with src (as of event), as snapshotTag would copy it: packages missing " +
				"in src are blocked, builds are added and reordered so the latest match; remove also untags extra builds " +
				"and removes (or blocks inherited) extra groups, group packages and requirements.",
			Handler: snapshotTagModify},
	}
}

// snapshotOpts are the two calls' switches.
type snapshotOpts struct {
	config, pkgs, builds, groups bool
	latestOnly, inheritBuilds    bool
	force, remove                bool
	event                        *int64
}

func readSnapshotOpts(a *Args) (snapshotOpts, error) {
	o := snapshotOpts{config: a.Bool("config"), pkgs: a.Bool("pkgs"), builds: a.Bool("builds"), groups: a.Bool("groups"),
		latestOnly: a.Bool("latest_only"), inheritBuilds: a.Bool("inherit_builds"), force: a.Bool("force"),
		remove: a.Bool("remove"), event: eventArg(a, "event")}
	if err := a.Err(); err != nil {
		return o, err
	}
	if o.builds && !o.pkgs {
		return o, hub.ParameterError("builds can't be used without pkgs in snapshotTag")
	}
	return o, nil
}

func (o snapshotOpts) tagged() taggedOpts {
	t := taggedOpts{Event: o.event, Inherit: o.inheritBuilds}
	if o.latestOnly {
		t.Latest = 1
	}
	return t
}

// orNil turns a nil pointer into an untyped nil, so that look-ups taking
// any see None rather than a typed nil.
func orNil[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func snapshotTag(ctx context.Context, c *Call) (any, error) {
	o, err := readSnapshotOpts(c.Args)
	if err != nil {
		return nil, err
	}
	dstInfo := c.Args.Value("dst")
	if t, err := getTagAt(ctx, c, dstInfo, nil, false); err != nil {
		return nil, err
	} else if t != nil {
		return nil, hub.GenericError("Target tag already exists")
	}
	src, err := getTagAt(ctx, c, c.Args.Value("src"), o.event, true)
	if err != nil {
		return nil, err
	}
	if src.Locked && !o.force {
		return nil, hub.GenericError("Source tag is locked, use force to copy")
	}
	name, ok := dstInfo.(string)
	if !ok {
		return nil, hub.GenericError("Name should be string")
	}
	spec := newTag{Name: name}
	if o.config {
		extras, err := tagExtras(ctx, c, []int64{src.ID}, o.event, false)
		if err != nil {
			return nil, err
		}
		spec.Arches, spec.Perm, spec.Locked = orNil(src.Arches), orNil(src.PermID), src.Locked
		spec.MavenSupport, spec.MavenIncludeAll = src.MavenSupport, src.MavenIncludeAll
		spec.Extra = extras[src.ID]
	}
	id, err := insertTag(ctx, c, spec)
	if err != nil {
		return nil, err
	}
	dst, err := getTagAt(ctx, c, id, nil, true)
	if err != nil {
		return nil, err
	}
	if o.pkgs {
		list, err := packageList(ctx, c, store.PackageFilter{}, &src.ID, true, false, o.event)
		if err != nil {
			return nil, err
		}
		for _, g := range list {
			e := g[0]
			if err := directPkglistAdd(ctx, c, dst, e.PackageName, orNil(e.OwnerName), &e.Blocked, orNil(e.ExtraArches), true, false); err != nil {
				return nil, err
			}
		}
	}
	if o.builds {
		builds, err := readTagged(ctx, c, src.ID, o.tagged())
		if err != nil {
			return nil, err
		}
		// Builds sharing an event are ordered by id, not by when they were
		// tagged, so each package's builds go in at events of their own:
		// round k tags the k-th oldest of every package, leaving the one
		// src has as latest the latest in dst too.
		pkgs, byPkg := oldestFirst(builds)
		for round := 0; ; round++ {
			tagged := false
			for _, pkg := range pkgs {
				list := byPkg[pkg]
				if round >= len(list) {
					continue
				}
				if !tagged && round > 0 {
					c.Tx.NextEvent()
				}
				tagged = true
				if err := directTagBuild(ctx, c, dst, &list[round].Build, true); err != nil {
					return nil, err
				}
			}
			if !tagged {
				break
			}
		}
	}
	if o.groups {
		if err := copyGroups(ctx, c, src, dst, o.event); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// oldestFirst groups a listTagged answer (newest first) by package, each
// package's builds oldest first and once each; pkgs is the packages in the
// order first met that way.
func oldestFirst(builds []*store.TaggedBuild) (pkgs []string, byPkg map[string][]*store.TaggedBuild) {
	byPkg = map[string][]*store.TaggedBuild{}
	seen := map[int64]bool{}
	// The first (newest) listing of a build counts: skip later duplicates
	// before reversing.
	keep := make([]bool, len(builds))
	for i := range builds {
		if !seen[builds[i].ID] {
			seen[builds[i].ID], keep[i] = true, true
		}
	}
	for i := len(builds) - 1; i >= 0; i-- {
		if !keep[i] {
			continue
		}
		b := builds[i]
		if _, ok := byPkg[b.PackageName]; !ok {
			pkgs = append(pkgs, b.PackageName)
		}
		byPkg[b.PackageName] = append(byPkg[b.PackageName], b)
	}
	return pkgs, byPkg
}

// Group attributes, copied with each entry. Koji's snapshot calls pass only
// the block flag, so its copies get default attributes (every package
// mandatory); a copy that keeps them is what a snapshot is for.
func groupAttrs(g *tagGroup) map[string]any {
	return map[string]any{"exported": orNil(g.Exported), "display_name": g.DisplayName, "is_default": orNil(g.IsDefault),
		"uservisible": orNil(g.UserVisible), "description": orNil(g.Description), "langonly": orNil(g.LangOnly),
		"biarchonly": orNil(g.BiarchOnly)}
}

func groupPkgAttrs(p store.GroupPackageRow) map[string]any {
	return map[string]any{"type": p.Type, "basearchonly": orNil(p.BasearchOnly), "requires": orNil(p.Requires)}
}

func groupReqAttrs(r store.GroupReqRow) map[string]any {
	return map[string]any{"type": orNil(r.Type), "is_metapkg": r.IsMetapkg}
}

// copyGroups gives a new tag src's groups as src sees them (blocked entries
// left out), the groups first so requirements find them.
func copyGroups(ctx context.Context, c *Call, src, dst *store.Tag, event *int64) error {
	list, _, err := tagGroups(ctx, c, src.ID, event, true, true, true)
	if err != nil {
		return err
	}
	for _, g := range list {
		if g.Blocked {
			continue
		}
		if err := groupListAdd(ctx, c, dst.ID, g.Name, false, true, groupAttrs(g)); err != nil {
			return err
		}
	}
	tag := &store.NamedID{ID: dst.ID, Name: dst.Name}
	for _, g := range list {
		if g.Blocked {
			continue
		}
		grp := &store.NamedID{ID: g.GroupID, Name: g.Name}
		for _, p := range g.pkgs {
			if p.Blocked {
				continue
			}
			if err := groupPackageAdd(ctx, c, tag, grp, p.Package, false, true, groupPkgAttrs(p)); err != nil {
				return err
			}
		}
		for _, r := range g.reqs {
			if r.Blocked {
				continue
			}
			req := &store.NamedID{ID: r.ReqID, Name: r.Name}
			if err := groupReqAdd(ctx, c, tag, grp, req, false, true, groupReqAttrs(r)); err != nil {
				return err
			}
		}
	}
	return nil
}

func snapshotTagModify(ctx context.Context, c *Call) (any, error) {
	o, err := readSnapshotOpts(c.Args)
	if err != nil {
		return nil, err
	}
	src, err := getTagAt(ctx, c, c.Args.Value("src"), o.event, true)
	if err != nil {
		return nil, err
	}
	dst, err := getTagAt(ctx, c, c.Args.Value("dst"), nil, true)
	if err != nil {
		return nil, err
	}
	if (src.Locked || dst.Locked) && !o.force {
		return nil, hub.GenericError("Source or destination tag is locked, use force to copy")
	}
	if o.config {
		if err := syncTagConfig(ctx, c, src, dst, o.event); err != nil {
			return nil, err
		}
		if dst, err = getTagAt(ctx, c, dst.ID, nil, true); err != nil {
			return nil, err
		}
	}
	if o.pkgs {
		if err := syncPackageList(ctx, c, src, dst, o.event); err != nil {
			return nil, err
		}
	}
	if o.builds {
		if err := syncBuilds(ctx, c, src, dst, o); err != nil {
			return nil, err
		}
	}
	if o.groups {
		if err := syncGroups(ctx, c, src, dst, o); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// syncTagConfig gives dst src's arches, perm, lock and extra (dst's extra
// keys that src lacks are removed), as editTag would.
func syncTagConfig(ctx context.Context, c *Call, src, dst *store.Tag, event *int64) error {
	if src.MavenSupport || src.MavenIncludeAll {
		return hub.GenericError("Maven support not enabled")
	}
	if !equalStr(src.Arches, dst.Arches) || !equalInt(src.PermID, dst.PermID) || src.Locked != dst.Locked ||
		dst.MavenSupport || dst.MavenIncludeAll {
		if _, err := store.TagConfig.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": dst.ID}); err != nil {
			return err
		}
		if err := store.TagConfig.Insert(ctx, c.Tx, c.UserID(), map[string]any{
			"tag_id": dst.ID, "arches": src.Arches, "perm_id": src.PermID, "locked": src.Locked,
			"maven_support": false, "maven_include_all": false,
		}); err != nil {
			return err
		}
	}
	extras, err := tagExtras(ctx, c, []int64{src.ID}, event, false)
	if err != nil {
		return err
	}
	current, err := tagExtras(ctx, c, []int64{dst.ID}, nil, false)
	if err != nil {
		return err
	}
	srcExtra, dstExtra := extras[src.ID], current[dst.ID]
	remove := []any{}
	for _, k := range sortedKeys(dstExtra) {
		if _, ok := srcExtra[k]; !ok {
			remove = append(remove, k)
		}
	}
	return editTagExtra(ctx, c, dst, dstExtra, map[string]any{"extra": srcExtra, "remove_extra": remove})
}

// syncPackageList blocks in dst the packages src does not list and adds
// those dst lacks, with src's owner and block. Entries both list are left
// as they are, as Koji does.
func syncPackageList(ctx context.Context, c *Call, src, dst *store.Tag, event *int64) error {
	srcList, err := packageList(ctx, c, store.PackageFilter{}, &src.ID, true, false, event)
	if err != nil {
		return err
	}
	dstList, err := packageList(ctx, c, store.PackageFilter{}, &dst.ID, true, false, nil)
	if err != nil {
		return err
	}
	inSrc, inDst := map[int64]bool{}, map[int64]bool{}
	for _, g := range srcList {
		inSrc[g[0].PackageID] = true
	}
	for _, g := range dstList {
		inDst[g[0].PackageID] = true
	}
	yes := true
	for _, g := range dstList {
		if e := g[0]; !inSrc[e.PackageID] {
			if err := directPkglistAdd(ctx, c, dst, e.PackageName, orNil(e.OwnerName), &yes, orNil(e.ExtraArches), true, true); err != nil {
				return err
			}
		}
	}
	for _, g := range srcList {
		if e := g[0]; !inDst[e.PackageID] {
			if err := directPkglistAdd(ctx, c, dst, e.PackageName, orNil(e.OwnerName), &e.Blocked, orNil(e.ExtraArches), true, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// syncBuilds makes each package's builds in dst those of src in the same
// order (oldest to newest), untagging and retagging what is out of order.
// Without remove, builds dst has and src lacks stay, ordered before src's
// so src's latest is dst's latest. Every tagging and untagging gets an event
// of its own, since the order of events is the order of tagging.
func syncBuilds(ctx context.Context, c *Call, src, dst *store.Tag, o snapshotOpts) error {
	srcBuilds, err := readTagged(ctx, c, src.ID, o.tagged())
	if err != nil {
		return err
	}
	// All of dst's own builds, so that only the latest is kept when
	// latest_only asks for it.
	dstBuilds, err := readTagged(ctx, c, dst.ID, taggedOpts{})
	if err != nil {
		return err
	}
	srcPkgs, srcBy := oldestFirst(srcBuilds)
	dstPkgs, dstBy := oldestFirst(dstBuilds)
	tag := func(b *store.TaggedBuild) error {
		c.Tx.NextEvent()
		return directTagBuild(ctx, c, dst, &b.Build, o.force)
	}
	untag := func(b *store.TaggedBuild) error {
		c.Tx.NextEvent()
		return untagOneBuild(ctx, c, dst, &b.Build, true, o.force)
	}
	if o.remove {
		for _, pkg := range dstPkgs {
			if _, ok := srcBy[pkg]; ok {
				continue
			}
			for _, b := range dstBy[pkg] {
				c.Tx.NextEvent()
				if err := directUntagBuild(ctx, c, dst, &b.Build, true); err != nil {
					return err
				}
			}
		}
	}
	for _, pkg := range srcPkgs {
		want, have := srcBy[pkg], dstBy[pkg]
		inSrc := map[string]bool{}
		for _, b := range want {
			inSrc[b.NVR()] = true
		}
		var extra, kept []*store.TaggedBuild
		for _, b := range have {
			if inSrc[b.NVR()] {
				kept = append(kept, b)
			} else {
				extra = append(extra, b)
			}
		}
		if o.remove {
			for _, b := range extra {
				if err := untag(b); err != nil {
					return err
				}
			}
			have = kept
		} else {
			want = append(extra, want...)
		}
		// Walk the wanted order against what dst has: a dst build met
		// before the wanted one is out of order and goes (to come back
		// later in its place); a wanted build dst lacks is tagged.
		for _, w := range want {
			i := 0
			for ; i < len(have) && have[i].NVR() != w.NVR(); i++ {
				if err := untag(have[i]); err != nil {
					return err
				}
			}
			if i < len(have) {
				have = have[i+1:]
				continue
			}
			have = nil
			if err := tag(w); err != nil {
				return err
			}
		}
	}
	return nil
}

// syncGroups adds to dst the groups, group packages and requirements of
// src it lacks, and matches blocks; remove takes out (or, when inherited,
// blocks) what src does not have. Unlike Koji, a group new to dst gets its
// packages and requirements at once, and a package src blocks in a group
// comes in blocked.
func syncGroups(ctx context.Context, c *Call, src, dst *store.Tag, o snapshotOpts) error {
	srcList, _, err := tagGroups(ctx, c, src.ID, o.event, true, true, true)
	if err != nil {
		return err
	}
	dstList, dstGroups, err := tagGroups(ctx, c, dst.ID, nil, true, true, true)
	if err != nil {
		return err
	}
	srcIDs := map[int64]bool{}
	for _, g := range srcList {
		srcIDs[g.GroupID] = true
		if d := dstGroups[g.GroupID]; d == nil || d.Blocked != g.Blocked {
			if err := groupListAdd(ctx, c, dst.ID, g.Name, g.Blocked, o.force, groupAttrs(g)); err != nil {
				return err
			}
		}
	}
	if o.remove {
		for _, d := range dstList {
			if srcIDs[d.GroupID] {
				continue
			}
			if d.TagID == dst.ID {
				if _, err := store.GroupConfig.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"group_id": d.GroupID, "tag_id": dst.ID}); err != nil {
					return err
				}
			} else if !d.Blocked {
				if err := groupListAdd(ctx, c, dst.ID, d.Name, true, o.force, nil); err != nil {
					return err
				}
			}
		}
	}
	tag := &store.NamedID{ID: dst.ID, Name: dst.Name}
	for _, g := range srcList {
		if g.Blocked {
			continue
		}
		grp := &store.NamedID{ID: g.GroupID, Name: g.Name}
		d := dstGroups[g.GroupID]
		if d == nil || d.Blocked {
			d = &tagGroup{pkgIndex: map[string]int{}, reqIndex: map[int64]int{}}
		}
		for _, p := range g.pkgs {
			if _, ok := d.pkgIndex[p.Package]; !ok {
				if err := groupPackageAdd(ctx, c, tag, grp, p.Package, p.Blocked, o.force, groupPkgAttrs(p)); err != nil {
					return err
				}
			}
		}
		for _, r := range g.reqs {
			if _, ok := d.reqIndex[r.ReqID]; !ok {
				req := &store.NamedID{ID: r.ReqID, Name: r.Name}
				if err := groupReqAdd(ctx, c, tag, grp, req, r.Blocked, o.force, groupReqAttrs(r)); err != nil {
					return err
				}
			}
		}
		if !o.remove {
			continue
		}
		for _, p := range d.pkgs {
			if p.Blocked {
				continue
			}
			i, ok := g.pkgIndex[p.Package]
			switch {
			case ok && g.pkgs[i].Blocked:
				if err := groupPackageAdd(ctx, c, tag, grp, p.Package, true, o.force, nil); err != nil {
					return err
				}
			case !ok && p.TagID == dst.ID:
				key := map[string]any{"group_id": g.GroupID, "tag_id": dst.ID, "package": p.Package}
				if _, err := store.GroupPackageListing.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
					return err
				}
			}
		}
		for _, r := range d.reqs {
			if r.Blocked {
				continue
			}
			if _, ok := g.reqIndex[r.ReqID]; ok {
				continue
			}
			if r.TagID == dst.ID {
				key := map[string]any{"group_id": g.GroupID, "tag_id": dst.ID, "req_id": r.ReqID}
				if _, err := store.GroupReqListing.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
					return err
				}
			} else {
				req := &store.NamedID{ID: r.ReqID, Name: r.Name}
				if err := groupReqAdd(ctx, c, tag, grp, req, true, o.force, nil); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
