// Package transcripts finds the recorded Koji wire transcripts the tests
// replay. They live outside the repository, in shared/koji-transcripts
// beside it; a checkout cloned from a local repository (as CI's clean
// clone is) finds them beside the repository it was cloned from.
package transcripts

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Dir is $KOJI_TRANSCRIPTS when set, else the first of
// <repo>/../shared/koji-transcripts and <origin>/../shared/koji-transcripts
// (origin being remote.origin.url when it is a local path) that exists.
// start is a directory inside the repository.
func Dir(start string) (string, error) {
	if d := os.Getenv("KOJI_TRANSCRIPTS"); d != "" {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			return "", fmt.Errorf("KOJI_TRANSCRIPTS=%s is not a directory", d)
		}
		return d, nil
	}
	root, err := moduleRoot(start)
	if err != nil {
		return "", err
	}
	tried := []string{}
	for _, repo := range []string{root, localOrigin(root)} {
		if repo == "" {
			continue
		}
		d := filepath.Join(filepath.Dir(repo), "shared", "koji-transcripts")
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d, nil
		}
		tried = append(tried, d)
	}
	return "", fmt.Errorf("recorded Koji transcripts not found at %s; set KOJI_TRANSCRIPTS", strings.Join(tried, " or "))
}

func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", errors.New("no go.mod in " + dir + " or above")
		}
		d = parent
	}
}

// localOrigin is the path of the repository root was cloned from, or "".
func localOrigin(root string) string {
	out, err := exec.Command("git", "-C", root, "config", "--get", "remote.origin.url").Output()
	if err != nil {
		return ""
	}
	origin := strings.TrimSpace(string(out))
	if u, err := url.Parse(origin); err == nil && u.Scheme == "file" {
		origin = u.Path
	}
	if !filepath.IsAbs(origin) {
		return ""
	}
	return filepath.Clean(origin)
}
