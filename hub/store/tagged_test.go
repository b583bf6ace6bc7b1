package store_test

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// latestWorld is three tags, child first in the walk, with builds tagged
// and untagged over many events.
type latestWorld struct {
	user   int64
	tags   []int64 // the walk: tags[0] inherits tags[1], which inherits tags[2]
	pkgs   []int64
	builds map[int64][]int64 // package → its builds
	pkgOf  map[int64]int64
	events []int64
}

func (w *latestWorld) tag(t *testing.T, tx *store.Tx, tag, build int64) {
	t.Helper()
	if err := store.TagListing.Insert(ctx, tx, w.user, map[string]any{"tag_id": tag, "build_id": build, "pkg_id": w.pkgOf[build]}); err != nil {
		t.Fatal(err)
	}
}

// toggle tags build into tag, or untags it if tagged says it is there,
// and records the change in tagged.
func (w *latestWorld) toggle(tx *store.Tx, tagged map[[2]int64]bool, tag, build int64) error {
	key := [2]int64{tag, build}
	if tagged[key] {
		if _, err := store.TagListing.Revoke(ctx, tx, w.user, map[string]any{"tag_id": tag, "build_id": build}); err != nil {
			return err
		}
		delete(tagged, key)
		return nil
	}
	if err := store.TagListing.Insert(ctx, tx, w.user, map[string]any{"tag_id": tag, "build_id": build, "pkg_id": w.pkgOf[build]}); err != nil {
		return err
	}
	tagged[key] = true
	return nil
}

// latestBothWays answers q with Tagged and with the general query.
func latestBothWays(tx *store.Tx, q store.TaggedQuery) (got, want []*store.TaggedBuild, err error) {
	if got, err = store.Tagged(ctx, tx, q); err != nil {
		return nil, nil, err
	}
	want, err = store.TaggedByWindow(ctx, tx, q)
	return got, want, err
}

func newLatestWorld(t *testing.T, db *store.DB) *latestWorld {
	w := &latestWorld{builds: map[int64][]int64{}, pkgOf: map[int64]int64{}}
	err := db.InTx(ctx, true, func(tx *store.Tx) error {
		var err error
		if w.user, err = store.CreateUser(ctx, tx, store.NewUser{Name: "tagger"}); err != nil {
			return err
		}
		for i := 0; i < 3; i++ {
			id, err := store.CreateName(ctx, tx, "tag", fmt.Sprintf("walk%d", i))
			if err != nil {
				return err
			}
			w.tags = append(w.tags, id)
		}
		for i := 0; i < 12; i++ {
			p, err := store.CreateName(ctx, tx, "package", fmt.Sprintf("p%d", i))
			if err != nil {
				return err
			}
			w.pkgs = append(w.pkgs, p)
			// Listed at the root; p0 and p1 blocked in the middle, p1
			// listed again in the child.
			if err := store.TagPackages.Insert(ctx, tx, w.user, map[string]any{"tag_id": w.tags[2], "package_id": p, "blocked": false}); err != nil {
				return err
			}
			if i < 2 {
				if err := store.TagPackages.Insert(ctx, tx, w.user, map[string]any{"tag_id": w.tags[1], "package_id": p, "blocked": true}); err != nil {
					return err
				}
			}
			if i == 1 {
				if err := store.TagPackages.Insert(ctx, tx, w.user, map[string]any{"tag_id": w.tags[0], "package_id": p, "blocked": false}); err != nil {
					return err
				}
			}
			for v := 0; v < 5; v++ {
				b, err := store.CreateBuild(ctx, tx, store.NewBuild{PackageID: p, Version: fmt.Sprint(v), Release: "1",
					State: hub.BuildComplete, Owner: w.user})
				if err != nil {
					return err
				}
				w.builds[p] = append(w.builds[p], b)
				w.pkgOf[b] = p
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *latestWorld) query(event *int64) store.TaggedQuery {
	return store.TaggedQuery{Tags: w.tags, ListTags: w.tags, Event: event, Latest: 1}
}

// TestLatestFromListingsMatchesWindow compares the latest-only path, which
// reads tag_listing alone, with the general query at every event of a
// random history: tags, untags, retags, two builds of a package tagged at
// one event, and builds deleted after they were untagged.
func TestLatestFromListingsMatchesWindow(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newLatestWorld(t, db)
		rnd := rand.New(rand.NewSource(1))
		tagged := map[[2]int64]bool{}
		// p2 is blocked in the middle tag for a while, now and then, so
		// that the package lists change along the history too.
		p2Blocked, p2BlockedAt := false, map[int64]bool{}
		for step := 0; step < 60; step++ {
			err := db.InTx(ctx, true, func(tx *store.Tx) error {
				if step%10 == 5 {
					entry := map[string]any{"tag_id": w.tags[1], "package_id": w.pkgs[2]}
					if p2Blocked {
						if _, err := store.TagPackages.Revoke(ctx, tx, w.user, entry); err != nil {
							return err
						}
					} else {
						entry["blocked"] = true
						if err := store.TagPackages.Insert(ctx, tx, w.user, entry); err != nil {
							return err
						}
					}
					p2Blocked = !p2Blocked
				}
				for op := 0; op < 1+rnd.Intn(4); op++ {
					tag := w.tags[rnd.Intn(len(w.tags))]
					p := w.pkgs[rnd.Intn(len(w.pkgs))]
					if err := w.toggle(tx, tagged, tag, w.builds[p][rnd.Intn(5)]); err != nil {
						return err
					}
				}
				ev, err := tx.Event(ctx)
				w.events = append(w.events, ev)
				p2BlockedAt[ev] = p2Blocked
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Delete the builds that are in no tag now; history still lists
		// most of them.
		deleted := 0
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			for b := range w.pkgOf {
				// Some builds have extra, which the latest-only path
				// reads from build itself when asked for.
				if b%3 == 0 {
					if err := store.SetBuildFields(ctx, tx, b, map[string]any{"extra": fmt.Sprintf(`{"n": %d}`, b)}); err != nil {
						return err
					}
				}
				inTag := false
				for _, tag := range w.tags {
					inTag = inTag || tagged[[2]int64{tag, b}]
				}
				if !inTag && b%2 == 0 {
					if _, err := store.SetBuildState(ctx, tx, b, hub.BuildComplete, hub.BuildDeleted, nil); err != nil {
						return err
					}
					deleted++
				}
			}
			return nil
		})
		if err != nil || deleted == 0 {
			t.Fatalf("deleting builds: %v (%d deleted)", err, deleted)
		}
		events := append([]*int64{nil}, nil)
		for i := range w.events {
			events = append(events, &w.events[i])
		}
		err = db.InTx(ctx, false, func(tx *store.Tx) error {
			nonEmpty, sawP1, sawP2 := 0, false, false
			for _, ev := range events {
				got, err := store.Tagged(ctx, tx, w.query(ev))
				if err != nil {
					return err
				}
				want, err := store.TaggedByWindow(ctx, tx, w.query(ev))
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("event %v: latest-only path gives\n%v\nthe general query\n%v", ev, summary(got), summary(want))
				}
				qx := w.query(ev)
				qx.Extra = true
				gotX, wantX, err := latestBothWays(tx, qx)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(gotX, wantX) {
					t.Errorf("event %v, with extra: latest-only path gives\n%v\nthe general query\n%v", ev, summary(gotX), summary(wantX))
				}
				for _, b := range gotX {
					if (b.Extra != nil) != (b.ID%3 == 0) {
						t.Errorf("event %v: build %d has extra %v", ev, b.ID, b.Extra)
					}
				}
				if len(got) > 0 {
					nonEmpty++
				}
				// Asking for one package gives that package's part of
				// the whole answer.
				for i, p := range w.pkgs {
					q := w.query(ev)
					name := fmt.Sprintf("p%d", i)
					q.Package = &name
					one, err := store.Tagged(ctx, tx, q)
					if err != nil {
						return err
					}
					var part []*store.TaggedBuild
					for _, b := range got {
						if b.PackageID == p {
							part = append(part, b)
						}
					}
					if !reflect.DeepEqual(one, part) {
						t.Errorf("event %v, package %s: %v, want %v", ev, name, summary(one), summary(part))
					}
				}
				// p0 is blocked in the middle tag; p1 too, but listed again
				// in the child, which comes first.
				for _, b := range got {
					if b.PackageID == w.pkgs[0] {
						t.Errorf("event %v: blocked p0 listed: %v", ev, summary(got))
					}
					if b.PackageID == w.pkgs[1] {
						sawP1 = true
					}
					if b.PackageID == w.pkgs[2] {
						sawP2 = true
						if (ev == nil && p2Blocked) || (ev != nil && p2BlockedAt[*ev]) {
							t.Errorf("event %v: p2 listed while blocked: %v", ev, summary(got))
						}
					}
				}
			}
			if !sawP1 {
				t.Error("p1, listed again in the child tag, never appears")
			}
			if !sawP2 {
				t.Error("p2, blocked only for a while, never appears")
			}
			if nonEmpty < len(events)/2 {
				t.Errorf("only %d of %d events hold builds: the history is too thin to compare", nonEmpty, len(events))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestLatestNowMatchesWindow compares the answer for now (on PostgreSQL
// the walk followed in Go, latestByKeys) with the general query after
// every step of a random history, for walks of every shape: the usual one,
// no package lists, a package list walk of its own, a tag listed twice, a
// single tag, the walk reversed.
func TestLatestNowMatchesWindow(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newLatestWorld(t, db)
		t0, t1, t2 := w.tags[0], w.tags[1], w.tags[2]
		queries := map[string]store.TaggedQuery{
			"walk":              {Tags: w.tags, ListTags: w.tags},
			"no package lists":  {Tags: w.tags},
			"lists of the root": {Tags: w.tags, ListTags: []int64{t2}},
			"tag twice":         {Tags: []int64{t0, t1, t0, t2}, ListTags: w.tags},
			"one tag":           {Tags: []int64{t1}, ListTags: []int64{t1, t2}},
			"reversed":          {Tags: []int64{t2, t1, t0}, ListTags: []int64{t2, t1, t0}},
		}
		rnd := rand.New(rand.NewSource(2))
		tagged := map[[2]int64]bool{}
		nonEmpty := map[string]int{}
		for step := 0; step < 40; step++ {
			err := db.InTx(ctx, true, func(tx *store.Tx) error {
				if step%8 == 3 {
					// Block or unblock a package in the middle tag.
					entry := map[string]any{"tag_id": t1, "package_id": w.pkgs[2+rnd.Intn(4)]}
					if n, err := store.TagPackages.Revoke(ctx, tx, w.user, entry); err != nil || n > 0 {
						return err
					}
					entry["blocked"] = true
					return store.TagPackages.Insert(ctx, tx, w.user, entry)
				}
				for op := 0; op < 1+rnd.Intn(6); op++ {
					tag := w.tags[rnd.Intn(len(w.tags))]
					p := w.pkgs[rnd.Intn(len(w.pkgs))]
					if err := w.toggle(tx, tagged, tag, w.builds[p][rnd.Intn(5)]); err != nil {
						return err
					}
				}
				// A write sees its own changes, through the walk in SQL
				// (latestSQL) on PostgreSQL too.
				q := queries["walk"]
				q.Latest = 1
				got, want, err := latestBothWays(tx, q)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("step %d, in the write: the latest builds are\n%v\nthe general query gives\n%v", step, summary(got), summary(want))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Every other step, the connections for reads aside are
			// busy, and the keys are read in the transaction.
			release := func() {}
			if step%2 == 1 {
				release = db.HoldAsideSlots()
			}
			for name, q := range queries {
				q.Latest = 1
				// A read of its own each time, as a hub's call is.
				err := db.InTx(ctx, false, func(tx *store.Tx) error {
					got, want, err := latestBothWays(tx, q)
					if err != nil {
						return err
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("step %d, %s: the latest builds now are\n%v\nthe general query gives\n%v", step, name, summary(got), summary(want))
					}
					if len(got) > 0 {
						nonEmpty[name]++
					}
					return nil
				})
				if err != nil {
					t.Fatalf("step %d, %s: %v", step, name, err)
				}
			}
			release()
		}
		for name := range queries {
			if nonEmpty[name] < 20 {
				t.Errorf("%s: only %d of 40 steps have builds: the history is too thin to compare", name, nonEmpty[name])
			}
		}
	})
}

// TestLatestNowFromOneSnapshot: a read's latest builds are those of its
// snapshot even when a commit comes after it began. On PostgreSQL the
// keys of the walk are read on another connection, which sees the commit;
// the answers' version read with them tells, and they are read again.
func TestLatestNowFromOneSnapshot(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newLatestWorld(t, db)
		p5, p6 := w.pkgs[5], w.pkgs[6]
		// p5's build is in the middle tag only, p6's in the root only.
		inMiddle, inRoot := w.builds[p5][0], w.builds[p6][0]
		if err := db.InTx(ctx, true, func(tx *store.Tx) error {
			w.tag(t, tx, w.tags[1], inMiddle)
			w.tag(t, tx, w.tags[2], inRoot)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		q := store.TaggedQuery{Tags: w.tags, ListTags: w.tags, Latest: 1}
		tx, err := db.Begin(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := tx.PinSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
		// After the snapshot: p5 leaves the middle tag, p6 comes into it.
		if err := db.InTx(ctx, true, func(wtx *store.Tx) error {
			if _, err := store.TagListing.Revoke(ctx, wtx, w.user, map[string]any{"tag_id": w.tags[1], "build_id": inMiddle}); err != nil {
				return err
			}
			w.tag(t, wtx, w.tags[1], w.builds[p6][1])
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got, err := store.Tagged(ctx, tx, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids [][2]int64
		for _, b := range got {
			ids = append(ids, [2]int64{b.ID, b.TagID})
		}
		if want := [][2]int64{{inMiddle, w.tags[1]}, {inRoot, w.tags[2]}}; !reflect.DeepEqual(ids, want) {
			t.Errorf("the latest builds (build, tag) in the snapshot are %v, want %v", ids, want)
		}
		want, err := store.TaggedByWindow(ctx, tx, q)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("the latest builds are\n%v\nthe general query gives\n%v", summary(got), summary(want))
		}
	})
}

// TestLatestNowUnderConcurrentWrites: readers, more than there are
// connections for reads aside, ask for the latest builds while a writer
// tags and untags; each answer must be that of the reader's snapshot.
func TestLatestNowUnderConcurrentWrites(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newLatestWorld(t, db)
		q := store.TaggedQuery{Tags: w.tags, ListTags: w.tags, Latest: 1}
		stop := make(chan struct{})
		writerDone := make(chan error, 1)
		go func() {
			rnd := rand.New(rand.NewSource(3))
			tagged := map[[2]int64]bool{}
			for {
				select {
				case <-stop:
					writerDone <- nil
					return
				default:
				}
				tag := w.tags[rnd.Intn(len(w.tags))]
				p := w.pkgs[rnd.Intn(len(w.pkgs))]
				err := db.InTx(ctx, true, func(tx *store.Tx) error {
					return w.toggle(tx, tagged, tag, w.builds[p][rnd.Intn(5)])
				})
				if err != nil {
					writerDone <- err
					return
				}
			}
		}()
		const readers, reads = 8, 15
		errs := make(chan error, readers)
		for r := 0; r < readers; r++ {
			go func() {
				for i := 0; i < reads; i++ {
					err := db.InTx(ctx, false, func(tx *store.Tx) error {
						got, want, err := latestBothWays(tx, q)
						if err != nil {
							return err
						}
						if !reflect.DeepEqual(got, want) {
							return fmt.Errorf("the latest builds are\n%v\nthe general query in the same read gives\n%v", summary(got), summary(want))
						}
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for r := 0; r < readers; r++ {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		close(stop)
		if err := <-writerDone; err != nil {
			t.Fatal(err)
		}
	})
}

// TestLatestSkipsDeletedBuildInHistory: at an event where a tag's newest
// build is one deleted since, the build tagged before it is the latest.
func TestLatestSkipsDeletedBuildInHistory(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newLatestWorld(t, db)
		p := w.pkgs[5]
		older, newer := w.builds[p][0], w.builds[p][1]
		var at int64
		steps := []func(tx *store.Tx) error{
			func(tx *store.Tx) error { w.tag(t, tx, w.tags[0], older); return nil },
			func(tx *store.Tx) error {
				w.tag(t, tx, w.tags[0], newer)
				var err error
				at, err = tx.Event(ctx)
				return err
			},
			func(tx *store.Tx) error {
				_, err := store.TagListing.Revoke(ctx, tx, w.user, map[string]any{"tag_id": w.tags[0], "build_id": newer})
				return err
			},
			func(tx *store.Tx) error {
				_, err := store.SetBuildState(ctx, tx, newer, hub.BuildComplete, hub.BuildDeleted, nil)
				return err
			},
		}
		for _, s := range steps {
			if err := db.InTx(ctx, true, s); err != nil {
				t.Fatal(err)
			}
		}
		err := db.InTx(ctx, false, func(tx *store.Tx) error {
			got, err := store.Tagged(ctx, tx, w.query(&at))
			if err != nil {
				return err
			}
			if len(got) != 1 || got[0].ID != older {
				t.Errorf("latest at event %d = %v, want only build %d (build %d was deleted)", at, summary(got), older, newer)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestLatestTieOnOneEvent: two builds of a package tagged at one event;
// the higher build id is the latest, as in Koji's order.
func TestLatestTieOnOneEvent(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newLatestWorld(t, db)
		p := w.pkgs[3]
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			w.tag(t, tx, w.tags[1], w.builds[p][4])
			w.tag(t, tx, w.tags[1], w.builds[p][2])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, false, func(tx *store.Tx) error {
			got, err := store.Tagged(ctx, tx, w.query(nil))
			if err != nil {
				return err
			}
			if len(got) != 1 || got[0].ID != w.builds[p][4] || got[0].TagID != w.tags[1] || got[0].Depth != 1 {
				t.Errorf("latest = %v, want build %d from tag %d at depth 1", summary(got), w.builds[p][4], w.tags[1])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func summary(bs []*store.TaggedBuild) []string {
	var out []string
	for _, b := range bs {
		out = append(out, fmt.Sprintf("%s-%s@tag%d/ev%d", b.PackageName, b.Version, b.TagID, b.ListingEvent))
	}
	return out
}

// TestTagLatestFollowsListings: after every kind of tag_listing write
// (tag, retag, untag, a whole tag revoked as deleteTag does, a build's
// listings deleted as resetBuild does) and every change of a build that
// tag_latest copies (owner, timestamps, epoch, task, state, as
// setBuildOwner, setBuildTimestamp and the builders make), tag_latest holds
// exactly each tag's newest current listing of each package, with the
// build as it is now.
func TestTagLatestFollowsListings(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newLatestWorld(t, db)
		rnd := rand.New(rand.NewSource(2))
		tagged := map[[2]int64]bool{}
		kinds := map[string]int{}
		for step := 0; step < 80; step++ {
			err := db.InTx(ctx, true, func(tx *store.Tx) error {
				tag := w.tags[rnd.Intn(len(w.tags))]
				p := w.pkgs[rnd.Intn(len(w.pkgs))]
				b := w.builds[p][rnd.Intn(5)]
				switch r := rnd.Intn(45); {
				case r >= 40:
					kinds["change build"]++
					other, err := store.CreateUser(ctx, tx, store.NewUser{Name: fmt.Sprintf("owner%d", step)})
					if err != nil {
						return err
					}
					fields := map[string]any{"owner": other, "completion_us": int64(step) * 1000, "start_us": int64(step),
						"epoch": step, "task_id": nil, "state": []int{hub.BuildComplete, hub.BuildDeleted}[step%2]}
					if err := store.SetBuildFields(ctx, tx, b, fields); err != nil {
						return err
					}
				case r == 0:
					kinds["revoke tag"]++
					if _, err := store.TagListing.Revoke(ctx, tx, w.user, map[string]any{"tag_id": tag}); err != nil {
						return err
					}
					for k := range tagged {
						if k[0] == tag {
							delete(tagged, k)
						}
					}
				case r < 3:
					kinds["delete listings"]++
					if err := store.DeleteBuildListings(ctx, tx, b); err != nil {
						return err
					}
					for _, tg := range w.tags {
						delete(tagged, [2]int64{tg, b})
					}
				case tagged[[2]int64{tag, b}] && r < 20:
					kinds["untag"]++
					if _, err := store.TagListing.Revoke(ctx, tx, w.user, map[string]any{"tag_id": tag, "build_id": b}); err != nil {
						return err
					}
					delete(tagged, [2]int64{tag, b})
				case tagged[[2]int64{tag, b}]:
					kinds["retag"]++
					if _, err := store.TagListing.Revoke(ctx, tx, w.user, map[string]any{"tag_id": tag, "build_id": b}); err != nil {
						return err
					}
					w.tag(t, tx, tag, b)
				default:
					kinds["tag"]++
					w.tag(t, tx, tag, b)
					tagged[[2]int64{tag, b}] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			checkTagLatest(t, db, step)
		}
		for _, k := range []string{"tag", "retag", "untag", "revoke tag", "delete listings", "change build"} {
			if kinds[k] == 0 {
				t.Errorf("the random history has no %q step: %v", k, kinds)
			}
		}
	})
}

// checkTagLatest compares tag_latest with the newest current listing of
// each tag and package, found the slow way, and its copies with the build,
// package and event they come from.
func checkTagLatest(t *testing.T, db *store.DB, step int) {
	t.Helper()
	type row struct {
		Tag          int64  `db:"tag_id"`
		Pkg          int64  `db:"pkg_id"`
		Build        int64  `db:"build_id"`
		Event        int64  `db:"create_event"`
		PkgName      string `db:"pkg_name"`
		Version      string `db:"version"`
		Release      string `db:"release"`
		Epoch        *int64 `db:"epoch"`
		Draft        bool   `db:"draft"`
		State        int64  `db:"state"`
		Task         *int64 `db:"task_id"`
		Owner        int64  `db:"owner"`
		BuildEvent   int64  `db:"build_event"`
		BuildUS      int64  `db:"build_us"`
		StartUS      *int64 `db:"start_us"`
		CompletionUS *int64 `db:"completion_us"`
		PromotionUS  *int64 `db:"promotion_us"`
		Promoter     *int64 `db:"promoter"`
		Volume       int64  `db:"volume_id"`
	}
	var got, want []row
	err := db.InTx(ctx, false, func(tx *store.Tx) error {
		if err := tx.Select(ctx, &got, "SELECT * FROM tag_latest ORDER BY tag_id, pkg_id"); err != nil {
			return err
		}
		return tx.Select(ctx, &want, `SELECT n.tag_id, n.pkg_id, n.build_id, n.create_event, p.name AS pkg_name,
			b.version, b.release, b.epoch, b.draft, b.state, b.task_id, b.owner, b.create_event AS build_event,
			e.time_us AS build_us, b.start_us, b.completion_us, b.promotion_us, b.promoter, b.volume_id FROM (
			SELECT tag_id, pkg_id, build_id, create_event, ROW_NUMBER() OVER (PARTITION BY tag_id, pkg_id
			ORDER BY create_event DESC, build_id DESC) AS rn FROM tag_listing WHERE active = TRUE) n
			JOIN build b ON b.id = n.build_id JOIN package p ON p.id = b.pkg_id JOIN events e ON e.id = b.create_event
			WHERE rn = 1 ORDER BY n.tag_id, n.pkg_id`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("step %d: tag_latest holds\n%+v\nthe listings and builds say\n%+v", step, got, want)
	}
}

// TestWalkLengths: short walks take the tag-by-tag form of
// firstAlongWalk and listedSQL, long ones (over 32 tags, 700 for SQLite's limit of 500
// terms in a compound SELECT) the ranking form; both give the first tag's
// build and apply the first package-list entry along the walk.
func TestWalkLengths(t *testing.T) {
	for _, n := range []int{20, 40, 700} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
				var walk []int64
				err := db.InTx(ctx, true, func(tx *store.Tx) error {
					user, err := store.CreateUser(ctx, tx, store.NewUser{Name: "walker"})
					if err != nil {
						return err
					}
					for i := 0; i < n; i++ {
						id, err := store.CreateName(ctx, tx, "tag", fmt.Sprintf("walk%d", i))
						if err != nil {
							return err
						}
						walk = append(walk, id)
					}
					root := n - 1
					pkgs := map[string]int64{}
					for _, name := range []string{"a", "b", "c", "d", "e"} {
						if pkgs[name], err = store.CreateName(ctx, tx, "package", name); err != nil {
							return err
						}
						// Listed at the root; c blocked on the way, e blocked
						// at the root but listed again near the top.
						blocked := name == "e"
						if err := store.TagPackages.Insert(ctx, tx, user, map[string]any{"tag_id": walk[root], "package_id": pkgs[name], "blocked": blocked}); err != nil {
							return err
						}
					}
					for _, e := range []struct {
						pkg     string
						at      int
						blocked bool
					}{{"c", 10, true}, {"e", 3, false}} {
						if err := store.TagPackages.Insert(ctx, tx, user, map[string]any{"tag_id": walk[e.at], "package_id": pkgs[e.pkg], "blocked": e.blocked}); err != nil {
							return err
						}
					}
					for _, tb := range []struct {
						nvr string
						at  int
					}{{"a", n - 5}, {"b1", n - 10}, {"b2", 5}, {"c", 12}, {"d", root}, {"e", n - 2}} {
						b, err := store.CreateBuild(ctx, tx, store.NewBuild{PackageID: pkgs[tb.nvr[:1]], Version: tb.nvr, Release: "1",
							State: hub.BuildComplete, Owner: user})
						if err != nil {
							return err
						}
						if err := store.TagListing.Insert(ctx, tx, user, map[string]any{"tag_id": walk[tb.at], "build_id": b, "pkg_id": pkgs[tb.nvr[:1]]}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range []struct {
					latest int64
					want   []string
				}{{1, []string{"b2", "a", "e", "d"}}, {0, []string{"b2", "b1", "a", "e", "d"}}} {
					var got []walkRow
					err := db.InTx(ctx, false, func(tx *store.Tx) error {
						res, err := store.Tagged(ctx, tx, store.TaggedQuery{Tags: walk, ListTags: walk, Latest: c.latest})
						for _, r := range res {
							got = append(got, walkRow{r.Version, r.Depth})
						}
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
					var want []walkRow
					depth := map[string]int{"a": n - 5, "b1": n - 10, "b2": 5, "d": n - 1, "e": n - 2}
					for _, v := range c.want {
						want = append(want, walkRow{v, depth[v]})
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("latest=%d: got %v, want %v", c.latest, got, want)
					}
				}
			})
		})
	}
}

// walkRow is a tagged build's version (here its name) and depth.
type walkRow struct {
	Version string
	Depth   int
}

// TestTagLatestConcurrentTagging: two PostgreSQL transactions tagging
// builds of one package into one tag at once (as two hubs may) both
// succeed, and tag_latest ends with the newer listing.
func TestTagLatestConcurrentTagging(t *testing.T) {
	db := hubtest.OpenDB(t, hubtest.Postgres)
	w := newLatestWorld(t, db)
	for round := 0; round < 20; round++ {
		p := w.pkgs[round%len(w.pkgs)]
		tag := w.tags[round%len(w.tags)]
		errs := make(chan error, 2)
		start := make(chan struct{})
		for i := 0; i < 2; i++ {
			b := w.builds[p][(2*round+i)%5]
			go func() {
				<-start
				errs <- db.InTx(ctx, true, func(tx *store.Tx) error {
					if _, err := store.TagListing.Revoke(ctx, tx, w.user, map[string]any{"tag_id": tag, "build_id": b}); err != nil {
						return err
					}
					return store.TagListing.Insert(ctx, tx, w.user, map[string]any{"tag_id": tag, "build_id": b, "pkg_id": p})
				})
			}()
		}
		close(start)
		for i := 0; i < 2; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: concurrent tagging failed: %v", round, err)
			}
		}
		checkTagLatest(t, db, round)
	}
}

// TestTagLatestCopiesWaitForBuildChange: a tagging that starts while a
// change of the build is uncommitted (as two hubs may do) waits for it and
// copies what it committed. Without the wait the tagging would copy the
// build as it was, and the change's trigger, run before the tagging's row
// existed, would never correct it.
func TestTagLatestCopiesWaitForBuildChange(t *testing.T) {
	db := hubtest.OpenDB(t, hubtest.Postgres)
	w := newLatestWorld(t, db)
	tag, p := w.tags[0], w.pkgs[4]
	b := w.builds[p][0]
	change, err := db.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer change.Rollback()
	owner, err := store.CreateUser(ctx, change, store.NewUser{Name: "new-owner"})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetBuildFields(ctx, change, b, map[string]any{"owner": owner}); err != nil {
		t.Fatal(err)
	}
	done := startBlocked(t, db, "the tagging", func(tx *store.Tx) error {
		return store.TagListing.Insert(ctx, tx, w.user, map[string]any{"tag_id": tag, "build_id": b, "pkg_id": p})
	})
	if err := change.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("tagging failed after a concurrent build change: %v", err)
	}
	checkTagLatest(t, db, 0)
}

// startBlocked runs work in a write transaction of its own, on another
// goroutine, and returns once that transaction waits for a lock (which
// the caller holds); the channel then gives work's result. what names the
// work in the test's failures.
func startBlocked(t *testing.T, db *store.DB, what string, work func(tx *store.Tx) error) <-chan error {
	t.Helper()
	pid := make(chan int64, 1)
	done := make(chan error, 1)
	go func() {
		done <- db.InTx(ctx, true, func(tx *store.Tx) error {
			var id int64
			if err := tx.Get(ctx, &id, "SELECT pg_backend_pid()"); err != nil {
				return err
			}
			pid <- id
			return work(tx)
		})
	}()
	var backend int64
	select {
	case backend = <-pid:
	case err := <-done:
		t.Fatalf("%s ended before it began: %v", what, err)
	}
	for waiting := false; !waiting; {
		if err := db.InTx(ctx, false, func(tx *store.Tx) error {
			return tx.Get(ctx, &waiting, "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = ? AND NOT granted)", backend)
		}); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("%s did not wait for the other transaction (err %v)", what, err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	return done
}

// TestTagLatestWholeTagRewriteWaits: a rewrite of a whole tag's
// tag_latest rows (as deleteTag does) that starts while a tagging into the
// tag is uncommitted waits for it, instead of failing on the row the
// tagging adds when it commits between the rewrite's DELETE and INSERT.
func TestTagLatestWholeTagRewriteWaits(t *testing.T) {
	db := hubtest.OpenDB(t, hubtest.Postgres)
	w := newLatestWorld(t, db)
	tag, p := w.tags[0], w.pkgs[3]
	old, newer := w.builds[p][0], w.builds[p][1]
	if err := db.InTx(ctx, true, func(tx *store.Tx) error {
		return store.TagListing.Insert(ctx, tx, w.user, map[string]any{"tag_id": tag, "build_id": old, "pkg_id": p})
	}); err != nil {
		t.Fatal(err)
	}
	tagging, err := db.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer tagging.Rollback()
	if err := store.TagListing.Insert(ctx, tagging, w.user, map[string]any{"tag_id": tag, "build_id": newer, "pkg_id": p}); err != nil {
		t.Fatal(err)
	}
	// Commit the tagging only once the rewrite waits for it.
	done := startBlocked(t, db, "the rewrite", func(tx *store.Tx) error {
		_, err := store.TagListing.Revoke(ctx, tx, w.user, map[string]any{"tag_id": tag})
		return err
	})
	if err := tagging.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("whole-tag rewrite failed after a concurrent tagging: %v", err)
	}
	checkTagLatest(t, db, 0)
}

// TestTagLocksPerSchema: two hubs on different schemas of one database each
// have a tag 1. Holding one's tag lock must not make the other wait.
func TestTagLocksPerSchema(t *testing.T) {
	a, b := hubtest.OpenDB(t, hubtest.Postgres), hubtest.OpenDB(t, hubtest.Postgres)
	other, err := b.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	holder, err := a.Begin(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	// Deferred last, so it runs first: a waiting LockTag on other ends
	// only once holder lets go.
	defer holder.Rollback()
	if err := store.LockTag(ctx, holder, 1); err != nil {
		t.Fatal(err)
	}
	var pid int64
	if err := other.Get(ctx, &pid, "SELECT pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- store.LockTag(ctx, other, 1) }()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		case <-time.After(5 * time.Millisecond):
		}
		var waiting bool
		if err := a.InTx(ctx, false, func(tx *store.Tx) error {
			return tx.Get(ctx, &waiting, "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = ? AND NOT granted)", pid)
		}); err != nil {
			t.Fatal(err)
		}
		if waiting {
			t.Fatal("a tag lock on one schema waits for the same tag id on another")
		}
	}
}

// TestLatestWalkIsIndexOnly checks that the parts of the latest builds'
// walk that only ask which packages a tag holds (skipping those an earlier
// tag has) read tag_latest's primary-key index alone, never its wide rows.
// On SQLite, every EXCEPT of the walk and of the package lists must run as
// a merge of index ranges, not through a temporary B-tree.
func TestLatestWalkIsIndexOnly(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		w := newLatestWorld(t, db)
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			for i, p := range w.pkgs {
				w.tag(t, tx, w.tags[i%3], w.builds[p][0])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Vacuum(ctx); err != nil {
			t.Fatal(err)
		}
		tx, queries, undo := capturing(t, db)
		got, err := store.Tagged(ctx, tx, w.query(nil))
		undo()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 11 { // 12 packages, p0 blocked
			t.Fatalf("got %d builds, want 11", len(got))
		}
		want, keyRead := "COVERING INDEX sqlite_autoindex_tag_latest_1", "FROM tag_latest m"
		if db.Dialect == store.Postgres {
			want, keyRead = "Index Only Scan using tag_latest_pkey", "FROM tag_latest x"
			// Tiny tables would otherwise be scanned whole.
			if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
		}
		var found bool
		for _, q := range *queries {
			if !strings.Contains(q.sql, "tag_latest") {
				continue
			}
			found = true
			plan := strings.Join(explain(t, tx, db.Dialect, q), "\n")
			if n := strings.Count(q.sql, keyRead); n == 0 || strings.Count(plan, want) < n {
				t.Errorf("want %d reads by %q (at least one), plan:\n%s", n, want, plan)
			}
			if db.Dialect == store.SQLite {
				// SQLite builds the package list once per part of the
				// walk: each EXCEPT shows up to three times.
				n := strings.Count(q.sql, " EXCEPT ")
				if n == 0 || strings.Count(plan, "MERGE (EXCEPT)") < n || strings.Contains(plan, "TEMP B-TREE") {
					t.Errorf("want %d EXCEPT merges (at least one) and no temporary B-tree, plan:\n%s", n, plan)
				}
			}
		}
		if !found {
			t.Fatal("no query read tag_latest")
		}
	})
}
