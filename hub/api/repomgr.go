package api

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/files"
	"github.com/gokoji/gokoji/hub/repos"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// RepoConfig tunes the repo manager.
type RepoConfig struct {
	Holder     string        // names this hub in the lease
	TopURL     string        // for the .repo files (…/kojifiles)
	Tick       time.Duration // how often the manager looks for work
	Debounce   time.Duration // quiet time after a tag change before its repo is requested
	Retention  time.Duration // how long an EXPIRED repo is kept before deletion
	CreateRepo string        // the createrepo_c binary
	MergeRepo  string        // the mergerepo_c binary (for external repos)
}

// DefaultRepoConfig is fast enough to have a repo ready seconds after a
// tag change.
func DefaultRepoConfig() RepoConfig {
	return RepoConfig{Holder: "hub", Tick: 200 * time.Millisecond, Debounce: 300 * time.Millisecond,
		Retention: 24 * time.Hour, CreateRepo: "createrepo_c", MergeRepo: "mergerepo_c"}
}

// RepoManager keeps tag repos current with no separate daemon: tag changes
// (recorded in tag_changes by the writes themselves) become repo requests
// for the build tags they affect, requests become newRepo tasks, and the
// hub runs those tasks, writing the repo with createrepo_c. With several
// hubs on one database a lease lets one of them do the work.
type RepoManager struct {
	d   *Dispatcher
	cfg RepoConfig
}

// NewRepoManager makes a manager for d.
func NewRepoManager(d *Dispatcher, cfg RepoConfig) *RepoManager {
	return &RepoManager{d: d, cfg: cfg}
}

// Run works until ctx ends.
func (m *RepoManager) Run(ctx context.Context) {
	for {
		busy, err := m.Step(ctx)
		if err != nil && ctx.Err() == nil {
			m.d.Log.WithError(err).Warn("repo manager")
		}
		if busy {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(m.cfg.Tick):
		}
	}
}

// Step does one round: requests from tag changes, tasks from requests, one
// newRepo task run, expired repos cleaned. It reports whether it did
// something, so callers loop while there is work.
func (m *RepoManager) Step(ctx context.Context) (bool, error) {
	busy := false
	err := m.inTx(ctx, func(c *Call) error {
		now := m.d.Now().UnixMicro()
		held, err := store.TakeLease(ctx, c.Tx, "repos", m.cfg.Holder, now, now+(5*m.cfg.Tick+5*time.Second).Microseconds())
		if err != nil || !held {
			return err
		}
		did, err := m.requestsFromChanges(ctx, c)
		if err != nil {
			return err
		}
		busy = busy || did
		if err := checkRepoQueue(ctx, c); err != nil {
			return err
		}
		return m.expireOld(ctx, c)
	})
	if err != nil {
		return false, err
	}
	ran, err := m.runOneTask(ctx)
	return busy || ran, err
}

// inTx runs fn as the repo manager's user in one write transaction, with
// file work that follows the transaction as in a request.
func (m *RepoManager) inTx(ctx context.Context, fn func(c *Call) error) error {
	fx := &effects{}
	defer fx.abort(0) // undoes file work unless the transaction committed
	err := m.d.DB.InTx(ctx, true, func(tx *store.Tx) error {
		// Leases, repo requests, repos and newRepo tasks: no cached answer
		// reads them, so ticks every 200 ms leave the cache alone.
		tx.KeepsCachedAnswers()
		c := &Call{Tx: tx, d: m.d, Req: &Request{Method: "repo-manager"}, fx: fx}
		u, err := store.UserBy(ctx, tx, "name", repoUser)
		if err != nil {
			return err
		}
		if u != nil {
			c.Session = &Session{Session: store.Session{UserID: u.ID}, User: *u}
		}
		if err := fn(c); err != nil {
			return err
		}
		return fx.commit()
	})
	if err != nil {
		return err
	}
	fx.done()
	return nil
}

const repoUser = "kojira"

// ensureRepoUser is the user automatic repo requests belong to, like Koji's
// kojira; it is made the first time one is needed.
func ensureRepoUser(ctx context.Context, c *Call) (int64, error) {
	if c.Session != nil {
		return c.Session.UserID, nil
	}
	id, err := store.CreateUser(ctx, c.Tx, store.NewUser{Name: repoUser})
	if err != nil {
		return 0, err
	}
	u, err := store.UserBy(ctx, c.Tx, "id", id)
	if err != nil {
		return 0, err
	}
	c.Session = &Session{Session: store.Session{UserID: u.ID}, User: *u}
	return id, nil
}

// requestsFromChanges turns settled tag changes into repo requests for the
// build tags (and repo.auto tags) among the changed tags and their
// descendants. The changes are deleted in the same transaction.
func (m *RepoManager) requestsFromChanges(ctx context.Context, c *Call) (bool, error) {
	changes, err := store.PendingTagChanges(ctx, c.Tx, 5000)
	if err != nil || len(changes) == 0 {
		return false, err
	}
	now := m.d.Now().UnixMicro()
	newest := changes[len(changes)-1]
	if now-newest.CreatedUS < m.cfg.Debounce.Microseconds() && now-changes[0].CreatedUS < 10*m.cfg.Debounce.Microseconds() {
		return false, nil // wait for the burst to settle (but not forever)
	}
	latest := map[int64]int64{} // tag → newest change event
	for _, ch := range changes {
		if ch.EventID > latest[ch.TagID] {
			latest[ch.TagID] = ch.EventID
		}
	}
	affected := map[int64]int64{}
	for tag, ev := range latest {
		affected[tag] = max(affected[tag], ev)
		walk, err := fullInheritance(ctx, c, tag, nil, true)
		if err != nil {
			return false, err
		}
		for _, l := range walk {
			affected[l.TagID] = max(affected[l.TagID], ev)
		}
	}
	wanted, err := m.repoTags(ctx, c)
	if err != nil {
		return false, err
	}
	ids := make([]int64, 0, len(affected))
	for id := range affected {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, tag := range ids {
		if !wanted[tag] {
			continue
		}
		if t, err := store.TagAt(ctx, c.Tx, "id", tag, nil); err != nil {
			return false, err
		} else if t == nil {
			continue // deleted
		}
		opts, _, err := tagRepoOpts(ctx, c, tag, nil)
		if err != nil {
			return false, err
		}
		minEv := affected[tag]
		if r, err := bestRepo(ctx, c, tag, opts, &minEv, nil); err != nil {
			return false, err
		} else if r != nil {
			continue
		}
		owner, err := ensureRepoUser(ctx, c)
		if err != nil {
			return false, err
		}
		if _, _, err := queueRepoRequest(ctx, c, tag, opts, &minEv, nil, hub.PriorityDefault+5, owner); err != nil {
			return false, err
		}
	}
	return true, store.DeleteTagChanges(ctx, c.Tx, newest.ID)
}

// repoTags are the tags whose repos the hub keeps current: the build tag of
// every target, and tags with extra repo.auto true.
func (m *RepoManager) repoTags(ctx context.Context, c *Call) (map[int64]bool, error) {
	targets, err := store.Targets(ctx, c.Tx, store.TargetFilter{}, nil)
	if err != nil {
		return nil, err
	}
	out := map[int64]bool{}
	for _, t := range targets {
		out[t.BuildTag] = true
	}
	rows, err := store.ExtraWithKey(ctx, c.Tx, "repo.auto")
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if r.Value != nil {
			if v, err := decodeExtra(*r.Value); err == nil && truthy(v) {
				out[r.TagID] = true
			}
		}
	}
	return out, nil
}

// checkRepoQueue gives each waiting request a newRepo task, retries failed
// ones up to three times, and settles requests a READY repo answers.
func checkRepoQueue(ctx context.Context, c *Call) error {
	yes := true
	reqs, err := store.RepoRequests(ctx, c.Tx, store.RequestFilter{Active: &yes})
	if err != nil {
		return err
	}
	now := c.d.Now().UnixMicro()
	for i := range reqs {
		q := &reqs[i]
		opts := parseOpts(&q.Opts)
		r, err := bestRepo(ctx, c, q.TagID, opts, q.MinEvent, q.AtEvent)
		if err != nil {
			return err
		}
		if r != nil {
			if err := store.UpdateRepoRequest(ctx, c.Tx, q.ID, now, map[string]any{"repo_id": r.ID, "active": false}); err != nil {
				return err
			}
			continue
		}
		failed := q.TaskState != nil && (*q.TaskState == hub.TaskFailed || *q.TaskState == hub.TaskCanceled || *q.TaskState == hub.TaskClosed)
		if q.TaskID != nil && !failed {
			continue // its task is under way
		}
		if failed && q.Tries >= 3 {
			if err := store.UpdateRepoRequest(ctx, c.Tx, q.ID, now, map[string]any{"active": false}); err != nil {
				return err
			}
			continue
		}
		kw := map[string]any{"opts": optsAny(opts)}
		if q.AtEvent != nil {
			kw["event"] = *q.AtEvent
		}
		task, err := createRepoTask(ctx, c, q.TagName, kw, q.Owner)
		if err != nil {
			return err
		}
		if err := store.UpdateRepoRequest(ctx, c.Tx, q.ID, now, map[string]any{"task_id": task, "tries": q.Tries + 1}); err != nil {
			return err
		}
	}
	return nil
}

func optsAny(o map[string]bool) map[string]any {
	out := make(map[string]any, len(o))
	for k, v := range o {
		out[k] = v
	}
	return out
}

// runOneTask runs a FREE newRepo task in the hub, unless a build host
// serves the createrepo channel: then the scheduler gives it to one.
func (m *RepoManager) runOneTask(ctx context.Context) (bool, error) {
	var task *store.Task
	err := m.inTx(ctx, func(c *Call) error {
		tasks, err := store.FreeTasksByMethod(ctx, c.Tx, "newRepo", 1)
		if err != nil || len(tasks) == 0 {
			return err
		}
		// Only with a task waiting: the hosts' data is decoded to see
		// whether a builder will take it, and this runs every tick.
		served, err := builderRuns(ctx, c, repoChannel, "newRepo")
		if err != nil || served {
			return err
		}
		now := m.d.Now().UnixMicro()
		ok, err := store.SetTaskFields(ctx, c.Tx, tasks[0].ID, map[string]any{"state": hub.TaskOpen, "start_us": now}, hub.TaskFree)
		if err != nil || !ok {
			return err
		}
		task = &tasks[0]
		return nil
	})
	if err != nil || task == nil {
		return false, err
	}
	if err := m.newRepoTask(ctx, task); err != nil {
		m.d.Log.WithError(err).WithField("task", task.ID).Warn("newRepo failed")
		ferr := m.inTx(ctx, func(c *Call) error {
			return finishTask(ctx, c, task.ID, hub.TaskFailed, faultDocument(err))
		})
		if ferr != nil {
			return true, ferr
		}
	}
	return true, nil
}

// builderRuns reports whether an enabled, ready build host in channel says
// (in the methods of its host.updateHost data, as kojid sends them) that it
// runs method. A host in the channel that cannot run it does not count, so
// the hub still does the work.
func builderRuns(ctx context.Context, c *Call, channel, method string) (bool, error) {
	docs, err := store.ChannelHostData(ctx, c.Tx, channel)
	if err != nil {
		return false, err
	}
	for _, doc := range docs {
		if doc == "" {
			continue
		}
		data, err := decodeResult(doc)
		if err != nil {
			continue // unreadable data runs nothing
		}
		m, _ := data.(map[string]any)
		methods, _ := m["methods"].([]any)
		for _, x := range methods {
			if x == method {
				return true, nil
			}
		}
	}
	return false, nil
}

// repoWork is what a repo will hold, read in one transaction.
type repoWork struct {
	repoID, event int64
	tag           *store.Tag
	spec          repos.Spec
}

// newRepoTask is the newRepo task: init the repo at an event, write it,
// mark it READY (or PROBLEM), and close the task with [repo_id, event_id].
func (m *RepoManager) newRepoTask(ctx context.Context, task *store.Task) error {
	raw, err := decodeRequest(derefStr(task.Request))
	if err != nil {
		return err
	}
	params, kw := xmlrpc.SplitKwargs(raw)
	if len(params) < 1 {
		return hub.ParameterError("newRepo needs a tag")
	}
	// The request form of Koji 1.35 ({opts}) or the legacy one (src,
	// debuginfo, separate_src keywords).
	override, err := repoOpts(kw["opts"])
	if err != nil {
		return err
	}
	for _, n := range []string{"src", "debuginfo", "separate_src"} {
		if truthy(kw[n]) {
			override[n] = true
		}
	}
	var event *int64
	if e, ok := toInt(kw["event"]); ok {
		event = &e
	}
	var w repoWork
	err = m.inTx(ctx, func(c *Call) error {
		w, err = m.initRepo(ctx, c, params[0], event, override, &task.ID)
		return err
	})
	if err != nil {
		return err
	}
	if werr := repos.Write(ctx, w.spec); werr != nil {
		return m.inTx(ctx, func(c *Call) error {
			if err := store.SetRepoState(ctx, c.Tx, w.repoID, store.RepoProblem, m.d.Now().UnixMicro()); err != nil {
				return err
			}
			return finishTask(ctx, c, task.ID, hub.TaskFailed, faultDocument(werr))
		})
	}
	return m.inTx(ctx, func(c *Call) error {
		if err := m.repoDone(ctx, c, w.repoID); err != nil {
			return err
		}
		res, err := encodeResult([]any{w.repoID, w.event})
		if err != nil {
			return err
		}
		return finishTask(ctx, c, task.ID, hub.TaskClosed, res)
	})
}

// initRepo is Koji's repo_init without the files: an INIT repo of the tag
// at event (the last one when nil) with the tag's options under override,
// and what it will hold.
func (m *RepoManager) initRepo(ctx context.Context, c *Call, tag any, event *int64, override map[string]bool, taskID *int64) (repoWork, error) {
	t, err := getTagAt(ctx, c, tag, event, true)
	if err != nil {
		return repoWork{}, err
	}
	last, _, _, err := store.LastEvent(ctx, c.Tx, nil)
	if err != nil {
		return repoWork{}, err
	}
	ev := last
	if event != nil {
		if *event < 0 || *event > last {
			return repoWork{}, hub.GenericError("No such event: %d", *event)
		}
		ev = *event
	}
	opts, custom, err := tagRepoOpts(ctx, c, t.ID, override)
	if err != nil {
		return repoWork{}, err
	}
	begin, err := lastTagChange(ctx, c, t.ID)
	if err != nil {
		return repoWork{}, err
	}
	id, err := store.CreateRepo(ctx, c.Tx, store.NewRepo{TagID: t.ID, CreateEvent: ev, BeginEvent: &begin,
		Opts: optsJSON(opts), CustomOpts: optsJSON(custom), TaskID: taskID, NowUS: m.d.Now().UnixMicro()})
	if err != nil {
		return repoWork{}, err
	}
	w := repoWork{repoID: id, event: ev, tag: t}
	if err := m.fillSpec(ctx, c, &w, opts); err != nil {
		return repoWork{}, err
	}
	w.spec.TaskID = taskID
	return w, nil
}

// fillSpec reads what the repo holds at its event: the latest builds of the
// tag with inheritance, minus blocked and unlisted packages; their RPMs; the
// tag's (inherited) arches; comps from its groups.
func (m *RepoManager) fillSpec(ctx context.Context, c *Call, w *repoWork, opts map[string]bool) error {
	ev := &w.event
	cfg, err := getBuildConfigAt(ctx, c, w.tag.ID, ev)
	if err != nil {
		return err
	}
	arches := repos.RepoArches(cfg)
	if len(arches) == 0 {
		return hub.GenericError("No arches for tag %s: it cannot have a repo", w.tag.Name)
	}
	list, err := packageList(ctx, c, store.PackageFilter{NoOwners: true}, &w.tag.ID, true, false, ev)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	var blocked []string
	for _, g := range list {
		e := g[0]
		if e.Blocked {
			blocked = append(blocked, e.PackageName)
		} else {
			listed[e.PackageName] = true
		}
	}
	builds, tagged, err := LatestTagged(ctx, c.Tx, w.tag.ID, ev)
	if err != nil {
		return err
	}
	dirOf := map[int64]string{}
	for _, b := range builds {
		if listed[b.PackageName] {
			dirOf[b.ID] = files.BuildDir(b.PackageName, b.Version, b.Release)
		}
	}
	var rpms []repos.RPM
	for _, r := range tagged {
		if r.BuildID == nil || r.ExternalRepoID != 0 || r.MetadataOnly {
			continue
		}
		dir, ok := dirOf[*r.BuildID]
		if !ok {
			continue
		}
		rpms = append(rpms, repos.RPM{ID: r.ID, BuildID: *r.BuildID, Name: r.Name, Version: r.Version, Release: r.Release,
			Epoch: r.Epoch, Arch: r.Arch, PayloadHash: r.PayloadHash, Size: r.Size, BuildTime: r.BuildTime,
			Path: filepath.Join(dir, files.RPMPath(r.Name, r.Version, r.Release, r.Arch))})
	}
	comps, err := m.comps(ctx, c, w.tag.ID, ev)
	if err != nil {
		return err
	}
	prev := ""
	if r, err := bestRepo(ctx, c, w.tag.ID, opts, nil, nil); err != nil {
		return err
	} else if r != nil {
		prev = repos.Dir(m.d.Config.TopDir, r.TagName, r.ID)
	}
	links, err := externalRepoList(ctx, c, w.tag.ID, ev)
	if err != nil {
		return err
	}
	var ext []repos.ExternalRepo
	for _, l := range links {
		e := repos.ExternalRepo{Name: l.ExternalRepoName, URL: l.URL, MergeMode: l.MergeMode}
		if l.Arches != nil {
			e.Arches = *l.Arches
		}
		ext = append(ext, e)
	}
	w.spec = repos.Spec{External: ext, MergeRepo: m.cfg.MergeRepo, TopDir: m.d.Config.TopDir, Tag: w.tag.Name, TagID: w.tag.ID, RepoID: w.repoID, EventID: w.event,
		Arches: arches, RPMs: rpms, Blocked: blocked, Comps: comps, Previous: prev, CreateRepo: m.cfg.CreateRepo,
		Opts: repos.Options{Src: opts["src"], SeparateSrc: opts["separate_src"], Debuginfo: opts["debuginfo"]}}
	return nil
}

// getBuildConfigAt is the tag's arches as getBuildConfig finds them.
func getBuildConfigAt(ctx context.Context, c *Call, tagID int64, event *int64) (string, error) {
	t, err := store.TagAt(ctx, c.Tx, "id", tagID, event)
	if err != nil || t == nil {
		return "", err
	}
	if t.Arches != nil && *t.Arches != "" {
		return *t.Arches, nil
	}
	walk, err := fullInheritance(ctx, c, tagID, event, false)
	if err != nil {
		return "", err
	}
	for _, l := range walk {
		if l.NoConfig {
			continue
		}
		p, err := store.TagAt(ctx, c.Tx, "id", l.ParentID, event)
		if err != nil {
			return "", err
		}
		if p != nil && p.Arches != nil && *p.Arches != "" {
			return *p.Arches, nil
		}
	}
	return "", nil
}

// repoDone marks the repo READY, expires older READY repos of the tag with
// the same options, settles requests it answers and points latest at it.
func (m *RepoManager) repoDone(ctx context.Context, c *Call, id int64) error {
	r, err := findRepo(ctx, c, id)
	if err != nil {
		return err
	}
	now := m.d.Now().UnixMicro()
	if err := store.SetRepoState(ctx, c.Tx, id, store.RepoReady, now); err != nil {
		return err
	}
	no := false
	older, err := store.Repos(ctx, c.Tx, store.RepoFilter{TagID: &r.TagID, States: []int{store.RepoReady}, Dist: &no})
	if err != nil {
		return err
	}
	for _, o := range older {
		same := derefStr(o.Opts) == derefStr(r.Opts) && derefStr(o.CustomOpts) == derefStr(r.CustomOpts)
		if o.ID != id && o.CreateEvent <= r.CreateEvent && same {
			if err := store.SetRepoState(ctx, c.Tx, o.ID, store.RepoExpired, now); err != nil {
				return err
			}
		}
	}
	if err := checkRepoQueue(ctx, c); err != nil {
		return err
	}
	if derefStr(r.CustomOpts) == "{}" || derefStr(r.CustomOpts) == "" {
		topdir, tag, topurl := m.d.Config.TopDir, r.TagName, m.cfg.TopURL
		c.AfterCommit(func() {
			if err := repos.SetLatest(topdir, tag, id, topurl); err != nil {
				m.d.Log.WithError(err).Warn("cannot update the latest repo link")
			}
		})
	}
	return nil
}

// expireOld marks PROBLEM the INIT repos whose task failed or was
// canceled (a builder's newRepo or createrepo failed: nothing will finish
// them), and deletes EXPIRED and PROBLEM repos past the retention.
func (m *RepoManager) expireOld(ctx context.Context, c *Call) error {
	now := m.d.Now().UnixMicro()
	stuck, err := store.Repos(ctx, c.Tx, store.RepoFilter{States: []int{store.RepoInit}})
	if err != nil {
		return err
	}
	for _, r := range stuck {
		if r.TaskState != nil && (*r.TaskState == hub.TaskFailed || *r.TaskState == hub.TaskCanceled) {
			if err := store.SetRepoState(ctx, c.Tx, r.ID, store.RepoProblem, now); err != nil {
				return err
			}
		}
	}
	rs, err := store.Repos(ctx, c.Tx, store.RepoFilter{States: []int{store.RepoExpired, store.RepoProblem}})
	if err != nil {
		return err
	}
	for _, r := range rs {
		if now-r.StateUS < m.cfg.Retention.Microseconds() {
			continue
		}
		if refs, err := repoRefs(ctx, c, r.ID); err != nil || len(refs) > 0 {
			continue
		}
		if err := store.SetRepoState(ctx, c.Tx, r.ID, store.RepoDeleted, now); err != nil {
			return err
		}
		topdir, tag, id := m.d.Config.TopDir, r.TagName, r.ID
		c.AfterCommit(func() { repos.Remove(topdir, tag, id) })
	}
	return nil
}

// comps renders the tag's groups as comps.xml, or nil when it has none.
func (m *RepoManager) comps(ctx context.Context, c *Call, tagID int64, event *int64) ([]byte, error) {
	groups, _, err := tagGroups(ctx, c, tagID, event, true, true, true)
	if err != nil {
		return nil, err
	}
	var list []*tagGroup
	for _, g := range groups {
		if !g.Blocked {
			list = append(list, g)
		}
	}
	if len(list) == 0 {
		return nil, nil
	}
	return compsXML(list), nil
}

// compsXML writes comps in the format dnf and createrepo_c read.
func compsXML(groups []*tagGroup) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE comps PUBLIC \"-//Red Hat, Inc.//DTD Comps info//EN\" \"comps.dtd\">\n<comps>\n")
	esc := func(s string) string {
		var e bytes.Buffer
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	yesno := func(p *bool, def bool) string {
		v := def
		if p != nil {
			v = *p
		}
		if v {
			return "true"
		}
		return "false"
	}
	for _, g := range groups {
		name := g.Name
		if g.DisplayName != "" {
			name = g.DisplayName
		}
		fmt.Fprintf(&b, "  <group>\n    <id>%s</id>\n    <name>%s</name>\n", esc(g.Name), esc(name))
		if g.Description != nil {
			fmt.Fprintf(&b, "    <description>%s</description>\n", esc(*g.Description))
		}
		fmt.Fprintf(&b, "    <default>%s</default>\n    <uservisible>%s</uservisible>\n", yesno(g.IsDefault, false), yesno(g.UserVisible, true))
		b.WriteString("    <packagelist>\n")
		for _, p := range g.pkgs {
			if p.Blocked {
				continue
			}
			typ := p.Type
			if typ == "" {
				typ = "mandatory"
			}
			fmt.Fprintf(&b, "      <packagereq type=\"%s\">%s</packagereq>\n", esc(typ), esc(p.Package))
		}
		b.WriteString("    </packagelist>\n  </group>\n")
	}
	b.WriteString("</comps>\n")
	return b.Bytes()
}

// finishTask ends a task the hub ran: CLOSED with a result document or
// FAILED with a fault document.
func finishTask(ctx context.Context, c *Call, id int64, state int, doc string) error {
	_, err := store.SetTaskFields(ctx, c.Tx, id, map[string]any{"state": state, "result": doc,
		"completion_us": c.d.Now().UnixMicro()}, hub.TaskOpen)
	return err
}

// encodeResult is a task result as stored: a <methodResponse> document.
func encodeResult(v any) (string, error) {
	var buf bytes.Buffer
	if err := xmlrpc.EncodeResponse(&buf, v); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// faultDocument stores an error as a task's fault, keeping a Koji code.
func faultDocument(err error) string {
	f := hub.AsFault(err)
	var buf bytes.Buffer
	xmlrpc.EncodeFault(&buf, &xmlrpc.Fault{Code: f.Code, String: f.Msg})
	return buf.String()
}
