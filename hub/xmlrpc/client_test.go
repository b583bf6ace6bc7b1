package xmlrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeHub records what the client sent and answers with handle's result.
type fakeHub struct {
	mu     sync.Mutex
	calls  []*Call
	hdrs   []http.Header
	handle func(c *Call, h http.Header) (any, *Fault)
}

func (f *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	c, err := DecodeCall(r.Body, Limits{})
	if err != nil {
		http.Error(w, "Invalid request: "+err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.hdrs = append(f.hdrs, r.Header.Clone())
	f.mu.Unlock()
	v, fault := f.handle(c, r.Header)
	w.Header().Set("Content-Type", "text/xml")
	if fault != nil {
		EncodeFault(w, fault)
		return
	}
	if err := EncodeResponse(w, v); err != nil {
		EncodeFault(w, &Fault{Code: 1, String: err.Error()})
	}
}

func newFakeHub(t *testing.T, handle func(c *Call, h http.Header) (any, *Fault)) (*fakeHub, *Client) {
	t.Helper()
	hub := &fakeHub{handle: handle}
	srv := httptest.NewServer(hub)
	t.Cleanup(srv.Close)
	return hub, &Client{URL: srv.URL + "/kojihub", HTTP: srv.Client()}
}

func TestClientCall(t *testing.T) {
	hub, c := newFakeHub(t, func(c *Call, h http.Header) (any, *Fault) {
		return c.Params, nil // echo
	})
	got, err := c.Call(context.Background(), "echo", "OK", 1, nil, map[string]any{"a": true})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"OK", int64(1), nil, map[string]any{"a": true}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	h := hub.hdrs[0]
	if h.Get("Content-Type") != "text/xml" || h.Get("User-Agent") != "koji/1" {
		t.Errorf("headers: %v", h)
	}
	for _, k := range []string{"Koji-Session-Id", "Koji-Session-Key", "Koji-Session-Callnum"} {
		if h.Get(k) != "" {
			t.Errorf("anonymous call sent %s", k)
		}
	}
	if c.Callnum != 0 {
		t.Errorf("anonymous call changed Callnum to %d", c.Callnum)
	}
}

func TestClientSession(t *testing.T) {
	hub, c := newFakeHub(t, func(call *Call, h http.Header) (any, *Fault) {
		switch call.Method {
		case "login":
			pos, kw := SplitKwargs(call.Params)
			if !reflect.DeepEqual(pos, []any{"kojiadmin", "secret"}) || !reflect.DeepEqual(kw, map[string]any{"opts": nil}) {
				return nil, &Fault{Code: 1019, String: "bad login args"}
			}
			return map[string]any{"session-id": int64(7), "session-key": "1-abc", "header-auth": true}, nil
		case "logout":
			return nil, nil
		}
		return h.Get("Koji-Session-Callnum"), nil
	})
	ctx := context.Background()
	if err := c.Login(ctx, "kojiadmin", "secret"); err != nil {
		t.Fatal(err)
	}
	if c.SessionID != 7 || c.SessionKey != "1-abc" || c.Callnum != 0 {
		t.Fatalf("session = %d %q %d", c.SessionID, c.SessionKey, c.Callnum)
	}
	for want := range 3 {
		got, err := c.Call(ctx, "getLoggedInUser")
		if err != nil {
			t.Fatal(err)
		}
		if got != strconv.Itoa(want) {
			t.Fatalf("callnum sent = %v, want %d", got, want)
		}
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if c.SessionID != 0 || c.SessionKey != "" || c.Callnum != 0 {
		t.Fatalf("session not cleared: %d %q %d", c.SessionID, c.SessionKey, c.Callnum)
	}
	n := len(hub.calls)
	last := hub.calls[n-1]
	if last.Method != "logout" || !reflect.DeepEqual(last.Params, []any{map[string]any{"session_id": nil, "__starstar": true}}) {
		t.Fatalf("logout sent %#v", last)
	}
	lh := hub.hdrs[n-1]
	if lh.Get("Koji-Session-Id") != "7" || lh.Get("Koji-Session-Key") != "1-abc" || lh.Get("Koji-Session-Callnum") != "3" {
		t.Fatalf("logout headers: %v", lh)
	}
	if hub.hdrs[0].Get("Koji-Session-Id") != "" {
		t.Fatalf("login sent session headers")
	}
	// Not logged in: Logout does not call the hub.
	if err := c.Logout(ctx); err != nil || len(hub.calls) != n {
		t.Fatalf("second logout: err=%v, calls %d -> %d", err, n, len(hub.calls))
	}
}

func TestClientLogoutOldHub(t *testing.T) {
	hub, c := newFakeHub(t, func(call *Call, h http.Header) (any, *Fault) {
		if len(call.Params) > 0 {
			return nil, &Fault{Code: 1019, String: "logout() got an unexpected keyword argument 'session_id'"}
		}
		return nil, nil
	})
	c.SessionID, c.SessionKey = 5, "k"
	if err := c.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(hub.calls) != 2 || len(hub.calls[1].Params) != 0 {
		t.Fatalf("calls: %#v", hub.calls)
	}
	if c.SessionID != 0 {
		t.Fatal("session kept")
	}
}

func TestClientErrors(t *testing.T) {
	_, c := newFakeHub(t, func(call *Call, h http.Header) (any, *Fault) {
		switch call.Method {
		case "login":
			return map[string]any{"weird": true}, nil
		case "getTag":
			return nil, &Fault{Code: 1000, String: "No such tagInfo: 'x'"}
		}
		return nil, &Fault{Code: 1000, String: "Invalid method: " + call.Method}
	})
	ctx := context.Background()

	_, err := c.Call(ctx, "getTag", "x")
	f, ok := err.(*Fault)
	if !ok || f.Code != 1000 || f.String != "No such tagInfo: 'x'" {
		t.Fatalf("err = %#v, want *Fault 1000", err)
	}

	if err := c.Login(ctx, "u", "p"); err == nil || !strings.Contains(err.Error(), "no session-id") {
		t.Fatalf("login with a bad reply: %v", err)
	}
	if c.SessionID != 0 {
		t.Fatal("session set after a failed login")
	}

	// A value that cannot be encoded fails before anything is sent.
	if _, err := c.Call(ctx, "echo", make(chan int)); err == nil {
		t.Fatal("encoded a chan")
	}

	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Call(ctx2, "echo"); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled context: %v", err)
	}
}

func TestClientHTTPStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("mode") {
		case "garbage":
			w.Write([]byte("<html>not xml-rpc</html>"))
		default:
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte("Invalid request: mismatched tag: line 1, column 99\n"))
		}
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL}
	_, err := c.Call(context.Background(), "getTag", "f40")
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 400 {
		t.Fatalf("err = %v, want *HTTPError 400", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "400 Bad Request") || !strings.Contains(msg, "Invalid request: mismatched tag") {
		t.Fatalf("message %q lacks status or body", msg)
	}

	c.URL = srv.URL + "?mode=garbage"
	if _, err := c.Call(context.Background(), "getTag"); err == nil || !strings.Contains(err.Error(), "bad response") {
		t.Fatalf("garbage reply: %v", err)
	}
}

func TestClientResponseLimit(t *testing.T) {
	_, c := newFakeHub(t, func(call *Call, h http.Header) (any, *Fault) {
		return strings.Repeat("x", 5000), nil
	})
	c.MaxResponseBytes = 1000
	if _, err := c.Call(context.Background(), "big"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	c.MaxResponseBytes = 0 // default is far above 4 MiB
	if v, err := c.Call(context.Background(), "big"); err != nil || len(v.(string)) != 5000 {
		t.Fatalf("default limit: %v", err)
	}
}

func TestClientConcurrentCallnums(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	_, c := newFakeHub(t, func(call *Call, h http.Header) (any, *Fault) {
		mu.Lock()
		defer mu.Unlock()
		seen[h.Get("Koji-Session-Callnum")] = true
		return nil, nil
	})
	c.SessionID, c.SessionKey = 1, "k"
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := c.Call(ctx, "ping"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(seen) != 20 || c.Callnum != 20 {
		t.Fatalf("distinct callnums %d, Callnum %d; want 20, 20", len(seen), c.Callnum)
	}
}

// TestClientTranscript replays the hub's recorded answers and checks that the
// client sends what the Python client sent.
func TestClientTranscript(t *testing.T) {
	files := map[string]string{
		"login":         "admin-setup/001-login",
		"getAPIVersion": "admin-setup/002-getAPIVersion",
		"logout":        "admin-setup/004-logout",
	}
	reqs, resps := map[string][]byte{}, map[string][]byte{}
	for m, base := range files {
		reqs[m], resps[m] = readTranscript(t, base+".req.xml"), readTranscript(t, base+".resp.xml")
	}
	var mu sync.Mutex
	var errs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err := DecodeCall(r.Body, Limits{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		want, err := DecodeCall(bytes.NewReader(reqs[got.Method]), Limits{})
		if err != nil || !reflect.DeepEqual(got, want) {
			mu.Lock()
			errs = append(errs, fmt.Sprintf("%s: sent %#v, Python sent %#v (%v)", got.Method, got, want, err))
			mu.Unlock()
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Write(resps[got.Method])
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL}
	ctx := context.Background()
	if err := c.Login(ctx, "kojiadmin", "kojiadmin"); err != nil {
		t.Fatal(err)
	}
	if c.SessionID != 1 || c.SessionKey != "1-Xs7UVENqMHtW1QmPmdz" {
		t.Fatalf("session %d %q", c.SessionID, c.SessionKey)
	}
	if v, err := c.Call(ctx, "getAPIVersion"); err != nil || v != int64(1) {
		t.Fatalf("getAPIVersion = %v, %v", v, err)
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Error(e)
	}
}
