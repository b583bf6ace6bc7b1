package api_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub"
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
					errs := make(chan error, len(clients))
					start := make(chan struct{})
					for _, c := range clients {
						go func() {
							<-start
							errs <- tc.call(c, round)
						}()
					}
					close(start)
					ok := 0
					for range clients {
						err := <-errs
						if err == nil {
							ok++
							continue
						}
						var f *xmlrpc.Fault
						if !errors.As(err, &f) || f.Code == hub.CodeInternal || strings.Contains(f.String, "SQLSTATE") {
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
			results := make(chan []any, len(clients))
			start := make(chan struct{})
			for i, c := range clients {
				order := []string{"pa", "pb"}
				if i == 1 {
					order = []string{"pb", "pa"}
				}
				var calls []any
				for _, p := range order {
					calls = append(calls, map[string]any{"methodName": "tagBuildBypass",
						"params": []any{"both", fmt.Sprintf("%s-%d-1", p, r)}})
				}
				go func() {
					<-start
					res, err := c.Call(ctx, "multiCall", calls)
					if err != nil {
						t.Errorf("round %d: multiCall: %v", r, err)
					}
					out, _ := res.([]any)
					results <- out
				}()
			}
			close(start)
			tagged, already := 0, 0
			for range clients {
				for _, res := range <-results {
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
