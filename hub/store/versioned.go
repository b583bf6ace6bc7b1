package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Versioned describes a table whose rows are never updated in place: a change
// revokes the current row (revoke_event, revoker_id, active=NULL) and inserts a
// new one (create_event, creator_id, active=TRUE). Every such table gets "as of
// event N" queries and history from the same few functions here.
type Versioned struct {
	Table string
	// TagColumn names the column holding the tag whose content the table
	// shapes (tag_packages.tag_id …). Writes to such tables record a tag
	// change in the same transaction, which drives repo regeneration.
	TagColumn string
	// derived, when set, brings a table derived from this one up to date
	// after a write, in the same transaction. It gets the columns of an
	// insert or the filter of a revoke that ended rows.
	derived func(ctx context.Context, tx *Tx, cols map[string]any) error
}

// Insert adds an active row created by user at this transaction's event.
func (v Versioned) Insert(ctx context.Context, tx *Tx, user int64, cols map[string]any) error {
	ev, err := tx.Event(ctx)
	if err != nil {
		return err
	}
	names := sortedKeys(cols)
	args := make([]any, 0, len(names)+3)
	for _, n := range names {
		args = append(args, cols[n])
	}
	names = append(names, "create_event", "creator_id", "active")
	args = append(args, ev, user, true)
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", v.Table,
		strings.Join(names, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", "))
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("insert into %s: %w", v.Table, err)
	}
	if v.derived != nil {
		if err := v.derived(ctx, tx, cols); err != nil {
			return err
		}
	}
	if v.TagColumn != "" {
		if tag, ok := cols[v.TagColumn].(int64); ok {
			return tx.TagChanged(ctx, tag)
		}
	}
	return nil
}

// Revoke ends the active rows matching where (column = value, ANDed) and
// returns how many it ended.
func (v Versioned) Revoke(ctx context.Context, tx *Tx, user int64, where map[string]any) (int64, error) {
	ev, err := tx.Event(ctx)
	if err != nil {
		return 0, err
	}
	cond, args := equalities(where)
	q := fmt.Sprintf("UPDATE %s SET revoke_event = ?, revoker_id = ?, active = NULL WHERE active = TRUE%s",
		v.Table, cond)
	args = append([]any{ev, user}, args...)
	if v.TagColumn == "" {
		n, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return 0, fmt.Errorf("revoke in %s: %w", v.Table, err)
		}
		return n, nil
	}
	// Learn which tags lost rows, to record their change.
	var tags []int64
	if err := tx.Select(ctx, &tags, q+" RETURNING "+v.TagColumn, args...); err != nil {
		return 0, fmt.Errorf("revoke in %s: %w", v.Table, err)
	}
	for _, t := range tags {
		if err := tx.TagChanged(ctx, t); err != nil {
			return 0, err
		}
	}
	if len(tags) > 0 && v.derived != nil {
		if err := v.derived(ctx, tx, where); err != nil {
			return 0, err
		}
	}
	return int64(len(tags)), nil
}

// AsOf returns the condition selecting the rows of alias that were current at
// event (nil means now). The current case uses the active flag, which the
// indexes cover; a past event compares the event columns.
func AsOf(alias string, event *int64) (string, []any) {
	p := ""
	if alias != "" {
		p = alias + "."
	}
	if event == nil {
		return p + "active = TRUE", nil
	}
	return fmt.Sprintf("%[1]screate_event <= ? AND (%[1]srevoke_event IS NULL OR %[1]srevoke_event > ?)", p),
		[]any{*event, *event}
}

func equalities(where map[string]any) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(where))
	for _, k := range sortedKeys(where) {
		fmt.Fprintf(&b, " AND %s = ?", k)
		args = append(args, where[k])
	}
	return b.String(), args
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
