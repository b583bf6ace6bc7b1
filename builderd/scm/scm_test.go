package scm_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/builderd/scm"
	"github.com/gokoji/gokoji/hub/hubtest"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in, repo, ref, err string
	}{
		{in: "git+https://src.example.com/rpms/hello.git#abc123", repo: "https://src.example.com/rpms/hello.git", ref: "abc123"},
		{in: "git://example.com/hello#main", repo: "git://example.com/hello", ref: "main"},
		{in: "file:///srv/git/hello#v1", repo: "file:///srv/git/hello", ref: "v1"},
		{in: "git+file:///srv/git/hello?subdir=pkg#v1", repo: "file:///srv/git/hello", ref: "v1"},
		{in: "git://example.com/hello", err: "names no commit"},
		{in: "svn://example.com/hello#1", err: "unsupported SCM scheme"},
		{in: "git://example.com/x?subdir=../etc#1", err: "invalid subdir"},
	}
	for _, tc := range cases {
		s, err := scm.Parse(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) = %v, want error %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || s.Repo != tc.repo || s.Ref != tc.ref {
			t.Errorf("Parse(%q) = %+v, %v", tc.in, s, err)
		}
	}
	if !scm.IsSCM("git://x/y#1") || scm.IsSCM("cli-build/1.2.abc/foo.src.rpm") {
		t.Error("IsSCM")
	}
}

// TestCheckout clones a local repository at a commit.
func TestCheckout(t *testing.T) {
	repo := t.TempDir()
	run := hubtest.Git(t, repo)
	run("init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(repo, "hello.spec"), []byte("v1"), 0o644)
	run("add", ".")
	run("commit", "-q", "-m", "one")
	first := run("rev-parse", "HEAD")
	os.WriteFile(filepath.Join(repo, "hello.spec"), []byte("v2"), 0o644)
	run("commit", "-q", "-am", "two")

	s, err := scm.Parse("file://" + repo + "#" + first)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	dir, commit, err := s.Checkout(context.Background(), t.TempDir(), &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if commit != first {
		t.Errorf("commit %s, want %s", commit, first)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "hello.spec")); string(data) != "v1" {
		t.Errorf("checked out %q", data)
	}
	if got := s.Resolved(commit); got != "file://"+repo+"#"+first {
		t.Errorf("Resolved = %s", got)
	}
	bad, _ := scm.Parse("file://" + repo + "#nosuchref")
	if _, _, err := bad.Checkout(context.Background(), t.TempDir(), &log); err == nil {
		t.Error("checkout of a missing ref succeeded")
	}
}
