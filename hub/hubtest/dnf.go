package hubtest

import (
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// DNFList asks Debian's dnf which packages (N-V-R.A) the repos given by args
// offer, in a throw-away install root, e.g.
// DNFList(t, "--repofrompath=r,file:///…/x86_64", "--repo=r").
func DNFList(t testing.TB, args ...string) []string {
	t.Helper()
	RequireCommand(t, "dnf", "dnf")
	root := t.TempDir()
	base := []string{"-q", "--installroot", root, "--setopt=cachedir=" + filepath.Join(root, "cache"),
		"--setopt=reposdir=" + filepath.Join(root, "repos.d"), "--releasever=1"}
	base = append(base, args...)
	base = append(base, "repoquery", "--qf", "%{name}-%{version}-%{release}.%{arch}")
	out, err := exec.Command("dnf", base...).CombinedOutput()
	if err != nil {
		t.Fatalf("dnf %v: %v\n%s", base, err, out)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			got = append(got, l)
		}
	}
	sort.Strings(got)
	return got
}
