package xmlrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// DefaultMaxResponseBytes bounds response bodies for a Client. Answers such
// as listRPMs or queryHistory can be much larger than the hub's 4 MiB
// request limit.
const DefaultMaxResponseBytes = 256 << 20

// Client calls a Koji hub (ours or Koji's) the way the Python koji library
// does: text/xml POSTs, User-Agent koji/1 and, once logged in, the session
// in Koji-Session-* headers. Set the fields before the first call.
//
// Calls may be made from several goroutines, but a hub rejects a callnum
// lower than one it has already committed, so calls on one session should
// be made one at a time (Koji clients use a subsession per thread).
type Client struct {
	URL  string       // e.g. http://127.0.0.1:8080/kojihub
	HTTP *http.Client // nil = http.DefaultClient

	// Session state (Koji header auth). Callnum is the next number to send.
	SessionID  int64
	SessionKey string
	Callnum    int64

	MaxResponseBytes int64 // 0 = DefaultMaxResponseBytes

	mu sync.Mutex // guards the session state
}

// HTTPError is a reply with a status other than 200. Koji answers 400 for an
// unparsable body and 405 for a GET, with a text body saying why.
type HTTPError struct {
	Method     string // the XML-RPC method that was called
	StatusCode int
	Status     string // e.g. "400 Bad Request"
	Body       string // start of the body, trimmed
}

func (e *HTTPError) Error() string {
	msg := "xmlrpc: " + e.Method + ": HTTP " + e.Status
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Call invokes method with positional params. A fault comes back as a
// *Fault error, a non-200 status as an *HTTPError.
func (c *Client) Call(ctx context.Context, method string, params ...any) (any, error) {
	var body bytes.Buffer
	if err := EncodeCall(&body, method, params); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("xmlrpc: %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "koji/1")
	c.mu.Lock()
	if c.SessionID != 0 {
		req.Header.Set("Koji-Session-Id", strconv.FormatInt(c.SessionID, 10))
		req.Header.Set("Koji-Session-Key", c.SessionKey)
		req.Header.Set("Koji-Session-Callnum", strconv.FormatInt(c.Callnum, 10))
		c.Callnum++
	}
	limit := c.MaxResponseBytes
	c.mu.Unlock()
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}

	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("xmlrpc: %s: %w", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, &HTTPError{Method: method, StatusCode: resp.StatusCode, Status: resp.Status, Body: strings.TrimSpace(string(b))}
	}
	v, err := DecodeResponse(resp.Body, Limits{MaxBodyBytes: limit})
	if err != nil {
		var f *Fault
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, fmt.Errorf("xmlrpc: %s: bad response: %w", method, err)
	}
	return v, nil
}

// CallKw invokes method with positional params and keyword arguments.
func (c *Client) CallKw(ctx context.Context, method string, params []any, kw map[string]any) (any, error) {
	return c.Call(ctx, method, WithKwargs(params, kw)...)
}

// Login does a password login as the koji CLI does (login(user, password,
// opts=None)) and keeps the session for the following calls.
func (c *Client) Login(ctx context.Context, user, password string) error {
	v, err := c.CallKw(ctx, "login", []any{user, password}, map[string]any{"opts": nil})
	if err != nil {
		return err
	}
	m, _ := v.(map[string]any)
	id, _ := m["session-id"].(int64)
	key, _ := m["session-key"].(string)
	if id == 0 || key == "" {
		return fmt.Errorf("xmlrpc: login: reply has no session-id/session-key: %v", v)
	}
	c.mu.Lock()
	c.SessionID, c.SessionKey, c.Callnum = id, key, 0
	c.mu.Unlock()
	return nil
}

// Logout closes the session (logout(session_id=None)) and forgets it, even
// when the call fails. It does nothing when not logged in.
func (c *Client) Logout(ctx context.Context) error {
	c.mu.Lock()
	loggedIn := c.SessionID != 0
	c.mu.Unlock()
	if !loggedIn {
		return nil
	}
	_, err := c.CallKw(ctx, "logout", nil, map[string]any{"session_id": nil})
	var f *Fault
	if errors.As(err, &f) && f.Code == 1019 {
		// ParameterError: a hub older than 1.31 takes no session_id.
		_, err = c.Call(ctx, "logout")
	}
	c.mu.Lock()
	c.SessionID, c.SessionKey, c.Callnum = 0, "", 0
	c.mu.Unlock()
	return err
}
