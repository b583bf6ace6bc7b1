package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gokoji/gokoji/hub"
)

// TagListing is Koji's tag_listing: which builds a tag holds. Its writes
// record tag changes, which drive repo regeneration, and keep tag_latest.
var TagListing = Versioned{Table: "tag_listing", TagColumn: "tag_id", derived: keepTagLatest}

// keepTagLatest rewrites the tag_latest rows (a tag's newest listing of
// each package) that a tag_listing write may have changed: those of the
// written tag and, when the write names a build or package, that package.
func keepTagLatest(ctx context.Context, tx *Tx, cols map[string]any) error {
	var c, fill conds
	if tag, ok := cols["tag_id"]; ok {
		c.add("tag_id = ?", tag)
		fill.add("tl.tag_id = ?", tag)
	}
	pkg, ok := cols["pkg_id"]
	if build, byBuild := cols["build_id"]; !ok && byBuild {
		var id int64
		if err := tx.Get(ctx, &id, "SELECT pkg_id FROM build WHERE id = ?", build); err != nil {
			return fmt.Errorf("read package of build %v: %w", build, err)
		}
		pkg, ok = id, true
	}
	if ok {
		c.add("pkg_id = ?", pkg)
		fill.add("tl.pkg_id = ?", pkg)
	}
	if err := lockTagLatest(ctx, tx, cols["tag_id"], pkg, ok); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM tag_latest"+c.where(), c.args...); err != nil {
		return fmt.Errorf("clear tag_latest: %w", err)
	}
	return fillTagLatest(ctx, tx, fill)
}

// fillTagLatest inserts the tag_latest rows of the listings c selects
// (their columns prefixed tl.), copying what answers say of each build.
func fillTagLatest(ctx context.Context, tx *Tx, c conds) error {
	// Newest means the latest event, then the highest build id.
	c.add(`tl.active = TRUE AND NOT EXISTS (SELECT 1 FROM tag_listing n WHERE n.tag_id = tl.tag_id
		AND n.pkg_id = tl.pkg_id AND n.active = TRUE AND (n.create_event > tl.create_event
		OR (n.create_event = tl.create_event AND n.build_id > tl.build_id)))`)
	q := "INSERT INTO tag_latest (tag_id, pkg_id, build_id, create_event, " + tagLatestCopies + ")" +
		" SELECT tl.tag_id, tl.pkg_id, tl.build_id, tl.create_event, " + buildAnswerCols +
		" FROM tag_listing tl JOIN build b ON b.id = tl.build_id" + buildAnswerJoins + c.where()
	if tx.Dialect == Postgres {
		// A build changed by a transaction not yet committed would be
		// copied as it was, and that transaction's trigger (migration
		// 0018) cannot see the row inserted here: wait for it instead,
		// and copy what it committed.
		q += " FOR SHARE OF b"
	}
	if _, err := tx.Exec(ctx, q, c.args...); err != nil {
		return fmt.Errorf("fill tag_latest: %w", err)
	}
	return nil
}

// What an answer says of a build besides its id and package id, in the
// order readTaggedBuilds reads it: from build b joined to its package p
// and creation event e (buildAnswerCols, buildAnswerJoins), or from
// tag_latest's copies of the same (tagLatestCopies, migration 0017).
const (
	buildAnswerCols = "p.name, b.version, b.release, b.epoch, b.draft, b.state, b.task_id, b.owner, b.create_event, " +
		"e.time_us, b.start_us, b.completion_us, b.promotion_us, b.promoter, b.volume_id"
	buildAnswerJoins = " JOIN package p ON p.id = b.pkg_id JOIN events e ON e.id = b.create_event"
	tagLatestCopies  = "pkg_name, version, release, epoch, draft, state, task_id, owner, build_event, build_us, " +
		"start_us, completion_us, promotion_us, promoter, volume_id"
)

// RebuildTagLatest refills tag_latest from tag_listing, for tools and
// tests that write listings in bulk with SQL of their own.
func RebuildTagLatest(ctx context.Context, tx *Tx) error {
	if _, err := tx.Exec(ctx, "DELETE FROM tag_latest"); err != nil {
		return fmt.Errorf("clear tag_latest: %w", err)
	}
	return fillTagLatest(ctx, tx, conds{})
}

// lockTagLatest serialises, across hubs, the upkeep of one tag's
// tag_latest rows. Two transactions tagging into the same tag and package
// at once would each compute the newest listing without the other's, and
// the second insert would fail; so would a rewrite of the whole tag
// (deleteTag) with a tagging that commits between its DELETE and INSERT.
// Upkeep of one package holds the tag's lock shared and the package's lock
// exclusive, in that order; a whole-tag rewrite holds the tag's lock
// exclusive. The waiting transaction's statements then see the other's
// commit (READ COMMITTED). A colliding key only makes unrelated writers
// wait. SQLite has one writer at a time and needs no lock.
//
// Advisory locks belong to the whole database, so the keys name the schema
// too: hubs (and test runs) on other schemas of the database have tags with
// the same ids.
func lockTagLatest(ctx context.Context, tx *Tx, tag, pkg any, onePackage bool) error {
	if tx.Dialect != Postgres {
		return nil
	}
	const key = "hashtextextended(current_schema() || '/' || ?, 0)"
	tagKey := fmt.Sprint(tag)
	var err error
	if onePackage {
		// Target list items are evaluated in order.
		_, err = tx.Exec(ctx, "SELECT pg_advisory_xact_lock_shared("+key+"), pg_advisory_xact_lock("+key+")",
			tagKey, fmt.Sprint(tag, "/", pkg))
	} else {
		_, err = tx.Exec(ctx, "SELECT pg_advisory_xact_lock("+key+")", tagKey)
	}
	if err != nil {
		return fmt.Errorf("lock tag_latest: %w", err)
	}
	return nil
}

// LockTagPackage makes the transaction the only one, across hubs, changing
// the package's builds in the tag until it ends: another tagging of the
// same package there waits, then sees this one's commit. Take it before
// checking whether a build is already tagged, or two taggers of one build
// both find it untagged and the second insert fails on the unique index.
//
// On PostgreSQL it then checks that the tag is still there: a deleteTag
// that held LockTag, or committed since the caller read the tag, answers
// ErrTagDeleted. SQLite's one writer at a time needs neither.
func LockTagPackage(ctx context.Context, tx *Tx, tagID, pkgID int64) error {
	if tx.Dialect != Postgres {
		return nil
	}
	if err := lockTagLatest(ctx, tx, tagID, pkgID, true); err != nil {
		return err
	}
	// A statement of its own: under READ COMMITTED it sees what committed
	// while the lock was awaited.
	var live bool
	if err := tx.Get(ctx, &live, "SELECT EXISTS (SELECT 1 FROM tag_config WHERE tag_id = ? AND active = TRUE)", tagID); err != nil {
		return fmt.Errorf("check tag %d: %w", tagID, err)
	}
	if !live {
		return ErrTagDeleted
	}
	return nil
}

// ErrTagDeleted says that a tag was deleted by a transaction that
// committed after the caller read it.
var ErrTagDeleted = errors.New("tag deleted meanwhile")

// LockTag makes the transaction the only one, across hubs, changing the
// tag's builds until it ends. deleteTag takes it before it revokes the
// tag's listings, so that a tagging in progress either commits first (and
// its listing is revoked too) or waits and finds the tag gone.
func LockTag(ctx context.Context, tx *Tx, tagID int64) error {
	return lockTagLatest(ctx, tx, tagID, nil, false)
}

// TaggedQuery asks which builds a tag holds, as Koji's readTaggedBuilds
// answers it. The walk orders are the API layer's (fullInheritance); the
// store only follows them.
type TaggedQuery struct {
	// Tags are where builds are looked for, in order: the tag itself, then
	// (with inheritance) each tag of its inheritance walk. A tag listed
	// twice counts at its first place.
	Tags []int64
	// ListTags, when set, is the walk whose package lists decide which
	// packages count (the tag and its whole inheritance, in order): a
	// package counts when its first entry along the walk is not blocked.
	// Leave it nil when a link of the walk has a pkg_filter: the caller
	// then filters by the package list it computed itself.
	ListTags []int64
	Event    *int64
	// Latest keeps, per package, the N most recently tagged builds along
	// the walk (the first tag holding the package wins); 0 keeps all.
	Latest  int64
	Package *string // package name
	Owner   *string // owner name
	Draft   *bool
	RPMOnly bool // only builds of Koji's type "rpm" (RPMTypeCond)
	Extra   bool // read build.extra too
}

// TaggedBuild is one answer row: the build, where it was found and when it
// was tagged there.
type TaggedBuild struct {
	hub.Build
	TagID        int64
	TagName      string
	ListingEvent int64 // tag_listing.create_event
	Depth        int   // place of TagID in the walk
}

// firstPlaces lists the distinct tags of a walk with the place of each in
// it: a tag listed twice counts at its first place.
func firstPlaces(tags []int64) (uniq []int64, places []int) {
	seen := map[int64]bool{}
	for i, t := range tags {
		if !seen[t] {
			seen[t] = true
			uniq = append(uniq, t)
			places = append(places, i)
		}
	}
	return uniq, places
}

// walkDepth renders an ordered tag list as a condition on col ("col IN
// (…)") and an expression giving each tag's first place in the list (its
// depth). Plain IN lists, rather than a joined VALUES table, let both
// planners use the column statistics.
func walkDepth(col string, tags []int64) (in string, inArgs []any, depth string, depthArgs []any) {
	uniq, places := firstPlaces(tags)
	var b strings.Builder
	b.WriteString("CASE " + col)
	for i, t := range uniq {
		b.WriteString(" WHEN ? THEN CAST(? AS INTEGER)")
		depthArgs = append(depthArgs, t, places[i])
	}
	b.WriteString(" END")
	in, inArgs = InList(uniq)
	return col + " IN " + in, inArgs, b.String(), depthArgs
}

// listedSQL writes the CTE listed (the packages the package lists of
// q.ListTags let through) when q has ListTags. The first entry of each
// package along the package-list walk decides; a blocked one hides the
// package.
func listedSQL(b *strings.Builder, q TaggedQuery, d Dialect) []any {
	if q.ListTags == nil {
		return nil
	}
	cond := func(alias string) (string, []any) {
		c, args := AsOf(alias, q.Event)
		if q.Package != nil {
			// Only the named package's entries can matter; without
			// this, asking for one package reads the whole list.
			c += " AND " + alias + ".package_id IN (SELECT id FROM package WHERE name = ?)"
			args = append(args, *q.Package)
		}
		return c, args
	}
	uniq, _ := firstPlaces(q.ListTags)
	if d == SQLite && q.Package == nil && len(uniq) <= maxAntiJoinWalk {
		// Each tag's unblocked packages that no earlier tag lists: no
		// need to find each package's first entry first. (For one
		// package, the probes of firstAlongWalk are fewer.)
		var args []any
		b.WriteString("listed AS (")
		for i, tag := range uniq {
			if i == 0 {
				c, cargs := cond("l")
				fmt.Fprintf(b, "SELECT l.package_id FROM tag_packages l WHERE l.tag_id = %d AND %s AND l.blocked = FALSE", tag, c)
				args = append(args, cargs...)
				continue
			}
			n, nargs := exceptEarlier("tag_packages", "package_id", uniq, i, "blocked = FALSE", cond)
			b.WriteString(" UNION ALL SELECT package_id FROM (" + n + ") n")
			args = append(args, nargs...)
		}
		b.WriteString("), ")
		return args
	}
	first, args := firstAlongWalk(d, "tag_packages", "package_id", "package_id, blocked", q.ListTags, cond)
	b.WriteString("pkgfirst AS (" + first + "), listed AS (SELECT package_id FROM pkgfirst WHERE blocked = FALSE), ")
	return args
}

// firstAlongWalk selects from table, which holds at most one row per tag
// and package (pkgCol) among the rows cond lets through, each package's row
// in the first tag of the walk that has one: cols and the tag's place in
// the walk as depth.
//
// For the usual walks, each part of a UNION ALL reads one tag and skips
// the packages of the tags before it, rather than sorting every row of the
// walk. PostgreSQL runs the skip as an anti-join; SQLite reads the packages
// new to the tag (exceptEarlier) and looks up only those. Its size grows
// with the square of the walk, so long walks rank the rows instead.
func firstAlongWalk(d Dialect, table, pkgCol, cols string, tags []int64, cond func(alias string) (string, []any)) (string, []any) {
	uniq, depths := firstPlaces(tags)
	if len(uniq) > maxAntiJoinWalk {
		return rankAlongWalk(table, pkgCol, cols, tags, cond)
	}
	var b strings.Builder
	var args []any
	var earlier []string
	for i, tag := range uniq {
		// The tag ids are our own integers, written into the SQL so that
		// the walk needs no parameters.
		id := strconv.FormatInt(tag, 10)
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		fmt.Fprintf(&b, "SELECT %s, %d AS depth FROM %s l WHERE l.tag_id = %s", prefixCols("l", cols), depths[i], table, id)
		if cond != nil {
			c, cargs := cond("l")
			b.WriteString(" AND " + c)
			args = append(args, cargs...)
		}
		switch {
		case i == 0:
		case d == SQLite:
			n, nargs := exceptEarlier(table, pkgCol, uniq, i, "", cond)
			b.WriteString(" AND l." + pkgCol + " IN (" + n + ")")
			args = append(args, nargs...)
		default:
			fmt.Fprintf(&b, " AND NOT EXISTS (SELECT 1 FROM %s x WHERE x.%s = l.%s AND x.tag_id IN (%s)",
				table, pkgCol, pkgCol, strings.Join(earlier, ", "))
			if cond != nil {
				c, cargs := cond("x")
				b.WriteString(" AND " + c)
				args = append(args, cargs...)
			}
			b.WriteString(")")
		}
		earlier = append(earlier, id)
	}
	return b.String(), args
}

// exceptEarlier writes a compound SELECT of the packages (pkgCol) table
// holds in walk[i] (whose rows must also meet only, when given) and in none
// of walk[:i], cond applying to every tag. Its ORDER BY lets SQLite merge
// the tags' index ranges, read in package order, in one pass ("MERGE
// (EXCEPT)"): no index probe per row, as NOT EXISTS takes, and the
// packages the tag adds are usually few.
func exceptEarlier(table, pkgCol string, walk []int64, i int, only string, cond func(alias string) (string, []any)) (string, []any) {
	var b strings.Builder
	var args []any
	tags := append([]int64{walk[i]}, walk[:i]...)
	for j, tag := range tags {
		if j > 0 {
			b.WriteString(" EXCEPT ")
		}
		fmt.Fprintf(&b, "SELECT m.%s FROM %s m WHERE m.tag_id = %d", pkgCol, table, tag)
		if cond != nil {
			c, cargs := cond("m")
			b.WriteString(" AND " + c)
			args = append(args, cargs...)
		}
		if j == 0 && only != "" {
			b.WriteString(" AND m." + only)
		}
	}
	b.WriteString(" ORDER BY 1")
	return b.String(), args
}

// maxAntiJoinWalk is the longest walk (in distinct tags) firstAlongWalk
// and listedSQL write tag by tag (anti-joins, or merges on SQLite). Real
// inheritance walks are a few tags deep.
const maxAntiJoinWalk = 32

// rankAlongWalk is firstAlongWalk for long walks: every row of the walk's
// tags, ranked per package by the place of its tag.
func rankAlongWalk(table, pkgCol, cols string, tags []int64, cond func(alias string) (string, []any)) (string, []any) {
	in, inArgs, depth, depthArgs := walkDepth("l.tag_id", tags)
	q := "SELECT " + cols + ", depth FROM (SELECT " + prefixCols("l", cols) + ", " + depth + " AS depth, ROW_NUMBER() OVER (PARTITION BY l." +
		pkgCol + " ORDER BY " + depth + ") AS rn FROM " + table + " l WHERE " + in
	args := append(append(append([]any{}, depthArgs...), depthArgs...), inArgs...)
	if cond != nil {
		c, cargs := cond("l")
		q += " AND " + c
		args = append(args, cargs...)
	}
	return q + ") ranked WHERE rn = 1", args
}

// latestOnly reports whether q asks for the newest build of each package
// with no filter on the builds themselves, the question repos and
// getLatestBuilds ask. Such a query is answered from tag_listing alone
// (latestSQL); the others join build for every listing (taggedSQL).
func latestOnly(q TaggedQuery) bool {
	return q.Latest == 1 && q.Package == nil && q.Owner == nil && q.Draft == nil && !q.RPMOnly
}

// idShift packs a listing's (create_event, build_id) into one integer whose
// order is the listings' order (newest event, then highest build id), so
// that one MAX picks a tag's newest listing of a package. It holds while
// build ids stay below 2^32 and events below 2^31, as Koji's int4 ids do.
const idShift = "4294967296"

// latestSQL is taggedSQL for latestOnly queries. For now it reads
// tag_latest, whose rows also carry what the answer says of each build
// (copies is then true: sel has those columns, and readTaggedBuilds need
// not join build, package and events for every row); at a past event,
// the covering index of tag_listing: per tag and package the newest
// listing, then per package the one of the tag first in the walk. Build
// states are not looked at: a listed build is COMPLETE (tagging requires
// it and a tagged build cannot be deleted), except in history, where a
// build may have been deleted since; Tagged checks the chosen builds and
// falls back to taggedSQL when one is not COMPLETE.
func latestSQL(q TaggedQuery, d Dialect) (with string, args []any, copies bool) {
	var b strings.Builder
	b.WriteString("WITH ")
	args = listedSQL(&b, q, d)
	if q.Event == nil {
		// Now, each tag's newest listing of each package is kept in
		// tag_latest: only the walk is left to follow.
		first, fargs := firstAlongWalk(d, "tag_latest", "pkg_id", "pkg_id, build_id, create_event, "+tagLatestCopies, q.Tags, nil)
		// SQLite pushes the package-list filter below into each part of
		// the walk's UNION ALL, building the list once per part; yet
		// materializing the walk's wide rows costs more, and so does
		// materializing the list (8% more instructions for the latest
		// builds of the benchmark's tag).
		b.WriteString("best AS (" + first + "), sel AS (SELECT build_id, create_event AS listing_event, depth, pkg_id, " +
			tagLatestCopies + " FROM best")
		if q.ListTags != nil {
			b.WriteString(" WHERE pkg_id IN (SELECT package_id FROM listed)")
		}
		b.WriteString(")")
		return b.String(), append(args, fargs...), true
	}
	in, inArgs, depth, depthArgs := walkDepth("tl.tag_id", q.Tags)
	asOf, aargs := AsOf("tl", q.Event)
	b.WriteString("pertag AS (SELECT " + depth + " AS depth, tl.pkg_id, MAX(tl.create_event * " + idShift +
		" + tl.build_id) AS k FROM tag_listing tl WHERE " + in + " AND " + asOf + " GROUP BY tl.tag_id, tl.pkg_id), ")
	args = append(append(append(args, depthArgs...), inArgs...), aargs...)
	if d == Postgres {
		b.WriteString("best AS (SELECT DISTINCT ON (pkg_id) pkg_id, depth, k FROM pertag ORDER BY pkg_id, depth), ")
	} else {
		// SQLite fills the bare columns from the row holding the MIN.
		b.WriteString("best AS (SELECT pkg_id, MIN(depth) AS depth, k FROM pertag GROUP BY pkg_id), ")
	}
	b.WriteString("sel AS (SELECT k % " + idShift + " AS build_id, k / " + idShift +
		" AS listing_event, depth, pkg_id FROM best")
	if q.ListTags != nil {
		b.WriteString(" WHERE pkg_id IN (SELECT package_id FROM listed)")
	}
	b.WriteString(")")
	return b.String(), args, false
}

// taggedSQL builds a WITH clause whose last table, sel, holds the
// (build_id, listing_event, depth, pkg_id) rows matching q, latest
// and package list applied.
func taggedSQL(q TaggedQuery, d Dialect) (string, []any) {
	var b strings.Builder
	b.WriteString("WITH ")
	args := listedSQL(&b, q, d)
	in, inArgs, depth, depthArgs := walkDepth("tl.tag_id", q.Tags)
	asOf, aargs := AsOf("tl", q.Event)
	conds := []string{in, asOf, "b.id = tl.build_id", "b.state = ?"}
	cargs := append(append(append([]any{}, depthArgs...), inArgs...), aargs...)
	cargs = append(cargs, hub.BuildComplete)
	// For a whole tag, CROSS JOIN keeps SQLite's loop order (tag_listing
	// outside, read by its tag index; builds by primary key); PostgreSQL
	// plans it as any join. For one package, its builds come first.
	joins := " CROSS JOIN build b"
	if q.Package != nil {
		joins = " JOIN build b ON b.id = tl.build_id JOIN package p ON p.id = b.pkg_id"
		conds = append(conds, "p.name = ?")
		cargs = append(cargs, *q.Package)
	}
	if q.Owner != nil {
		joins += " JOIN users u ON u.id = b.owner"
		conds = append(conds, "u.name = ?")
		cargs = append(cargs, *q.Owner)
	}
	if q.Draft != nil {
		conds = append(conds, "b.draft = ?")
		cargs = append(cargs, *q.Draft)
	}
	if q.RPMOnly {
		conds = append(conds, RPMTypeCond)
	}
	b.WriteString("cand AS (SELECT tl.build_id, tl.create_event AS listing_event, " + depth + " AS depth, b.pkg_id" +
		" FROM tag_listing tl" + joins + " WHERE " + strings.Join(conds, " AND ") + ")")
	args = append(args, cargs...)
	// Latest is chosen among all candidates first and the package list
	// applied after: both are per package, so the order does not matter,
	// and the big join stays free of the package list.
	from := "cand"
	if q.Latest > 0 {
		b.WriteString(", ranked AS (SELECT build_id, listing_event, depth, pkg_id, ROW_NUMBER() OVER" +
			" (PARTITION BY pkg_id ORDER BY depth, listing_event DESC, build_id DESC) AS rn FROM cand)")
		from = "ranked"
	}
	var where []string
	if q.Latest > 0 {
		where = append(where, "rn <= ?")
		args = append(args, q.Latest)
	}
	if q.ListTags != nil {
		where = append(where, "pkg_id IN (SELECT package_id FROM listed)")
	}
	b.WriteString(", sel AS (SELECT build_id, listing_event, depth, pkg_id FROM " + from)
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	b.WriteString(")")
	return b.String(), args
}

// Tagged answers q: the builds in Koji's order (walk order, then most
// recently tagged first, then highest build id first).
func Tagged(ctx context.Context, tx *Tx, q TaggedQuery) ([]*TaggedBuild, error) {
	if len(q.Tags) == 0 {
		return nil, nil
	}
	// Answers that join build for every row get the planner tuned for
	// them; one package's builds are few, and the planner's defaults suit
	// them and tag_latest's copies (tuning would cost a transaction block:
	// on PostgreSQL, two more round trips, for BEGIN and ROLLBACK).
	planned := false
	plan := func() error {
		if planned || q.Package != nil {
			return nil
		}
		planned = true
		return bigAnswerPlans(ctx, tx)
	}
	if latestOnly(q) {
		byKeys := false
		if q.Event == nil && tx.Dialect == Postgres {
			// A write, or a read already in a block of its own, cannot
			// promise latestByKeys' statements one snapshot.
			var err error
			if byKeys, err = tx.oneSnapshot(ctx); err != nil {
				return nil, err
			}
		}
		var out []*TaggedBuild
		var err error
		if byKeys {
			out, err = latestByKeys(ctx, tx, q)
		} else {
			with, args, copies := latestSQL(q, tx.Dialect)
			if !copies {
				if err := plan(); err != nil {
					return nil, err
				}
			}
			out, err = readTaggedBuilds(ctx, tx, with, args, copies, q)
		}
		if err != nil {
			return nil, err
		}
		if allComplete(out) {
			return out, nil
		}
	}
	if err := plan(); err != nil {
		return nil, err
	}
	with, args := taggedSQL(q, tx.Dialect)
	return readTaggedBuilds(ctx, tx, with, args, false, q)
}

func allComplete(builds []*TaggedBuild) bool {
	for _, b := range builds {
		if b.State != hub.BuildComplete {
			return false
		}
	}
	return true
}

// readTaggedBuilds reads the builds of sel, found along q's walk: with
// copies, sel has tag_latest's copies of the build's columns; without,
// the rows are joined to build.
func readTaggedBuilds(ctx context.Context, tx *Tx, with string, args []any, copies bool, q TaggedQuery) ([]*TaggedBuild, error) {
	rs := taggedRows{q: q}
	if err := tx.eachRows(ctx, rs.read(with, args, copies)); err != nil {
		return nil, fmt.Errorf("read tagged builds: %w", err)
	}
	return finishTagged(ctx, tx, rs.found)
}

// taggedRows scans answer rows into TaggedBuilds. Each row is scanned
// into cur, by position, then copied into a block of rows allocated at
// once. Collected as pointers: growing and sorting a slice of whole rows
// would copy each row many times.
type taggedRows struct {
	q     TaggedQuery
	cur   TaggedBuild
	block []TaggedBuild
	found []*TaggedBuild
}

// read is the query reading the builds of sel (see readTaggedBuilds) into
// rs.found.
func (rs *taggedRows) read(with string, args []any, copies bool) rowQuery {
	q := rs.q
	// Every column costs time on every row: the tag comes from the depth
	// (its place in q.Tags), and extra only when asked for.
	query := with + " SELECT b.id, b.pkg_id, " + buildAnswerCols + ", sel.listing_event, sel.depth"
	from := " FROM sel JOIN build b ON b.id = sel.build_id" + buildAnswerJoins
	if copies {
		query = with + " SELECT sel.build_id, sel.pkg_id, " + prefixCols("sel", tagLatestCopies) + ", sel.listing_event, sel.depth"
		from = " FROM sel"
		if q.Extra {
			from += " JOIN build b ON b.id = sel.build_id"
		}
	}
	if q.Extra {
		query += ", b.extra"
	}
	bb := &rs.cur.Build
	dest := []any{intCol[int64]{&bb.ID}, intCol[int64]{&bb.PackageID}, &bb.PackageName, &bb.Version,
		&bb.Release, optIntCol{&bb.Epoch}, &bb.Draft, intCol[int]{&bb.State}, optIntCol{&bb.TaskID},
		intCol[int64]{&bb.OwnerID}, intCol[int64]{&bb.CreateEvent}, intCol[int64]{&bb.CreationUS},
		optIntCol{&bb.StartUS}, optIntCol{&bb.CompletionUS}, optIntCol{&bb.PromotionUS},
		optIntCol{&bb.PromoterID}, intCol[int64]{&bb.VolumeID}, intCol[int64]{&rs.cur.ListingEvent}, intCol[int]{&rs.cur.Depth}}
	if q.Extra {
		dest = append(dest, &bb.Extra)
	}
	return rowQuery{query + from, args, dest, func() error {
		cur := &rs.cur
		if cur.Depth < 0 || cur.Depth >= len(q.Tags) {
			return fmt.Errorf("depth %d outside a walk of %d tags", cur.Depth, len(q.Tags))
		}
		cur.TagID = q.Tags[cur.Depth]
		if len(rs.block) == 0 {
			rs.block = make([]TaggedBuild, 256)
		}
		r := &rs.block[0]
		rs.block = rs.block[1:]
		*r = *cur
		rs.found = append(rs.found, r)
		// The next row starts from zero, as this one did: the scan
		// fills only the selected columns.
		*cur = TaggedBuild{}
		return nil
	}}
}

// finishTagged names the owners, promoters, volumes and tags of found, with
// a few small queries rather than four more joins per row, and puts them in
// Koji's order, here rather than by sorting whole result rows: answers run
// to tens of thousands of builds.
func finishTagged(ctx context.Context, tx *Tx, found []*TaggedBuild) ([]*TaggedBuild, error) {
	if len(found) == 0 {
		return nil, nil
	}
	users, tags, volumes := map[int64]string{}, map[int64]string{}, map[int64]string{}
	for _, r := range found {
		users[r.OwnerID] = ""
		if r.PromoterID != nil {
			users[*r.PromoterID] = ""
		}
		tags[r.TagID] = ""
	}
	if err := readNames(ctx, tx, []nameSet{{"users", users}, {"tag", tags}, {"volume", volumes}}); err != nil {
		return nil, err
	}
	slices.SortFunc(found, func(a, b *TaggedBuild) int {
		if c := cmp.Compare(a.Depth, b.Depth); c != 0 {
			return c
		}
		if c := cmp.Compare(b.ListingEvent, a.ListingEvent); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	for _, r := range found {
		bb := &r.Build
		bb.OwnerName, bb.VolumeName, r.TagName = users[bb.OwnerID], volumes[bb.VolumeID], tags[r.TagID]
		if bb.PromoterID != nil {
			name := users[*bb.PromoterID]
			bb.PromoterName = &name
		}
	}
	return found, nil
}

// nameSet asks for the names (id → name) of table's rows: for the ids
// already in names, or for every row when it is empty.
type nameSet struct {
	table string
	names map[int64]string
}

// readNames fills every set with one query (one round trip on PostgreSQL).
func readNames(ctx context.Context, tx *Tx, sets []nameSet) error {
	var parts []string
	var args []any
	for i, s := range sets {
		part := "SELECT " + strconv.Itoa(i) + " AS kind, id, name FROM " + s.table
		if len(s.names) > 0 {
			ids := make([]int64, 0, len(s.names))
			for id := range s.names {
				ids = append(ids, id)
			}
			src, arg := IDTable(tx.Dialect, ids)
			part += " WHERE id IN (" + src + ")"
			args = append(args, arg)
		}
		parts = append(parts, part)
	}
	var rows []struct {
		Kind int `db:"kind"`
		NamedID
	}
	if err := tx.Select(ctx, &rows, strings.Join(parts, " UNION ALL "), args...); err != nil {
		return fmt.Errorf("read names: %w", err)
	}
	for _, r := range rows {
		sets[r.Kind].names[r.ID] = r.Name
	}
	return nil
}

// bigAnswerPlans tunes PostgreSQL's planner, for the rest of the
// transaction, to answers of tens of thousands of rows: sorts of a tag's
// listings stay in memory (the default work_mem spills them to disk), and
// parallel plans become cheaper. The default costs of a parallel worker
// assume small answers; with them the planner hashes the whole build table
// in one process rather than probing it for each answer row from three.
func bigAnswerPlans(ctx context.Context, tx *Tx) error {
	if tx.Dialect != Postgres {
		return nil
	}
	if err := tx.block(ctx); err != nil {
		return err
	}
	// One round trip for all three.
	if _, err := tx.Exec(ctx, `SELECT set_config('work_mem', '32MB', true),
		set_config('parallel_setup_cost', '100', true), set_config('parallel_tuple_cost', '0.01', true)`); err != nil {
		return fmt.Errorf("tune planner: %w", err)
	}
	return nil
}

// TaggedRPM is an rpm of a tagged build, with the place of the tag it was
// found in and, with signatures asked for, one of its sigkeys.
type TaggedRPM struct {
	hub.RPM
	SigKey *string
}

// TaggedRPMs reads the rpms of builds (Tagged's answer): in walk order,
// then by rpm id, as Koji lists them. arches filters when non-empty; sigs
// adds one row per signature (and one with a nil key for an unsigned rpm).
func TaggedRPMs(ctx context.Context, tx *Tx, builds []*TaggedBuild, arches []string, sigs, extra bool) ([]TaggedRPM, error) {
	if len(builds) == 0 {
		return nil, nil
	}
	// The places a build was found at; more than one only when all builds
	// of an inheritance walk are asked for.
	depths := make(map[int64][]int, len(builds))
	ids := make([]int64, 0, len(builds))
	for _, b := range builds {
		if _, ok := depths[b.ID]; !ok {
			ids = append(ids, b.ID)
		}
		depths[b.ID] = append(depths[b.ID], b.Depth)
	}
	idSrc, idArg := IDTable(tx.Dialect, ids)
	cols := "r.id, r.build_id, r.buildroot_id, r.name, r.version, r.release, r.epoch, r.arch, r.draft, r.external_repo_id, r.payloadhash, r.size, r.buildtime, r.metadata_only"
	if extra {
		cols += ", r.extra"
	} else {
		cols += ", NULL"
	}
	sigCol, sigJoin := "NULL", ""
	if sigs {
		sigCol, sigJoin = "s.sigkey", " LEFT JOIN rpmsigs s ON s.rpm_id = r.id"
	}
	// The build ids may run to tens of thousands: they go as one argument.
	sql := "SELECT " + cols + ", " + sigCol + " FROM rpminfo r" + sigJoin + " WHERE r.build_id IN (" + idSrc + ")"
	args := []any{idArg}
	if len(arches) > 0 {
		in, inArgs := InList(arches)
		sql += " AND r.arch IN " + in
		args = append(args, inArgs...)
	}
	sql += " ORDER BY r.id"
	if sigs {
		sql += ", s.sigkey"
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read tagged rpms: %w", err)
	}
	defer rows.Close()
	type placed struct {
		rpm   TaggedRPM
		depth int
	}
	var all []placed
	for rows.Next() {
		var r TaggedRPM
		if err := rows.Scan(&r.ID, &r.BuildID, &r.BuildrootID, &r.Name, &r.Version, &r.Release, &r.Epoch, &r.Arch,
			&r.Draft, &r.ExternalRepoID, &r.PayloadHash, &r.Size, &r.BuildTime, &r.MetadataOnly, &r.Extra, &r.SigKey); err != nil {
			return nil, fmt.Errorf("read tagged rpms: %w", err)
		}
		if r.BuildID == nil {
			continue
		}
		for _, d := range depths[*r.BuildID] {
			all = append(all, placed{r, d})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tagged rpms: %w", err)
	}
	// Rows came by rpm id (and key); a stable sort by place keeps that
	// order within each place.
	sort.SliceStable(all, func(i, j int) bool { return all[i].depth < all[j].depth })
	out := make([]TaggedRPM, len(all))
	for i, p := range all {
		out[i] = p.rpm
	}
	return out, nil
}

// IDTable returns a subquery yielding the given ids as one column, id, and
// its single argument. Unlike an IN list it takes any number of ids.
func IDTable(d Dialect, ids []int64) (string, any) {
	if d == Postgres {
		return "SELECT unnest(CAST(? AS BIGINT[])) AS id", ids
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte(']')
	return "SELECT value AS id FROM json_each(?)", b.String()
}

// BuildTags lists the tags holding a build now: (tag id, tag name), by tag id.
func BuildTags(ctx context.Context, tx *Tx, buildID int64) ([]NamedID, error) {
	var out []NamedID
	if err := tx.Select(ctx, &out, `SELECT tl.tag_id AS id, t.name FROM tag_listing tl JOIN tag t ON t.id = tl.tag_id
		WHERE tl.build_id = ? AND tl.active = TRUE ORDER BY tl.tag_id`, buildID); err != nil {
		return nil, fmt.Errorf("read tags of build %d: %w", buildID, err)
	}
	return out, nil
}

// IsTagged reports whether the build is in the tag now. A caller that acts
// on the answer holds LockTagPackage for the build's package first.
func IsTagged(ctx context.Context, tx *Tx, tagID, buildID int64) (bool, error) {
	var n []int64
	q := "SELECT 1 FROM tag_listing WHERE tag_id = ? AND build_id = ? AND active = TRUE"
	if err := tx.Select(ctx, &n, q, tagID, buildID); err != nil {
		return false, fmt.Errorf("read tag_listing: %w", err)
	}
	return len(n) > 0, nil
}

// UntaggedBuild is a row of untaggedBuilds.
type UntaggedBuild struct {
	ID      int64  `db:"id" xmlrpc:"id"`
	Name    string `db:"name" xmlrpc:"name"`
	Version string `db:"version" xmlrpc:"version"`
	Release string `db:"release" xmlrpc:"release"`
}

// UntaggedBuilds lists COMPLETE builds in no tag, optionally of one package
// name and draft state, paged.
func UntaggedBuilds(ctx context.Context, tx *Tx, name *string, draft *bool, p Page) ([]UntaggedBuild, error) {
	q := ` FROM build b JOIN package p ON p.id = b.pkg_id
		WHERE b.state = ? AND NOT EXISTS (SELECT 1 FROM tag_listing tl WHERE tl.build_id = b.id AND tl.active = TRUE)`
	args := []any{hub.BuildComplete}
	if name != nil {
		q += " AND p.name = ?"
		args = append(args, *name)
	}
	if draft != nil {
		q += " AND b.draft = ?"
		args = append(args, *draft)
	}
	out := []UntaggedBuild{} // an empty answer is [], not nil
	if err := tx.Select(ctx, &out, "SELECT b.id, p.name, b.version, b.release"+q+p.clause(tx.Dialect, "b.id"), args...); err != nil {
		return nil, fmt.Errorf("read untagged builds: %w", err)
	}
	return out, nil
}

// CountUntaggedBuilds counts UntaggedBuilds' rows within the page.
func CountUntaggedBuilds(ctx context.Context, tx *Tx, name *string, draft *bool, p Page) (int64, error) {
	q := ` FROM build b JOIN package p ON p.id = b.pkg_id
		WHERE b.state = ? AND NOT EXISTS (SELECT 1 FROM tag_listing tl WHERE tl.build_id = b.id AND tl.active = TRUE)`
	args := []any{hub.BuildComplete}
	if name != nil {
		q += " AND p.name = ?"
		args = append(args, *name)
	}
	if draft != nil {
		q += " AND b.draft = ?"
		args = append(args, *draft)
	}
	return count(ctx, tx, q, p, args)
}

// TagHistoryRow is a tag_listing row with its names, for tagHistory.
type TagHistoryRow struct {
	BuildID     int64   `db:"build_id"`
	TagID       int64   `db:"tag_id"`
	Name        string  `db:"name"`
	Version     string  `db:"version"`
	Release     string  `db:"release"`
	TagName     string  `db:"tag_name"`
	CreateEvent int64   `db:"create_event"`
	RevokeEvent *int64  `db:"revoke_event"`
	CreatorID   int64   `db:"creator_id"`
	RevokerID   *int64  `db:"revoker_id"`
	CreatorName string  `db:"creator_name"`
	RevokerName *string `db:"revoker_name"`
	CreateUS    int64   `db:"create_us"`
	RevokeUS    *int64  `db:"revoke_us"`
	Active      *bool   `db:"active"`
	State       int     `db:"state"`
}

// TagHistoryFilter selects tag_listing rows; nil fields match all.
type TagHistoryFilter struct {
	BuildID   *int64
	TagID     *int64
	PackageID *int64
	Active    *bool
}

// TagHistory reads tag_listing rows, newest tagging first.
func TagHistory(ctx context.Context, tx *Tx, f TagHistoryFilter) ([]TagHistoryRow, error) {
	var c conds
	if f.BuildID != nil {
		c.add("tl.build_id = ?", *f.BuildID)
	}
	if f.TagID != nil {
		c.add("tl.tag_id = ?", *f.TagID)
	}
	if f.PackageID != nil {
		c.add("b.pkg_id = ?", *f.PackageID)
	}
	if f.Active != nil {
		if *f.Active {
			c.add("tl.active = TRUE")
		} else {
			c.add("tl.active IS NULL")
		}
	}
	q := `SELECT tl.build_id, tl.tag_id, p.name, b.version, b.release, t.name AS tag_name, tl.create_event,
		tl.revoke_event, tl.creator_id, tl.revoker_id, cu.name AS creator_name, ru.name AS revoker_name,
		e1.time_us AS create_us, e2.time_us AS revoke_us, tl.active, b.state
		FROM tag_listing tl JOIN build b ON b.id = tl.build_id JOIN package p ON p.id = b.pkg_id
		JOIN tag t ON t.id = tl.tag_id JOIN users cu ON cu.id = tl.creator_id LEFT JOIN users ru ON ru.id = tl.revoker_id
		JOIN events e1 ON e1.id = tl.create_event LEFT JOIN events e2 ON e2.id = tl.revoke_event`
	q += c.where()
	q += " ORDER BY tl.create_event DESC, tl.build_id DESC, tl.tag_id"
	var out []TagHistoryRow
	if err := tx.Select(ctx, &out, q, c.args...); err != nil {
		return nil, fmt.Errorf("read tag history: %w", err)
	}
	return out, nil
}

// DeleteBuildListings removes every tag_listing row of a build (Koji's
// resetBuild does) and records the change of the tags that held it.
func DeleteBuildListings(ctx context.Context, tx *Tx, buildID int64) error {
	var tags []int64
	if err := tx.Select(ctx, &tags, "SELECT DISTINCT tag_id FROM tag_listing WHERE build_id = ? AND active = TRUE", buildID); err != nil {
		return fmt.Errorf("read tags of build %d: %w", buildID, err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM tag_listing WHERE build_id = ?", buildID); err != nil {
		return fmt.Errorf("delete tag_listing of build %d: %w", buildID, err)
	}
	for _, t := range tags {
		if err := keepTagLatest(ctx, tx, map[string]any{"tag_id": t, "build_id": buildID}); err != nil {
			return err
		}
		if err := tx.TagChanged(ctx, t); err != nil {
			return err
		}
	}
	return nil
}
