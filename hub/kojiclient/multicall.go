package kojiclient

import (
	"context"
	"fmt"
	"hash/adler32"
	"io"
	"math/rand"
	"net/url"
	"os"
	"path"
	"strconv"
	"time"

	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// MultiCall is one call of a multiCall batch.
type MultiCall struct {
	Method string
	Params []any
	Kw     map[string]any // keyword arguments, sent as the __starstar struct
}

// MultiResult is the outcome of one call in a batch: a value, or a fault.
type MultiResult struct {
	Value any
	Fault *xmlrpc.Fault
}

// Err is the fault as an error, or nil.
func (r MultiResult) Err() error {
	if r.Fault != nil {
		return r.Fault
	}
	return nil
}

// Multicall sends calls as one multiCall request and returns one result per
// call, in order. An empty batch sends nothing, as in the Python client.
func (s *Session) Multicall(ctx context.Context, calls []MultiCall) ([]MultiResult, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	arg := make([]any, len(calls))
	for i, c := range calls {
		params := xmlrpc.WithKwargs(c.Params, c.Kw)
		if params == nil {
			params = []any{}
		}
		arg[i] = map[string]any{"methodName": c.Method, "params": params}
	}
	v, err := s.Call(ctx, "multiCall", arg)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok || len(list) != len(calls) {
		return nil, fmt.Errorf("multiCall: expected %d results, got %v", len(calls), v)
	}
	out := make([]MultiResult, len(list))
	for i, r := range list {
		switch x := r.(type) {
		case []any:
			if len(x) == 1 {
				out[i].Value = x[0]
				continue
			}
		case map[string]any:
			code, _ := x["faultCode"].(int64)
			msg, _ := x["faultString"].(string)
			out[i].Fault = &xmlrpc.Fault{Code: int(code), String: msg}
			continue
		}
		return nil, fmt.Errorf("multiCall: malformed result %d: %v", i, r)
	}
	return out, nil
}

// UploadProgress is told the bytes sent so far, the file size, and the time
// since the upload began.
type UploadProgress func(done, total int64, elapsed time.Duration)

// UniqueDir is a fresh upload directory under prefix, named as the Python
// client names them: <prefix>/<epoch seconds with fraction>.<8 letters>.
func UniqueDir(prefix string) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, 8)
	for i := range b {
		b[i] = letters[rand.Intn(len(letters))]
	}
	ts := strconv.FormatFloat(float64(time.Now().UnixNano())/1e9, 'f', 6, 64)
	return path.Join(prefix, ts+"."+string(b))
}

// Upload sends a local file to <work>/<dir>/<name> with Koji's raw chunked
// upload: one application/octet-stream POST per chunk, each answer checked
// for size and adler32, then checkUpload for the whole file.
func (s *Session) Upload(ctx context.Context, localPath, dir, name string, blocksize int, progress UploadProgress) error {
	f, err := os.Open(localPath)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return s.UploadReader(ctx, f, st.Size(), dir, name, blocksize, progress)
}

// UploadReader is Upload from a reader of known size.
func (s *Session) UploadReader(ctx context.Context, r io.Reader, size int64, dir, name string, blocksize int, progress UploadProgress) error {
	if blocksize <= 0 {
		blocksize = 1048576
	}
	start := time.Now()
	buf := make([]byte, blocksize)
	var offset int64
	for {
		n, rerr := io.ReadFull(r, buf)
		if rerr != nil && rerr != io.EOF && rerr != io.ErrUnexpectedEOF {
			return rerr
		}
		if n > 0 || offset == 0 {
			if err := s.uploadChunk(ctx, buf[:n], offset, dir, name); err != nil {
				return err
			}
			offset += int64(n)
			if progress != nil {
				progress(offset, size, time.Since(start))
			}
		}
		if rerr != nil {
			break
		}
	}
	v, err := s.Call(ctx, "checkUpload", dir, name)
	if err != nil {
		return err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("upload of %s failed: the hub has no such file", name)
	}
	if got, _ := m["size"].(int64); got != offset {
		return fmt.Errorf("upload of %s failed: hub has %d bytes, sent %d", name, got, offset)
	}
	return nil
}

// UploadAt writes data at offset of work/<dir>/<name> with one raw upload
// (the file is cut at offset first). Builders append logs with it.
func (s *Session) UploadAt(ctx context.Context, dir, name string, offset int64, data []byte) error {
	return s.uploadChunk(ctx, data, offset, dir, name)
}

func (s *Session) uploadChunk(ctx context.Context, chunk []byte, offset int64, dir, name string) error {
	// Parameters in the order the Python client writes them.
	q := "filename=" + url.QueryEscape(name) + "&filepath=" + url.QueryEscape(dir) +
		"&fileverify=adler32&offset=" + strconv.FormatInt(offset, 10) + "&overwrite=1"
	body, err := s.post(ctx, "rawUpload", s.URL+"?"+q, "application/octet-stream", chunk)
	if err != nil {
		return err
	}
	v, err := decode("rawUpload", body)
	if err != nil {
		return err
	}
	m, _ := v.(map[string]any)
	size, _ := m["size"].(int64)
	digest, _ := m["hexdigest"].(string)
	if size != int64(len(chunk)) {
		return fmt.Errorf("upload of %s: hub took %d bytes at offset %d, sent %d", name, size, offset, len(chunk))
	}
	if want := fmt.Sprintf("%08x", adler32.Checksum(chunk)); digest != want {
		return fmt.Errorf("upload of %s: adler32 mismatch at offset %d: hub %s, local %s", name, offset, digest, want)
	}
	return nil
}
