package api

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

func inheritanceMethods() []Method {
	return []Method{
		{Name: "getInheritanceData", Params: []Param{P("tag"), Opt("event", nil)}, Access: anyone,
			Doc: "A tag's direct parents, by priority.", Handler: getInheritanceData},
		{Name: "setInheritanceData", Params: []Param{P("tag"), P("data"), Opt("clear", false)}, Access: tagPerm, Writes: true,
			Doc:     "Add, change or (with \"delete link\") remove parent links of a tag; clear replaces them all.",
			Handler: setInheritanceData},
		{Name: "getFullInheritance", Params: []Param{P("tag"), Opt("event", nil), Opt("reverse", false)}, VarKW: "kwargs", Access: anyone,
			Doc:     "The whole inheritance walk of a tag (or its descendants with reverse), depth first by priority.",
			Handler: getFullInheritance},
	}
}

// Link is one step of an inheritance walk, with the walk's own fields.
type walkLink struct {
	store.Link
	ChildID   int64
	NextDepth *int64
	CurrDepth int64
	Filter    []string
}

func linkStruct(l store.Link, childID int64, reverse bool) map[string]any {
	m := map[string]any{
		"parent_id": l.ParentID, "name": l.Name, "priority": l.Priority, "maxdepth": l.MaxDepth,
		"intransitive": l.Intransitive, "noconfig": l.NoConfig, "pkg_filter": l.PkgFilter,
	}
	if reverse {
		m["tag_id"] = l.TagID
	} else {
		m["child_id"] = childID
	}
	return m
}

func getInheritanceData(ctx context.Context, c *Call) (any, error) {
	event := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("tag"), true, false)
	if err != nil {
		return nil, err
	}
	links, err := store.DirectLinks(ctx, c.Tx, t.ID, event, false)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(links))
	for i, l := range links {
		out[i] = linkStruct(l, t.ID, false)
	}
	return out, nil
}

func getFullInheritance(ctx context.Context, c *Call) (any, error) {
	for k := range c.Args.Kwargs() {
		return nil, hub.ParameterError("getFullInheritance() got an unexpected keyword argument '%s'", k)
	}
	event := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("tag"), true, false)
	if err != nil {
		return nil, err
	}
	reverse := c.Args.Bool("reverse")
	order, err := fullInheritance(ctx, c, t.ID, event, reverse)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(order))
	for i, l := range order {
		m := linkStruct(l.Link, l.ChildID, reverse)
		m["nextdepth"], m["currdepth"], m["filter"] = l.NextDepth, l.CurrDepth, l.Filter
		out[i] = m
	}
	return out, nil
}

// fullInheritance walks the inheritance of tagID as Koji does: depth first
// by priority; a tag already on the current path is a loop and is pruned;
// intransitive links count only from the start; maxdepth propagates; a tag
// seen before is walked again only when this visit reaches deeper, drops
// noconfig, or follows a filtered earlier visit. The links come from one
// query and the walk runs in memory; its recursion is bounded by the path
// length, which loops cannot grow.
func fullInheritance(ctx context.Context, c *Call, tagID int64, event *int64, reverse bool) ([]walkLink, error) {
	links, err := store.ReachableLinks(ctx, c.Tx, tagID, event, reverse)
	if err != nil {
		return nil, err
	}
	w := &walker{links: links, reverse: reverse, hist: map[int64][]*walkLink{}}
	w.walk(tagID, map[int64]bool{}, 0, nil, false, nil)
	out := make([]walkLink, len(w.order))
	for i, l := range w.order {
		out[i] = *l
	}
	return out, nil
}

type walker struct {
	links   map[int64][]store.Link
	reverse bool
	order   []*walkLink
	hist    map[int64][]*walkLink
}

func (w *walker) walk(tagID int64, onPath map[int64]bool, currdepth int64, maxdepth *int64, noconfig bool, pfilter []string) {
	if maxdepth != nil && *maxdepth < 1 {
		return
	}
	currdepth++
	onPath[tagID] = true
	defer delete(onPath, tagID)
	for _, link := range w.links[tagID] {
		id := link.ParentID
		if w.reverse {
			id = link.TagID
		}
		if onPath[id] {
			continue // a loop: prune
		}
		if link.Intransitive && len(onPath) > 1 && !w.reverse {
			continue
		}
		var nextdepth *int64
		if w.reverse {
			if link.MaxDepth != nil && *link.MaxDepth < currdepth-1 {
				continue
			}
		} else {
			// maxdepth counts down from the tightest limit on the path.
			var d int64
			switch {
			case link.MaxDepth == nil && maxdepth == nil:
			case link.MaxDepth == nil:
				d = *maxdepth - 1
				nextdepth = &d
			case maxdepth == nil:
				d = *link.MaxDepth
				nextdepth = &d
			default:
				d = min(*link.MaxDepth, *maxdepth) - 1
				nextdepth = &d
			}
		}
		// As in Koji, a noconfig link switches noconfig on for the rest of
		// this level's walk.
		if link.NoConfig {
			noconfig = true
		}
		filter := append([]string{}, pfilter...)
		if link.PkgFilter != nil && *link.PkgFilter != "" {
			filter = append(filter, *link.PkgFilter)
		}
		wl := &walkLink{Link: link, ChildID: tagID, NextDepth: nextdepth, CurrDepth: currdepth, Filter: filter}
		if prev, seen := w.hist[id]; seen {
			rescan := true
			for _, p := range prev {
				sufficient := true
				switch {
				case nextdepth == nil && p.NextDepth != nil:
					sufficient = false
				case nextdepth != nil && p.NextDepth != nil && *p.NextDepth < *nextdepth:
					sufficient = false
				}
				if p.NoConfig && !noconfig {
					sufficient = false
				}
				if len(p.Filter) > 0 {
					sufficient = false
				}
				if sufficient {
					rescan = false
				}
			}
			if !rescan {
				continue
			}
		}
		w.hist[id] = append(w.hist[id], wl)
		w.order = append(w.order, wl)
		if link.Intransitive && w.reverse {
			continue
		}
		w.walk(id, onPath, currdepth, nextdepth, noconfig, filter)
	}
}

// inheritanceLink is one requested change of setInheritanceData.
type inheritanceLink struct {
	ParentID     int64
	Priority     int64
	MaxDepth     *int64
	Intransitive bool
	NoConfig     bool
	PkgFilter    string
	Delete       bool
}

// same reports whether two links say the same (MaxDepth by value: as
// pointers, equal depths read from two places differ).
func (l inheritanceLink) same(o inheritanceLink) bool {
	a, b := l, o
	a.MaxDepth, b.MaxDepth = nil, nil
	if a != b || (l.MaxDepth == nil) != (o.MaxDepth == nil) {
		return false
	}
	return l.MaxDepth == nil || *l.MaxDepth == *o.MaxDepth
}

func setInheritanceData(ctx context.Context, c *Call) (any, error) {
	t, err := lookupNamed(ctx, c, "tag", c.Args.Value("tag"), true, false)
	if err != nil {
		return nil, err
	}
	var raw []any
	switch d := c.Args.Value("data").(type) {
	case map[string]any:
		raw = []any{d}
	case []any:
		raw = d
	default:
		return nil, hub.ParameterError("setInheritanceData(): data must be a struct or an array of structs, not %s", typeName(d))
	}
	var changes []inheritanceLink
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, hub.ParameterError("setInheritanceData(): each link must be a struct, not %s", typeName(r))
		}
		l, err := parseLink(m)
		if err != nil {
			return nil, err
		}
		if _, err := getTagAt(ctx, c, l.ParentID, nil, true); err != nil {
			return nil, err
		}
		changes = append(changes, l)
	}
	return nil, writeInheritance(ctx, c, t.ID, changes, c.Args.Bool("clear"))
}

func parseLink(m map[string]any) (inheritanceLink, error) {
	var l inheritanceLink
	l.Delete = truthy(m["delete link"])
	need := []string{"parent_id", "priority", "maxdepth", "intransitive", "noconfig", "pkg_filter"}
	if l.Delete {
		need = need[:1]
	}
	for _, f := range need {
		if _, ok := m[f]; !ok {
			return l, hub.GenericError("No value for %s", f)
		}
	}
	pid, ok := intLike(m["parent_id"])
	if !ok {
		return l, hub.ParameterError("parent_id must be an integer, not %s", typeName(m["parent_id"]))
	}
	l.ParentID = pid
	if l.Delete {
		return l, nil
	}
	pri, ok := intLike(m["priority"])
	if !ok {
		return l, hub.ParameterError("priority must be an integer, not %s", typeName(m["priority"]))
	}
	if pri < 0 {
		return l, hub.GenericError("Priority must be a non-negative integer, got %d", pri)
	}
	l.Priority = pri
	if v := m["maxdepth"]; v != nil {
		d, ok := intLike(v)
		if !ok {
			return l, hub.ParameterError("maxdepth must be an integer or None, not %s", typeName(v))
		}
		if d < 0 {
			return l, hub.GenericError("maxdepth must be a non-negative integer, got %d", d)
		}
		l.MaxDepth = &d
	}
	l.Intransitive, l.NoConfig = truthy(m["intransitive"]), truthy(m["noconfig"])
	switch f := m["pkg_filter"].(type) {
	case nil:
	case string:
		if _, err := regexp.Compile(f); err != nil {
			return l, hub.GenericError("Invalid pkg_filter %q: %v", f, err)
		}
		l.PkgFilter = f
	default:
		return l, hub.ParameterError("pkg_filter must be a string, not %s", typeName(f))
	}
	return l, nil
}

// writeInheritance applies link changes to tagID's parents: a changed or
// deleted link is revoked and (unless deleted) inserted anew; with clear,
// links not named are deleted. Duplicate priorities are refused.
func writeInheritance(ctx context.Context, c *Call, tagID int64, changes []inheritanceLink, clear bool) error {
	current, err := store.DirectLinks(ctx, c.Tx, tagID, nil, false)
	if err != nil {
		return err
	}
	type entry struct {
		link    inheritanceLink
		changed bool
	}
	data := map[int64]*entry{}
	var order []int64
	for _, l := range current {
		pf := ""
		if l.PkgFilter != nil {
			pf = *l.PkgFilter
		}
		data[l.ParentID] = &entry{link: inheritanceLink{ParentID: l.ParentID, Priority: l.Priority, MaxDepth: l.MaxDepth,
			Intransitive: l.Intransitive, NoConfig: l.NoConfig, PkgFilter: pf}}
		order = append(order, l.ParentID)
	}
	named := map[int64]bool{}
	for _, ch := range changes {
		named[ch.ParentID] = true
		orig, ok := data[ch.ParentID]
		switch {
		case ch.Delete:
			if ok {
				orig.link.Delete, orig.changed = true, true
			}
		case !ok || clear || !orig.link.same(ch):
			if !ok {
				order = append(order, ch.ParentID)
			}
			data[ch.ParentID] = &entry{link: ch, changed: !ok || !orig.link.same(ch)}
		}
	}
	if clear {
		for id, e := range data {
			if !named[id] {
				e.link.Delete, e.changed = true, true
			}
		}
	}
	byPriority := map[int64][]int64{}
	for _, id := range order {
		e := data[id]
		if !e.link.Delete {
			byPriority[e.link.Priority] = append(byPriority[e.link.Priority], id)
		}
	}
	for pri, ids := range byPriority {
		if len(ids) > 1 {
			return hub.GenericError("Multiple parent tags (%s) cannot have the same priority value (%d) on child tag %d",
				pyRepr(int64sToAny(ids)), pri, tagID)
		}
	}
	for _, id := range order {
		e := data[id]
		if !e.changed {
			continue
		}
		if _, err := store.TagInheritance.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": tagID, "parent_id": id}); err != nil {
			return err
		}
		if e.link.Delete {
			continue
		}
		if id == tagID {
			return hub.GenericError("A tag cannot inherit from itself")
		}
		if err := store.TagInheritance.Insert(ctx, c.Tx, c.UserID(), map[string]any{
			"tag_id": tagID, "parent_id": id, "priority": e.link.Priority, "maxdepth": e.link.MaxDepth,
			"intransitive": e.link.Intransitive, "noconfig": e.link.NoConfig, "pkg_filter": e.link.PkgFilter,
		}); err != nil {
			return err
		}
	}
	return nil
}

// intLike accepts an integer or its decimal string: the CLI sends some
// numbers as it read them from the command line, and Koji's database casts them.
func intLike(v any) (int64, bool) {
	if s, ok := v.(string); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		return n, err == nil
	}
	return toInt(v)
}

func int64sToAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}
