package store

import (
	"context"
	"fmt"

	"github.com/gokoji/gokoji/hub"
)

const rpmCols = `SELECT r.id, r.build_id, r.buildroot_id, r.name, r.version, r.release, r.epoch, r.arch,
	r.draft, r.external_repo_id, r.payloadhash, r.size, r.buildtime, r.metadata_only, r.extra`

// RPMOrderFields maps the names Koji's queryOpts may order rpms by to SQL.
var RPMOrderFields = map[string]string{
	"id": "r.id", "name": "r.name", "version": "r.version", "release": "r.release",
	"nvr": "r.name || '-' || r.version || '-' || r.release", "arch": "r.arch", "epoch": "r.epoch",
	"draft": "r.draft", "payloadhash": "r.payloadhash", "size": "r.size", "buildtime": "r.buildtime",
	"build_id": "r.build_id", "buildroot_id": "r.buildroot_id", "external_repo_id": "r.external_repo_id",
	"external_repo_name": "r.external_repo_id", "metadata_only": "r.metadata_only", "extra": "r.extra",
}

// InsertRPMIfNew adds r, with its signature header's record sig, unless
// an rpm with its name, version, release, arch and external repo exists,
// and returns the new id, or 0 when one exists (and nothing was added).
// One statement where a lookup first would take two; on PostgreSQL the
// signature rides along in it too, one round trip in all.
func InsertRPMIfNew(ctx context.Context, tx *Tx, r hub.RPM, sig RPMSig) (int64, error) {
	insert := `INSERT INTO rpminfo (build_id, buildroot_id, name, version, release, epoch,
		arch, draft, external_repo_id, payloadhash, size, buildtime, metadata_only, extra)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (name, version, release, arch, external_repo_id) DO NOTHING RETURNING id`
	args := []any{r.BuildID, r.BuildrootID, r.Name, r.Version, r.Release, r.Epoch, r.Arch, r.Draft,
		r.ExternalRepoID, r.PayloadHash, r.Size, r.BuildTime, r.MetadataOnly, r.Extra}
	if tx.Dialect == Postgres {
		// A new rpm has no signatures yet, so this insert cannot conflict.
		insert = "WITH r AS (" + insert + "), s AS (INSERT INTO rpmsigs (rpm_id, sigkey, sighash)" +
			" SELECT id, ?, ? FROM r) SELECT id FROM r"
		args = append(args, sig.SigKey, sig.SigHash)
	}
	var ids []int64
	if err := tx.Select(ctx, &ids, insert, args...); err != nil {
		return 0, fmt.Errorf("insert rpm %s: %w", r.NVRA(), err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if tx.Dialect != Postgres {
		sig.RPMID = ids[0]
		if _, err := InsertRPMSig(ctx, tx, sig); err != nil {
			return 0, err
		}
	}
	return ids[0], nil
}

// RPMByID returns the rpm or nil.
func RPMByID(ctx context.Context, tx *Tx, id int64) (*hub.RPM, error) {
	rows, err := selectRPMs(ctx, tx, " WHERE r.id = ?", id)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// RPMsByNVRA returns every rpm (internal or external) with that name,
// version, release and arch; externalRepo, when set, narrows to one repo.
func RPMsByNVRA(ctx context.Context, tx *Tx, name, version, release, arch string, externalRepo *int64) ([]hub.RPM, error) {
	where := " WHERE r.name = ? AND r.version = ? AND r.release = ? AND r.arch = ?"
	args := []any{name, version, release, arch}
	if externalRepo != nil {
		where += " AND r.external_repo_id = ?"
		args = append(args, *externalRepo)
	}
	return selectRPMs(ctx, tx, where+" ORDER BY r.id", args...)
}

func selectRPMs(ctx context.Context, tx *Tx, tail string, args ...any) ([]hub.RPM, error) {
	var rows []hub.RPM
	if err := tx.Select(ctx, &rows, rpmCols+" FROM rpminfo r"+tail, args...); err != nil {
		return nil, fmt.Errorf("read rpms: %w", err)
	}
	return rows, nil
}

// RPMFilter selects rpms for ListRPMs; nil fields select everything.
type RPMFilter struct {
	BuildID     *int64
	BuildrootID *int64
	// ComponentBuildrootID: rpms installed in that buildroot.
	ComponentBuildrootID *int64
	HostID               *int64   // rpms built in a buildroot of that host
	Arches               []string // nil = any arch; empty = none
	Draft                *bool
}

func (f RPMFilter) where() (string, []any, bool) {
	var c conds
	if f.BuildID != nil {
		c.add("r.build_id = ?", *f.BuildID)
	}
	if f.BuildrootID != nil {
		c.add("r.buildroot_id = ?", *f.BuildrootID)
	}
	if f.ComponentBuildrootID != nil {
		c.add("r.id IN (SELECT rpm_id FROM buildroot_listing WHERE buildroot_id = ?)", *f.ComponentBuildrootID)
	}
	if f.HostID != nil {
		c.add("r.buildroot_id IN (SELECT buildroot_id FROM standard_buildroot WHERE host_id = ?)", *f.HostID)
	}
	if f.Arches != nil {
		if len(f.Arches) == 0 {
			return "", nil, false
		}
		in, args := InList(f.Arches)
		c.add("r.arch IN "+in, args...)
	}
	if f.Draft != nil {
		c.add("r.draft = ?", *f.Draft)
	}
	return c.where(), c.args, true
}

// ListRPMs returns the rpms matching f, paged in SQL.
func ListRPMs(ctx context.Context, tx *Tx, f RPMFilter, p Page) ([]hub.RPM, error) {
	where, args, ok := f.where()
	if !ok {
		return []hub.RPM{}, nil
	}
	return selectRPMs(ctx, tx, where+p.clause(tx.Dialect, "r.id"), args...)
}

// CountRPMs counts the rpms matching f, within the page.
func CountRPMs(ctx context.Context, tx *Tx, f RPMFilter, p Page) (int64, error) {
	where, args, ok := f.where()
	if !ok {
		return 0, nil
	}
	return count(ctx, tx, "FROM rpminfo r"+where, p, args)
}

// RPMSig is a row of rpmsigs.
type RPMSig struct {
	RPMID   int64  `db:"rpm_id" xmlrpc:"rpm_id"`
	SigKey  string `db:"sigkey" xmlrpc:"sigkey"`
	SigHash string `db:"sighash" xmlrpc:"sighash"`
}

// InsertRPMSig records a signature header; ok is false when the rpm already
// has one for that key.
func InsertRPMSig(ctx context.Context, tx *Tx, s RPMSig) (ok bool, err error) {
	// ON CONFLICT rather than catching the error: on PostgreSQL a failed
	// statement aborts the transaction unless a savepoint (two more round
	// trips) guards it.
	n, err := tx.Exec(ctx, "INSERT INTO rpmsigs (rpm_id, sigkey, sighash) VALUES (?, ?, ?) ON CONFLICT (rpm_id, sigkey) DO NOTHING",
		s.RPMID, s.SigKey, s.SigHash)
	if err != nil {
		return false, fmt.Errorf("insert signature of rpm %d: %w", s.RPMID, err)
	}
	return n > 0, nil
}

// RPMSigOrderFields maps queryOpts order names for rpmsigs.
var RPMSigOrderFields = map[string]string{"rpm_id": "rpm_id", "sigkey": "sigkey", "sighash": "sighash"}

// QueryRPMSigs lists signatures, optionally of one rpm and/or one key.
func QueryRPMSigs(ctx context.Context, tx *Tx, rpmID *int64, sigkey *string, p Page) ([]RPMSig, error) {
	var c conds
	if rpmID != nil {
		c.add("rpm_id = ?", *rpmID)
	}
	if sigkey != nil {
		c.add("sigkey = ?", *sigkey)
	}
	var out []RPMSig
	if err := tx.Select(ctx, &out, "SELECT rpm_id, sigkey, sighash FROM rpmsigs"+c.where()+p.clause(tx.Dialect, "rpm_id, sigkey"), c.args...); err != nil {
		return nil, fmt.Errorf("query rpm signatures: %w", err)
	}
	return out, nil
}

// DeleteRPMSigs removes an rpm's signatures with the given keys
// (deleteRPMSig), and their checksums; it returns how many went.
func DeleteRPMSigs(ctx context.Context, tx *Tx, rpmID int64, sigkeys []string) (int64, error) {
	if len(sigkeys) == 0 {
		return 0, nil
	}
	in, inArgs := InList(sigkeys)
	if _, err := tx.Exec(ctx, "DELETE FROM rpm_checksum WHERE rpm_id = ? AND sigkey IN "+in, append([]any{rpmID}, inArgs...)...); err != nil {
		return 0, fmt.Errorf("delete checksums of rpm %d: %w", rpmID, err)
	}
	n, err := tx.Exec(ctx, "DELETE FROM rpmsigs WHERE rpm_id = ? AND sigkey IN "+in, append([]any{rpmID}, inArgs...)...)
	if err != nil {
		return 0, fmt.Errorf("delete signatures of rpm %d: %w", rpmID, err)
	}
	return n, nil
}

// RPMChecksum is a row of rpm_checksum: one checksum of an rpm's file as
// signed with SigKey. Type numbers Koji's CHECKSUM_TYPES.
type RPMChecksum struct {
	RPMID    int64  `db:"rpm_id"`
	SigKey   string `db:"sigkey"`
	Type     int64  `db:"checksum_type"`
	Checksum string `db:"checksum"`
}

// RPMChecksums reads an rpm's recorded checksums of the given types.
func RPMChecksums(ctx context.Context, tx *Tx, rpmID int64, types []int64) ([]RPMChecksum, error) {
	in, args := InList(types)
	var out []RPMChecksum
	if err := tx.Select(ctx, &out, "SELECT rpm_id, sigkey, checksum_type, checksum FROM rpm_checksum WHERE rpm_id = ? AND checksum_type IN "+in+
		" ORDER BY sigkey, checksum_type", append([]any{rpmID}, args...)...); err != nil {
		return nil, fmt.Errorf("read checksums of rpm %d: %w", rpmID, err)
	}
	return out, nil
}

// InsertRPMChecksum records a checksum unless one of its type is recorded
// already for the rpm and key.
func InsertRPMChecksum(ctx context.Context, tx *Tx, c RPMChecksum) error {
	if _, err := tx.Exec(ctx, `INSERT INTO rpm_checksum (rpm_id, sigkey, checksum_type, checksum) VALUES (?, ?, ?, ?)
		ON CONFLICT (rpm_id, sigkey, checksum_type) DO NOTHING`, c.RPMID, c.SigKey, c.Type, c.Checksum); err != nil {
		return fmt.Errorf("record checksum of rpm %d: %w", c.RPMID, err)
	}
	return nil
}
