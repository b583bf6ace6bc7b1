package hubtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SpecsDir is the repository's testdata/specs.
func SpecsDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(repoRoot(t), "testdata", "specs")
}

// BuildSpec runs rpmbuild -ba on testdata/specs/<spec> with the given macro
// definitions (name → value) and returns the source and binary RPMs by file
// name. Builds are reproducible: build time and host are fixed.
func BuildSpec(t testing.TB, spec string, defines map[string]string) map[string][]byte {
	return buildSpec(t, "-ba", spec, defines)
}

// BuildSRPM makes only the source RPM of testdata/specs/<spec> (for specs
// whose build fails on purpose).
func BuildSRPM(t testing.TB, spec string) map[string][]byte {
	return buildSpec(t, "-bs", spec, nil)
}

func buildSpec(t testing.TB, mode, spec string, defines map[string]string) map[string][]byte {
	t.Helper()
	RequireCommand(t, "rpmbuild", "rpm")
	top := t.TempDir()
	args := []string{"--quiet", mode, "--define", "_topdir " + top,
		"--define", "_buildhost test.example.com", "--define", "use_source_date_epoch_as_buildtime 1",
		"--define", "clamp_mtime_to_source_date_epoch 1", "--define", "_binary_payload w1.gzdio"}
	for k, v := range defines {
		args = append(args, "--define", k+" "+v)
	}
	cmd := exec.Command("rpmbuild", append(args, filepath.Join(SpecsDir(t), spec))...)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1790000000")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpmbuild %s: %v\n%s", spec, err, out)
	}
	out := map[string][]byte{}
	for _, sub := range []string{"SRPMS", "RPMS"} {
		err := filepath.WalkDir(filepath.Join(top, sub), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(p) != ".rpm" {
				return err
			}
			b, err := os.ReadFile(p)
			out[d.Name()] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// repoRoot is the directory holding go.mod above the test's directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find go.mod above the test directory")
		}
		dir = parent
	}
}
