package api_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// The speed targets for tags, measured in-process through the
// dispatcher (lookup, binding, transaction, SQL, result building); the HTTP
// and XML cost of a call is measured by hub/server's benchmarks.

func benchDispatcher(b *testing.B, db *store.DB, configure ...func(*api.Config)) *api.Dispatcher {
	b.Helper()
	if _, err := api.Bootstrap(context.Background(), db, hubtest.AdminPassword); err != nil {
		b.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	cfg := api.DefaultConfig()
	for _, f := range configure {
		f(&cfg)
	}
	return api.NewDispatcher(db, cfg, log)
}

func mustTx(b *testing.B, db *store.DB, fn func(tx *store.Tx) error) {
	b.Helper()
	if err := db.InTx(context.Background(), true, fn); err != nil {
		b.Fatal(err)
	}
}

// newTag creates a tag row with a config, as createTag does.
func newTag(ctx context.Context, tx *store.Tx, name string) (int64, error) {
	id, err := store.CreateName(ctx, tx, "tag", name)
	if err != nil {
		return 0, err
	}
	return id, store.TagConfig.Insert(ctx, tx, 1, map[string]any{"tag_id": id, "arches": "x86_64", "locked": false,
		"maven_support": false, "maven_include_all": false})
}

func storeLink(ctx context.Context, tx *store.Tx, child, parent, priority int64) error {
	return store.TagInheritance.Insert(ctx, tx, 1, map[string]any{"tag_id": child, "parent_id": parent,
		"priority": priority, "maxdepth": nil, "intransitive": false, "noconfig": false, "pkg_filter": ""})
}

func handle(b *testing.B, d *api.Dispatcher, method string, params ...any) any {
	res, err := d.Handle(context.Background(), &api.Request{Method: method, Params: params, RemoteIP: "127.0.0.1"})
	if err != nil {
		b.Fatalf("%s: %v", method, err)
	}
	return res
}

// BenchmarkFullInheritance300 walks a 300-tag inheritance tree 10 levels deep.
func BenchmarkFullInheritance300(b *testing.B) {
	for _, backend := range hubtest.Backends {
		b.Run(string(backend), func(b *testing.B) {
			db := hubtest.OpenDB(b, backend)
			d := benchDispatcher(b, db)
			ctx := context.Background()
			var root int64
			mustTx(b, db, func(tx *store.Tx) error {
				var err error
				if root, err = newTag(ctx, tx, "root"); err != nil {
					return err
				}
				level := []int64{root}
				n := 1
				for depth := 1; depth <= 10; depth++ {
					var next []int64
					for i := 0; i < 30 && n < 300; i++ {
						id, err := newTag(ctx, tx, fmt.Sprintf("t%d-%d", depth, i))
						if err != nil {
							return err
						}
						child := level[i%len(level)]
						if err := storeLink(ctx, tx, child, id, int64(i)); err != nil {
							return err
						}
						next = append(next, id)
						n++
					}
					level = next
				}
				return nil
			})
			got := handle(b, d, "getFullInheritance", root)
			if len(got.([]map[string]any)) != 299 {
				b.Fatalf("walk has %d links, want 299", len(got.([]map[string]any)))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				handle(b, d, "getFullInheritance", root)
			}
		})
	}
}

// BenchmarkListPackagesInherited20k lists a tag that inherits 20,000
// packages through three levels.
// The "uncached" runs turn the result cache off, to show the cost of the
// query itself.
func BenchmarkListPackagesInherited20k(b *testing.B) {
	for _, run := range []struct {
		name  string
		b     hubtest.Backend
		cache int
	}{{"sqlite", hubtest.SQLite, 2_000_000}, {"sqlite-uncached", hubtest.SQLite, 0}, {"postgres", hubtest.Postgres, 2_000_000}, {"postgres-uncached", hubtest.Postgres, 0}} {
		backend := run.b
		b.Run(run.name, func(b *testing.B) {
			db := hubtest.OpenDB(b, backend)
			d := benchDispatcher(b, db, func(c *api.Config) { c.ResultCacheRows = run.cache })
			ctx := context.Background()
			var top int64
			mustTx(b, db, func(tx *store.Tx) error {
				var ids [3]int64
				for i := range ids {
					id, err := newTag(ctx, tx, fmt.Sprintf("lvl%d", i))
					if err != nil {
						return err
					}
					ids[i] = id
				}
				top = ids[0]
				if err := storeLink(ctx, tx, ids[0], ids[1], 0); err != nil {
					return err
				}
				if err := storeLink(ctx, tx, ids[1], ids[2], 0); err != nil {
					return err
				}
				ev, err := tx.Event(ctx)
				if err != nil {
					return err
				}
				stmts := []string{
					`INSERT INTO package (name) WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 20000)
					 SELECT 'pkg' || CAST(n AS TEXT) FROM seq`,
					// Half the packages in the grandparent, half in the parent.
					`INSERT INTO tag_packages (package_id, tag_id, blocked, create_event, creator_id, active)
					 SELECT id, CASE WHEN id % 2 = 0 THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END, FALSE, ?, 1, TRUE FROM package`,
					`INSERT INTO tag_package_owners (package_id, tag_id, owner, create_event, creator_id, active)
					 SELECT package_id, tag_id, 1, ?, 1, TRUE FROM tag_packages`,
				}
				args := [][]any{nil, {ids[1], ids[2], ev}, {ev}}
				for i, s := range stmts {
					if _, err := tx.Exec(ctx, s, args[i]...); err != nil {
						return err
					}
				}
				return nil
			})
			kw := map[string]any{"__starstar": true, "tagID": top, "inherited": true}
			if n := hubtest.Len(handle(b, d, "listPackages", kw)); n != 20000 {
				b.Fatalf("listPackages has %d entries, want 20000", n)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				handle(b, d, "listPackages", kw)
			}
		})
	}
}

// BenchmarkGetTagAtEvent reads a tag as of an event in the middle of 1,000
// config revisions.
func BenchmarkGetTagAtEvent(b *testing.B) {
	for _, backend := range hubtest.Backends {
		b.Run(string(backend), func(b *testing.B) {
			db := hubtest.OpenDB(b, backend)
			d := benchDispatcher(b, db)
			ctx := context.Background()
			var tagID, mid int64
			mustTx(b, db, func(tx *store.Tx) error {
				var err error
				tagID, err = newTag(ctx, tx, "busy")
				return err
			})
			for i := 0; i < 1000; i++ {
				mustTx(b, db, func(tx *store.Tx) error {
					if _, err := store.TagConfig.Revoke(ctx, tx, 1, map[string]any{"tag_id": tagID}); err != nil {
						return err
					}
					if i == 500 {
						ev, err := tx.Event(ctx)
						if err != nil {
							return err
						}
						mid = ev
					}
					return store.TagConfig.Insert(ctx, tx, 1, map[string]any{"tag_id": tagID, "arches": fmt.Sprintf("arch%d", i),
						"locked": false, "maven_support": false, "maven_include_all": false})
				})
			}
			kw := map[string]any{"__starstar": true, "event": mid}
			got := handle(b, d, "getTag", tagID, kw).(map[string]any)
			if *got["arches"].(*string) != "arch500" {
				b.Fatalf("getTag at event %d: arches %v, want arch500", mid, *got["arches"].(*string))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				handle(b, d, "getTag", tagID, kw)
			}
		})
	}
}
