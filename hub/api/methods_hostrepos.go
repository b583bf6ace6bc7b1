package api

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/repos"
	"github.com/gokoji/gokoji/hub/store"
)

// hostRepoMethods are the calls of builders that write repos themselves
// (Koji's newRepo and createrepo tasks): repoInit lays out the repo,
// repoDone takes the repodata they uploaded.
func hostRepoMethods() []Method {
	h := Access{Host: true}
	return []Method{
		{Name: "host.repoInit", Params: []Param{P("tag"), Opt("task_id", nil), Opt("event", nil), Opt("opts", nil)},
			Access: h, Writes: true,
			Doc: "Create an INIT repo of a tag (at event, with opts over the tag's repo options) and write its directory " +
				"but the repodata: repo.json, groups/comps.xml, per arch pkglist, rpmlist.jsonl, blocklist and toplink. " +
				"Returns [repo_id, event_id]; a task asking again gets the INIT repo it began.",
			Handler: hostRepoInit},
		{Name: "host.repoDone", Params: []Param{P("repo_id"), P("data"), Opt("expire", false), Opt("repo_json_updates", nil)},
			Access: h, Writes: true,
			Doc: "Finish an INIT repo: data is {arch: [uploadpath, [files]]}, repodata the caller uploaded into the work " +
				"folder of the repo's task (held by the caller) or its subtasks; the files move into <arch>/repodata/ " +
				"(names ending in pkglist into <arch>/). The repo becomes READY (EXPIRED with the deprecated expire) and " +
				"latest follows it.",
			Handler: hostRepoDone},
	}
}

// hostRepoManager does a repo manager's work for a request.
func hostRepoManager(c *Call) *RepoManager {
	cfg := DefaultRepoConfig()
	cfg.TopURL = c.d.Config.TopURL
	return &RepoManager{d: c.d, cfg: cfg}
}

func hostRepoInit(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	taskID := a.OptCastInt("task_id")
	event := a.OptCastInt("event")
	if err := a.Err(); err != nil {
		return nil, err
	}
	override, err := repoOpts(a.Value("opts"))
	if err != nil {
		return nil, err
	}
	if taskID != nil {
		if _, err := taskOrFail(ctx, c, *taskID, false); err != nil {
			return nil, err
		}
		// A newRepo task run again (its builder restarted) finds the repo
		// it began, so its createrepo subtasks, found again by label,
		// match the repo they wrote for.
		if prev, err := taskInitRepo(ctx, c, *taskID, a.Value("tag")); err != nil || prev != nil {
			return prev, err
		}
	}
	m := hostRepoManager(c)
	w, err := m.initRepo(ctx, c, a.Value("tag"), event, override, taskID)
	if err != nil {
		return nil, err
	}
	if c.d.Config.TopDir == "" {
		return nil, hub.GenericError("the hub has no topdir: it cannot write repos")
	}
	if err := repos.Skeleton(w.spec); err != nil {
		return nil, err
	}
	c.Defer(removeOnAbort{w.spec.TopDir, w.spec.Tag, w.repoID})
	return []any{w.repoID, w.event}, nil
}

// taskInitRepo is [repo_id, event_id] of the INIT repo of tag that task
// began and whose directory is in place, or nil.
func taskInitRepo(ctx context.Context, c *Call, taskID int64, tag any) (any, error) {
	t, err := getTagAt(ctx, c, tag, nil, true)
	if err != nil {
		return nil, err
	}
	rs, err := store.Repos(ctx, c.Tx, store.RepoFilter{TaskID: &taskID, TagID: &t.ID, States: []int{store.RepoInit}})
	if err != nil || len(rs) == 0 || c.d.Config.TopDir == "" {
		return nil, err
	}
	if _, err := os.Stat(repos.Dir(c.d.Config.TopDir, rs[0].TagName, rs[0].ID)); err != nil {
		return nil, nil
	}
	return []any{rs[0].ID, rs[0].CreateEvent}, nil
}

// removeOnAbort removes a repo directory written in a request that failed.
type removeOnAbort struct {
	topdir, tag string
	id          int64
}

func (removeOnAbort) Commit() error { return nil }
func (r removeOnAbort) Abort()      { repos.Remove(r.topdir, r.tag, r.id) }
func (removeOnAbort) Done()         {}

// repoFile is one uploaded file repoDone moves: from (absolute) to dst
// (topdir-relative).
type repoFile struct{ from, dst string }

func hostRepoDone(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	id := a.Int("repo_id")
	expire := a.Bool("expire")
	if err := a.Err(); err != nil {
		return nil, err
	}
	data, ok := a.Value("data").(map[string]any)
	if !ok {
		return nil, hub.ParameterError("data must be a struct of {arch: [uploadpath, [files]]}, not %s", typeName(a.Value("data")))
	}
	var updates map[string]any
	if v := a.Value("repo_json_updates"); v != nil {
		if updates, ok = v.(map[string]any); !ok {
			return nil, hub.ParameterError("repo_json_updates must be a struct, not %s", typeName(v))
		}
	}
	r, err := findRepo(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, hub.GenericError("No such repo: %d", id)
	}
	if r.State != store.RepoInit {
		return nil, hub.GenericError("Repo %d not in INIT state (got %d)", id, r.State)
	}
	if r.TaskID != nil {
		if _, err := ownedOpenTask(ctx, c, *r.TaskID); err != nil {
			return nil, err
		}
	}
	topdir := c.d.Config.TopDir
	if topdir == "" {
		return nil, hub.GenericError("the hub has no topdir: it cannot write repos")
	}
	repoRel := filepath.Join("repos", r.TagName, strconv.FormatInt(id, 10))
	var moves []repoFile
	if !r.Dist {
		moves, err = repoDoneFiles(ctx, c, r, repoRel, data)
		if err != nil {
			return nil, err
		}
	}
	// Everything checked: from here on the request only fails on I/O.
	if updates != nil {
		fn := filepath.Join(topdir, repoRel, "repo.json")
		old, err := os.ReadFile(fn)
		if err != nil {
			return nil, hub.GenericError("cannot read repo.json: %v", err)
		}
		info := map[string]any{}
		if err := json.Unmarshal(old, &info); err != nil {
			return nil, hub.GenericError("cannot read repo.json: %v", err)
		}
		for k, v := range updates {
			info[k] = v
		}
		b, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return nil, hub.GenericError("repo_json_updates cannot be written as JSON: %v", err)
		}
		c.Defer(&rewrite{fn: fn, data: append(b, '\n'), old: old})
	}
	for _, f := range moves {
		p, err := c.d.Files.Stage(f.from, f.dst, true)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", f.dst, err)
		}
		c.Defer(p)
	}
	if expire {
		return nil, store.SetRepoState(ctx, c.Tx, id, store.RepoExpired, c.d.Now().UnixMicro())
	}
	return nil, hostRepoManager(c).repoDone(ctx, c, id)
}

// repoDoneFiles checks repoDone's data and says what moves where. Files
// come only from the work folder of the repo's task (or its subtasks) or,
// for a repo with no task, of a task the caller holds.
func repoDoneFiles(ctx context.Context, c *Call, r *store.Repo, repoRel string, data map[string]any) ([]repoFile, error) {
	var moves []repoFile
	seen := map[string]bool{}
	for _, arch := range sortedKeys(data) {
		entry, ok := data[arch].([]any)
		if !ok || len(entry) != 2 {
			return nil, hub.ParameterError("data[%s] must be [uploadpath, [files]]", pyRepr(arch))
		}
		upload, ok1 := entry[0].(string)
		names, ok2 := entry[1].([]any)
		if !ok1 || !ok2 {
			return nil, hub.ParameterError("data[%s] must be [uploadpath, [files]]", pyRepr(arch))
		}
		canon := hub.CanonArch(arch)
		if canon == "" || strings.ContainsAny(canon, "/\x00") || strings.HasPrefix(canon, ".") {
			return nil, hub.GenericError("Invalid arch: %s", pyRepr(arch))
		}
		archRel := filepath.Join(repoRel, canon)
		if st, err := os.Stat(c.d.Files.Abs(archRel)); err != nil || !st.IsDir() {
			return nil, hub.GenericError("Repo arch directory missing: %s", archRel)
		}
		upload = strings.TrimRight(upload, "/")
		tf, err := repoUploadFiles(ctx, c, r, upload)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			name, ok := n.(string)
			if !ok || name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
				return nil, hub.GenericError("Invalid file name: %s", pyRepr(n))
			}
			from, err := tf.resolve(upload + "/" + name) // unclean on purpose: resolve refuses ".."
			if err != nil {
				return nil, err
			}
			dst := filepath.Join(archRel, "repodata", name)
			if strings.HasSuffix(name, "pkglist") {
				dst = filepath.Join(archRel, name)
			}
			if _, err := os.Lstat(c.d.Files.Abs(dst)); err == nil || seen[dst] {
				return nil, hub.GenericError("Destination exists: %s", dst)
			}
			seen[dst] = true
			moves = append(moves, repoFile{from: from, dst: dst})
		}
	}
	return moves, nil
}

// repoUploadFiles is who may have uploaded a repo's files to upload.
func repoUploadFiles(ctx context.Context, c *Call, r *store.Repo, upload string) (*taskFiles, error) {
	if r.TaskID != nil {
		return newTaskFiles(ctx, c, *r.TaskID)
	}
	parts := strings.Split(upload, "/")
	if len(parts) >= 3 && parts[0] == "tasks" {
		if n, err := strconv.ParseInt(parts[2], 10, 64); err == nil {
			if _, err := ownedOpenTask(ctx, c, n); err != nil {
				return nil, err
			}
			return newTaskFiles(ctx, c, n)
		}
	}
	return nil, hub.NotAllowed("%s is not the work folder of a task of host %d", upload, c.HostID())
}

// rewrite replaces a file's content when the request commits.
type rewrite struct {
	fn        string
	data, old []byte
	written   bool
}

func (w *rewrite) Commit() error {
	tmp := w.fn + ".tmp"
	if err := os.WriteFile(tmp, w.data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, w.fn); err != nil {
		os.Remove(tmp)
		return err
	}
	w.written = true
	return nil
}

func (w *rewrite) Abort() {
	if w.written {
		os.WriteFile(w.fn, w.old, 0o644)
	}
}

func (w *rewrite) Done() {}
