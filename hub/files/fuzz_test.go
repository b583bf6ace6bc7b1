package files

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub"
)

// FuzzUploadTarget checks the upload path rules (Koji's CVE-2019-17109
// was a hole in them) against any folder and name a client may send, in a
// work/ holding the traps a client could set or find: a symlink leading
// out, another user's folder, a file where a folder is expected and a
// task's folder. Whatever is accepted lies in work/, in a folder the
// caller owns or a task folder it may write; whatever is refused gets a
// Koji fault.
func FuzzUploadTarget(f *testing.F) {
	for _, s := range [][2]string{
		{"cli-import/abc", "x.rpm"}, {"../x", "x.rpm"}, {"/etc", "passwd"}, {"tasks/7/7", "build.log"},
		{"tasks/8/8", "build.log"}, {"tasks/7", "x"}, {"tasks/7/7/../../../theirs", "x"}, {"evil", "x"},
		{"evil/sub", "x"}, {"mine/../evil", "x"}, {"theirs", "x"}, {"theirs/sub", "x"}, {"./theirs//", "x"},
		{"afile/sub", "x"}, {"afile", "x"}, {"mine", ".user"}, {"mine", "../x"}, {"mine", "a\x00b"}, {"a/./b/", "c"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, dir, name string) {
		root := t.TempDir()
		tree := New(root)
		work := tree.WorkDir()
		const me, them, myTask = 1, 2, 7
		if err := os.MkdirAll(work, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(root, filepath.Join(work, "evil")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, "afile"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := tree.uploadTarget(Uploader{UserID: them}, "theirs", "f"); err != nil {
			t.Fatal(err)
		}
		if _, err := tree.uploadTarget(Uploader{UserID: me}, "mine", "f"); err != nil {
			t.Fatal(err)
		}
		u := Uploader{UserID: me, MayWriteTask: func(id int64) error {
			if id != myTask {
				return hub.NotAllowed("task %d is not yours", id)
			}
			return nil
		}}

		fn, err := tree.uploadTarget(u, dir, name)
		if err != nil {
			var fault *hub.Fault
			if !errors.As(err, &fault) {
				t.Fatalf("uploadTarget(%q, %q) = %v, not a Koji fault", dir, name, err)
			}
			return
		}
		rel, ok := strings.CutPrefix(fn, work+"/")
		if !ok || filepath.Clean(fn) != fn {
			t.Fatalf("uploadTarget(%q, %q) = %s, outside %s", dir, name, fn, work)
		}
		if filepath.Base(fn) != name || strings.HasPrefix(name, ".") {
			t.Fatalf("uploadTarget(%q, %q) = %s: not the name asked for, or a hidden one", dir, name, fn)
		}
		real, err := filepath.EvalSymlinks(filepath.Dir(fn))
		if err != nil {
			t.Fatal(err)
		}
		if realWork, _ := filepath.EvalSymlinks(work); real != realWork && !strings.HasPrefix(real, realWork+"/") {
			t.Fatalf("uploadTarget(%q, %q) = %s, which leads to %s", dir, name, fn, real)
		}
		parts := strings.Split(rel, "/")
		switch parts[0] {
		case "tasks":
			if len(parts) < 4 || parts[2] != "7" {
				t.Fatalf("uploadTarget(%q, %q) = %s: not task %d's folder", dir, name, fn, myTask)
			}
		case "theirs", "afile":
			t.Fatalf("uploadTarget(%q, %q) = %s: into what is not the caller's", dir, name, fn)
		default:
			if err := checkOwner(filepath.Dir(fn), me, dir); err != nil {
				t.Fatalf("uploadTarget(%q, %q) = %s: %v", dir, name, fn, err)
			}
		}
	})
}
