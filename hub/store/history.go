package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// HistoryTable describes a versioned table for queryHistory: its own columns
// in Koji's order, the names looked up for them (Koji's dotted keys such as
// "tag.name") and which queryHistory filters apply to which column. Every
// versioned table registers here, in the file that defines it, so history
// covers whatever tables exist.
type HistoryTable struct {
	Name    string
	Columns []string
	Joins   []HistoryJoin
	// Filters maps a queryHistory filter (tag, user, package …) to the
	// columns it compares with the filter's resolved id; several columns are
	// ORed (tag_inheritance matches tag_id or parent_id). A dotted name is a
	// column of a joined table.
	Filters map[string][]string
	// RawFilters compare a column with the filter's value as given, without
	// a look-up (group_package_listing's package is a name, not an id).
	RawFilters map[string]string
	// TagContent marks tables whose changes change what a tag's repo holds
	// (tagChangedSinceEvent and tagLastChangeEvent watch them); such tables
	// have a tag_id column.
	TagContent bool
}

// HistoryJoin adds looked-up fields: LEFT JOIN Table AS As ON On, where On
// defaults to As.id = h.Column; Fields are (SQL expression, answer key)
// pairs, by default As.name under Key.
type HistoryJoin struct {
	Column string
	Table  string
	As     string
	Key    string
	On     string
	Fields [][2]string
}

// historyTables are every versioned table queryHistory reads, by name. It
// is built once and never changed.
var historyTables = buildHistoryTables()

// HistoryTableNames lists the registered tables, sorted as Koji lists them.
func HistoryTableNames() []string {
	out := make([]string, 0, len(historyTables))
	for n := range historyTables {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// LookupHistoryTable returns a registered table.
func LookupHistoryTable(name string) (HistoryTable, bool) {
	t, ok := historyTables[name]
	return t, ok
}

func nameJoin(column, table, as, key string) HistoryJoin {
	return HistoryJoin{Column: column, Table: table, As: as, Key: key}
}

// buildHistoryTables declares the versioned tables. Koji's quirks are kept
// on purpose: the user filter of user_groups matches the group, the tag
// filter of build_target_config matches the destination tag, and the group
// filter of group_req_listing matches the required group (in Koji the last
// join of a table wins).
func buildHistoryTables() map[string]HistoryTable {
	out := map[string]HistoryTable{}
	tag := nameJoin("tag_id", "tag", "tag", "tag.name")
	perm := nameJoin("perm_id", "permissions", "permission", "permission.name")
	pkg := nameJoin("package_id", "package", "package", "package.name")
	repo := nameJoin("external_repo_id", "external_repo", "external_repo", "external_repo.name")
	group := nameJoin("group_id", "groups", "groups", "group.name")
	host := nameJoin("host_id", "host", "host", "host.name")
	for _, t := range []HistoryTable{
		{Name: "user_perms", Columns: []string{"user_id", "perm_id"},
			Joins:   []HistoryJoin{nameJoin("user_id", "users", "users", "user.name"), perm},
			Filters: map[string][]string{"user": {"user_id"}, "permission": {"perm_id"}}},
		{Name: "user_groups", Columns: []string{"user_id", "group_id"},
			Joins:   []HistoryJoin{nameJoin("user_id", "users", "users", "user.name"), nameJoin("group_id", "users", "usergroup", "group.name")},
			Filters: map[string][]string{"user": {"group_id"}}},
		{Name: "cg_users", Columns: []string{"user_id", "cg_id"},
			Joins:   []HistoryJoin{nameJoin("user_id", "users", "users", "user.name"), nameJoin("cg_id", "content_generator", "content_generator", "content_generator.name")},
			Filters: map[string][]string{"user": {"user_id"}, "cg": {"cg_id"}}},
		{Name: "tag_inheritance", TagContent: true, Columns: []string{"tag_id", "parent_id", "priority", "maxdepth", "intransitive", "noconfig", "pkg_filter"},
			Joins:   []HistoryJoin{tag, nameJoin("parent_id", "tag", "parent", "parent.name")},
			Filters: map[string][]string{"tag": {"tag_id", "parent_id"}}},
		{Name: "tag_config", TagContent: true, Columns: []string{"tag_id", "arches", "perm_id", "locked", "maven_support", "maven_include_all"},
			Joins:   []HistoryJoin{tag, perm},
			Filters: map[string][]string{"tag": {"tag_id"}, "permission": {"perm_id"}}},
		{Name: "tag_extra", TagContent: true, Columns: []string{"tag_id", "key", "value"}, Joins: []HistoryJoin{tag},
			Filters: map[string][]string{"tag": {"tag_id"}}, RawFilters: map[string]string{"xkey": "key"}},
		{Name: "build_target_config", Columns: []string{"build_target_id", "build_tag", "dest_tag"},
			Joins: []HistoryJoin{nameJoin("build_target_id", "build_target", "build_target", "build_target.name"),
				nameJoin("build_tag", "tag", "build_tag", "build_tag.name"), nameJoin("dest_tag", "tag", "dest_tag", "dest_tag.name")},
			Filters: map[string][]string{"build_target": {"build_target_id"}, "tag": {"dest_tag"}}},
		{Name: "external_repo_config", Columns: []string{"external_repo_id", "url"}, Joins: []HistoryJoin{repo},
			Filters: map[string][]string{"external_repo": {"external_repo_id"}}},
		{Name: "external_repo_data", Columns: []string{"external_repo_id", "data"}, Joins: []HistoryJoin{repo},
			Filters: map[string][]string{"external_repo": {"external_repo_id"}}},
		{Name: "tag_external_repos", TagContent: true, Columns: []string{"tag_id", "external_repo_id", "priority", "merge_mode", "arches"},
			Joins:   []HistoryJoin{tag, repo},
			Filters: map[string][]string{"tag": {"tag_id"}, "external_repo": {"external_repo_id"}}},
		{Name: "tag_packages", TagContent: true, Columns: []string{"package_id", "tag_id", "blocked", "extra_arches"}, Joins: []HistoryJoin{pkg, tag},
			Filters: map[string][]string{"package": {"package_id"}, "tag": {"tag_id"}}},
		{Name: "tag_package_owners", Columns: []string{"package_id", "tag_id", "owner"},
			Joins:   []HistoryJoin{pkg, tag, nameJoin("owner", "users", "owner", "owner.name")},
			Filters: map[string][]string{"package": {"package_id"}, "tag": {"tag_id"}, "user": {"owner"}}},
		{Name: "group_config", TagContent: true, Columns: []string{"group_id", "tag_id", "blocked", "exported", "display_name", "is_default",
			"uservisible", "description", "langonly", "biarchonly"}, Joins: []HistoryJoin{group, tag},
			Filters: map[string][]string{"group": {"group_id"}, "tag": {"tag_id"}}},
		{Name: "group_req_listing", TagContent: true, Columns: []string{"group_id", "tag_id", "req_id", "blocked", "type", "is_metapkg"},
			Joins:   []HistoryJoin{group, tag, nameJoin("req_id", "groups", "req", "req.name")},
			Filters: map[string][]string{"group": {"req_id"}, "tag": {"tag_id"}}},
		{Name: "group_package_listing", TagContent: true, Columns: []string{"group_id", "tag_id", "package", "blocked", "type", "basearchonly", "requires"},
			Joins: []HistoryJoin{group, tag}, Filters: map[string][]string{"group": {"group_id"}, "tag": {"tag_id"}},
			RawFilters: map[string]string{"package": "package"}},
		// Builds in tags: Koji names the build's fields bare (name, version …)
		// and filters by package through the build.
		{Name: "tag_listing", TagContent: true, Columns: []string{"build_id", "tag_id"},
			Joins: []HistoryJoin{
				{Column: "build_id", Table: "build", As: "build", Fields: [][2]string{{"build.version", "version"},
					{"build.release", "release"}, {"build.epoch", "epoch"}, {"build.state", "build.state"}}},
				{Table: "package", As: "bpkg", On: "bpkg.id = build.pkg_id", Fields: [][2]string{{"bpkg.name", "name"}}},
				tag},
			Filters: map[string][]string{"build": {"build_id"}, "tag": {"tag_id"}, "package": {"build.pkg_id"}}},
		{Name: "host_config", Columns: []string{"host_id", "arches", "capacity", "description", "comment", "enabled"},
			Joins: []HistoryJoin{host}, Filters: map[string][]string{"host": {"host_id"}}},
		{Name: "host_channels", Columns: []string{"host_id", "channel_id"},
			Joins:   []HistoryJoin{host, nameJoin("channel_id", "channels", "channels", "channels.name")},
			Filters: map[string][]string{"host": {"host_id"}, "channel": {"channel_id"}}},
	} {
		if _, dup := out[t.Name]; dup {
			panic("store: history table declared twice: " + t.Name) // found by any test
		}
		out[t.Name] = t
	}
	return out
}

// HistoryQuery is one table's history query. Filters hold resolved ids by
// filter name; raw filters their values as given.
type HistoryQuery struct {
	Filters     map[string]int64
	Raw         map[string]string
	Active      *bool
	Editor      *int64
	AfterUS     *int64 // event time bounds, microseconds since the epoch
	BeforeUS    *int64
	AfterEvent  *int64
	BeforeEvent *int64
}

// Applies reports whether every filter of q applies to the table; Koji leaves
// a table out of the answer when one does not.
func (t HistoryTable) Applies(filters []string) bool {
	for _, f := range filters {
		if _, ok := t.Filters[f]; ok {
			continue
		}
		if _, ok := t.RawFilters[f]; ok {
			continue
		}
		return false
	}
	return true
}

// HistoryRecord is one row: the common fields, the table's columns and the
// looked-up names, keyed as Koji keys them.
type HistoryRecord map[string]any

// QueryHistory reads a table's change records matching q, in the order Koji
// (on PostgreSQL, without ORDER BY) returns them: by each row's last write,
// a row revoked at an event before the row that replaced it.
func QueryHistory(ctx context.Context, tx *Tx, t HistoryTable, q HistoryQuery) ([]HistoryRecord, error) {
	cols := []string{"h.active", "h.create_event", "h.revoke_event", "h.creator_id", "h.revoker_id",
		"creator.name", "revoker.name", "ev1.time_us", "ev2.time_us"}
	keys := []string{"active", "create_event", "revoke_event", "creator_id", "revoker_id",
		"creator_name", "revoker_name", "create_ts", "revoke_ts"}
	for _, c := range t.Columns {
		cols = append(cols, "h."+c)
		keys = append(keys, c)
	}
	joins := []string{"JOIN events ev1 ON ev1.id = h.create_event", "LEFT JOIN events ev2 ON ev2.id = h.revoke_event",
		"JOIN users creator ON creator.id = h.creator_id", "LEFT JOIN users revoker ON revoker.id = h.revoker_id"}
	for _, j := range t.Joins {
		on := j.On
		if on == "" {
			on = j.As + ".id = h." + j.Column
		}
		joins = append(joins, fmt.Sprintf("LEFT JOIN %s %s ON %s", j.Table, j.As, on))
		fields := j.Fields
		if fields == nil {
			fields = [][2]string{{j.As + ".name", j.Key}}
		}
		for _, f := range fields {
			cols = append(cols, f[0])
			keys = append(keys, f[1])
		}
	}
	var w conds
	for _, f := range sortedFilterKeys(q.Filters) {
		var ors []string
		var args []any
		for _, c := range t.Filters[f] {
			if !strings.Contains(c, ".") {
				c = "h." + c // else a joined table's column
			}
			ors = append(ors, c+" = ?")
			args = append(args, q.Filters[f])
		}
		w.add("("+strings.Join(ors, " OR ")+")", args...)
	}
	for _, f := range sortedRawKeys(q.Raw) {
		w.add("h."+t.RawFilters[f]+" = ?", q.Raw[f])
	}
	if q.Active != nil {
		if *q.Active {
			w.add("h.active = TRUE")
		} else {
			w.add("h.active IS NULL")
		}
	}
	if q.Editor != nil {
		w.add("(h.creator_id = ? OR h.revoker_id = ?)", *q.Editor, *q.Editor)
	}
	for _, b := range []struct {
		v    *int64
		cond string
	}{
		{q.AfterUS, "(ev1.time_us > ? OR ev2.time_us > ?)"},
		{q.BeforeUS, "(ev1.time_us < ? OR ev2.time_us < ?)"},
		{q.AfterEvent, "(h.create_event > ? OR h.revoke_event > ?)"},
		{q.BeforeEvent, "(h.create_event < ? OR h.revoke_event < ?)"},
	} {
		if b.v != nil {
			w.add(b.cond, *b.v, *b.v)
		}
	}
	sql := "SELECT " + strings.Join(cols, ", ") + " FROM " + t.Name + " h " + strings.Join(joins, " ")
	sql += w.where()
	sql += " ORDER BY COALESCE(h.revoke_event, h.create_event), h.revoke_event IS NULL, " + tx.Dialect.rowOrder("h")
	rows, err := tx.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, fmt.Errorf("read history of %s: %w", t.Name, err)
	}
	defer rows.Close()
	var out []HistoryRecord
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read history of %s: %w", t.Name, err)
		}
		rec := HistoryRecord{}
		for i, k := range keys {
			rec[k] = plainValue(vals[i])
		}
		for _, k := range []string{"create_ts", "revoke_ts"} {
			if us, ok := rec[k].(int64); ok {
				rec[k] = float64(us) / 1e6
			}
		}
		// active is TRUE or NULL; SQLite hands TRUE back as 1.
		if rec["active"] != nil {
			rec["active"] = true
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

// plainValue turns a scanned value into one the XML-RPC encoder takes.
func plainValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}

func sortedFilterKeys(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedRawKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
