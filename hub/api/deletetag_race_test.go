package api_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// deleteTag and a tagging into the same tag, on PostgreSQL, where both can
// run at once. Each test holds one side open in a transaction of its own,
// starts the other through the API, and goes on once the API call waits
// for the tag's lock. SQLite runs one writer at a time, so there the race
// cannot happen.

// raceWorld is a tag with a listed package and a complete build of it.
func raceWorld(t *testing.T) (h *hubtest.Hub, tagID, pkgID, buildID int64) {
	t.Helper()
	h = hubtest.Start(t, hubtest.OpenDB(t, hubtest.Postgres))
	admin := h.Admin(t)
	tagID = call(t, admin, "createTag", "doomed").(int64)
	call(t, admin, "packageListAdd", "doomed", "hello", "kojiadmin")
	buildID = call(t, admin, "createEmptyBuild", "hello", "1", "1", nil).(int64)
	pkgID = call(t, admin, "getPackageID", "hello").(int64)
	return h, tagID, pkgID, buildID
}

// waitForTagLock returns once some transaction waits for tag's advisory
// lock (store.LockTag, store.LockTagPackage), or fails if done reports first.
// The key is computed as the store computes it.
func waitForTagLock(t *testing.T, db *store.DB, tagID int64, done <-chan error) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		var waiting bool
		if err := db.InTx(ctx, false, func(tx *store.Tx) error {
			return tx.Get(ctx, &waiting, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
				AND (CAST(classid AS BIGINT) << 32 | CAST(objid AS BIGINT)) = hashtextextended(current_schema() || '/' || ?, 0))`, strconv.FormatInt(tagID, 10))
		}); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the call ended without waiting for the tag's lock: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatal("the call never waited for the tag's lock")
}

func activeListings(t *testing.T, db *store.DB, tagID int64) int64 {
	t.Helper()
	var n int64
	if err := db.InTx(ctx, false, func(tx *store.Tx) error {
		return tx.Get(ctx, &n, "SELECT COUNT(*) FROM tag_listing WHERE tag_id = ? AND active = TRUE", tagID)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDeleteTagAfterTaggingInProgress: a tagging holds its locks and has
// written its listing when deleteTag starts. deleteTag waits for it, and
// then revokes that listing with the others.
func TestDeleteTagAfterTaggingInProgress(t *testing.T) {
	h, tagID, pkgID, buildID := raceWorld(t)
	tagging, err := h.DB.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tagging.Rollback()
	if err := store.LockTagPackage(ctx, tagging, tagID, pkgID); err != nil {
		t.Fatal(err)
	}
	if err := store.TagListing.Insert(ctx, tagging, 1, map[string]any{"tag_id": tagID, "build_id": buildID, "pkg_id": pkgID}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	admin := h.Admin(t)
	go func() {
		_, err := admin.Call(ctx, "deleteTag", "doomed")
		done <- err
	}()
	waitForTagLock(t, h.DB, tagID, done)
	if err := tagging.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("deleteTag: %v", err)
	}
	if n := activeListings(t, h.DB, tagID); n != 0 {
		t.Errorf("the deleted tag still holds %d active listings", n)
	}
}

// TestTaggingAfterDeleteTagInProgress: deleteTag holds the tag's lock and
// has revoked the tag when a tagging starts. The tagging waits for it, then
// answers that the tag is gone and writes nothing.
func TestTaggingAfterDeleteTagInProgress(t *testing.T) {
	h, tagID, _, _ := raceWorld(t)
	deleting, err := h.DB.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer deleting.Rollback()
	if err := store.LockTag(ctx, deleting, tagID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.TagConfig.Revoke(ctx, deleting, 1, map[string]any{"tag_id": tagID}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	admin := h.Admin(t)
	go func() {
		_, err := admin.Call(ctx, "tagBuildBypass", "doomed", "hello-1-1")
		done <- err
	}()
	waitForTagLock(t, h.DB, tagID, done)
	if err := deleting.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	fault(t, <-done, hub.CodeGeneric, "No such tagInfo: 'doomed'")
	if n := activeListings(t, h.DB, tagID); n != 0 {
		t.Errorf("the deleted tag holds %d active listings", n)
	}
}
