package api

import (
	"context"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/files"
	"github.com/gokoji/gokoji/hub/store"
)

// Storage volumes: extra trees under <topdir>/vol/<name>/ (usually other
// mounts) that builds can be moved to. DEFAULT is the topdir itself.
func volumeMethods() []Method {
	return []Method{
		{Name: "addVolume", Params: []Param{P("name"), Opt("strict", true)}, Access: admin, Writes: true,
			Doc: "Add a storage volume; its directory <topdir>/vol/<name> must exist (a toplink to the topdir is made " +
				"if missing). Returns {id, name}; an existing name faults unless strict is false.",
			Handler: addVolume},
		{Name: "removeVolume", Params: []Param{P("volume")}, Access: admin, Writes: true,
			Doc:     "Remove a storage volume (by id or name) that no build is on. Its directory is left alone.",
			Handler: removeVolume},
		{Name: "listVolumes", Access: anyone,
			Doc: "Every storage volume as {id, name}.", Handler: listVolumes},
		{Name: "getVolume", Params: []Param{P("volume"), Opt("strict", false)}, Access: anyone,
			Doc:     "A storage volume by id or name as {id, name}; None when missing unless strict.",
			Handler: getVolume},
		{Name: "changeBuildVolume", Params: []Param{P("build"), P("volume"), Opt("strict", true)},
			Access: admin, Writes: true,
			Doc: "Move a COMPLETE or DELETED build's files to another volume and record it there; the DEFAULT " +
				"volume keeps a symlink at the build's usual path. Already there: a fault if strict, else nothing.",
			Handler: changeBuildVolume},
	}
}

func volumeStruct(v *store.NamedID) map[string]any {
	return map[string]any{"id": v.ID, "name": v.Name}
}

func addVolume(ctx context.Context, c *Call) (any, error) {
	name, ok := c.Args.Value("name").(string)
	if !ok {
		return nil, hub.GenericError("Name should be string") // Koji's verify_name_internal
	}
	if err := hub.VerifyInternalName(name); err != nil {
		return nil, err
	}
	existing, err := lookupNamed(ctx, c, "volume", name, false, false)
	if err != nil {
		return nil, err
	}
	// DEFAULT is the topdir: there is no directory of its own to check.
	if existing == nil || existing.Name != files.DefaultVolume {
		link, err := c.d.Files.PrepareVolume(name)
		if err != nil {
			return nil, err
		}
		if link != nil {
			c.Defer(link)
		}
	}
	if existing != nil {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("volume %s already exists", name)
		}
		return volumeStruct(existing), nil
	}
	id, err := store.CreateVolume(ctx, c.Tx, name)
	if err != nil {
		return nil, err
	}
	return volumeStruct(&store.NamedID{ID: id, Name: name}), nil
}

func removeVolume(ctx context.Context, c *Call) (any, error) {
	v, err := lookupNamed(ctx, c, "volume", c.Args.Value("volume"), true, false)
	if err != nil {
		return nil, err
	}
	inUse, err := store.VolumeInUse(ctx, c.Tx, v.ID)
	if err != nil {
		return nil, err
	}
	if inUse {
		return nil, hub.GenericError("volume %s has build references", v.Name)
	}
	// Koji would drop an unused DEFAULT too; every new build is put there,
	// so the hub could not go on without it.
	if v.ID == 0 {
		return nil, hub.GenericError("volume %s cannot be removed", v.Name)
	}
	return nil, store.DeleteVolume(ctx, c.Tx, v.ID)
}

func listVolumes(ctx context.Context, c *Call) (any, error) {
	vols, err := store.ListVolumes(ctx, c.Tx)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(vols))
	for i := range vols {
		out[i] = volumeStruct(&vols[i])
	}
	return out, nil
}

func getVolume(ctx context.Context, c *Call) (any, error) {
	info := c.Args.Value("volume")
	v, err := lookupNamed(ctx, c, "volume", info, false, false)
	if err != nil {
		return nil, err
	}
	if v == nil {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("No such volume: %v", info)
		}
		return nil, nil
	}
	return volumeStruct(v), nil
}

// changeBuildVolume follows Koji's change_build_volume: the checks, then
// the build's new volume and a VOLUME_CHANGE update of each tag it is in;
// the files move as the transaction commits (see files.BuildMove).
func changeBuildVolume(ctx context.Context, c *Call) (any, error) {
	vol, err := lookupNamed(ctx, c, "volume", c.Args.Value("volume"), true, false)
	if err != nil {
		return nil, err
	}
	b, err := lookupBuild(ctx, c, c.Args.Value("build"), true)
	if err != nil {
		return nil, err
	}
	if b.VolumeID == vol.ID {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("Build %s already on volume %s", b.NVR(), b.VolumeName)
		}
		return nil, nil
	}
	if b.State != hub.BuildComplete && b.State != hub.BuildDeleted {
		return nil, hub.GenericError("Build %s is %s", b.NVR(), hub.BuildStateName(b.State))
	}
	vols, err := store.ListVolumes(ctx, c.Tx)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(vols))
	for i, v := range vols {
		names[i] = v.Name
	}
	move, err := c.d.Files.PrepareBuildMove(b.PackageName, b.Version, b.Release, b.VolumeName, vol.Name, names)
	if err != nil {
		return nil, err
	}
	ok, err := store.SetBuildVolume(ctx, c.Tx, b.ID, b.VolumeID, vol.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, hub.GenericError("Build %s changed volume meanwhile", b.NVR())
	}
	tags, err := store.BuildTags(ctx, c.Tx, b.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		if err := store.AddTagUpdate(ctx, c.Tx, t.ID, c.UserID(), store.TagUpdateVolumeChange); err != nil {
			return nil, err
		}
	}
	c.Defer(buildMoveEffect{move, c, b.NVR()})
	return nil, nil
}

// buildMoveEffect runs a BuildMove with the request; what is left after the
// commit (a copy's cleanup) can only be logged.
type buildMoveEffect struct {
	*files.BuildMove
	c   *Call
	nvr string
}

func (e buildMoveEffect) Done() {
	if err := e.Finish(); err != nil {
		e.c.d.Log.WithError(err).WithField("build", e.nvr).Error("finishing a build's volume move")
	}
}
