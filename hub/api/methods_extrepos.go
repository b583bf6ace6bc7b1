package api

import (
	"context"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// External repos: yum repos outside Koji that a tag's build repos merge in,
// linked to tags by priority with a merge mode and optional arches.
func extRepoMethods() []Method {
	return []Method{
		{Name: "createExternalRepo", Params: []Param{P("name"), P("url")}, Access: admin, Writes: true,
			Doc: "Create an external repo (the url gets a trailing '/'); returns {id, name, url}.", Handler: createExternalRepo},
		{Name: "getExternalRepo", Params: []Param{P("info"), Opt("strict", false), Opt("event", nil)}, Access: anyone,
			Doc: "An external repo {id, name, url} by id or name, as of event.", Handler: getExternalRepo},
		{Name: "listExternalRepos", Params: []Param{Opt("info", nil), Opt("url", nil), Opt("event", nil), Opt("queryOpts", nil)}, Access: anyone,
			Doc: "External repos, optionally by id or name and by url.", Handler: listExternalRepos},
		{Name: "editExternalRepo", Params: []Param{P("info"), Opt("name", nil), Opt("url", nil)}, Access: admin, Writes: true,
			Doc: "Rename an external repo or change its url.", Handler: editExternalRepo},
		{Name: "deleteExternalRepo", Params: []Param{P("info")}, Access: admin, Writes: true,
			Doc: "Delete an external repo, removing it from every tag first.", Handler: deleteExternalRepo},
		{Name: "addExternalRepoToTag", Params: []Param{P("tag_info"), P("repo_info"), P("priority"), Opt("merge_mode", "koji"), Opt("arches", nil)},
			Access: tagPerm, Writes: true,
			Doc: "Link an external repo to a tag at a priority (lower first); merge_mode koji, simple or bare.", Handler: addExternalRepoToTag},
		{Name: "removeExternalRepoFromTag", Params: []Param{P("tag_info"), P("repo_info")}, Access: tagPerm, Writes: true,
			Doc: "Unlink an external repo from a tag.", Handler: removeExternalRepoFromTag},
		{Name: "editTagExternalRepo", Params: []Param{P("tag_info"), P("repo_info"), Opt("priority", nil), Opt("merge_mode", nil), Opt("arches", nil)},
			Access: tagPerm, Writes: true,
			Doc: "Change a tag's link to an external repo; None leaves a field alone. True when something changed.", Handler: editTagExternalRepo},
		{Name: "getTagExternalRepos", Params: []Param{Opt("tag_info", nil), Opt("repo_info", nil), Opt("event", nil)}, Access: anyone,
			Doc: "Tag ↔ external repo links, by priority, optionally of one tag and/or one repo.", Handler: getTagExternalRepos},
		{Name: "getExternalRepoList", Params: []Param{P("tag_info"), Opt("event", nil)}, Access: anyone,
			Doc:     "The external repos a tag uses through inheritance: depth first, by priority within a tag, each repo once.",
			Handler: getExternalRepoList},
	}
}

var mergeModes = map[string]bool{"koji": true, "simple": true, "bare": true}

// checkRepoURL normalises an external repo url: it must be http(s) or file
// (Koji takes anything; a typo then breaks every repo regeneration), and it
// gets a trailing '/' as in Koji.
func checkRepoURL(url string) (string, error) {
	lower := strings.ToLower(url)
	ok := false
	for _, p := range []string{"http://", "https://", "file://"} {
		if strings.HasPrefix(lower, p) && len(url) > len(p) {
			ok = true
		}
	}
	if !ok {
		return "", hub.GenericError("Invalid url for external repo: %s (must be http://, https:// or file://)", pyRepr(url))
	}
	if !strings.HasSuffix(url, "/") {
		url += "/"
	}
	return url, nil
}

func extRepoStruct(r store.ExternalRepo) map[string]any {
	return map[string]any{"id": r.ID, "name": r.Name, "url": r.URL}
}

// findExternalRepo looks a repo up by id, name or {id|name} as of event.
func findExternalRepo(ctx context.Context, c *Call, info any, event *int64, strict bool) (*store.ExternalRepo, error) {
	col, val, err := nameOrID(info)
	if err != nil {
		return nil, err
	}
	var f store.ExternalRepoFilter
	if col == "id" {
		id := val.(int64)
		f.ID = &id
	} else {
		name := val.(string)
		f.Name = &name
	}
	repos, err := store.ExternalRepos(ctx, c.Tx, f, event)
	if err != nil {
		return nil, err
	}
	if len(repos) == 0 {
		if strict {
			return nil, hub.GenericError("No such repo: %v", info)
		}
		return nil, nil
	}
	return &repos[0], nil
}

func createExternalRepo(ctx context.Context, c *Call) (any, error) {
	name, url := c.Args.String("name"), c.Args.String("url")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if err := hub.VerifyInternalName(name); err != nil {
		return nil, err
	}
	if r, err := findExternalRepo(ctx, c, name, nil, false); err != nil {
		return nil, err
	} else if r != nil {
		return nil, hub.GenericError("An external repo named \"%s\" already exists", name)
	}
	url, err := checkRepoURL(url)
	if err != nil {
		return nil, err
	}
	// A deleted repo of the same name keeps its id and gets a new config.
	n, err := lookupNamed(ctx, c, "external_repo", name, false, true)
	if err != nil {
		return nil, err
	}
	if err := store.ExternalRepoConfig.Insert(ctx, c.Tx, c.UserID(), map[string]any{"external_repo_id": n.ID, "url": url}); err != nil {
		return nil, err
	}
	return map[string]any{"id": n.ID, "name": name, "url": url}, nil
}

func getExternalRepo(ctx context.Context, c *Call) (any, error) {
	event := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	r, err := findExternalRepo(ctx, c, c.Args.Value("info"), event, c.Args.Bool("strict"))
	if err != nil || r == nil {
		return nil, err
	}
	return extRepoStruct(*r), nil
}

func listExternalRepos(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	event := eventArg(a, "event")
	url := a.OptString("url")
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	var f store.ExternalRepoFilter
	if info := a.Value("info"); info != nil {
		col, val, err := nameOrID(info)
		if err != nil {
			return nil, err
		}
		if col == "id" {
			id := val.(int64)
			f.ID = &id
		} else {
			name := val.(string)
			f.Name = &name
		}
	}
	if url != nil && *url != "" {
		f.URL = url
	}
	repos, err := store.ExternalRepos(ctx, c.Tx, f, event)
	if err != nil {
		return nil, err
	}
	rows := make([]any, len(repos))
	for i, r := range repos {
		rows[i] = extRepoStruct(r)
	}
	return applyQueryOpts(rows, opts)
}

func editExternalRepo(ctx context.Context, c *Call) (any, error) {
	name, url := c.Args.OptString("name"), c.Args.OptString("url")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	r, err := findExternalRepo(ctx, c, c.Args.Value("info"), nil, true)
	if err != nil {
		return nil, err
	}
	if name != nil && *name != "" && *name != r.Name {
		if err := hub.VerifyInternalName(*name); err != nil {
			return nil, err
		}
		if other, err := store.NameByName(ctx, c.Tx, "external_repo", *name); err != nil {
			return nil, err
		} else if other != nil {
			return nil, hub.GenericError("name \"%s\" is already taken by external repo %d", *name, other.ID)
		}
		if err := store.RenameNamed(ctx, c.Tx, "external_repo", r.ID, *name); err != nil {
			return nil, err
		}
	}
	if url != nil && *url != "" && *url != r.URL {
		u, err := checkRepoURL(*url)
		if err != nil {
			return nil, err
		}
		if u != r.URL {
			if _, err := store.ExternalRepoConfig.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"external_repo_id": r.ID}); err != nil {
				return nil, err
			}
			if err := store.ExternalRepoConfig.Insert(ctx, c.Tx, c.UserID(), map[string]any{"external_repo_id": r.ID, "url": u}); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

func deleteExternalRepo(ctx context.Context, c *Call) (any, error) {
	r, err := findExternalRepo(ctx, c, c.Args.Value("info"), nil, true)
	if err != nil {
		return nil, err
	}
	if _, err := store.TagExternalRepos.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"external_repo_id": r.ID}); err != nil {
		return nil, err
	}
	_, err = store.ExternalRepoConfig.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"external_repo_id": r.ID})
	return nil, err
}

// repoPriority reads a link priority: an integer (or its decimal string, as
// the CLI may send), never negative.
func repoPriority(v any) (int64, error) {
	p, err := intOf(v)
	if err != nil {
		return 0, err
	}
	if p < 0 {
		return 0, hub.GenericError("Priority must be a non-negative integer, got %d", p)
	}
	return p, nil
}

// linkExternalRepo inserts a tag ↔ repo link after Koji's checks.
func linkExternalRepo(ctx context.Context, c *Call, t *store.Tag, r *store.ExternalRepo, priority int64, mode string, arches *string) error {
	links, err := store.TagExternalRepoLinks(ctx, c.Tx, []int64{t.ID}, nil, nil)
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.ExternalRepoID == r.ID {
			return hub.GenericError("tag %s already associated with external repo %s", t.Name, r.Name)
		}
	}
	for _, l := range links {
		if l.Priority == priority {
			return hub.GenericError("tag %s already associated with an external repo at priority %d", t.Name, priority)
		}
	}
	return store.TagExternalRepos.Insert(ctx, c.Tx, c.UserID(), map[string]any{
		"tag_id": t.ID, "external_repo_id": r.ID, "priority": priority, "merge_mode": mode, "arches": arches})
}

func checkMergeMode(v any) (string, error) {
	if v == nil {
		return "koji", nil
	}
	s, ok := v.(string)
	if !ok || !mergeModes[s] {
		return "", hub.GenericError("No such merge mode: %v", v)
	}
	return s, nil
}

func tagAndRepo(ctx context.Context, c *Call) (*store.Tag, *store.ExternalRepo, error) {
	t, err := getTagAt(ctx, c, c.Args.Value("tag_info"), nil, true)
	if err != nil {
		return nil, nil, err
	}
	r, err := findExternalRepo(ctx, c, c.Args.Value("repo_info"), nil, true)
	if err != nil {
		return nil, nil, err
	}
	return t, r, nil
}

func addExternalRepoToTag(ctx context.Context, c *Call) (any, error) {
	mode, err := checkMergeMode(c.Args.Value("merge_mode"))
	if err != nil {
		return nil, err
	}
	t, r, err := tagAndRepo(ctx, c)
	if err != nil {
		return nil, err
	}
	var arches *string
	if v := c.Args.Value("arches"); v != nil {
		if arches, err = parseArches(v, false); err != nil {
			return nil, err
		}
	}
	priority, err := repoPriority(c.Args.Value("priority"))
	if err != nil {
		return nil, err
	}
	return nil, linkExternalRepo(ctx, c, t, r, priority, mode, arches)
}

func removeExternalRepoFromTag(ctx context.Context, c *Call) (any, error) {
	t, r, err := tagAndRepo(ctx, c)
	if err != nil {
		return nil, err
	}
	n, err := store.TagExternalRepos.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": t.ID, "external_repo_id": r.ID})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, hub.GenericError("external repo %s not associated with tag %s", r.Name, t.Name)
	}
	return nil, nil
}

func editTagExternalRepo(ctx context.Context, c *Call) (any, error) {
	t, r, err := tagAndRepo(ctx, c)
	if err != nil {
		return nil, err
	}
	links, err := store.TagExternalRepoLinks(ctx, c.Tx, []int64{t.ID}, &r.ID, nil)
	if err != nil {
		return nil, err
	}
	if len(links) == 0 {
		return nil, hub.GenericError("external repo %s not associated with tag %s", r.Name, t.Name)
	}
	cur := links[0]
	priority, mode, arches := cur.Priority, cur.MergeMode, cur.Arches
	changed := false
	if v := c.Args.Value("priority"); v != nil {
		p, err := repoPriority(v)
		if err != nil {
			return nil, err
		}
		if p != priority {
			priority, changed = p, true
		}
	}
	if v := c.Args.Value("merge_mode"); v != nil {
		m, err := checkMergeMode(v)
		if err != nil {
			return nil, err
		}
		if m != mode {
			mode, changed = m, true
		}
	}
	if v := c.Args.Value("arches"); v != nil {
		a, err := parseArches(v, true)
		if err != nil {
			return nil, err
		}
		if !equalStr(a, arches) {
			arches, changed = a, true
		}
	}
	if !changed {
		return false, nil
	}
	if _, err := store.TagExternalRepos.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"tag_id": t.ID, "external_repo_id": r.ID}); err != nil {
		return nil, err
	}
	if err := linkExternalRepo(ctx, c, t, r, priority, mode, arches); err != nil {
		return nil, err
	}
	return true, nil
}

func tagRepoStruct(l store.TagExternalRepo) map[string]any {
	return map[string]any{"external_repo_id": l.ExternalRepoID, "external_repo_name": l.ExternalRepoName,
		"priority": l.Priority, "tag_id": l.TagID, "tag_name": l.TagName, "url": l.URL,
		"merge_mode": l.MergeMode, "arches": l.Arches}
}

func getTagExternalRepos(ctx context.Context, c *Call) (any, error) {
	event := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	var tags []int64
	if v := c.Args.Value("tag_info"); truthy(v) {
		t, err := lookupNamed(ctx, c, "tag", v, true, false)
		if err != nil {
			return nil, err
		}
		tags = []int64{t.ID}
	}
	var repoID *int64
	if v := c.Args.Value("repo_info"); truthy(v) {
		r, err := findExternalRepo(ctx, c, v, event, true)
		if err != nil {
			return nil, err
		}
		repoID = &r.ID
	}
	links, err := store.TagExternalRepoLinks(ctx, c.Tx, tags, repoID, event)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(links))
	for i, l := range links {
		out[i] = tagRepoStruct(l)
	}
	return out, nil
}

func getExternalRepoList(ctx context.Context, c *Call) (any, error) {
	event := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	t, err := getTagAt(ctx, c, c.Args.Value("tag_info"), event, true)
	if err != nil {
		return nil, err
	}
	links, err := externalRepoList(ctx, c, t.ID, event)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, l := range links {
		out = append(out, tagRepoStruct(l))
	}
	return out, nil
}

// externalRepoList is a tag's external repos with inheritance: the tag's
// own, then each parent's in inheritance order, by priority within a tag,
// each repo once.
func externalRepoList(ctx context.Context, c *Call, tagID int64, event *int64) ([]store.TagExternalRepo, error) {
	tags := []int64{tagID}
	order, err := fullInheritance(ctx, c, tagID, event, false)
	if err != nil {
		return nil, err
	}
	for _, l := range order {
		tags = append(tags, l.ParentID)
	}
	links, err := store.TagExternalRepoLinks(ctx, c.Tx, tags, nil, event)
	if err != nil {
		return nil, err
	}
	byTag := map[int64][]store.TagExternalRepo{}
	for _, l := range links {
		byTag[l.TagID] = append(byTag[l.TagID], l)
	}
	seen := map[int64]bool{}
	var out []store.TagExternalRepo
	for _, id := range tags {
		for _, l := range byTag[id] {
			if !seen[l.ExternalRepoID] {
				seen[l.ExternalRepoID] = true
				out = append(out, l)
			}
		}
		delete(byTag, id) // a tag reached twice contributes once
	}
	return out, nil
}
