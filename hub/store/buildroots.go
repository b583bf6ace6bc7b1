package store

import (
	"context"
	"fmt"

	"github.com/gokoji/gokoji/hub"
)

// Buildroot states (Koji's BR_STATES) and types (BR_TYPES).
const (
	BRInit     = 0
	BRWaiting  = 1
	BRBuilding = 2
	BRExpired  = 3

	BRTypeStandard = 0
	BRTypeExternal = 1
)

// BRStateNames maps BR_STATES numbers to names.
var BRStateNames = map[int]string{BRInit: "INIT", BRWaiting: "WAITING", BRBuilding: "BUILDING", BRExpired: "EXPIRED"}

// Buildroot is a row of listBuildroots: a buildroot with its standard part,
// host, repo, tag and events.
type Buildroot struct {
	ID                int64   `db:"id"`
	BRType            int     `db:"br_type"`
	CGID              *int64  `db:"cg_id"`
	CGVersion         *string `db:"cg_version"`
	ContainerArch     *string `db:"container_arch"`
	ContainerType     *string `db:"container_type"`
	HostOS            *string `db:"host_os"`
	HostArch          *string `db:"host_arch"`
	Extra             *string `db:"extra"`
	State             *int    `db:"state"`
	TaskID            *int64  `db:"task_id"`
	HostID            *int64  `db:"host_id"`
	HostName          *string `db:"host_name"`
	RepoID            *int64  `db:"repo_id"`
	RepoState         *int    `db:"repo_state"`
	TagID             *int64  `db:"tag_id"`
	TagName           *string `db:"tag_name"`
	CreateEventID     *int64  `db:"create_event_id"`
	CreateEventUS     *int64  `db:"create_event_us"`
	RetireEventID     *int64  `db:"retire_event_id"`
	RetireEventUS     *int64  `db:"retire_event_us"`
	RepoCreateEventID *int64  `db:"repo_create_event_id"`
	RepoCreateEventUS *int64  `db:"repo_create_event_us"`
}

const buildrootSelect = `SELECT br.id, br.br_type, br.cg_id, br.cg_version, br.container_arch, br.container_type,
	br.host_os, br.host_arch, br.extra, sb.state, sb.task_id, h.id AS host_id, h.name AS host_name,
	r.id AS repo_id, r.state AS repo_state, t.id AS tag_id, t.name AS tag_name,
	ce.id AS create_event_id, ce.time_us AS create_event_us, re.id AS retire_event_id, re.time_us AS retire_event_us,
	rce.id AS repo_create_event_id, rce.time_us AS repo_create_event_us`

const buildrootFrom = ` FROM buildroot br
	LEFT JOIN standard_buildroot sb ON sb.buildroot_id = br.id
	LEFT JOIN host h ON h.id = sb.host_id
	LEFT JOIN repo r ON r.id = sb.repo_id
	LEFT JOIN tag t ON t.id = r.tag_id
	LEFT JOIN events ce ON ce.id = sb.create_event
	LEFT JOIN events re ON re.id = sb.retire_event
	LEFT JOIN events rce ON rce.id = r.create_event`

// BuildrootOrderFields maps listBuildroots' queryOpts order names to SQL.
var BuildrootOrderFields = map[string]string{
	"id": "br.id", "br_type": "br.br_type", "cg_id": "br.cg_id", "cg_name": "br.cg_id", "cg_version": "br.cg_version",
	"container_arch": "br.container_arch", "arch": "br.container_arch", "container_type": "br.container_type",
	"host_os": "br.host_os", "host_arch": "br.host_arch", "extra": "br.extra", "state": "sb.state",
	"task_id": "sb.task_id", "host_id": "h.id", "host_name": "h.name", "repo_id": "r.id", "repo_state": "r.state",
	"tag_id": "t.id", "tag_name": "t.name", "create_event_id": "ce.id", "create_event_time": "ce.time_us",
	"create_ts": "ce.time_us", "retire_event_id": "re.id", "retire_event_time": "re.time_us", "retire_ts": "re.time_us",
	"repo_create_event_id": "rce.id", "repo_create_event_time": "rce.time_us",
}

// BuildrootFilter is listBuildroots' filters; nil fields select everything,
// an empty slice nothing.
type BuildrootFilter struct {
	IDs     []int64
	HostID  *int64
	TagID   *int64
	States  []int64
	RPMID   *int64
	TaskID  *int64
	RepoID  *int64
	Nothing bool // a filter that cannot match (e.g. archives, which do not exist here)
}

func (f BuildrootFilter) where() (string, []any) {
	var c conds
	in := func(col string, vals []int64) {
		if len(vals) == 0 {
			c.add("1 = 0")
			return
		}
		in, args := InList(vals)
		c.add(col+" IN "+in, args...)
	}
	eq := func(cond string, v *int64) {
		if v != nil {
			c.add(cond, *v)
		}
	}
	if f.Nothing {
		c.add("1 = 0")
	}
	if f.IDs != nil {
		in("br.id", f.IDs)
	}
	if f.States != nil {
		in("sb.state", f.States)
	}
	eq("h.id = ?", f.HostID)
	eq("t.id = ?", f.TagID)
	eq("sb.task_id = ?", f.TaskID)
	eq("sb.repo_id = ?", f.RepoID)
	eq("br.id IN (SELECT buildroot_id FROM buildroot_listing WHERE rpm_id = ?)", f.RPMID)
	return c.where(), c.args
}

// ListBuildroots returns the buildroots matching f, paged in SQL.
func ListBuildroots(ctx context.Context, tx *Tx, f BuildrootFilter, p Page) ([]Buildroot, error) {
	where, args := f.where()
	var out []Buildroot
	if err := tx.Select(ctx, &out, buildrootSelect+buildrootFrom+where+p.clause(tx.Dialect, "br.id"), args...); err != nil {
		return nil, fmt.Errorf("list buildroots: %w", err)
	}
	return out, nil
}

// CountBuildroots counts the buildroots matching f, within the page.
func CountBuildroots(ctx context.Context, tx *Tx, f BuildrootFilter, p Page) (int64, error) {
	where, args := f.where()
	n, err := count(ctx, tx, buildrootFrom+where, p, args)
	if err != nil {
		return 0, fmt.Errorf("count buildroots: %w", err)
	}
	return n, nil
}

// GetBuildroot returns one buildroot or nil.
func GetBuildroot(ctx context.Context, tx *Tx, id int64) (*Buildroot, error) {
	rows, err := ListBuildroots(ctx, tx, BuildrootFilter{IDs: []int64{id}}, NoPage)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// CreateStandardBuildroot adds a host's buildroot, INIT, at this
// transaction's event, and returns its id.
func CreateStandardBuildroot(ctx context.Context, tx *Tx, hostID, repoID, taskID int64, arch string) (int64, error) {
	ev, err := tx.Event(ctx)
	if err != nil {
		return 0, err
	}
	id, err := tx.InsertID(ctx, "INSERT INTO buildroot (br_type, container_arch, container_type) VALUES (?, ?, 'chroot')",
		BRTypeStandard, arch)
	if err != nil {
		return 0, fmt.Errorf("create buildroot: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO standard_buildroot (buildroot_id, host_id, repo_id, task_id, create_event, state)
		VALUES (?, ?, ?, ?, ?, ?)`, id, hostID, repoID, taskID, ev, BRInit); err != nil {
		return 0, fmt.Errorf("create buildroot: %w", err)
	}
	return id, nil
}

// SetBuildrootState sets a standard buildroot's state; EXPIRED also sets
// its retire event.
func SetBuildrootState(ctx context.Context, tx *Tx, id int64, state int) error {
	q := "UPDATE standard_buildroot SET state = ? WHERE buildroot_id = ?"
	args := []any{state, id}
	if state == BRExpired {
		ev, err := tx.Event(ctx)
		if err != nil {
			return err
		}
		q = "UPDATE standard_buildroot SET state = ?, retire_event = ? WHERE buildroot_id = ?"
		args = []any{state, ev, id}
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("set state of buildroot %d: %w", id, err)
	}
	return nil
}

// BuildrootRPM is a row of getBuildrootListing.
type BuildrootRPM struct {
	RPMID            int64  `db:"rpm_id"`
	IsUpdate         bool   `db:"is_update"`
	Name             string `db:"name"`
	Version          string `db:"version"`
	Release          string `db:"release"`
	Epoch            *int64 `db:"epoch"`
	Arch             string `db:"arch"`
	BuildID          *int64 `db:"build_id"`
	Draft            bool   `db:"draft"`
	ExternalRepoID   int64  `db:"external_repo_id"`
	ExternalRepoName string `db:"external_repo_name"`
}

// BuildrootListing lists the rpms installed in a buildroot.
func BuildrootListing(ctx context.Context, tx *Tx, id int64) ([]BuildrootRPM, error) {
	var out []BuildrootRPM
	err := tx.Select(ctx, &out, `SELECT l.rpm_id, l.is_update, r.name, r.version, r.release, r.epoch, r.arch,
		r.build_id, r.draft, r.external_repo_id, COALESCE(x.name, 'INTERNAL') AS external_repo_name
		FROM buildroot_listing l JOIN rpminfo r ON r.id = l.rpm_id
		LEFT JOIN external_repo x ON x.id = r.external_repo_id
		WHERE l.buildroot_id = ? ORDER BY l.rpm_id`, id)
	if err != nil {
		return nil, fmt.Errorf("read buildroot %d listing: %w", id, err)
	}
	return out, nil
}

// AddBuildrootListing records rpms as installed in a buildroot; ids already
// listed are skipped.
func AddBuildrootListing(ctx context.Context, tx *Tx, id int64, rpmIDs []int64, isUpdate bool) error {
	for _, r := range rpmIDs {
		if _, err := tx.Exec(ctx, `INSERT INTO buildroot_listing (buildroot_id, rpm_id, is_update)
			SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM buildroot_listing WHERE buildroot_id = ? AND rpm_id = ?)`,
			id, r, isUpdate, id, r); err != nil {
			return fmt.Errorf("list rpm %d in buildroot %d: %w", r, id, err)
		}
	}
	return nil
}

// RepoExists reports whether a repo row exists.
func RepoExists(ctx context.Context, tx *Tx, id int64) (bool, error) {
	var n int
	if err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM repo WHERE id = ?", id); err != nil {
		return false, fmt.Errorf("read repo %d: %w", id, err)
	}
	return n > 0, nil
}

// CancelTaskBuilds cancels the BUILDING builds of those tasks among ids that
// are still unfinished (about to be canceled), as Koji's Task.cancel does.
// Call it before the tasks themselves change state.
func CancelTaskBuilds(ctx context.Context, tx *Tx, ids []int64, nowUS int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{nowUS}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := tx.Exec(ctx, "UPDATE build SET state = 4, completion_us = ? WHERE state = 0 AND task_id IN "+
		"(SELECT id FROM task WHERE state IN (0, 1, 4) AND id IN ("+placeholders(len(ids))+"))", args...)
	if err != nil {
		return fmt.Errorf("cancel builds of tasks: %w", err)
	}
	return nil
}

// BuildHasTagHistory reports whether a build was ever tagged (any row of
// tag_listing, active or revoked). Without the tagging tables it is false.
func BuildHasTagHistory(ctx context.Context, tx *Tx, buildID int64) (bool, error) {
	ok, err := TableExists(ctx, tx, "tag_listing")
	if err != nil || !ok {
		return false, err
	}
	var n int
	if err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM tag_listing WHERE build_id = ?", buildID); err != nil {
		return false, fmt.Errorf("read tag history of build %d: %w", buildID, err)
	}
	return n > 0, nil
}

// RefRPM is an rpm built in a buildroot that had a given build's rpms
// installed (buildReferences' "rpms").
type RefRPM struct {
	ID      int64  `db:"id"`
	Name    string `db:"name"`
	Version string `db:"version"`
	Release string `db:"release"`
	Arch    string `db:"arch"`
	BuildID int64  `db:"build_id"`
}

// usedInSQL selects the buildroots that had an rpm of build ? installed.
const usedInSQL = `SELECT bl.buildroot_id FROM buildroot_listing bl JOIN rpminfo mine ON mine.id = bl.rpm_id
	WHERE mine.build_id = ?`

// BuildUsedBy lists the rpms of COMPLETE builds made in buildroots that
// had the build's rpms installed, by id, at most limit of them (all when
// limit is nil or negative: PostgreSQL refuses a negative LIMIT, which
// SQLite reads as none).
func BuildUsedBy(ctx context.Context, tx *Tx, buildID int64, limit *int64) ([]RefRPM, error) {
	q := `SELECT r.id, r.name, r.version, r.release, r.arch, r.build_id FROM rpminfo r JOIN build b ON b.id = r.build_id
		WHERE b.state = ? AND r.buildroot_id IN (` + usedInSQL + `) ORDER BY r.id`
	args := []any{hub.BuildComplete, buildID}
	if limit != nil && *limit >= 0 {
		q += " LIMIT ?"
		args = append(args, *limit)
	}
	out := []RefRPM{}
	if err := tx.Select(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("rpms built on build %d: %w", buildID, err)
	}
	return out, nil
}

// BuildLastUsedUS is the time of the newest buildroot that had the build's
// rpms installed, or nil.
func BuildLastUsedUS(ctx context.Context, tx *Tx, buildID int64) (*int64, error) {
	var us []*int64
	if err := tx.Select(ctx, &us, `SELECT e.time_us FROM events e WHERE e.id = (SELECT MAX(sb.create_event)
		FROM standard_buildroot sb WHERE sb.buildroot_id IN (`+usedInSQL+`))`, buildID); err != nil {
		return nil, fmt.Errorf("last use of build %d: %w", buildID, err)
	}
	if len(us) == 0 {
		return nil, nil
	}
	return us[0], nil
}
