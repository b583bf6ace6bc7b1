package api

import (
	"context"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Buildroots: a build host's chroot for one task, the rpms installed in it,
// and the rpms built in it (rpminfo.buildroot_id).
func buildrootMethods() []Method {
	h := Access{Host: true}
	return []Method{
		{Name: "getBuildroot", Params: []Param{P("buildrootID"), Opt("strict", false)}, Access: anyone,
			Doc: "A buildroot by id, as listBuildroots shows it; None when missing unless strict.", Handler: getBuildroot},
		{Name: "listBuildroots", Params: []Param{Opt("hostID", nil), Opt("tagID", nil), Opt("state", nil), Opt("rpmID", nil),
			Opt("archiveID", nil), Opt("taskID", nil), Opt("buildrootID", nil), Opt("repoID", nil), Opt("queryOpts", nil)},
			Access: anyone,
			Doc: "Buildroots matching every filter given: host, tag of the repo, state (int or list), an rpm installed in them, " +
				"task, id (int or list), repo. queryOpts run in SQL.",
			Handler: listBuildroots},
		{Name: "getBuildrootListing", Params: []Param{P("id")}, Access: anyone,
			Doc:     "The rpms installed in a buildroot: [{rpm_id, is_update, name, version, release, epoch, arch, build_id, draft, external_repo_id, external_repo_name}].",
			Handler: getBuildrootListing},
		{Name: "host.newBuildRoot", Params: []Param{P("repo"), P("arch"), Opt("task_id", nil)}, Access: h, Writes: true,
			Doc:     "Create a buildroot (state INIT) on the calling host for one of its OPEN tasks, from a repo; returns its id.",
			Handler: hostNewBuildRoot},
		{Name: "host.setBuildRootState", Params: []Param{P("brootid"), P("state"), Opt("task_id", nil)}, Access: h, Writes: true,
			Doc:     "Move one of the host's buildroots to a state (name or number): never back to INIT, nothing after EXPIRED (expiring again is a no-op).",
			Handler: hostSetBuildRootState},
		{Name: "host.setBuildRootList", Params: []Param{P("brootid"), P("rpmlist"), Opt("task_id", nil)}, Access: h, Writes: true,
			Doc:     "Record the rpms installed in an INIT buildroot ({id} or {name, version, release, arch}). Entries of external repos (with location) are skipped.",
			Handler: hostBuildRootList(false)},
		{Name: "host.updateBuildRootList", Params: []Param{P("brootid"), P("rpmlist"), Opt("task_id", nil)}, Access: h, Writes: true,
			Doc:     "Add rpms installed later to a BUILDING buildroot (is_update); rpms already listed are skipped.",
			Handler: hostBuildRootList(true)},
	}
}

func buildrootStruct(b *store.Buildroot) map[string]any {
	var state any
	if b.State != nil {
		state = int64(*b.State)
	}
	var repoState any
	if b.RepoState != nil {
		repoState = int64(*b.RepoState)
	}
	return map[string]any{
		"id": b.ID, "br_type": int64(b.BRType), "cg_id": optInt(b.CGID), "cg_name": nil, "cg_version": optStr(b.CGVersion),
		"container_arch": optStr(b.ContainerArch), "arch": optStr(b.ContainerArch), "container_type": optStr(b.ContainerType),
		"host_os": optStr(b.HostOS), "host_arch": optStr(b.HostArch), "extra": jsonExtra(b.Extra),
		"state": state, "task_id": optInt(b.TaskID), "host_id": optInt(b.HostID), "host_name": optStr(b.HostName),
		"repo_id": optInt(b.RepoID), "repo_state": repoState, "tag_id": optInt(b.TagID), "tag_name": optStr(b.TagName),
		"create_event_id": optInt(b.CreateEventID), "create_event_time": optStr(hub.OptTimeString(b.CreateEventUS)),
		"create_ts":       optFloat(hub.OptTS(b.CreateEventUS)),
		"retire_event_id": optInt(b.RetireEventID), "retire_event_time": optStr(hub.OptTimeString(b.RetireEventUS)),
		"retire_ts":            optFloat(hub.OptTS(b.RetireEventUS)),
		"repo_create_event_id": optInt(b.RepoCreateEventID), "repo_create_event_time": optStr(hub.OptTimeString(b.RepoCreateEventUS)),
	}
}

// buildrootOrderFields are listBuildroots' order names: ours and Koji's
// column spellings (the CLI orders by 'buildroot.id').
var buildrootOrderFields = func() map[string]string {
	m := map[string]string{"buildroot.id": "br.id", "standard_buildroot.state": "sb.state", "standard_buildroot.task_id": "sb.task_id"}
	for k, v := range store.BuildrootOrderFields {
		m[k] = v
	}
	return m
}()

func idOrIDs(name string, v any) ([]int64, error) {
	if v == nil {
		return nil, nil
	}
	if l, ok := intList(v); ok {
		return l, nil
	}
	return nil, hub.ParameterError("Invalid type for %s: %s", name, pyClass(v))
}

func listBuildroots(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	var f store.BuildrootFilter
	var err error
	if f.IDs, err = idOrIDs("buildrootID", a.Value("buildrootID")); err != nil {
		return nil, err
	}
	states, err := idOrIDs("state", a.Value("state"))
	if err != nil {
		return nil, err
	}
	f.States = states
	if v := a.Value("hostID"); v != nil {
		hst, err := lookupHost(ctx, c, v, nil)
		if err != nil {
			return nil, err
		}
		if hst == nil {
			return emptyList(a.Map("queryOpts"))
		}
		f.HostID = &hst.ID
	}
	f.TagID = a.OptInt("tagID")
	f.RPMID = a.OptInt("rpmID")
	f.TaskID = a.OptInt("taskID")
	if v := a.OptInt("repoID"); v != nil && *v != 0 {
		f.RepoID = v
	}
	f.Nothing = a.Value("archiveID") != nil // no archives on this hub
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	q, err := parseQueryOpts(opts, buildrootOrderFields)
	if err != nil {
		return nil, err
	}
	if q.countOnly {
		return store.CountBuildroots(ctx, c.Tx, f, q.page)
	}
	brs, err := store.ListBuildroots(ctx, c.Tx, f, q.page)
	if err != nil {
		return nil, err
	}
	rows := make([]map[string]any, len(brs))
	for i := range brs {
		rows[i] = buildrootStruct(&brs[i])
	}
	return q.shape(rows), nil
}

func getBuildroot(ctx context.Context, c *Call) (any, error) {
	id := c.Args.CastInt("buildrootID")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	b, err := store.GetBuildroot(ctx, c.Tx, id)
	if err != nil {
		return nil, err
	}
	if b == nil {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("No such buildroot: %d", id)
		}
		return nil, nil
	}
	return buildrootStruct(b), nil
}

// buildrootOrFail reads a buildroot or fails as Koji's BuildRoot(id) does.
func buildrootOrFail(ctx context.Context, c *Call, v any) (*store.Buildroot, error) {
	id, err := intOf(v)
	if err != nil {
		return nil, err
	}
	b, err := store.GetBuildroot(ctx, c.Tx, id)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, hub.GenericError("no buildroot with ID: %d", id)
	}
	return b, nil
}

func getBuildrootListing(ctx context.Context, c *Call) (any, error) {
	b, err := buildrootOrFail(ctx, c, c.Args.Value("id"))
	if err != nil {
		return nil, err
	}
	rows, err := store.BuildrootListing(ctx, c.Tx, b.ID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = map[string]any{"rpm_id": r.RPMID, "is_update": r.IsUpdate, "name": r.Name, "version": r.Version,
			"release": r.Release, "epoch": optInt(r.Epoch), "arch": r.Arch, "build_id": optInt(r.BuildID), "draft": r.Draft,
			"external_repo_id": r.ExternalRepoID, "external_repo_name": r.ExternalRepoName}
	}
	return out, nil
}

func hostNewBuildRoot(ctx context.Context, c *Call) (any, error) {
	repo := c.Args.Int("repo")
	taskID := c.Args.OptInt("task_id")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	// Koji's schema needs the task (standard_buildroot.task_id NOT NULL);
	// say so rather than fail in SQL.
	if taskID == nil {
		return nil, hub.GenericError("a buildroot belongs to a task: task_id is required")
	}
	if _, err := ownedOpenTask(ctx, c, *taskID); err != nil {
		return nil, err
	}
	arches, err := hub.ParseArches(c.Args.Value("arch"), true)
	if err != nil {
		return nil, err
	}
	if len(arches) != 1 {
		return nil, hub.GenericError("Invalid arch for a buildroot: %s", pyRepr(c.Args.Value("arch")))
	}
	if ok, err := store.RepoExists(ctx, c.Tx, repo); err != nil {
		return nil, err
	} else if !ok {
		return nil, hub.GenericError("No such repo: %d", repo)
	}
	return store.CreateStandardBuildroot(ctx, c.Tx, c.HostID(), repo, *taskID, arches[0])
}

// hostBuildroot reads a standard buildroot of the calling host (and, with
// task_id, of that OPEN task of it), as Koji's host.*BuildRoot* calls check.
func hostBuildroot(ctx context.Context, c *Call) (*store.Buildroot, error) {
	taskID := c.Args.OptInt("task_id")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if taskID != nil {
		if _, err := ownedOpenTask(ctx, c, *taskID); err != nil {
			return nil, err
		}
	}
	b, err := buildrootOrFail(ctx, c, c.Args.Value("brootid"))
	if err != nil {
		return nil, err
	}
	if b.BRType != store.BRTypeStandard || b.State == nil {
		return nil, hub.GenericError("Not a standard buildroot: %d", b.ID)
	}
	if b.HostID == nil || *b.HostID != c.HostID() {
		return nil, hub.NotAllowed("Host %d not owner of buildroot %d", c.HostID(), b.ID)
	}
	if taskID != nil && (b.TaskID == nil || *b.TaskID != *taskID) {
		return nil, hub.NotAllowed("Task %d does not have lock on buildroot %d", *taskID, b.ID)
	}
	return b, nil
}

// brState reads a buildroot state given by name or number.
func brState(v any) (int, error) {
	switch x := v.(type) {
	case string:
		for n, name := range store.BRStateNames {
			if name == x {
				return n, nil
			}
		}
	case int64:
		if _, ok := store.BRStateNames[int(x)]; ok {
			return int(x), nil
		}
	}
	return 0, hub.GenericError("Invalid buildroot state: %s", pyRepr(v))
}

func hostSetBuildRootState(ctx context.Context, c *Call) (any, error) {
	b, err := hostBuildroot(ctx, c)
	if err != nil {
		return nil, err
	}
	state, err := brState(c.Args.Value("state"))
	if err != nil {
		return nil, err
	}
	if state == store.BRInit {
		return nil, hub.GenericError("Cannot change buildroot state to INIT")
	}
	if *b.State == store.BRExpired {
		if state == store.BRExpired {
			return nil, nil
		}
		return nil, hub.GenericError("buildroot %d is EXPIRED", b.ID)
	}
	return nil, store.SetBuildrootState(ctx, c.Tx, b.ID, state)
}

func hostBuildRootList(update bool) Handler {
	return func(ctx context.Context, c *Call) (any, error) {
		b, err := hostBuildroot(ctx, c)
		if err != nil {
			return nil, err
		}
		want := store.BRInit
		if update {
			want = store.BRBuilding
		}
		if *b.State != want {
			return nil, hub.GenericError("buildroot %d in wrong state %d", b.ID, *b.State)
		}
		list, ok := c.Args.Value("rpmlist").([]any)
		if !ok {
			return nil, hub.ParameterError("rpmlist must be a list of rpm structs, not %s", typeName(c.Args.Value("rpmlist")))
		}
		ids := make([]int64, 0, len(list))
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, hub.ParameterError("rpmlist entries must be structs, not %s", typeName(e))
			}
			if loc, ok := m["location"]; ok && truthy(loc) {
				continue // an external repo's rpm: not recorded on this hub
			}
			var info any = m
			if id, ok := toInt(m["id"]); ok {
				info = id
			}
			r, err := lookupRPM(ctx, c, info, true)
			if err != nil {
				return nil, err
			}
			ids = append(ids, r.ID)
		}
		return nil, store.AddBuildrootListing(ctx, c.Tx, b.ID, ids, update)
	}
}
