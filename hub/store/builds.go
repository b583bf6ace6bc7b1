package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/gokoji/gokoji/hub"
)

const buildFrom = ` FROM build b
	JOIN package p ON p.id = b.pkg_id
	JOIN users u ON u.id = b.owner
	JOIN events e ON e.id = b.create_event
	JOIN volume v ON v.id = b.volume_id
	LEFT JOIN users pr ON pr.id = b.promoter`

const buildCols = `SELECT b.id, b.pkg_id, p.name AS package_name, b.version, b.release, b.epoch,
	b.draft, b.state, b.task_id, b.owner, u.name AS owner_name, b.create_event, e.time_us AS creation_us,
	b.start_us, b.completion_us, b.promotion_us, b.promoter, pr.name AS promoter_name,
	b.volume_id, v.name AS volume_name, b.source, b.extra, b.cg_id`

// BuildOrderFields maps the names Koji's queryOpts may order builds by to SQL.
var BuildOrderFields = map[string]string{
	"id": "b.id", "build_id": "b.id", "version": "b.version", "release": "b.release",
	"epoch": "b.epoch", "draft": "b.draft", "state": "b.state", "task_id": "b.task_id",
	"package_id": "p.id", "package_name": "p.name", "name": "p.name",
	"nvr":      "p.name || '-' || b.version || '-' || b.release",
	"owner_id": "u.id", "owner_name": "u.name", "volume_id": "v.id", "volume_name": "v.name",
	"creation_event_id": "b.create_event", "creation_time": "e.time_us", "creation_ts": "e.time_us",
	"start_time": "b.start_us", "start_ts": "b.start_us",
	"completion_time": "b.completion_us", "completion_ts": "b.completion_us",
	"promotion_time": "b.promotion_us", "promotion_ts": "b.promotion_us",
	"promoter_id": "b.promoter", "promoter_name": "pr.name", "source": "b.source", "extra": "b.extra",
}

// BuildByID returns the build or nil.
func BuildByID(ctx context.Context, tx *Tx, id int64) (*hub.Build, error) {
	return oneBuild(ctx, tx, " WHERE b.id = ?", id)
}

// BuildByNVR returns the build of that name, version and release, or nil.
func BuildByNVR(ctx context.Context, tx *Tx, name, version, release string) (*hub.Build, error) {
	return oneBuild(ctx, tx, " WHERE p.name = ? AND b.version = ? AND b.release = ?", name, version, release)
}

func oneBuild(ctx context.Context, tx *Tx, where string, args ...any) (*hub.Build, error) {
	var rows []hub.Build
	if err := tx.Select(ctx, &rows, buildCols+buildFrom+where, args...); err != nil {
		return nil, fmt.Errorf("read build: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// NewBuild is what CreateBuild inserts.
type NewBuild struct {
	PackageID    int64
	Version      string
	Release      string
	Epoch        *int64
	Draft        bool
	State        int
	TaskID       *int64
	Owner        int64
	StartUS      *int64
	CompletionUS *int64
	Source       *string
	Extra        *string
}

// CreateBuild inserts a build at this transaction's event and returns its id.
func CreateBuild(ctx context.Context, tx *Tx, nb NewBuild) (int64, error) {
	ev, err := tx.Event(ctx)
	if err != nil {
		return 0, err
	}
	id, err := tx.InsertID(ctx, `INSERT INTO build (pkg_id, version, release, epoch, draft, state, task_id,
		owner, create_event, start_us, completion_us, volume_id, source, extra)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
		nb.PackageID, nb.Version, nb.Release, nb.Epoch, nb.Draft, nb.State, nb.TaskID,
		nb.Owner, ev, nb.StartUS, nb.CompletionUS, nb.Source, nb.Extra)
	if err != nil {
		return 0, fmt.Errorf("create build: %w", err)
	}
	return id, nil
}

// SetBuildFields updates columns of a build by name.
func SetBuildFields(ctx context.Context, tx *Tx, id int64, fields map[string]any) error {
	names := sortedKeys(fields)
	sets := make([]string, len(names))
	args := make([]any, 0, len(names)+1)
	for i, n := range names {
		switch n {
		case "state", "owner", "completion_us", "start_us", "task_id", "volume_id", "epoch", "source", "extra":
		default:
			return fmt.Errorf("SetBuildFields: column %q is not settable", n)
		}
		sets[i] = n + " = ?"
		args = append(args, fields[n])
	}
	if _, err := tx.Exec(ctx, "UPDATE build SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, id)...); err != nil {
		return fmt.Errorf("update build %d: %w", id, err)
	}
	return nil
}

// SetBuildState moves a build from one state to another; it reports false
// when the build was not in state from.
func SetBuildState(ctx context.Context, tx *Tx, id int64, from, to int, completionUS *int64) (bool, error) {
	q := "UPDATE build SET state = ?"
	args := []any{to}
	if completionUS != nil {
		q += ", completion_us = ?"
		args = append(args, *completionUS)
	}
	n, err := tx.Exec(ctx, q+" WHERE id = ? AND state = ?", append(args, id, from)...)
	if err != nil {
		return false, fmt.Errorf("update build %d: %w", id, err)
	}
	return n == 1, nil
}

// BuildFilter selects builds for ListBuilds; nil fields select everything.
type BuildFilter struct {
	PackageID      *int64
	OwnerID        *int64
	TaskID         *int64 // -1: any build with a task
	VolumeID       *int64
	State          *int64
	Prefix         string // package name prefix, case-insensitive
	Pattern        string // glob on the NVR, case-insensitive
	Source         string // glob on source, case-insensitive
	CreatedBefore  *int64 // microseconds
	CreatedAfter   *int64
	CompleteBefore *int64
	CompleteAfter  *int64
	PromotedBefore *int64
	PromotedAfter  *int64
	PromoterID     *int64
	Draft          *bool
	RPMType        bool // only builds of Koji's type "rpm" (RPMTypeCond)
}

// RPMTypeCond is true for a build b of Koji's type "rpm": Koji gives a
// build that type when a build task creates it or an rpm is imported into
// it, so an empty build (createEmptyBuild) has no type.
const RPMTypeCond = "(b.task_id IS NOT NULL OR EXISTS (SELECT 1 FROM rpminfo r WHERE r.build_id = b.id))"

// IsRPMBuild reports whether a build is of Koji's type "rpm".
func IsRPMBuild(ctx context.Context, tx *Tx, buildID int64) (bool, error) {
	var ok bool
	if err := tx.Get(ctx, &ok, "SELECT EXISTS (SELECT 1 FROM build b WHERE b.id = ? AND "+RPMTypeCond+")", buildID); err != nil {
		return false, fmt.Errorf("read type of build %d: %w", buildID, err)
	}
	return ok, nil
}

func (f BuildFilter) where(d Dialect) (string, []any) {
	var c conds
	add := c.add
	if f.PackageID != nil {
		add("b.pkg_id = ?", *f.PackageID)
	}
	if f.OwnerID != nil {
		add("b.owner = ?", *f.OwnerID)
	}
	if f.TaskID != nil {
		if *f.TaskID == -1 {
			add("b.task_id IS NOT NULL")
		} else {
			add("b.task_id = ?", *f.TaskID)
		}
	}
	if f.VolumeID != nil {
		add("b.volume_id = ?", *f.VolumeID)
	}
	if f.State != nil {
		add("b.state = ?", *f.State)
	}
	like := d.CaseInsensitiveLike()
	if f.Prefix != "" {
		add("p.name "+like+" ? ESCAPE '\\'", likeEscape(f.Prefix)+"%")
	}
	if f.Pattern != "" {
		add("(p.name || '-' || b.version || '-' || b.release) "+like+" ? ESCAPE '\\'", GlobToLike(f.Pattern))
	}
	if f.Source != "" {
		add("b.source "+like+" ? ESCAPE '\\'", GlobToLike(f.Source))
	}
	cmp := func(col, op string, v *int64) {
		if v != nil {
			add(col+" "+op+" ?", *v)
		}
	}
	cmp("e.time_us", "<", f.CreatedBefore)
	cmp("e.time_us", ">", f.CreatedAfter)
	cmp("b.completion_us", "<", f.CompleteBefore)
	cmp("b.completion_us", ">", f.CompleteAfter)
	cmp("b.promotion_us", "<", f.PromotedBefore)
	cmp("b.promotion_us", ">", f.PromotedAfter)
	cmp("b.promoter", "=", f.PromoterID)
	if f.Draft != nil {
		add("b.draft = ?", *f.Draft)
	}
	if f.RPMType {
		add(RPMTypeCond)
	}
	return c.where(), c.args
}

// ListBuilds returns the builds matching f, paged in SQL.
func ListBuilds(ctx context.Context, tx *Tx, f BuildFilter, p Page) ([]hub.Build, error) {
	where, args := f.where(tx.Dialect)
	var rows []hub.Build
	if err := tx.Select(ctx, &rows, buildCols+buildFrom+where+p.clause(tx.Dialect, "b.id"), args...); err != nil {
		return nil, fmt.Errorf("list builds: %w", err)
	}
	return rows, nil
}

// CountBuilds counts the builds matching f, within the page.
func CountBuilds(ctx context.Context, tx *Tx, f BuildFilter, p Page) (int64, error) {
	where, args := f.where(tx.Dialect)
	n, err := count(ctx, tx, buildFrom+where, p, args)
	if err != nil {
		return 0, fmt.Errorf("count builds: %w", err)
	}
	return n, nil
}

// LatestRelease is the release of the newest non-draft build of name and
// version in one of states, or "" when there is none.
func LatestRelease(ctx context.Context, tx *Tx, name, version string, states []int) (string, error) {
	q := `SELECT b.release FROM build b JOIN package p ON p.id = b.pkg_id
		WHERE p.name = ? AND b.version = ? AND b.draft = FALSE AND b.state IN (?` +
		strings.Repeat(", ?", len(states)-1) + `) ORDER BY b.id DESC LIMIT 1`
	args := []any{name, version}
	for _, s := range states {
		args = append(args, s)
	}
	var rel []string
	if err := tx.Select(ctx, &rel, q, args...); err != nil {
		return "", fmt.Errorf("latest release of %s-%s: %w", name, version, err)
	}
	if len(rel) == 0 {
		return "", nil
	}
	return rel[0], nil
}

// AverageBuildDuration is the mean time, in microseconds, from creation to
// completion of the package's complete builds that ran in a task, optionally
// only those completed after sinceUS. ok is false when there are none.
func AverageBuildDuration(ctx context.Context, tx *Tx, pkgID int64, sinceUS *int64) (float64, bool, error) {
	q := `SELECT AVG(CAST(b.completion_us - e.time_us AS DOUBLE PRECISION)) FROM build b JOIN events e ON e.id = b.create_event
		WHERE b.pkg_id = ? AND b.state = ? AND b.completion_us IS NOT NULL
		AND (b.task_id IS NOT NULL OR b.extra LIKE '%koji_task_id%')`
	args := []any{pkgID, hub.BuildComplete}
	if sinceUS != nil {
		q += " AND b.completion_us > ?"
		args = append(args, *sinceUS)
	}
	var avg *float64
	if err := tx.Get(ctx, &avg, q, args...); err != nil {
		return 0, false, fmt.Errorf("average build duration: %w", err)
	}
	if avg == nil {
		return 0, false, nil
	}
	return *avg, true, nil
}

// DeleteBuildContents removes what a reset build loses: its rpms and their
// signatures.
func DeleteBuildContents(ctx context.Context, tx *Tx, buildID int64) error {
	if err := DeleteBuildSigs(ctx, tx, buildID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM rpminfo WHERE build_id = ?", buildID); err != nil {
		return fmt.Errorf("delete rpms of build %d: %w", buildID, err)
	}
	return nil
}

// DeleteBuildSigs removes the signature rows of a build's rpms, and their
// checksums.
func DeleteBuildSigs(ctx context.Context, tx *Tx, buildID int64) error {
	if _, err := tx.Exec(ctx, "DELETE FROM rpm_checksum WHERE rpm_id IN (SELECT id FROM rpminfo WHERE build_id = ?)", buildID); err != nil {
		return fmt.Errorf("delete checksums of build %d: %w", buildID, err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM rpmsigs WHERE rpm_id IN (SELECT id FROM rpminfo WHERE build_id = ?)", buildID); err != nil {
		return fmt.Errorf("delete signatures of build %d: %w", buildID, err)
	}
	return nil
}

// GlobToLike turns a shell glob (* and ?) into a LIKE pattern with '\' as escape.
func GlobToLike(glob string) string {
	var b strings.Builder
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
