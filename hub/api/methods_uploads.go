package api

import (
	"context"
	"encoding/base64"
	"io"
	"net/url"
	"strconv"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/files"
	"github.com/gokoji/gokoji/hub/store"
)

func uploadMethods() []Method {
	return []Method{
		{Name: "checkUpload", Params: []Param{P("path"), P("name"), Opt("verify", nil), Opt("tail", nil), Opt("volume", nil)},
			Access: anyone,
			Doc: "Size and mtime of an uploaded file (work/<path>/<name>), None when missing; verify (adler32, md5, sha256) " +
				"adds sumlength and hexdigest, of the last tail bytes when tail is given.",
			Handler: checkUpload},
		{Name: "uploadFile", Params: []Param{P("path"), P("name"), P("size"), P("md5sum"), P("offset"), P("data"),
			Opt("volume", nil), Opt("checksum", nil)}, Access: loggedIn,
			Doc: "The legacy base64 upload: write one chunk at offset (after checking its size and digest), or with " +
				"offset -1 finish the file and check the whole file's digest. False asks the client to resend.",
			Handler: uploadFile},
	}
}

func checkVolume(v any) error {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "DEFAULT" {
			return nil
		}
	}
	return hub.GenericError("No such entry in table volume: %v", v)
}

func checkUpload(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	dir, name := a.String("path"), a.String("name")
	verify := a.OptString("verify")
	tail := a.OptInt("tail")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if err := checkVolume(a.Value("volume")); err != nil {
		return nil, err
	}
	v := ""
	if verify != nil {
		v = *verify
	}
	info, err := c.d.Files.CheckUpload(dir, name, v, tail)
	if err != nil || info == nil {
		return nil, err
	}
	out := map[string]any{"size": info.Size, "mtime": info.MTime}
	if info.SumLength != nil {
		out["sumlength"] = *info.SumLength
		out["hexdigest"] = info.HexDigest
	}
	return out, nil
}

// uploader is the caller as the file tree sees it.
func (c *Call) uploader(ctx context.Context) files.Uploader {
	return files.Uploader{UserID: c.UserID(), MayWriteTask: func(taskID int64) error { return c.mayWriteTask(ctx, taskID) }}
}

// mayWriteTask: a task's work folder belongs to the build host that has the
// task OPEN, through its exclusive session (Koji's rule, and the fix of
// CVE-2019-17109's kind of trick).
func (c *Call) mayWriteTask(ctx context.Context, taskID int64) error {
	if err := c.assertHost(ctx); err != nil {
		return hub.NotAllowed("only the build host holding task %d open may upload into its folder", taskID)
	}
	t, err := store.GetTask(ctx, c.Tx, taskID, false)
	if err != nil {
		return err
	}
	if t == nil || t.State != hub.TaskOpen || t.HostID == nil || *t.HostID != c.hostID {
		return hub.NotAllowed("host %d does not hold task %d open; refusing the upload", c.hostID, taskID)
	}
	return nil
}

// decodeInt reads Koji's int-or-string arguments (sizes and offsets may be
// sent as strings to get past XML-RPC's int32).
func decodeInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func uploadFile(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	dir, name := a.String("path"), a.String("name")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if err := checkVolume(a.Value("volume")); err != nil {
		return nil, err
	}
	var data []byte
	switch d := a.Value("data").(type) {
	case string:
		b, err := base64.StdEncoding.DecodeString(d)
		if err != nil {
			return nil, hub.GenericError("data must be base64: %v", err)
		}
		data = b
	case []byte:
		data = d
	default:
		return nil, hub.ParameterError("uploadFile(): argument 'data' must be a base64 string, not %s", typeName(d))
	}
	offset, ok := decodeInt(a.Value("offset"))
	if !ok {
		return nil, hub.ParameterError("uploadFile(): argument 'offset' must be an integer")
	}
	lc := files.LegacyChunk{Dir: dir, Name: name, Offset: offset, Data: data}
	if v := a.Value("size"); v != nil {
		n, ok := decodeInt(v)
		if !ok {
			return nil, hub.ParameterError("uploadFile(): argument 'size' must be an integer")
		}
		lc.Size = &n
	}
	checksum := a.Value("checksum")
	if checksum == nil {
		checksum = a.Value("md5sum")
	}
	switch cs := checksum.(type) {
	case nil:
	case string:
		lc.Verify, lc.Digest = "md5", cs // a bare string is an md5, as old clients send it
	case []any:
		if len(cs) != 2 {
			return nil, hub.GenericError("checksum must be [type, hexdigest]")
		}
		t, ok1 := cs[0].(string)
		d, ok2 := cs[1].(string)
		if !ok1 || !ok2 {
			return nil, hub.GenericError("checksum must be [type, hexdigest]")
		}
		lc.Verify, lc.Digest = t, d
	default:
		return nil, hub.GenericError("checksum must be [type, hexdigest]")
	}
	return c.d.Files.UploadLegacy(c.uploader(ctx), lc)
}

// Upload is a raw upload (Koji's fast upload): the query string names the
// target, the body is the chunk.
type Upload struct {
	Query url.Values
	Body  io.Reader
}

// rawUpload runs a raw upload request. It is not a registry method (Koji
// leaves it out of _listapi) but passes the same session checks; it changes
// no database row, so it never stores the callnum, as in Koji.
func (d *Dispatcher) rawUpload(ctx context.Context, c *Call, up *Upload) (any, error) {
	if c.Session == nil {
		return nil, hub.NotAllowed("you must be logged-in to upload a file")
	}
	q := up.Query
	name := q.Get("filename")
	if !q.Has("filename") {
		return nil, hub.GenericError("upload has no filename")
	}
	offset := int64(0)
	if s := q.Get("offset"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, hub.GenericError("Invalid upload offset: %s", s)
		}
		offset = n
	}
	if v := q.Get("volume"); q.Has("volume") {
		if err := checkVolume(v); err != nil {
			return nil, err
		}
	}
	res, err := d.Files.WriteChunk(c.uploader(ctx), files.Chunk{Dir: q.Get("filepath"), Name: name,
		Verify: q.Get("fileverify"), Offset: offset, Overwrite: q.Get("overwrite") != ""}, up.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"size": res.Size, "fileverify": res.Verify, "offset": res.Offset}
	if res.Verify != "" {
		out["hexdigest"] = res.HexDigest
	}
	return out, nil
}
