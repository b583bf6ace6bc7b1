package api_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// benchDuration is how long the polling benchmark runs (BENCH_POLL_SECONDS).
func benchDuration() time.Duration {
	if v := os.Getenv("BENCH_POLL_SECONDS"); v != "" {
		var n int
		fmt.Sscan(v, &n)
		if n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 15 * time.Second
}

// pollWarmup is how long BenchmarkHostGetTaskPolling's hosts poll before
// their polls are timed.
const pollWarmup = 3 * time.Second

const benchRequest = "<?xml version=\"1.0\"?>\n<methodCall>\n<methodName>job</methodName>\n<params>\n</params>\n</methodCall>\n"

// seedTasks bulk-inserts n tasks (sql's one ? is the request document) with one INSERT … SELECT over a recursive
// CTE (both backends), states and owners spread as a busy hub has them.
func seedTasks(tb testing.TB, db *store.DB, n int, sql string) {
	tb.Helper()
	err := db.InTx(context.Background(), true, func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), strings.Replace(sql, "%d", strconv.Itoa(n), 1), benchRequest)
		return err
	})
	if err != nil {
		tb.Fatalf("seed %d tasks: %v", n, err)
	}
}

// analyze refreshes the planner's statistics after a bulk load, as
// PostgreSQL's autovacuum (or an admin) would; without them PostgreSQL
// guesses a freshly filled table holds one row and sorts instead of using
// the scheduler's index.
func analyze(tb testing.TB, db *store.DB) {
	tb.Helper()
	if err := db.InTx(context.Background(), true, func(tx *store.Tx) error {
		_, err := tx.Exec(context.Background(), "ANALYZE")
		return err
	}); err != nil {
		tb.Fatal(err)
	}
}

// hostSession makes a host with an exclusive session directly in the
// store (a password login per host would spend the setup on bcrypt).
func hostSession(tb testing.TB, h *hubtest.Hub, admin *xmlrpc.Client, hc *http.Client, name string) *xmlrpc.Client {
	tb.Helper()
	ctx := context.Background()
	id, err := admin.Call(ctx, "addHost", name, []any{"x86_64"})
	if err != nil {
		tb.Fatal(err)
	}
	var userID, sid int64
	key := fmt.Sprintf("k-%s", name)
	err = h.DB.InTx(ctx, true, func(tx *store.Tx) error {
		if err := tx.Get(ctx, &userID, "SELECT user_id FROM host WHERE id = ?", id); err != nil {
			return err
		}
		excl := true
		now := time.Now().UnixMicro()
		sid, err = store.CreateSession(ctx, tx, store.Session{UserID: userID, Key: key, AuthType: 0,
			HostIP: "127.0.0.1", Exclusive: &excl, StartUS: now, UpdateUS: now})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	c := &xmlrpc.Client{URL: h.URL, HTTP: hc, SessionID: sid, SessionKey: key}
	if _, err := c.Call(ctx, "host.updateHost", 0.0, true); err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkHostGetTaskPolling: 200 hosts each poll host.getTask once a
// second (a taken task is opened and closed at once) over 10,000 FREE
// tasks. It reports the latency percentiles of the polls. Run with
// -benchtime=1x; BENCH_POLL_SECONDS sets the duration (default 15).
//
// The hosts first poll for pollWarmup, untimed except for its slowest poll
// (warmup-max-ms): the hub's first polls open its database connections,
// and on PostgreSQL each new connection is a new server process that
// fills its caches on its first statements: with 200 hosts arriving at
// once, some polls then take tens to hundreds of milliseconds. Builders
// poll for days; the percentiles are of the polls after that.
func BenchmarkHostGetTaskPolling(b *testing.B) {
	const hosts, tasks = 200, 10000
	for _, backend := range hubtest.Backends {
		b.Run(string(backend), func(b *testing.B) {
			h := hubtest.Start(b, hubtest.OpenDB(b, backend))
			admin := h.Admin(b)
			seedTasks(b, h.DB, tasks, `INSERT INTO task (state, create_us, channel_id, owner, method, request, arch, priority, weight)
				WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
				SELECT 0, 1700000000000000 + i, 1, 1, 'job', ?, 'noarch', 20 - (i % 3), 1.0 FROM n`)
			analyze(b, h.DB)
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: hosts + 10, MaxIdleConns: hosts + 10}}
			clients := make([]*xmlrpc.Client, hosts)
			for i := range clients {
				clients[i] = hostSession(b, h, admin, hc, fmt.Sprintf("bench%03d.example.com", i))
			}
			warm, _ := pollHosts(b, clients, pollWarmup)
			if len(warm) == 0 || b.Failed() {
				b.Fatal("no successful polls while warming up")
			}
			b.ResetTimer()
			doneTasks := 0
			var all []time.Duration
			for n := 0; n < b.N; n++ {
				lat, done := pollHosts(b, clients, benchDuration())
				all = append(all, lat...)
				doneTasks += done
			}
			if len(all) == 0 || b.Failed() {
				b.Fatal("no successful polls")
			}
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			pct := func(p float64) float64 {
				return float64(all[int(float64(len(all)-1)*p)].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(pct(1), "max-ms")
			b.ReportMetric(float64(slices.Max(warm).Microseconds())/1000, "warmup-max-ms")
			b.ReportMetric(float64(len(all))/float64(b.N), "polls")
			b.ReportMetric(float64(doneTasks)/float64(b.N), "tasks-done")
		})
	}
}

func pollHosts(b *testing.B, clients []*xmlrpc.Client, d time.Duration) ([]time.Duration, int) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	done := 0
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func(i int, c *xmlrpc.Client) {
			defer wg.Done()
			// Spread the hosts over the second, as real builders drift apart.
			offset := time.Duration(i) * time.Second / time.Duration(len(clients))
			select {
			case <-time.After(offset):
			case <-ctx.Done():
				return
			}
			tick := time.NewTicker(time.Second)
			defer tick.Stop()
			for {
				start := time.Now()
				got, err := c.Call(context.Background(), "host.getTask")
				el := time.Since(start)
				if err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				lat = append(lat, el)
				mu.Unlock()
				if got != nil {
					id := got.(map[string]any)["id"]
					if _, err := c.Call(context.Background(), "host.openTask", id); err != nil {
						b.Error(err)
						return
					}
					if _, err := c.Call(context.Background(), "host.closeTask", id, resultDocB(nil)); err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					done++
					mu.Unlock()
				}
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
		}(i, c)
	}
	wg.Wait()
	return lat, done
}

func resultDocB(v any) string {
	return "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><nil/></value></param>\n</params>\n</methodResponse>\n"
}

// BenchmarkListTasks1M runs the usual listTasks queries over 1,000,000
// task rows through the whole stack (HTTP, XML-RPC, SQL).
func BenchmarkListTasks1M(b *testing.B) {
	const rows = 1000000
	queries := []struct {
		name    string
		opts, q map[string]any
	}{
		// koji list-tasks: the unfinished tasks by priority and age
		{"open", map[string]any{"state": []any{int64(0), int64(1), int64(4)}, "decode": true}, map[string]any{"order": "priority,create_time"}},
		// koji list-tasks --mine
		{"mine-open", map[string]any{"state": []any{int64(0), int64(1), int64(4)}, "owner": int64(2), "decode": true}, map[string]any{"order": "priority,create_time"}},
		// the newest builds, as the web UI's task list
		{"method-newest-50", map[string]any{"method": "build"}, map[string]any{"order": "-id", "limit": int64(50)}},
		{"children", map[string]any{"parent": int64(500000)}, map[string]any{"order": "id"}},
		{"channel-open", map[string]any{"channel_id": int64(2), "state": []any{int64(0), int64(1), int64(4)}}, map[string]any{"order": "priority,create_time"}},
		{"host-open", map[string]any{"host_id": int64(1), "state": []any{int64(1)}}, nil},
		{"recent-100", map[string]any{"createdAfter": float64(1700000000 + rows - 3600)}, map[string]any{"order": "-create_time", "limit": int64(100)}},
		{"count-failed", map[string]any{"state": []any{int64(5)}}, map[string]any{"countOnly": true}},
	}
	for _, backend := range hubtest.Backends {
		b.Run(string(backend), func(b *testing.B) {
			h := hubtest.Start(b, hubtest.OpenDB(b, backend))
			admin := h.Admin(b)
			for i := 0; i < 4; i++ {
				if _, err := admin.Call(context.Background(), "createUser", fmt.Sprintf("user%d", i)); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := admin.Call(context.Background(), "addHost", "h1", []any{"x86_64"}); err != nil {
				b.Fatal(err)
			}
			// One second apart; 1 in 5,000 unfinished (200 open tasks, a busy
			// hub's queue); a parent every 10th row; half the rest CLOSED, half FAILED.
			seedTasks(b, h.DB, rows, `INSERT INTO task (state, create_us, start_us, completion_us, channel_id, host_id, parent, owner, method, request, result, arch, priority, weight)
				WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
				SELECT CASE WHEN i % 5000 = 0 THEN i % 3 ELSE 2 + (i % 2) * 3 END,
					CAST(1700000000 + i AS BIGINT) * 1000000, CAST(1700000000 + i AS BIGINT) * 1000000 + 5, NULL,
					1 + (i % 8), CASE WHEN i % 5000 = 0 AND i % 3 = 1 THEN 1 ELSE NULL END,
					CASE WHEN i % 10 = 0 OR i < 10 THEN NULL ELSE i - (i % 10) END,
					1 + (i % 5), CASE i % 4 WHEN 0 THEN 'build' WHEN 1 THEN 'buildArch' WHEN 2 THEN 'newRepo' ELSE 'tagBuild' END,
					?, NULL, 'noarch', 20 - (i % 3), 1.0 FROM n`)
			// What autovacuum does on a live server soon after such a load:
			// without it PostgreSQL's index-only counts visit the table too.
			if err := h.DB.Vacuum(context.Background()); err != nil {
				b.Fatal(err)
			}
			for _, q := range queries {
				b.Run(q.name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						if _, err := admin.Call(context.Background(), "listTasks", q.opts, q.q); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
