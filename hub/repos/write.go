package repos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RPM is one package file a repo lists.
type RPM struct {
	ID          int64  `json:"id"`
	BuildID     int64  `json:"build_id"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Release     string `json:"release"`
	Epoch       *int64 `json:"epoch"`
	Arch        string `json:"arch"`
	PayloadHash string `json:"payloadhash"`
	Size        int64  `json:"size"`
	BuildTime   int64  `json:"buildtime"`
	Path        string `json:"-"` // relative to the topdir
}

// Options are Koji's repo options.
type Options struct {
	Src         bool `json:"src"`
	SeparateSrc bool `json:"separate_src"`
	Debuginfo   bool `json:"debuginfo"`
}

// Spec is everything one repo holds.
type Spec struct {
	TopDir  string
	Tag     string
	TagID   int64
	RepoID  int64
	EventID int64
	TaskID  *int64
	Arches  []string // repo arch directories (see RepoArches)
	RPMs    []RPM
	Blocked []string // blocked package names
	Comps   []byte   // comps.xml, or nil
	Opts    Options
	// Previous is the directory of an earlier repo of the tag; its metadata
	// is reused for unchanged packages so a small change rereads few RPMs.
	Previous string
	// CreateRepo is the createrepo_c binary (default "createrepo_c").
	CreateRepo string
	// External are the tag's external repos (getExternalRepoList's order),
	// merged into each arch's repodata with mergerepo_c.
	External []ExternalRepo
	// MergeRepo is the mergerepo_c binary (default "mergerepo_c").
	MergeRepo string
	// MergeTimeout bounds one arch's merge, remote reads included
	// (default 30 minutes).
	MergeTimeout time.Duration
}

// Dir is where repo id of tag lives.
func Dir(topdir, tag string, id int64) string {
	return filepath.Join(topdir, "repos", tag, strconv.FormatInt(id, 10))
}

// Write builds the repo in a hidden directory and moves it into place when
// every arch is done, so a failure leaves no half-written repo behind.
func Write(ctx context.Context, s Spec) (err error) {
	if s.CreateRepo == "" {
		s.CreateRepo = "createrepo_c"
	}
	if _, err := exec.LookPath(s.CreateRepo); err != nil {
		return fmt.Errorf("createrepo_c is not installed (%s): %w", s.CreateRepo, err)
	}
	final, tmp, err := tempRepoDir(s)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			err = withDiskHint(tmp, err)
			os.RemoveAll(tmp)
		}
	}()
	if err := writeSkeleton(tmp, s); err != nil {
		return err
	}
	comps := ""
	if s.Comps != nil {
		comps = filepath.Join(tmp, "groups", "comps.xml")
	}
	for _, arch := range archDirs(s) {
		j := ArchJob{Dir: filepath.Join(tmp, arch), Comps: comps, External: s.External,
			CreateRepo: s.CreateRepo, MergeRepo: s.MergeRepo, MergeTimeout: s.MergeTimeout}
		if s.Previous != "" {
			j.Previous = filepath.Join(s.Previous, arch)
		}
		if err := WriteArch(ctx, j); err != nil {
			return fmt.Errorf("repo %d arch %s: %w", s.RepoID, arch, err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("move repo into place: %w", err)
	}
	ok = true
	return nil
}

// archRPMs picks the RPMs of one arch directory, sorted by path.
func archRPMs(s Spec, arch string) []RPM {
	var out []RPM
	for _, r := range s.RPMs {
		if !s.Opts.Debuginfo && isDebuginfo(r.Name) {
			continue
		}
		var in bool
		switch {
		case arch == "src":
			in = r.Arch == "src"
		case r.Arch == "src":
			in = s.Opts.Src
		case r.Arch == "noarch":
			in = true
		default:
			in = CanonArch(r.Arch) == arch
		}
		if in {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// archDirs are the repo's arch directories: its arches, and src with
// separate_src.
func archDirs(s Spec) []string {
	dirs := append([]string{}, s.Arches...)
	if s.Opts.SeparateSrc {
		dirs = append(dirs, "src")
	}
	return dirs
}

// tempRepoDir makes the hidden directory a repo is written in before it is
// renamed into place (final), so readers never see half a repo.
func tempRepoDir(s Spec) (final, tmp string, err error) {
	final = Dir(s.TopDir, s.Tag, s.RepoID)
	if _, err := os.Stat(final); err == nil {
		return "", "", fmt.Errorf("repo directory %s already exists", final)
	}
	tmp = filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+".tmp")
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", "", fmt.Errorf("create repo directory: %w", err)
	}
	return final, tmp, nil
}

// Skeleton writes everything of a repo but its repodata into repos/<tag>/<id>:
// repo.json, groups/comps.xml and, per arch, pkglist, rpmlist.jsonl,
// blocklist and the toplink, as Koji's repo_init does for a builder that
// runs createrepo itself. A failure leaves no directory behind.
func Skeleton(s Spec) error {
	final, tmp, err := tempRepoDir(s)
	if err != nil {
		return err
	}
	if err := writeSkeleton(tmp, s); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("move repo into place: %w", err)
	}
	return nil
}

func writeSkeleton(repoDir string, s Spec) error {
	if err := writeRepoJSON(repoDir, s); err != nil {
		return err
	}
	if s.Comps != nil {
		comps := filepath.Join(repoDir, "groups", "comps.xml")
		if err := os.MkdirAll(filepath.Dir(comps), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(comps, s.Comps, 0o644); err != nil {
			return fmt.Errorf("write comps.xml: %w", err)
		}
	}
	for _, arch := range archDirs(s) {
		if err := skeletonArch(s, repoDir, arch); err != nil {
			return fmt.Errorf("repo %d arch %s: %w", s.RepoID, arch, err)
		}
	}
	return nil
}

func skeletonArch(s Spec, repoDir, arch string) error {
	dir := filepath.Join(repoDir, arch)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// toplink lets repodata name packages by topdir-relative paths; the
	// file server follows it.
	if err := os.Symlink("../../../..", filepath.Join(dir, "toplink")); err != nil {
		return err
	}
	rpms := archRPMs(s, arch)
	var pkglist, rpmlist bytes.Buffer
	for _, r := range rpms {
		if _, err := os.Stat(filepath.Join(s.TopDir, r.Path)); err != nil {
			return fmt.Errorf("missing RPM %s: %w", r.Path, err)
		}
		pkglist.WriteString("toplink/" + r.Path + "\n")
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		rpmlist.Write(line)
		rpmlist.WriteByte('\n')
	}
	blocked := append([]string{}, s.Blocked...)
	sort.Strings(blocked)
	// In a fixed order, so a failure (a full disk) always names the same file.
	files := []struct {
		name string
		data []byte
	}{
		{"pkglist", pkglist.Bytes()},
		{"rpmlist.jsonl", rpmlist.Bytes()},
		{"blocklist", []byte(strings.Join(blocked, "\n") + nl(len(blocked)))},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return nil
}

// ArchJob is the repodata of one arch directory of a repo, what Koji's
// createrepo task makes: createrepo_c over the directory's pkglist, then
// the external repos merged in. The hub runs it for every arch of a repo it
// writes itself; a builder runs it in a createrepo task.
type ArchJob struct {
	// Dir is the arch directory (pkglist, blocklist, toplink), whose
	// name is the arch.
	Dir string
	// OutDir receives repodata/; Dir when empty.
	OutDir string
	Comps  string // comps.xml, or ""
	// Previous is the same arch directory of an earlier repo of the tag:
	// its metadata is reused for unchanged packages.
	Previous     string
	External     []ExternalRepo
	CreateRepo   string // default "createrepo_c"
	MergeRepo    string // default "mergerepo_c"
	MergeTimeout time.Duration
}

// WriteArch writes j's repodata into j.OutDir/repodata.
func WriteArch(ctx context.Context, j ArchJob) error {
	if j.OutDir == "" {
		j.OutDir = j.Dir
	}
	if j.CreateRepo == "" {
		j.CreateRepo = "createrepo_c"
	}
	if err := os.MkdirAll(j.OutDir, 0o755); err != nil {
		return fmt.Errorf("create repodata directory: %w", err)
	}
	args := []string{"--quiet", "--no-database", "--pkglist", filepath.Join(j.Dir, "pkglist"), "--outputdir", j.OutDir}
	if j.Comps != "" {
		args = append(args, "--groupfile", j.Comps)
	}
	if j.Previous != "" {
		if _, err := os.Stat(filepath.Join(j.Previous, "repodata", "repomd.xml")); err == nil {
			args = append(args, "--update", "--update-md-path", j.Previous)
		}
	}
	args = append(args, j.Dir)
	if err := run(ctx, "createrepo_c", j.CreateRepo, args); err != nil {
		return err
	}
	if len(j.External) > 0 {
		return merge(ctx, j)
	}
	return nil
}

// run runs a command, its output (the tail of it) in the error.
func run(ctx context.Context, what, bin string, args []string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fmt.Errorf("%s failed: %v: %s", what, err, msg)
	}
	return nil
}

func nl(n int) string {
	if n == 0 {
		return ""
	}
	return "\n"
}

func writeRepoJSON(dir string, s Spec) error {
	info := map[string]any{
		"id": s.RepoID, "tag": s.Tag, "tag_id": s.TagID, "task_id": s.TaskID, "event_id": s.EventID,
		"opts": s.Opts, "custom_opts": map[string]any{},
		"with_src": s.Opts.Src, "with_separate_src": s.Opts.SeparateSrc, "with_debuginfo": s.Opts.Debuginfo,
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "repo.json"), append(b, '\n'), 0o644)
}

// SetLatest points repos/<tag>/latest at repo id (a relative link swapped in
// atomically) and writes repos/<tag>/<tag>.repo for dnf, whose baseurl
// follows latest.
func SetLatest(topdir, tag string, id int64, topurl string) error {
	tagDir := filepath.Join(topdir, "repos", tag)
	tmp := filepath.Join(tagDir, ".latest.tmp")
	os.Remove(tmp)
	if err := os.Symlink(strconv.FormatInt(id, 10), tmp); err != nil {
		return fmt.Errorf("link latest repo: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(tagDir, "latest")); err != nil {
		return fmt.Errorf("link latest repo: %w", err)
	}
	return os.WriteFile(filepath.Join(tagDir, tag+".repo"), []byte(RepoFile(tag, topurl)), 0o644)
}

// RepoFile is a dnf .repo file for a tag's latest repo.
func RepoFile(tag, topurl string) string {
	return fmt.Sprintf("[gokoji-%s]\nname=%s (gokoji tag repo)\nbaseurl=%s/repos/%s/latest/$basearch/\nenabled=1\ngpgcheck=0\nskip_if_unavailable=False\n",
		tag, tag, strings.TrimRight(topurl, "/"), tag)
}

// Remove deletes a repo's directory.
func Remove(topdir, tag string, id int64) error {
	err := os.RemoveAll(Dir(topdir, tag, id))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove repo %d: %w", id, err)
	}
	return nil
}

// withDiskHint names a full filesystem as the likely cause of err: tools
// such as createrepo_c report running out of space only as "file
// operation error". The filesystem counts as full with under 1 MiB or 1%
// of it free.
func withDiskHint(dir string, err error) error {
	if err == nil || strings.Contains(err.Error(), "no space left on device") {
		return err
	}
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return err
	}
	free := st.Bavail * uint64(st.Bsize)
	size := st.Blocks * uint64(st.Bsize)
	if free >= 1<<20 && free >= size/100 {
		return err
	}
	return fmt.Errorf("%w (no space left on device: %d bytes free where the repo is written)", err, free)
}
