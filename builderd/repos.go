package builderd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/gokoji/gokoji/hub/repos"
)

// RepoHandlers are the repo tasks, for a daemon that sees the hub's file
// tree at Config.TopDir (kojid's topdir): newRepo lays the repo out through
// the hub and runs a createrepo subtask per arch, each writing one arch's
// repodata, which newRepo hands to the hub with host.repoDone.
func RepoHandlers() map[string]Handler {
	return map[string]Handler{
		"newRepo":    &newRepoHandler{},
		"createrepo": &createRepoHandler{},
	}
}

type newRepoHandler struct{}

// Weight is Koji's newRepo weight: it mostly waits for its subtasks.
func (*newRepoHandler) Weight() float64 { return 0.1 }

// Run implements newRepo(tag, event=None, src=False, debuginfo=False,
// separate_src=False, opts=None) and returns [repo_id, event_id].
func (h *newRepoHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	if len(t.Params) < 1 {
		return nil, &TaskError{Code: 1003, Msg: "newRepo needs a tag"}
	}
	tag := t.Params[0]
	opts := map[string]any{}
	if o, ok := t.Kwargs["opts"].(map[string]any); ok {
		for k, v := range o {
			opts[k] = v
		}
	}
	for _, k := range []string{"src", "debuginfo", "separate_src"} { // the legacy form
		if t.Kwargs[k] == true {
			opts[k] = true
		}
	}
	// The tag's current repo, whose metadata the new one reuses.
	old, err := d.Hub.Call(ctx, "getRepo", tag)
	if err != nil {
		return nil, fmt.Errorf("getRepo: %w", err)
	}
	kw := map[string]any{"task_id": t.ID, "opts": opts}
	if ev, ok := t.Kwargs["event"]; ok && ev != nil {
		kw["event"] = ev
	}
	res, err := d.Hub.CallKw(ctx, "host.repoInit", []any{tag}, kw)
	if err != nil {
		return nil, fmt.Errorf("host.repoInit: %w", err)
	}
	pair := asList(res)
	if len(pair) != 2 {
		return nil, fmt.Errorf("host.repoInit answered %v, not [repo_id, event_id]", res)
	}
	repoID, _ := pair[0].(int64)
	dir, _, err := d.repoDir(ctx, repoID)
	if err != nil {
		return nil, err
	}
	arches, err := repoArches(dir)
	if err != nil {
		return nil, err
	}
	var kids []subtaskSpec
	for _, arch := range arches {
		kids = append(kids, subtaskSpec{method: "createrepo", label: arch, arch: "noarch", args: []any{repoID, arch, old}})
	}
	results, err := d.subtasks(ctx, t, kids)
	if err != nil {
		return nil, err
	}
	data := map[string]any{}
	for i, arch := range arches {
		data[arch] = results[i]
	}
	if _, err := d.Hub.Call(ctx, "host.repoDone", repoID, data); err != nil {
		return nil, fmt.Errorf("host.repoDone: %w", err)
	}
	return []any{repoID, pair[1]}, nil
}

// repoDir is where repo id lives in the mounted file tree, and its info.
func (d *Daemon) repoDir(ctx context.Context, id int64) (string, map[string]any, error) {
	if d.Config.TopDir == "" {
		return "", nil, errors.New("this builder has no topdir: it cannot write repos")
	}
	res, err := d.Hub.Call(ctx, "repoInfo", id)
	if err != nil {
		return "", nil, fmt.Errorf("repoInfo %d: %w", id, err)
	}
	info, _ := res.(map[string]any)
	tag, _ := info["tag_name"].(string)
	if tag == "" {
		return "", nil, fmt.Errorf("no repo %d", id)
	}
	dir := repos.Dir(d.Config.TopDir, tag, id)
	if _, err := os.Stat(dir); err != nil {
		return "", nil, fmt.Errorf("repo %d is not in the file tree at %s (is --topdir the hub's?): %w", id, d.Config.TopDir, err)
	}
	return dir, info, nil
}

// repoArches are a laid-out repo's arch directories: those with a pkglist.
func repoArches(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read repo directory: %w", err)
	}
	var arches []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "pkglist")); err == nil && e.IsDir() {
			arches = append(arches, e.Name())
		}
	}
	sort.Strings(arches)
	if len(arches) == 0 {
		return nil, fmt.Errorf("repo directory %s has no arches", dir)
	}
	return arches, nil
}

type createRepoHandler struct{}

func (*createRepoHandler) Weight() float64 { return 1.5 }

// Run implements createrepo(repo_id, arch, oldrepo): one arch's repodata,
// uploaded into the task's folder. It returns [uploadpath, [files]], the
// form host.repoDone takes per arch.
func (h *createRepoHandler) Run(ctx context.Context, d *Daemon, t *Task) (any, error) {
	repoID, arch := intArg(t.Params, 0), strArg(t.Params, 1)
	if repoID == 0 || arch == "" || filepath.Base(arch) != arch || arch[0] == '.' {
		return nil, &TaskError{Code: 1003, Msg: fmt.Sprintf("createrepo needs a repo id and an arch, not %v", t.Params)}
	}
	dir, info, err := d.repoDir(ctx, repoID)
	if err != nil {
		return nil, err
	}
	job, done, err := d.prepare(t)
	if err != nil {
		return nil, err
	}
	defer done()
	j := repos.ArchJob{Dir: filepath.Join(dir, arch), OutDir: filepath.Join(t.Dir, "repo")}
	if _, err := os.Stat(filepath.Join(j.Dir, "pkglist")); err != nil {
		return nil, fmt.Errorf("repo %d has no arch %s: %w", repoID, arch, err)
	}
	if comps := filepath.Join(dir, "groups", "comps.xml"); fileExists(comps) {
		j.Comps = comps
	}
	if old, ok := mapArg(t.Params, 2)["id"].(int64); ok {
		if oldDir, _, err := d.repoDir(ctx, old); err == nil {
			j.Previous = filepath.Join(oldDir, arch)
		}
	}
	ext, err := d.Hub.CallKw(ctx, "getExternalRepoList", []any{info["tag_id"]}, map[string]any{"event": info["create_event"]})
	if err != nil {
		return nil, fmt.Errorf("getExternalRepoList: %w", err)
	}
	for _, e := range asList(ext) {
		m, _ := e.(map[string]any)
		er := repos.ExternalRepo{}
		er.Name, _ = m["external_repo_name"].(string)
		er.URL, _ = m["url"].(string)
		er.MergeMode, _ = m["merge_mode"].(string)
		er.Arches, _ = m["arches"].(string)
		j.External = append(j.External, er)
	}
	job.Logs.Statef("createrepo for repo %d arch %s (%d external repos, previous %q)", repoID, arch, len(j.External), j.Previous)
	if err := repos.WriteArch(ctx, j); err != nil {
		fmt.Fprintln(job.Logs.Build, err)
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(j.OutDir, "repodata"))
	if err != nil {
		return nil, err
	}
	files := []any{}
	for _, e := range entries {
		if e.Type().IsRegular() {
			if _, err := d.upload(ctx, t, filepath.Join(j.OutDir, "repodata", e.Name())); err != nil {
				return nil, err
			}
			files = append(files, e.Name())
		}
	}
	job.Logs.Statef("uploaded %d repodata files", len(files))
	return []any{t.Uploads, files}, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
