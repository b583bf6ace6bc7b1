package repos

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ExternalRepo is one external repo of a tag, as getExternalRepoList gives it.
type ExternalRepo struct {
	Name      string
	URL       string // may hold $arch
	MergeMode string // koji (default), simple or bare
	Arches    string // space-separated; empty for all
}

// FetchTimeout bounds the check that an http(s) external repo answers with
// its repomd.xml before mergerepo_c reads it.
var FetchTimeout = time.Minute

// merge merges an arch's freshly written repodata with the external repos,
// as Koji's createrepo task does: the internal repo first, then the external
// repos in order, with mergerepo_c in the repos' merge mode.
func merge(ctx context.Context, j ArchJob) error {
	modes := map[string]bool{}
	for _, e := range j.External {
		modes[mergeMode(e)] = true
	}
	if len(modes) > 1 {
		var list []string
		for m := range modes {
			list = append(list, m)
		}
		sort.Strings(list)
		return fmt.Errorf("found multiple merge modes for external repos: %s", strings.Join(list, ", "))
	}
	mode := mergeMode(j.External[0])
	bin := j.MergeRepo
	if bin == "" {
		bin = "mergerepo_c"
	}
	timeout := j.MergeTimeout
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	arch := filepath.Base(j.Dir)
	urls := []string{}
	for _, e := range j.External {
		if e.Arches != "" && !contains(strings.Fields(e.Arches), arch) {
			continue // not for this arch
		}
		u := strings.ReplaceAll(e.URL, "$arch", arch)
		if err := checkExternal(ctx, u); err != nil {
			return fmt.Errorf("external repo %s (%s): %w", e.Name, u, err)
		}
		urls = append(urls, u)
	}
	// The internal repo moves aside; mergerepo_c writes the merged
	// repodata where it was. Its packages keep their toplink/… locations
	// (the first repo gets no xml:base), so they resolve as before.
	premerge := filepath.Join(filepath.Dir(j.OutDir), ".premerge-"+filepath.Base(j.OutDir))
	if err := os.MkdirAll(premerge, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(premerge)
	if err := os.Rename(filepath.Join(j.OutDir, "repodata"), filepath.Join(premerge, "repodata")); err != nil {
		return fmt.Errorf("move repodata aside for the merge: %w", err)
	}
	var args []string
	switch mode {
	case "simple":
		args = []string{"--koji", "--simple"}
	case "bare":
		args = []string{"--pkgorigins", "--all"}
	default:
		args = []string{"--koji"}
	}
	if mode != "bare" {
		args = append(args, "-b", filepath.Join(j.Dir, "blocklist"))
	}
	args = append(args, "--no-database", "-a", arch, "--arch-expand", "-o", j.OutDir)
	if j.Comps != "" {
		args = append(args, "-g", j.Comps)
	}
	args = append(args, "-r", (&url.URL{Scheme: "file", Path: premerge + "/"}).String())
	for _, u := range urls {
		args = append(args, "-r", u)
	}
	if err := run(ctx, "mergerepo_c", bin, args); err != nil {
		return fmt.Errorf("failed to merge external repos: %w", err)
	}
	if _, err := os.Stat(filepath.Join(j.OutDir, "repodata", "repomd.xml")); err != nil {
		return fmt.Errorf("mergerepo_c wrote no repodata: %w", err)
	}
	return nil
}

func mergeMode(e ExternalRepo) string {
	if e.MergeMode == "" {
		return "koji"
	}
	return e.MergeMode
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkExternal makes sure an external repo has repodata before the merge,
// so a dead or wrong URL gives a clear reason quickly: a local path must
// hold repodata/repomd.xml, an http(s) URL must serve it within
// FetchTimeout. Other schemes are left to mergerepo_c.
func checkExternal(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad URL: %w", err)
	}
	switch u.Scheme {
	case "file", "":
		p := filepath.Join(u.Path, "repodata", "repomd.xml")
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("no repodata: %w", err)
		}
		return nil
	case "http", "https":
		ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
		defer cancel()
		target := strings.TrimRight(raw, "/") + "/repodata/repomd.xml"
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("cannot read repomd.xml: %w", err)
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, io.LimitReader(resp.Body, 16<<20))
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("cannot read repomd.xml: %s: HTTP %s", target, resp.Status)
		}
		return nil
	}
	return nil
}
