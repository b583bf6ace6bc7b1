package buildroot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// RPMBuild builds host-native with rpmbuild in the job's directory.
// BuildRequires are checked first: those the build tag's repo provides are
// installed with dnf into an isolated root under the job directory (rpmbuild
// itself runs on the host, whose RPM database Debian leaves empty, so it
// runs with --nodeps once the check passed); others must be on the host.
type RPMBuild struct {
	RPMBuild string // default "rpmbuild"
	DNF      string // default "dnf"
}

// Name implements Backend.
func (b *RPMBuild) Name() string { return "rpmbuild" }

func (b *RPMBuild) rpmbuild() string {
	if b.RPMBuild != "" {
		return b.RPMBuild
	}
	return "rpmbuild"
}

func (b *RPMBuild) dnf() string {
	if b.DNF != "" {
		return b.DNF
	}
	return "dnf"
}

func topdirArgs(top string) []string {
	return []string{"--define", "_topdir " + top}
}

// BuildSRPM implements Backend: the spec in srcDir with its sources beside it.
func (b *RPMBuild) BuildSRPM(ctx context.Context, job *Job, srcDir string) (string, error) {
	specs, _ := filepath.Glob(filepath.Join(srcDir, "*.spec"))
	if len(specs) != 1 {
		return "", &BuildError{Msg: fmt.Sprintf("expected one .spec file in the sources, found %d", len(specs))}
	}
	top := filepath.Join(job.Dir, "srpm")
	job.Logs.Statef("building SRPM from %s", filepath.Base(specs[0]))
	args := append(topdirArgs(top), "--define", "_sourcedir "+srcDir, "--nodeps", "-bs", specs[0])
	if err := run(ctx, job.Logs.Build, srcDir, b.rpmbuild(), args...); err != nil {
		return "", buildFailure(ctx, "building the SRPM", err)
	}
	srpms, _ := filepath.Glob(filepath.Join(top, "SRPMS", "*.src.rpm"))
	if len(srpms) != 1 {
		return "", fmt.Errorf("rpmbuild -bs made %d SRPMs", len(srpms))
	}
	job.Logs.Statef("SRPM %s", filepath.Base(srpms[0]))
	return srpms[0], nil
}

// Rebuild implements Backend.
func (b *RPMBuild) Rebuild(ctx context.Context, job *Job, srpm, arch string) (*Result, error) {
	if err := b.prepareRoot(ctx, job, srpm); err != nil {
		return nil, err
	}
	if job.RootReady != nil {
		installed, err := Installed(ctx, filepath.Join(job.Dir, "root"))
		if err != nil {
			return nil, err
		}
		if err := job.RootReady(ctx, installed); err != nil {
			return nil, err
		}
	}
	top := filepath.Join(job.Dir, "rpmbuild")
	args := append(topdirArgs(top), "--nodeps", "--rebuild")
	if arch != "noarch" {
		args = append(args, "--target", arch)
	}
	args = append(args, srpm)
	job.Logs.Statef("rpmbuild --rebuild %s for %s", filepath.Base(srpm), arch)
	if err := run(ctx, job.Logs.Build, job.Dir, b.rpmbuild(), args...); err != nil {
		return nil, buildFailure(ctx, "rpmbuild", err)
	}
	var res Result
	filepath.Walk(filepath.Join(top, "RPMS"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasSuffix(p, ".rpm") {
			res.RPMs = append(res.RPMs, p)
		}
		return nil
	})
	sort.Strings(res.RPMs)
	if len(res.RPMs) == 0 {
		return nil, &BuildError{Msg: "rpmbuild produced no RPMs"}
	}
	job.Logs.Statef("built %d RPMs", len(res.RPMs))
	return &res, nil
}

func buildFailure(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return &BuildError{Msg: fmt.Sprintf("%s failed (exit code %d); see build.log", what, exit.ExitCode())}
	}
	return err
}

// BuildRequires lists an SRPM's build dependencies, without rpmlib() ones.
func (b *RPMBuild) BuildRequires(ctx context.Context, srpm string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "rpm", "-qp", "--requires", srpm).Output()
	if err != nil {
		return nil, fmt.Errorf("read BuildRequires of %s: %w", filepath.Base(srpm), err)
	}
	var reqs []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "rpmlib(") {
			continue
		}
		reqs = append(reqs, l)
	}
	return reqs, nil
}

// prepareRoot checks the BuildRequires and installs those the repo has.
func (b *RPMBuild) prepareRoot(ctx context.Context, job *Job, srpm string) error {
	reqs, err := b.BuildRequires(ctx, srpm)
	if err != nil {
		return err
	}
	fmt.Fprintf(job.Logs.Root, "BuildRequires: %s\n", strings.Join(reqs, ", "))
	if len(reqs) == 0 {
		return nil
	}
	var fromRepo, missing []string
	for _, r := range reqs {
		name := strings.Fields(r)[0] // "foo >= 1.0" → foo
		switch {
		case job.RepoURL != "" && b.repoProvides(ctx, job, r):
			fromRepo = append(fromRepo, r)
		case onHost(name):
			fmt.Fprintf(job.Logs.Root, "%s: provided by the host\n", r)
		default:
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return &BuildError{Msg: "missing BuildRequires: " + strings.Join(missing, ", ")}
	}
	if len(fromRepo) == 0 {
		return nil
	}
	root := filepath.Join(job.Dir, "root")
	job.Logs.Statef("installing %d BuildRequires into %s", len(fromRepo), root)
	args := append(b.dnfArgs(job), "--installroot", root, "install", "-y", "--nogpgcheck")
	args = append(args, fromRepo...)
	if err := run(ctx, job.Logs.Root, job.Dir, b.dnf(), args...); err != nil {
		return buildFailure(ctx, "installing BuildRequires", err)
	}
	return nil
}

func (b *RPMBuild) dnfArgs(job *Job) []string {
	cache := filepath.Join(job.Dir, "dnf-cache")
	return []string{"-q", "--setopt=cachedir=" + cache, "--setopt=reposdir=" + filepath.Join(job.Dir, "no-repos"),
		"--releasever=1", "--repofrompath=buildtag," + job.RepoURL, "--repo=buildtag"}
}

func (b *RPMBuild) repoProvides(ctx context.Context, job *Job, req string) bool {
	args := append(b.dnfArgs(job), "--installroot", filepath.Join(job.Dir, "query-root"),
		"repoquery", "--whatprovides", req, "--qf", "%{name}")
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, b.dnf(), args...)
	cmd.Stdout = &out
	cmd.Stderr = job.Logs.Root
	return cmd.Run() == nil && strings.TrimSpace(out.String()) != ""
}

// onHost: Debian keeps no RPM database, so a BuildRequires not in the build
// tag's repo counts as met when the host has it as a command or a path.
func onHost(name string) bool {
	if strings.HasPrefix(name, "/") {
		_, err := os.Stat(name)
		return err == nil
	}
	_, err := exec.LookPath(name)
	return err == nil
}

// Installed lists the rpms in a root's RPM database; a root that was never
// made (nothing needed installing) holds none.
func Installed(ctx context.Context, root string) ([]Package, error) {
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	cmd := exec.CommandContext(ctx, "rpm", "-qa", "--root", root, "--qf", rpmQAFormat)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("list rpms in %s: %w: %s", root, err, strings.TrimSpace(stderr.String()))
	}
	return parseRPMQA(out), nil
}

// rpmQAFormat is the rpm -qa --qf format parseRPMQA reads: tabs cannot
// occur in the fields, so no name or version can be misread.
const rpmQAFormat = `%{NAME}\t%{VERSION}\t%{RELEASE}\t%{EPOCH}\t%{ARCH}\n`

// parseRPMQA reads rpm -qa output in rpmQAFormat, sorted by name. Lines
// of another shape (a warning rpm printed, say) and gpg-pubkey entries
// (keys, not packages) are skipped; an epoch of "(none)" is no epoch.
func parseRPMQA(out []byte) []Package {
	var pkgs []Package
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.TrimSuffix(line, "\r"), "\t")
		if len(f) != 5 || f[0] == "" || f[0] == "gpg-pubkey" {
			continue
		}
		p := Package{Name: f[0], Version: f[1], Release: f[2], Arch: f[4]}
		if e, err := strconv.ParseInt(f[3], 10, 64); err == nil {
			p.Epoch = &e
		}
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	return pkgs
}
