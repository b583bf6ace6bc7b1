package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/files"
	"github.com/gokoji/gokoji/hub/rpmhdr"
	"github.com/gokoji/gokoji/hub/store"
)

// RPM headers, files, dependencies and changelogs are read on demand from the
// stored rpm in packages/, as Koji does: the file is the one source of truth,
// an import writes three small rows instead of hundreds, and any header field
// a client asks for later is there without a schema for it.

func rpmMethods() []Method {
	return []Method{
		{Name: "importRPM", Params: []Param{P("path"), P("basename")}, Access: admin, Writes: true,
			Doc: "Import an uploaded rpm (work/<path>/<basename>). A source rpm creates its package and build if needed; " +
				"a binary rpm joins the build of its source rpm. The file moves to packages/ when the import commits.",
			Handler: importRPM},
		{Name: "getRPM", Params: []Param{P("rpminfo"), Opt("strict", false), Opt("multi", false)}, Access: anyone,
			Doc:     "An rpm by id, \"N-V-R.A\" string or {name, version, release, arch} struct; multi gives every match.",
			Handler: getRPM},
		{Name: "listRPMs", Params: []Param{Opt("buildID", nil), Opt("buildrootID", nil), Opt("imageID", nil),
			Opt("componentBuildrootID", nil), Opt("hostID", nil), Opt("arches", nil), Opt("queryOpts", nil), Opt("draft", nil)},
			Access: anyone, Doc: "Rpms of a build and/or buildroot, optionally of some arches. queryOpts run in SQL.",
			Handler: listRPMs},
		{Name: "listBuildRPMs", Params: []Param{P("build")}, Access: anyone,
			Doc: "The rpms of a build (id, N-V-R or struct).", Handler: listBuildRPMs},
		{Name: "getRPMHeaders", Params: []Param{Opt("rpmID", nil), Opt("taskID", nil), Opt("filepath", nil),
			Opt("headers", nil), Opt("strict", false)}, Access: anyone,
			Doc:     "Header fields by rpm's names (e.g. ['license', 'requires']) of an rpm, or of a task's rpm at filepath.",
			Handler: getRPMHeaders},
		{Name: "getRPMDeps", Params: []Param{P("rpmID"), Opt("depType", nil), Opt("queryOpts", nil), Opt("strict", false)},
			Access: anyone, Doc: "An rpm's dependencies: [{name, version, flags, type}], type as koji.DEP_*.",
			Handler: getRPMDeps},
		{Name: "listRPMFiles", Params: []Param{P("rpmID"), Opt("queryOpts", nil)}, Access: anyone,
			Doc: "The files of an rpm as its header lists them.", Handler: listRPMFiles},
		{Name: "getRPMFile", Params: []Param{P("rpmID"), P("filename"), Opt("strict", false)}, Access: anyone,
			Doc: "One file of an rpm by its path; {} when missing unless strict.", Handler: getRPMFile},
		{Name: "queryRPMSigs", Params: []Param{Opt("rpm_id", nil), Opt("sigkey", nil), Opt("queryOpts", nil)}, Access: anyone,
			Doc:     "Signature headers stored for rpms: [{rpm_id, sigkey, sighash}]; sigkey '' is the unsigned header.",
			Handler: queryRPMSigs},
		{Name: "addRPMSig", Params: []Param{P("an_rpm"), P("data")}, Access: perm("sign"), Writes: true,
			Doc:     "Store a signature header (base64) for an rpm; its SIGMD5 must match the rpm's payloadhash.",
			Handler: addRPMSig},
		{Name: "getRPMChecksums", Params: []Param{P("rpm_id"), Opt("checksum_types", nil), Opt("cacheonly", false)}, Access: anyone,
			Writes: true, KeepsAnswers: true,
			Doc: "Checksums of an rpm as signed with each of its keys: {sigkey: {type: checksum}}, types md5, sha1, sha256 " +
				"(default md5 and sha256). Missing ones are computed and kept, or None with cacheonly.",
			Handler: getRPMChecksums},
		{Name: "writeSignedRPM", Params: []Param{P("an_rpm"), P("sigkey"), Opt("force", false)}, Access: perm("sign"), Writes: true,
			Doc: "Write the signed copy of an rpm for a stored signature (addRPMSig) to data/signed/<sigkey>/<arch>/; " +
				"an existing copy is kept unless force.",
			Handler: writeSignedRPM},
		{Name: "deleteRPMSig", Params: []Param{P("rpminfo"), Opt("sigkey", nil), Opt("all_sigs", false)}, Access: admin, Writes: true,
			Doc: "Delete an rpm's signature for sigkey, or all of them with all_sigs: the rows, the signed copies, and the " +
				"signature headers (kept as <file>.<sighash>.save).",
			Handler: deleteRPMSig},
	}
}

// rpmStruct is getRPM's answer; listRPMs adds nvr.
func rpmStruct(r *hub.RPM, withNVR bool) map[string]any {
	m := map[string]any{
		"id": r.ID, "name": r.Name, "version": r.Version, "release": r.Release, "arch": r.Arch,
		"epoch": optInt(r.Epoch), "draft": r.Draft, "payloadhash": r.PayloadHash, "size": r.Size,
		"buildtime": r.BuildTime, "build_id": optInt(r.BuildID), "buildroot_id": optInt(r.BuildrootID),
		"external_repo_id": r.ExternalRepoID, "external_repo_name": r.ExternalRepoName(),
		"metadata_only": r.MetadataOnly, "extra": jsonExtra(r.Extra),
	}
	if withNVR {
		m["nvr"] = r.NVR()
	}
	return m
}

// findRPMs resolves Koji's rpminfo to every matching rpm.
func findRPMs(ctx context.Context, c *Call, info any) ([]hub.RPM, error) {
	byID := func(id int64) ([]hub.RPM, error) {
		r, err := store.RPMByID(ctx, c.Tx, id)
		if err != nil || r == nil {
			return nil, err
		}
		return []hub.RPM{*r}, nil
	}
	var n hub.NVRA
	switch x := info.(type) {
	case int64:
		return byID(x)
	case string:
		if id, err := strconv.ParseInt(x, 10, 64); err == nil {
			return byID(id)
		}
		var err error
		if n, err = hub.ParseNVRA(x); err != nil {
			return nil, err
		}
	case map[string]any:
		if id, ok := x["id"].(int64); ok {
			return byID(id)
		}
		for _, k := range []string{"name", "version", "release", "arch"} {
			s, ok := x[k].(string)
			if !ok {
				return nil, hub.GenericError("rpminfo struct needs name, version, release and arch strings: %s", pyRepr(x))
			}
			switch k {
			case "name":
				n.Name = s
			case "version":
				n.Version = s
			case "release":
				n.Release = s
			case "arch":
				n.Arch = s
			}
		}
		n.Location, _ = x["location"].(string)
	default:
		return nil, hub.GenericError("Invalid type for rpminfo: %s", pyClass(info))
	}
	if n.Location != "" {
		// No external repos on this hub yet.
		return nil, hub.GenericError("No such entry in table external_repo: %s", n.Location)
	}
	return store.RPMsByNVRA(ctx, c.Tx, n.Name, n.Version, n.Release, n.Arch, nil)
}

// lookupRPM picks one rpm as Koji's get_rpm does: internal non-draft first,
// then the newest draft, then the newest external one.
func lookupRPM(ctx context.Context, c *Call, info any, strict bool) (*hub.RPM, error) {
	rpms, err := findRPMs(ctx, c, info)
	if err != nil {
		return nil, err
	}
	var nondraft, draft, external *hub.RPM
	for i := range rpms {
		r := &rpms[i]
		switch {
		case r.ExternalRepoID != 0:
			if external == nil || r.ID > external.ID {
				external = r
			}
		case r.Draft:
			if draft == nil || r.ID > draft.ID {
				draft = r
			}
		default:
			nondraft = r
		}
	}
	for _, r := range []*hub.RPM{nondraft, draft, external} {
		if r != nil {
			return r, nil
		}
	}
	if strict {
		return nil, hub.GenericError("No such rpm: %s", pyRepr(info))
	}
	return nil, nil
}

func getRPM(ctx context.Context, c *Call) (any, error) {
	if c.Args.Bool("multi") {
		rpms, err := findRPMs(ctx, c, c.Args.Value("rpminfo"))
		if err != nil {
			return nil, err
		}
		out := make([]map[string]any, len(rpms))
		for i := range rpms {
			out[i] = rpmStruct(&rpms[i], false)
		}
		return out, nil
	}
	r, err := lookupRPM(ctx, c, c.Args.Value("rpminfo"), c.Args.Bool("strict"))
	if err != nil || r == nil {
		return nil, err
	}
	return rpmStruct(r, false), nil
}

func listRPMs(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	f := store.RPMFilter{BuildID: a.OptInt("buildID"), BuildrootID: a.OptInt("buildrootID"), Draft: a.OptBool("draft")}
	switch x := a.Value("arches").(type) {
	case nil:
	case string:
		f.Arches = []string{x}
	case []any:
		f.Arches = []string{}
		for _, v := range x {
			s, ok := v.(string)
			if !ok {
				return nil, hub.GenericError("Invalid type for \"arches\" parameter: %s", pyClass(v))
			}
			f.Arches = append(f.Arches, s)
		}
	default:
		return nil, hub.GenericError("Invalid type for \"arches\" parameter: %s", pyClass(x))
	}
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if a.Value("imageID") != nil {
		// Images do not exist on this hub: nothing matches.
		return emptyList(opts)
	}
	f.ComponentBuildrootID = a.OptInt("componentBuildrootID")
	if v := a.Value("hostID"); v != nil {
		hst, err := lookupHost(ctx, c, v, nil)
		if err != nil {
			return nil, err
		}
		if hst == nil {
			return emptyList(opts)
		}
		f.HostID = &hst.ID
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	return listRPMRows(ctx, c, f, opts)
}

func listRPMRows(ctx context.Context, c *Call, f store.RPMFilter, opts map[string]any) (any, error) {
	q, err := parseQueryOpts(opts, store.RPMOrderFields)
	if err != nil {
		return nil, err
	}
	if q.countOnly {
		return store.CountRPMs(ctx, c.Tx, f, q.page)
	}
	rpms, err := store.ListRPMs(ctx, c.Tx, f, q.page)
	if err != nil {
		return nil, err
	}
	var updates map[int64]bool
	if f.ComponentBuildrootID != nil {
		// Koji adds the buildroot and is_update to a component listing.
		listing, err := store.BuildrootListing(ctx, c.Tx, *f.ComponentBuildrootID)
		if err != nil {
			return nil, err
		}
		updates = make(map[int64]bool, len(listing))
		for _, l := range listing {
			updates[l.RPMID] = l.IsUpdate
		}
	}
	rows := make([]map[string]any, len(rpms))
	for i := range rpms {
		rows[i] = rpmStruct(&rpms[i], true)
		if updates != nil {
			rows[i]["component_buildroot_id"] = *f.ComponentBuildrootID
			rows[i]["is_update"] = updates[rpms[i].ID]
		}
	}
	return q.shape(rows), nil
}

func listBuildRPMs(ctx context.Context, c *Call) (any, error) {
	v := c.Args.Value("build")
	var id int64
	if n, ok := v.(int64); ok {
		id = n
	} else {
		b, err := lookupBuild(ctx, c, v, true)
		if err != nil {
			return nil, err
		}
		id = b.ID
	}
	return listRPMRows(ctx, c, store.RPMFilter{BuildID: &id}, nil)
}

// openStoredRPM reads the header of an internal rpm's file in packages/.
// missing explains a file or build that is not there (nil error, nil rpm).
func openStoredRPM(ctx context.Context, c *Call, r *hub.RPM) (h *rpmhdr.RPM, b *hub.Build, missing string, err error) {
	if r.BuildID == nil || r.ExternalRepoID != 0 {
		return nil, nil, fmt.Sprintf("RPM %s is not internal", r.NVRA()), nil
	}
	b, err = store.BuildByID(ctx, c.Tx, *r.BuildID)
	if err != nil {
		return nil, nil, "", err
	}
	if b == nil {
		return nil, nil, fmt.Sprintf("No such build: %d", *r.BuildID), nil
	}
	path := c.rpmFilePath(b, r)
	h, err = rpmhdr.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, b, "Missing rpm file: " + path, nil
	}
	if err != nil {
		return nil, b, "", fmt.Errorf("read %s: %w", path, err)
	}
	return h, b, "", nil
}

// taskFile resolves a task's output file: work/tasks/<id%10000>/<id>/<filepath>.
func (c *Call) taskFile(taskID int64, fp *string) (string, error) {
	if fp == nil || *fp == "" {
		return "", hub.GenericError("filepath must be specified with taskID")
	}
	if strings.HasPrefix(*fp, "/") || strings.Contains(*fp, "../") || *fp == ".." {
		return "", hub.GenericError("Invalid filepath: %s", *fp)
	}
	rel := fmt.Sprintf("tasks/%d/%d", taskID%10000, taskID)
	return c.d.Files.UploadPath(rel+"/"+filepath.Dir(*fp), filepath.Base(*fp))
}

func getRPMHeaders(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	strict := a.Bool("strict")
	fp := a.OptString("filepath")
	taskID := a.OptInt("taskID")
	names := a.List("headers")
	if err := a.Err(); err != nil {
		return nil, err
	}
	var h *rpmhdr.RPM
	switch {
	case truthy(a.Value("rpmID")):
		r, err := lookupRPM(ctx, c, a.Value("rpmID"), strict)
		if err != nil || r == nil {
			return map[string]any{}, err
		}
		if r.ExternalRepoID != 0 {
			if strict {
				return nil, hub.GenericError("External rpm: %d", r.ID)
			}
			return map[string]any{}, nil
		}
		var b *hub.Build
		var missing string
		h, b, missing, err = openStoredRPM(ctx, c, r)
		if err != nil {
			return nil, err
		}
		if b != nil && b.State == hub.BuildDeleted {
			if strict {
				return nil, hub.GenericError("Build %s is deleted", b.NVR())
			}
			return map[string]any{}, nil
		}
		if h == nil {
			if strict {
				return nil, hub.GenericError("%s", missing)
			}
			return map[string]any{}, nil
		}
	case taskID != nil && *taskID != 0:
		path, err := c.taskFile(*taskID, fp)
		if err != nil {
			return nil, err
		}
		h, err = rpmhdr.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			if strict {
				return nil, hub.GenericError("Missing rpm file: %s", path)
			}
			return map[string]any{}, nil
		}
		if err != nil {
			return nil, hub.GenericError("Invalid rpm %s: %v", path, err)
		}
	default:
		return nil, hub.GenericError("either rpmID or taskID and filepath must be specified")
	}
	var want []string
	if names == nil {
		want = h.FieldNames()
	}
	for _, n := range names {
		s, ok := n.(string)
		if !ok {
			return nil, hub.GenericError("header names must be strings, not %s", pyClass(n))
		}
		want = append(want, s)
	}
	out := make(map[string]any, len(want))
	for _, n := range want {
		v, ok := h.Field(n)
		if !ok {
			return nil, hub.GenericError("No such rpm header field: %s", strings.ToUpper(n))
		}
		out[n] = printable(v)
	}
	return out, nil
}

// printable drops non-printable characters from strings, as Koji's
// fixEncodingRecurse(remove_nonprintable=True) does before answering.
func printable(v any) any {
	switch x := v.(type) {
	case string:
		return strings.Map(func(r rune) rune {
			if r == '\n' || r == '\t' || r == '\r' || unicode.IsPrint(r) {
				return r
			}
			return -1
		}, strings.ToValidUTF8(x, "\uFFFD"))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = printable(e)
		}
		return out
	}
	return v
}

func getRPMDeps(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	strict := a.Bool("strict")
	depType := a.OptInt("depType")
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	r, err := lookupRPM(ctx, c, a.Value("rpmID"), strict)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return applyQueryOpts([]any{}, opts)
	}
	h, _, missing, err := openStoredRPM(ctx, c, r)
	if err != nil {
		return nil, err
	}
	if h == nil {
		if strict {
			return nil, hub.GenericError("Can not get dependencies of %s: %s", r.NVRA(), missing)
		}
		return applyQueryOpts([]any{}, opts)
	}
	typ := -1
	if depType != nil {
		typ = int(*depType)
	}
	rows := []any{}
	for _, d := range h.Deps(typ) {
		rows = append(rows, map[string]any{"name": d.Name, "version": d.Version, "flags": d.Flags, "type": d.Type})
	}
	return applyQueryOpts(rows, opts)
}

func fileStruct(f rpmhdr.File) map[string]any {
	return map[string]any{"name": f.Name, "digest": f.Digest, "digest_algo": f.DigestAlgo, "md5": f.Digest,
		"size": f.Size, "flags": f.Flags, "user": f.User, "group": f.Group, "mtime": f.MTime, "mode": f.Mode}
}

func listRPMFiles(ctx context.Context, c *Call) (any, error) {
	opts := c.Args.Map("queryOpts")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	r, err := lookupRPM(ctx, c, c.Args.Value("rpmID"), false)
	if err != nil {
		return nil, err
	}
	rows := []any{}
	if r != nil {
		h, _, _, err := openStoredRPM(ctx, c, r)
		if err != nil {
			return nil, err
		}
		if h != nil {
			for _, f := range h.Files() {
				rows = append(rows, fileStruct(f))
			}
		}
	}
	return applyQueryOpts(rows, opts)
}

func getRPMFile(ctx context.Context, c *Call) (any, error) {
	strict := c.Args.Bool("strict")
	name := c.Args.String("filename")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	r, err := lookupRPM(ctx, c, c.Args.Value("rpmID"), strict)
	if err != nil || r == nil {
		return map[string]any{}, err
	}
	h, _, missing, err := openStoredRPM(ctx, c, r)
	if err != nil {
		return nil, err
	}
	if h == nil {
		if strict {
			return nil, hub.GenericError("Can not get RPM file of %s: %s", r.NVRA(), missing)
		}
		return map[string]any{}, nil
	}
	for _, f := range h.Files() {
		if f.Name == name {
			m := fileStruct(f)
			m["rpm_id"] = r.ID
			return m, nil
		}
	}
	if strict {
		return nil, hub.GenericError("No file: %s found in RPM: %v", name, c.Args.Value("rpmID"))
	}
	return map[string]any{}, nil
}

func queryRPMSigs(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	var rpmID *int64
	switch v := a.Value("rpm_id").(type) {
	case nil:
	case int64:
		rpmID = &v
	default:
		r, err := lookupRPM(ctx, c, v, false)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return []any{}, nil
		}
		rpmID = &r.ID
	}
	sigkey := a.OptString("sigkey")
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if sigkey != nil {
		low := strings.ToLower(*sigkey)
		sigkey = &low
	}
	q, err := parseQueryOpts(opts, store.RPMSigOrderFields)
	if err != nil {
		return nil, err
	}
	sigs, err := store.QueryRPMSigs(ctx, c.Tx, rpmID, sigkey, q.page)
	if err != nil {
		return nil, err
	}
	if q.countOnly {
		return len(sigs), nil
	}
	rows := make([]map[string]any, len(sigs))
	for i, s := range sigs {
		rows[i] = map[string]any{"rpm_id": s.RPMID, "sigkey": s.SigKey, "sighash": s.SigHash}
	}
	return q.shape(rows), nil
}

func addRPMSig(ctx context.Context, c *Call) (any, error) {
	var raw []byte
	switch d := c.Args.Value("data").(type) {
	case string:
		b, err := base64.StdEncoding.DecodeString(d)
		if err != nil {
			return nil, hub.GenericError("data must be base64: %v", err)
		}
		raw = b
	case []byte:
		raw = d
	default:
		return nil, hub.GenericError("data must be a base64 string, not %s", typeName(d))
	}
	r, err := lookupRPM(ctx, c, c.Args.Value("an_rpm"), true)
	if err != nil {
		return nil, err
	}
	if r.ExternalRepoID != 0 {
		return nil, hub.GenericError("Not an internal rpm: %v (from %s)", c.Args.Value("an_rpm"), r.ExternalRepoName())
	}
	b, err := store.BuildByID(ctx, c.Tx, *r.BuildID)
	if err != nil {
		return nil, err
	}
	sh, err := rpmhdr.ParseSigHeader(raw)
	if err != nil {
		return nil, hub.GenericError("Invalid signature header for %s: %v", r.NVRA(), err)
	}
	if md5 := sh.MD5(); md5 != r.PayloadHash {
		return nil, hub.GenericError("wrong md5 for %s: %s", r.NVRA(), md5)
	}
	key, err := sh.KeyID()
	if err != nil {
		return nil, hub.GenericError("Invalid signature header for %s: %v", r.NVRA(), err)
	}
	ok, err := store.InsertRPMSig(ctx, c.Tx, store.RPMSig{RPMID: r.ID, SigKey: key, SigHash: rpmhdr.Hash(raw)})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, hub.GenericError("Signature already exists for package %s, key %s", r.NVRA(), key)
	}
	return nil, stageSig(c, b, r, key, raw)
}

// stageSig stages the sigcache file of a signature header already recorded.
func stageSig(c *Call, b *hub.Build, r *hub.RPM, sigkey string, raw []byte) error {
	p, err := c.d.Files.StageBytes(raw, sigHeaderPath(b, r, sigkey))
	if err != nil {
		return fmt.Errorf("stage signature header: %w", err)
	}
	c.Defer(p)
	return nil
}

func importRPM(ctx context.Context, c *Call) (any, error) {
	dir := c.Args.String("path")
	base := c.Args.String("basename")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	fn, err := c.d.Files.UploadPath(dir, base)
	if err != nil {
		return nil, err
	}
	if st, err := os.Lstat(fn); err != nil || !st.Mode().IsRegular() {
		return nil, hub.GenericError("No such file: %s", filepath.Join("work", dir, base))
	}
	h, err := openUploadedRPM(fn, base)
	if err != nil {
		return nil, err
	}
	b, err := importTarget(ctx, c, h)
	if err != nil {
		return nil, err
	}
	return importRPMFile(ctx, c, rpmImport{fn: fn, h: h, build: b})
}

// openUploadedRPM reads and verifies an uploaded rpm whose file name must be
// base.
func openUploadedRPM(fn, base string) (*rpmhdr.RPM, error) {
	h, err := rpmhdr.Open(fn)
	if err == nil {
		err = h.VerifyFile(fn)
	}
	if err != nil {
		return nil, hub.GenericError("Invalid rpm %s: %v", base, err)
	}
	if want := h.FileName(); base != want {
		return nil, hub.GenericError("bad filename: %s (expected %s)", base, want)
	}
	return h, nil
}

// rpmImport is one verified rpm file to import into a build.
type rpmImport struct {
	fn       string // the file in work/
	h        *rpmhdr.RPM
	build    *hub.Build
	brootID  *int64 // the buildroot it was built in
	linkBack bool   // leave a symlink in the task folder, as Koji does for task output
}

// importRPMFile records an rpm of a build and stages its file (and unsigned
// header) into packages/; the file moves when the request commits. Both
// importRPM and host.completeBuild import through here.
func importRPMFile(ctx context.Context, c *Call, ri rpmImport) (map[string]any, error) {
	h, b, fn := ri.h, ri.build, ri.fn
	switch b.State {
	case hub.BuildFailed, hub.BuildCanceled, hub.BuildDeleted:
		return nil, hub.GenericError("Build is %s: %s", hub.BuildStateName(b.State), b.NVR())
	}
	payloadhash, err := h.SigMD5()
	if err != nil {
		return nil, hub.GenericError("Invalid rpm %s: %v", filepath.Base(fn), err)
	}
	st, err := os.Stat(fn)
	if err != nil {
		return nil, err
	}
	r := hub.RPM{BuildID: &b.ID, BuildrootID: ri.brootID, Name: h.Name(), Version: h.Version(), Release: h.Release(),
		Epoch: h.Epoch(), Arch: h.Arch(), PayloadHash: payloadhash, Size: st.Size(), BuildTime: h.BuildTime()}
	sh, _ := rpmhdr.ParseSigHeader(h.SigHeader())
	sigkey := ""
	if sh != nil {
		if k, err := sh.KeyID(); err == nil {
			sigkey = k
		}
	}
	sig := store.RPMSig{SigKey: sigkey, SigHash: rpmhdr.Hash(h.SigHeader())}
	if r.ID, err = store.InsertRPMIfNew(ctx, c.Tx, r, sig); err != nil {
		return nil, err
	}
	if r.ID == 0 {
		old, err := store.RPMsByNVRA(ctx, c.Tx, r.Name, r.Version, r.Release, r.Arch, ptr(int64(0)))
		if err != nil {
			return nil, err
		}
		if len(old) == 0 {
			return nil, fmt.Errorf("rpm %s is neither new nor found", r.NVRA())
		}
		return nil, hub.GenericError("rpm already imported: %s (id=%d)", old[0].NVRA(), old[0].ID)
	}
	dst := files.BuildDir(b.PackageName, b.Version, b.Release) + "/" + files.RPMPath(r.Name, r.Version, r.Release, r.Arch)
	if _, err := os.Lstat(c.d.Files.Abs(dst)); err == nil {
		return nil, hub.GenericError("Error importing rpm file, %s already exists", dst)
	}
	p, err := c.d.Files.Stage(fn, dst, true)
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", dst, err)
	}
	if ri.linkBack {
		p.LinkBack()
	}
	c.Defer(p)
	if err := stageSig(c, b, &r, sigkey, h.SigHeader()); err != nil {
		return nil, err
	}
	out := rpmStruct(&r, false)
	for _, k := range []string{"external_repo_name", "metadata_only", "extra"} {
		delete(out, k)
	}
	out["build"] = buildStruct(b, true)
	out["brootid"] = optInt(ri.brootID)
	out["sourcepackage"], out["sourcerpm"] = nil, nil
	if h.IsSource() {
		out["sourcepackage"] = 1
	} else {
		out["sourcerpm"] = h.SourceRPM()
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

// importTarget finds (or, for a source rpm, creates) the build an rpm joins.
func importTarget(ctx context.Context, c *Call, h *rpmhdr.RPM) (*hub.Build, error) {
	if h.IsSource() {
		b, err := store.BuildByNVR(ctx, c.Tx, h.Name(), h.Version(), h.Release())
		if err != nil || b != nil {
			return b, err
		}
		now := c.d.Now().UnixMicro()
		id, err := newBuild(ctx, c, buildData{name: h.Name(), version: h.Version(), release: h.Release(),
			epoch: h.Epoch(), state: hub.BuildComplete, owner: c.UserID(), startUS: &now, completionUS: &now})
		if err != nil {
			return nil, err
		}
		return store.BuildByID(ctx, c.Tx, id)
	}
	src := h.SourceRPM()
	n, err := hub.ParseNVRA(src)
	if err != nil {
		return nil, hub.GenericError("Invalid rpm %s: bad SOURCERPM %q", h.FileName(), src)
	}
	b, err := store.BuildByNVR(ctx, c.Tx, n.Name, n.Version, n.Release)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, hub.GenericError("No such build: %s-%s-%s (import %s, or create the build with createEmptyBuild, before %s)",
			n.Name, n.Version, n.Release, src, h.FileName())
	}
	return b, nil
}

func getChangelogEntries(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	strict := a.Bool("strict")
	opts := a.Map("queryOpts")
	author := a.OptString("author")
	fp := a.OptString("filepath")
	taskID := a.OptInt("taskID")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if opts != nil {
		if o, _ := opts["order"].(string); o == "date" || o == "-date" {
			cp := map[string]any{}
			for k, v := range opts {
				cp[k] = v
			}
			cp["order"] = strings.Replace(o, "date", "date_ts", 1)
			opts = cp
		}
	}
	var path string
	switch {
	case truthy(a.Value("buildID")):
		b, err := lookupBuild(ctx, c, a.Value("buildID"), false)
		if err != nil {
			return nil, err
		}
		if b == nil {
			if strict {
				return nil, hub.GenericError("No such build: %v", a.Value("buildID"))
			}
			return applyQueryOpts([]any{}, opts)
		}
		srpms, err := store.ListRPMs(ctx, c.Tx, store.RPMFilter{BuildID: &b.ID, Arches: []string{"src"}}, store.NoPage)
		if err != nil {
			return nil, err
		}
		if len(srpms) == 0 {
			if strict {
				return nil, hub.GenericError("Build %v doesn't have srpms", a.Value("buildID"))
			}
			return applyQueryOpts([]any{}, opts)
		}
		path = c.rpmFilePath(b, &srpms[0])
	case taskID != nil && *taskID != 0:
		var err error
		if path, err = c.taskFile(*taskID, fp); err != nil {
			return nil, err
		}
	default:
		return nil, hub.GenericError("either buildID or taskID and filepath must be specified")
	}
	before, err := changelogTime("before", a.Value("before"))
	if err != nil {
		return nil, err
	}
	after, err := changelogTime("after", a.Value("after"))
	if err != nil {
		return nil, err
	}
	h, err := rpmhdr.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if strict {
			return nil, hub.GenericError("SRPM %s doesn't exist", path)
		}
		return applyQueryOpts([]any{}, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	rows := []any{}
	for _, e := range h.Changelog() {
		if author != nil && *author != "" && *author != e.Author {
			continue
		}
		if before != nil && e.Time >= *before {
			continue
		}
		if after != nil && e.Time <= *after {
			continue
		}
		date := time.Unix(e.Time, 0).UTC().Format("2006-01-02 15:04:05")
		if truthy(opts["asList"]) {
			rows = append(rows, []any{date, printable(e.Author), printable(e.Text)})
			continue
		}
		rows = append(rows, map[string]any{"date": date, "date_ts": e.Time, "author": printable(e.Author), "text": printable(e.Text)})
	}
	if truthy(opts["asList"]) {
		return rows, nil
	}
	return applyQueryOpts(rows, opts)
}

// changelogTime reads before/after: epoch seconds, a time string or a dateTime.
func changelogTime(name string, v any) (*int64, error) {
	if !truthy(v) {
		return nil, nil
	}
	us, err := timeArg(name, v)
	if err != nil || us == nil {
		return nil, err
	}
	s := *us / 1e6
	return &s, nil
}
