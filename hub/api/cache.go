package api

import (
	"container/list"
	"context"
	"strconv"
	"sync"

	"github.com/gokoji/gokoji/hub/store"
)

// resultCache keeps computed answers keyed by the data they were computed
// from. On SQLite every write transaction runs on the one write connection,
// so event ids commit in order and "the newest event a read transaction
// sees" names its snapshot exactly: an answer cached under that event stays
// right until the next write makes a newer event. PostgreSQL commits
// concurrent writers in any order, so nothing is cached there.
//
// Cached values are shared: callers must not modify them.
type resultCache struct {
	mu      sync.Mutex
	max     int // total weight kept (e.g. rows)
	weight  int
	order   *list.List // front = most recently used
	entries map[string]*list.Element
}

type cacheEntry struct {
	key    string
	value  any
	weight int
}

func newResultCache(maxWeight int) *resultCache {
	return &resultCache{max: maxWeight, order: list.New(), entries: map[string]*list.Element{}}
}

func (rc *resultCache) get(key string) (any, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	el, ok := rc.entries[key]
	if !ok {
		return nil, false
	}
	rc.order.MoveToFront(el)
	return el.Value.(*cacheEntry).value, true
}

func (rc *resultCache) put(key string, value any, weight int) {
	if weight > rc.max/4 {
		return // one answer may not push out most of the cache
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if el, ok := rc.entries[key]; ok {
		rc.order.MoveToFront(el)
		return
	}
	rc.entries[key] = rc.order.PushFront(&cacheEntry{key: key, value: value, weight: weight})
	rc.weight += weight
	for rc.weight > rc.max {
		last := rc.order.Back()
		e := last.Value.(*cacheEntry)
		rc.order.Remove(last)
		delete(rc.entries, e.key)
		rc.weight -= e.weight
	}
}

// snapshotKey names the data a read sees, or "" when answers must not be
// cached (see resultCache).
func (c *Call) snapshotKey(ctx context.Context, event *int64) (string, error) {
	// Only read transactions: a write transaction sees its own uncommitted
	// event, whose id SQLite hands out again if the transaction rolls back.
	if c.Tx.Dialect != store.SQLite || c.d == nil || c.d.cache == nil || c.Tx.Writable() {
		return "", nil
	}
	if event != nil {
		return "at" + strconv.FormatInt(*event, 10), nil
	}
	id, _, ok, err := store.LastEvent(ctx, c.Tx, nil)
	if err != nil || !ok {
		return "", err
	}
	return "now" + strconv.FormatInt(id, 10), nil
}
