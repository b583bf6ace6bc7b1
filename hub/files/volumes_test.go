package files

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"syscall"
	"testing"
)

// snapshot lists every path under root with what it is: "d" for a
// directory, "f:<content>" for a file, "l:<target>" for a symlink.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "l:" + target
		case info.IsDir():
			out[rel] = "d"
		default:
			b, _ := os.ReadFile(p)
			out[rel] = "f:" + string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// newTree makes a topdir with volumes a and b and build n-1-1 on from.
func newTree(t *testing.T, from string) *Tree {
	t.Helper()
	tr := New(t.TempDir())
	for _, v := range []string{"vol/a", "vol/b"} {
		if err := os.MkdirAll(tr.Abs(v), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := tr.Abs(BuildDirOn(from, "n", "1", "1"))
	if err := os.MkdirAll(filepath.Join(dir, "noarch"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "noarch", "n-1-1.noarch.rpm"), []byte("rpm"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("noarch/n-1-1.noarch.rpm", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if from != DefaultVolume {
		rel, _ := filepath.Rel(filepath.Dir(tr.Abs(BuildDir("n", "1", "1"))), dir)
		if err := os.MkdirAll(filepath.Dir(tr.Abs(BuildDir("n", "1", "1"))), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(rel, tr.Abs(BuildDir("n", "1", "1"))); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func TestBuildMove(t *testing.T) {
	vols := []string{DefaultVolume, "a", "b"}
	for _, tc := range []struct {
		from, to string
		xdev     bool // the rename fails across filesystems: copy instead
	}{
		{DefaultVolume, "a", false},
		{DefaultVolume, "a", true},
		{"a", "b", false},
		{"a", "b", true},
		{"a", DefaultVolume, false},
		{"a", DefaultVolume, true},
	} {
		name := tc.from + "->" + tc.to
		if tc.xdev {
			name += "/copy"
		}
		t.Run(name, func(t *testing.T) {
			prepare := func(tr *Tree) *BuildMove {
				m, err := tr.PrepareBuildMove("n", "1", "1", tc.from, tc.to, vols)
				if err != nil {
					t.Fatal(err)
				}
				if tc.xdev {
					m.rename = func(o, n string) error { return &os.LinkError{Op: "rename", Old: o, New: n, Err: syscall.EXDEV} }
				}
				return m
			}

			// Abort after Commit restores the tree exactly.
			tr := newTree(t, tc.from)
			before := snapshot(t, tr.Root)
			m := prepare(tr)
			if err := m.Commit(); err != nil {
				t.Fatal(err)
			}
			m.Abort()
			// Commit may leave empty parent directories; they are harmless.
			after := snapshot(t, tr.Root)
			for k, v := range before {
				if after[k] != v {
					t.Errorf("after abort %s = %q, want %q", k, after[k], v)
				}
			}
			for k, v := range after {
				if _, ok := before[k]; !ok && v != "d" {
					t.Errorf("after abort %s = %q is new", k, v)
				}
			}

			// Commit then Finish moves it.
			tr = newTree(t, tc.from)
			m = prepare(tr)
			if err := m.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := m.Finish(); err != nil {
				t.Fatal(err)
			}
			newDir := tr.Abs(BuildDirOn(tc.to, "n", "1", "1"))
			got := snapshot(t, newDir)
			want := map[string]string{".": "d", "noarch": "d", "noarch/n-1-1.noarch.rpm": "f:rpm", "link": "l:noarch/n-1-1.noarch.rpm"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("new dir holds %v", got)
			}
			for _, v := range vols {
				if v == tc.to || v == DefaultVolume {
					continue
				}
				if _, err := os.Lstat(tr.Abs(BuildDirOn(v, "n", "1", "1"))); err == nil {
					t.Errorf("build still on %s", v)
				}
			}
			b, err := os.ReadFile(tr.Abs(BuildDir("n", "1", "1") + "/noarch/n-1-1.noarch.rpm"))
			if err != nil || string(b) != "rpm" {
				t.Errorf("through the DEFAULT path: %q, %v", b, err)
			}
			target, err := os.Readlink(tr.Abs(BuildDir("n", "1", "1")))
			if tc.to == DefaultVolume && err == nil {
				t.Errorf("DEFAULT path is still a symlink to %s", target)
			}
			if wantLink := "../../../vol/" + tc.to + "/packages/n/1/1"; tc.to != DefaultVolume && target != wantLink {
				t.Errorf("DEFAULT path links to %q (%v), want %q", target, err, wantLink)
			}
			if _, err := os.Lstat(filepath.Join(filepath.Dir(newDir), ".1.copying")); err == nil {
				t.Errorf("copy's temporary directory left: %v", keys(snapshot(t, tr.Root)))
			}
		})
	}
}

func TestCheckVolumeName(t *testing.T) {
	for name, ok := range map[string]bool{"a": true, "vol-2.x": true, "": false, ".": false, "..": false, "a/b": false, "../x": false} {
		if err := CheckVolumeName(name); (err == nil) != ok {
			t.Errorf("CheckVolumeName(%q) = %v", name, err)
		}
	}
}
