package store

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/gokoji/gokoji/schema"
)

// Migrate applies the numbered migrations under schema/ that this database has
// not seen, each in its own transaction. On PostgreSQL an advisory lock keeps
// several hubs starting at once from racing.
func (db *DB) Migrate(ctx context.Context) error {
	files, err := migrationFiles()
	if err != nil {
		return err
	}
	return db.InTx(ctx, true, func(tx *Tx) error {
		if db.Dialect == Postgres {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(4242001)"); err != nil {
				return fmt.Errorf("lock for migrations: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var done []int
		if err := tx.Select(ctx, &done, "SELECT version FROM schema_migrations"); err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		applied := make(map[int]bool, len(done))
		for _, v := range done {
			applied[v] = true
		}
		for _, m := range files {
			if applied[m.version] {
				continue
			}
			body, err := fs.ReadFile(schema.Files, m.name)
			if err != nil {
				return err
			}
			if m.only != "" && m.only != db.Dialect {
				body = nil // recorded as applied: it does not concern this backend
			}
			for _, stmt := range splitStatements(db.Dialect.expandSchema(string(body))) {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return fmt.Errorf("migration %s: %w\n%s", m.name, err, stmt)
				}
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
				m.version, m.name); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// migration is one file of schema/. A name ending in .postgres.sql (or
// .sqlite.sql) marks a migration that only that backend runs, such as a
// column type change SQLite has no need or syntax for.
type migration struct {
	version int
	name    string
	only    Dialect // "" for every backend
}

func migrationFiles() ([]migration, error) {
	names, err := fs.Glob(schema.Files, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		num, _, ok := strings.Cut(n, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %q: name must start with a number and '_'", n)
		}
		m := migration{version: v, name: n}
		for _, d := range []Dialect{SQLite, Postgres} {
			if strings.HasSuffix(n, "."+string(d)+".sql") {
				m.only = d
			}
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// splitStatements cuts a migration at semicolons that end a line. Migrations
// are ours, so this simple rule is enough: no semicolons at line ends inside
// string literals.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
