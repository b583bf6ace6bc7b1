package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// TestConcurrentCreates: two clients creating the same thing at once get
// what they would get one after the other: one success, and for the other
// the method's own answer (a success or a Koji fault), never an internal
// error quoting PostgreSQL's unique-key or deadlock error. The hub runs a
// request again when it fails on such a conflict (store.IsConflict); a
// multiCall runs the failed call again.
func TestConcurrentCreates(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		clients := []*xmlrpc.Client{h.Admin(t), h.Admin(t)}
		callKw(t, clients[0], "createTag", []any{"base"}, nil)
		for _, tc := range []struct {
			name string
			call func(c *xmlrpc.Client, round int) error
		}{
			{"createTag", func(c *xmlrpc.Client, r int) error {
				_, err := c.Call(ctx, "createTag", fmt.Sprintf("tag%d", r))
				return err
			}},
			{"createEmptyBuild", func(c *xmlrpc.Client, r int) error {
				_, err := c.Call(ctx, "createEmptyBuild", fmt.Sprintf("new%d", r), "1", "1", nil)
				return err
			}},
			{"packageListAdd", func(c *xmlrpc.Client, r int) error {
				_, err := c.Call(ctx, "packageListAdd", "base", fmt.Sprintf("listed%d", r), "kojiadmin")
				return err
			}},
			{"createUser", func(c *xmlrpc.Client, r int) error {
				_, err := c.Call(ctx, "createUser", fmt.Sprintf("user%d", r))
				return err
			}},
			{"multiCall createTag", func(c *xmlrpc.Client, r int) error {
				res, err := c.Call(ctx, "multiCall", []any{map[string]any{"methodName": "createTag",
					"params": []any{fmt.Sprintf("mtag%d", r)}}})
				if err != nil {
					return err
				}
				if f, ok := res.([]any)[0].(map[string]any); ok {
					return &xmlrpc.Fault{Code: int(f["faultCode"].(int64)), String: f["faultString"].(string)}
				}
				return nil
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for round := 0; round < 8; round++ {
					ok := 0
					for _, err := range atOnce(clients, func(c *xmlrpc.Client) error { return tc.call(c, round) }) {
						if err == nil {
							ok++
							continue
						}
						if !answered(err) || strings.Contains(err.Error(), "SQLSTATE") {
							t.Fatalf("round %d: %v", round, err)
						}
					}
					if ok == 0 {
						t.Fatalf("round %d: neither call succeeded", round)
					}
				}
			})
		}
	})
}

// atOnce calls f for every client at the same moment and returns their
// errors, in the clients' order.
func atOnce(clients []*xmlrpc.Client, f func(c *xmlrpc.Client) error) []error {
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(c)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// TestConcurrentTaggingOfOneBuild: two clients tagging the same build into
// the same tag at once get one success and one "already tagged" TagError,
// as one after the other would. On PostgreSQL both used to find the build
// untagged and the second insert failed on the unique index, an internal
// error quoting the SQL error.
func TestConcurrentTaggingOfOneBuild(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		clients := []*xmlrpc.Client{h.Admin(t), h.Admin(t)}
		callKw(t, clients[0], "createTag", []any{"race"}, nil)
		call(t, clients[0], "packageListAdd", "race", "racer", "kojiadmin")
		for round := 0; round < 10; round++ {
			nvr := fmt.Sprintf("racer-%d-1", round)
			callKw(t, clients[0], "createEmptyBuild", []any{"racer", fmt.Sprint(round), "1", nil}, nil)
			var failed []error
			for _, err := range atOnce(clients, func(c *xmlrpc.Client) error {
				_, err := c.Call(ctx, "tagBuildBypass", "race", nvr)
				return err
			}) {
				if err != nil {
					failed = append(failed, err)
				}
			}
			if len(failed) != 1 {
				t.Fatalf("round %d: %d of 2 taggings failed (%v), want 1", round, len(failed), failed)
			}
			fault(t, failed[0], hub.CodeTag, "build "+nvr+" already tagged (race)")
		}
	})
}

// TestOppositeTaggingBatches: two multiCalls tagging the same two builds in
// opposite orders deadlock on PostgreSQL. The hub runs the aborted batch
// again in a new transaction (a call run again in its savepoint would find
// the batch still holding the lock), so each build is tagged once and the
// other batch gets "already tagged" for it, as one batch after the other
// would. Each deadlock costs PostgreSQL's deadlock_timeout (1 s).
func TestOppositeTaggingBatches(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		clients := []*xmlrpc.Client{h.Admin(t), h.Admin(t)}
		callKw(t, clients[0], "createTag", []any{"both"}, nil)
		const rounds = 3
		for _, p := range []string{"pa", "pb"} {
			call(t, clients[0], "packageListAdd", "both", p, "kojiadmin")
			for r := 0; r < rounds; r++ {
				callKw(t, clients[0], "createEmptyBuild", []any{p, fmt.Sprint(r), "1", nil}, nil)
			}
		}
		for r := 0; r < rounds; r++ {
			results := make([][]any, len(clients))
			errs := atOnce(clients, func(c *xmlrpc.Client) error {
				i := slices.Index(clients, c)
				order := []string{"pa", "pb"}
				if i == 1 {
					order = []string{"pb", "pa"}
				}
				var calls []any
				for _, p := range order {
					calls = append(calls, map[string]any{"methodName": "tagBuildBypass",
						"params": []any{"both", fmt.Sprintf("%s-%d-1", p, r)}})
				}
				res, err := c.Call(ctx, "multiCall", calls)
				results[i], _ = res.([]any)
				return err
			})
			tagged, already := 0, 0
			for i, batch := range results {
				if errs[i] != nil {
					t.Fatalf("round %d: multiCall: %v", r, errs[i])
				}
				for _, res := range batch {
					f, isFault := res.(map[string]any)
					switch {
					case !isFault:
						tagged++
					case f["faultCode"] == int64(hub.CodeTag) && strings.Contains(f["faultString"].(string), "already tagged"):
						already++
					default:
						t.Errorf("round %d: %v", r, f)
					}
				}
			}
			if tagged != 2 || already != 2 {
				t.Fatalf("round %d: %d taggings and %d 'already tagged', want 2 and 2", r, tagged, already)
			}
		}
	})
}

// TestPersistentConflict: a request that keeps failing on a conflict runs
// three times, then gets a clear fault saying nothing changed, rather than
// an internal error quoting the database.
func TestPersistentConflict(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		var runs atomic.Int64
		h.Dispatcher.Registry.AddForTest(api.Method{Name: "alwaysDeadlocks", Access: api.Access{}, Writes: true,
			Handler: func(context.Context, *api.Call) (any, error) {
				runs.Add(1)
				return nil, fmt.Errorf("lock something: %w", &pgconn.PgError{Code: "40P01", Message: "deadlock detected"})
			}})
		_, err := h.Client().Call(ctx, "alwaysDeadlocks")
		fault(t, err, hub.CodeGeneric, "alwaysDeadlocks conflicted with concurrent requests 3 times (last: deadlock detected); nothing was changed, try again")
		if n := runs.Load(); n != 3 {
			t.Errorf("ran %d times, want 3", n)
		}
	})
}
