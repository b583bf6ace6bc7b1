// Package schema holds the hub's numbered SQL migrations. They are written once
// for both SQLite and PostgreSQL; the few spellings that differ are tokens that
// the store replaces (see store/dialect.go). A migration named *.postgres.sql
// (or *.sqlite.sql) runs on that backend only, and counts as applied on the
// other (store/migrate.go).
package schema

import "embed"

// Files holds the migrations, applied in file-name order.
//
//go:embed *.sql
var Files embed.FS
