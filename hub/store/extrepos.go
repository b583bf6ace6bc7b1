package store

import (
	"context"
	"fmt"
)

// Versioned tables of external repos.
var (
	ExternalRepoConfig = Versioned{Table: "external_repo_config"}
	ExternalRepoData   = Versioned{Table: "external_repo_data"}
	TagExternalRepos   = Versioned{Table: "tag_external_repos", TagColumn: "tag_id"}
)

// ExternalRepo is an external repo with its URL at some event.
type ExternalRepo struct {
	ID   int64  `db:"id" xmlrpc:"id"`
	Name string `db:"name" xmlrpc:"name"`
	URL  string `db:"url" xmlrpc:"url"`
}

// ExternalRepoFilter selects external repos; nil fields match everything.
type ExternalRepoFilter struct {
	ID   *int64
	Name *string
	URL  *string
}

// ExternalRepos lists the external repos live at event (those with a config
// row), by id.
func ExternalRepos(ctx context.Context, tx *Tx, f ExternalRepoFilter, event *int64) ([]ExternalRepo, error) {
	asOf, args := AsOf("c", event)
	q := `SELECT r.id, r.name, c.url FROM external_repo r JOIN external_repo_config c ON c.external_repo_id = r.id WHERE ` + asOf
	if f.ID != nil {
		q += " AND r.id = ?"
		args = append(args, *f.ID)
	}
	if f.Name != nil {
		q += " AND r.name = ?"
		args = append(args, *f.Name)
	}
	if f.URL != nil {
		q += " AND c.url = ?"
		args = append(args, *f.URL)
	}
	var out []ExternalRepo
	if err := tx.Select(ctx, &out, q+" ORDER BY r.id", args...); err != nil {
		return nil, fmt.Errorf("read external repos: %w", err)
	}
	return out, nil
}

// TagExternalRepo is one tag ↔ external repo link.
type TagExternalRepo struct {
	ExternalRepoID   int64   `db:"external_repo_id"`
	ExternalRepoName string  `db:"external_repo_name"`
	Priority         int64   `db:"priority"`
	TagID            int64   `db:"tag_id"`
	TagName          string  `db:"tag_name"`
	URL              string  `db:"url"`
	MergeMode        string  `db:"merge_mode"`
	Arches           *string `db:"arches"`
}

// TagExternalRepoLinks lists the links of a tag and/or repo as of event, by
// priority (then tag, for lists over several tags).
func TagExternalRepoLinks(ctx context.Context, tx *Tx, tagIDs []int64, repoID *int64, event *int64) ([]TagExternalRepo, error) {
	a1, args := AsOf("te", event)
	a2, args2 := AsOf("c", event)
	args = append(args, args2...)
	q := `SELECT r.id AS external_repo_id, r.name AS external_repo_name, te.priority, t.id AS tag_id, t.name AS tag_name,
		c.url, te.merge_mode, te.arches
		FROM tag_external_repos te JOIN tag t ON t.id = te.tag_id JOIN external_repo r ON r.id = te.external_repo_id
		JOIN external_repo_config c ON c.external_repo_id = r.id
		WHERE ` + a1 + ` AND ` + a2
	if tagIDs != nil {
		in, inArgs := InList(tagIDs)
		q += " AND te.tag_id IN " + in
		args = append(args, inArgs...)
	}
	if repoID != nil {
		q += " AND te.external_repo_id = ?"
		args = append(args, *repoID)
	}
	var out []TagExternalRepo
	if err := tx.Select(ctx, &out, q+" ORDER BY te.priority, te.tag_id", args...); err != nil {
		return nil, fmt.Errorf("read tag external repos: %w", err)
	}
	return out, nil
}
