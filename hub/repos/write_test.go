package repos_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/repos"
)

const specTemplate = `Name: %[1]s
Version: %[2]s
Release: %[3]s
Summary: test package %[1]s
License: MIT
BuildArch: %[4]s
%%description
test
%%install
mkdir -p %%{buildroot}/usr/share/%[1]s
echo %[1]s > %%{buildroot}/usr/share/%[1]s/%[1]s.txt
%%files
/usr/share/%[1]s/%[1]s.txt
`

// buildRPM makes a tiny real RPM with rpmbuild and files it under topdir
// like an imported build: packages/<n>/<v>/<r>/<arch>/<nvra>.rpm.
func buildRPM(t testing.TB, topdir, name, version, release, arch string) repos.RPM {
	t.Helper()
	if _, err := exec.LookPath("rpmbuild"); err != nil {
		t.Fatalf("rpmbuild is needed (Debian package rpm; make deps installs it): %v", err)
	}
	work := t.TempDir()
	spec := filepath.Join(work, name+".spec")
	os.WriteFile(spec, []byte(fmt.Sprintf(specTemplate, name, version, release, arch)), 0o644)
	out, err := exec.Command("rpmbuild", "--quiet", "--define", "_topdir "+work, "-bb", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("rpmbuild %s: %v\n%s", name, err, out)
	}
	file := fmt.Sprintf("%s-%s-%s.%s.rpm", name, version, release, arch)
	rel := filepath.Join("packages", name, version, release, arch, file)
	dst := filepath.Join(topdir, rel)
	os.MkdirAll(filepath.Dir(dst), 0o755)
	if err := os.Rename(filepath.Join(work, "RPMS", arch, file), dst); err != nil {
		t.Fatal(err)
	}
	return repos.RPM{Name: name, Version: version, Release: release, Arch: arch, Path: rel}
}

func TestWriteRepoReadableByDNF(t *testing.T) {
	top := t.TempDir()
	rpms := []repos.RPM{
		buildRPM(t, top, "hello", "1.0", "1", "noarch"),
		buildRPM(t, top, "tool", "2.0", "3", "x86_64"),
		buildRPM(t, top, "tool-debuginfo", "2.0", "3", "x86_64"),
	}
	spec := repos.Spec{TopDir: top, Tag: "f40-build", TagID: 1, RepoID: 7, EventID: 42,
		Arches: repos.RepoArches("x86_64 noarch i686"), RPMs: rpms, Blocked: []string{"bash"},
		Comps: []byte(`<?xml version="1.0"?><comps><group><id>build</id><name>build</name><packagelist><packagereq>hello</packagereq></packagelist></group></comps>`)}
	if !reflect.DeepEqual(spec.Arches, []string{"x86_64", "i386"}) {
		t.Fatalf("RepoArches = %v", spec.Arches)
	}
	if err := repos.Write(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	dir := repos.Dir(top, "f40-build", 7)
	for _, f := range []string{"repo.json", "groups/comps.xml", "x86_64/pkglist", "x86_64/rpmlist.jsonl", "x86_64/blocklist",
		"x86_64/repodata/repomd.xml", "i386/repodata/repomd.xml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if link, _ := os.Readlink(filepath.Join(dir, "x86_64", "toplink")); link != "../../../.." {
		t.Errorf("toplink -> %q", link)
	}
	pkglist, _ := os.ReadFile(filepath.Join(dir, "x86_64", "pkglist"))
	if !strings.Contains(string(pkglist), "toplink/packages/hello/1.0/1/noarch/hello-1.0-1.noarch.rpm") {
		t.Errorf("pkglist = %s", pkglist)
	}
	got := hubtest.DNFList(t, "--repofrompath=t,file://"+filepath.Join(dir, "x86_64"), "--repo=t")
	want := []string{"hello-1.0-1.noarch", "tool-2.0-3.x86_64"} // no debuginfo
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dnf sees %v, want %v", got, want)
	}
	if got := hubtest.DNFList(t, "--repofrompath=t,file://"+filepath.Join(dir, "i386"), "--repo=t"); !reflect.DeepEqual(got, []string{"hello-1.0-1.noarch"}) {
		t.Errorf("i386 repo offers %v", got)
	}

	// latest and the .repo file, served over HTTP as /kojifiles.
	if err := repos.SetLatest(top, "f40-build", 7, "http://placeholder"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/kojifiles/", http.FileServer(http.Dir(top))))
	defer srv.Close()
	topurl := srv.URL + "/kojifiles"
	if err := repos.SetLatest(top, "f40-build", 7, topurl); err != nil {
		t.Fatal(err)
	}
	repoFile := filepath.Join(top, "repos", "f40-build", "f40-build.repo")
	reposd := t.TempDir()
	data, _ := os.ReadFile(repoFile)
	os.WriteFile(filepath.Join(reposd, "f40-build.repo"), data, 0o644)
	got = hubtest.DNFList(t, "--setopt=reposdir="+reposd)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dnf through the .repo file sees %v, want %v", got, want)
	}
}

func TestWriteFailuresLeaveNothing(t *testing.T) {
	top := t.TempDir()
	good := buildRPM(t, top, "hello", "1.0", "1", "noarch")
	missing := repos.RPM{Name: "gone", Version: "1", Release: "1", Arch: "noarch", Path: "packages/gone/1/1/noarch/gone-1-1.noarch.rpm"}
	cases := []struct {
		name string
		spec repos.Spec
		msg  string
	}{
		{"missing rpm", repos.Spec{TopDir: top, Tag: "t", RepoID: 1, Arches: []string{"x86_64"}, RPMs: []repos.RPM{good, missing}}, "missing RPM"},
		{"no createrepo_c", repos.Spec{TopDir: top, Tag: "t", RepoID: 2, Arches: []string{"x86_64"}, RPMs: []repos.RPM{good}, CreateRepo: "/nonexistent/createrepo_c"}, "not installed"},
		{"createrepo_c fails", repos.Spec{TopDir: top, Tag: "t", RepoID: 3, Arches: []string{"x86_64"}, RPMs: []repos.RPM{good}, CreateRepo: "false"}, "createrepo_c failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := repos.Write(context.Background(), tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Write: %v, want an error containing %q", err, tc.msg)
			}
			entries, _ := os.ReadDir(filepath.Join(top, "repos", "t"))
			if len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}

func TestCanonArch(t *testing.T) {
	for in, want := range map[string]string{"i686": "i386", "athlon": "i386", "x86_64": "x86_64", "ppc64le": "ppc64le",
		"ppc64p7": "ppc64", "armv7hl": "armhfp", "armv5tel": "arm", "aarch64": "aarch64", "ia32e": "x86_64", "sparc64v": "sparc64"} {
		if got := repos.CanonArch(in); got != want {
			t.Errorf("CanonArch(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestWriteMergesExternalRepos: an external repo (itself written by Write,
// read by file:// URL with $arch) is merged into each arch's repodata with
// mergerepo_c; dnf sees both repos' packages, a blocked package of the tag
// is kept out of the external one, an external repo for other arches is
// skipped, and a bad external repo fails the write and leaves nothing.
func TestWriteMergesExternalRepos(t *testing.T) {
	hubtest.RequireCommand(t, "mergerepo_c", "createrepo-c")
	ext := t.TempDir()
	extRPMs := []repos.RPM{buildRPM(t, ext, "outer", "1.0", "1", "noarch"), buildRPM(t, ext, "banned", "1.0", "1", "noarch")}
	if err := repos.Write(context.Background(), repos.Spec{TopDir: ext, Tag: "ext", RepoID: 1, Arches: []string{"x86_64"}, RPMs: extRPMs}); err != nil {
		t.Fatal(err)
	}
	extURL := "file://" + repos.Dir(ext, "ext", 1) + "/$arch/"
	top := t.TempDir()
	rpms := []repos.RPM{buildRPM(t, top, "inner", "1.0", "1", "noarch")}
	for _, mode := range []string{"koji", "simple", "bare"} {
		t.Run(mode, func(t *testing.T) {
			id := map[string]int64{"koji": 1, "simple": 2, "bare": 3}[mode]
			spec := repos.Spec{TopDir: top, Tag: "t", RepoID: id, Arches: []string{"x86_64"}, RPMs: rpms, Blocked: []string{"banned"},
				External: []repos.ExternalRepo{{Name: "ext", URL: extURL, MergeMode: mode}, {Name: "other", URL: "file:///nonexistent/", MergeMode: mode, Arches: "ppc64le"}}}
			if err := repos.Write(context.Background(), spec); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(repos.Dir(top, "t", id), "x86_64")
			got := hubtest.DNFList(t, "--repofrompath=t,file://"+dir, "--repo=t")
			want := []string{"inner-1.0-1.noarch", "outer-1.0-1.noarch"}
			if mode == "bare" { // no blocklist in bare mode
				want = []string{"banned-1.0-1.noarch", "inner-1.0-1.noarch", "outer-1.0-1.noarch"}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("dnf sees %v, want %v", got, want)
			}
			if m, _ := filepath.Glob(filepath.Join(dir, "repodata", "*pkgorigins.gz")); len(m) != 1 {
				t.Errorf("no pkgorigins: %v", m)
			}
			if m, _ := filepath.Glob(filepath.Join(repos.Dir(top, "t", id), ".premerge*")); len(m) != 0 {
				t.Errorf("left behind: %v", m)
			}
		})
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for i, bad := range []repos.ExternalRepo{
		{Name: "gone", URL: "file:///nonexistent/$arch/"},
		{Name: "dead", URL: closed.URL + "/repo/$arch/"},
		{Name: "notrepo", URL: "file://" + top + "/"},
	} {
		spec := repos.Spec{TopDir: top, Tag: "bad", RepoID: int64(i + 1), Arches: []string{"x86_64"}, RPMs: rpms, External: []repos.ExternalRepo{bad}}
		err := repos.Write(context.Background(), spec)
		if err == nil || !strings.Contains(err.Error(), "external repo "+bad.Name) {
			t.Errorf("%s: Write = %v, want an external repo error", bad.Name, err)
		}
		if entries, _ := os.ReadDir(filepath.Join(top, "repos", "bad")); len(entries) != 0 {
			t.Errorf("%s: left behind %v", bad.Name, entries)
		}
	}
	mixed := repos.Spec{TopDir: top, Tag: "bad", RepoID: 9, Arches: []string{"x86_64"}, RPMs: rpms,
		External: []repos.ExternalRepo{{Name: "a", URL: extURL, MergeMode: "koji"}, {Name: "b", URL: extURL, MergeMode: "simple"}}}
	if err := repos.Write(context.Background(), mixed); err == nil || !strings.Contains(err.Error(), "multiple merge modes") {
		t.Errorf("mixed modes: %v", err)
	}
}

// TestWriteDiskFull: a repo written on a full filesystem fails with "no
// space left on device" and leaves nothing behind, whether the skeleton or
// createrepo_c (which itself says only "file operation error") runs out.
// It mounts small tmpfs filesystems, so it needs root, as CI runs.
func TestWriteDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	for _, tc := range []struct{ size, failing string }{
		{"12k", "write pkglist"},
		{"32k", "createrepo_c failed"},
	} {
		t.Run(tc.size, func(t *testing.T) {
			top := t.TempDir()
			good := buildRPM(t, top, "hello", "1.0", "1", "noarch")
			full := filepath.Join(top, "repos", "t")
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+tc.size, "tmpfs", full).CombinedOutput(); err != nil {
				t.Fatalf("mount tmpfs: %v: %s", err, out)
			}
			t.Cleanup(func() { exec.Command("umount", full).Run() })
			err := repos.Write(context.Background(), repos.Spec{TopDir: top, Tag: "t", RepoID: 1,
				Arches: []string{"x86_64", "noarch"}, RPMs: []repos.RPM{good}})
			if err == nil || !strings.Contains(err.Error(), tc.failing) || !strings.Contains(err.Error(), "no space left on device") {
				t.Fatalf("Write on a full disk: %v, want %q and no space left on device", err, tc.failing)
			}
			if entries, _ := os.ReadDir(full); len(entries) != 0 {
				t.Errorf("left behind: %v", entries)
			}
		})
	}
}

// TestWriteArchElsewhere is a builder's createrepo task: the repo's
// skeleton is on the shared file tree, the repodata (merged with an
// external repo) is written into a directory of the task's, then moved into
// the arch directory as host.repoDone does; dnf then sees the tag's package
// and the external one but the blocked one.
func TestWriteArchElsewhere(t *testing.T) {
	hubtest.RequireCommand(t, "mergerepo_c", "createrepo-c")
	ext := t.TempDir()
	extRPMs := []repos.RPM{buildRPM(t, ext, "outer", "1.0", "1", "noarch"), buildRPM(t, ext, "banned", "1.0", "1", "noarch")}
	if err := repos.Write(context.Background(), repos.Spec{TopDir: ext, Tag: "ext", RepoID: 1, Arches: []string{"x86_64"}, RPMs: extRPMs}); err != nil {
		t.Fatal(err)
	}
	top := t.TempDir()
	spec := repos.Spec{TopDir: top, Tag: "t", RepoID: 1, Arches: []string{"x86_64"},
		RPMs: []repos.RPM{buildRPM(t, top, "inner", "1.0", "1", "noarch")}, Blocked: []string{"banned"}}
	if err := repos.Skeleton(spec); err != nil {
		t.Fatal(err)
	}
	archDir := filepath.Join(repos.Dir(top, "t", 1), "x86_64")
	out := filepath.Join(t.TempDir(), "task-7", "repo")
	j := repos.ArchJob{Dir: archDir, OutDir: out,
		External: []repos.ExternalRepo{{Name: "ext", URL: "file://" + repos.Dir(ext, "ext", 1) + "/$arch/"}}}
	if err := repos.WriteArch(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(archDir, "repodata")); err == nil {
		t.Error("WriteArch wrote into the arch directory, not OutDir")
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".premerge*")); len(m) != 0 {
		t.Errorf("left behind: %v", m)
	}
	if err := os.Rename(filepath.Join(out, "repodata"), filepath.Join(archDir, "repodata")); err != nil {
		t.Fatal(err)
	}
	got := hubtest.DNFList(t, "--repofrompath=t,file://"+archDir, "--repo=t")
	if want := []string{"inner-1.0-1.noarch", "outer-1.0-1.noarch"}; !reflect.DeepEqual(got, want) {
		t.Errorf("dnf sees %v, want %v", got, want)
	}
}
