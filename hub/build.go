package hub

import "fmt"

// Build states (Koji's BUILD_STATES). Clients index a list by these numbers.
const (
	BuildBuilding = 0
	BuildComplete = 1
	BuildDeleted  = 2
	BuildFailed   = 3
	BuildCanceled = 4
)

var buildStateNames = []string{"BUILDING", "COMPLETE", "DELETED", "FAILED", "CANCELED"}

// BuildStateName is the state's name, as Koji prints it in messages.
func BuildStateName(state int) string {
	if state >= 0 && state < len(buildStateNames) {
		return buildStateNames[state]
	}
	return fmt.Sprint(state)
}

// Package is a row of the package table.
type Package struct {
	ID   int64  `db:"id" xmlrpc:"id"`
	Name string `db:"name" xmlrpc:"name"`
}

// Build is a build as the store reads it. Times are microseconds since the
// epoch; the API layer renders them as Koji's *_time strings and *_ts doubles.
type Build struct {
	ID           int64   `db:"id"`
	PackageID    int64   `db:"pkg_id"`
	PackageName  string  `db:"package_name"`
	Version      string  `db:"version"`
	Release      string  `db:"release"`
	Epoch        *int64  `db:"epoch"`
	Draft        bool    `db:"draft"`
	State        int     `db:"state"`
	TaskID       *int64  `db:"task_id"`
	OwnerID      int64   `db:"owner"`
	OwnerName    string  `db:"owner_name"`
	CreateEvent  int64   `db:"create_event"`
	CreationUS   int64   `db:"creation_us"`
	StartUS      *int64  `db:"start_us"`
	CompletionUS *int64  `db:"completion_us"`
	PromotionUS  *int64  `db:"promotion_us"`
	PromoterID   *int64  `db:"promoter"`
	PromoterName *string `db:"promoter_name"`
	VolumeID     int64   `db:"volume_id"`
	VolumeName   string  `db:"volume_name"`
	Source       *string `db:"source"`
	Extra        *string `db:"extra"` // JSON text
	CGID         *int64  `db:"cg_id"`
}

// NVR is name-version-release.
func (b *Build) NVR() string { return b.PackageName + "-" + b.Version + "-" + b.Release }

// RPM is a row of rpminfo.
type RPM struct {
	ID             int64   `db:"id"`
	BuildID        *int64  `db:"build_id"`
	BuildrootID    *int64  `db:"buildroot_id"`
	Name           string  `db:"name"`
	Version        string  `db:"version"`
	Release        string  `db:"release"`
	Epoch          *int64  `db:"epoch"`
	Arch           string  `db:"arch"`
	Draft          bool    `db:"draft"`
	ExternalRepoID int64   `db:"external_repo_id"`
	PayloadHash    string  `db:"payloadhash"`
	Size           int64   `db:"size"`
	BuildTime      int64   `db:"buildtime"`
	MetadataOnly   bool    `db:"metadata_only"`
	Extra          *string `db:"extra"`
}

// NVR is name-version-release.
func (r *RPM) NVR() string { return r.Name + "-" + r.Version + "-" + r.Release }

// NVRA is name-version-release.arch.
func (r *RPM) NVRA() string { return r.NVR() + "." + r.Arch }

// FileName is the rpm's file name: N-V-R.A.rpm.
func (r *RPM) FileName() string { return r.NVRA() + ".rpm" }

// ExternalRepoName is the external repo's name; INTERNAL for our own rpms.
func (r *RPM) ExternalRepoName() string {
	if r.ExternalRepoID == 0 {
		return "INTERNAL"
	}
	return fmt.Sprintf("external-%d", r.ExternalRepoID)
}
