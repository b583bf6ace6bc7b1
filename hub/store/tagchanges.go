package store

import (
	"context"
	"fmt"
)

// tagContentTables are the registered history tables marked TagContent.
func tagContentTables() []string {
	var out []string
	for _, n := range HistoryTableNames() {
		if historyTables[n].TagContent {
			out = append(out, n)
		}
	}
	return out
}

// TagChangedSince reports whether anything changed the content of any of the
// tags after event: a tag_updates entry or a row of a tag content table
// created or revoked since.
func TagChangedSince(ctx context.Context, tx *Tx, event int64, tagIDs []int64) (bool, error) {
	if len(tagIDs) == 0 {
		return false, nil
	}
	in, inArgs := InList(tagIDs)
	var n []int64
	q := "SELECT 1 FROM tag_updates WHERE update_event > ? AND tag_id IN " + in + " LIMIT 1"
	if err := tx.Select(ctx, &n, q, append([]any{event}, inArgs...)...); err != nil {
		return false, fmt.Errorf("read tag_updates: %w", err)
	}
	if len(n) > 0 {
		return true, nil
	}
	for _, t := range tagContentTables() {
		q := "SELECT 1 FROM " + t + " WHERE tag_id IN " + in + " AND (create_event > ? OR revoke_event > ?) LIMIT 1"
		if err := tx.Select(ctx, &n, q, append(append([]any{}, inArgs...), event, event)...); err != nil {
			return false, fmt.Errorf("read %s: %w", t, err)
		}
		if len(n) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// TagChangeBound finds the last event (last=true; only events before bound
// when bound is set) or the first event (last=false; only events after bound)
// that changed the tags' content or the external repos they use; nil when
// there is none.
func TagChangeBound(ctx context.Context, tx *Tx, tagIDs, repoIDs []int64, last bool, bound *int64) (*int64, error) {
	agg, cmp := "MIN", ">"
	if last {
		agg, cmp = "MAX", "<"
	}
	var best *int64
	consider := func(table, col, keyCol string, ids []int64) error {
		if len(ids) == 0 {
			return nil
		}
		in, args := InList(ids)
		q := fmt.Sprintf("SELECT %s(%s) FROM %s WHERE %s IN %s", agg, col, table, keyCol, in)
		if bound != nil {
			q += fmt.Sprintf(" AND %s %s ?", col, cmp)
			args = append(args, *bound)
		}
		var v *int64
		if err := tx.Get(ctx, &v, q, args...); err != nil {
			return fmt.Errorf("read %s of %s: %w", col, table, err)
		}
		if v != nil && (best == nil || (last && *v > *best) || (!last && *v < *best)) {
			best = v
		}
		return nil
	}
	if err := consider("tag_updates", "update_event", "tag_id", tagIDs); err != nil {
		return nil, err
	}
	for _, t := range tagContentTables() {
		for _, col := range []string{"create_event", "revoke_event"} {
			if err := consider(t, col, "tag_id", tagIDs); err != nil {
				return nil, err
			}
		}
	}
	for _, t := range []string{"external_repo_config", "external_repo_data"} {
		for _, col := range []string{"create_event", "revoke_event"} {
			if err := consider(t, col, "external_repo_id", repoIDs); err != nil {
				return nil, err
			}
		}
	}
	return best, nil
}

// FirstTagConfigEvent is the event that first created the tag, or nil.
func FirstTagConfigEvent(ctx context.Context, tx *Tx, tagID int64) (*int64, error) {
	var v *int64
	if err := tx.Get(ctx, &v, "SELECT MIN(create_event) FROM tag_config WHERE tag_id = ?", tagID); err != nil {
		return nil, fmt.Errorf("read tag_config: %w", err)
	}
	return v, nil
}
