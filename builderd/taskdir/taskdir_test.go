package taskdir

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestParseMountPoints(t *testing.T) {
	const dir = "/var/lib/builderd/task 7"
	tests := []struct {
		name, mountinfo string
		want            []string
	}{
		{
			name:      "root",
			mountinfo: "27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n",
			want:      []string{"/"},
		},
		{
			name: "escaped space, at dir, below, sibling prefix",
			mountinfo: `27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
101 27 0:50 / /var/lib/builderd/task\0407 rw - tmpfs tmpfs rw
102 101 0:22 / /var/lib/builderd/task\0407/mock/root/proc rw,nosuid - proc proc rw
103 101 8:1 /srv/cache /var/lib/builderd/task\0407/mock/root/var/cache/dnf rw - ext4 /dev/sda1 rw
104 27 0:51 / /var/lib/builderd/task\0407x rw - tmpfs tmpfs rw
`,
			want: []string{"/", dir, dir + "/mock/root/proc", dir + "/mock/root/var/cache/dnf", dir + "x"},
		},
		{
			name:      "tab, newline and backslash escapes",
			mountinfo: `30 27 0:52 / /mnt/a\011b\012c\134d rw - tmpfs tmpfs rw`,
			want:      []string{"/mnt/a\tb\nc\\d"},
		},
		{
			name:      "optional fields and blank lines",
			mountinfo: "\n40 27 0:53 / /mnt/x rw shared:3 master:2 - tmpfs tmpfs rw\n\n",
			want:      []string{"/mnt/x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMountPoints([]byte(tt.mountinfo))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseMountPointsErrors(t *testing.T) {
	for _, bad := range []string{
		"27 1 8:1 /\n",                   // too few fields
		`30 27 0:52 / /mnt/a\04 rw - x`,  // cut-off escape
		`30 27 0:52 / /mnt/a\9zz rw - x`, // not octal
	} {
		if got, err := ParseMountPoints([]byte(bad)); err == nil {
			t.Errorf("%q: got %q, want an error", bad, got)
		}
	}
}

func TestUnder(t *testing.T) {
	const dir = "/w/task 7"
	points := []string{
		"/", "/w", dir, dir + "/mock/root/proc", dir + "/mock/root/var/cache/dnf",
		dir + "x", dir + "x/proc", "/w/task 70", "/w/task", "/w/task 7/../task 8",
	}
	want := []string{dir, dir + "/mock/root/proc", dir + "/mock/root/var/cache/dnf"}
	for _, d := range []string{dir, dir + "/", "/w/./task 7"} {
		if got := Under(points, d); !slices.Equal(got, want) {
			t.Errorf("Under(%q) = %q, want %q", d, got, want)
		}
	}
	if got := Under(points, "/"); len(got) != len(points) {
		t.Errorf("Under(/) = %q, want all", got)
	}
}

func TestDeepestFirst(t *testing.T) {
	got := deepestFirst([]string{"/d", "/d/root/tmp", "/d/root", "/d/root/tmp/deep", "/d/root/proc"})
	for i, p := range got {
		for _, q := range got[i+1:] {
			if strings.HasPrefix(q, p+"/") {
				t.Errorf("%s comes before %s, which is below it: %q", p, q, got)
			}
		}
	}
}

// The decision RemoveTree takes after unmounting: any mount still at or
// below the directory stops the removal, and the error names it; mounts
// elsewhere, a sibling with dir's name as prefix included, do not.
func TestCheckNoneLeft(t *testing.T) {
	const dir = "/w/task-7"
	tests := []struct {
		name   string
		mounts []string
		left   string // a mount point the error must name; "" for no error
	}{
		{"none", nil, ""},
		{"elsewhere", []string{"/", "/proc", "/w"}, ""},
		{"sibling prefix", []string{"/", "/w/task-7x", "/w/task-7x/root/proc"}, ""},
		{"at dir", []string{"/", dir}, dir},
		{"below dir", []string{"/", "/w/task-7x", dir + "/mock/root/var/cache/dnf"}, dir + "/mock/root/var/cache/dnf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkNoneLeft(dir, tt.mounts)
			switch {
			case tt.left == "" && err != nil:
				t.Errorf("got %v, want none", err)
			case tt.left != "" && err == nil:
				t.Errorf("got no error, want one naming %s", tt.left)
			case tt.left != "" && !strings.Contains(err.Error(), tt.left):
				t.Errorf("error %q does not name %s", err, tt.left)
			case tt.left != "" && strings.Contains(err.Error(), "task-7x"):
				t.Errorf("error %q names the sibling", err)
			}
		})
	}
}

// mountsBelow reads the mount points at or below dir from the kernel.
func mountsBelow(t *testing.T, dir string) []string {
	t.Helper()
	data, err := os.ReadFile(mountInfo)
	if err != nil {
		t.Fatal(err)
	}
	all, err := ParseMountPoints(data)
	if err != nil {
		t.Fatal(err)
	}
	return Under(all, dir)
}

// mount mounts and, should the test fail before RemoveTree unmounts it,
// has it detached at the end, before t.TempDir's removal (cleanups run
// last registered first) could walk into it.
func mount(t *testing.T, src, dst, fstype string, flags uintptr, data string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(src, dst, fstype, flags, data); err != nil {
		t.Fatalf("mount %s on %s (the test needs root; uid %d): %v", src, dst, os.Getuid(), err)
	}
	t.Cleanup(func() {
		for _, p := range deepestFirst(mountsBelow(t, dst)) {
			syscall.Unmount(p, syscall.MNT_DETACH)
		}
	})
}

// sharedCache is a directory standing for mock's package cache, which all
// tasks share, with a file in it.
func sharedCache(t *testing.T) (dir, file string) {
	dir = t.TempDir()
	file = filepath.Join(dir, "pkg.rpm")
	if err := os.WriteFile(file, []byte("cached"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

func assertRemoved(t *testing.T, dir, cacheFile string) {
	t.Helper()
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there (%v)", dir, err)
	}
	if data, err := os.ReadFile(cacheFile); err != nil || string(data) != "cached" {
		t.Errorf("the shared cache's file: %q, %v", data, err)
	}
	if left := mountsBelow(t, dir); len(left) > 0 {
		t.Errorf("still mounted: %q", left)
	}
}

// A killed mock's root: the shared cache bind-mounted in, a tmpfs with a
// mount inside it, and a symlink out to the cache. RemoveTree detaches
// them all and removes the rest, and the cache keeps its file.
func TestRemoveTreeUnmounts(t *testing.T) {
	cache, cacheFile := sharedCache(t)
	dir := filepath.Join(t.TempDir(), "task 7") // a space: escaped in mountinfo
	root := filepath.Join(dir, "mock", "root")
	for _, d := range []string{"proc", "dev/pts", "builddir"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mount(t, cache, filepath.Join(root, "cache"), "", syscall.MS_BIND, "")
	mount(t, "tmpfs", filepath.Join(root, "tmp"), "tmpfs", 0, "size=1m")
	mount(t, cache, filepath.Join(root, "tmp", "deep"), "", syscall.MS_BIND, "")
	if err := os.Symlink(cache, filepath.Join(root, "builddir", "cache-link")); err != nil {
		t.Fatal(err)
	}
	if got := mountsBelow(t, dir); len(got) != 3 {
		t.Fatalf("mounts below %s before: %q, want 3", dir, got)
	}

	unmounted, err := RemoveTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(unmounted) != 3 {
		t.Errorf("unmounted %q, want the 3 mounts", unmounted)
	}
	assertRemoved(t, dir, cacheFile)
}

// A task directory named through a symlinked workdir: mountinfo has the
// real path, and the mounts are still found.
func TestRemoveTreeThroughSymlink(t *testing.T) {
	cache, cacheFile := sharedCache(t)
	base := t.TempDir()
	real := filepath.Join(base, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(base, "workdir")); err != nil {
		t.Fatal(err)
	}
	mount(t, cache, filepath.Join(real, "task-1", "root", "cache"), "", syscall.MS_BIND, "")

	dir := filepath.Join(base, "workdir", "task-1")
	if _, err := RemoveTree(dir); err != nil {
		t.Fatal(err)
	}
	assertRemoved(t, filepath.Join(real, "task-1"), cacheFile)
}

// A mount at a sibling whose name has the directory's as prefix is left
// alone.
func TestRemoveTreeLeavesSibling(t *testing.T) {
	base := t.TempDir()
	dir, sibling := filepath.Join(base, "task-1"), filepath.Join(base, "task-1x")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mount(t, "tmpfs", sibling, "tmpfs", 0, "size=1m")
	if _, err := RemoveTree(dir); err != nil {
		t.Fatal(err)
	}
	if got := mountsBelow(t, sibling); len(got) != 1 {
		t.Errorf("the sibling's mounts: %q, want its tmpfs", got)
	}
}

func TestRemoveTreeMissing(t *testing.T) {
	unmounted, err := RemoveTree(filepath.Join(t.TempDir(), "never-made"))
	if err != nil || len(unmounted) != 0 {
		t.Errorf("got %q, %v; want nothing", unmounted, err)
	}
}

// At a restart, the task directories' mounts are detached and the rest
// of the workdir's (a package cache on its own disk) are left alone.
func TestUnmountEntries(t *testing.T) {
	cache, _ := sharedCache(t)
	workdir := t.TempDir()
	mount(t, cache, filepath.Join(workdir, "task-1", "mock", "root", "cache"), "", syscall.MS_BIND, "")
	mount(t, "tmpfs", filepath.Join(workdir, "task-1", "mock", "root", "tmp"), "tmpfs", 0, "size=1m")
	mount(t, "tmpfs", filepath.Join(workdir, "task-22", "root", "proc"), "tmpfs", 0, "size=1m")
	if err := os.Mkdir(filepath.Join(workdir, "task-3"), 0o755); err != nil {
		t.Fatal(err)
	}
	mount(t, "tmpfs", filepath.Join(workdir, "mock-cache"), "tmpfs", 0, "size=1m")

	unmounted, err := UnmountEntries(workdir, "task-*")
	if err != nil {
		t.Fatal(err)
	}
	if len(unmounted) != 3 {
		t.Errorf("unmounted %q, want the 3 in task directories", unmounted)
	}
	for _, d := range []string{"task-1", "task-22", "task-3"} {
		if left := mountsBelow(t, filepath.Join(workdir, d)); len(left) > 0 {
			t.Errorf("still mounted in %s: %q", d, left)
		}
	}
	if got := mountsBelow(t, filepath.Join(workdir, "mock-cache")); len(got) != 1 {
		t.Errorf("mock-cache's mounts: %q, want its own", got)
	}
	if _, err := os.Stat(filepath.Join(workdir, "task-1", "mock", "root")); err != nil {
		t.Errorf("the task directories are kept: %v", err)
	}
}
