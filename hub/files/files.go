// Package files is the hub's topdir: where uploads land (work/), where
// imported builds live (packages/), and the path checks that keep a client's
// names inside those trees. It knows nothing of XML-RPC; its errors are Koji
// faults because clients see them as such.
package files

import (
	"crypto/md5"
	"crypto/sha256"
	"hash"
	"hash/adler32"
	"path/filepath"

	"github.com/gokoji/gokoji/hub"
)

// Tree is a topdir.
type Tree struct {
	Root string
}

// New returns the tree rooted at root.
func New(root string) *Tree { return &Tree{Root: root} }

// WorkDir is <topdir>/work, where uploads go.
func (t *Tree) WorkDir() string { return filepath.Join(t.Root, "work") }

// Abs turns a path relative to the topdir into an absolute one.
func (t *Tree) Abs(rel string) string { return filepath.Join(t.Root, rel) }

// BuildDir is a build's directory relative to the topdir:
// packages/<name>/<version>/<release>.
func BuildDir(name, version, release string) string {
	return filepath.Join("packages", name, version, release)
}

// RPMPath is an rpm's path inside its build directory: <arch>/<N-V-R.A>.rpm
// (source rpms under src/).
func RPMPath(name, version, release, arch string) string {
	return filepath.Join(arch, name+"-"+version+"-"+release+"."+arch+".rpm")
}

// SigCachePath is where a signature header is kept inside the build
// directory: data/sigcache/<sigkey>/<arch>/<N-V-R.A>.rpm.sig (the unsigned
// header, sigkey "", sits directly under sigcache/, as in Koji).
func SigCachePath(sigkey, name, version, release, arch string) string {
	return filepath.Join("data", "sigcache", sigkey, RPMPath(name, version, release, arch)+".sig")
}

// SignedPath is where a signed copy of an rpm is written inside the build
// directory: data/signed/<sigkey>/<arch>/<N-V-R.A>.rpm.
func SignedPath(sigkey, name, version, release, arch string) string {
	return filepath.Join("data", "signed", sigkey, RPMPath(name, version, release, arch))
}

// LogsDir is the build logs' directory inside the build directory; each
// arch has a folder under it.
const LogsDir = "data/logs"

// LogDir is a build's log directory for arch inside its build directory.
func LogDir(arch string) string { return filepath.Join(LogsDir, arch) }

// NewHash returns the checksum Koji calls verify: adler32, md5 or sha256;
// nil for "".
func NewHash(verify string) (hash.Hash, error) {
	switch verify {
	case "":
		return nil, nil
	case "adler32":
		return adler32.New(), nil
	case "md5":
		return md5.New(), nil
	case "sha256":
		return sha256.New(), nil
	}
	return nil, hub.GenericError("Unsupported verify type: %s", verify)
}
