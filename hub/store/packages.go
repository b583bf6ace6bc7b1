package store

import (
	"context"
	"fmt"
	"strings"
)

// PackageEntry is one row of a tag's package list with its owner.
type PackageEntry struct {
	PackageID   int64   `db:"package_id"`
	PackageName string  `db:"package_name"`
	TagID       int64   `db:"tag_id"`
	TagName     string  `db:"tag_name"`
	ExtraArches *string `db:"extra_arches"`
	Blocked     bool    `db:"blocked"`
	OwnerID     *int64  `db:"owner_id"`
	OwnerName   *string `db:"owner_name"`
}

// PackageFilter selects package list rows; nil fields match everything.
type PackageFilter struct {
	TagIDs      []int64
	UserID      *int64
	PackageID   *int64
	NoOwners    bool // skip the owner join (Koji's with_owners=False)
	WithBlocked *bool
}

// PackageEntries reads the direct package list rows matching f as of event,
// oldest entry first (the order Koji's answers show).
func PackageEntries(ctx context.Context, tx *Tx, f PackageFilter, event *int64) ([]PackageEntry, error) {
	asOf, args := AsOf("tp", event)
	cols := "tp.package_id, p.name AS package_name, tp.tag_id, t.name AS tag_name, tp.extra_arches, tp.blocked"
	from := " FROM tag_packages tp JOIN package p ON p.id = tp.package_id JOIN tag t ON t.id = tp.tag_id"
	where := []string{asOf}
	if !f.NoOwners {
		oAsOf, oArgs := AsOf("o", event)
		cols += ", o.owner AS owner_id, u.name AS owner_name"
		from += " JOIN tag_package_owners o ON o.tag_id = tp.tag_id AND o.package_id = tp.package_id AND " + oAsOf +
			" JOIN users u ON u.id = o.owner"
		args = append(oArgs, args...)
	}
	if f.TagIDs != nil {
		in, inArgs := InList(f.TagIDs)
		where = append(where, "tp.tag_id IN "+in)
		args = append(args, inArgs...)
	}
	if f.UserID != nil {
		where = append(where, "o.owner = ?")
		args = append(args, *f.UserID)
	}
	if f.PackageID != nil {
		where = append(where, "tp.package_id = ?")
		args = append(args, *f.PackageID)
	}
	if f.WithBlocked != nil && !*f.WithBlocked {
		where = append(where, "tp.blocked = FALSE")
	}
	q := "SELECT " + cols + from + " WHERE " + strings.Join(where, " AND ") + " ORDER BY tp.create_event, tp.package_id"
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read package lists: %w", err)
	}
	defer rows.Close()
	var out []PackageEntry
	for rows.Next() {
		var e PackageEntry
		// Scanned by position: this query feeds large inherited lists.
		dest := []any{&e.PackageID, &e.PackageName, &e.TagID, &e.TagName, &e.ExtraArches, &e.Blocked}
		if !f.NoOwners {
			dest = append(dest, &e.OwnerID, &e.OwnerName)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read package lists: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListPackageNames lists packages (id, name), optionally by name prefix.
func ListPackageNames(ctx context.Context, tx *Tx, prefix string) ([]NamedID, error) {
	q := "SELECT id, name FROM package"
	var args []any
	if prefix != "" {
		q += " WHERE name " + tx.Dialect.CaseInsensitiveLike() + " ? ESCAPE '\\'"
		args = append(args, likeEscape(prefix)+"%")
	}
	var out []NamedID
	if err := tx.Select(ctx, &out, q+" ORDER BY id", args...); err != nil {
		return nil, fmt.Errorf("list packages: %w", err)
	}
	return out, nil
}
