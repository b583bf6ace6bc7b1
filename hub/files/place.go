package files

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Placement puts one file into the topdir in steps that follow a database
// transaction: the content is first staged under a hidden temporary name next
// to its destination; Commit moves it into place (just before the database
// commits); Abort removes whatever was staged or placed (the transaction
// failed); Done runs once the database has committed.
type Placement struct {
	tmp, dst string
	src      string // an upload to remove once done ("" for none)
	linkBack bool   // leave a relative symlink to dst where src was
	replace  bool   // dst may exist; Commit replaces it
	old      string // the replaced file, kept until Done so Abort can restore it
	placed   bool
}

// LinkBack makes Done replace the source (a task's output) with a relative
// symlink to the file's new place, as Koji's move_and_symlink does, so the
// task's output still lists and downloads it.
func (p *Placement) LinkBack() { p.linkBack = true }

// Stage copies src (an upload) to a temporary name beside dst (relative to
// the topdir). dst must not exist yet. A hard link is used when possible, so
// large rpms are not copied.
func (t *Tree) Stage(src, dst string, removeSrc bool) (*Placement, error) {
	p, err := t.newPlacement(dst, false)
	if err != nil {
		return nil, err
	}
	if err := os.Link(src, p.tmp); err != nil {
		if err := copyFile(src, p.tmp); err != nil {
			os.Remove(p.tmp)
			return nil, err
		}
	}
	if removeSrc {
		p.src = src
	}
	return p, nil
}

// StageBytes writes data to a temporary name beside dst.
func (t *Tree) StageBytes(data []byte, dst string) (*Placement, error) {
	return t.StageWrite(dst, false, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// StageWrite has write fill a temporary file beside dst. With replace, dst
// may already exist: Commit then replaces it (atomically, by rename) and
// Abort puts the old file back.
func (t *Tree) StageWrite(dst string, replace bool, write func(io.Writer) error) (*Placement, error) {
	p, err := t.newPlacement(dst, replace)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p.tmp)
		return nil, err
	}
	return p, nil
}

// newPlacement prepares a placement of dst, which must not exist unless
// replace.
func (t *Tree) newPlacement(dst string, replace bool) (*Placement, error) {
	abs := t.Abs(dst)
	if !replace {
		if _, err := os.Lstat(abs); err == nil {
			return nil, fmt.Errorf("%s already exists", dst)
		}
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, err
	}
	// A random hidden name; Stage creates it exclusively (link or O_EXCL).
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, err
	}
	return &Placement{tmp: hiddenName(abs, "tmp", r[:]), dst: abs, replace: replace}, nil
}

// hiddenName is a hidden name beside abs for work in progress.
func hiddenName(abs, what string, r []byte) string {
	return filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+"."+what+"-"+hex.EncodeToString(r))
}

// Commit moves the staged file into place.
func (p *Placement) Commit() error {
	if _, err := os.Lstat(p.dst); err == nil {
		if !p.replace {
			return fmt.Errorf("%s appeared while importing", p.dst)
		}
		// Keep the old file under a second name until the transaction ends.
		old := p.tmp + ".old"
		if err := os.Link(p.dst, old); err != nil {
			return fmt.Errorf("keep %s: %w", p.dst, err)
		}
		p.old = old
	}
	if err := os.Rename(p.tmp, p.dst); err != nil {
		if p.old != "" {
			os.Remove(p.old)
			p.old = ""
		}
		return err
	}
	p.placed = true
	return nil
}

// Abort removes the staged or placed file, restoring one it replaced.
func (p *Placement) Abort() {
	os.Remove(p.tmp)
	if p.placed {
		if p.old != "" {
			os.Rename(p.old, p.dst)
			p.old = ""
		} else {
			os.Remove(p.dst)
		}
		p.placed = false
	}
}

// Done removes the upload the file came from (or links it to its new place)
// and drops a replaced file.
func (p *Placement) Done() {
	if p.old != "" {
		os.Remove(p.old)
		p.old = ""
	}
	if p.src == "" {
		return
	}
	os.Remove(p.src)
	if p.linkBack {
		if rel, err := filepath.Rel(filepath.Dir(p.src), p.dst); err == nil {
			os.Symlink(rel, p.src)
		}
	}
}

func copyFile(src, dst string) error { return copyFileMode(src, dst, 0o644) }

// RemoveBuildDir deletes a build's directory on its volume (deleteBuild,
// resetBuild) and, for a build off the DEFAULT volume, the symlink to it
// there. A missing directory is fine.
func (t *Tree) RemoveBuildDir(volume, name, version, release string) error {
	dirs := []string{BuildDirOn(volume, name, version, release)}
	if VolumeDir(volume) != "." {
		dirs = append(dirs, BuildDir(name, version, release))
	}
	for _, d := range dirs {
		if err := os.RemoveAll(t.Abs(d)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Move takes a file out of the topdir, or renames it, in step with a
// transaction: Commit renames it (to a hidden name when it is to go), Abort
// renames it back, Done deletes it if it was to go. A file that is already
// gone is no error: there is nothing to undo.
type Move struct {
	from, to string
	discard  bool
	moved    bool
}

// StageRemove prepares the removal of rel (relative to the topdir).
func (t *Tree) StageRemove(rel string) (*Move, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, err
	}
	abs := t.Abs(rel)
	return &Move{from: abs, to: hiddenName(abs, "del", r[:]), discard: true}, nil
}

// StageRename prepares renaming from to to (both relative to the topdir);
// to must not exist.
func (t *Tree) StageRename(from, to string) *Move {
	return &Move{from: t.Abs(from), to: t.Abs(to)}
}

// Commit renames the file.
func (m *Move) Commit() error {
	if _, err := os.Lstat(m.to); err == nil {
		return fmt.Errorf("%s already exists", m.to)
	}
	err := os.Rename(m.from, m.to)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	m.moved = true
	return nil
}

// Abort puts the file back.
func (m *Move) Abort() {
	if m.moved {
		os.Rename(m.to, m.from)
		m.moved = false
	}
}

// Done deletes a removed file.
func (m *Move) Done() {
	if m.moved && m.discard {
		os.Remove(m.to)
	}
}
