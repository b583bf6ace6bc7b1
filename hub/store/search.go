package store

import (
	"context"
	"fmt"
	"regexp"
)

// SearchType is what search(terms, type, …) looks through: Name is the SQL
// expression matched and answered, over From (which must define Table).
type SearchType struct {
	Table string // the table whose presence the type needs
	From  string
	ID    string
	Name  string
	Where string // extra condition, e.g. only live tags
}

// SearchTypes are the types of Koji's search call served here; a type whose
// table does not exist yet answers nothing. Types for other tables register
// where those tables are defined.
var SearchTypes = map[string]SearchType{
	"package": {Table: "package", From: "package", ID: "package.id", Name: "package.name"},
	"tag": {Table: "tag", From: "tag JOIN tag_config ON tag_config.tag_id = tag.id", ID: "tag.id", Name: "tag.name",
		Where: "tag_config.active = TRUE"},
	"target": {Table: "build_target", From: "build_target JOIN build_target_config ON build_target_config.build_target_id = build_target.id",
		ID: "build_target.id", Name: "build_target.name", Where: "build_target_config.active = TRUE"},
	"user": {Table: "users", From: "users", ID: "users.id", Name: "users.name"},
	"host": {Table: "host", From: "host", ID: "host.id", Name: "host.name"},
	"build": {Table: "build", From: "build JOIN package ON build.pkg_id = package.id", ID: "build.id",
		Name: "package.name || '-' || build.version || '-' || build.release"},
	"rpm": {Table: "rpminfo", From: "rpminfo", ID: "rpminfo.id",
		Name: "rpminfo.name || '-' || rpminfo.version || '-' || rpminfo.release || '.' || rpminfo.arch || '.rpm'"},
}

// Search finds (id, name) of a type: glob is a case-insensitive LIKE
// pattern (already translated, '\' escaping), re a case-insensitive regexp
// matched in Go, and otherwise exact is compared as is. Regexps are matched
// in memory so both backends agree on their syntax (RE2); the names tables
// searched this way are small.
func Search(ctx context.Context, tx *Tx, t SearchType, likePattern, exact *string, re *regexp.Regexp) ([]NamedID, error) {
	ok, err := TableExists(ctx, tx, t.Table)
	if err != nil || !ok {
		return nil, err
	}
	q := "SELECT " + t.ID + " AS id, " + t.Name + " AS name FROM " + t.From
	var c conds
	if t.Where != "" {
		c.add(t.Where)
	}
	switch {
	case likePattern != nil:
		c.add(t.Name+" "+tx.Dialect.CaseInsensitiveLike()+" ? ESCAPE '\\'", *likePattern)
	case exact != nil:
		c.add(t.Name+" = ?", *exact)
	}
	q += c.where()
	var rows []NamedID
	if err := tx.Select(ctx, &rows, q+" ORDER BY "+t.ID, c.args...); err != nil {
		return nil, fmt.Errorf("search %s: %w", t.Table, err)
	}
	if re == nil {
		return rows, nil
	}
	out := rows[:0]
	for _, r := range rows {
		if re.MatchString(r.Name) {
			out = append(out, r)
		}
	}
	return out, nil
}
