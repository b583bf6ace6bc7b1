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
