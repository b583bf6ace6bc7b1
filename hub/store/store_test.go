package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

var ctx = context.Background()

func TestMigrateIsIdempotent(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		err := db.InTx(ctx, false, func(tx *store.Tx) error {
			var n int
			if err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM permissions"); err != nil {
				return err
			}
			if n != 15 {
				t.Errorf("%d built-in permissions, want Koji's 15", n)
			}
			p, err := store.PermByName(ctx, tx, "draft-promoter")
			if err != nil || p == nil || p.ID != 15 {
				t.Errorf("draft-promoter = %v, %v; want id 15 as in Koji", p, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestVersionedRows checks the mechanism every versioned table shares: one
// event per transaction, revoke instead of delete, and "as of event N".
func TestVersionedRows(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		var uid, ev1, ev2 int64
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			var err error
			if uid, err = store.CreateUser(ctx, tx, store.NewUser{Name: "u1"}); err != nil {
				return err
			}
			for _, perm := range []int64{1, 2} {
				if err := store.UserPerms.Insert(ctx, tx, uid, map[string]any{"user_id": uid, "perm_id": perm}); err != nil {
					return err
				}
			}
			ev1, err = tx.Event(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, true, func(tx *store.Tx) error {
			n, err := store.UserPerms.Revoke(ctx, tx, uid, map[string]any{"user_id": uid, "perm_id": int64(1)})
			if err != nil || n != 1 {
				t.Errorf("revoke: %d rows, %v", n, err)
			}
			ev2, err = tx.Event(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ev2 <= ev1 {
			t.Fatalf("events not increasing: %d then %d", ev1, ev2)
		}
		before := ev1 - 1
		cases := []struct {
			event *int64
			want  int
		}{{&before, 0}, {&ev1, 2}, {&ev2, 1}, {nil, 1}}
		err = db.InTx(ctx, false, func(tx *store.Tx) error {
			for _, c := range cases {
				src, err := store.UserPermSources(ctx, tx, uid, false, c.event)
				if err != nil {
					return err
				}
				if len(src) != c.want {
					t.Errorf("as of %v: %d rows, want %d", c.event, len(src), c.want)
				}
			}
			// The revoked row is kept, with its revoker and event.
			var revoked int
			err := tx.Get(ctx, &revoked, "SELECT COUNT(*) FROM user_perms WHERE user_id = ? AND active IS NULL AND revoke_event = ? AND revoker_id = ?", uid, ev2, uid)
			if revoked != 1 {
				t.Errorf("%d revoked rows, want 1", revoked)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestSavepointRollsBackAlone is what multiCall relies on.
func TestSavepointRollsBackAlone(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			if err := tx.Savepoint(ctx, func() error {
				_, err := store.CreateUser(ctx, tx, store.NewUser{Name: "kept"})
				return err
			}); err != nil {
				return err
			}
			err := tx.Savepoint(ctx, func() error {
				if _, err := store.CreateUser(ctx, tx, store.NewUser{Name: "dropped"}); err != nil {
					return err
				}
				_, err := store.CreateUser(ctx, tx, store.NewUser{Name: "kept"}) // unique violation
				return err
			})
			if err == nil || !store.IsUniqueViolation(err) {
				t.Errorf("duplicate user: %v, want a unique violation", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, false, func(tx *store.Tx) error {
			for name, want := range map[string]bool{"kept": true, "dropped": false} {
				u, err := store.UserBy(ctx, tx, "name", name)
				if err != nil {
					return err
				}
				if (u != nil) != want {
					t.Errorf("user %s present = %v, want %v", name, u != nil, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestReadTransactionsCannotWrite: read transactions use a read-only
// pool, so a method declared read-only cannot write by mistake, before or
// after it needs a transaction block.
func TestReadTransactionsCannotWrite(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		for _, savepoint := range []bool{false, true} {
			err := db.InTx(ctx, false, func(tx *store.Tx) error {
				write := func() error {
					_, err := store.CreateUser(ctx, tx, store.NewUser{Name: "x"})
					return err
				}
				if savepoint {
					return tx.Savepoint(ctx, write)
				}
				return write()
			})
			if err == nil {
				t.Errorf("a write in a read transaction succeeded (savepoint %v)", savepoint)
			}
		}
		var n int
		if err := db.InTx(ctx, false, func(tx *store.Tx) error {
			return tx.Get(ctx, &n, "SELECT COUNT(*) FROM users WHERE name = 'x'")
		}); err != nil || n != 0 {
			t.Errorf("users named x: %d (%v), want none", n, err)
		}
	})
}

// TestTagChangesRecorded: writes to tables that shape a tag's content leave
// a tag_changes row in the same transaction; a rolled-back savepoint leaves
// none.
func TestTagChangesRecorded(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		var a, b, uid int64
		count := func(tag int64) int {
			var n int
			db.InTx(ctx, false, func(tx *store.Tx) error {
				return tx.Get(ctx, &n, "SELECT COUNT(*) FROM tag_changes WHERE tag_id = ?", tag)
			})
			return n
		}
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			var err error
			if uid, err = store.CreateUser(ctx, tx, store.NewUser{Name: "u"}); err != nil {
				return err
			}
			if a, err = store.CreateName(ctx, tx, "tag", "a"); err != nil {
				return err
			}
			if b, err = store.CreateName(ctx, tx, "tag", "b"); err != nil {
				return err
			}
			for _, tag := range []int64{a, b} {
				if err := store.TagConfig.Insert(ctx, tx, uid, map[string]any{"tag_id": tag, "arches": "x86_64", "locked": false,
					"maven_support": false, "maven_include_all": false}); err != nil {
					return err
				}
			}
			return store.TagInheritance.Insert(ctx, tx, uid, map[string]any{"tag_id": b, "parent_id": a, "priority": 0,
				"intransitive": false, "noconfig": false, "pkg_filter": ""})
		})
		if err != nil {
			t.Fatal(err)
		}
		if count(a) != 1 || count(b) != 1 {
			t.Fatalf("changes: a %d, b %d; want one each per transaction", count(a), count(b))
		}
		// Revoking by parent marks the child, whose content it was.
		err = db.InTx(ctx, true, func(tx *store.Tx) error {
			_, err := store.TagInheritance.Revoke(ctx, tx, uid, map[string]any{"parent_id": a})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if count(b) != 2 || count(a) != 1 {
			t.Errorf("after revoke: a %d, b %d", count(a), count(b))
		}
		err = db.InTx(ctx, true, func(tx *store.Tx) error {
			return tx.Savepoint(ctx, func() error {
				if err := store.TagConfig.Insert(ctx, tx, uid, map[string]any{"tag_id": a, "arches": "", "locked": false,
					"maven_support": false, "maven_include_all": false}); err == nil {
					t.Error("a second active config was accepted")
				}
				return errors.New("roll back")
			})
		})
		if err == nil || count(a) != 1 {
			t.Errorf("rolled back savepoint: err %v, changes of a %d", err, count(a))
		}
	})
}

// TestPostgresReadsOutsideBlock: a read on PostgreSQL runs its statements
// without a transaction block until it needs one (savepoints, settings for
// the rest of the transaction), and such settings end with it rather than
// staying on the pooled connection.
func TestPostgresReadsOutsideBlock(t *testing.T) {
	db := hubtest.OpenDB(t, hubtest.Postgres)
	// Outside a block every statement is a transaction of its own.
	inBlock := func(tx *store.Tx) bool {
		t.Helper()
		var a, b string
		if err := tx.Get(ctx, &a, "SELECT CAST(pg_current_xact_id() AS TEXT)"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Get(ctx, &b, "SELECT CAST(pg_current_xact_id() AS TEXT)"); err != nil {
			t.Fatal(err)
		}
		return a == b
	}
	workMem := func(tx *store.Tx) string {
		t.Helper()
		var v string
		if err := tx.Get(ctx, &v, "SELECT current_setting('work_mem')"); err != nil {
			t.Fatal(err)
		}
		return v
	}
	tx, err := db.Begin(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if inBlock(tx) {
		t.Error("a read began a transaction block at once")
	}
	def := workMem(tx)
	if err := tx.Savepoint(ctx, func() error { return tx.Get(ctx, new(int), "SELECT 1") }); err != nil {
		t.Fatalf("savepoint in a read: %v", err)
	}
	if !inBlock(tx) {
		t.Error("no transaction block after a savepoint")
	}
	// Every build of a tag (not only the latest, which tag_latest's
	// copies answer with the planner's defaults) tunes the planner.
	if _, err := store.Tagged(ctx, tx, store.TaggedQuery{Tags: []int64{1}}); err != nil {
		t.Fatal(err)
	}
	if got := workMem(tx); got != "32MB" {
		t.Errorf("work_mem after Tagged = %s, want 32MB", got)
	}
	tx.Rollback()
	// Every later read gets the default again, whichever pooled
	// connection it is given.
	for i := 0; i < 3; i++ {
		err := db.InTx(ctx, false, func(tx *store.Tx) error {
			if got := workMem(tx); got != def {
				t.Errorf("a later read has work_mem %s, want %s", got, def)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// One package's builds need no tuning, so no block either.
	err = db.InTx(ctx, false, func(tx *store.Tx) error {
		pkg := "p"
		if _, err := store.Tagged(ctx, tx, store.TaggedQuery{Tags: []int64{1}, Latest: 1, Package: &pkg}); err != nil {
			return err
		}
		if inBlock(tx) {
			t.Error("a read of one package's builds began a transaction block")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Writes always run in a block.
	err = db.InTx(ctx, true, func(tx *store.Tx) error {
		if !inBlock(tx) {
			t.Error("a write runs outside a transaction block")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPostgresLastStatement: on PostgreSQL, the statement a write sends
// just before COMMIT carries the ExecAtCommit statement, the answers count
// and the AsyncCommit setting, in every combination of the three.
func TestPostgresLastStatement(t *testing.T) {
	db := hubtest.OpenDB(t, hubtest.Postgres)
	for _, c := range []struct {
		name         string
		last, keeps  bool
		async, count bool
	}{
		{name: "count", count: true},
		{name: "last+count", last: true, count: true},
		{name: "async+count", async: true, count: true},
		{name: "last+async+count", last: true, async: true, count: true},
		{name: "keeps", keeps: true},
		{name: "last+keeps", last: true, keeps: true},
		{name: "async+keeps", async: true, keeps: true},
		{name: "last+async+keeps", last: true, async: true, keeps: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tx, err := db.Begin(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			var before, after int64
			var holder, sync string
			if err := tx.Get(ctx, &before, "SELECT CAST(SUM(n) AS BIGINT) FROM answers_version"); err != nil {
				t.Fatal(err)
			}
			if c.last {
				tx.ExecAtCommit("UPDATE scheduler_lease SET holder = ? WHERE id = 1", "last-"+c.name)
			}
			if c.keeps {
				tx.KeepsCachedAnswers()
			}
			if c.async {
				tx.AsyncCommit()
			}
			if err := tx.ExecLast(ctx); err != nil {
				t.Fatal(err)
			}
			if err := tx.Get(ctx, &after, "SELECT CAST(SUM(n) AS BIGINT) FROM answers_version"); err != nil {
				t.Fatal(err)
			}
			if err := tx.Get(ctx, &holder, "SELECT COALESCE(holder, '') FROM scheduler_lease WHERE id = 1"); err != nil {
				t.Fatal(err)
			}
			if err := tx.Get(ctx, &sync, "SELECT current_setting('synchronous_commit')"); err != nil {
				t.Fatal(err)
			}
			if got, want := after-before, map[bool]int64{true: 1, false: 0}[c.count]; got != want {
				t.Errorf("answers count moved by %d, want %d", got, want)
			}
			if got := holder == "last-"+c.name; got != c.last {
				t.Errorf("ExecAtCommit statement ran: %v, want %v (holder %q)", got, c.last, holder)
			}
			if want := map[bool]string{true: "off", false: "on"}[c.async]; sync != want {
				t.Errorf("synchronous_commit = %s, want %s", sync, want)
			}
		})
	}
}

// TestPageZeroValue: a zero Page reads every row, as NoPage does; a limit
// or an offset cuts the answer in SQL.
func TestPageZeroValue(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		newLatestWorld(t, db) // 60 builds
		for _, tc := range []struct {
			name string
			page store.Page
			want int
		}{
			{"zero value", store.Page{}, 60},
			{"NoPage", store.NoPage, 60},
			{"limit", store.Page{Limit: 7}, 7},
			{"offset alone", store.Page{Offset: 55}, 5},
			{"offset and limit", store.Page{Offset: 58, Limit: 7}, 2},
		} {
			err := db.InTx(ctx, false, func(tx *store.Tx) error {
				got, err := store.ListBuilds(ctx, tx, store.BuildFilter{}, tc.page)
				if err != nil {
					return err
				}
				if len(got) != tc.want {
					t.Errorf("%s: %d builds, want %d", tc.name, len(got), tc.want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestCallerSessionPermsAndHost: asked for, the session read also gives the
// user's permissions (direct and through active groups, revoked ones left
// out, sorted and distinct) and its host, which the API then needs no query
// for; not asked for, neither.
func TestCallerSessionPermsAndHost(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		var plain, builder, plainSess, builderSess, hostID, event int64
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			admin, err := store.CreateUser(ctx, tx, store.NewUser{Name: "boss"})
			if err != nil {
				return err
			}
			perm := map[string]int64{}
			for _, name := range []string{"tag", "repo", "sign", "target"} {
				p, err := store.PermByName(ctx, tx, name)
				if err != nil || p == nil {
					return fmt.Errorf("permission %s: %v", name, err)
				}
				perm[name] = p.ID
			}
			if plain, err = store.CreateUser(ctx, tx, store.NewUser{Name: "plain"}); err != nil {
				return err
			}
			group, err := store.CreateUser(ctx, tx, store.NewUser{Name: "packagers", UserType: hub.UserTypeGroup})
			if err != nil {
				return err
			}
			oldGroup, err := store.CreateUser(ctx, tx, store.NewUser{Name: "former", UserType: hub.UserTypeGroup})
			if err != nil {
				return err
			}
			grants := []struct{ user, perm int64 }{
				{plain, perm["tag"]}, {plain, perm["sign"]}, {group, perm["repo"]}, {group, perm["tag"]}, {oldGroup, perm["target"]},
			}
			for _, g := range grants {
				if err := store.UserPerms.Insert(ctx, tx, admin, map[string]any{"user_id": g.user, "perm_id": g.perm}); err != nil {
					return err
				}
			}
			for _, grp := range []int64{group, oldGroup} {
				if err := store.UserGroups.Insert(ctx, tx, admin, map[string]any{"user_id": plain, "group_id": grp}); err != nil {
					return err
				}
			}
			// Revoked: sign directly, and membership of the old group.
			if _, err := store.UserPerms.Revoke(ctx, tx, admin, map[string]any{"user_id": plain, "perm_id": perm["sign"]}); err != nil {
				return err
			}
			if _, err := store.UserGroups.Revoke(ctx, tx, admin, map[string]any{"user_id": plain, "group_id": oldGroup}); err != nil {
				return err
			}
			if builder, err = store.CreateUser(ctx, tx, store.NewUser{Name: "builder1", UserType: hub.UserTypeHost}); err != nil {
				return err
			}
			if hostID, err = store.CreateHost(ctx, tx, admin, builder, "builder1", store.HostSettings{Enabled: true}); err != nil {
				return err
			}
			if plainSess, err = store.CreateSession(ctx, tx, store.Session{UserID: plain}); err != nil {
				return err
			}
			if builderSess, err = store.CreateSession(ctx, tx, store.Session{UserID: builder}); err != nil {
				return err
			}
			event, err = tx.Event(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name    string
			session int64
			user    int64
			perms   []string
			host    int64
		}{
			{"user in a group", plainSess, plain, []string{"repo", "tag"}, 0},
			{"host", builderSess, builder, []string{}, hostID},
		} {
			err := db.InTx(ctx, false, func(tx *store.Tx) error {
				cs, err := store.ReadCallerSession(ctx, tx, tc.session, store.CallerExtras{Perms: true, Host: true})
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(cs.Perms, tc.perms) || cs.HostID == nil || *cs.HostID != tc.host {
					t.Errorf("%s: perms %q, host %v; want %q, %d", tc.name, cs.Perms, cs.HostID, tc.perms, tc.host)
				}
				// Not asked for, not read.
				bare, err := store.ReadCallerSession(ctx, tx, tc.session, store.CallerExtras{})
				if err != nil {
					return err
				}
				if bare.Perms != nil || bare.HostID != nil || bare.User == nil || bare.User.ID != tc.user {
					t.Errorf("%s without extras: perms %q, host %v, user %+v", tc.name, bare.Perms, bare.HostID, bare.User)
				}
				// The same permissions as the query the API used to run.
				want, err := store.UserPermNames(ctx, tx, tc.user, true)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(cs.Perms, want) {
					t.Errorf("%s: perms %q, UserPermNames says %q", tc.name, cs.Perms, want)
				}
				// And as of the setup's event, through the history path.
				src, err := store.UserPermSources(ctx, tx, tc.user, true, &event)
				if err != nil {
					return err
				}
				past := []string{}
				for _, p := range src {
					past = append(past, p.Perm)
				}
				slices.Sort(past)
				if past = slices.Compact(past); !reflect.DeepEqual(past, tc.perms) {
					t.Errorf("%s: perms as of event %d %q, want %q", tc.name, event, past, tc.perms)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestUserBy: each way of finding a user answers the same user with all
// of its principals, sorted, and nil when there is no such user.
func TestUserBy(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		var two, none int64
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			var err error
			if two, err = store.CreateUser(ctx, tx, store.NewUser{Name: "two", Principal: "two@B.ORG"}); err != nil {
				return err
			}
			if err := store.AddPrincipal(ctx, tx, two, "two@A.ORG"); err != nil {
				return err
			}
			none, err = store.CreateUser(ctx, tx, store.NewUser{Name: "none"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		both := []string{"two@A.ORG", "two@B.ORG"}
		for _, c := range []struct {
			column     string
			value      any
			wantID     int64 // 0: no user
			principals []string
		}{
			{"id", two, two, both},
			{"name", "two", two, both},
			{"krb_principal", "two@B.ORG", two, both},
			{"krb_principal", "two@A.ORG", two, both},
			{"id", none, none, []string{}},
			{"name", "none", none, []string{}},
			{"name", "nobody", 0, nil},
			{"krb_principal", "nobody@A.ORG", 0, nil},
		} {
			err := db.InTx(ctx, false, func(tx *store.Tx) error {
				u, err := store.UserBy(ctx, tx, c.column, c.value)
				if err != nil {
					return err
				}
				switch {
				case c.wantID == 0 && u != nil:
					t.Errorf("UserBy(%s, %v) = %+v, want none", c.column, c.value, u)
				case c.wantID == 0:
				case u == nil:
					t.Errorf("UserBy(%s, %v) = nil, want user %d", c.column, c.value, c.wantID)
				case u.ID != c.wantID || !reflect.DeepEqual(u.KrbPrincipals, c.principals):
					t.Errorf("UserBy(%s, %v) = user %d with %q, want %d with %q",
						c.column, c.value, u.ID, u.KrbPrincipals, c.wantID, c.principals)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		err = db.InTx(ctx, false, func(tx *store.Tx) error {
			_, err := store.UserBy(ctx, tx, "password", "x")
			return err
		})
		if err == nil {
			t.Error("UserBy on an unknown column: no error")
		}
	})
}

// TestEachRowDecodes: the rows of a big answer come out alike on both
// stores, in reads and writes (on PostgreSQL, pgx's raw values decoded by
// the store in a read, database/sql in a write): integers of every width,
// NULL and not, text, booleans; a row with a column the fast decoding does
// not know (a numeric) is read by pgx's own Scan; and each row's NULLs
// replace the previous row's values.
func TestEachRowDecodes(t *testing.T) {
	type row struct {
		Big, Small int64
		Narrow     int
		OptA, OptB *int64
		Text       string
		OptX, OptY *string
		Flag       bool
		Ratio      float64
	}
	i64 := func(v int64) *int64 { return &v }
	str := func(v string) *string { return &v }
	want := []row{
		{7, 2, 2, nil, i64(5), "abc", nil, str("def"), true, 1.5},
		{8, 3, 3, i64(6), nil, "x", str("y"), nil, false, 2.5},
		{-9000000000, -4, -4, nil, nil, "", nil, nil, false, 0},
	}
	for _, withRatio := range []bool{false, true} {
		hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
			for _, write := range []bool{false, true} {
				ratio := ""
				if withRatio {
					ratio = ", CAST(r AS NUMERIC)"
				}
				query := `SELECT CAST(a AS BIGINT), CAST(b AS BIGINT), CAST(b AS INTEGER), CAST(c AS BIGINT), CAST(d AS BIGINT),
					e, f, g, h` + ratio + ` FROM (
					SELECT 7 AS a, 2 AS b, NULL AS c, 5 AS d, 'abc' AS e, NULL AS f, 'def' AS g, TRUE AS h, 1.5 AS r, 1 AS n
					UNION ALL SELECT 8, 3, 6, NULL, 'x', 'y', NULL, FALSE, 2.5, 2
					UNION ALL SELECT -9000000000, -4, NULL, NULL, '', NULL, NULL, FALSE, 0, 3) v ORDER BY n`
				var cur row
				var got []row
				dest := []any{store.IntCol(&cur.Big), &cur.Small, store.SmallCol(&cur.Narrow), store.OptIntCol(&cur.OptA),
					store.OptIntCol(&cur.OptB), &cur.Text, &cur.OptX, &cur.OptY, &cur.Flag}
				if withRatio {
					dest = append(dest, &cur.Ratio)
				}
				err := db.InTx(ctx, write, func(tx *store.Tx) error {
					return tx.EachRow(ctx, query, dest, func() error {
						got = append(got, cur)
						return nil
					})
				})
				if err != nil {
					t.Fatalf("write %v, numeric %v: %v", write, withRatio, err)
				}
				exp := slices.Clone(want)
				if !withRatio {
					for i := range exp {
						exp[i].Ratio = 0
					}
				}
				if !reflect.DeepEqual(got, exp) {
					t.Errorf("write %v, numeric %v: got\n%+v\nwant\n%+v", write, withRatio, got, exp)
				}
			}
		})
	}
}
