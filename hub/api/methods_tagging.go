package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Tagging: which builds a tag holds (tag_listing), the calls that change
// it and the queries that read it.
func taggingMethods() []Method {
	force := Opt("force", false)
	return []Method{
		{Name: "tagBuildBypass", Params: []Param{P("tag"), P("build"), force, Opt("notify", false)}, Access: tagPerm, Writes: true,
			Doc:     "Tag a build at once, without a task or the package list check (the tag's lock and permission apply; force retags, and lets an admin past a lock).",
			Handler: tagBuildBypass},
		{Name: "tagBuild", Params: []Param{P("tag"), P("build"), force, Opt("fromtag", nil)}, Access: loggedIn, Writes: true,
			Doc: "Check and queue the tagging of a COMPLETE build (with fromtag: a move) as a tagBuild task, which the hub runs itself; " +
				"returns the task id. force (admin) passes a lock and adds a missing package to the list.",
			Handler: tagBuild},
		{Name: "untagBuild", Params: []Param{P("tag"), P("build"), Opt("strict", true), force}, Access: loggedIn, Writes: true,
			Doc: "Remove a build from a tag (strict: fail when it is not there).", Handler: untagBuild},
		{Name: "untagBuildBypass", Params: []Param{P("tag"), P("build"), Opt("strict", true), force, Opt("notify", false)},
			Access: tagPerm, Writes: true, Doc: "untagBuild for the tag permission, without policy checks.", Handler: untagBuild},
		{Name: "moveBuild", Params: []Param{P("tag1"), P("tag2"), P("build"), force}, Access: loggedIn, Writes: true,
			Doc: "Move a build from tag1 to tag2 in one tagBuild task; returns the task id.", Handler: moveBuild},
		{Name: "moveAllBuilds", Params: []Param{P("tag1"), P("tag2"), P("package"), force}, Access: loggedIn, Writes: true,
			Doc:     "Move every build of a package from tag1 to tag2, oldest tagging first, one tagBuild task each; returns the task ids.",
			Handler: moveAllBuilds},
		{Name: "listTagged", Params: []Param{P("tag"), Opt("event", nil), Opt("inherit", false), Opt("prefix", nil), Opt("latest", false),
			Opt("package", nil), Opt("owner", nil), Opt("type", nil), Opt("strict", true), Opt("extra", false), Opt("draft", nil)},
			Access: anyone, Doc: "COMPLETE builds in a tag (with inherit, along its inheritance), of packages listed and not blocked there; " +
				"latest keeps the N (True: 1) most recently tagged per package. Most recently tagged first, per tag in walk order.",
			Handler: listTagged},
		{Name: "listTaggedRPMS", Params: []Param{P("tag"), Opt("event", nil), Opt("inherit", false), Opt("latest", false), Opt("package", nil),
			Opt("arch", nil), Opt("rpmsigs", false), Opt("owner", nil), Opt("type", nil), Opt("strict", true), Opt("extra", true), Opt("draft", nil)},
			Access: anyone, Doc: "[rpms, builds] of listTagged's builds; arch (a name or a list) filters the rpms, rpmsigs gives a row per signature.",
			Handler: listTaggedRPMS},
		{Name: "getLatestBuilds", Params: []Param{P("tag"), Opt("event", nil), Opt("package", nil), Opt("type", nil), Opt("draft", nil)},
			Access: anyone, Doc: "listTagged with inherit and latest: the build of each package that was tagged last along the inheritance.",
			Handler: getLatestBuilds},
		{Name: "getLatestRPMS", Params: []Param{P("tag"), Opt("package", nil), Opt("arch", nil), Opt("event", nil), Opt("rpmsigs", false),
			Opt("type", nil), Opt("draft", nil)},
			Access: anyone, Doc: "[rpms, builds] of getLatestBuilds.", Handler: getLatestRPMS},
		{Name: "untaggedBuilds", Params: []Param{Opt("name", nil), Opt("queryOpts", nil), Opt("draft", nil)}, Access: anyone,
			Doc: "COMPLETE builds in no tag: [{id, name, version, release}], optionally of one package.", Handler: untaggedBuilds},
		{Name: "tagHistory", Params: []Param{Opt("build", nil), Opt("tag", nil), Opt("package", nil), Opt("active", nil), Opt("queryOpts", nil)},
			Access: anyone, Ext: true,
			Doc:     "Taggings and untaggings of builds (older Koji's tagHistory; Koji 1.35 has queryHistory(tables=['tag_listing'])), newest first.",
			Handler: tagHistory},
		{Name: "checkTagAccess", Params: []Param{P("tag_id"), Opt("user_id", nil)}, Access: anyone,
			Doc: "[access, override, reason]: whether the user (by default the caller) may change the builds the tag holds, " +
				"whether an admin's force would get past a refusal, and why it refuses.",
			Handler: checkTagAccess},
		{Name: "massTag", Params: []Param{P("tag"), P("builds")}, Access: tagPerm, Writes: true,
			Doc: "Tag many builds (a list of ids or N-V-R strings) at once, in order, each at an event of its own; " +
				"like tagBuildBypass with force, it skips the tag's lock, permission and package list.",
			Handler: massTag},
		{Name: "buildReferences", Params: []Param{P("build"), Opt("limit", nil), Opt("lazy", false)}, Access: anyone,
			Doc: "What refers to a build: its tags [{tag_id, name}], the rpms built in buildroots that used it, and when one last did " +
				"(last_used); archives, images and component_of are always empty here.",
			Handler: buildReferences},
	}
}

// massTag tags each build into the tag, in the order given, as Koji's
// massTag does: with force (a build already there is tagged again, as the
// newest) and without access checks, which its tag permission replaces.
// Each tagging gets an event of its own, so their order shows in the
// tag's history and in which build is latest.
func massTag(ctx context.Context, c *Call) (any, error) {
	list := c.Args.List("builds")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := getTagAt(ctx, c, c.Args.Value("tag"), nil, true)
	if err != nil {
		return nil, err
	}
	builds := make([]*hub.Build, len(list))
	for i, info := range list {
		if builds[i], err = lookupBuild(ctx, c, info, true); err != nil {
			return nil, err
		}
	}
	// On PostgreSQL each tagging locks its package in the tag. Taking all
	// the locks first, in package order, keeps two massTags of the same
	// packages from deadlocking.
	pkgs := make([]int64, len(builds))
	for i, b := range builds {
		pkgs[i] = b.PackageID
	}
	slices.Sort(pkgs)
	for _, p := range slices.Compact(pkgs) {
		if err := lockTagPackage(ctx, c, t, p); err != nil {
			return nil, err
		}
	}
	for i, b := range builds {
		if i > 0 {
			c.Tx.NextEvent()
		}
		if err := directTagBuild(ctx, c, t, b, true); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// tagError is Koji's TagError.
func tagError(format string, args ...any) *hub.Fault { return hub.Errorf(hub.CodeTag, format, args...) }

// tagAccess is Koji's check on changing a tag's builds, for a user holding
// perms: a locked tag, or one whose perm the user lacks, refuses (ok false,
// with the reason); override says an admin's force would get past it.
func tagAccess(t *store.Tag, perms []string) (ok, override bool, reason string) {
	override = containsStr(perms, "admin")
	switch {
	case t.Locked:
		return false, override, "tag is locked"
	case t.Perm != nil && !containsStr(perms, *t.Perm):
		return false, override, "tag requires " + *t.Perm + " permission"
	}
	return true, override, ""
}

// assertTagAccess refuses the caller a change to t's builds that tagAccess
// does not allow, unless an admin forces it.
func assertTagAccess(ctx context.Context, c *Call, t *store.Tag, force bool) error {
	if !t.Locked && t.Perm == nil {
		return nil // nothing to check: spare reading the caller's permissions
	}
	perms, err := c.Perms(ctx)
	if err != nil {
		return err
	}
	ok, override, reason := tagAccess(t, perms)
	if ok || override && force {
		return nil
	}
	return hub.NotAllowed("%s", reason)
}

// checkTagAccess answers tagAccess for a user (by default the caller) as
// [access, override, reason].
func checkTagAccess(ctx context.Context, c *Call) (any, error) {
	userID := c.Args.OptCastInt("user_id")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	var perms []string
	var err error
	switch {
	case userID != nil:
		// A missing user holds no permission, as in Koji.
		perms, err = store.UserPermNames(ctx, c.Tx, *userID, true)
	case c.UserID() == 0:
		return nil, hub.GenericError("a user_id is required")
	default:
		perms, err = c.Perms(ctx)
	}
	if err != nil {
		return nil, err
	}
	t, err := getTagAt(ctx, c, c.Args.Value("tag_id"), nil, true)
	if err != nil {
		return nil, err
	}
	ok, override, reason := tagAccess(t, perms)
	return []any{ok, override, reason}, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lockTagPackage takes store.LockTagPackage, answering Koji's fault when
// the tag was deleted meanwhile.
func lockTagPackage(ctx context.Context, c *Call, t *store.Tag, pkgID int64) error {
	err := store.LockTagPackage(ctx, c.Tx, t.ID, pkgID)
	if errors.Is(err, store.ErrTagDeleted) {
		return hub.GenericError("No such tagInfo: %s", pyRepr(t.Name))
	}
	return err
}

// tagOneBuild adds a build to a tag after the access check: only COMPLETE
// builds, and a build already there only with force (which retags it, so it
// counts as the tag's newest).
func tagOneBuild(ctx context.Context, c *Call, t *store.Tag, b *hub.Build, force bool) error {
	if err := assertTagAccess(ctx, c, t, force); err != nil {
		return err
	}
	return directTagBuild(ctx, c, t, b, force)
}

// directTagBuild is tagOneBuild without the access check (Koji's
// _direct_tag_build): incomplete builds are refused even so.
func directTagBuild(ctx context.Context, c *Call, t *store.Tag, b *hub.Build, force bool) error {
	if b.State != hub.BuildComplete {
		return tagError("build %s not complete: state %s", b.NVR(), hub.BuildStateName(b.State))
	}
	if err := lockTagPackage(ctx, c, t, b.PackageID); err != nil {
		return err
	}
	tagged, err := store.IsTagged(ctx, c.Tx, t.ID, b.ID)
	if err != nil {
		return err
	}
	key := map[string]any{"tag_id": t.ID, "build_id": b.ID}
	if tagged {
		if !force {
			return tagError("build %s already tagged (%s)", b.NVR(), t.Name)
		}
		if _, err := store.TagListing.Revoke(ctx, c.Tx, c.UserID(), key); err != nil {
			return err
		}
	}
	key["pkg_id"] = b.PackageID
	return store.TagListing.Insert(ctx, c.Tx, c.UserID(), key)
}

// untagOneBuild removes a build from a tag after the access check; strict
// fails when it was not there.
func untagOneBuild(ctx context.Context, c *Call, t *store.Tag, b *hub.Build, strict, force bool) error {
	if err := assertTagAccess(ctx, c, t, force); err != nil {
		return err
	}
	return directUntagBuild(ctx, c, t, b, strict)
}

// directUntagBuild is untagOneBuild without the access check (Koji's
// _direct_untag_build).
func directUntagBuild(ctx context.Context, c *Call, t *store.Tag, b *hub.Build, strict bool) error {
	n, err := store.TagListing.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": t.ID, "build_id": b.ID})
	if err != nil {
		return err
	}
	if n == 0 && strict {
		return tagError("build %s not in tag %s", b.NVR(), t.Name)
	}
	return nil
}

// checkPackageListed applies tagBuild's package list rule: the package must
// be listed and not blocked in the tag (with inheritance). An admin using
// force adds it (unblocked) instead.
func checkPackageListed(ctx context.Context, c *Call, t *store.Tag, b *hub.Build, force bool, forTag string) error {
	e, err := effectiveEntry(ctx, c, t.ID, b.PackageID, nil)
	if err != nil {
		return err
	}
	msg := ""
	switch {
	case e == nil:
		msg = fmt.Sprintf("Package %s not in list for %s%s", b.PackageName, forTag, t.Name)
	case e.Blocked:
		msg = fmt.Sprintf("Package %s blocked in %s%s", b.PackageName, forTag, t.Name)
	default:
		return nil
	}
	if force {
		if ok, err := c.HasPerm(ctx, "admin"); err != nil {
			return err
		} else if ok {
			no := false
			return pkglistAdd(ctx, c, t.ID, b.PackageID, nil, &no, nil, true, false)
		}
	}
	return tagError("%s", msg)
}

func tagBuildBypass(ctx context.Context, c *Call) (any, error) {
	t, err := getTagAt(ctx, c, c.Args.Value("tag"), nil, true)
	if err != nil {
		return nil, err
	}
	b, err := lookupBuild(ctx, c, c.Args.Value("build"), true)
	if err != nil {
		return nil, err
	}
	// notify would send a tag notification mail; there is no mail here.
	return nil, tagOneBuild(ctx, c, t, b, c.Args.Bool("force"))
}

func untagBuild(ctx context.Context, c *Call) (any, error) {
	t, err := getTagAt(ctx, c, c.Args.Value("tag"), nil, true)
	if err != nil {
		return nil, err
	}
	b, err := lookupBuild(ctx, c, c.Args.Value("build"), true)
	if err != nil {
		return nil, err
	}
	return nil, untagOneBuild(ctx, c, t, b, c.Args.Bool("strict"), c.Args.Bool("force"))
}

func tagBuild(ctx context.Context, c *Call) (any, error) {
	return queueTagBuild(ctx, c, c.Args.Value("tag"), c.Args.Value("build"), c.Args.Value("force"), c.Args.Value("fromtag"))
}

func moveBuild(ctx context.Context, c *Call) (any, error) {
	return queueTagBuild(ctx, c, c.Args.Value("tag2"), c.Args.Value("build"), c.Args.Value("force"), c.Args.Value("tag1"))
}

// queueTagBuild is Koji's tagBuild call: the checks that can fail early,
// then a tagBuild task [tag_id, build_id, force, fromtag_id] at priority
// 10. force is stored as the caller gave it.
func queueTagBuild(ctx context.Context, c *Call, tagInfo, buildInfo, forceArg, fromInfo any) (any, error) {
	force := truthy(forceArg)
	b, err := lookupBuild(ctx, c, buildInfo, true)
	if err != nil {
		return nil, err
	}
	t, err := getTagAt(ctx, c, tagInfo, nil, true)
	if err != nil {
		return nil, err
	}
	var from *store.Tag
	var fromID any
	if truthy(fromInfo) {
		n, err := lookupNamed(ctx, c, "tag", fromInfo, true, false)
		if err != nil {
			return nil, err
		}
		if from, err = getTagAt(ctx, c, n.ID, nil, true); err != nil {
			return nil, err
		}
		fromID = from.ID
	}
	if b.State != hub.BuildComplete {
		return nil, tagError("build %s not complete: state %s", b.NVR(), hub.BuildStateName(b.State))
	}
	if err := assertTagAccess(ctx, c, t, force); err != nil {
		return nil, err
	}
	if from != nil {
		if err := assertTagAccess(ctx, c, from, force); err != nil {
			return nil, err
		}
	}
	if err := checkPackageListed(ctx, c, t, b, force, ""); err != nil {
		return nil, err
	}
	prio := int64(10)
	return createTask(ctx, c, "tagBuild", []any{t.ID, b.ID, forceArg, fromID}, taskOpts{Priority: &prio})
}

func moveAllBuilds(ctx context.Context, c *Call) (any, error) {
	force := c.Args.Bool("force")
	pkg, err := lookupNamed(ctx, c, "package", c.Args.Value("package"), true, false)
	if err != nil {
		return nil, err
	}
	n1, err := lookupNamed(ctx, c, "tag", c.Args.Value("tag1"), true, false)
	if err != nil {
		return nil, err
	}
	n2, err := lookupNamed(ctx, c, "tag", c.Args.Value("tag2"), true, false)
	if err != nil {
		return nil, err
	}
	t1, err := getTagAt(ctx, c, n1.ID, nil, true)
	if err != nil {
		return nil, err
	}
	t2, err := getTagAt(ctx, c, n2.ID, nil, true)
	if err != nil {
		return nil, err
	}
	e, err := effectiveEntry(ctx, c, t2.ID, pkg.ID, nil)
	if err != nil {
		return nil, err
	}
	if e == nil || e.Blocked {
		msg := fmt.Sprintf("Package %s not in list for tag %s", pkg.Name, t2.Name)
		if e != nil {
			msg = fmt.Sprintf("Package %s blocked in tag %s", pkg.Name, t2.Name)
		}
		admin, err := c.HasPerm(ctx, "admin")
		if err != nil {
			return nil, err
		}
		if !force || !admin {
			return nil, tagError("%s", msg)
		}
		no := false
		if err := pkglistAdd(ctx, c, t2.ID, pkg.ID, nil, &no, nil, true, false); err != nil {
			return nil, err
		}
	}
	if err := assertTagAccess(ctx, c, t1, force); err != nil {
		return nil, err
	}
	if err := assertTagAccess(ctx, c, t2, force); err != nil {
		return nil, err
	}
	builds, err := readTagged(ctx, c, t1.ID, taggedOpts{Package: &pkg.Name})
	if err != nil {
		return nil, err
	}
	// Oldest tagging first, so the moved builds keep their order. Koji
	// chains dependantTask wrappers for that; the hub runs its tagBuild
	// tasks in creation order (same priority), which keeps it too.
	prio := int64(15)
	ids := []any{}
	for i := len(builds) - 1; i >= 0; i-- {
		id, err := createTask(ctx, c, "tagBuild", []any{t2.ID, builds[i].ID, c.Args.Value("force"), t1.ID}, taskOpts{Priority: &prio})
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// runTagBuild does a tagBuild task's work as the task's owner (c's user):
// the package list check, then (for a move) the untagging and the tagging.
// params are [tag_id, build_id, force, fromtag, ignore_success].
func runTagBuild(ctx context.Context, c *Call, params []any) (any, error) {
	if len(params) < 2 {
		return nil, hub.ParameterError("tagBuild task: want [tag, build, force, fromtag], got %d values", len(params))
	}
	param := func(i int) any {
		if i < len(params) {
			return params[i]
		}
		return nil
	}
	return nil, doTagBuild(ctx, c, param(0), param(1), truthy(param(2)), param(3))
}

func doTagBuild(ctx context.Context, c *Call, tagInfo, buildInfo any, force bool, fromInfo any) error {
	b, err := lookupBuild(ctx, c, buildInfo, true)
	if err != nil {
		return err
	}
	t, err := getTagAt(ctx, c, tagInfo, nil, true)
	if err != nil {
		return err
	}
	if err := checkPackageListed(ctx, c, t, b, force, ""); err != nil {
		return err
	}
	if truthy(fromInfo) {
		from, err := getTagAt(ctx, c, fromInfo, nil, true)
		if err != nil {
			return err
		}
		if err := untagOneBuild(ctx, c, from, b, true, force); err != nil {
			return err
		}
	}
	return tagOneBuild(ctx, c, t, b, force)
}

// taggedOpts are readTaggedBuilds' options.
type taggedOpts struct {
	Event   *int64
	Inherit bool
	Latest  int64
	Package *string
	Owner   *string
	Type    *string
	Draft   *bool
	Extra   bool
	Prefix  *string
}

func (o taggedOpts) key() string {
	s := func(p *string) string {
		if p == nil {
			return "-"
		}
		return "=" + *p
	}
	d := "-"
	if o.Draft != nil {
		d = fmt.Sprint(*o.Draft)
	}
	return fmt.Sprintf("%v|%d|%q|%q|%q|%s|%v|%q", o.Inherit, o.Latest, s(o.Package), s(o.Owner), s(o.Type), d, o.Extra, s(o.Prefix))
}

// readTagged is Koji's readTaggedBuilds for tag tagID: the query runs in
// SQL (latest selection and package list included) unless a link of the
// walk filters packages by name, in which case the package list computed
// here decides. It returns the builds and the query, which the rpm reads
// reuse.
func readTagged(ctx context.Context, c *Call, tagID int64, o taggedOpts) ([]*store.TaggedBuild, error) {
	q := store.TaggedQuery{Event: o.Event, Latest: o.Latest, Package: o.Package, Owner: o.Owner, Draft: o.Draft, Extra: o.Extra}
	if o.Type != nil {
		switch *o.Type {
		case "rpm":
			q.RPMOnly = true
		case "maven", "win", "image":
			return nil, nil // no such builds here
		default:
			return nil, hub.GenericError("unsupported build type: %s", *o.Type)
		}
	}
	walk, err := fullInheritance(ctx, c, tagID, o.Event, false)
	if err != nil {
		return nil, err
	}
	all := []int64{tagID}
	filtered := false
	for _, l := range walk {
		all = append(all, l.ParentID)
		filtered = filtered || len(l.Filter) > 0
	}
	q.Tags = []int64{tagID}
	if o.Inherit {
		q.Tags = all
	}
	if !filtered {
		q.ListTags = all
	}
	builds, err := store.Tagged(ctx, c.Tx, q)
	if err != nil {
		return nil, err
	}
	if filtered && len(builds) > 0 {
		f := store.PackageFilter{NoOwners: true}
		if o.Package != nil {
			// The builds are all of the named package: only its entries
			// matter.
			f.PackageID = &builds[0].PackageID
		}
		list, err := packageList(ctx, c, f, &tagID, true, false, o.Event)
		if err != nil {
			return nil, err
		}
		ok := make(map[int64]bool, len(list))
		for _, g := range list {
			if !g[0].Blocked {
				ok[g[0].PackageID] = true
			}
		}
		kept := builds[:0]
		for _, b := range builds {
			if ok[b.PackageID] {
				kept = append(kept, b)
			}
		}
		builds = kept
	}
	if o.Prefix != nil && *o.Prefix != "" {
		p := strings.ToLower(*o.Prefix)
		kept := builds[:0]
		for _, b := range builds {
			if strings.HasPrefix(strings.ToLower(b.PackageName), p) {
				kept = append(kept, b)
			}
		}
		builds = kept
	}
	return builds, nil
}

// LatestTagged answers "the latest builds of a tag at an event, with
// inheritance, minus blocked and unlisted packages" and their rpms, as
// getLatestRPMS does (event nil: now). Repo generation calls it.
func LatestTagged(ctx context.Context, tx *store.Tx, tagID int64, event *int64) ([]*store.TaggedBuild, []store.TaggedRPM, error) {
	c := &Call{Tx: tx}
	builds, err := readTagged(ctx, c, tagID, taggedOpts{Event: event, Inherit: true, Latest: 1})
	if err != nil {
		return nil, nil, err
	}
	rpms, err := store.TaggedRPMs(ctx, tx, builds, nil, false, true)
	return builds, rpms, err
}

// taggedRow is a listTagged entry: getBuild's keys without the *_ts ones,
// source and the content generator, plus where and when it was tagged.
type taggedRow struct {
	BuildID         int64   `xmlrpc:"build_id"`
	ID              int64   `xmlrpc:"id"`
	PackageID       int64   `xmlrpc:"package_id"`
	PackageName     string  `xmlrpc:"package_name"`
	Name            string  `xmlrpc:"name"`
	Version         string  `xmlrpc:"version"`
	Release         string  `xmlrpc:"release"`
	Epoch           *int64  `xmlrpc:"epoch"`
	NVR             string  `xmlrpc:"nvr"`
	Draft           bool    `xmlrpc:"draft"`
	State           int     `xmlrpc:"state"`
	TaskID          *int64  `xmlrpc:"task_id"`
	OwnerID         int64   `xmlrpc:"owner_id"`
	OwnerName       string  `xmlrpc:"owner_name"`
	VolumeID        int64   `xmlrpc:"volume_id"`
	VolumeName      string  `xmlrpc:"volume_name"`
	CreationEventID int64   `xmlrpc:"creation_event_id"`
	CreationTime    string  `xmlrpc:"creation_time"`
	StartTime       *string `xmlrpc:"start_time"`
	CompletionTime  *string `xmlrpc:"completion_time"`
	PromotionTime   *string `xmlrpc:"promotion_time"`
	PromoterID      *int64  `xmlrpc:"promoter_id"`
	PromoterName    *string `xmlrpc:"promoter_name"`
	TagID           int64   `xmlrpc:"tag_id"`
	TagName         string  `xmlrpc:"tag_name"`
	CreateEvent     int64   `xmlrpc:"create_event"`
	*taggedExtra
}

type taggedExtra struct {
	Extra any `xmlrpc:"extra"`
}

func taggedRows(builds []*store.TaggedBuild, extra bool) []taggedRow {
	out := make([]taggedRow, len(builds))
	for i := range builds {
		b := builds[i]
		r := taggedRow{BuildID: b.ID, ID: b.ID, PackageID: b.PackageID, PackageName: b.PackageName, Name: b.PackageName,
			Version: b.Version, Release: b.Release, Epoch: b.Epoch, NVR: b.NVR(), Draft: b.Draft, State: b.State,
			TaskID: b.TaskID, OwnerID: b.OwnerID, OwnerName: b.OwnerName, VolumeID: b.VolumeID, VolumeName: b.VolumeName,
			CreationEventID: b.CreateEvent, CreationTime: hub.TimeString(b.CreationUS),
			StartTime: hub.OptTimeString(b.StartUS), CompletionTime: hub.OptTimeString(b.CompletionUS),
			PromotionTime: hub.OptTimeString(b.PromotionUS), PromoterID: b.PromoterID, PromoterName: b.PromoterName,
			TagID: b.TagID, TagName: b.TagName, CreateEvent: b.ListingEvent}
		if extra {
			r.taggedExtra = &taggedExtra{Extra: jsonExtra(b.Extra)}
		}
		out[i] = r
	}
	return out
}

// latestArg reads latest: a bool, or N builds per package.
func latestArg(v any) int64 {
	switch x := v.(type) {
	case int64:
		if x > 0 {
			return x
		}
		return 0
	case bool:
		if x {
			return 1
		}
		return 0
	}
	if truthy(v) {
		return 1
	}
	return 0
}

// taggedArgs reads the options listTagged, listTaggedRPMS and the latest
// calls share.
func taggedArgs(a *Args, names ...string) taggedOpts {
	var o taggedOpts
	for _, n := range names {
		switch n {
		case "event":
			o.Event = eventArg(a, n)
		case "inherit":
			o.Inherit = a.Bool(n)
		case "latest":
			o.Latest = latestArg(a.Value(n))
		case "package":
			o.Package = a.OptString(n)
		case "owner":
			o.Owner = a.OptString(n)
		case "type":
			o.Type = a.OptString(n)
		case "draft":
			o.Draft = a.OptBool(n)
		case "extra":
			o.Extra = a.Bool(n)
		case "prefix":
			o.Prefix = a.OptString(n)
		}
	}
	return o
}

// taggedTag resolves the tag of a listTagged-like call: nil (answer [])
// when missing and not strict.
func taggedTag(ctx context.Context, c *Call, info any, event *int64, strict bool) (*store.Tag, error) {
	return getTagAt(ctx, c, info, event, strict)
}

// cachedTagged answers from the result cache when it can (see cache.go).
// The key holds the tag as the caller named it, not its id, so that a hit
// costs no look-up: within one snapshot a name always means the same tag.
// Method names the answering method and how it treats a missing tag,
// since that differs between them.
func cachedTagged(ctx context.Context, c *Call, method string, tag any, o taggedOpts, compute func() (any, int, error)) (any, error) {
	snap, err := c.snapshotKey(ctx, o.Event)
	if err != nil {
		return nil, err
	}
	key := ""
	if snap != "" {
		key = fmt.Sprintf("%s|%s|%T:%v|%s", method, snap, tag, tag, o.key())
		if v, ok := c.d.cache.get(key); ok {
			return v, nil
		}
	}
	v, weight, err := compute()
	if err == nil && key != "" {
		c.d.cache.put(key, v, weight+1)
	}
	return v, err
}

func listTagged(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	o := taggedArgs(a, "event", "inherit", "latest", "package", "owner", "type", "draft", "extra", "prefix")
	if err := a.Err(); err != nil {
		return nil, err
	}
	tag, strict := a.Value("tag"), a.Bool("strict")
	return cachedTagged(ctx, c, fmt.Sprintf("listTagged/strict=%v", strict), tag, o, func() (any, int, error) {
		t, err := taggedTag(ctx, c, tag, o.Event, strict)
		if err != nil {
			return nil, 0, err
		}
		if t == nil {
			return []any{}, 0, nil
		}
		builds, err := readTagged(ctx, c, t.ID, o)
		if err != nil {
			return nil, 0, err
		}
		return taggedRows(builds, o.Extra), len(builds), nil
	})
}

func getLatestBuilds(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	o := taggedArgs(a, "event", "package", "type", "draft")
	o.Inherit, o.Latest = true, 1
	if err := a.Err(); err != nil {
		return nil, err
	}
	tag := a.Value("tag")
	return cachedTagged(ctx, c, "getLatestBuilds", tag, o, func() (any, int, error) {
		tagID, ok, err := latestTagID(ctx, c, tag)
		if err != nil || !ok {
			return []any{}, 0, err
		}
		builds, err := readTagged(ctx, c, tagID, o)
		if err != nil {
			return nil, 0, err
		}
		return taggedRows(builds, false), len(builds), nil
	})
}

// latestTagID is getLatestBuilds' tag look-up: a name must exist; an id is
// taken as it is (an unknown one answers nothing).
func latestTagID(ctx context.Context, c *Call, info any) (int64, bool, error) {
	if id, ok := info.(int64); ok {
		t, err := getTagAt(ctx, c, id, nil, false)
		return id, err == nil && t != nil, err
	}
	n, err := lookupNamed(ctx, c, "tag", info, true, false)
	if err != nil {
		return 0, false, err
	}
	return n.ID, true, nil
}

// taggedRPMRow is an rpm of listTaggedRPMS.
type taggedRPMRow struct {
	ID           int64  `xmlrpc:"id"`
	Name         string `xmlrpc:"name"`
	Version      string `xmlrpc:"version"`
	Release      string `xmlrpc:"release"`
	Arch         string `xmlrpc:"arch"`
	Epoch        *int64 `xmlrpc:"epoch"`
	Draft        bool   `xmlrpc:"draft"`
	PayloadHash  string `xmlrpc:"payloadhash"`
	Size         int64  `xmlrpc:"size"`
	BuildTime    int64  `xmlrpc:"buildtime"`
	BuildrootID  *int64 `xmlrpc:"buildroot_id"`
	BuildID      *int64 `xmlrpc:"build_id"`
	MetadataOnly bool   `xmlrpc:"metadata_only"`
	*taggedExtra
	*rpmSigKey
}

type rpmSigKey struct {
	SigKey *string `xmlrpc:"sigkey"`
}

// archesArg reads arch: a name or a list of names.
func archesArg(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, hub.GenericError("Invalid type for arch option: %s", pyClass(e))
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return nil, hub.GenericError("Invalid type for arch option: %s", pyClass(v))
}

func taggedRPMs(ctx context.Context, c *Call, tagID int64, o taggedOpts, arch any, sigs, extra bool) (any, error) {
	arches, err := archesArg(arch)
	if err != nil {
		return nil, err
	}
	builds, err := readTagged(ctx, c, tagID, o)
	if err != nil {
		return nil, err
	}
	rpms, err := store.TaggedRPMs(ctx, c.Tx, builds, arches, sigs, extra)
	if err != nil {
		return nil, err
	}
	rows := make([]taggedRPMRow, len(rpms))
	for i := range rpms {
		r := &rpms[i]
		row := taggedRPMRow{ID: r.ID, Name: r.Name, Version: r.Version, Release: r.Release, Arch: r.Arch, Epoch: r.Epoch,
			Draft: r.Draft, PayloadHash: r.PayloadHash, Size: r.Size, BuildTime: r.BuildTime, BuildrootID: r.BuildrootID,
			BuildID: r.BuildID, MetadataOnly: r.MetadataOnly}
		if extra {
			row.taggedExtra = &taggedExtra{Extra: jsonExtra(r.Extra)}
		}
		if sigs {
			row.rpmSigKey = &rpmSigKey{SigKey: r.SigKey}
		}
		rows[i] = row
	}
	return []any{rows, taggedRows(builds, o.Extra)}, nil
}

func listTaggedRPMS(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	o := taggedArgs(a, "event", "inherit", "latest", "package", "owner", "type", "draft")
	sigs, extra := a.Bool("rpmsigs"), a.Bool("extra")
	if err := a.Err(); err != nil {
		return nil, err
	}
	t, err := taggedTag(ctx, c, a.Value("tag"), o.Event, a.Bool("strict"))
	if err != nil {
		return nil, err
	}
	if t == nil {
		return []any{}, nil
	}
	return taggedRPMs(ctx, c, t.ID, o, a.Value("arch"), sigs, extra)
}

func getLatestRPMS(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	o := taggedArgs(a, "event", "package", "type", "draft")
	o.Inherit, o.Latest = true, 1
	sigs := a.Bool("rpmsigs")
	if err := a.Err(); err != nil {
		return nil, err
	}
	tagID, ok, err := latestTagID(ctx, c, a.Value("tag"))
	if err != nil {
		return nil, err
	}
	if !ok {
		return []any{[]any{}, []any{}}, nil
	}
	return taggedRPMs(ctx, c, tagID, o, a.Value("arch"), sigs, true)
}

var untaggedOrder = map[string]string{"id": "b.id", "name": "p.name", "version": "b.version", "release": "b.release"}

func untaggedBuilds(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	name := a.OptString("name")
	draft := a.OptBool("draft")
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	q, err := parseQueryOpts(opts, untaggedOrder)
	if err != nil {
		return nil, err
	}
	if q.countOnly {
		return store.CountUntaggedBuilds(ctx, c.Tx, name, draft, q.page)
	}
	rows, err := store.UntaggedBuilds(ctx, c.Tx, name, draft, q.page)
	if err != nil {
		return nil, err
	}
	if !q.asList {
		return rows, nil
	}
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = []any{r.ID, r.Name, r.Version, r.Release}
	}
	return out, nil
}

func tagHistory(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	var f store.TagHistoryFilter
	if v := a.Value("build"); v != nil {
		b, err := lookupBuild(ctx, c, v, true)
		if err != nil {
			return nil, err
		}
		f.BuildID = &b.ID
	}
	if v := a.Value("tag"); v != nil {
		n, err := lookupNamed(ctx, c, "tag", v, true, false)
		if err != nil {
			return nil, err
		}
		f.TagID = &n.ID
	}
	if v := a.Value("package"); v != nil {
		n, err := lookupNamed(ctx, c, "package", v, true, false)
		if err != nil {
			return nil, err
		}
		f.PackageID = &n.ID
	}
	f.Active = a.OptBool("active")
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	recs, err := store.TagHistory(ctx, c.Tx, f)
	if err != nil {
		return nil, err
	}
	rows := make([]any, len(recs))
	for i, r := range recs {
		var active any
		if r.Active != nil && *r.Active {
			active = true
		}
		var revokeTS any
		if r.RevokeUS != nil {
			revokeTS = hub.TS(*r.RevokeUS)
		}
		rows[i] = map[string]any{"build_id": r.BuildID, "tag_id": r.TagID, "name": r.Name, "version": r.Version,
			"release": r.Release, "tag_name": r.TagName, "create_event": r.CreateEvent, "revoke_event": optInt(r.RevokeEvent),
			"creator_id": r.CreatorID, "revoker_id": optInt(r.RevokerID), "creator_name": r.CreatorName,
			"revoker_name": optStr(r.RevokerName), "create_ts": hub.TS(r.CreateUS), "revoke_ts": revokeTS,
			"active": active, "build.state": r.State}
	}
	return applyQueryOpts(rows, opts)
}

// buildRefs finds what refers to a build, kind by kind as Koji does: its
// tags, the rpms of buildroots that used it and when one last did
// (archives, images and component_of are always empty here). lazy answers
// only the tags when the build has any; the buildroot queries are then not
// run.
func buildRefs(ctx context.Context, c *Call, b *hub.Build, limit *int64, lazy bool) (map[string]any, []store.NamedID, error) {
	tags, err := store.BuildTags(ctx, c.Tx, b.ID)
	if err != nil {
		return nil, nil, err
	}
	if limit != nil && int64(len(tags)) > *limit && *limit >= 0 {
		tags = tags[:*limit]
	}
	list := make([]any, len(tags))
	for i, t := range tags {
		list[i] = map[string]any{"tag_id": t.ID, "name": t.Name}
	}
	refs := map[string]any{"tags": list}
	if lazy && len(tags) > 0 {
		return refs, tags, nil
	}
	used, err := store.BuildUsedBy(ctx, c.Tx, b.ID, limit)
	if err != nil {
		return nil, nil, err
	}
	rpms := make([]any, len(used))
	for i, r := range used {
		rpms[i] = map[string]any{"id": r.ID, "name": r.Name, "version": r.Version, "release": r.Release,
			"arch": r.Arch, "build_id": r.BuildID}
	}
	refs["rpms"] = rpms
	var lastUsed any
	us, err := store.BuildLastUsedUS(ctx, c.Tx, b.ID)
	if err != nil {
		return nil, nil, err
	}
	if us != nil {
		lastUsed = float64(*us) / 1e6
	}
	refs["component_of"], refs["archives"], refs["images"], refs["last_used"] = []any{}, []any{}, []any{}, lastUsed
	return refs, tags, nil
}

// usedByRepr renders buildReferences' rpms as Koji's message shows them.
func usedByRepr(rpms []any) string {
	parts := make([]string, len(rpms))
	for i, x := range rpms {
		r := x.(map[string]any)
		parts[i] = fmt.Sprintf("{'id': %d, 'name': %s, 'version': %s, 'release': %s, 'arch': %s, 'build_id': %d}",
			r["id"], pyRepr(r["name"]), pyRepr(r["version"]), pyRepr(r["release"]), pyRepr(r["arch"]), r["build_id"])
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func buildReferences(ctx context.Context, c *Call) (any, error) {
	limit := c.Args.OptInt("limit")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	b, err := lookupBuild(ctx, c, c.Args.Value("build"), true)
	if err != nil {
		return nil, err
	}
	refs, _, err := buildRefs(ctx, c, b, limit, c.Args.Bool("lazy"))
	return refs, err
}

// tagRefsRepr renders a build's tag references as Koji's message shows
// them: [{'tag_id': 1, 'name': 'f40'}].
func tagRefsRepr(tags []store.NamedID) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = fmt.Sprintf("{'tag_id': %d, 'name': %s}", t.ID, pyRepr(t.Name))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// tagsOfBuild is listTags(build=…)'s look-up: the ids of the tags holding
// the build now.
func tagsOfBuild(ctx context.Context, c *Call, build any) ([]int64, error) {
	b, err := lookupBuild(ctx, c, build, true)
	if err != nil {
		return nil, err
	}
	tags, err := store.BuildTags(ctx, c.Tx, b.ID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(tags))
	for i, t := range tags {
		ids[i] = t.ID
	}
	return ids, nil
}
