// Package scm fetches sources named by Koji-style SCM URLs:
// git://host/path#ref, git+https://host/path.git#ref, git+file:///path#ref
// and file:///path#ref (a local git repository, for tests).
package scm

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
)

// Source is a parsed SCM URL.
type Source struct {
	URL    string // as given
	Repo   string // what git clones
	Ref    string // the fragment: commit, tag or branch
	Subdir string // optional ?subdir=… holding the spec
}

// IsSCM reports whether src names an SCM URL rather than an uploaded SRPM
// path (Koji's rule: it contains "://").
func IsSCM(src string) bool { return strings.Contains(src, "://") }

// Parse reads an SCM URL; a ref after '#' is required, as in Koji.
func Parse(raw string) (*Source, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid SCM URL %q: %w", raw, err)
	}
	if u.Fragment == "" {
		return nil, fmt.Errorf("SCM URL %q names no commit: add #<commit or ref>", raw)
	}
	scheme := u.Scheme
	switch scheme {
	case "git", "file":
	case "git+https", "git+http", "git+ssh", "git+file":
		scheme = strings.TrimPrefix(scheme, "git+")
	default:
		return nil, fmt.Errorf("unsupported SCM scheme %q in %q (use git://, git+https://, git+file:// or file://)", u.Scheme, raw)
	}
	s := &Source{URL: raw, Ref: u.Fragment, Subdir: u.Query().Get("subdir")}
	if strings.Contains(s.Subdir, "..") {
		return nil, fmt.Errorf("invalid subdir %q in %q", s.Subdir, raw)
	}
	repo := *u
	repo.Scheme, repo.Fragment, repo.RawQuery = scheme, "", ""
	s.Repo = repo.String()
	return s, nil
}

// Checkout clones the source into dir at its ref and returns the directory
// holding the spec and the resolved commit.
func (s *Source) Checkout(ctx context.Context, dir string, log *bytes.Buffer) (specDir, commit string, err error) {
	git := func(args ...string) (string, error) {
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		cmd.Stdout = &out
		cmd.Stderr = log
		cmd.Env = append(cmd.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1")
		fmt.Fprintf(log, "+ git %s\n", strings.Join(args, " "))
		err := cmd.Run()
		return strings.TrimSpace(out.String()), err
	}
	if _, err := git("clone", "--quiet", "--no-checkout", s.Repo, "."); err != nil {
		return "", "", fmt.Errorf("git clone %s failed: %w", s.Repo, err)
	}
	if _, err := git("checkout", "--quiet", s.Ref); err != nil {
		return "", "", fmt.Errorf("git checkout %s failed: %w", s.Ref, err)
	}
	commit, err = git("rev-parse", "HEAD")
	if err != nil {
		return "", "", fmt.Errorf("git rev-parse failed: %w", err)
	}
	specDir = dir
	if s.Subdir != "" {
		specDir = dir + "/" + s.Subdir
	}
	return specDir, commit, nil
}

// Resolved is the URL with the ref replaced by the commit it resolved to,
// as Koji records a build's source.
func (s *Source) Resolved(commit string) string {
	base, _, _ := strings.Cut(s.URL, "#")
	return base + "#" + commit
}
