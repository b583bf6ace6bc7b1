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
	p, err := t.newPlacement(dst)
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
	p, err := t.newPlacement(dst)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p.tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p.tmp)
		return nil, err
	}
	return p, nil
}

func (t *Tree) newPlacement(dst string) (*Placement, error) {
	abs := t.Abs(dst)
	if _, err := os.Lstat(abs); err == nil {
		return nil, fmt.Errorf("%s already exists", dst)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, err
	}
	// A random hidden name; Stage creates it exclusively (link or O_EXCL).
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return nil, err
	}
	tmp := filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp-"+hex.EncodeToString(r[:]))
	return &Placement{tmp: tmp, dst: abs}, nil
}

// Commit moves the staged file into place.
func (p *Placement) Commit() error {
	if _, err := os.Lstat(p.dst); err == nil {
		return fmt.Errorf("%s appeared while importing", p.dst)
	}
	if err := os.Rename(p.tmp, p.dst); err != nil {
		return err
	}
	p.placed = true
	return nil
}

// Abort removes the staged or placed file.
func (p *Placement) Abort() {
	os.Remove(p.tmp)
	if p.placed {
		os.Remove(p.dst)
		p.placed = false
	}
}

// Done removes the upload the file came from (or links it to its new place).
func (p *Placement) Done() {
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

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

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
