package store

import (
	"context"
	"fmt"
)

// Tables of the form (id, name UNIQUE) that Koji looks names up in.
var namedTables = map[string]bool{
	"tag": true, "package": true, "build_target": true, "groups": true,
	"external_repo": true, "permissions": true, "content_generator": true,
	"volume": true, // looked up here; created by CreateVolume (its ids are not generated)
}

// NameByID looks up an (id, name) row by id; nil when missing.
func NameByID(ctx context.Context, tx *Tx, table string, id int64) (*NamedID, error) {
	return lookupNamed(ctx, tx, table, "id", id)
}

// NameByName looks up an (id, name) row by name; nil when missing.
func NameByName(ctx context.Context, tx *Tx, table, name string) (*NamedID, error) {
	return lookupNamed(ctx, tx, table, "name", name)
}

func lookupNamed(ctx context.Context, tx *Tx, table, column string, v any) (*NamedID, error) {
	if !namedTables[table] {
		return nil, fmt.Errorf("lookup in %q: not a named table", table)
	}
	var out []NamedID
	if err := tx.Select(ctx, &out, "SELECT id, name FROM "+table+" WHERE "+column+" = ?", v); err != nil {
		return nil, fmt.Errorf("look up %s by %s: %w", table, column, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// CreateName inserts a name and returns its id.
func CreateName(ctx context.Context, tx *Tx, table, name string) (int64, error) {
	if !namedTables[table] || table == "volume" {
		return 0, fmt.Errorf("insert into %q: not a named table with generated ids", table)
	}
	id, err := tx.InsertID(ctx, "INSERT INTO "+table+" (name) VALUES (?)", name)
	if err != nil {
		return 0, fmt.Errorf("create %s %q: %w", table, name, err)
	}
	return id, nil
}

// RenameNamed changes the name of an (id, name) row.
func RenameNamed(ctx context.Context, tx *Tx, table string, id int64, name string) error {
	if !namedTables[table] {
		return fmt.Errorf("rename in %q: not a named table", table)
	}
	// Koji does not version names, but a rename still marks a new event so
	// answers cached per event (api's resultCache) see it.
	if _, err := tx.Event(ctx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "UPDATE "+table+" SET name = ? WHERE id = ?", name, id); err != nil {
		return fmt.Errorf("rename %s %d: %w", table, id, err)
	}
	return nil
}
