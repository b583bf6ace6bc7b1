// Package hubtest starts real hubs for tests: on SQLite in a temp dir and on
// PostgreSQL in a fresh schema of its own, over real HTTP.
package hubtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/server"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/transcripts"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// AdminPassword is the kojiadmin password of every test hub, as in the
// recorded transcripts.
const AdminPassword = "kojiadmin"

// DefaultPostgresDSN is where the test suite finds PostgreSQL unless
// KOJI_TEST_PG_DSN says otherwise.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backend names a store to test against.
type Backend string

const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends are the stores every store and API test runs on.
var Backends = []Backend{SQLite, Postgres}

// ForEachBackend runs f as a subtest per backend, each with a fresh database.
func ForEachBackend(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, b := range Backends {
		t.Run(string(b), func(t *testing.T) { f(t, OpenDB(t, b)) })
	}
}

// OpenDB opens a fresh, migrated database on the backend; it is removed when
// the test ends.
func OpenDB(t testing.TB, b Backend) *store.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	switch b {
	case SQLite:
		dsn = filepath.Join(t.TempDir(), "koji.db")
	case Postgres:
		dsn = freshPostgresSchema(t)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", b, err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", b, err)
	}
	return db
}

// OtherHub opens a second handle on db's PostgreSQL schema, as a second
// hub process would have: its own connections, and a hub started on it
// has its own caches.
func OtherHub(t testing.TB, db *store.DB) *store.DB {
	t.Helper()
	ctx := context.Background()
	if db.Dialect != store.Postgres {
		t.Fatal("OtherHub needs a PostgreSQL database: one SQLite file has one hub")
	}
	var schema string
	if err := db.InTx(ctx, false, func(tx *store.Tx) error {
		return tx.Get(ctx, &schema, "SELECT current_schema()")
	}); err != nil {
		t.Fatal(err)
	}
	other, err := store.Open(ctx, schemaDSN(t, PostgresDSN(), schema))
	if err != nil {
		t.Fatalf("open a second handle: %v", err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// PostgresDSN is the base DSN of the test PostgreSQL server.
func PostgresDSN() string {
	if v := os.Getenv("KOJI_TEST_PG_DSN"); v != "" {
		return v
	}
	return DefaultPostgresDSN
}

// freshPostgresSchema creates a schema with a random name and returns a DSN
// whose search_path points into it, so tests never see each other's rows.
func freshPostgresSchema(t testing.TB) string {
	t.Helper()
	base := PostgresDSN()
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.Ping()
	}
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at %s: %v\n"+
			"The suite runs every store test on PostgreSQL too. Start the server with\n"+
			"  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"+
			"(or apt-get install postgresql), or point KOJI_TEST_PG_DSN at one.", base, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		// Each schema leaves thousands of dead catalog rows. On a server
		// without autovacuum (CI's) they pile up over a run and slow
		// every later test's migrations and plans several times over, so
		// about one cleanup in 32 vacuums the catalogs a schema fills.
		// (Without superuser rights PostgreSQL only warns.)
		if b[0] < 8 {
			admin.Exec("VACUUM pg_catalog.pg_depend, pg_catalog.pg_attribute, pg_catalog.pg_class," +
				" pg_catalog.pg_type, pg_catalog.pg_constraint, pg_catalog.pg_index, pg_catalog.pg_trigger," +
				" pg_catalog.pg_attrdef, pg_catalog.pg_sequence")
		}
		admin.Close()
	})
	return schemaDSN(t, base, schema)
}

// schemaDSN is base with its search_path set to schema.
func schemaDSN(t testing.TB, base, schema string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", base, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Hub is a running test hub.
type Hub struct {
	URL    string // the XML-RPC endpoint, …/kojihub
	Base   string // the server root
	DB     *store.DB
	TopDir string
	Config api.Config
	// Dispatcher serves the hub; tests run its hub-run tasks with
	// Dispatcher.RunHubTasks (no background worker runs in test hubs, so
	// recorded answers about queued tasks stay comparable).
	Dispatcher *api.Dispatcher
}

// Start bootstraps db (kojiadmin / AdminPassword) and serves it over HTTP
// until the test ends. configure may adjust the API config, TopDir too (the
// hub then keeps its files there rather than in a folder of the test).
func Start(t testing.TB, db *store.DB, configure ...func(*api.Config)) *Hub {
	t.Helper()
	ctx := context.Background()
	if _, err := api.Bootstrap(ctx, db, AdminPassword); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	top := t.TempDir()
	cfg := api.DefaultConfig()
	cfg.TopDir = top
	for _, f := range configure {
		f(&cfg)
	}
	top = cfg.TopDir // a configure func may move it
	log := logrus.New()
	log.SetOutput(testWriter{t})
	d := api.NewDispatcher(db, cfg, log)
	srv := &server.Server{Dispatcher: d, TopDir: top, Log: log}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &Hub{URL: ts.URL + "/kojihub", Base: ts.URL, DB: db, TopDir: top, Config: cfg, Dispatcher: d}
}

// Client returns a new anonymous client of the hub.
func (h *Hub) Client() *xmlrpc.Client { return &xmlrpc.Client{URL: h.URL} }

// Login returns a client logged in as user.
func (h *Hub) Login(t testing.TB, user, password string) *xmlrpc.Client {
	t.Helper()
	c := h.Client()
	if err := c.Login(context.Background(), user, password); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}

// Admin returns a client logged in as kojiadmin.
func (h *Hub) Admin(t testing.TB) *xmlrpc.Client {
	t.Helper()
	return h.Login(t, api.AdminUser, AdminPassword)
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TranscriptsDir finds the recorded Koji transcripts (see package
// transcripts). A missing directory fails the test: the suite never skips
// its compatibility checks.
func TranscriptsDir(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	d, err := transcripts.Dir(wd)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Normalize passes v through the XML-RPC codec, giving the plain values a
// client decodes (int64, []any, map[string]any …).
func Normalize(t testing.TB, v any) any {
	t.Helper()
	var buf bytes.Buffer
	if err := xmlrpc.EncodeResponse(&buf, v); err != nil {
		t.Fatalf("encode: %v", err)
	}
	out, err := xmlrpc.DecodeResponse(&buf, xmlrpc.Limits{MaxBodyBytes: 1 << 26})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return out
}

// Len is the length of a slice of any element type (a handler's typed answer).
func Len(v any) int { return reflect.ValueOf(v).Len() }

// RunWorkers starts what kojihub runs beside the HTTP server: the repo
// manager and the worker of hub-run tasks (tagBuild), until the test ends.
func (h *Hub) RunWorkers(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	rc := api.DefaultRepoConfig()
	rc.TopURL = h.Base + "/kojifiles"
	m := api.NewRepoManager(h.Dispatcher, rc)
	done := make(chan struct{}, 2)
	go func() { m.Run(ctx); done <- struct{}{} }()
	go func() { h.Dispatcher.HubTaskWorker(ctx, 200*time.Millisecond); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
}
