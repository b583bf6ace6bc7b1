package buildroot_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/builderd/buildroot"
)

// withStandInMock puts testdata/mock-stand-in.sh on PATH as "mock" and
// returns the file it records its calls in: one call per line, the
// arguments separated by \x1f.
//
// The script is NOT mock. Debian, where these tests run, has no mock
// package, and no Fedora mirror is reachable, so real mock cannot run
// here. The script answers the command lines the mock backend gives in
// mock's manner, far enough to test the backend's side: the arguments it
// passes, the config file it points -r at, its handling of mock's result
// directory and logs, exit codes and cancel. It builds with the host's
// rpmbuild and makes no root; whether real mock accepts the config and
// the arguments is not tested here.
func withStandInMock(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("rpmbuild"); err != nil {
		t.Fatalf("rpmbuild is needed (Debian package rpm; make deps installs it): %v", err)
	}
	script, err := os.ReadFile(filepath.Join("..", "..", "testdata", "mock-stand-in.sh"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mock"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return filepath.Join(dir, "argv.log")
}

// calls reads the stand-in's record: one []string of arguments per call.
func calls(t *testing.T, argvLog string) [][]string {
	t.Helper()
	data, err := os.ReadFile(argvLog)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out [][]string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if l != "" {
			out = append(out, strings.Split(l, "\x1f"))
		}
	}
	return out
}

func readLog(t *testing.T, job *buildroot.Job, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(job.Logs.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

const testRepo = "http://hub.example/kojifiles/repos/f40-build/7/"

func mockJob(t *testing.T, arch string) *buildroot.Job {
	job := newJob(t, testRepo+arch)
	job.Tag, job.RepoID = "f40-build", 7
	return job
}

func TestMockBuild(t *testing.T) {
	host := buildroot.HostArch()
	cases := []struct {
		spec, arch string
		want       string
	}{
		{"gk-noarch", "noarch", "gk-noarch-1.0-1.noarch.rpm"},
		{"gk-arch", host, "gk-arch-1.0-1." + host + ".rpm"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			argvLog := withStandInMock(t)
			ctx := context.Background()
			b := &buildroot.Mock{}
			job := mockJob(t, host)
			var installed []buildroot.Package
			var callsAtRootReady int
			job.RootReady = func(_ context.Context, pkgs []buildroot.Package) error {
				installed, callsAtRootReady = pkgs, len(calls(t, argvLog))
				return nil
			}
			srcDir := specDir(t, tc.spec)
			srpm, err := b.BuildSRPM(ctx, job, srcDir)
			if err != nil {
				t.Fatalf("BuildSRPM: %v\nbuild.log:\n%s", err, readLog(t, job, "build.log"))
			}
			if filepath.Base(srpm) != tc.spec+"-1.0-1.src.rpm" || filepath.Dir(srpm) != filepath.Join(job.Dir, "mock-srpm") {
				t.Errorf("SRPM %s", srpm)
			}
			res, err := b.Rebuild(ctx, job, srpm, tc.arch)
			if err != nil {
				t.Fatalf("Rebuild: %v\nbuild.log:\n%s", err, readLog(t, job, "build.log"))
			}

			// The calls, in order: the SRPM, then the root in steps.
			root := "f40-build-7-" + host
			cfg := filepath.Join(job.Dir, "mock-"+root+".cfg")
			srpmOut, out := filepath.Join(job.Dir, "mock-srpm"), filepath.Join(job.Dir, "mock-result")
			want := [][]string{
				{"-r", cfg, "--resultdir", srpmOut, "--cleanup-after", "--buildsrpm",
					"--spec", filepath.Join(srcDir, tc.spec+".spec"), "--sources", srcDir},
				{"-r", cfg, "--resultdir", out, "--init"},
				{"-r", cfg, "--resultdir", out, "--no-clean", "--installdeps", srpm},
				{"-r", cfg, "--resultdir", out, "--quiet", "--shell",
					`rpm -qa --qf '%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\n'`},
				{"-r", cfg, "--resultdir", out, "--rebuild", srpm, "--no-clean", "--cleanup-after"},
			}
			if got := calls(t, argvLog); !reflect.DeepEqual(got, want) {
				t.Errorf("mock was called\n%q\nwant\n%q", got, want)
			}
			if callsAtRootReady != 4 {
				t.Errorf("RootReady came after %d calls of mock, want 4 (before --rebuild)", callsAtRootReady)
			}
			four := int64(4)
			wantPkgs := []buildroot.Package{
				{Name: "bash", Version: "5.2.26", Release: "3.fc40", Arch: host},
				{Name: "perl-libs", Version: "5.38.2", Release: "502.fc40", Arch: host, Epoch: &four},
				{Name: "rpm-build", Version: "4.19.1", Release: "1.fc40", Arch: host},
			}
			if !reflect.DeepEqual(installed, wantPkgs) {
				t.Errorf("RootReady got %+v", installed)
			}

			// The config names the root, arch and repo.
			text, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range []string{
				"config_opts['root'] = '" + root + "'",
				"config_opts['target_arch'] = '" + host + "'",
				"config_opts['basedir'] = '" + filepath.Join(job.Dir, "mock") + "'",
				"config_opts['chroot_setup_cmd'] = 'install @build'",
			} {
				if !strings.Contains(string(text), line+"\n") {
					t.Errorf("config lacks %s:\n%s", line, text)
				}
			}
			if !strings.Contains(string(text), `\nbaseurl=`+testRepo+host+`\n`) {
				t.Errorf("config lacks the repo:\n%s", text)
			}

			// What was built.
			if len(res.RPMs) != 1 || filepath.Base(res.RPMs[0]) != tc.want || filepath.Dir(res.RPMs[0]) != out {
				t.Errorf("RPMs %v, want %s in %s", res.RPMs, tc.want, out)
			}
			if len(res.SRPMs) != 1 || filepath.Base(res.SRPMs[0]) != filepath.Base(srpm) {
				t.Errorf("SRPMs %v", res.SRPMs)
			}

			// Mock's logs are in the task's, each line once though mock
			// appends to them across calls.
			rootLog, state, build := readLog(t, job, "root.log"), readLog(t, job, "state.log"), readLog(t, job, "build.log")
			if !strings.Contains(rootLog, "stand-in mock: installing @build\n") ||
				!strings.Contains(rootLog, "stand-in mock: installing the BuildRequires of "+filepath.Base(srpm)) {
				t.Errorf("root.log:\n%s", rootLog)
			}
			for _, mode := range []string{"buildsrpm", "init", "installdeps", "shell", "rebuild"} {
				if n := strings.Count(state, "stand-in mock: "+mode+"\n"); n != 1 {
					t.Errorf("state.log has mock's %q %d times:\n%s", mode, n, state)
				}
			}
			if !strings.Contains(state, "built 1 RPMs") {
				t.Errorf("state.log:\n%s", state)
			}
			if !strings.Contains(build, "Wrote: ") || !strings.Contains(build, "INFO: stand-in mock: rebuild (this line is mock's console output)") {
				t.Errorf("build.log lacks rpmbuild's or mock's output:\n%s", build)
			}
		})
	}
}

// TestMockRebuildInOneGo: a job that does not want the root's contents
// gets one mock call, which makes the root anew.
func TestMockRebuildInOneGo(t *testing.T) {
	argvLog := withStandInMock(t)
	b := &buildroot.Mock{SetupPackages: []string{"bash", "rpm-build"}, Isolation: "nspawn"}
	job := mockJob(t, buildroot.HostArch())
	srpm, err := b.BuildSRPM(context.Background(), job, specDir(t, "gk-noarch"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Rebuild(context.Background(), job, srpm, "noarch"); err != nil {
		t.Fatal(err)
	}
	got := calls(t, argvLog)
	cfg := filepath.Join(job.Dir, "mock-f40-build-7-"+buildroot.HostArch()+".cfg")
	want := []string{"-r", cfg, "--resultdir", filepath.Join(job.Dir, "mock-result"), "--rebuild", srpm, "--cleanup-after"}
	if len(got) != 2 || !reflect.DeepEqual(got[1], want) {
		t.Errorf("mock was called %q, want the SRPM build then %q", got, want)
	}
	text, _ := os.ReadFile(cfg)
	for _, line := range []string{"config_opts['chroot_setup_cmd'] = 'install bash rpm-build'", "config_opts['isolation'] = 'nspawn'"} {
		if !strings.Contains(string(text), line+"\n") {
			t.Errorf("config lacks %s", line)
		}
	}
	if !strings.Contains(readLog(t, job, "root.log"), "stand-in mock: installing bash rpm-build\n") {
		t.Errorf("root.log:\n%s", readLog(t, job, "root.log"))
	}
}

// TestMockLogsCopiedOnce: a second build into the same result directory
// (mock appends to the logs there) copies only its own lines.
func TestMockLogsCopiedOnce(t *testing.T) {
	withStandInMock(t)
	b := &buildroot.Mock{}
	job := mockJob(t, buildroot.HostArch())
	srpm, err := b.BuildSRPM(context.Background(), job, specDir(t, "gk-noarch"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := b.Rebuild(context.Background(), job, srpm, "noarch"); err != nil {
			t.Fatal(err)
		}
	}
	if state := readLog(t, job, "state.log"); strings.Count(state, "stand-in mock: rebuild\n") != 2 {
		t.Errorf("two builds, state.log:\n%s", state)
	}
}

func TestMockBuildFailure(t *testing.T) {
	withStandInMock(t)
	job := mockJob(t, buildroot.HostArch())
	_, err := build(t, context.Background(), &buildroot.Mock{}, job, "gk-fail", "noarch")
	var be *buildroot.BuildError
	if !errors.As(err, &be) || !strings.Contains(be.Msg, "mock --rebuild failed (exit code 1)") {
		t.Fatalf("err = %v, want a BuildError", err)
	}
	log := readLog(t, job, "build.log")
	for _, want := range []string{"gk-fail: about to fail on purpose", "ERROR: stand-in mock: rpmbuild --rebuild failed"} {
		if !strings.Contains(log, want) {
			t.Errorf("build.log lacks %q:\n%s", want, log)
		}
	}
}

// TestMockRootReadyFails: the build does not start in a root the hub was
// not told about, and the root is removed.
func TestMockRootReadyFails(t *testing.T) {
	argvLog := withStandInMock(t)
	job := mockJob(t, buildroot.HostArch())
	refused := errors.New("hub says no")
	job.RootReady = func(context.Context, []buildroot.Package) error { return refused }
	_, err := build(t, context.Background(), &buildroot.Mock{}, job, "gk-noarch", "noarch")
	if !errors.Is(err, refused) {
		t.Fatalf("err = %v, want RootReady's", err)
	}
	c := calls(t, argvLog)
	for _, args := range c {
		if contains(args, "--rebuild") {
			t.Errorf("mock --rebuild ran: %q", args)
		}
	}
	if last := c[len(c)-1]; last[len(last)-1] != "--clean" {
		t.Errorf("the root was not removed: mock's last call was %q", last)
	}
	if !strings.Contains(readLog(t, job, "root.log"), "stand-in mock: removing the root") {
		t.Errorf("root.log:\n%s", readLog(t, job, "root.log"))
	}
}

// TestMockNeedsARepo: without the build tag's repo there is nothing to
// make a root from; that is the builder's problem, not the package's.
func TestMockNeedsARepo(t *testing.T) {
	argvLog := withStandInMock(t)
	job := newJob(t, "")
	_, err := (&buildroot.Mock{}).BuildSRPM(context.Background(), job, specDir(t, "gk-noarch"))
	var be *buildroot.BuildError
	if err == nil || errors.As(err, &be) || !strings.Contains(err.Error(), "repo") {
		t.Fatalf("err = %v, want an error about the repo", err)
	}
	if c := calls(t, argvLog); len(c) != 0 {
		t.Errorf("mock ran: %q", c)
	}
}

// TestMockCancelKillsTheBuild: cancelling the context kills mock and every
// process it started, promptly; mock's log is copied while it runs.
func TestMockCancelKillsTheBuild(t *testing.T) {
	withStandInMock(t)
	b := &buildroot.Mock{}
	job := mockJob(t, buildroot.HostArch())
	// The spec's line reaches the task's build.log through mock's, while
	// mock still runs.
	srpm := checkCancelKills(t, b, job, filepath.Join(job.Logs.Dir, "build.log"), 303)
	if out, _ := exec.Command("pgrep", "-f", "--", "--rebuild "+srpm).Output(); len(out) > 0 {
		t.Errorf("the stand-in mock survived the cancel: %s", out)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
