package store

import (
	"context"
	"fmt"
	"strings"
)

// Repo states (Koji's REPO_STATES).
const (
	RepoInit    = 0
	RepoReady   = 1
	RepoExpired = 2
	RepoDeleted = 3
	RepoProblem = 4
)

// Repo is a row of repo with its tag's name and its task's state.
type Repo struct {
	ID          int64   `db:"id"`
	CreationUS  int64   `db:"creation_us"`
	CreateEvent int64   `db:"create_event"`
	CreateUS    int64   `db:"create_us"` // the create event's time
	StateUS     int64   `db:"state_us"`
	BeginEvent  *int64  `db:"begin_event"`
	EndEvent    *int64  `db:"end_event"`
	TagID       int64   `db:"tag_id"`
	TagName     string  `db:"tag_name"`
	State       int     `db:"state"`
	Dist        bool    `db:"dist"`
	Opts        *string `db:"opts"`
	CustomOpts  *string `db:"custom_opts"`
	TaskID      *int64  `db:"task_id"`
	TaskState   *int    `db:"task_state"`
}

const repoSelect = `SELECT r.id, r.creation_us, r.create_event, e.time_us AS create_us, r.state_us, r.begin_event,
	r.end_event, r.tag_id, t.name AS tag_name, r.state, r.dist, r.opts, r.custom_opts, r.task_id, k.state AS task_state
	FROM repo r JOIN tag t ON t.id = r.tag_id JOIN events e ON e.id = r.create_event
	LEFT JOIN task k ON k.id = r.task_id`

// RepoFilter selects repos; zero values match everything.
type RepoFilter struct {
	ID       *int64
	TagID    *int64
	States   []int
	Dist     *bool
	MaxEvent *int64 // create_event <= MaxEvent
	MinEvent *int64 // create_event >= MinEvent
	TaskID   *int64
}

// Repos lists repos matching f, newest first.
func Repos(ctx context.Context, tx *Tx, f RepoFilter) ([]Repo, error) {
	var c conds
	add := c.add
	if f.ID != nil {
		add("r.id = ?", *f.ID)
	}
	if f.TagID != nil {
		add("r.tag_id = ?", *f.TagID)
	}
	if f.Dist != nil {
		add("r.dist = ?", *f.Dist)
	}
	if f.MaxEvent != nil {
		add("r.create_event <= ?", *f.MaxEvent)
	}
	if f.MinEvent != nil {
		add("r.create_event >= ?", *f.MinEvent)
	}
	if f.TaskID != nil {
		add("r.task_id = ?", *f.TaskID)
	}
	if f.States != nil {
		in, inArgs := InList(f.States)
		add("r.state IN "+in, inArgs...)
	}
	var out []Repo
	if err := tx.Select(ctx, &out, repoSelect+c.where()+" ORDER BY r.create_event DESC, r.id DESC", c.args...); err != nil {
		return nil, fmt.Errorf("read repos: %w", err)
	}
	return out, nil
}

// NewRepo is what CreateRepo stores.
type NewRepo struct {
	TagID       int64
	CreateEvent int64
	BeginEvent  *int64
	Opts        string
	CustomOpts  string
	TaskID      *int64
	NowUS       int64
}

// CreateRepo adds a repo in state INIT.
func CreateRepo(ctx context.Context, tx *Tx, r NewRepo) (int64, error) {
	id, err := tx.InsertID(ctx, `INSERT INTO repo (creation_us, create_event, state_us, begin_event, tag_id, state, dist,
		opts, custom_opts, task_id) VALUES (?, ?, ?, ?, ?, ?, FALSE, ?, ?, ?)`,
		r.NowUS, r.CreateEvent, r.NowUS, r.BeginEvent, r.TagID, RepoInit, r.Opts, r.CustomOpts, r.TaskID)
	if err != nil {
		return 0, fmt.Errorf("create repo: %w", err)
	}
	return id, nil
}

// SetRepoState moves a repo to state at nowUS.
func SetRepoState(ctx context.Context, tx *Tx, id int64, state int, nowUS int64) error {
	if _, err := tx.Exec(ctx, "UPDATE repo SET state = ?, state_us = ? WHERE id = ?", state, nowUS, id); err != nil {
		return fmt.Errorf("set state of repo %d: %w", id, err)
	}
	return nil
}

// RepoRequest is a row of repo_queue with names.
type RepoRequest struct {
	ID        int64  `db:"id"`
	CreateUS  int64  `db:"create_us"`
	Owner     int64  `db:"owner"`
	OwnerName string `db:"owner_name"`
	Priority  int    `db:"priority"`
	TagID     int64  `db:"tag_id"`
	TagName   string `db:"tag_name"`
	AtEvent   *int64 `db:"at_event"`
	MinEvent  *int64 `db:"min_event"`
	Opts      string `db:"opts"`
	UpdateUS  int64  `db:"update_us"`
	Active    bool   `db:"active"`
	TaskID    *int64 `db:"task_id"`
	TaskState *int   `db:"task_state"`
	Tries     int    `db:"tries"`
	RepoID    *int64 `db:"repo_id"`
}

const requestSelect = `SELECT q.id, q.create_us, q.owner, u.name AS owner_name, q.priority, q.tag_id, t.name AS tag_name,
	q.at_event, q.min_event, q.opts, q.update_us, q.active, q.task_id, k.state AS task_state, q.tries, q.repo_id
	FROM repo_queue q JOIN tag t ON t.id = q.tag_id JOIN users u ON u.id = q.owner LEFT JOIN task k ON k.id = q.task_id`

// RequestFilter selects repo requests.
type RequestFilter struct {
	ID     *int64
	TagID  *int64
	Active *bool
	TaskID *int64
}

// RepoRequests lists requests in queue order (priority, then age).
func RepoRequests(ctx context.Context, tx *Tx, f RequestFilter) ([]RepoRequest, error) {
	var c conds
	add := c.add
	if f.ID != nil {
		add("q.id = ?", *f.ID)
	}
	if f.TagID != nil {
		add("q.tag_id = ?", *f.TagID)
	}
	if f.Active != nil {
		add("q.active = ?", *f.Active)
	}
	if f.TaskID != nil {
		add("q.task_id = ?", *f.TaskID)
	}
	var out []RepoRequest
	if err := tx.Select(ctx, &out, requestSelect+c.where()+" ORDER BY q.priority, q.id", c.args...); err != nil {
		return nil, fmt.Errorf("read repo requests: %w", err)
	}
	return out, nil
}

// CreateRepoRequest queues a request and returns its id.
func CreateRepoRequest(ctx context.Context, tx *Tx, r RepoRequest) (int64, error) {
	id, err := tx.InsertID(ctx, `INSERT INTO repo_queue (create_us, owner, priority, tag_id, at_event, min_event, opts,
		update_us, active, tries) VALUES (?, ?, ?, ?, ?, ?, ?, ?, TRUE, 0)`,
		r.CreateUS, r.Owner, r.Priority, r.TagID, r.AtEvent, r.MinEvent, r.Opts, r.CreateUS)
	if err != nil {
		return 0, fmt.Errorf("queue repo request: %w", err)
	}
	return id, nil
}

// UpdateRepoRequest sets columns of a request (priority, task_id, tries,
// active, repo_id) and its update time.
func UpdateRepoRequest(ctx context.Context, tx *Tx, id, nowUS int64, fields map[string]any) error {
	set := []string{"update_us = ?"}
	args := []any{nowUS}
	for _, k := range sortedKeys(fields) {
		switch k {
		case "priority", "task_id", "tries", "active", "repo_id":
		default:
			return fmt.Errorf("UpdateRepoRequest: column %q is not settable", k)
		}
		set = append(set, k+" = ?")
		args = append(args, fields[k])
	}
	if _, err := tx.Exec(ctx, "UPDATE repo_queue SET "+strings.Join(set, ", ")+" WHERE id = ?", append(args, id)...); err != nil {
		return fmt.Errorf("update repo request %d: %w", id, err)
	}
	return nil
}

// TagChange is a row of the tag_changes outbox.
type TagChange struct {
	ID        int64 `db:"id"`
	TagID     int64 `db:"tag_id"`
	EventID   int64 `db:"event_id"`
	CreatedUS int64 `db:"created_us"`
}

// PendingTagChanges lists the outbox, oldest first.
func PendingTagChanges(ctx context.Context, tx *Tx, limit int) ([]TagChange, error) {
	var out []TagChange
	if err := tx.Select(ctx, &out, "SELECT id, tag_id, event_id, created_us FROM tag_changes ORDER BY id LIMIT ?", limit); err != nil {
		return nil, fmt.Errorf("read tag changes: %w", err)
	}
	return out, nil
}

// DeleteTagChanges removes handled outbox rows up to and including maxID.
func DeleteTagChanges(ctx context.Context, tx *Tx, maxID int64) error {
	if _, err := tx.Exec(ctx, "DELETE FROM tag_changes WHERE id <= ?", maxID); err != nil {
		return fmt.Errorf("clear tag changes: %w", err)
	}
	return nil
}

// TakeLease takes or renews the named lease for holder until untilUS, if it
// is free, expired or already held by holder. Several hubs on one database
// use it to let exactly one of them do a kind of background work.
func TakeLease(ctx context.Context, tx *Tx, name, holder string, nowUS, untilUS int64) (bool, error) {
	n, err := tx.Exec(ctx, `INSERT INTO leases (name, holder, expires_us) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_us = excluded.expires_us
		WHERE leases.holder = excluded.holder OR leases.expires_us < ?`, name, holder, untilUS, nowUS)
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	return n > 0, nil
}

// FreeTasksByMethod lists FREE tasks of a method, by priority then age.
func FreeTasksByMethod(ctx context.Context, tx *Tx, method string, limit int) ([]Task, error) {
	var out []Task
	err := tx.Select(ctx, &out, "SELECT "+taskCols+", t.request FROM task t WHERE t.state = 0 AND t.method = ? ORDER BY t.priority, t.id LIMIT ?",
		method, limit)
	if err != nil {
		return nil, fmt.Errorf("read free %s tasks: %w", method, err)
	}
	return out, nil
}
