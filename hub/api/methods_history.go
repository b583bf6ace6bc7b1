package api

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

func historyMethods() []Method {
	return []Method{
		{Name: "queryHistory", Params: []Param{Opt("tables", nil)}, VarKW: "kwargs", Access: anyone,
			Doc: "Change records of the versioned tables, by table name. Filters: tag, package, user, permission, build_target, " +
				"external_repo, group, cg, xkey (each leaves out the tables it does not apply to); before, after (times), " +
				"beforeEvent, afterEvent, editor (these add _created_…/_revoked_… markers), active; queryOpts per table.",
			Handler: queryHistory},
		{Name: "tagChangedSinceEvent", Params: []Param{P("event"), P("taglist")}, Access: anyone,
			Doc: "Whether the content of any of the tags (ids; no inheritance) changed after event.", Handler: tagChangedSinceEvent},
		{Name: "tagLastChangeEvent", Params: []Param{P("tag"), Opt("before", nil), Opt("inherit", true)}, Access: anyone,
			Doc: "The last event that changed the tag's content (before an event, with inheritance), or nil.", Handler: tagLastChangeEvent},
		{Name: "tagFirstChangeEvent", Params: []Param{P("tag"), Opt("after", nil), Opt("inherit", true)}, Access: anyone,
			Doc:     "The tag's creation event, or with after the first event after it that changed the tag's content, or nil.",
			Handler: tagFirstChangeEvent},
		{Name: "search", Params: []Param{P("terms"), P("type"), P("matchType"), Opt("queryOpts", nil)}, Access: anyone,
			Doc: "Find {id, name} of packages, tags, targets, users, hosts, builds or rpms: matchType glob or regexp " +
				"(both case-insensitive), anything else an exact match.", Handler: search},
	}
}

// historyFilterNames are queryHistory's table-specific filters: a table to
// which a given filter does not apply is left out of the answer.
var historyFilterNames = map[string]bool{"tag": true, "build": true, "host": true, "channel": true, "package": true,
	"user": true, "permission": true, "cg": true, "external_repo": true, "build_target": true, "group": true, "xkey": true}

// historyFilters resolve a filter's value to the id its columns hold, failing
// as Koji's strict look-ups do.
var historyFilters = map[string]func(ctx context.Context, c *Call, v any) (int64, error){
	"tag":           namedFilter("tag"),
	"package":       namedFilter("package"),
	"permission":    namedFilter("permissions"),
	"external_repo": namedFilter("external_repo"),
	"build_target":  namedFilter("build_target"),
	"group":         namedFilter("groups"),
	"cg":            namedFilter("content_generator"),
	"build": func(ctx context.Context, c *Call, v any) (int64, error) {
		b, err := lookupBuild(ctx, c, v, true)
		if err != nil {
			return 0, err
		}
		return b.ID, nil
	},
	"host": func(ctx context.Context, c *Call, v any) (int64, error) {
		h, err := lookupHost(ctx, c, v, nil)
		if err != nil {
			return 0, err
		}
		if h == nil {
			return 0, hub.GenericError("No such host: %v", v)
		}
		return h.ID, nil
	},
	"channel": func(ctx context.Context, c *Call, v any) (int64, error) {
		ch, err := lookupChannel(ctx, c, v)
		if err != nil {
			return 0, err
		}
		if ch == nil {
			return 0, hub.GenericError("No such channel: %v", v)
		}
		return ch.ID, nil
	},
	"user": func(ctx context.Context, c *Call, v any) (int64, error) {
		u, err := lookupUser(ctx, c, v, true)
		if err != nil {
			return 0, err
		}
		return u.ID, nil
	},
}

func namedFilter(table string) func(ctx context.Context, c *Call, v any) (int64, error) {
	return func(ctx context.Context, c *Call, v any) (int64, error) {
		n, err := lookupNamed(ctx, c, table, v, true, false)
		if err != nil {
			return 0, err
		}
		return n.ID, nil
	}
}

// historyTime reads before/after: seconds since the epoch or a date string.
func historyTime(name string, v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x * 1e6, nil
	case float64:
		return int64(x * 1e6), nil
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999",
			"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UnixMicro(), nil
			}
		}
		return 0, hub.GenericError("Invalid time for %s: %s", name, pyRepr(x))
	}
	return 0, hub.GenericError("Invalid type for %s: %s", name, pyClass(v))
}

func queryHistory(ctx context.Context, c *Call) (any, error) {
	kw := c.Args.Kwargs()
	var tables []string
	switch v := c.Args.Value("tables").(type) {
	case nil:
		tables = store.HistoryTableNames()
	case []any:
		for _, e := range v {
			name, _ := e.(string)
			if _, ok := store.LookupHistoryTable(name); !ok {
				return nil, hub.GenericError("No such history table: %v", e)
			}
			tables = append(tables, name)
		}
	default:
		return nil, hub.ParameterError("queryHistory(): tables must be a list or None, not %s", typeName(v))
	}
	var opts map[string]any
	if v, ok := kw["queryOpts"]; ok && v != nil {
		if opts, ok = v.(map[string]any); !ok {
			return nil, hub.ParameterError("queryOpts must be a struct, not %s", typeName(v))
		}
	}
	var q store.HistoryQuery
	var filters []string
	for _, k := range sortedKeys(kw) {
		v := kw[k]
		switch {
		case historyFilterNames[k]:
			filters = append(filters, k)
		case k == "active":
			if v != nil {
				b := truthy(v)
				q.Active = &b
			}
		case k == "editor":
			u, err := lookupUser(ctx, c, v, true)
			if err != nil {
				return nil, err
			}
			q.Editor = &u.ID
		case k == "after" || k == "before":
			us, err := historyTime(k, v)
			if err != nil {
				return nil, err
			}
			if k == "after" {
				q.AfterUS = &us
			} else {
				q.BeforeUS = &us
			}
		case k == "afterEvent" || k == "beforeEvent":
			n, ok := intLike(v)
			if !ok {
				return nil, hub.ParameterError("%s must be an event id, not %s", k, typeName(v))
			}
			if k == "afterEvent" {
				q.AfterEvent = &n
			} else {
				q.BeforeEvent = &n
			}
		}
		// Anything else (the CLI's utc, pkg …) is ignored, as in Koji.
	}
	resolved := map[string]int64{}
	out := map[string]any{}
	for _, name := range tables {
		t, _ := store.LookupHistoryTable(name)
		if !t.Applies(filters) {
			continue
		}
		tq := q
		tq.Filters, tq.Raw = map[string]int64{}, map[string]string{}
		for _, f := range filters {
			if _, ok := t.RawFilters[f]; ok {
				tq.Raw[f] = pyStr(kw[f])
				continue
			}
			id, ok := resolved[f]
			if !ok {
				resolve := historyFilters[f]
				if resolve == nil {
					return nil, hub.GenericError("queryHistory cannot filter by %s yet", f)
				}
				var err error
				if id, err = resolve(ctx, c, kw[f]); err != nil {
					return nil, err
				}
				resolved[f] = id
			}
			tq.Filters[f] = id
		}
		recs, err := store.QueryHistory(ctx, c.Tx, t, tq)
		if err != nil {
			return nil, err
		}
		rows := make([]any, len(recs))
		for i, r := range recs {
			addHistoryMarkers(r, q)
			rows[i] = map[string]any(r)
		}
		if out[name], err = applyQueryOpts(rows, opts); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// pyStr renders a value as Python's str() would.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// addHistoryMarkers adds Koji's boolean marker keys for the time and editor
// filters: true or false, nil for a revoke that has not happened.
func addHistoryMarkers(r store.HistoryRecord, q store.HistoryQuery) {
	cmp := func(v any, bound int64, after bool) any {
		var n float64
		switch x := v.(type) {
		case int64:
			n = float64(x)
		case float64:
			n = x
		default:
			return nil
		}
		if after {
			return n > float64(bound)
		}
		return n < float64(bound)
	}
	eq := func(v any, id int64) any {
		if v == nil {
			return nil
		}
		n, _ := v.(int64)
		return n == id
	}
	if q.Editor != nil {
		r["_created_by"], r["_revoked_by"] = eq(r["creator_id"], *q.Editor), eq(r["revoker_id"], *q.Editor)
	}
	// The times compare in microseconds, as stored.
	us := func(k string) any {
		if f, ok := r[k].(float64); ok {
			return f * 1e6
		}
		return nil
	}
	if q.AfterUS != nil {
		r["_created_after"], r["_revoked_after"] = cmp(us("create_ts"), *q.AfterUS, true), cmp(us("revoke_ts"), *q.AfterUS, true)
	}
	if q.BeforeUS != nil {
		r["_created_before"], r["_revoked_before"] = cmp(us("create_ts"), *q.BeforeUS, false), cmp(us("revoke_ts"), *q.BeforeUS, false)
	}
	if q.AfterEvent != nil {
		r["_created_after_event"] = cmp(r["create_event"], *q.AfterEvent, true)
		r["_revoked_after_event"] = cmp(r["revoke_event"], *q.AfterEvent, true)
	}
	if q.BeforeEvent != nil {
		r["_created_before_event"] = cmp(r["create_event"], *q.BeforeEvent, false)
		r["_revoked_before_event"] = cmp(r["revoke_event"], *q.BeforeEvent, false)
	}
}

func tagChangedSinceEvent(ctx context.Context, c *Call) (any, error) {
	event := c.Args.Int("event")
	list := c.Args.List("taglist")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(list))
	for _, v := range list {
		id, ok := toInt(v)
		if !ok {
			return nil, hub.ParameterError("tagChangedSinceEvent(): taglist must hold tag ids, not %s", typeName(v))
		}
		ids = append(ids, id)
	}
	return store.TagChangedSince(ctx, c.Tx, event, ids)
}

// tagsAndRepos lists a tag with (inherit) its ancestors as of event, and the
// external repos those tags use then.
func tagsAndRepos(ctx context.Context, c *Call, tagID int64, event *int64, inherit bool) ([]int64, []int64, error) {
	tags := []int64{tagID}
	if inherit {
		order, err := fullInheritance(ctx, c, tagID, event, false)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range order {
			tags = append(tags, l.ParentID)
		}
	}
	links, err := store.TagExternalRepoLinks(ctx, c.Tx, tags, nil, event)
	if err != nil {
		return nil, nil, err
	}
	seen := map[int64]bool{}
	var repos []int64
	for _, l := range links {
		if !seen[l.ExternalRepoID] {
			seen[l.ExternalRepoID] = true
			repos = append(repos, l.ExternalRepoID)
		}
	}
	return tags, repos, nil
}

func tagLastChangeEvent(ctx context.Context, c *Call) (any, error) {
	before := c.Args.OptInt("before")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	// A deleted tag is found too: its deletion is its last change.
	info := c.Args.Value("tag")
	n, err := lookupNamed(ctx, c, "tag", info, false, false)
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, hub.GenericError("No such tagInfo: %s", pyRepr(info))
	}
	_, deleted, ok, err := store.LastTagConfigEvents(ctx, c.Tx, n.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, hub.GenericError("No such tagInfo: %s", pyRepr(info))
	}
	if before == nil && deleted != nil {
		return *deleted, nil
	}
	tags, repos, err := tagsAndRepos(ctx, c, n.ID, before, c.Args.Bool("inherit"))
	if err != nil {
		return nil, err
	}
	last, err := store.TagChangeBound(ctx, c.Tx, tags, repos, true, before)
	if err != nil || last == nil {
		return nil, err
	}
	if deleted != nil && *deleted < *last {
		return *deleted, nil
	}
	return *last, nil
}

func tagFirstChangeEvent(ctx context.Context, c *Call) (any, error) {
	after := c.Args.OptInt("after")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("tag"), true, false)
	if err != nil {
		return nil, err
	}
	if after == nil {
		created, err := store.FirstTagConfigEvent(ctx, c.Tx, t.ID)
		if err != nil || created == nil {
			return nil, err
		}
		return *created, nil
	}
	tags, repos, err := tagsAndRepos(ctx, c, t.ID, after, c.Args.Bool("inherit"))
	if err != nil {
		return nil, err
	}
	first, err := store.TagChangeBound(ctx, c.Tx, tags, repos, false, after)
	if err != nil || first == nil {
		return nil, err
	}
	return *first, nil
}

func search(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	terms, typ, match := a.String("terms"), a.String("type"), a.String("matchType")
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if terms == "" {
		return nil, hub.GenericError("empty search terms")
	}
	st, ok := store.SearchTypes[typ]
	if !ok {
		switch typ {
		case "file", "maven", "win":
			// Koji no longer searches files; we keep no Maven or Windows archives.
			return applyQueryOpts([]any{}, opts)
		}
		return nil, hub.GenericError("No such search type: %s", typ)
	}
	var like, exact *string
	var re *regexp.Regexp
	switch match {
	case "glob":
		p := globToLike(terms)
		like = &p
	case "regexp":
		var err error
		if re, err = regexp.Compile("(?i)" + terms); err != nil {
			return nil, hub.GenericError("Invalid regular expression %s: %s", pyRepr(terms), strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	default:
		exact = &terms
	}
	found, err := store.Search(ctx, c.Tx, st, like, exact, re)
	if err != nil {
		return nil, err
	}
	rows := make([]any, len(found))
	for i, f := range found {
		rows[i] = map[string]any{"id": f.ID, "name": f.Name}
	}
	return applyQueryOpts(rows, opts)
}
