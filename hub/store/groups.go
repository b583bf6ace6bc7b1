package store

import (
	"context"
	"fmt"
)

// Versioned tables of comps groups.
var (
	GroupConfig         = Versioned{Table: "group_config", TagColumn: "tag_id"} // comps shape repos
	GroupReqListing     = Versioned{Table: "group_req_listing", TagColumn: "tag_id"}
	GroupPackageListing = Versioned{Table: "group_package_listing", TagColumn: "tag_id"}
)

// GroupRow is one group_config row with the group's name.
type GroupRow struct {
	Name        string  `db:"name"`
	GroupID     int64   `db:"group_id"`
	TagID       int64   `db:"tag_id"`
	Blocked     bool    `db:"blocked"`
	Exported    *bool   `db:"exported"`
	DisplayName string  `db:"display_name"`
	IsDefault   *bool   `db:"is_default"`
	UserVisible *bool   `db:"uservisible"`
	Description *string `db:"description"`
	LangOnly    *string `db:"langonly"`
	BiarchOnly  *bool   `db:"biarchonly"`
}

// GroupPackageRow is one group_package_listing row.
type GroupPackageRow struct {
	GroupID      int64   `db:"group_id"`
	TagID        int64   `db:"tag_id"`
	Package      string  `db:"package"`
	Blocked      bool    `db:"blocked"`
	Type         string  `db:"type"`
	BasearchOnly *bool   `db:"basearchonly"`
	Requires     *string `db:"requires"`
}

// GroupReqRow is one group_req_listing row with the required group's name.
type GroupReqRow struct {
	GroupID   int64   `db:"group_id"`
	TagID     int64   `db:"tag_id"`
	ReqID     int64   `db:"req_id"`
	Blocked   bool    `db:"blocked"`
	Type      *string `db:"type"`
	IsMetapkg bool    `db:"is_metapkg"`
	Name      string  `db:"name"`
}

// GroupConfigs reads the group_config rows of the tags as of event, oldest
// first within a tag. Callers order tags by inheritance themselves.
func GroupConfigs(ctx context.Context, tx *Tx, tagIDs []int64, event *int64) ([]GroupRow, error) {
	if len(tagIDs) == 0 {
		return nil, nil
	}
	asOf, args := AsOf("gc", event)
	in, inArgs := InList(tagIDs)
	var out []GroupRow
	err := tx.Select(ctx, &out, `SELECT g.name, gc.group_id, gc.tag_id, gc.blocked, gc.exported, gc.display_name,
		gc.is_default, gc.uservisible, gc.description, gc.langonly, gc.biarchonly
		FROM group_config gc JOIN groups g ON g.id = gc.group_id
		WHERE `+asOf+` AND gc.tag_id IN `+in+` ORDER BY gc.create_event, gc.group_id`, append(args, inArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("read group_config: %w", err)
	}
	return out, nil
}

// GroupPackages reads the group_package_listing rows of the tags as of event.
func GroupPackages(ctx context.Context, tx *Tx, tagIDs []int64, event *int64) ([]GroupPackageRow, error) {
	if len(tagIDs) == 0 {
		return nil, nil
	}
	asOf, args := AsOf("", event)
	in, inArgs := InList(tagIDs)
	var out []GroupPackageRow
	err := tx.Select(ctx, &out, `SELECT group_id, tag_id, package, blocked, type, basearchonly, requires
		FROM group_package_listing WHERE `+asOf+` AND tag_id IN `+in+` ORDER BY create_event, package`,
		append(args, inArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("read group_package_listing: %w", err)
	}
	return out, nil
}

// GroupReqs reads the group_req_listing rows of the tags as of event.
func GroupReqs(ctx context.Context, tx *Tx, tagIDs []int64, event *int64) ([]GroupReqRow, error) {
	if len(tagIDs) == 0 {
		return nil, nil
	}
	asOf, args := AsOf("r", event)
	in, inArgs := InList(tagIDs)
	var out []GroupReqRow
	err := tx.Select(ctx, &out, `SELECT r.group_id, r.tag_id, r.req_id, r.blocked, r.type, r.is_metapkg, g.name
		FROM group_req_listing r JOIN groups g ON g.id = r.req_id
		WHERE `+asOf+` AND r.tag_id IN `+in+` ORDER BY r.create_event, r.req_id`, append(args, inArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("read group_req_listing: %w", err)
	}
	return out, nil
}

// ActiveBlocked reports whether the tag's own active row in a group table
// (selected by where) exists and is blocked: what the unblock calls check.
func ActiveBlocked(ctx context.Context, tx *Tx, table string, where map[string]any) (bool, error) {
	switch table {
	case "group_config", "group_req_listing", "group_package_listing":
	default:
		return false, fmt.Errorf("ActiveBlocked: bad table %q", table)
	}
	cond, args := equalities(where)
	var rows []bool
	if err := tx.Select(ctx, &rows, "SELECT blocked FROM "+table+" WHERE active = TRUE"+cond, args...); err != nil {
		return false, fmt.Errorf("read %s: %w", table, err)
	}
	return len(rows) > 0 && rows[0], nil
}
