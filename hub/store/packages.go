package store

import (
	"context"
	"fmt"

	"github.com/gokoji/gokoji/hub"
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
// oldest entry first (the order Koji's answers show). Entries and owners are
// read by two plain queries and joined here: a single four-way join lets
// PostgreSQL pick a quadratic plan before it has statistics.
func PackageEntries(ctx context.Context, tx *Tx, f PackageFilter, event *int64) ([]PackageEntry, error) {
	var c conds
	asOf, asOfArgs := AsOf("tp", event)
	c.add(asOf, asOfArgs...)
	if f.TagIDs != nil {
		in, inArgs := InList(f.TagIDs)
		c.add("tp.tag_id IN "+in, inArgs...)
	}
	if f.PackageID != nil {
		c.add("tp.package_id = ?", *f.PackageID)
	}
	if f.WithBlocked != nil && !*f.WithBlocked {
		c.add("tp.blocked = FALSE")
	}
	rows, err := tx.Query(ctx, `SELECT tp.package_id, p.name, tp.tag_id, t.name, tp.extra_arches, tp.blocked
		FROM tag_packages tp JOIN package p ON p.id = tp.package_id JOIN tag t ON t.id = tp.tag_id
		`+c.where()+" ORDER BY tp.create_event, tp.package_id", c.args...)
	if err != nil {
		return nil, fmt.Errorf("read package lists: %w", err)
	}
	var out []PackageEntry
	for rows.Next() {
		var e PackageEntry
		// Scanned by position: this query feeds large inherited lists.
		if err := rows.Scan(&e.PackageID, &e.PackageName, &e.TagID, &e.TagName, &e.ExtraArches, &e.Blocked); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read package lists: %w", err)
		}
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read package lists: %w", err)
	}
	if f.NoOwners {
		return out, nil
	}
	owners, err := packageOwners(ctx, tx, f, event)
	if err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, e := range out {
		o, ok := owners[[2]int64{e.TagID, e.PackageID}]
		if !ok {
			continue // an entry without an owner row is not listed, as with Koji's join
		}
		e.OwnerID, e.OwnerName = &o.id, &o.name
		kept = append(kept, e)
	}
	return kept, nil
}

type ownerRef struct {
	id   int64
	name string
}

// packageOwners maps (tag, package) to the owner, for the rows f selects.
func packageOwners(ctx context.Context, tx *Tx, f PackageFilter, event *int64) (map[[2]int64]ownerRef, error) {
	var c conds
	asOf, asOfArgs := AsOf("o", event)
	c.add(asOf, asOfArgs...)
	if f.TagIDs != nil {
		in, inArgs := InList(f.TagIDs)
		c.add("o.tag_id IN "+in, inArgs...)
	}
	if f.PackageID != nil {
		c.add("o.package_id = ?", *f.PackageID)
	}
	if f.UserID != nil {
		c.add("o.owner = ?", *f.UserID)
	}
	rows, err := tx.Query(ctx, "SELECT o.tag_id, o.package_id, o.owner, u.name FROM tag_package_owners o JOIN users u ON u.id = o.owner"+
		c.where(), c.args...)
	if err != nil {
		return nil, fmt.Errorf("read package owners: %w", err)
	}
	defer rows.Close()
	out := map[[2]int64]ownerRef{}
	for rows.Next() {
		var tag, pkg int64
		var o ownerRef
		if err := rows.Scan(&tag, &pkg, &o.id, &o.name); err != nil {
			return nil, fmt.Errorf("read package owners: %w", err)
		}
		out[[2]int64{tag, pkg}] = o
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

// PackageByName returns the package or nil.
func PackageByName(ctx context.Context, tx *Tx, name string) (*hub.Package, error) {
	return packageBy(ctx, tx, "name", name)
}

// PackageByID returns the package or nil.
func PackageByID(ctx context.Context, tx *Tx, id int64) (*hub.Package, error) {
	return packageBy(ctx, tx, "id", id)
}

func packageBy(ctx context.Context, tx *Tx, col string, v any) (*hub.Package, error) {
	var rows []hub.Package
	if err := tx.Select(ctx, &rows, "SELECT id, name FROM package WHERE "+col+" = ?", v); err != nil {
		return nil, fmt.Errorf("look up package by %s: %w", col, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// EnsurePackage returns the package of that name, creating it if needed.
// The caller validates the name.
func EnsurePackage(ctx context.Context, tx *Tx, name string) (*hub.Package, error) {
	p, err := PackageByName(ctx, tx, name)
	if err != nil || p != nil {
		return p, err
	}
	id, err := tx.InsertID(ctx, "INSERT INTO package (name) VALUES (?)", name)
	if err != nil {
		return nil, fmt.Errorf("create package %s: %w", name, err)
	}
	return &hub.Package{ID: id, Name: name}, nil
}
