package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/files"
	"github.com/gokoji/gokoji/hub/store"
)

func buildMethods() []Method {
	return []Method{
		{Name: "getBuild", Params: []Param{P("buildInfo"), Opt("strict", false)}, Access: anyone,
			Doc:     "A build by id, \"N-V-R\" string or {name, version, release} struct; None when missing unless strict.",
			Handler: getBuild},
		{Name: "getBuildType", Params: []Param{P("buildInfo"), Opt("strict", false)}, Access: anyone,
			Doc: "A build's types and their typeinfo from extra: {'rpm': …} for an rpm build, {} for an empty one; " +
				"None for a missing build unless strict.",
			Handler: getBuildType},
		{Name: "listBTypes", Params: []Param{Opt("query", nil), Opt("queryOpts", nil)}, Access: anyone,
			Doc: "The build types served, [{id, name}], selected by {name} or {id}: only rpm here.", Handler: listBTypes},
		{Name: "findBuildID", Params: []Param{P("X"), Opt("strict", false)}, Access: anyone,
			Doc:     "A build's id from an \"N-V-R\" string or {name, version, release} struct (None when missing unless strict); an id is returned as given.",
			Handler: findBuildID},
		{Name: "getBuildLogs", Params: []Param{P("build")}, Access: anyone,
			Doc: "A build's log files under packages/<n>/<v>/<r>/data/logs/: [{name, dir, path}], dir relative to data/logs " +
				"(\".\" for its top), path relative to the topdir (prefix topurl to download).",
			Handler: getBuildLogs},
		{Name: "listBuilds", Params: []Param{Opt("packageID", nil), Opt("userID", nil), Opt("taskID", nil),
			Opt("prefix", nil), Opt("state", nil), Opt("volumeID", nil), Opt("source", nil),
			Opt("createdBefore", nil), Opt("createdAfter", nil), Opt("completeBefore", nil), Opt("completeAfter", nil),
			Opt("type", nil), Opt("typeInfo", nil), Opt("queryOpts", nil), Opt("pattern", nil), Opt("cgID", nil),
			Opt("draft", nil), Opt("promotedBefore", nil), Opt("promotedAfter", nil), Opt("promoter", nil)},
			Access: anyone,
			Doc: "Builds matching every filter given: package, owner, task (-1: any task), name prefix, NVR glob, state, " +
				"creation/completion times (epoch seconds or 'YYYY-MM-DD HH:MM:SS' UTC). queryOpts run in SQL.",
			Handler: listBuilds},
		{Name: "createEmptyBuild", Params: []Param{P("name"), P("version"), P("release"), P("epoch"), Opt("owner", nil), Opt("draft", false)},
			Access: admin, Writes: true,
			Doc:     "Create a COMPLETE build with no content (and its package if new); returns the build id.",
			Handler: createEmptyBuild},
		{Name: "deleteBuild", Params: []Param{P("build"), Opt("strict", true), Opt("min_ref_age", int64(604800))},
			Access: admin, Writes: true,
			Doc:     "Mark a build DELETED, drop its signatures and remove its files; a build still in a tag, used in a buildroot that built rpms, or in one made within min_ref_age seconds is refused (strict) or left alone (false).",
			Handler: deleteBuild},
		{Name: "resetBuild", Params: []Param{P("build")}, Access: admin, Writes: true,
			Doc:     "Drop a build's rpms and files and set it CANCELED, so its NVR can be built again.",
			Handler: resetBuild},
		{Name: "cancelBuild", Params: []Param{P("buildID"), Opt("strict", false)}, Access: loggedIn, Writes: true,
			Doc:     "Cancel a BUILDING build (its owner or an admin) and its task tree; true when it was canceled.",
			Handler: cancelBuild},
		{Name: "setBuildOwner", Params: []Param{P("build"), P("user")}, Access: admin, Writes: true,
			Doc: "Change a build's owner.", Handler: setBuildOwner},
		{Name: "setBuildTimestamp", Params: []Param{P("build"), P("ts")}, Access: admin, Writes: true,
			Doc: "Set a build's completion time (epoch seconds).", Handler: setBuildTimestamp},
		{Name: "getNextRelease", Params: []Param{P("build_info"), Opt("incr", int64(1))}, Access: anyone,
			Doc:     "The release after the newest build of {name, version}: 1 → 2, 3.fc40 → 4.fc40, date.nightly.7 → date.nightly.8.",
			Handler: getNextRelease},
		{Name: "getAverageBuildDuration", Params: []Param{P("package"), Opt("age", nil)}, Access: anyone,
			Doc:     "Mean seconds from creation to completion of a package's task builds (age: only the last N months); None without any.",
			Handler: getAverageBuildDuration},
		{Name: "getPackageID", Params: []Param{P("name"), Opt("strict", false)}, Access: anyone,
			Doc: "A package's id by name; None when missing unless strict.", Handler: getPackageID},
		{Name: "getChangelogEntries", Params: []Param{Opt("buildID", nil), Opt("taskID", nil), Opt("filepath", nil),
			Opt("author", nil), Opt("before", nil), Opt("after", nil), Opt("queryOpts", nil), Opt("strict", false)},
			Access:  anyone,
			Doc:     "Changelog entries of a build's source rpm (or of a task's rpm at filepath), read from the rpm header.",
			Handler: getChangelogEntries},
	}
}

// buildStruct is getBuild's answer; listBuilds leaves out id and the
// content generator keys.
func buildStruct(b *hub.Build, full bool) map[string]any {
	m := map[string]any{
		"build_id": b.ID, "package_id": b.PackageID, "package_name": b.PackageName, "name": b.PackageName,
		"version": b.Version, "release": b.Release, "epoch": optInt(b.Epoch), "nvr": b.NVR(), "draft": b.Draft,
		"state": b.State, "task_id": optInt(b.TaskID), "owner_id": b.OwnerID, "owner_name": b.OwnerName,
		"volume_id": b.VolumeID, "volume_name": b.VolumeName, "creation_event_id": b.CreateEvent,
		"creation_time": hub.TimeString(b.CreationUS), "creation_ts": hub.TS(b.CreationUS),
		"start_time": optStr(hub.OptTimeString(b.StartUS)), "start_ts": optFloat(hub.OptTS(b.StartUS)),
		"completion_time": optStr(hub.OptTimeString(b.CompletionUS)), "completion_ts": optFloat(hub.OptTS(b.CompletionUS)),
		"promotion_time": optStr(hub.OptTimeString(b.PromotionUS)), "promotion_ts": optFloat(hub.OptTS(b.PromotionUS)),
		"promoter_id": optInt(b.PromoterID), "promoter_name": optStr(b.PromoterName),
		"source": optStr(b.Source), "extra": jsonExtra(b.Extra),
	}
	if full {
		m["id"] = b.ID
		m["cg_id"] = optInt(b.CGID)
		m["cg_name"] = nil
	}
	return m
}

func optInt(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func optStr(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func optFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// jsonExtra decodes an extra column; Koji answers None for NULL.
func jsonExtra(s *string) any {
	if s == nil {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		return nil
	}
	return normalizeJSON(v)
}

// normalizeJSON turns encoding/json's float64 numbers into int64 where whole,
// as Python's json gives ints.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = normalizeJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalizeJSON(x[k])
		}
	}
	return v
}

// lookupBuild resolves Koji's buildInfo: an id, an "N-V-R" string or a
// struct with name, version and release.
func lookupBuild(ctx context.Context, c *Call, info any, strict bool) (*hub.Build, error) {
	var b *hub.Build
	var err error
	switch x := info.(type) {
	case int64:
		b, err = store.BuildByID(ctx, c.Tx, x)
		if err == nil && b == nil && strict {
			return nil, hub.GenericError("No such build: %d", x)
		}
		return b, err
	case string:
		nvr, perr := hub.ParseNVR(x)
		if perr != nil {
			return nil, perr
		}
		b, err = store.BuildByNVR(ctx, c.Tx, nvr.Name, nvr.Version, nvr.Release)
	case map[string]any:
		name, ok1 := x["name"].(string)
		version, ok2 := x["version"].(string)
		release, ok3 := x["release"].(string)
		if !ok1 || !ok2 || !ok3 {
			for _, k := range []string{"name", "version", "release"} {
				if _, ok := x[k]; !ok {
					return nil, hub.GenericError("did not provide name, version, and release")
				}
			}
			return nil, hub.GenericError("name, version and release must be strings: %s", pyRepr(x))
		}
		b, err = store.BuildByNVR(ctx, c.Tx, name, version, release)
	default:
		return nil, hub.GenericError("Invalid type for argument: %s", pyClass(info))
	}
	if err != nil {
		return nil, err
	}
	if b == nil && strict {
		return nil, hub.GenericError("No such build: %s", pyRepr(info))
	}
	return b, nil
}

func getBuild(ctx context.Context, c *Call) (any, error) {
	b, err := lookupBuild(ctx, c, c.Args.Value("buildInfo"), c.Args.Bool("strict"))
	if err != nil || b == nil {
		return nil, err
	}
	return buildStruct(b, true), nil
}

func getBuildType(ctx context.Context, c *Call) (any, error) {
	b, err := lookupBuild(ctx, c, c.Args.Value("buildInfo"), c.Args.Bool("strict"))
	if err != nil || b == nil {
		return nil, err
	}
	isRPM, err := store.IsRPMBuild(ctx, c.Tx, b.ID)
	if err != nil || !isRPM {
		return map[string]any{}, err
	}
	var info any
	if extra, ok := jsonExtra(b.Extra).(map[string]any); ok {
		if typeinfo, ok := extra["typeinfo"].(map[string]any); ok {
			info = typeinfo["rpm"]
		}
	}
	return map[string]any{"rpm": info}, nil
}

func listBTypes(ctx context.Context, c *Call) (any, error) {
	query := c.Args.Map("query")
	opts := c.Args.Map("queryOpts")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	// Koji's first build type, the only one served here.
	const rpmID, rpmName = int64(1), "rpm"
	rows := []any{}
	name, byName := query["name"]
	id, byID := query["id"]
	if (!byName || name == rpmName) && (!byID || id == rpmID) {
		rows = append(rows, map[string]any{"id": rpmID, "name": rpmName})
	}
	return applyQueryOpts(rows, opts)
}

func findBuildID(ctx context.Context, c *Call) (any, error) {
	x := c.Args.Value("X")
	if id, ok := x.(int64); ok {
		return id, nil // Koji does not look an id up
	}
	b, err := lookupBuild(ctx, c, x, c.Args.Bool("strict"))
	if err != nil || b == nil {
		return nil, err
	}
	return b.ID, nil
}

// lookupPackageID resolves a package by id, name or {id|name}; 0 when missing.
func lookupPackageID(ctx context.Context, c *Call, info any) (int64, error) {
	var p *hub.Package
	var err error
	switch x := info.(type) {
	case int64:
		p, err = store.PackageByID(ctx, c.Tx, x)
	case string:
		p, err = store.PackageByName(ctx, c.Tx, x)
	case map[string]any:
		if id, ok := x["id"]; ok {
			return lookupPackageID(ctx, c, id)
		}
		if name, ok := x["name"]; ok {
			return lookupPackageID(ctx, c, name)
		}
		return 0, hub.GenericError("Invalid name or id value: %s", pyRepr(info))
	default:
		return 0, hub.GenericError("Invalid type for id lookup: %s", pyClass(info))
	}
	if err != nil || p == nil {
		return 0, err
	}
	return p.ID, nil
}

func getPackageID(ctx context.Context, c *Call) (any, error) {
	name := c.Args.String("name")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	p, err := store.PackageByName(ctx, c.Tx, name)
	if err != nil {
		return nil, err
	}
	if p == nil {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("No such package name: %s", name)
		}
		return nil, nil
	}
	return p.ID, nil
}

// timeArg reads a time filter: epoch seconds (int or float), a
// 'YYYY-MM-DD[ HH:MM:SS[.ffffff]][±HH:MM]' string (UTC unless it says), or a
// dateTime; nil for None. The answer is in microseconds.
func timeArg(name string, v any) (*int64, error) {
	var us int64
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		us = x * 1e6
	case float64:
		us = int64(math.Round(x * 1e6))
	case time.Time:
		us = x.UnixMicro()
	case string:
		t, err := parseTimeString(x)
		if err != nil {
			return nil, hub.GenericError("Invalid time for %s: %s", name, x)
		}
		us = t.UnixMicro()
	default:
		return nil, hub.GenericError("Invalid type for %s: %s", name, pyClass(v))
	}
	return &us, nil
}

func parseTimeString(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	var err error
	for _, layout := range []string{"2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999",
		"2006-01-02T15:04:05.999999-07:00", "2006-01-02T15:04:05.999999", "2006-01-02 15:04", "2006-01-02"} {
		var t time.Time
		if t, err = time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

func listBuilds(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	var f store.BuildFilter
	if v := a.Value("packageID"); v != nil {
		id, err := lookupPackageID(ctx, c, v)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			return emptyList(a.Map("queryOpts"))
		}
		f.PackageID = &id
	}
	if v := a.Value("userID"); v != nil {
		u, err := lookupUser(ctx, c, v, false)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return emptyList(a.Map("queryOpts"))
		}
		f.OwnerID = &u.ID
	}
	if v := a.Value("promoter"); v != nil {
		u, err := lookupUser(ctx, c, v, false)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return emptyList(a.Map("queryOpts"))
		}
		f.PromoterID = &u.ID
	}
	f.TaskID = a.OptInt("taskID")
	f.VolumeID = a.OptInt("volumeID")
	f.State = a.OptInt("state")
	if p := a.OptString("prefix"); p != nil {
		f.Prefix = *p
	}
	if p := a.OptString("pattern"); p != nil {
		f.Pattern = *p
	}
	if p := a.OptString("source"); p != nil {
		f.Source = *p
	}
	f.Draft = a.OptBool("draft")
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	for _, t := range []struct {
		name string
		dst  **int64
	}{{"createdBefore", &f.CreatedBefore}, {"createdAfter", &f.CreatedAfter},
		{"completeBefore", &f.CompleteBefore}, {"completeAfter", &f.CompleteAfter},
		{"promotedBefore", &f.PromotedBefore}, {"promotedAfter", &f.PromotedAfter}} {
		v := a.Value(t.name)
		if !truthy(v) {
			continue
		}
		us, err := timeArg(t.name, v)
		if err != nil {
			return nil, err
		}
		*t.dst = us
	}
	if a.Value("cgID") != nil {
		return emptyList(opts) // no content generators on this hub
	}
	switch typ := a.Value("type").(type) {
	case nil:
	case string:
		switch typ {
		case "rpm":
			f.RPMType = true
		case "maven", "win", "image":
			return emptyList(opts)
		default:
			return nil, hub.GenericError("unsupported build type: %s", typ)
		}
	default:
		return nil, hub.GenericError("unsupported build type: %v", typ)
	}
	q, err := parseQueryOpts(opts, store.BuildOrderFields)
	if err != nil {
		return nil, err
	}
	if q.countOnly {
		return store.CountBuilds(ctx, c.Tx, f, q.page)
	}
	builds, err := store.ListBuilds(ctx, c.Tx, f, q.page)
	if err != nil {
		return nil, err
	}
	rows := make([]map[string]any, len(builds))
	for i := range builds {
		rows[i] = buildStruct(&builds[i], false)
	}
	return q.shape(rows), nil
}

func emptyList(opts map[string]any) (any, error) {
	if truthy(opts["countOnly"]) {
		return 0, nil
	}
	return []any{}, nil
}

func createEmptyBuild(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	name := a.String("name")
	version := a.String("version")
	release := a.String("release")
	epoch := a.OptInt("epoch")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if a.Bool("draft") {
		return nil, hub.GenericError("draft builds are not supported by this hub")
	}
	owner := c.UserID()
	if v := a.Value("owner"); v != nil {
		u, err := lookupUser(ctx, c, v, true)
		if err != nil {
			return nil, err
		}
		owner = u.ID
	}
	now := c.d.Now().UnixMicro()
	return newBuild(ctx, c, buildData{name: name, version: version, release: release, epoch: epoch,
		state: hub.BuildComplete, owner: owner, startUS: &now, completionUS: &now})
}

type buildData struct {
	name, version, release string
	epoch                  *int64
	state                  int
	owner                  int64
	taskID                 *int64
	startUS, completionUS  *int64
	source, extra          *string // extra as JSON
}

// newBuild creates a build (and its package), or recycles a FAILED or
// CANCELED one of the same NVR that holds nothing, as Koji's new_build does.
func newBuild(ctx context.Context, c *Call, d buildData) (int64, error) {
	if err := checkNVRPart("name", d.name); err != nil {
		return 0, err
	}
	if err := checkNVRPart("version", d.version); err != nil {
		return 0, err
	}
	if err := checkNVRPart("release", d.release); err != nil {
		return 0, err
	}
	old, err := store.BuildByNVR(ctx, c.Tx, d.name, d.version, d.release)
	if err != nil {
		return 0, err
	}
	if old != nil {
		return recycleBuild(ctx, c, old, d)
	}
	pkg, err := store.EnsurePackage(ctx, c.Tx, d.name)
	if err != nil {
		return 0, err
	}
	return store.CreateBuild(ctx, c.Tx, store.NewBuild{PackageID: pkg.ID, Version: d.version, Release: d.release,
		Epoch: d.epoch, State: d.state, TaskID: d.taskID, Owner: d.owner, StartUS: d.startUS, CompletionUS: d.completionUS,
		Source: d.source, Extra: d.extra})
}

// checkNVRPart refuses what cannot appear in an N-V-R or a path under packages/.
func checkNVRPart(what, s string) error {
	if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\x00\n") || (what != "name" && strings.Contains(s, "-")) {
		return hub.GenericError("Invalid build %s: %s", what, pyRepr(s))
	}
	// Koji's limit on names; each part is also a directory name on disk.
	if utf8.RuneCountInString(s) > hub.MaxNameLength {
		return hub.GenericError("Invalid build %s: longer than %d characters", what, hub.MaxNameLength)
	}
	return nil
}

func recycleBuild(ctx context.Context, c *Call, old *hub.Build, d buildData) (int64, error) {
	switch old.State {
	case hub.BuildBuilding:
		// The task that started the build restarted and inits it again.
		if d.state == hub.BuildBuilding && d.taskID != nil && old.TaskID != nil && *d.taskID == *old.TaskID {
			return old.ID, nil
		}
		return 0, hub.GenericError("Build already in progress (task %v)", optInt(old.TaskID))
	case hub.BuildFailed, hub.BuildCanceled:
	default:
		return 0, hub.GenericError("Build already exists (id=%d, state=%s): %s", old.ID, hub.BuildStateName(old.State),
			pyRepr(map[string]any{"name": d.name, "version": d.version, "release": d.release, "epoch": optInt(d.epoch)}))
	}
	if tagged, err := store.BuildHasTagHistory(ctx, c.Tx, old.ID); err != nil {
		return 0, err
	} else if tagged {
		return 0, hub.GenericError("Build already exists. Unable to recycle, has tag history")
	}
	n, err := store.CountRPMs(ctx, c.Tx, store.RPMFilter{BuildID: &old.ID}, store.NoPage)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, hub.GenericError("Build already exists. Unable to recycle, has rpm data")
	}
	return old.ID, store.SetBuildFields(ctx, c.Tx, old.ID, map[string]any{"state": d.state, "task_id": d.taskID,
		"owner": d.owner, "start_us": d.startUS, "completion_us": d.completionUS, "epoch": d.epoch,
		"source": d.source, "extra": d.extra, "volume_id": 0})
}

func deleteBuild(ctx context.Context, c *Call) (any, error) {
	b, err := lookupBuild(ctx, c, c.Args.Value("build"), true)
	if err != nil {
		return nil, err
	}
	if b.State == hub.BuildDeleted {
		return nil, nil
	}
	minAge := c.Args.OptCastInt("min_ref_age")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	limit := int64(10)
	refs, tags, err := buildRefs(ctx, c, b, &limit, true)
	if err != nil {
		return nil, err
	}
	refuse := func(format string, args ...any) (any, error) {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError(format, args...)
		}
		return false, nil
	}
	if len(tags) > 0 {
		return refuse("Cannot delete build, tagged: %s", tagRefsRepr(tags))
	}
	if rpms, _ := refs["rpms"].([]any); len(rpms) > 0 {
		return refuse("Cannot delete build, used in buildroots: %s", usedByRepr(rpms))
	}
	if last, ok := refs["last_used"].(float64); ok && minAge != nil {
		if age := float64(c.d.Now().UnixMicro())/1e6 - last; age < float64(*minAge) {
			return refuse("Cannot delete build, used in recent buildroot")
		}
	}
	if err := store.DeleteBuildSigs(ctx, c.Tx, b.ID); err != nil {
		return nil, err
	}
	if err := store.SetBuildFields(ctx, c.Tx, b.ID, map[string]any{"state": hub.BuildDeleted}); err != nil {
		return nil, err
	}
	c.removeBuildDirAfterCommit(b)
	return true, nil
}

func (c *Call) removeBuildDirAfterCommit(b *hub.Build) {
	c.AfterCommit(func() {
		if err := c.d.Files.RemoveBuildDir(b.VolumeName, b.PackageName, b.Version, b.Release); err != nil {
			c.d.Log.WithError(err).WithField("build", b.NVR()).Error("cannot remove build directory")
		}
	})
}

func resetBuild(ctx context.Context, c *Call) (any, error) {
	b, err := lookupBuild(ctx, c, c.Args.Value("build"), false)
	if err != nil || b == nil {
		return nil, err
	}
	if err := store.DeleteBuildContents(ctx, c.Tx, b.ID); err != nil {
		return nil, err
	}
	// As Koji, a reset build leaves its tags without a trace (its history
	// rows go too); the tags' content changed.
	if err := store.DeleteBuildListings(ctx, c.Tx, b.ID); err != nil {
		return nil, err
	}
	if err := store.SetBuildFields(ctx, c.Tx, b.ID, map[string]any{"state": hub.BuildCanceled, "task_id": nil, "volume_id": 0}); err != nil {
		return nil, err
	}
	c.removeBuildDirAfterCommit(b)
	return nil, nil
}

func cancelBuild(ctx context.Context, c *Call) (any, error) {
	b, err := lookupBuild(ctx, c, c.Args.Value("buildID"), c.Args.Bool("strict"))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return false, nil
	}
	if b.OwnerID != c.UserID() {
		if ok, err := c.HasPerm(ctx, "admin"); err != nil {
			return nil, err
		} else if !ok {
			return nil, hub.NotAllowed("Cannot cancel build, not owner")
		}
	}
	now := c.d.Now().UnixMicro()
	ok, err := store.SetBuildState(ctx, c.Tx, b.ID, hub.BuildBuilding, hub.BuildCanceled, &now)
	if err != nil || !ok {
		return false, err
	}
	// The build's task tree stops too, as in Koji.
	if b.TaskID != nil {
		if t, err := store.GetTask(ctx, c.Tx, *b.TaskID, false); err != nil {
			return nil, err
		} else if t != nil {
			if err := cancelTaskTree(ctx, c, t.ID, false); err != nil {
				return nil, err
			}
		}
	}
	return true, nil
}

func setBuildOwner(ctx context.Context, c *Call) (any, error) {
	b, err := lookupBuild(ctx, c, c.Args.Value("build"), true)
	if err != nil {
		return nil, err
	}
	u, err := lookupUser(ctx, c, c.Args.Value("user"), true)
	if err != nil {
		return nil, err
	}
	return nil, store.SetBuildFields(ctx, c.Tx, b.ID, map[string]any{"owner": u.ID})
}

func setBuildTimestamp(ctx context.Context, c *Call) (any, error) {
	b, err := lookupBuild(ctx, c, c.Args.Value("build"), true)
	if err != nil {
		return nil, err
	}
	var us int64
	switch ts := c.Args.Value("ts").(type) {
	case int64:
		us = ts * 1e6
	case float64:
		us = int64(math.Round(ts * 1e6))
	case time.Time:
		us = ts.UnixMicro()
	default:
		return nil, hub.GenericError("Invalid type for timestamp")
	}
	return nil, store.SetBuildFields(ctx, c.Tx, b.ID, map[string]any{"completion_us": us})
}

func getNextRelease(ctx context.Context, c *Call) (any, error) {
	info, ok := c.Args.Value("build_info").(map[string]any)
	if !ok {
		return nil, hub.GenericError("build_info must be a struct with name and version")
	}
	name, ok1 := info["name"].(string)
	version, ok2 := info["version"].(string)
	if !ok1 || !ok2 {
		return nil, hub.GenericError("build_info must be a struct with name and version")
	}
	incr, ok := toInt(c.Args.Value("incr"))
	if !ok {
		if s, isStr := c.Args.Value("incr").(string); isStr {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, hub.ParameterError("incr parameter must be an integer")
			}
			incr = n
		} else {
			return nil, hub.ParameterError("incr parameter must be an integer")
		}
	}
	rel, err := store.LatestRelease(ctx, c.Tx, name, version, []int{hub.BuildComplete, hub.BuildDeleted, hub.BuildBuilding})
	if err != nil {
		return nil, err
	}
	return nextRelease(rel, incr)
}

// nextRelease increments a release as Koji does: a plain number, N.dist, or
// date.nightly.N.
func nextRelease(rel string, incr int64) (string, error) {
	bump := func(s string) (string, bool) {
		if s == "" || strings.Trim(s, "0123456789") != "" {
			return "", false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", false
		}
		return strconv.FormatInt(n+incr, 10), true
	}
	if rel == "" {
		return strconv.FormatInt(incr, 10), nil
	}
	if r, ok := bump(rel); ok {
		return r, nil
	}
	parts := strings.Split(rel, ".")
	if len(parts) == 2 {
		if r, ok := bump(parts[0]); ok {
			return r + "." + parts[1], nil
		}
	}
	if len(parts) == 3 {
		if r, ok := bump(parts[2]); ok {
			return parts[0] + "." + parts[1] + "." + r, nil
		}
	}
	return "", hub.Errorf(hub.CodeBuild, "Unable to increment release value: %s", rel)
}

func getAverageBuildDuration(ctx context.Context, c *Call) (any, error) {
	id, err := lookupPackageID(ctx, c, c.Args.Value("package"))
	if err != nil || id == 0 {
		return nil, err
	}
	age := c.Args.OptInt("age")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	var since *int64
	if age != nil {
		s := c.d.Now().AddDate(0, -int(*age), 0).UnixMicro()
		since = &s
	}
	avg, ok, err := store.AverageBuildDuration(ctx, c.Tx, id, since)
	if err != nil || !ok {
		return nil, err
	}
	return avg / 1e6, nil
}

// buildFilePath is where an rpm of b lives in the topdir.
func (c *Call) rpmFilePath(b *hub.Build, r *hub.RPM) string {
	return c.d.Files.Abs(files.BuildDir(b.PackageName, b.Version, b.Release) + "/" +
		files.RPMPath(r.Name, r.Version, r.Release, r.Arch))
}

// getBuildLogs lists the files under a build's data/logs/ as Koji does:
// {name, dir (relative to data/logs, "." for its top), path (relative to the
// topdir)}. Symlinks and other non-regular files are left out; each folder's
// files come before its subfolders', names in order.
func getBuildLogs(ctx context.Context, c *Call) (any, error) {
	b, err := lookupBuild(ctx, c, c.Args.Value("build"), true)
	if err != nil {
		return nil, err
	}
	rel := filepath.Join(files.BuildDir(b.PackageName, b.Version, b.Release), files.LogsDir)
	root := c.d.Files.Abs(rel)
	st, err := os.Stat(root)
	if errors.Is(err, fs.ErrNotExist) {
		return []any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", root, err)
	}
	if !st.IsDir() {
		return nil, hub.GenericError("Not a directory: %s", root)
	}
	logs := []any{}
	var walk func(sub string) error
	walk = func(sub string) error {
		ents, err := os.ReadDir(filepath.Join(root, sub))
		if err != nil {
			return fmt.Errorf("list build logs: %w", err)
		}
		var dirs []string
		for _, e := range ents {
			switch {
			case e.IsDir():
				dirs = append(dirs, e.Name())
			case e.Type().IsRegular():
				logs = append(logs, map[string]any{"name": e.Name(), "dir": sub,
					"path": rel + "/" + sub + "/" + e.Name()})
			default:
				c.d.Log.WithField("path", filepath.Join(root, sub, e.Name())).Warn("non-regular file under logdir")
			}
		}
		for _, d := range dirs {
			if err := walk(filepath.Join(sub, d)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk("."); err != nil {
		return nil, err
	}
	return logs, nil
}
