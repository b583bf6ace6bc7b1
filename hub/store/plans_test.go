package store_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

type capturedQuery struct {
	sql  string
	args []any
}

var fromJoin = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?`)

// versionedAliases maps the names a query gives the versioned tables it
// reads (the table name itself and any alias) to the table.
func versionedAliases(sql string) map[string]string {
	versioned := map[string]bool{}
	for _, n := range store.HistoryTableNames() {
		versioned[n] = true
	}
	out := map[string]string{}
	for _, m := range fromJoin.FindAllStringSubmatch(sql, -1) {
		if !versioned[m[1]] {
			continue
		}
		out[m[1]] = m[1]
		switch strings.ToUpper(m[2]) {
		case "", "ON", "WHERE", "JOIN", "LEFT", "ORDER", "GROUP", "LIMIT":
		default:
			out[m[2]] = m[1]
		}
	}
	return out
}

// TestPlansUseIndexes runs EXPLAIN on the queries behind getTag,
// getInheritanceData, getFullInheritance, listPackages and queryHistory's tag
// filter, as of a past event and now, and fails when a versioned table is
// read by a full scan. On PostgreSQL sequential scans are disabled inside the
// transaction (tiny tables would otherwise always be scanned), so a remaining
// "Seq Scan" means no index can serve the query.
// Run alone with: go test -run Plans -v ./hub/store/
func TestPlansUseIndexes(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		var uid, tagA, tagB, pkg, ev int64
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			var err error
			if uid, err = store.CreateUser(ctx, tx, store.NewUser{Name: "planner"}); err != nil {
				return err
			}
			if tagA, err = store.CreateName(ctx, tx, "tag", "a"); err != nil {
				return err
			}
			if tagB, err = store.CreateName(ctx, tx, "tag", "b"); err != nil {
				return err
			}
			if pkg, err = store.CreateName(ctx, tx, "package", "p"); err != nil {
				return err
			}
			for _, id := range []int64{tagA, tagB} {
				if err := store.TagConfig.Insert(ctx, tx, uid, map[string]any{"tag_id": id, "locked": false}); err != nil {
					return err
				}
			}
			if err := store.TagInheritance.Insert(ctx, tx, uid, map[string]any{"tag_id": tagB, "parent_id": tagA, "priority": 0,
				"intransitive": false, "noconfig": false, "pkg_filter": ""}); err != nil {
				return err
			}
			if err := store.TagPackages.Insert(ctx, tx, uid, map[string]any{"tag_id": tagA, "package_id": pkg, "blocked": false}); err != nil {
				return err
			}
			if err := store.TagPackageOwners.Insert(ctx, tx, uid, map[string]any{"tag_id": tagA, "package_id": pkg, "owner": uid}); err != nil {
				return err
			}
			ev, err = tx.Event(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		tx, queries, undo := capturing(t, db)
		for _, event := range []*int64{&ev, nil} {
			steps := []struct {
				name string
				run  func() error
			}{
				{"getTag", func() error { _, err := store.TagAt(ctx, tx, "name", "b", event); return err }},
				{"getInheritanceData", func() error { _, err := store.DirectLinks(ctx, tx, tagB, event, false); return err }},
				{"getFullInheritance", func() error { _, err := store.ReachableLinks(ctx, tx, tagB, event, false); return err }},
				{"getFullInheritance reverse", func() error { _, err := store.ReachableLinks(ctx, tx, tagA, event, true); return err }},
				{"listPackages", func() error {
					_, err := store.PackageEntries(ctx, tx, store.PackageFilter{TagIDs: []int64{tagB, tagA}}, event)
					return err
				}},
			}
			for _, s := range steps {
				if err := s.run(); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
			}
		}
		for _, name := range []string{"tag_config", "tag_inheritance", "tag_packages", "tag_package_owners", "tag_extra",
			"group_config", "tag_external_repos", "build_target_config"} {
			tbl, _ := store.LookupHistoryTable(name)
			if _, err := store.QueryHistory(ctx, tx, tbl, store.HistoryQuery{Filters: map[string]int64{"tag": tagA}}); err != nil {
				t.Fatalf("history of %s: %v", name, err)
			}
		}
		undo()
		if len(*queries) == 0 {
			t.Fatal("no queries were captured")
		}
		if db.Dialect == store.Postgres {
			if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range *queries {
			plan := explain(t, tx, db.Dialect, q)
			aliases := versionedAliases(q.sql)
			if len(aliases) == 0 {
				continue
			}
			for i, line := range plan {
				if db.Dialect == store.Postgres {
					checkPostgresNode(t, q.sql, plan, i, aliases)
				}
				if db.Dialect == store.SQLite {
					f := strings.Fields(line)
					if len(f) >= 2 && f[0] == "SCAN" && aliases[f[1]] != "" && !strings.Contains(line, "USING") {
						t.Errorf("full scan of %s:\n%s\nplan:\n%s", aliases[f[1]], q.sql, strings.Join(plan, "\n"))
					}
				} else if strings.Contains(line, "Seq Scan on ") {
					f := strings.Fields(line[strings.Index(line, "Seq Scan on ")+len("Seq Scan on "):])
					if len(f) > 0 && aliases[f[0]] != "" {
						t.Errorf("sequential scan of %s:\n%s\nplan:\n%s", f[0], q.sql, strings.Join(plan, "\n"))
					}
				}
			}
			if db.Dialect == store.Postgres && !strings.Contains(strings.Join(plan, "\n"), "Index") {
				t.Errorf("no index used:\n%s\nplan:\n%s", q.sql, strings.Join(plan, "\n"))
			}
			if testing.Verbose() {
				t.Logf("%s\n  %s", oneLine(q.sql), strings.Join(plan, "\n  "))
			}
		}
	})
}

// capturing begins a write transaction, rolled back when the test ends (a
// write one for SET LOCAL; nothing is written), and records every read
// query until stop is called.
func capturing(t *testing.T, db *store.DB) (tx *store.Tx, queries *[]capturedQuery, stop func()) {
	t.Helper()
	tx, err := db.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tx.Rollback)
	queries = new([]capturedQuery)
	stop = tx.SetQueryHook(func(q string, args []any) { *queries = append(*queries, capturedQuery{q, args}) })
	return tx, queries, stop
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func explain(t *testing.T, tx *store.Tx, d store.Dialect, q capturedQuery) []string {
	t.Helper()
	prefix := "EXPLAIN "
	if d == store.SQLite {
		prefix = "EXPLAIN QUERY PLAN "
	}
	rows, err := tx.Query(ctx, prefix+q.sql, q.args...)
	if err != nil {
		t.Fatalf("explain %s: %v", q.sql, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			t.Fatal(err)
		}
		// SQLite: id, parent, notused, detail; PostgreSQL: one text column.
		out = append(out, fmt.Sprint(vals[len(vals)-1]))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var pgScan = regexp.MustCompile(`Scan (?:using \S+ )?on (\w+)(?: (\w+))?`)

// checkPostgresNode fails when plan line i is an index scan of a versioned
// table without an index condition: a full index scan is a full scan too.
func checkPostgresNode(t *testing.T, sql string, plan []string, i int, aliases map[string]string) {
	t.Helper()
	m := pgScan.FindStringSubmatch(plan[i])
	if m == nil || strings.Contains(plan[i], "Bitmap") {
		return // bitmap scans are driven by an index scan below them
	}
	table := aliases[m[1]]
	if table == "" {
		return
	}
	for _, l := range plan[i+1:] {
		if strings.Contains(l, "->") {
			break
		}
		if strings.Contains(l, "Index Cond:") || strings.Contains(l, "Recheck Cond:") {
			return
		}
	}
	t.Errorf("scan of %s without an index condition:\n%s\nplan:\n%s", table, sql, strings.Join(plan, "\n"))
}
