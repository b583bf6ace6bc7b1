// Package buildroot runs builds: it turns specs and SRPMs into RPMs in a
// clean per-task directory, writing build.log, root.log and state.log as it
// goes. Backends (host-native rpmbuild, mock) sit behind one interface; the
// builder daemon picks one and streams the logs.
package buildroot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Backend builds in some kind of root.
type Backend interface {
	// Name is the backend's name, as configured.
	Name() string
	// BuildSRPM makes a source RPM from the spec file and sources in srcDir.
	BuildSRPM(ctx context.Context, job *Job, srcDir string) (string, error)
	// Rebuild builds the binary RPMs of an SRPM for arch ("noarch" for
	// noarch-only packages).
	Rebuild(ctx context.Context, job *Job, srpm, arch string) (*Result, error)
}

// Job is one task's build area.
type Job struct {
	Dir     string // a clean directory of the task's own
	RepoURL string // the build tag's repo for the arch (…/repos/<tag>/<id>/<arch>), "" without one
	Tag     string // the build tag's name, with RepoURL
	RepoID  int64  // the repo's id, with RepoURL
	Logs    *Logs
	// RootReady, when set, is told what was installed into the root once
	// it is prepared and before the build starts, so the builder can record
	// the buildroot's contents with the hub while it is still INIT.
	RootReady func(ctx context.Context, installed []Package) error
}

// Package is one rpm installed into a root.
type Package struct {
	Name, Version, Release, Arch string
	Epoch                        *int64 // nil: no epoch
}

// Result is what a build produced.
type Result struct {
	RPMs  []string
	SRPMs []string
}

// BuildError is a build that failed for reasons of the package (its spec,
// its sources, its BuildRequires), as opposed to the builder.
type BuildError struct{ Msg string }

func (e *BuildError) Error() string { return e.Msg }

// Logs are the three logs Koji builds keep.
type Logs struct {
	Dir   string
	Build *os.File // build.log: the build tool's output
	Root  *os.File // root.log: preparing the root, installing BuildRequires
	State *os.File // state.log: what happened when
	mu    sync.Mutex
}

// LogNames are the files a Logs writes, in upload order.
var LogNames = []string{"build.log", "root.log", "state.log"}

// OpenLogs creates the log files in dir.
func OpenLogs(dir string) (*Logs, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	l := &Logs{Dir: dir}
	for _, p := range []struct {
		name string
		f    **os.File
	}{{"build.log", &l.Build}, {"root.log", &l.Root}, {"state.log", &l.State}} {
		f, err := os.OpenFile(filepath.Join(dir, p.name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("open %s: %w", p.name, err)
		}
		*p.f = f
	}
	return l, nil
}

// Statef notes a step in state.log.
func (l *Logs) Statef(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.State, "%s %s\n", time.Now().UTC().Format("2006-01-02 15:04:05"), fmt.Sprintf(format, args...))
}

// Close closes the files.
func (l *Logs) Close() error {
	var errs []error
	for _, f := range []*os.File{l.Build, l.Root, l.State} {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	return errors.Join(errs...)
}

// run runs a command in its own process group, output to w. Cancelling ctx
// kills the whole group, so no build process outlives its task.
func run(ctx context.Context, w io.Writer, dir string, name string, args ...string) error {
	return runTo(ctx, w, w, dir, name, args...)
}

// runTo is run with the command's standard output kept apart, for commands
// whose output is data rather than log.
func runTo(ctx context.Context, stdout, stderr io.Writer, dir string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	fmt.Fprintf(stderr, "+ %s %s\n", name, strings.Join(args, " "))
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	// A marker lets a restarted daemon kill what a killed one left running.
	marker := filepath.Join(dir, fmt.Sprintf(".pgid-%d", cmd.Process.Pid))
	os.WriteFile(marker, nil, 0o644)
	defer os.Remove(marker)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// The group id is the child's pid (Setpgid).
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return ctx.Err()
	}
}

// KillLeftovers kills the process groups that commands of an earlier,
// killed daemon left running under workdir (they are marked by .pgid-<n>
// files in their task directories).
func KillLeftovers(workdir string) int {
	marks, _ := filepath.Glob(filepath.Join(workdir, "*", ".pgid-*"))
	n := 0
	for _, m := range marks {
		var pgid int
		if _, err := fmt.Sscanf(filepath.Base(m), ".pgid-%d", &pgid); err == nil && pgid > 1 {
			if syscall.Kill(-pgid, syscall.SIGKILL) == nil {
				n++
			}
		}
		os.Remove(m)
	}
	return n
}

// HostArch is the machine's arch as RPM names it.
func HostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	case "ppc64le":
		return "ppc64le"
	case "s390x":
		return "s390x"
	}
	return runtime.GOARCH
}
