package store

import (
	"context"
	"fmt"

	"github.com/gokoji/gokoji/hub"
)

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
