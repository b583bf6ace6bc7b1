package store

import (
	"context"
	"fmt"
	"strings"
)

// Versioned tables of tags.
var (
	TagConfig         = Versioned{Table: "tag_config", TagColumn: "tag_id"} // arches shape repos
	TagExtra          = Versioned{Table: "tag_extra"}
	TagInheritance    = Versioned{Table: "tag_inheritance", TagColumn: "tag_id"}
	TagPackages       = Versioned{Table: "tag_packages", TagColumn: "tag_id"}
	TagPackageOwners  = Versioned{Table: "tag_package_owners"}
	BuildTargetConfig = Versioned{Table: "build_target_config"}
)

// Tag is a tag with its configuration at some event.
type Tag struct {
	ID              int64   `db:"id"`
	Name            string  `db:"name"`
	PermID          *int64  `db:"perm_id"`
	Perm            *string `db:"perm"`
	Arches          *string `db:"arches"`
	Locked          bool    `db:"locked"`
	MavenSupport    bool    `db:"maven_support"`
	MavenIncludeAll bool    `db:"maven_include_all"`
	RevokeEvent     *int64  `db:"revoke_event"`
}

// TagWhere selects tags by a condition on tag (alias t) as of event (nil =
// now). A tag exists only while it has a tag_config row.
func TagWhere(ctx context.Context, tx *Tx, event *int64, cond string, args ...any) ([]Tag, error) {
	asOf, asArgs := AsOf("tc", event)
	q := `SELECT t.id, t.name, tc.perm_id, p.name AS perm, tc.arches, tc.locked, tc.maven_support,
		tc.maven_include_all, tc.revoke_event
		FROM tag_config tc JOIN tag t ON t.id = tc.tag_id LEFT JOIN permissions p ON p.id = tc.perm_id
		WHERE ` + asOf
	if cond != "" {
		q += " AND " + cond
	}
	var out []Tag
	if err := tx.Select(ctx, &out, q+" ORDER BY t.id", append(asArgs, args...)...); err != nil {
		return nil, fmt.Errorf("read tags: %w", err)
	}
	return out, nil
}

// TagAt returns the tag with this id or name as of event, or nil.
func TagAt(ctx context.Context, tx *Tx, column string, value any, event *int64) (*Tag, error) {
	if column != "id" && column != "name" {
		return nil, fmt.Errorf("TagAt: bad column %q", column)
	}
	tags, err := TagWhere(ctx, tx, event, "t."+column+" = ?", value)
	if err != nil || len(tags) == 0 {
		return nil, err
	}
	return &tags[0], nil
}

// LastTagConfigEvents returns the create and revoke events of the newest
// tag_config row of a tag, for getTag(event="auto") on deleted tags.
func LastTagConfigEvents(ctx context.Context, tx *Tx, tagID int64) (create int64, revoke *int64, ok bool, err error) {
	var rows []struct {
		Create int64  `db:"create_event"`
		Revoke *int64 `db:"revoke_event"`
	}
	if err := tx.Select(ctx, &rows, "SELECT create_event, revoke_event FROM tag_config WHERE tag_id = ? ORDER BY create_event DESC LIMIT 1", tagID); err != nil {
		return 0, nil, false, fmt.Errorf("read tag_config history: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil, false, nil
	}
	return rows[0].Create, rows[0].Revoke, true, nil
}

// ExtraRow is one tag_extra value; Value nil means the key is blocked.
type ExtraRow struct {
	TagID int64   `db:"tag_id"`
	Key   string  `db:"key"`
	Value *string `db:"value"`
}

// TagExtras returns the extra rows of the tags as of event.
func TagExtras(ctx context.Context, tx *Tx, tagIDs []int64, event *int64) ([]ExtraRow, error) {
	if len(tagIDs) == 0 {
		return nil, nil
	}
	asOf, args := AsOf("", event)
	in, inArgs := InList(tagIDs)
	var out []ExtraRow
	err := tx.Select(ctx, &out, "SELECT tag_id, key, value FROM tag_extra WHERE "+asOf+" AND tag_id IN "+in+" ORDER BY key",
		append(args, inArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("read tag extra: %w", err)
	}
	return out, nil
}

// InList renders "(?, ?, …)" and its arguments for an IN clause.
func InList[T any](vals []T) (string, []any) {
	if len(vals) == 0 {
		return "(NULL)", nil
	}
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + ")", args
}

// Link is one tag_inheritance row with the parent's (or, reversed, the
// child's) name.
type Link struct {
	TagID        int64   `db:"tag_id"`
	ParentID     int64   `db:"parent_id"`
	Name         string  `db:"name"`
	Priority     int64   `db:"priority"`
	MaxDepth     *int64  `db:"maxdepth"`
	Intransitive bool    `db:"intransitive"`
	NoConfig     bool    `db:"noconfig"`
	PkgFilter    *string `db:"pkg_filter"`
}

// DirectLinks returns a tag's parents (or children when reverse) as of event,
// ordered by priority.
func DirectLinks(ctx context.Context, tx *Tx, tagID int64, event *int64, reverse bool) ([]Link, error) {
	self, other := "tag_id", "parent_id"
	if reverse {
		self, other = "parent_id", "tag_id"
	}
	asOf, args := AsOf("i", event)
	var out []Link
	err := tx.Select(ctx, &out, `SELECT i.tag_id, i.parent_id, t.name, i.priority, i.maxdepth, i.intransitive,
		i.noconfig, i.pkg_filter FROM tag_inheritance i JOIN tag t ON t.id = i.`+other+`
		WHERE i.`+self+` = ? AND `+asOf+` ORDER BY i.priority, i.`+other, append([]any{tagID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read inheritance of tag %d: %w", tagID, err)
	}
	return out, nil
}

// ReachableLinks returns, in one query, every inheritance link reachable from
// tagID upwards (or downwards when reverse) as of event, keyed by the tag the
// link starts from and ordered by priority. Walks then run in memory.
func ReachableLinks(ctx context.Context, tx *Tx, tagID int64, event *int64, reverse bool) (map[int64][]Link, error) {
	self, other := "tag_id", "parent_id"
	if reverse {
		self, other = "parent_id", "tag_id"
	}
	a1, args1 := AsOf("i", event)
	a2, args2 := AsOf("i", event)
	// UNION (not UNION ALL) makes the recursion stop on loops.
	q := `WITH RECURSIVE reach(id) AS (
			SELECT CAST(? AS BIGINT)
			UNION
			SELECT i.` + other + ` FROM tag_inheritance i JOIN reach r ON i.` + self + ` = r.id WHERE ` + a1 + `
		)
		SELECT i.tag_id, i.parent_id, t.name, i.priority, i.maxdepth, i.intransitive, i.noconfig, i.pkg_filter
		FROM tag_inheritance i JOIN tag t ON t.id = i.` + other + `
		WHERE i.` + self + ` IN (SELECT id FROM reach) AND ` + a2 + `
		ORDER BY i.priority, i.` + other
	args := append(append([]any{tagID}, args1...), args2...)
	var rows []Link
	if err := tx.Select(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("read inheritance from tag %d: %w", tagID, err)
	}
	out := map[int64][]Link{}
	for _, l := range rows {
		from := l.TagID
		if reverse {
			from = l.ParentID
		}
		out[from] = append(out[from], l)
	}
	return out, nil
}

// ExtraWithKey lists the current tag_extra rows with this key, of live tags.
func ExtraWithKey(ctx context.Context, tx *Tx, key string) ([]ExtraRow, error) {
	var out []ExtraRow
	err := tx.Select(ctx, &out, `SELECT e.tag_id, e.key, e.value FROM tag_extra e
		JOIN tag_config tc ON tc.tag_id = e.tag_id AND tc.active = TRUE WHERE e.active = TRUE AND e.key = ?`, key)
	if err != nil {
		return nil, fmt.Errorf("read tag extra %s: %w", key, err)
	}
	return out, nil
}
