package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gokoji/gokoji/hub"
)

// DefaultVolume is the volume that is the topdir itself.
const DefaultVolume = "DEFAULT"

// VolumeDir is a volume's directory relative to the topdir: "." for
// DEFAULT, vol/<name> for the others (Koji's PathInfo.volumedir).
func VolumeDir(volume string) string {
	if volume == "" || volume == DefaultVolume {
		return "."
	}
	return filepath.Join("vol", volume)
}

// BuildDirOn is a build's directory on a volume, relative to the topdir.
// BuildDir (the DEFAULT volume's) stays valid for builds on other volumes:
// it holds a symlink to the real directory.
func BuildDirOn(volume, name, version, release string) string {
	return filepath.Join(VolumeDir(volume), BuildDir(name, version, release))
}

// CheckVolumeName refuses names that would leave vol/ as a path. Koji
// trusts admins here; a name with a slash or a dot-dot would still put a
// volume outside the tree, so refuse it.
func CheckVolumeName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return hub.GenericError("Invalid volume name: %s", name)
	}
	return nil
}

// VolumeLink is the toplink a new volume needs: vol/<name>/toplink, a symlink
// to the topdir, so relative links inside the volume can reach the default
// volume. It is made when the transaction commits and removed if it fails.
type VolumeLink struct {
	path, target string
	made         bool
}

// PrepareVolume checks a volume about to be added, as Koji's add_volume does:
// its directory must exist (admins create and mount it), and a toplink, if
// present, must be a symlink to the topdir. The returned link (nil when the
// toplink is already in place) creates a missing one.
func (t *Tree) PrepareVolume(name string) (*VolumeLink, error) {
	if err := CheckVolumeName(name); err != nil {
		return nil, err
	}
	voldir := t.Abs(VolumeDir(name))
	if st, err := os.Stat(voldir); err != nil || !st.IsDir() {
		return nil, hub.GenericError("please create the volume directory first")
	}
	toplink := filepath.Join(voldir, "toplink")
	st, err := os.Lstat(toplink)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &VolumeLink{path: toplink, target: t.Root}, nil
	case err != nil:
		return nil, fmt.Errorf("check volume toplink: %w", err)
	case st.Mode()&fs.ModeSymlink == 0:
		return nil, hub.GenericError("Not a symlink: %s", toplink)
	}
	dst, err := os.Stat(toplink)
	if err != nil {
		return nil, hub.GenericError("Broken volume toplink: %s", toplink)
	}
	top, err := os.Stat(t.Root)
	if err != nil {
		return nil, fmt.Errorf("stat topdir: %w", err)
	}
	if !os.SameFile(dst, top) {
		return nil, hub.GenericError("Invalid volume toplink: %s", toplink)
	}
	return nil, nil
}

// Commit creates the toplink.
func (l *VolumeLink) Commit() error {
	if err := os.Symlink(l.target, l.path); err != nil {
		return fmt.Errorf("create volume toplink: %w", err)
	}
	l.made = true
	return nil
}

// Abort removes a toplink Commit made.
func (l *VolumeLink) Abort() {
	if l.made {
		os.Remove(l.path)
		l.made = false
	}
}

// Done has nothing left to do.
func (l *VolumeLink) Done() {}

// BuildMove moves a build's directory from one volume to another in steps
// that follow the database transaction, so the files and the build's
// recorded volume agree whether the transaction commits or not:
//
//   - Commit (just before the database commits) renames the directory onto
//     the new volume and points the DEFAULT volume's build path at it with a
//     relative symlink, as Koji's change_build_volume leaves it. Volumes are
//     often separate mounts: when a rename cannot cross, the tree is copied
//     instead and the old one stays until Done.
//   - Abort (the transaction failed) puts everything back as it was.
//   - Finish (committed) removes a copied-from tree and makes the symlink then.
//
// Commit and Abort are an api Effect's; its Done calls Finish and logs.
type BuildMove struct {
	oldDir, newDir string // absolute build directories on the two volumes
	baseDir        string // the build's path on the DEFAULT volume
	toDefault      bool

	rename func(oldpath, newpath string) error // os.Rename; tests force a copy

	removedLink string // target of a DEFAULT symlink removed to make room
	renamed     bool
	copied      bool
	oldLink     string // target of the DEFAULT symlink replaced by ours
	linked      bool
}

// PrepareBuildMove checks that a build can move from volume from to volume
// to, as Koji does before it copies anything: the target volume's directory
// exists, no volume but the source holds the build (DEFAULT may hold the
// convenience symlink), and the source directory is there. volumes lists
// every known volume.
func (t *Tree) PrepareBuildMove(name, version, release, from, to string, volumes []string) (*BuildMove, error) {
	if err := CheckVolumeName(to); err != nil {
		return nil, err
	}
	if st, err := os.Stat(t.Abs(VolumeDir(to))); err != nil || !st.IsDir() {
		return nil, hub.GenericError("Directory entry missing for volume %s", to)
	}
	for _, v := range volumes {
		dir := t.Abs(BuildDirOn(v, name, version, release))
		st, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("check %s: %w", dir, err)
		}
		switch {
		case v == from:
		case v == DefaultVolume && st.Mode()&fs.ModeSymlink != 0:
			// the convenience symlink to the build's current volume
		case v == to:
			return nil, hub.GenericError("Destination directory exists: %s", dir)
		default:
			return nil, hub.GenericError("Unexpected cross-volume content: %s", dir)
		}
	}
	m := &BuildMove{
		oldDir:    t.Abs(BuildDirOn(from, name, version, release)),
		newDir:    t.Abs(BuildDirOn(to, name, version, release)),
		baseDir:   t.Abs(BuildDir(name, version, release)),
		toDefault: to == DefaultVolume,
		rename:    os.Rename,
	}
	st, err := os.Stat(m.oldDir)
	if err != nil {
		return nil, hub.GenericError("Build directory missing: %s", m.oldDir)
	}
	if !st.IsDir() {
		return nil, hub.GenericError("Not a directory: %s", m.oldDir)
	}
	return m, nil
}

// Commit moves the directory (or copies it, across filesystems).
func (m *BuildMove) Commit() error {
	if m.toDefault {
		// Moving home: the convenience symlink is where the directory goes.
		if target, err := os.Readlink(m.newDir); err == nil {
			if err := os.Remove(m.newDir); err != nil {
				return fmt.Errorf("remove volume symlink: %w", err)
			}
			m.removedLink = target
		}
	}
	if err := os.MkdirAll(filepath.Dir(m.newDir), 0o755); err != nil {
		return fmt.Errorf("create build parent directory: %w", err)
	}
	err := m.rename(m.oldDir, m.newDir)
	switch {
	case err == nil:
		m.renamed = true
	case errors.Is(err, syscall.EXDEV):
		if err := copyTreeInto(m.oldDir, m.newDir); err != nil {
			return fmt.Errorf("copy build to new volume: %w", err)
		}
		m.copied = true
		return nil // the old tree is in the way of the symlink until Done
	default:
		return fmt.Errorf("move build directory: %w", err)
	}
	return m.link()
}

// link points the DEFAULT volume's build path at the new directory.
func (m *BuildMove) link() error {
	if m.toDefault {
		return nil
	}
	if target, err := os.Readlink(m.baseDir); err == nil {
		if err := os.Remove(m.baseDir); err != nil {
			return fmt.Errorf("remove old volume symlink: %w", err)
		}
		m.oldLink = target
	}
	rel, err := filepath.Rel(filepath.Dir(m.baseDir), m.newDir)
	if err != nil {
		return fmt.Errorf("volume symlink: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(m.baseDir), 0o755); err != nil {
		return fmt.Errorf("create build parent directory: %w", err)
	}
	if err := os.Symlink(rel, m.baseDir); err != nil {
		return fmt.Errorf("create volume symlink: %w", err)
	}
	m.linked = true
	return nil
}

// Abort undoes Commit in reverse order.
func (m *BuildMove) Abort() {
	if m.linked {
		os.Remove(m.baseDir)
		m.linked = false
	}
	if m.oldLink != "" {
		os.Symlink(m.oldLink, m.baseDir)
		m.oldLink = ""
	}
	if m.renamed {
		m.rename(m.newDir, m.oldDir)
		m.renamed = false
	}
	if m.copied {
		os.RemoveAll(m.newDir)
		m.copied = false
	}
	if m.removedLink != "" {
		os.Symlink(m.removedLink, m.newDir)
		m.removedLink = ""
	}
}

// Finish completes a copy: the old tree goes and the symlink takes its
// place. The database has committed, so the caller can only log a failure;
// the new volume already holds the build either way.
func (m *BuildMove) Finish() error {
	if !m.copied {
		return nil
	}
	if err := os.RemoveAll(m.oldDir); err != nil {
		return fmt.Errorf("remove build from old volume: %w", err)
	}
	return m.link()
}

// copyTreeInto copies the directory src to dst (which must not exist) under
// a temporary name first, so dst appears whole or not at all.
func copyTreeInto(src, dst string) error {
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".copying")
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(tmp, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(out, info.Mode().Perm())
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, out) // as Koji's copytree(symlinks=True)
		case info.Mode().IsRegular():
			return copyFileMode(p, out, info.Mode().Perm())
		}
		return fmt.Errorf("cannot copy %s: not a file, directory or symlink", p)
	})
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.RemoveAll(tmp)
	}
	return err
}

func copyFileMode(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
