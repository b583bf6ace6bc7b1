package transcripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repo makes a git repository with a go.mod at base/name; with shared, a
// shared/koji-transcripts directory beside it.
func repo(t *testing.T, base, name string, shared bool) string {
	t.Helper()
	dir := filepath.Join(base, name)
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v: %s", err, out)
	}
	if shared {
		if err := os.MkdirAll(filepath.Join(base, "shared", "koji-transcripts"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func setOrigin(t *testing.T, dir, url string) {
	t.Helper()
	if out, err := exec.Command("git", "-C", dir, "remote", "add", "origin", url).CombinedOutput(); err != nil {
		t.Fatalf("git remote add: %v: %s", err, out)
	}
}

func TestDir(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed (make deps installs it)")
	}
	withShared := t.TempDir()
	orig := repo(t, withShared, "main", true)
	want := filepath.Join(withShared, "shared", "koji-transcripts")

	elsewhere := t.TempDir()
	clone := repo(t, elsewhere, "clone", false)
	setOrigin(t, clone, orig)
	fileClone := repo(t, elsewhere, "fileclone", false)
	setOrigin(t, fileClone, "file://"+orig)
	remoteClone := repo(t, elsewhere, "remoteclone", false)
	setOrigin(t, remoteClone, "https://example.com/x.git")
	lone := repo(t, elsewhere, "lone", false)

	cases := []struct {
		name, start, env, want, err string
	}{
		{"beside the repository", filepath.Join(orig, "sub"), "", want, ""},
		{"beside a local origin", filepath.Join(clone, "sub"), "", want, ""},
		{"beside a file:// origin", fileClone, "", want, ""},
		{"remote origin", remoteClone, "", "", "not found at " + filepath.Join(elsewhere, "shared", "koji-transcripts")},
		{"no origin", lone, "", "", "set KOJI_TRANSCRIPTS"},
		{"environment", lone, want, want, ""},
		{"environment not a directory", orig, filepath.Join(orig, "go.mod"), "", "is not a directory"},
		{"no module", elsewhere, "", "", "no go.mod"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KOJI_TRANSCRIPTS", tc.env)
			got, err := Dir(tc.start)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Dir(%s) = %q, %v; want an error containing %q", tc.start, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Dir(%s) = %q, %v; want %q", tc.start, got, err, tc.want)
			}
		})
	}
}
