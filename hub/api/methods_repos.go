package api

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Koji's repo options, all booleans.
var repoOptNames = []string{"src", "debuginfo", "separate_src", "maven"}

func repoMethods() []Method {
	repoPerm := perm("repo")
	return []Method{
		{Name: "getRepo", Params: []Param{P("tag"), Opt("state", nil), Opt("event", nil), Opt("dist", false), Opt("min_event", nil)},
			Access: anyone, Doc: "The newest repo of a tag: READY unless state is given, or made at or before event.", Handler: getRepo},
		{Name: "repoInfo", Params: []Param{P("repo_id"), Opt("strict", false)}, Access: anyone,
			Doc: "A repo by id.", Handler: repoInfo},
		{Name: "getActiveRepos", Access: anyone, Doc: "Repos that are INIT or READY.", Handler: getActiveRepos},
		{Name: "newRepo", Params: []Param{P("tag"), Opt("event", nil), Opt("src", false), Opt("debuginfo", false), Opt("separate_src", false)},
			Access: Access{Perm: "regen-repo", OrPerm: "repo"}, Writes: true, Doc: "Start a newRepo task for a tag (the legacy call; see repo.request).",
			Handler: newRepo},
		{Name: "repoExpire", Params: []Param{P("repo_id")}, Access: repoPerm, Writes: true,
			Doc: "Mark a repo EXPIRED.", Handler: setRepoStateTo(store.RepoExpired)},
		{Name: "repoDelete", Params: []Param{P("repo_id")}, Access: repoPerm, Writes: true,
			Doc: "Mark a repo DELETED unless a buildroot uses it; answers how many buildroots reference it.", Handler: repoDelete},
		{Name: "repoProblem", Params: []Param{P("repo_id")}, Access: repoPerm, Writes: true,
			Doc: "Mark a repo PROBLEM.", Handler: setRepoStateTo(store.RepoProblem)},
		{Name: "repo.request", Params: []Param{P("tag"), Opt("min_event", nil), Opt("at_event", nil), Opt("opts", nil), Opt("priority", nil), Opt("force", false)},
			Access: loggedIn, Writes: true, Doc: "Ask for a repo of a tag: answers {repo, request, duplicate}.", Handler: repoRequest},
		{Name: "repo.checkRequest", Params: []Param{P("req_id")}, Access: anyone,
			Doc: "A request and, once made, its repo.", Handler: repoCheckRequest},
		{Name: "repo.get", Params: []Param{P("tag"), Opt("min_event", nil), Opt("at_event", nil), Opt("opts", nil)}, Access: anyone,
			Doc: "The best READY repo of a tag for the events and options asked.", Handler: repoGet},
		{Name: "repo.query", Params: []Param{P("clauses"), Opt("fields", nil), Opt("opts", nil)}, Access: anyone,
			Doc: "Repos matching [field, op, value] clauses.", Handler: repoQuery},
		{Name: "repo.queryQueue", Params: []Param{Opt("clauses", nil), Opt("fields", nil), Opt("opts", nil)}, Access: anyone,
			Doc: "Repo requests matching [field, op, value] clauses.", Handler: repoQueryQueue},
		{Name: "repo.checkQueue", Access: repoPerm, Writes: true,
			Doc: "Turn waiting requests into newRepo tasks (the hub does this by itself).", Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, checkRepoQueue(ctx, c)
			}},
		{Name: "repo.references", Params: []Param{P("repo_id")}, Access: anyone,
			Doc: "Buildroots that use a repo.", Handler: repoReferences},
		{Name: "repo.setState", Params: []Param{P("repo_id"), P("state")}, Access: repoPerm, Writes: true,
			Doc: "Set a repo's state (no going back, except to DELETED).", Handler: func(ctx context.Context, c *Call) (any, error) {
				st := c.Args.Int("state")
				if err := c.Args.Err(); err != nil {
					return nil, err
				}
				return nil, changeRepoState(ctx, c, c.Args.Value("repo_id"), int(st))
			}},
		{Name: "repo.setRequestPriority", Params: []Param{P("req_id"), P("priority")}, Access: admin, Writes: true,
			Doc: "Change a request's priority.", Handler: func(ctx context.Context, c *Call) (any, error) {
				id, pri := c.Args.CastInt("req_id"), c.Args.CastInt("priority")
				if err := c.Args.Err(); err != nil {
					return nil, err
				}
				return nil, store.UpdateRepoRequest(ctx, c.Tx, id, c.d.Now().UnixMicro(), map[string]any{"priority": pri})
			}},
		{Name: "repo.autoRequests", Access: repoPerm, Writes: true,
			Doc: "Request repos for tags marked repo.auto (the hub does this on every tag change).", Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, nil
			}},
		{Name: "repo.updateEndEvents", Access: repoPerm, Writes: true,
			Doc: "Record end events of READY repos whose tag changed (the hub does this on every tag change).", Handler: func(ctx context.Context, c *Call) (any, error) {
				return nil, nil
			}},
	}
}

// repoOpts reads a repo options struct: known keys, booleans; None values
// are left out, as in Koji.
func repoOpts(v any) (map[string]bool, error) {
	out := map[string]bool{}
	if v == nil {
		return out, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, hub.ParameterError("Repo opts must be a dictionary")
	}
	for k, val := range m {
		known := false
		for _, n := range repoOptNames {
			known = known || n == k
		}
		if !known {
			return nil, hub.ParameterError("Invalid repo option: %s", k)
		}
		if val != nil {
			out[k] = truthy(val)
		}
	}
	if out["maven"] {
		return nil, hub.GenericError("Maven support not enabled")
	}
	return out, nil
}

// optsJSON is the canonical stored form (sorted keys).
func optsJSON(o map[string]bool) string {
	b, _ := json.Marshal(o) // map keys marshal sorted
	return string(b)
}

func parseOpts(s *string) map[string]bool {
	out := map[string]bool{}
	if s != nil {
		json.Unmarshal([]byte(*s), &out)
	}
	return out
}

func optsValue(s *string) any {
	if s == nil {
		return nil
	}
	m := map[string]any{}
	for k, v := range parseOpts(s) {
		m[k] = v
	}
	return m
}

// tagRepoOpts is a tag's default repo options (tag extra repo.opts and the
// legacy with_debuginfo), with overrides applied; custom is what the
// overrides changed.
func tagRepoOpts(ctx context.Context, c *Call, tagID int64, override map[string]bool) (opts, custom map[string]bool, err error) {
	opts = map[string]bool{"src": false, "debuginfo": false, "separate_src": false, "maven": false}
	extras, err := tagExtras(ctx, c, []int64{tagID}, nil, false)
	if err != nil {
		return nil, nil, err
	}
	if v, ok := extras[tagID]["with_debuginfo"]; ok {
		opts["debuginfo"] = truthy(v)
	}
	if m, ok := extras[tagID]["repo.opts"].(map[string]any); ok {
		for _, n := range repoOptNames {
			if v, ok := m[n]; ok && v != nil {
				opts[n] = truthy(v)
			}
		}
	}
	custom = map[string]bool{}
	for k, v := range override {
		if opts[k] != v {
			custom[k] = v
			opts[k] = v
		}
	}
	return opts, custom, nil
}

func (c *Call) eventTS(ctx context.Context, ev *int64) any {
	if ev == nil {
		return nil
	}
	us, ok, err := store.EventByID(ctx, c.Tx, *ev)
	if err != nil || !ok {
		return nil
	}
	return hub.TS(us)
}

func repoStruct(ctx context.Context, c *Call, r *store.Repo) map[string]any {
	return map[string]any{
		"id": r.ID, "tag_id": r.TagID, "tag_name": r.TagName, "state": r.State, "dist": r.Dist,
		"create_event": r.CreateEvent, "create_ts": hub.TS(r.CreateUS),
		"creation_time": hub.TimeString(r.CreationUS), "creation_ts": hub.TS(r.CreationUS),
		"state_time": hub.TimeString(r.StateUS), "state_ts": hub.TS(r.StateUS),
		"begin_event": r.BeginEvent, "begin_ts": c.eventTS(ctx, r.BeginEvent),
		"end_event": r.EndEvent, "end_ts": c.eventTS(ctx, r.EndEvent),
		"opts": optsValue(r.Opts), "custom_opts": optsValue(r.CustomOpts),
		"task_id": r.TaskID, "task_state": r.TaskState,
	}
}

func requestStruct(q *store.RepoRequest) map[string]any {
	opts := map[string]any{}
	for k, v := range parseOpts(&q.Opts) {
		opts[k] = v
	}
	return map[string]any{
		"id": q.ID, "active": q.Active, "at_event": q.AtEvent, "min_event": q.MinEvent, "opts": opts,
		"owner": q.Owner, "owner_name": q.OwnerName, "priority": q.Priority, "repo_id": q.RepoID,
		"tag_id": q.TagID, "tag_name": q.TagName, "task_id": q.TaskID, "task_state": q.TaskState, "tries": q.Tries,
		"create_time": hub.TimeString(q.CreateUS), "create_ts": hub.TS(q.CreateUS),
		"update_time": hub.TimeString(q.UpdateUS), "update_ts": hub.TS(q.UpdateUS),
	}
}

func getRepo(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	state, event, minEvent := a.OptCastInt("state"), a.OptCastInt("event"), a.OptCastInt("min_event")
	if err := a.Err(); err != nil {
		return nil, err
	}
	t, err := lookupNamed(ctx, c, "tag", a.Value("tag"), true, false)
	if err != nil {
		return nil, err
	}
	dist := a.Bool("dist")
	f := store.RepoFilter{TagID: &t.ID, Dist: &dist, MinEvent: minEvent}
	if event != nil {
		f.MaxEvent = event
	} else {
		st := store.RepoReady
		if state != nil {
			st = int(*state)
		}
		f.States = []int{st}
	}
	rs, err := store.Repos(ctx, c.Tx, f)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].CreationUS > rs[j].CreationUS })
	return repoStruct(ctx, c, &rs[0]), nil
}

func findRepo(ctx context.Context, c *Call, id int64) (*store.Repo, error) {
	rs, err := store.Repos(ctx, c.Tx, store.RepoFilter{ID: &id})
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	return &rs[0], nil
}

func repoInfo(ctx context.Context, c *Call) (any, error) {
	opt := c.Args.OptCastInt("repo_id")
	if err := c.Args.Err(); err != nil || opt == nil {
		return nil, err // Koji looks up id NULL: no repo
	}
	id := *opt
	r, err := findRepo(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("No such repo: %d", id)
		}
		return nil, nil
	}
	return repoStruct(ctx, c, r), nil
}

func getActiveRepos(ctx context.Context, c *Call) (any, error) {
	rs, err := store.Repos(ctx, c.Tx, store.RepoFilter{States: []int{store.RepoInit, store.RepoReady}})
	if err != nil {
		return nil, err
	}
	out := make([]any, len(rs))
	for i := range rs {
		out[i] = repoStruct(ctx, c, &rs[i])
	}
	return out, nil
}

// changeRepoState applies Koji's rule: no move to a lower state except to
// DELETED; DELETED is final; setting the same state again does nothing.
func changeRepoState(ctx context.Context, c *Call, info any, state int) error {
	id, err := intOf(info)
	if err != nil {
		return err
	}
	if state < store.RepoInit || state > store.RepoProblem {
		return hub.GenericError("Invalid repo state: %d", state)
	}
	r, err := findRepo(ctx, c, id)
	if err != nil {
		return err
	}
	if r == nil {
		return hub.GenericError("No such repo: %d", id)
	}
	switch {
	case r.State == state:
		return nil
	case r.State == store.RepoDeleted:
		return hub.GenericError("Repo %d is deleted", id)
	case state < r.State && state != store.RepoDeleted:
		return hub.GenericError("Invalid repo state transition %d -> %d", r.State, state)
	}
	return store.SetRepoState(ctx, c.Tx, id, state, c.d.Now().UnixMicro())
}

func setRepoStateTo(state int) Handler {
	return func(ctx context.Context, c *Call) (any, error) {
		return nil, changeRepoState(ctx, c, c.Args.Value("repo_id"), state)
	}
}

func repoDelete(ctx context.Context, c *Call) (any, error) {
	refs, err := repoRefs(ctx, c, c.Args.Value("repo_id"))
	if err != nil {
		return nil, err
	}
	if len(refs) > 0 {
		return len(refs), nil
	}
	return 0, changeRepoState(ctx, c, c.Args.Value("repo_id"), store.RepoDeleted)
}

// repoRefs lists the buildroots that still use a repo (not EXPIRED):
// [{id, host_id, create_event, state}], as Koji's repo_references.
func repoRefs(ctx context.Context, c *Call, info any) ([]any, error) {
	id, err := intOf(info)
	if err != nil {
		return nil, err
	}
	brs, err := store.ListBuildroots(ctx, c.Tx, store.BuildrootFilter{RepoID: &id}, store.NoPage)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, b := range brs {
		if b.State != nil && *b.State == brExpired {
			continue
		}
		out = append(out, map[string]any{"id": b.ID, "host_id": b.HostID, "create_event": b.CreateEventID, "state": b.State})
	}
	return out, nil
}

// brExpired is Koji's BR_STATES['EXPIRED'].
const brExpired = 3

func repoReferences(ctx context.Context, c *Call) (any, error) {
	return repoRefs(ctx, c, c.Args.Value("repo_id"))
}

func newRepo(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	event := a.OptInt("event")
	if err := a.Err(); err != nil {
		return nil, err
	}
	t, err := getTagAt(ctx, c, a.Value("tag"), nil, true)
	if err != nil {
		return nil, err
	}
	// Koji's legacy request form: the tag, then only the options given.
	kw := map[string]any{}
	if event != nil {
		kw["event"] = *event
	}
	for _, n := range []string{"src", "separate_src", "debuginfo"} {
		if a.Bool(n) {
			kw[n] = true
		}
	}
	return createRepoTask(ctx, c, t.Name, kw, c.UserID())
}

// createRepoTask makes a newRepo task in the createrepo channel at Koji's
// repo priority (15).
func createRepoTask(ctx context.Context, c *Call, tagName string, kw map[string]any, owner int64) (int64, error) {
	pri := int64(15)
	args := []any{tagName}
	if len(kw) > 0 {
		args = append(args, withStarStar(kw))
	}
	return createTask(ctx, c, "newRepo", args, taskOpts{Channel: "createrepo", Priority: &pri, Owner: &owner})
}

func withStarStar(kw map[string]any) map[string]any {
	out := map[string]any{"__starstar": true}
	for k, v := range kw {
		out[k] = v
	}
	return out
}

// matchesRepo: a READY non-dist repo fits a request when it is at (or past)
// the event and has every asked option, and no custom option not asked for.
func matchesRepo(r *store.Repo, opts map[string]bool, minEvent, atEvent *int64) bool {
	if r.State != store.RepoReady || r.Dist {
		return false
	}
	if atEvent != nil && r.CreateEvent != *atEvent {
		return false
	}
	if atEvent == nil && minEvent != nil && r.CreateEvent < *minEvent {
		return false
	}
	have := parseOpts(r.Opts)
	for k, v := range opts {
		if have[k] != v {
			return false
		}
	}
	for k, v := range parseOpts(r.CustomOpts) {
		if asked, ok := opts[k]; !ok || asked != v {
			return false
		}
	}
	return true
}

func bestRepo(ctx context.Context, c *Call, tagID int64, opts map[string]bool, minEvent, atEvent *int64) (*store.Repo, error) {
	no := false
	rs, err := store.Repos(ctx, c.Tx, store.RepoFilter{TagID: &tagID, States: []int{store.RepoReady}, Dist: &no})
	if err != nil {
		return nil, err
	}
	for i := range rs { // newest create_event first
		if matchesRepo(&rs[i], opts, minEvent, atEvent) {
			return &rs[i], nil
		}
	}
	return nil, nil
}

func repoGet(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	minEv, atEv := a.OptCastInt("min_event"), a.OptCastInt("at_event")
	if err := a.Err(); err != nil {
		return nil, err
	}
	t, err := lookupNamed(ctx, c, "tag", a.Value("tag"), true, false)
	if err != nil {
		return nil, err
	}
	opts, err := repoOpts(a.Value("opts"))
	if err != nil {
		return nil, err
	}
	r, err := bestRepo(ctx, c, t.ID, opts, minEv, atEv)
	if err != nil || r == nil {
		return nil, err
	}
	return repoStruct(ctx, c, r), nil
}

// lastTagChange is the newest event that changed what the tag (with its
// inheritance) holds.
func lastTagChange(ctx context.Context, c *Call, tagID int64) (int64, error) {
	ids := []int64{tagID}
	walk, err := fullInheritance(ctx, c, tagID, nil, false)
	if err != nil {
		return 0, err
	}
	for _, l := range walk {
		ids = append(ids, l.ParentID)
	}
	ev, err := store.TagChangeBound(ctx, c.Tx, ids, nil, true, nil)
	if err != nil {
		return 0, err
	}
	if ev == nil {
		id, _, _, err := store.LastEvent(ctx, c.Tx, nil)
		return id, err
	}
	return *ev, nil
}

func repoRequest(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	atEv := a.OptCastInt("at_event")
	prio := a.OptCastInt("priority")
	if err := a.Err(); err != nil {
		return nil, err
	}
	t, err := getTagAt(ctx, c, a.Value("tag"), nil, true)
	if err != nil {
		return nil, err
	}
	opts, err := repoOpts(a.Value("opts"))
	if err != nil {
		return nil, err
	}
	var minEv *int64
	switch v := a.Value("min_event").(type) {
	case nil:
		if atEv == nil {
			// Our repos follow changes at once, so the default is the last
			// change (Koji allows an hour of lag here).
			last, err := lastTagChange(ctx, c, t.ID)
			if err != nil {
				return nil, err
			}
			minEv = &last
		}
	case string:
		if v != "last" {
			return nil, hub.ParameterError("Invalid event: %s", v)
		}
		last, err := lastTagChange(ctx, c, t.ID)
		if err != nil {
			return nil, err
		}
		minEv = &last
	default:
		n, ok := toInt(v)
		if !ok {
			return nil, hub.ParameterError("Invalid event: %v", v)
		}
		minEv = &n
	}
	if atEv != nil && minEv != nil && a.Value("min_event") != nil {
		return nil, hub.ParameterError("The min_event and at_event options conflict")
	}
	for _, ev := range []*int64{atEv, minEv} {
		if ev == nil {
			continue
		}
		if _, ok, err := store.EventByID(ctx, c.Tx, *ev); err != nil {
			return nil, err
		} else if !ok {
			return nil, hub.ParameterError("Invalid event: %d", *ev)
		}
	}
	priority := int64(hub.PriorityDefault)
	if prio != nil {
		if *prio < 0 {
			if ok, err := c.HasPerm(ctx, "admin"); err != nil || !ok {
				return nil, hub.NotAllowed("only admins may create high-priority requests")
			}
		}
		priority += *prio
	}
	ret := map[string]any{"repo": nil, "request": nil, "duplicate": false}
	if !a.Bool("force") {
		r, err := bestRepo(ctx, c, t.ID, opts, minEv, atEv)
		if err != nil {
			return nil, err
		}
		if r != nil {
			ret["repo"] = repoStruct(ctx, c, r)
			return ret, nil
		}
	}
	req, dup, err := queueRepoRequest(ctx, c, t.ID, opts, minEv, atEv, int(priority), c.UserID())
	if err != nil {
		return nil, err
	}
	ret["request"], ret["duplicate"] = requestStruct(req), dup
	return ret, nil
}

// queueRepoRequest reuses an active request that covers the same ask, or
// queues a new one.
func queueRepoRequest(ctx context.Context, c *Call, tagID int64, opts map[string]bool, minEv, atEv *int64, priority int, owner int64) (*store.RepoRequest, bool, error) {
	yes := true
	active, err := store.RepoRequests(ctx, c.Tx, store.RequestFilter{TagID: &tagID, Active: &yes})
	if err != nil {
		return nil, false, err
	}
	want := optsJSON(opts)
	for i := range active {
		q := &active[i]
		if q.Opts != want {
			continue
		}
		same := (atEv != nil && q.AtEvent != nil && *q.AtEvent == *atEv) ||
			(atEv == nil && q.AtEvent == nil && q.MinEvent != nil && minEv != nil && *q.MinEvent >= *minEv)
		if !same {
			continue
		}
		if q.Priority > priority {
			if err := store.UpdateRepoRequest(ctx, c.Tx, q.ID, c.d.Now().UnixMicro(), map[string]any{"priority": priority}); err != nil {
				return nil, false, err
			}
			q.Priority = priority
		}
		return q, true, nil
	}
	now := c.d.Now().UnixMicro()
	id, err := store.CreateRepoRequest(ctx, c.Tx, store.RepoRequest{CreateUS: now, Owner: owner, Priority: priority,
		TagID: tagID, AtEvent: atEv, MinEvent: minEv, Opts: want})
	if err != nil {
		return nil, false, err
	}
	qs, err := store.RepoRequests(ctx, c.Tx, store.RequestFilter{ID: &id})
	if err != nil || len(qs) == 0 {
		return nil, false, err
	}
	return &qs[0], false, nil
}

func repoCheckRequest(ctx context.Context, c *Call) (any, error) {
	id := c.Args.CastInt("req_id") // the CLI's wait-repo-request sends a string
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	qs, err := store.RepoRequests(ctx, c.Tx, store.RequestFilter{ID: &id})
	if err != nil {
		return nil, err
	}
	if len(qs) == 0 {
		return nil, hub.GenericError("No such request")
	}
	q := &qs[0]
	out := map[string]any{"request": requestStruct(q), "repo": nil}
	if q.RepoID != nil {
		r, err := findRepo(ctx, c, *q.RepoID)
		if err != nil {
			return nil, err
		}
		if r != nil {
			out["repo"] = repoStruct(ctx, c, r)
		}
	} else if q.TaskID != nil {
		t, err := store.GetTask(ctx, c.Tx, *q.TaskID, false)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out["task"] = taskStruct(t)
		}
	}
	return out, nil
}

// clause is one [field, op, value] condition of repo.query / queryQueue.
func matchClauses(row map[string]any, clauses []any) (bool, error) {
	for _, raw := range clauses {
		cl, ok := raw.([]any)
		if !ok || len(cl) != 3 {
			return false, hub.ParameterError("Invalid query clause: %s", pyRepr(raw))
		}
		field, _ := cl[0].(string)
		op, _ := cl[1].(string)
		have, known := row[field]
		if !known {
			return false, hub.ParameterError("Invalid field for query: %v", cl[0])
		}
		want := cl[2]
		switch strings.ToUpper(op) {
		case "=", "IS":
			if !equalValue(have, want) {
				return false, nil
			}
		case "!=", "IS NOT":
			if equalValue(have, want) {
				return false, nil
			}
		case "<":
			if !lessValue(have, want, false) {
				return false, nil
			}
		case ">":
			if !lessValue(want, have, false) {
				return false, nil
			}
		case "<=":
			if lessValue(want, have, false) {
				return false, nil
			}
		case ">=":
			if lessValue(have, want, false) {
				return false, nil
			}
		case "IN":
			list, _ := want.([]any)
			in := false
			for _, w := range list {
				in = in || equalValue(have, w)
			}
			if !in {
				return false, nil
			}
		default:
			return false, hub.ParameterError("Invalid operator in query clause: %v", cl[1])
		}
	}
	return true, nil
}

func equalValue(a, b any) bool {
	return !lessValue(a, b, false) && !lessValue(b, a, false) && (a == nil) == (b == nil)
}

var (
	repoDefaultFields    = []string{"id", "tag_id", "create_event", "state", "dist", "task_id", "opts", "custom_opts"}
	requestDefaultFields = []string{"id", "tag_id", "at_event", "min_event", "create_ts", "task_id", "tries", "repo_id", "opts", "active", "update_ts"}
)

// queryRows filters rows by clauses, keeps the asked fields ("**" or "*"
// for all), and applies queryOpts.
func queryRows(rows []map[string]any, clauses any, fields any, defaults []string, opts any) (any, error) {
	var cls []any
	if clauses != nil {
		var ok bool
		if cls, ok = clauses.([]any); !ok {
			return nil, hub.ParameterError("clauses must be a list")
		}
	}
	var keep []string
	switch f := fields.(type) {
	case nil:
		keep = defaults
	case string:
		if f != "*" && f != "**" {
			keep = []string{f}
		}
	case []any:
		for _, x := range f {
			s, _ := x.(string)
			keep = append(keep, s)
		}
	}
	var out []any
	for _, r := range rows {
		ok, err := matchClauses(r, cls)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if keep == nil {
			out = append(out, r)
			continue
		}
		m := map[string]any{}
		for _, k := range keep {
			v, known := r[k]
			if !known {
				return nil, hub.ParameterError("Invalid field: %s", k)
			}
			m[k] = v
		}
		out = append(out, m)
	}
	if out == nil {
		out = []any{}
	}
	o, _ := opts.(map[string]any)
	return applyQueryOpts(out, o)
}

func repoQuery(ctx context.Context, c *Call) (any, error) {
	rs, err := store.Repos(ctx, c.Tx, store.RepoFilter{})
	if err != nil {
		return nil, err
	}
	rows := make([]map[string]any, len(rs))
	for i := range rs {
		rows[i] = repoStruct(ctx, c, &rs[i])
	}
	return queryRows(rows, c.Args.Value("clauses"), c.Args.Value("fields"), repoDefaultFields, c.Args.Value("opts"))
}

func repoQueryQueue(ctx context.Context, c *Call) (any, error) {
	qs, err := store.RepoRequests(ctx, c.Tx, store.RequestFilter{})
	if err != nil {
		return nil, err
	}
	rows := make([]map[string]any, len(qs))
	for i := range qs {
		rows[i] = requestStruct(&qs[i])
	}
	return queryRows(rows, c.Args.Value("clauses"), c.Args.Value("fields"), requestDefaultFields, c.Args.Value("opts"))
}
