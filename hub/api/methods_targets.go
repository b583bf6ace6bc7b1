package api

import (
	"context"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

var targetPerm = perm("target")

func targetMethods() []Method {
	return []Method{
		{Name: "createBuildTarget", Params: []Param{P("name"), P("build_tag"), P("dest_tag")}, Access: targetPerm, Writes: true,
			Doc: "Create a build target: builds use build_tag's repo and land in dest_tag.", Handler: createBuildTarget},
		{Name: "editBuildTarget", Params: []Param{P("buildTargetInfo"), P("name"), P("build_tag"), P("dest_tag")}, Access: targetPerm, Writes: true,
			Doc: "Rename a build target or change its tags.", Handler: editBuildTarget},
		{Name: "deleteBuildTarget", Params: []Param{P("buildTargetInfo")}, Access: targetPerm, Writes: true,
			Doc: "Delete a build target.", Handler: deleteBuildTarget},
		{Name: "getBuildTarget", Params: []Param{P("info"), Opt("event", nil), Opt("strict", false)}, Access: anyone,
			Doc: "A build target by id, name or {id|name}.", Handler: getBuildTarget},
		{Name: "getBuildTargets", Params: []Param{Opt("info", nil), Opt("event", nil), Opt("buildTagID", nil), Opt("destTagID", nil), Opt("queryOpts", nil)},
			Access: anyone, Doc: "Build targets, optionally by name, build tag or destination tag.", Handler: getBuildTargets},
	}
}

// targetTags resolves the build and destination tags of a target change.
func targetTags(ctx context.Context, c *Call, build, dest any) (int64, int64, error) {
	bt, err := getTagAt(ctx, c, build, nil, false)
	if err != nil {
		return 0, 0, err
	}
	if bt == nil {
		return 0, 0, hub.GenericError("build tag '%v' does not exist", build)
	}
	dt, err := getTagAt(ctx, c, dest, nil, false)
	if err != nil {
		return 0, 0, err
	}
	if dt == nil {
		return 0, 0, hub.GenericError("destination tag '%v' does not exist", dest)
	}
	return bt.ID, dt.ID, nil
}

func findTargets(ctx context.Context, c *Call, info any, event *int64) ([]store.Target, error) {
	var f store.TargetFilter
	if info != nil {
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
	return store.Targets(ctx, c.Tx, f, event)
}

func createBuildTarget(ctx context.Context, c *Call) (any, error) {
	name := c.Args.String("name")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if err := hub.VerifyInternalName(name); err != nil {
		return nil, err
	}
	if ts, err := findTargets(ctx, c, name, nil); err != nil {
		return nil, err
	} else if len(ts) > 0 {
		return nil, hub.GenericError("A build target with the name '%s' already exists", name)
	}
	build, dest, err := targetTags(ctx, c, c.Args.Value("build_tag"), c.Args.Value("dest_tag"))
	if err != nil {
		return nil, err
	}
	n, err := lookupNamed(ctx, c, "build_target", name, false, true)
	if err != nil {
		return nil, err
	}
	return nil, store.BuildTargetConfig.Insert(ctx, c.Tx, c.UserID(), map[string]any{
		"build_target_id": n.ID, "build_tag": build, "dest_tag": dest})
}

func editBuildTarget(ctx context.Context, c *Call) (any, error) {
	name := c.Args.String("name")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if err := hub.VerifyInternalName(name); err != nil {
		return nil, err
	}
	info := c.Args.Value("buildTargetInfo")
	t, err := lookupNamed(ctx, c, "build_target", info, false, false)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, hub.GenericError("No such build target: %v", info)
	}
	build, dest, err := targetTags(ctx, c, c.Args.Value("build_tag"), c.Args.Value("dest_tag"))
	if err != nil {
		return nil, err
	}
	if t.Name != name {
		if other, err := store.NameByName(ctx, c.Tx, "build_target", name); err != nil {
			return nil, err
		} else if other != nil {
			return nil, hub.GenericError("name \"%s\" is already taken by build target %d", name, other.ID)
		}
		if err := store.RenameNamed(ctx, c.Tx, "build_target", t.ID, name); err != nil {
			return nil, err
		}
	}
	if _, err := store.BuildTargetConfig.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"build_target_id": t.ID}); err != nil {
		return nil, err
	}
	return nil, store.BuildTargetConfig.Insert(ctx, c.Tx, c.UserID(), map[string]any{
		"build_target_id": t.ID, "build_tag": build, "dest_tag": dest})
}

func deleteBuildTarget(ctx context.Context, c *Call) (any, error) {
	info := c.Args.Value("buildTargetInfo")
	t, err := lookupNamed(ctx, c, "build_target", info, false, false)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, hub.GenericError("No such build target: %v", info)
	}
	_, err = store.BuildTargetConfig.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"build_target_id": t.ID})
	return nil, err
}

func getBuildTarget(ctx context.Context, c *Call) (any, error) {
	event := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	info := c.Args.Value("info")
	ts, err := findTargets(ctx, c, info, event)
	if err != nil {
		return nil, err
	}
	if len(ts) == 1 {
		return ts[0], nil
	}
	if c.Args.Bool("strict") {
		return nil, hub.GenericError("No such build target: %v", info)
	}
	return nil, nil
}

func getBuildTargets(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	event := eventArg(a, "event")
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	var info any
	if truthy(a.Value("info")) {
		info = a.Value("info")
	}
	var f store.TargetFilter
	if info != nil {
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
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"buildTagID", &f.BuildTag}, {"destTagID", &f.DestTag}} {
		v := a.Value(p.name)
		if v == nil {
			continue
		}
		n, err := lookupNamed(ctx, c, "tag", v, false, false)
		if err != nil {
			return nil, err
		}
		id := int64(-1) // an unknown tag matches nothing, as in Koji
		if n != nil {
			id = n.ID
		}
		*p.dst = &id
	}
	ts, err := store.Targets(ctx, c.Tx, f, event)
	if err != nil {
		return nil, err
	}
	rows := make([]any, len(ts))
	for i, t := range ts {
		rows[i] = map[string]any{"id": t.ID, "name": t.Name, "build_tag": t.BuildTag, "build_tag_name": t.BuildTagName,
			"dest_tag": t.DestTag, "dest_tag_name": t.DestTagName}
	}
	return applyQueryOpts(rows, opts)
}
