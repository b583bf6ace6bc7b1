package files

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestUploadOwners: each new upload folder gets a .user file naming its
// owner, linked to the owner's marker when possible and written anew when
// not; another user may not write into it either way.
func TestUploadOwners(t *testing.T) {
	for _, tc := range []struct {
		name   string
		broken bool // the markers' folder cannot be made
		linked bool // .user files share the owner's marker
	}{
		{"markers", false, true},
		{"no markers", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if tc.broken {
				if err := os.WriteFile(filepath.Join(root, ownersDir), []byte("not a folder"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tree := New(root)
			upload := func(user int64, dir string) error {
				_, err := tree.WriteChunk(Uploader{UserID: user}, Chunk{Dir: dir, Name: "f.rpm"}, strings.NewReader("data"))
				return err
			}
			for _, dir := range []string{"cli-import/a", "cli-import/b"} {
				if err := upload(7, dir); err != nil {
					t.Fatalf("upload into %s: %v", dir, err)
				}
			}
			if err := upload(8, "other"); err != nil {
				t.Fatal(err)
			}
			inode := func(dir string) uint64 {
				st, err := os.Stat(filepath.Join(root, "work", dir, ownerFile))
				if err != nil {
					t.Fatal(err)
				}
				return st.Sys().(*syscall.Stat_t).Ino
			}
			for dir, want := range map[string]string{"cli-import/a": "7", "cli-import/b": "7", "other": "8"} {
				if got := readOr(t, filepath.Join(root, "work", dir, ownerFile)); got != want {
					t.Errorf("%s/.user = %q, want %q", dir, got, want)
				}
			}
			if shared := inode("cli-import/a") == inode("cli-import/b"); shared != tc.linked {
				t.Errorf("two folders of one user share their .user file: %v, want %v", shared, tc.linked)
			}
			for _, dir := range []string{"cli-import/a", "other"} {
				st, err := os.Stat(filepath.Join(root, "work", dir, ownerFile))
				if err != nil || st.Mode().Perm() != 0o644 {
					t.Errorf("%s/.user: %v, %v; want mode 0644", dir, st.Mode(), err)
				}
			}
			if inode("cli-import/a") == inode("other") {
				t.Error("two users share a .user file")
			}
			if err := upload(8, "cli-import/a"); err == nil || !strings.Contains(err.Error(), "not owner") {
				t.Errorf("user 8 uploading into user 7's folder: %v, want a not-owner fault", err)
			}
			if got := readOr(t, filepath.Join(root, "work", "cli-import/a", ownerFile)); got != "7" {
				t.Errorf("after the refused upload, cli-import/a/.user = %q", got)
			}
		})
	}
}

// TestUploadPathLimits: names and folders too long for the filesystem are
// refused with a Koji fault before any file operation, rather than failing
// in one with ENAMETOOLONG.
func TestUploadPathLimits(t *testing.T) {
	tree := New(t.TempDir())
	long := strings.Repeat("n", maxNameLen+1)
	for _, tc := range []struct {
		dir, name string
		want      string // "" for no error
	}{
		{"cli-import/a", strings.Repeat("n", maxNameLen), ""},
		{"cli-import/a", long, "Invalid upload filename: longer than 255 bytes"},
		{"cli-import/" + long, "f.rpm", "Invalid upload directory: a part is longer than 255 bytes"},
		{strings.Repeat("d/", maxUploadDirLen/2+1), "f.rpm", "Invalid upload directory: longer than 1024 bytes"},
	} {
		_, err := tree.UploadPath(tc.dir, tc.name)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || err.Error() != tc.want) {
			t.Errorf("UploadPath(%.20s…, %.20s…) = %v, want %q", tc.dir, tc.name, err, tc.want)
		}
	}
}
