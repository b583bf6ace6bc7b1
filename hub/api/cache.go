package api

import (
	"container/list"
	"context"
	"strconv"
	"sync"

	"github.com/gokoji/gokoji/hub/store"
)

// resultCache keeps computed answers keyed by the data they were computed
// from (snapshotKey), so a key names one state of the database and a hit is
// never stale.
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
// cached. Only read transactions cache: a write transaction sees its own
// uncommitted changes.
//
// The name is store.AnswersVersion, which changes with every committed
// write of data (not only those that make an event: setBuildOwner makes
// none), on any hub, but not with heartbeats and task polls.
func (c *Call) snapshotKey(ctx context.Context, event *int64) (string, error) {
	if c.d == nil || c.d.cache == nil || c.Tx.Writable() {
		return "", nil
	}
	at := "now"
	if event != nil {
		at = "at" + strconv.FormatInt(*event, 10)
	}
	v, err := store.AnswersVersion(ctx, c.Tx)
	if err != nil {
		return "", err
	}
	return at + "|" + v, nil
}
