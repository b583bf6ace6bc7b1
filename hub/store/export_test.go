package store

import "context"

// SetQueryHook makes f see every read query of the transaction; it returns
// the undo.
func (t *Tx) SetQueryHook(f func(query string, args []any)) func() {
	t.queryHook = f
	return func() { t.queryHook = nil }
}

// TaggedByWindow answers q the general way (taggedSQL), for comparing with
// the latest-only path Tagged takes.
func TaggedByWindow(ctx context.Context, tx *Tx, q TaggedQuery) ([]*TaggedBuild, error) {
	with, args := taggedSQL(q, tx.Dialect)
	return readTaggedBuilds(ctx, tx, with, args, false, q)
}

// ExecLast runs what Commit runs just before COMMIT, without committing.
func (t *Tx) ExecLast(ctx context.Context) error { return t.execLast(ctx) }

// EachRow is eachRows with one query, for testing its decoding on both
// stores.
func (t *Tx) EachRow(ctx context.Context, query string, dest []any, each func() error) error {
	return t.eachRows(ctx, rowQuery{query, nil, dest, each})
}

// Scan targets, for the same test.
func IntCol(p *int64) any     { return intCol[int64]{p} }
func SmallCol(p *int) any     { return intCol[int]{p} }
func OptIntCol(p **int64) any { return optIntCol{p} }

// PinSnapshot makes a read see, from now on, the database as it is now
// (on PostgreSQL, a REPEATABLE READ block whose snapshot a first statement
// takes; SQLite's read takes its snapshot at its first read).
func (t *Tx) PinSnapshot(ctx context.Context) error {
	if _, err := t.oneSnapshot(ctx); err != nil {
		return err
	}
	var one int
	return t.Get(ctx, &one, "SELECT 1 FROM tag LIMIT 1")
}

// HoldAsideSlots takes every slot for reads aside (Tx.startAside), as busy
// hubs do, until the returned undo.
func (db *DB) HoldAsideSlots() func() {
	n := cap(db.asideSlots)
	for i := 0; i < n; i++ {
		db.asideSlots <- struct{}{}
	}
	return func() {
		for i := 0; i < n; i++ {
			<-db.asideSlots
		}
	}
}
