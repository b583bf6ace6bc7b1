package buildroot_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gokoji/gokoji/builderd/buildroot"
	"github.com/gokoji/gokoji/hub/repos"
)

func specDir(t *testing.T, name string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "specs", name+".spec"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, name+".spec"), src, 0o644)
	return dir
}

func newJob(t *testing.T, repoURL string) *buildroot.Job {
	t.Helper()
	dir := t.TempDir()
	logs, err := buildroot.OpenLogs(filepath.Join(dir, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logs.Close() })
	return &buildroot.Job{Dir: dir, RepoURL: repoURL, Logs: logs}
}

// build makes the SRPM of a test spec and rebuilds it.
func build(t *testing.T, ctx context.Context, b buildroot.Backend, job *buildroot.Job, spec, arch string) (*buildroot.Result, error) {
	t.Helper()
	srpm, err := b.BuildSRPM(ctx, job, specDir(t, spec))
	if err != nil {
		t.Fatalf("BuildSRPM %s: %v", spec, err)
	}
	return b.Rebuild(ctx, job, srpm, arch)
}

func TestRPMBuild(t *testing.T) {
	if _, err := exec.LookPath("rpmbuild"); err != nil {
		t.Fatalf("rpmbuild is needed (Debian package rpm; make deps installs it): %v", err)
	}
	ctx := context.Background()
	b := &buildroot.RPMBuild{}
	cases := []struct {
		spec, arch string
		want       string
	}{
		{"gk-noarch", "noarch", "gk-noarch-1.0-1.noarch.rpm"},
		{"gk-arch", "x86_64", "gk-arch-1.0-1.x86_64.rpm"},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			job := newJob(t, "")
			res, err := build(t, ctx, b, job, tc.spec, tc.arch)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.RPMs) != 1 || filepath.Base(res.RPMs[0]) != tc.want {
				t.Fatalf("built %v, want %s", res.RPMs, tc.want)
			}
			state, _ := os.ReadFile(filepath.Join(job.Dir, "logs", "state.log"))
			if !strings.Contains(string(state), "built 1 RPMs") {
				t.Errorf("state.log = %s", state)
			}
		})
	}
}

func TestRPMBuildFailure(t *testing.T) {
	job := newJob(t, "")
	_, err := build(t, context.Background(), &buildroot.RPMBuild{}, job, "gk-fail", "noarch")
	var be *buildroot.BuildError
	if !errors.As(err, &be) || !strings.Contains(be.Msg, "rpmbuild failed") {
		t.Fatalf("err = %v, want a BuildError", err)
	}
	log, _ := os.ReadFile(filepath.Join(job.Dir, "logs", "build.log"))
	if !strings.Contains(string(log), "gk-fail: about to fail on purpose") {
		t.Errorf("build.log lacks the spec's output:\n%s", log)
	}
}

func TestBuildRequires(t *testing.T) {
	ctx := context.Background()
	b := &buildroot.RPMBuild{}
	// Without a repo, gk-noarch is nowhere.
	_, err := build(t, ctx, b, newJob(t, ""), "gk-needs", "noarch")
	var be *buildroot.BuildError
	if !errors.As(err, &be) || !strings.Contains(be.Msg, "missing BuildRequires: gk-noarch") {
		t.Fatalf("err = %v, want missing BuildRequires", err)
	}
	// With a build tag repo holding gk-noarch, it is installed and the build runs.
	top := t.TempDir()
	res, err := build(t, ctx, b, newJob(t, ""), "gk-noarch", "noarch")
	if err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join("packages", "gk-noarch", "1.0", "1", "noarch", "gk-noarch-1.0-1.noarch.rpm")
	os.MkdirAll(filepath.Dir(filepath.Join(top, rel)), 0o755)
	if err := os.Rename(res.RPMs[0], filepath.Join(top, rel)); err != nil {
		t.Fatal(err)
	}
	spec := repos.Spec{TopDir: top, Tag: "build", RepoID: 1, Arches: []string{"x86_64"},
		RPMs: []repos.RPM{{Name: "gk-noarch", Version: "1.0", Release: "1", Arch: "noarch", Path: rel}}}
	if err := repos.Write(ctx, spec); err != nil {
		t.Fatal(err)
	}
	job := newJob(t, "file://"+filepath.Join(repos.Dir(top, "build", 1), "x86_64"))
	res, err = build(t, ctx, b, job, "gk-needs", "noarch")
	if err != nil {
		root, _ := os.ReadFile(filepath.Join(job.Dir, "logs", "root.log"))
		t.Fatalf("with the repo: %v\nroot.log:\n%s", err, root)
	}
	if _, err := os.Stat(filepath.Join(job.Dir, "root", "usr", "share", "gk-noarch", "info.txt")); err != nil {
		t.Errorf("gk-noarch was not installed into the job's root: %v", err)
	}
	if len(res.RPMs) != 1 {
		t.Errorf("built %v", res.RPMs)
	}
}

// TestCancelKillsTheBuild: cancelling the context kills rpmbuild and every
// process it started, promptly.
func TestCancelKillsTheBuild(t *testing.T) {
	job := newJob(t, "")
	checkCancelKills(t, &buildroot.RPMBuild{}, job, filepath.Join(job.Dir, "logs", "build.log"), 301)
}

// checkCancelKills builds gk-slow with b, with its sleep lengthened to
// sleep seconds (a length of the test's own, so processes of other tests
// are not taken for this build's), waits until the build runs (its line in
// buildLog), cancels, and checks Rebuild returns within 5 s and leaves no
// process behind. It returns the SRPM.
func checkCancelKills(t *testing.T, b buildroot.Backend, job *buildroot.Job, buildLog string, sleep int) string {
	t.Helper()
	dir := specDir(t, "gk-slow")
	spec := filepath.Join(dir, "gk-slow.spec")
	data, _ := os.ReadFile(spec)
	os.WriteFile(spec, []byte(strings.ReplaceAll(string(data), "sleep 300", fmt.Sprintf("sleep %d", sleep))), 0o644)
	srpm, err := b.BuildSRPM(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := b.Rebuild(ctx, job, srpm, "noarch")
		done <- err
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		data, _ := os.ReadFile(buildLog)
		if strings.Contains(string(data), "gk-slow: sleeping") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the build never started:\n%s", data)
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Rebuild after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Rebuild did not return within 5 s of cancel")
	}
	if out, _ := exec.Command("pgrep", "-f", fmt.Sprintf("sleep %d", sleep)).Output(); len(out) > 0 {
		t.Errorf("build processes survived the cancel: %s", out)
	}
	return srpm
}
