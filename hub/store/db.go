// Package store is the hub's SQL access: one implementation over SQLite and
// PostgreSQL with sqlx, the migrations, the event clock and the versioned-row
// mechanism that gives every table "as of event N" queries.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// DB is the hub's database. It keeps two pools: one for writers and a
// read-only one for everything else. On SQLite the writers' pool is one
// connection, so writers queue in Go instead of failing with SQLITE_BUSY.
type DB struct {
	Dialect Dialect
	write   *sqlx.DB
	read    *sqlx.DB
	// aside, on PostgreSQL, holds the connections for reads beside a
	// transaction's own (Tx.startAside), asideSlots one token for each.
	// A pool of their own: taken from read, they could wait for
	// connections held by the very transactions waiting for them.
	aside      *sqlx.DB
	asideSlots chan struct{}
	// commits counts the write transactions this process committed that
	// may change cached answers: SQLite's AnswersVersion.
	commits atomic.Int64
}

// Open connects to dsn: a postgres:// or postgresql:// URL selects PostgreSQL;
// anything else is the path of a SQLite file (created if missing).
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	w := sqlx.NewDb(stdlib.OpenDB(*cfg), "pgx")
	// Reads run outside transaction blocks (see Begin), so nothing would
	// roll back a write made by mistake in one: their connections refuse
	// writes instead, as SQLite's query-only pool does.
	rcfg := cfg.Copy()
	rcfg.RuntimeParams["default_transaction_read_only"] = "on"
	r := sqlx.NewDb(stdlib.OpenDB(*rcfg), "pgx")
	aside := sqlx.NewDb(stdlib.OpenDB(*rcfg), "pgx")
	for _, db := range []*sqlx.DB{w, r, aside} {
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	aside.SetMaxOpenConns(asideConns)
	aside.SetMaxIdleConns(asideConns)
	for _, db := range []*sqlx.DB{w, r} {
		if err := db.PingContext(ctx); err != nil {
			w.Close()
			r.Close()
			aside.Close()
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
	}
	return &DB{Dialect: Postgres, write: w, read: r, aside: aside, asideSlots: make(chan struct{}, asideConns)}, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// database/sql lends a connection to one goroutine at a time, so
	// SQLite's own lock around every call (its default, serialized mode)
	// guards nothing here; _mutex=no drops it, a tenth of the work of
	// reading a big answer. Each connection keeps its last 64 prepared
	// statements: the hub asks the same few questions over and over, and
	// compiling a long query (the inheritance walk) costs about as much as
	// reading a few thousand rows.
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_synchronous=NORMAL&_mutex=no&_stmt_cache_size=64"
	// Writers take the lock at BEGIN, so a transaction never fails half-way
	// when it first writes.
	w, err := sqlx.Open("sqlite3", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sqlx.Open("sqlite3", base+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	return &DB{Dialect: SQLite, write: w, read: r}, nil
}

// asideConns is the most reads aside (Tx.startAside) a PostgreSQL hub runs
// at once; more wait for none, and read in their transaction instead.
const asideConns = 4

// Close releases the pools.
func (db *DB) Close() error {
	err := db.write.Close()
	for _, p := range []*sqlx.DB{db.read, db.aside} {
		if p == nil || p == db.write {
			continue
		}
		if cerr := p.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Vacuum refreshes the planner's statistics and, on PostgreSQL, the
// visibility map that lets index-only scans skip the table: what
// autovacuum does in the background on a live server. Bulk loads (and
// benchmarks) call it to reach that steady state at once.
func (db *DB) Vacuum(ctx context.Context) error {
	if db.Dialect == SQLite {
		if _, err := db.write.ExecContext(ctx, "ANALYZE"); err != nil {
			return fmt.Errorf("analyze: %w", err)
		}
		return nil
	}
	// Only the hub's own tables: a bare VACUUM would visit every schema of
	// the database. VACUUM cannot run in a transaction, so not via InTx.
	var tables []string
	if err := db.write.SelectContext(ctx, &tables, `SELECT quote_ident(table_name) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`); err != nil {
		return fmt.Errorf("list tables to vacuum: %w", err)
	}
	if len(tables) == 0 {
		return nil
	}
	if _, err := db.write.ExecContext(ctx, "VACUUM ANALYZE "+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}

// Begin starts a transaction. A write transaction is needed for any change;
// a read transaction sees one consistent snapshot.
func (db *DB) Begin(ctx context.Context, write bool) (*Tx, error) {
	pool := db.read
	if write {
		pool = db.write
	}
	// Read before BEGIN, so the snapshot the transaction gets is at least
	// as new as the writes counted.
	commits := db.commits.Load()
	if db.Dialect == Postgres && !write {
		// PostgreSQL reads at READ COMMITTED, where every statement sees
		// the data as of its own start, in a transaction block or not. A
		// read therefore runs its statements on one connection without
		// BEGIN and ROLLBACK, two round trips fewer, until it needs a block
		// (see Tx.block).
		conn, err := pool.Connx(ctx)
		if err != nil {
			return nil, fmt.Errorf("begin transaction: %w", err)
		}
		return &Tx{conn: conn, db: db, Dialect: db.Dialect, commitsBefore: commits}, nil
	}
	tx, err := pool.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	return &Tx{tx: tx, db: db, Dialect: db.Dialect, write: write, commitsBefore: commits}, nil
}

// InTx runs fn in one transaction and commits when fn returns nil.
func (db *DB) InTx(ctx context.Context, write bool, fn func(*Tx) error) error {
	tx, err := db.Begin(ctx, write)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit(ctx)
}

// Tx is one transaction. It creates at most one event, on the first versioned
// write, so everything a request changes shares one event id as in Koji.
type Tx struct {
	tx *sqlx.Tx
	// conn, for reads on PostgreSQL, is the connection their statements
	// run on outside a transaction block; tx is nil until block begins one.
	conn    *sqlx.Conn
	db      *DB
	Dialect Dialect
	write   bool
	event   int64
	eventTS time.Time
	sp      int
	changed map[int64]bool // tags already recorded in tag_changes
	// queryHook, when set (by tests), sees every read query before it
	// runs; the plan tests use it to EXPLAIN what the store really asks.
	queryHook func(query string, args []any)
	// commitsBefore is DB.commits when the transaction began.
	commitsBefore int64
	// keepsAnswers: the transaction writes only state no cached answer
	// reads, so its commit is not counted (AnswersVersion).
	keepsAnswers bool
	// last and lastArgs are the ExecAtCommit statement, if any.
	last     string
	lastArgs []any
	// async: commit without waiting for the WAL flush (AsyncCommit).
	async bool
	// snapshot: a read on PostgreSQL whose block is REPEATABLE READ
	// (oneSnapshot).
	snapshot bool
}

// KeepsCachedAnswers declares that t writes only host, task, scheduler and
// repo state (heartbeats, assignments, the repo manager's bookkeeping),
// which no cached answer reads (they read builds, tags, packages and
// users), so its commit leaves cached answers valid. A transaction that
// changes anything else must not call it.
func (t *Tx) KeepsCachedAnswers() { t.keepsAnswers = true }

// Writable reports whether this transaction may change data.
func (t *Tx) Writable() bool { return t.write }

// Commit ends the transaction.
func (t *Tx) Commit(ctx context.Context) error {
	if t.tx != nil {
		if err := t.execLast(ctx); err != nil {
			t.Rollback()
			return err
		}
		if err := t.tx.Commit(); err != nil {
			t.release()
			return fmt.Errorf("commit: %w", err)
		}
	}
	t.release()
	if t.write && !t.keepsAnswers {
		t.db.commits.Add(1)
	}
	return nil
}

// ExecAtCommit makes query (an UPDATE, INSERT or DELETE, without
// RETURNING, whose outcome the caller does not need) the transaction's
// last statement, run by Commit; a later call replaces an earlier one. On
// PostgreSQL it carries the answers count (AnswersVersion) with it: one
// round trip for both.
func (t *Tx) ExecAtCommit(query string, args ...any) {
	t.last, t.lastArgs = query, args
}

// execLast runs, just before COMMIT, the ExecAtCommit statement and, on
// PostgreSQL, what the commit needs (lastForPostgres).
func (t *Tx) execLast(ctx context.Context) error {
	q := t.last
	if t.write && t.Dialect == Postgres {
		q = t.lastForPostgres()
	}
	if q == "" {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, t.tx.Rebind(q), t.lastArgs...); err != nil {
		return fmt.Errorf("last statement before commit: %w", err)
	}
	return nil
}

// lastForPostgres joins into one statement (one round trip) the
// ExecAtCommit statement, the answers count of a write that may change
// cached answers (AnswersVersion), and the setting an AsyncCommit asked for.
//
// The count's row is locked last: after it the holder only commits and
// waits for nothing, so writers meeting there never deadlock. Sent with an
// ExecAtCommit statement, the count's condition reads that statement's
// result, which makes PostgreSQL run it first (the sub-statements of a
// WITH otherwise run in no set order). synchronous_commit is read when the
// transaction commits, so setting it last is in time.
func (t *Tx) lastForPostgres() string {
	const count = "UPDATE answers_version SET n = n + 1 WHERE shard = pg_backend_pid() % 16"
	var with []string
	final := t.last
	if !t.keepsAnswers {
		final = count
		if t.last != "" {
			with = append(with, "last AS ("+t.last+" RETURNING 1)")
			final = count + " AND (SELECT COUNT(*) FROM last) >= 0"
		}
	}
	if t.async {
		if final != "" {
			with = append(with, "final AS ("+final+" RETURNING 1)")
		}
		final = "SELECT set_config('synchronous_commit', 'off', true)"
	}
	if len(with) == 0 {
		return final
	}
	return "WITH " + strings.Join(with, ", ") + " " + final
}

// Rollback abandons the transaction; calling it after Commit is harmless.
func (t *Tx) Rollback() {
	if t.tx != nil {
		t.tx.Rollback()
	}
	t.release()
}

// release returns a read's connection to the pool.
func (t *Tx) release() {
	if t.conn != nil {
		t.conn.Close()
		t.conn = nil
	}
}

// queryer is what statements run on: a transaction, or a read's connection.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error)
	Rebind(query string) string
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

func (t *Tx) q() queryer {
	if t.tx != nil {
		return t.tx
	}
	return t.conn
}

// block makes sure the statements that follow run in a transaction block,
// which settings for the rest of the transaction (SET LOCAL) and savepoints
// need. Writes always have one; a read on PostgreSQL begins it here.
func (t *Tx) block(ctx context.Context) error {
	if t.tx != nil {
		return nil
	}
	tx, err := t.conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t.tx = tx
	return nil
}

// oneSnapshot makes the rest of a read on PostgreSQL see one snapshot of
// the database, beginning a REPEATABLE READ block, for answers read in
// more than one statement. It reports false when it cannot: on a write
// (READ COMMITTED, where each statement sees the commits before it) or a
// read whose block began otherwise. SQLite's transactions are snapshots.
func (t *Tx) oneSnapshot(ctx context.Context) (bool, error) {
	if t.Dialect != Postgres {
		return true, nil
	}
	if t.write || t.tx != nil {
		return t.snapshot, nil
	}
	tx, err := t.conn.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return false, fmt.Errorf("begin a snapshot: %w", err)
	}
	t.tx, t.snapshot = tx, true
	return true, nil
}

// seeQuery shows a read query to the transaction's hook, if a test set one.
func (t *Tx) seeQuery(query string, args []any) {
	if t.queryHook != nil {
		t.queryHook(query, args)
	}
}

// rowQuery is a read query whose rows are scanned into dest (by
// position), each then handed to each.
type rowQuery struct {
	query string
	args  []any
	dest  []any
	each  func() error
}

// eachRows runs read queries in turn, scanning each row into its dest (by
// position) and then calling its each. They are for answers of thousands
// of rows: on PostgreSQL, a read transaction hands
// them to pgx itself, past database/sql, whose conversions of every value
// cost about as much as the rest of reading a row, and sends them all at
// once, so that the server works on the next while the rows of one are
// read.
func (t *Tx) eachRows(ctx context.Context, queries ...rowQuery) error {
	t.ready(queries)
	if t.Dialect == Postgres && t.conn != nil {
		// The connection is the transaction's own, in its block if
		// block began one.
		return pgxBatch(ctx, t.conn, queries)
	}
	for _, rq := range queries {
		if err := t.sqlRows(ctx, rq); err != nil {
			return err
		}
	}
	return nil
}

// startAside runs read queries, as eachRows does, on PostgreSQL, on a
// connection other than the transaction's, in a goroutine of their own,
// and returns the channel their outcome comes on. It returns nil, having
// run nothing, when it cannot: on SQLite, or when every connection for
// reads aside is busy. The queries see the commits before each of them,
// not the transaction's snapshot; they let the server work on them beside
// the transaction's own. The caller must receive from the channel before
// using what the queries read.
func (t *Tx) startAside(ctx context.Context, queries ...rowQuery) <-chan error {
	if t.db.aside == nil {
		return nil
	}
	select {
	case t.db.asideSlots <- struct{}{}:
	default:
		return nil
	}
	t.ready(queries)
	done := make(chan error, 1)
	go func() {
		defer func() { <-t.db.asideSlots }()
		conn, err := t.db.aside.Connx(ctx)
		if err != nil {
			done <- fmt.Errorf("connect aside: %w", err)
			return
		}
		defer conn.Close()
		done <- pgxBatch(ctx, conn, queries)
	}()
	return done
}

// ready shows queries to the transaction's hook and writes their
// placeholders as the store needs (every pool of one store takes the same).
func (t *Tx) ready(queries []rowQuery) {
	for i := range queries {
		t.seeQuery(queries[i].query, queries[i].args)
		queries[i].query = t.q().Rebind(queries[i].query)
	}
}

// pgxBatch sends queries at once over conn, through pgx itself.
func pgxBatch(ctx context.Context, conn *sqlx.Conn, queries []rowQuery) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres connection is a %T", dc)
		}
		var batch pgx.Batch
		for _, rq := range queries {
			batch.Queue(rq.query, rq.args...)
		}
		br := c.Conn().SendBatch(ctx, &batch)
		for _, rq := range queries {
			if err := pgxRows(br, rq); err != nil {
				br.Close()
				return err
			}
		}
		return br.Close()
	})
}

// pgxRows reads the rows of the batch's next query.
func pgxRows(br pgx.BatchResults, rq rowQuery) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if !scanBinary(rows.FieldDescriptions(), rows.RawValues(), rq.dest) {
			if err := rows.Scan(rq.dest...); err != nil {
				return err
			}
		}
		if err := rq.each(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// sqlRows reads rq's rows through database/sql.
func (t *Tx) sqlRows(ctx context.Context, rq rowQuery) error {
	rows, err := t.q().QueryxContext(ctx, rq.query, rq.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(rq.dest...); err != nil {
			return err
		}
		if err := rq.each(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Get scans one row into dest. Queries use ? placeholders on every backend.
func (t *Tx) Get(ctx context.Context, dest any, query string, args ...any) error {
	t.seeQuery(query, args)
	return t.q().GetContext(ctx, dest, t.q().Rebind(query), args...)
}

// Select scans all rows into dest, a pointer to a slice.
func (t *Tx) Select(ctx context.Context, dest any, query string, args ...any) error {
	t.seeQuery(query, args)
	return t.q().SelectContext(ctx, dest, t.q().Rebind(query), args...)
}

// Exec runs a statement and returns the number of rows it changed.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := t.q().ExecContext(ctx, t.q().Rebind(query), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Query returns rows for callers that stream.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	t.seeQuery(query, args)
	return t.q().QueryxContext(ctx, t.q().Rebind(query), args...)
}

// InsertID runs an INSERT … RETURNING id and returns the new id.
func (t *Tx) InsertID(ctx context.Context, query string, args ...any) (int64, error) {
	var id int64
	if err := t.q().GetContext(ctx, &id, t.q().Rebind(query+" RETURNING id"), args...); err != nil {
		return 0, err
	}
	return id, nil
}

// Event returns this transaction's event id, creating the event on first use.
func (t *Tx) Event(ctx context.Context) (int64, error) {
	if t.event != 0 {
		return t.event, nil
	}
	now := time.Now()
	id, err := t.InsertID(ctx, "INSERT INTO events (time_us) VALUES (?)", now.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("create event: %w", err)
	}
	t.event, t.eventTS = id, now
	return id, nil
}

// TagChanged records, once per transaction, that a tag's content changed.
func (t *Tx) TagChanged(ctx context.Context, tagID int64) error {
	if t.changed[tagID] {
		return nil
	}
	ev, err := t.Event(ctx)
	if err != nil {
		return err
	}
	if _, err := t.Exec(ctx, "INSERT INTO tag_changes (tag_id, event_id, created_us) VALUES (?, ?, ?)",
		tagID, ev, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("record change of tag %d: %w", tagID, err)
	}
	if t.changed == nil {
		t.changed = map[int64]bool{}
	}
	t.changed[tagID] = true
	return nil
}

// NextEvent makes the next versioned write use a new event. multiCall calls
// it between calls: Koji gives each call of a batch an event of its own.
func (t *Tx) NextEvent() {
	t.event, t.changed = 0, nil
}

// Savepoint runs fn inside a savepoint: if fn fails, only its changes are
// undone and the transaction goes on. multiCall runs each call this way.
func (t *Tx) Savepoint(ctx context.Context, fn func() error) error {
	if err := t.block(ctx); err != nil {
		return err
	}
	t.sp++
	name := fmt.Sprintf("sp%d", t.sp)
	if _, err := t.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	savedEvent, savedTS := t.event, t.eventTS
	savedChanged := make(map[int64]bool, len(t.changed))
	for k, v := range t.changed {
		savedChanged[k] = v
	}
	if err := fn(); err != nil {
		if _, rerr := t.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return fmt.Errorf("rollback to savepoint after %v: %w", err, rerr)
		}
		// An event or change record made inside the savepoint is gone with it.
		t.event, t.eventTS, t.changed = savedEvent, savedTS, savedChanged
		return err
	}
	if _, err := t.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// IsNoRows reports whether err means a lookup found nothing.
func IsNoRows(err error) bool { return err == sql.ErrNoRows }

// AnswersVersion names the state of the data cached answers read (builds,
// tags, packages, users), as t sees it: equal names, equal data. Writes
// that declare KeepsCachedAnswers do not change it.
//
// With SQLite this process is the only writer, and the name is the number
// of such write transactions it had committed when t began. With
// PostgreSQL, several hubs may write: each such transaction adds one to a
// row of answers_version before it commits, and the name is their sum.
// Equal sums mean the same writes: the sets of commits that statements see
// grow one after another (a statement sees every commit an earlier one
// saw), so two reads that count as many see the same ones.
func AnswersVersion(ctx context.Context, t *Tx) (string, error) {
	if t.Dialect != Postgres {
		return "w" + strconv.FormatInt(t.commitsBefore, 10), nil
	}
	var n int64
	if err := t.Get(ctx, &n, sumAnswersVersion); err != nil {
		return "", fmt.Errorf("read answers version: %w", err)
	}
	return "g" + strconv.FormatInt(n, 10), nil
}

// sumAnswersVersion reads PostgreSQL's answers version: the sum of its
// shards' counts.
const sumAnswersVersion = "SELECT CAST(SUM(n) AS BIGINT) FROM answers_version"

// AsyncCommit lets this transaction's commit return before its WAL record is
// flushed (PostgreSQL's synchronous_commit = off for this transaction only).
// A crash may lose the last such commits, never corrupt anything. It suits
// soft state that is re-derived anyway, like a poll's heartbeat or a
// scheduler assignment. SQLite already commits without a flush (WAL,
// synchronous=NORMAL), so there it does nothing.
//
// On PostgreSQL the setting goes with the transaction's last statement
// (lastForPostgres): no round trip of its own. A read commits nothing.
func (t *Tx) AsyncCommit() {
	t.async = t.write && t.Dialect == Postgres
}
