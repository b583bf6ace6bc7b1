package xmlrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// UploadChunk is one raw upload (Koji's fast upload): the chunk is POSTed as
// application/octet-stream with the target in the query string. It answers
// the hub's struct {size, fileverify, offset, hexdigest}.
type UploadChunk struct {
	Dir       string // relative to the hub's work directory
	Name      string
	Offset    int64 // -1 appends
	Overwrite bool
	Verify    string // adler32 (what Koji's client sends), md5, sha256 or ""
	Data      []byte
}

// Upload sends one chunk with the client's session.
func (c *Client) Upload(ctx context.Context, u UploadChunk) (map[string]any, error) {
	q := url.Values{}
	q.Set("filename", u.Name)
	q.Set("filepath", u.Dir)
	if u.Verify != "" {
		q.Set("fileverify", u.Verify)
	}
	q.Set("offset", strconv.FormatInt(u.Offset, 10))
	if u.Overwrite {
		q.Set("overwrite", "1")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"?"+q.Encode(), bytes.NewReader(u.Data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("User-Agent", "koji/1")
	c.mu.Lock()
	if c.SessionID != 0 {
		req.Header.Set("Koji-Session-Id", strconv.FormatInt(c.SessionID, 10))
		req.Header.Set("Koji-Session-Key", c.SessionKey)
		req.Header.Set("Koji-Session-Callnum", strconv.FormatInt(c.Callnum, 10))
		c.Callnum++
	}
	c.mu.Unlock()
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("xmlrpc: upload: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, &HTTPError{Method: "rawUpload", StatusCode: resp.StatusCode, Status: resp.Status, Body: string(b)}
	}
	v, err := DecodeResponse(resp.Body, Limits{MaxBodyBytes: DefaultMaxResponseBytes})
	if err != nil {
		var f *Fault
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("xmlrpc: upload: unexpected answer %T", v)
	}
	return m, nil
}
