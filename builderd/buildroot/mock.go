package buildroot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Mock builds in a chroot that mock makes from the build tag's repo, as
// Koji's builders do. For each build it writes a mock config
// (MockConfigText) into the task's directory and runs mock on it; the
// root lives under the task's directory too, so tasks never share one.
type Mock struct {
	Path string // the mock executable; default "mock", looked up on PATH
	// Isolation is mock's isolation: "simple" (a plain chroot, which also
	// works inside containers; the default), "nspawn" or "auto".
	Isolation string
	// SetupPackages are installed into a fresh root. Default: the build
	// tag's "build" group, which Koji build tags define and the repo's comps
	// carries; tags without one need a list here.
	SetupPackages []string
	// CacheDir is mock's cache_topdir, where root and package caches are
	// kept by root name. Default: a directory in each task's own, which
	// caches nothing across tasks.
	CacheDir   string
	ReleaseVer string // dnf's $releasever in the root; default "1"
}

// mockLogPoll is how often mock's logs are copied into the task's while
// mock runs, so they are uploaded (and can be watched) as the build goes.
const mockLogPoll = time.Second

// Name implements Backend.
func (b *Mock) Name() string { return "mock" }

func (b *Mock) path() string {
	if b.Path != "" {
		return b.Path
	}
	return "mock"
}

// Available says why mock cannot be run, or nil when it can.
func (b *Mock) Available() error {
	if _, err := exec.LookPath(b.path()); err != nil {
		return fmt.Errorf("the mock backend needs mock: %w", err)
	}
	return nil
}

// config writes the mock config for building for arch into the job's
// directory and returns its path (mock takes a path to -r when it ends in
// .cfg).
func (b *Mock) config(job *Job, arch string) (string, error) {
	if job.RepoURL == "" {
		return "", errors.New("the mock backend needs the build tag's repo, and the task named none")
	}
	c := MockConfig{
		Root:       MockRootName(job.Tag, job.RepoID, arch),
		TargetArch: arch,
		RepoURL:    job.RepoURL,
		Setup:      b.SetupPackages,
		Isolation:  b.Isolation,
		BaseDir:    filepath.Join(job.Dir, "mock"),
		CacheDir:   b.CacheDir,
		ReleaseVer: b.ReleaseVer,
	}
	if len(c.Setup) == 0 {
		c.Setup = []string{"@build"}
	}
	if c.Isolation == "" {
		c.Isolation = "simple"
	}
	if c.CacheDir == "" {
		c.CacheDir = filepath.Join(job.Dir, "mock-cache")
	}
	if c.ReleaseVer == "" {
		c.ReleaseVer = "1"
	}
	text, err := MockConfigText(c)
	if err != nil {
		return "", err
	}
	path := filepath.Join(job.Dir, "mock-"+c.Root+".cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return "", fmt.Errorf("write mock config: %w", err)
	}
	return path, nil
}

// BuildSRPM implements Backend: mock --buildsrpm from the one spec in
// srcDir, in a root of the host's arch.
func (b *Mock) BuildSRPM(ctx context.Context, job *Job, srcDir string) (string, error) {
	specs, _ := filepath.Glob(filepath.Join(srcDir, "*.spec"))
	if len(specs) != 1 {
		return "", &BuildError{Msg: fmt.Sprintf("expected one .spec file in the sources, found %d", len(specs))}
	}
	cfg, err := b.config(job, HostArch())
	if err != nil {
		return "", err
	}
	out := filepath.Join(job.Dir, "mock-srpm")
	logs, err := newMockLogs(out, job.Logs)
	if err != nil {
		return "", err
	}
	job.Logs.Statef("mock --buildsrpm from %s", filepath.Base(specs[0]))
	if err := b.run(ctx, job, logs, "-r", cfg, "--resultdir", out, "--cleanup-after",
		"--buildsrpm", "--spec", specs[0], "--sources", srcDir); err != nil {
		return "", buildFailure(ctx, "mock --buildsrpm", err)
	}
	_, srpms := results(out)
	if len(srpms) != 1 {
		return "", fmt.Errorf("mock --buildsrpm made %d SRPMs", len(srpms))
	}
	job.Logs.Statef("SRPM %s", filepath.Base(srpms[0]))
	return srpms[0], nil
}

// Rebuild implements Backend. A noarch package builds in a root of the
// host's arch (rpmbuild follows its BuildArch).
//
// When the job wants the root's contents before the build (RootReady),
// the root is made in steps: --init installs the setup packages,
// --installdeps the SRPM's BuildRequires, then the rpms are listed from
// the root's own rpm database (--shell runs the root's rpm, which reads
// its database whatever the host's rpm is), and only then --rebuild runs,
// with --no-clean so it builds in the root that was listed. Listing after
// the build would be simpler, but the hub takes a buildroot's list only
// while it is INIT, before the build; the price is that BuildRequires a
// spec generates during the build (%generate_buildrequires) are not in
// the list.
func (b *Mock) Rebuild(ctx context.Context, job *Job, srpm, arch string) (*Result, error) {
	rootArch := arch
	if arch == "noarch" {
		rootArch = HostArch()
	}
	cfg, err := b.config(job, rootArch)
	if err != nil {
		return nil, err
	}
	out := filepath.Join(job.Dir, "mock-result")
	logs, err := newMockLogs(out, job.Logs)
	if err != nil {
		return nil, err
	}
	// Each run's arguments start alike: the config, and the result
	// directory where mock writes its logs.
	mock := func(extra ...string) []string { return append([]string{"-r", cfg, "--resultdir", out}, extra...) }
	rebuild := mock("--rebuild", srpm)
	if job.RootReady != nil {
		// --cleanup-after comes with --rebuild only: a root whose build
		// never started is removed here (unless the task was cancelled,
		// which must end promptly).
		started := false
		defer func() {
			if !started && ctx.Err() == nil {
				job.Logs.Statef("mock --clean: the build did not start")
				if err := b.run(ctx, job, logs, mock("--clean")...); err != nil {
					job.Logs.Statef("mock --clean: %v", err)
				}
			}
		}()
		job.Logs.Statef("mock --init: the root from %s", job.RepoURL)
		if err := b.run(ctx, job, logs, mock("--init")...); err != nil {
			return nil, buildFailure(ctx, "making the root (mock --init)", err)
		}
		job.Logs.Statef("mock --installdeps %s", filepath.Base(srpm))
		if err := b.run(ctx, job, logs, mock("--no-clean", "--installdeps", srpm)...); err != nil {
			return nil, buildFailure(ctx, "installing BuildRequires (mock --installdeps)", err)
		}
		// --shell runs its argument with the root's /bin/sh; the single
		// quotes keep the format's backslash escapes for rpm.
		installed, err := b.installed(ctx, job, logs, mock("--quiet", "--shell", "rpm -qa --qf '"+rpmQAFormat+"'"))
		if err != nil {
			return nil, err
		}
		if err := job.RootReady(ctx, installed); err != nil {
			return nil, err
		}
		rebuild = append(rebuild, "--no-clean")
		started = true
	}
	// The root is of no use once the build is done (its contents were
	// listed, its logs and results are out), and the task's directory
	// outlives the task, so mock removes it.
	rebuild = append(rebuild, "--cleanup-after")
	job.Logs.Statef("mock --rebuild %s for %s", filepath.Base(srpm), arch)
	if err := b.run(ctx, job, logs, rebuild...); err != nil {
		return nil, buildFailure(ctx, "mock --rebuild", err)
	}
	rpms, srpms := results(out)
	if len(rpms) == 0 {
		return nil, &BuildError{Msg: "mock produced no RPMs"}
	}
	job.Logs.Statef("built %d RPMs", len(rpms))
	return &Result{RPMs: rpms, SRPMs: srpms}, nil
}

// installed lists the rpms in the job's root: args make mock run the
// root's rpm -qa in rpmQAFormat.
func (b *Mock) installed(ctx context.Context, job *Job, logs *mockLogs, args []string) ([]Package, error) {
	var out bytes.Buffer
	err := runTo(ctx, &out, job.Logs.Build, job.Dir, b.path(), args...)
	if serr := logs.sync(true); err == nil {
		err = serr
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("list the root's rpms (mock --shell): %w", err)
	}
	return parseRPMQA(out.Bytes()), nil
}

// run runs mock, its output into build.log, and copies what mock writes
// to its own logs into the task's as it goes.
func (b *Mock) run(ctx context.Context, job *Job, logs *mockLogs, args ...string) error {
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(mockLogPoll)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				logs.sync(false) // a failure here is tried again, and reported, at the end
			}
		}
	}()
	err := run(ctx, job.Logs.Build, job.Dir, b.path(), args...)
	close(stop)
	<-stopped
	if serr := logs.sync(true); err == nil {
		err = serr
	}
	return err
}

// results are the binary RPMs and the SRPMs in mock's result directory.
func results(dir string) (rpms, srpms []string) {
	all, _ := filepath.Glob(filepath.Join(dir, "*.rpm"))
	sort.Strings(all)
	for _, p := range all {
		if strings.HasSuffix(p, ".src.rpm") {
			srpms = append(srpms, p)
		} else {
			rpms = append(rpms, p)
		}
	}
	return rpms, srpms
}

// mockLogs appends what mock writes to the logs in its result directory
// to the task's logs of the same names, so they are uploaded as Koji
// uploads mock's. Mock appends to its logs across runs into one result
// directory; the offsets make each byte copied once.
type mockLogs struct {
	dir  string
	into map[string]*os.File
	off  map[string]int64
}

// newMockLogs copies from mock's logs in dir what mock writes to them from
// now on.
func newMockLogs(dir string, l *Logs) (*mockLogs, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mock result directory: %w", err)
	}
	m := &mockLogs{dir: dir, off: map[string]int64{},
		into: map[string]*os.File{"root.log": l.Root, "build.log": l.Build, "state.log": l.State}}
	for name := range m.into {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
			m.off[name] = fi.Size()
		}
	}
	return m, nil
}

// sync copies what is new in each log. Unless all is set it stops at the
// last newline, leaving a line mock is still writing for the next time.
func (m *mockLogs) sync(all bool) error {
	var errs []error
	for _, name := range []string{"root.log", "build.log", "state.log"} {
		if err := m.syncOne(name, all); err != nil {
			errs = append(errs, fmt.Errorf("copy mock's %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (m *mockLogs) syncOne(name string, all bool) error {
	f, err := os.Open(filepath.Join(m.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // not written (yet)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	off := m.off[name]
	if fi.Size() < off {
		off = 0 // replaced by a new file: copy it whole
	}
	r := io.NewSectionReader(f, off, fi.Size()-off)
	buf := make([]byte, 64<<10)
	for {
		n, err := io.ReadFull(r, buf)
		chunk := buf[:n]
		last := err != nil // io.EOF or io.ErrUnexpectedEOF: the rest is read
		if last && !all {
			chunk = chunk[:bytes.LastIndexByte(chunk, '\n')+1]
		}
		if _, werr := m.into[name].Write(chunk); werr != nil {
			return werr
		}
		off += int64(len(chunk))
		m.off[name] = off
		if last {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil
			}
			return err
		}
	}
}
