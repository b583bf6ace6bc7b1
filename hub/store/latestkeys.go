package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// On PostgreSQL, following the walk in SQL (latestSQL) costs the server
// most of the answer's time: the anti-joins that find which packages a tag
// adds to the tags before it hash and probe every key of the walk, and
// scan the wide rows they then drop. latestByKeys instead reads the walk's
// keys (tag_latest's packages of each tag, and the package lists) as one
// array per tag, follows the walk in Go over sorted ids, and reads only
// the wide rows that win.
//
// SQLite keeps latestSQL: it merges the tags' key ranges in process, and
// has no arrays to hand a tag's keys over in one value.

// walkKeys are the keys latestByKeys follows the walk over, per tag,
// each slice sorted.
type walkKeys struct {
	latest  map[int64][]int64 // tag_latest's packages
	open    map[int64][]int64 // packages listed and not blocked
	blocked map[int64][]int64 // packages blocked
}

// keysQuery reads into k the keys of tags (tag_latest) and of listTags
// (their package lists now), one row per tag and kind of key, and, when
// version is not nil, the answers' version (AnswersVersion) the keys are
// of.
func keysQuery(k *walkKeys, tags, listTags []int64, version *int64) rowQuery {
	const latestKeys, listKeys, versionRow = 0, 1, 2
	*k = walkKeys{latest: map[int64][]int64{}, open: map[int64][]int64{}, blocked: map[int64][]int64{}}
	var parts []string
	var args []any
	if len(tags) > 0 {
		in, targs := InList(tags)
		parts = append(parts, fmt.Sprintf("SELECT %d AS kind, tag_id, array_agg(pkg_id) AS pkgs, CAST(NULL AS BIGINT[]) AS blocked "+
			"FROM tag_latest WHERE tag_id IN %s GROUP BY tag_id", latestKeys, in))
		args = append(args, targs...)
	}
	if listTags != nil {
		uniq, _ := firstPlaces(listTags)
		in, largs := InList(uniq)
		active, _ := AsOf("", nil)
		parts = append(parts, fmt.Sprintf("SELECT %d, tag_id, array_agg(package_id) FILTER (WHERE NOT blocked), "+
			"array_agg(package_id) FILTER (WHERE blocked) FROM tag_packages WHERE tag_id IN %s AND %s GROUP BY tag_id", listKeys, in, active))
		args = append(args, largs...)
	}
	if version != nil {
		parts = append(parts, fmt.Sprintf("SELECT %d, CAST(SUM(n) AS BIGINT), NULL, NULL FROM answers_version", versionRow))
	}
	var kind int
	var tag int64
	var pkgs, blocked []int64
	return rowQuery{strings.Join(parts, " UNION ALL "), args, []any{&kind, &tag, &pkgs, &blocked}, func() error {
		// array_agg keeps the order it reads rows in, which the plan
		// chooses.
		slices.Sort(pkgs)
		slices.Sort(blocked)
		switch kind {
		case latestKeys:
			k.latest[tag] = pkgs
		case listKeys:
			k.open[tag], k.blocked[tag] = pkgs, blocked
		case versionRow:
			*version = tag
		default:
			return fmt.Errorf("key row of kind %d", kind)
		}
		// Each row gets slices of its own.
		pkgs, blocked = nil, nil
		return nil
	}}
}

// walkPart is what one tag of the walk adds to the answer: the packages
// whose latest build is the tag's (win), out of all its packages (keys).
type walkPart struct {
	tag   int64
	depth int
	keys  []int64
	win   []int64
}

// followWalk finds, for each tag of the walk, the packages it holds that no
// earlier tag holds and, when listTags is set, whose first package-list
// entry along listTags is not blocked.
func followWalk(k walkKeys, tags, listTags []int64) []walkPart {
	var listed []int64
	if listTags != nil {
		var decided []int64
		uniq, _ := firstPlaces(listTags)
		for _, t := range uniq {
			listed = union(listed, minus(k.open[t], decided))
			decided = union(decided, union(k.open[t], k.blocked[t]))
		}
	}
	var parts []walkPart
	var taken []int64
	uniq, depths := firstPlaces(tags)
	for i, t := range uniq {
		keys := k.latest[t]
		win := minus(keys, taken)
		if listTags != nil {
			win = intersect(win, listed)
		}
		taken = union(taken, keys)
		parts = append(parts, walkPart{tag: t, depth: depths[i], keys: keys, win: win})
	}
	return parts
}

// latestRows selects into sel the rows of tag_latest of the tag at depth
// in the walk.
func latestRows(tag int64, depth int) string {
	return fmt.Sprintf("SELECT build_id, create_event AS listing_event, %d AS depth, pkg_id, %s FROM tag_latest WHERE tag_id = %d",
		depth, tagLatestCopies, tag)
}

// latestByKeys answers a latestOnly query for now from the walk's keys.
// tx must be a read in one snapshot (Tx.oneSnapshot).
//
// The first tag's packages win unless the package lists hide them, so its
// rows are read whole, in the transaction, while another connection reads
// the other tags' keys: the server works on both at once. The keys are
// the snapshot's when the answers' version read with them is the
// snapshot's (every commit that changes tags, package lists or builds
// counts in it); otherwise they are read again in the snapshot. Of the
// other tags, only the rows of winning packages are read.
func latestByKeys(ctx context.Context, tx *Tx, q TaggedQuery) ([]*TaggedBuild, error) {
	uniq, depths := firstPlaces(q.Tags)
	first := "WITH sel AS (" + latestRows(uniq[0], depths[0]) + ")"
	if len(uniq) == 1 && q.ListTags == nil {
		return readTaggedBuilds(ctx, tx, first, nil, true, q)
	}
	var keys walkKeys
	var asideVersion, version int64
	rs := taggedRows{q: q}
	rows := rs.read(first, nil, true)
	var err error
	if aside := tx.startAside(ctx, keysQuery(&keys, uniq[1:], q.ListTags, &asideVersion)); aside != nil {
		err = tx.eachRows(ctx, versionQuery(&version), rows)
		if errAside := <-aside; err == nil && (errAside != nil || asideVersion != version) {
			// A commit came between the two reads (or the other
			// connection failed): read the keys in the snapshot.
			err = tx.eachRows(ctx, keysQuery(&keys, uniq[1:], q.ListTags, nil))
		}
	} else {
		err = tx.eachRows(ctx, rows, keysQuery(&keys, uniq[1:], q.ListTags, nil))
	}
	if err != nil {
		return nil, fmt.Errorf("read the latest builds: %w", err)
	}
	firstKeys := make([]int64, len(rs.found))
	for i, r := range rs.found {
		firstKeys[i] = r.PackageID
	}
	slices.Sort(firstKeys)
	keys.latest[uniq[0]] = firstKeys

	// A tag most of whose packages win is read whole and its other rows
	// dropped here (drop, per depth); for a few winners, their rows are
	// looked up in the index.
	drop := make([][]int64, len(q.Tags))
	var rest []string
	var args []any
	for i, p := range followWalk(keys, q.Tags, q.ListTags) {
		switch {
		case i == 0:
			drop[p.depth] = minus(p.keys, p.win)
		case len(p.win) == 0:
		case 2*len(p.win) >= len(p.keys):
			drop[p.depth] = minus(p.keys, p.win)
			rest = append(rest, latestRows(p.tag, p.depth))
		default:
			rest = append(rest, latestRows(p.tag, p.depth)+" AND pkg_id = ANY(?)")
			args = append(args, p.win)
		}
	}
	if len(rest) > 0 {
		with := "WITH sel AS (" + strings.Join(rest, " UNION ALL ") + ")"
		if err := tx.eachRows(ctx, rs.read(with, args, true)); err != nil {
			return nil, fmt.Errorf("read the latest builds: %w", err)
		}
	}
	kept := rs.found[:0]
	for _, r := range rs.found {
		if _, found := slices.BinarySearch(drop[r.Depth], r.PackageID); !found {
			kept = append(kept, r)
		}
	}
	return finishTagged(ctx, tx, kept)
}

// minus, union and intersect are set operations on sorted ids.

func minus(a, b []int64) []int64     { return sift(a, b, false) }
func intersect(a, b []int64) []int64 { return sift(a, b, true) }

// sift keeps the ids of a that are in b (in), or those that are not.
func sift(a, b []int64, in bool) []int64 {
	var out []int64
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if (j < len(b) && b[j] == x) == in {
			out = append(out, x)
		}
	}
	return out
}

func union(a, b []int64) []int64 {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	out := make([]int64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// versionQuery reads the answers' version (AnswersVersion) into version.
func versionQuery(version *int64) rowQuery {
	return rowQuery{sumAnswersVersion, nil, []any{version}, func() error { return nil }}
}
