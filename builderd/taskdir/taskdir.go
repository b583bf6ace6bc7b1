// Package taskdir removes task directories safely. A build killed
// mid-way (mock's, above all) leaves its bind mounts of /proc, /sys and
// the shared package cache in its root under the task's directory; a
// plain os.RemoveAll would walk into them and delete what they show.
// Kojid unmounts before it deletes; so does RemoveTree.
package taskdir

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// mountInfo is the kernel's list of this process's mounts.
const mountInfo = "/proc/self/mountinfo"

// umountNoFollow is UMOUNT_NOFOLLOW (linux/fs.h), which package syscall
// lacks: a mount point a build replaced by a symlink must not lead the
// unmount elsewhere.
const umountNoFollow = 0x8

// maxRounds bounds the unmounting rounds (see Unmount).
const maxRounds = 8

// RemoveTree removes dir and everything below it, as os.RemoveAll does
// (symlinks are removed, not followed), after detaching every mount at or
// below dir. It refuses, removing nothing, when a mount there remains.
// It returns the mount points it unmounted.
func RemoveTree(dir string) ([]string, error) {
	unmounted, err := Unmount(dir)
	if err != nil {
		return unmounted, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return unmounted, fmt.Errorf("remove %s: %w", dir, err)
	}
	return unmounted, nil
}

// Unmount detaches every mount at or below dir, deepest first, and checks
// that none remains. Detaching is lazy (MNT_DETACH), so a mount some
// leftover process still uses does not hold it up. It returns the mount
// points it unmounted; a dir that does not exist has none.
func Unmount(dir string) ([]string, error) {
	resolved, err := resolve(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Rounds, since a mount stacked over a parent can hide mounts below
	// it until it is gone. A round that unmounts nothing ends them, and so
	// does the bound, should something keep mounting.
	var unmounted []string
	var errs []error
	for range maxRounds {
		all, err := mountPoints()
		if err != nil {
			return unmounted, err
		}
		points := Under(all, resolved)
		if len(points) == 0 {
			return unmounted, nil
		}
		errs = nil
		before := len(unmounted)
		for _, p := range deepestFirst(points) {
			if err := syscall.Unmount(p, syscall.MNT_DETACH|umountNoFollow); err != nil {
				errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
				continue
			}
			unmounted = append(unmounted, p)
		}
		if len(unmounted) == before {
			break
		}
	}
	// Mountinfo, read again, has the last word: a failed unmount of a
	// mount gone with its parent does not matter, a mount left does.
	all, err := mountPoints()
	if err != nil {
		return unmounted, err
	}
	if err := checkNoneLeft(resolved, all); err != nil {
		return unmounted, errors.Join(err, errors.Join(errs...))
	}
	return unmounted, nil
}

// UnmountEntries detaches the mounts in those entries of parent whose
// names match pattern (filepath.Match), for a restarted daemon to clear
// what builds it was killed in left; mounts elsewhere under parent are
// not its to touch. Mountinfo is read once to find the entries with
// mounts, so the many directories tasks leave cost nothing. It returns
// the mount points it unmounted.
func UnmountEntries(parent, pattern string) ([]string, error) {
	if _, err := filepath.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	resolved, err := resolve(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	all, err := mountPoints()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range Under(all, resolved) {
		rel, err := filepath.Rel(resolved, p)
		if err != nil || rel == "." {
			continue // parent itself is mounted: not an entry's
		}
		name, _, _ := strings.Cut(rel, string(filepath.Separator))
		if ok, _ := filepath.Match(pattern, name); ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	var unmounted []string
	var errs []error
	for _, name := range names {
		u, err := Unmount(filepath.Join(resolved, name))
		unmounted = append(unmounted, u...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return unmounted, errors.Join(errs...)
}

// resolve makes dir absolute and resolves the symlinks of its parents,
// since mountinfo names mount points by their real paths. Dir itself is
// not followed: if it is a symlink, only the link is removed.
func resolve(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("task directory %s: %w", dir, err)
	}
	if _, err := os.Lstat(abs); err != nil {
		return "", fmt.Errorf("task directory: %w", err)
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", fmt.Errorf("task directory %s: %w", dir, err)
	}
	return filepath.Join(parent, filepath.Base(abs)), nil
}

// mountPoints reads the mount points of this process's mounts.
func mountPoints() ([]string, error) {
	data, err := os.ReadFile(mountInfo)
	if err != nil {
		return nil, fmt.Errorf("read the mounts: %w", err)
	}
	points, err := ParseMountPoints(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mountInfo, err)
	}
	return points, nil
}

// ParseMountPoints returns the mount points (field 5) of mountinfo's
// lines, in order, with the kernel's octal escapes (\040 for a space …)
// undone. A mount point mounted over appears once per mount.
func ParseMountPoints(mountinfo []byte) ([]string, error) {
	var points []string
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 5 {
			return nil, fmt.Errorf("line %d: %d fields, want at least 5", n, len(f))
		}
		p, err := unescape(f[4])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		points = append(points, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return points, nil
}

// unescape undoes the kernel's escaping of space, tab, newline and
// backslash in mountinfo paths as a backslash and three octal digits.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) {
			return "", fmt.Errorf("mount point %q: a backslash without three octal digits", s)
		}
		c, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", fmt.Errorf("mount point %q: bad escape %q", s, s[i:i+4])
		}
		b.WriteByte(byte(c))
		i += 3
	}
	return b.String(), nil
}

// Under returns the points that are dir or below it. Paths are compared
// cleaned and on a separator boundary, so /a/bc is not below /a/b.
func Under(points []string, dir string) []string {
	dir = filepath.Clean(dir)
	prefix := dir + string(filepath.Separator)
	if dir == string(filepath.Separator) {
		prefix = dir
	}
	var out []string
	for _, p := range points {
		p = filepath.Clean(p)
		if p == dir || strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// deepestFirst orders mount points so each comes before those it is
// below: a child has more separators than its parent.
func deepestFirst(points []string) []string {
	depth := func(p string) int { return strings.Count(p, string(filepath.Separator)) }
	out := slices.Clone(points)
	slices.SortStableFunc(out, func(a, b string) int { return depth(b) - depth(a) })
	return out
}

// checkNoneLeft decides whether dir may be removed, given the mount
// points there are: not with any at or below it, since removing would
// delete what that mount shows (the host's /proc, a shared cache …).
func checkNoneLeft(dir string, mounts []string) error {
	left := Under(mounts, dir)
	if len(left) == 0 {
		return nil
	}
	return fmt.Errorf("%s cannot be removed: still mounted at %s", dir, strings.Join(left, ", "))
}
