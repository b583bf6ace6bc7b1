package store

import (
	"context"
	"fmt"
)

// Target is a build target with its tags as of some event.
type Target struct {
	ID           int64  `db:"id" xmlrpc:"id"`
	Name         string `db:"name" xmlrpc:"name"`
	BuildTag     int64  `db:"build_tag" xmlrpc:"build_tag"`
	BuildTagName string `db:"build_tag_name" xmlrpc:"build_tag_name"`
	DestTag      int64  `db:"dest_tag" xmlrpc:"dest_tag"`
	DestTagName  string `db:"dest_tag_name" xmlrpc:"dest_tag_name"`
}

// TargetFilter selects targets; zero values match everything.
type TargetFilter struct {
	ID, BuildTag, DestTag *int64
	Name                  *string
}

// Targets lists build targets as of event, by id.
func Targets(ctx context.Context, tx *Tx, f TargetFilter, event *int64) ([]Target, error) {
	var c conds
	add := c.add
	asOf, asOfArgs := AsOf("c", event)
	add(asOf, asOfArgs...)
	if f.ID != nil {
		add("bt.id = ?", *f.ID)
	}
	if f.Name != nil {
		add("bt.name = ?", *f.Name)
	}
	if f.BuildTag != nil {
		add("c.build_tag = ?", *f.BuildTag)
	}
	if f.DestTag != nil {
		add("c.dest_tag = ?", *f.DestTag)
	}
	var out []Target
	err := tx.Select(ctx, &out, `SELECT bt.id, bt.name, c.build_tag, t1.name AS build_tag_name, c.dest_tag, t2.name AS dest_tag_name
		FROM build_target_config c JOIN build_target bt ON bt.id = c.build_target_id
		JOIN tag t1 ON t1.id = c.build_tag JOIN tag t2 ON t2.id = c.dest_tag
		`+c.where()+" ORDER BY bt.id", c.args...)
	if err != nil {
		return nil, fmt.Errorf("read build targets: %w", err)
	}
	return out, nil
}
