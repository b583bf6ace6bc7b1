package kojiclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// Session talks to one hub as the Python koji.ClientSession does: text/xml
// POSTs with User-Agent koji/1, the session in Koji-Session-* headers once
// logged in, and the hub version taken from the Koji-Version reply header.
//
// Calls on one session must be made one at a time: the hub rejects a callnum
// lower than one it has already seen.
type Session struct {
	URL  string // the XML-RPC endpoint
	HTTP *http.Client

	mu         sync.Mutex
	sessionID  int64
	sessionKey string
	callnum    int64
	authType   string // "password" or "ssl" once logged in
	hubVersion string // from the Koji-Version header, "" until seen
}

// New makes a session for a profile: TLS settings from serverca,
// no_ssl_verify and cert, and the profile's request timeout.
func New(p Profile) (*Session, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tc := &tls.Config{}
	if p.ServerCA != "" {
		pem, err := os.ReadFile(p.ServerCA)
		if err != nil {
			return nil, &ConfigError{fmt.Sprintf("reading serverca: %v", err)}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &ConfigError{"serverca " + p.ServerCA + " holds no PEM certificate"}
		}
		tc.RootCAs = pool
	} else if p.NoSSLVerify {
		tc.InsecureSkipVerify = true
	}
	if p.Cert != "" && exists(p.Cert) && (p.AuthType == "ssl" || p.AuthType == "") {
		// Koji's cert file holds the certificate and its key in one PEM file.
		crt, err := tls.LoadX509KeyPair(p.Cert, p.Cert)
		if err != nil {
			return nil, &ConfigError{fmt.Sprintf("reading cert %s: %v", p.Cert, err)}
		}
		tc.Certificates = []tls.Certificate{crt}
	}
	tr.TLSClientConfig = tc
	hc := &http.Client{Transport: tr}
	if p.Timeout > 0 {
		hc.Timeout = time.Duration(p.Timeout) * time.Second
	}
	return &Session{URL: p.Server, HTTP: hc}, nil
}

// ConnError is a failure to reach the hub at all (refused, DNS, TLS).
type ConnError struct {
	Method string
	Err    error
}

func (e *ConnError) Error() string { return fmt.Sprintf("%s: %v", e.Method, e.Err) }
func (e *ConnError) Unwrap() error { return e.Err }

// FaultClass is the Koji exception class name for a fault, as the Python
// CLI prints it ("GenericError", "ActionNotAllowed", … or "Fault").
func FaultClass(f *xmlrpc.Fault) string {
	return (&hub.Fault{Code: f.Code}).ClassName()
}

// IsFault reports whether err is a hub fault whose text contains substr.
func IsFault(err error, substr string) bool {
	var f *xmlrpc.Fault
	return errors.As(err, &f) && strings.Contains(f.String, substr)
}

// LoggedIn reports whether the session holds a hub session.
func (s *Session) LoggedIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionID != 0
}

// AuthType is "password" or "ssl" after a login, else "".
func (s *Session) AuthType() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authType
}

// SessionID is the hub session id (0 when anonymous).
func (s *Session) SessionID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionID
}

// Call invokes method with positional params; a fault comes back as
// *xmlrpc.Fault, a failure to connect as *ConnError.
func (s *Session) Call(ctx context.Context, method string, params ...any) (any, error) {
	body, err := s.CallRaw(ctx, method, params...)
	if err != nil {
		return nil, err
	}
	return decode(method, body)
}

// CallKw invokes method with positional params and keyword arguments sent as
// Koji's trailing __starstar struct. A nil value in kw is sent as <nil/>.
func (s *Session) CallKw(ctx context.Context, method string, params []any, kw map[string]any) (any, error) {
	return s.Call(ctx, method, xmlrpc.WithKwargs(params, kw)...)
}

func decode(method string, body []byte) (any, error) {
	v, err := xmlrpc.DecodeResponseBytes(body, xmlrpc.Limits{MaxBodyBytes: xmlrpc.DefaultMaxResponseBytes})
	if err != nil {
		var f *xmlrpc.Fault
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, fmt.Errorf("%s: bad response: %w", method, err)
	}
	return v, nil
}

// CallRaw invokes method and returns the response body undecoded (for a
// caller that needs, say, the order of struct members). A fault is still
// returned as an error.
func (s *Session) CallRaw(ctx context.Context, method string, params ...any) ([]byte, error) {
	var body bytes.Buffer
	if err := xmlrpc.EncodeCall(&body, method, params); err != nil {
		return nil, err
	}
	url := s.URL
	if method == "sslLogin" {
		url = strings.Replace(strings.TrimRight(url, "/"), "http://", "https://", 1) + "/ssllogin"
	}
	b, err := s.post(ctx, method, url, "text/xml", body.Bytes())
	if err != nil {
		return nil, err
	}
	if bytes.Contains(b[:min(len(b), 200)], []byte("<fault>")) {
		if _, err := decode(method, b); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// post sends one request with the session headers and returns the body of
// a 200 answer.
func (s *Session) post(ctx context.Context, method, url, ctype string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, &ConnError{method, err}
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("User-Agent", "koji/1")
	s.mu.Lock()
	if s.sessionID != 0 {
		req.Header.Set("Koji-Session-Id", strconv.FormatInt(s.sessionID, 10))
		req.Header.Set("Koji-Session-Key", s.sessionKey)
		req.Header.Set("Koji-Session-Callnum", strconv.FormatInt(s.callnum, 10))
		s.callnum++
	}
	s.mu.Unlock()
	hc := s.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &ConnError{method, err}
	}
	defer resp.Body.Close()
	if v := resp.Header.Get("Koji-Version"); v != "" {
		s.mu.Lock()
		s.hubVersion = v
		s.mu.Unlock()
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, xmlrpc.DefaultMaxResponseBytes))
	if err != nil {
		return nil, &ConnError{method, err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &xmlrpc.HTTPError{Method: method, StatusCode: resp.StatusCode, Status: resp.Status,
			Body: strings.TrimSpace(string(b[:min(len(b), 4096)]))}
	}
	return b, nil
}

// Login logs in with a password (login(user, password, opts=None)).
func (s *Session) Login(ctx context.Context, user, password string) error {
	v, err := s.CallKw(ctx, "login", []any{user, password}, map[string]any{"opts": nil})
	if err != nil {
		return err
	}
	return s.adopt(v, "password")
}

// SSLLogin logs in with the TLS client certificate of the session's HTTP
// client, at <server>/ssllogin over https.
func (s *Session) SSLLogin(ctx context.Context, proxyuser string) error {
	var pu any
	if proxyuser != "" {
		pu = proxyuser
	}
	v, err := s.CallKw(ctx, "sslLogin", nil, map[string]any{"proxyuser": pu})
	if err != nil {
		return err
	}
	if strings.HasPrefix(s.URL, "http://") {
		s.URL = "https://" + strings.TrimPrefix(s.URL, "http://")
	}
	return s.adopt(v, "ssl")
}

func (s *Session) adopt(v any, authType string) error {
	m, _ := v.(map[string]any)
	id, _ := m["session-id"].(int64)
	key, _ := m["session-key"].(string)
	if id == 0 || key == "" {
		return fmt.Errorf("login: reply has no session-id/session-key: %v", v)
	}
	s.mu.Lock()
	s.sessionID, s.sessionKey, s.callnum, s.authType = id, key, 0, authType
	s.mu.Unlock()
	return nil
}

// ErrNoAuthMethod means the profile names no way to log in that this client
// supports (Kerberos/GSSAPI is not implemented).
var ErrNoAuthMethod = errors.New("Unable to log in, no authentication methods available")

// Activate logs in the way Koji's activate_session picks: nothing for
// noauth; the certificate for authtype ssl (or an existing cert file and no
// authtype); user and password for authtype password (or a user and no
// authtype). GSSAPI is not supported and gives ErrNoAuthMethod.
func (s *Session) Activate(ctx context.Context, p Profile, noauth bool) error {
	if s.LoggedIn() || noauth || p.AuthType == "noauth" {
		return nil
	}
	switch {
	case p.AuthType == "ssl" || (p.AuthType == "" && p.Cert != "" && exists(p.Cert)):
		return s.SSLLogin(ctx, "")
	case p.AuthType == "password" || (p.AuthType == "" && p.User != ""):
		return s.Login(ctx, p.User, p.Password)
	}
	return ErrNoAuthMethod
}

// Logout closes the hub session, if any, and forgets it even when the call
// fails (logout(session_id=None); an old hub without the keyword gets a
// plain logout()).
func (s *Session) Logout(ctx context.Context) error {
	if !s.LoggedIn() {
		return nil
	}
	_, err := s.CallKw(ctx, "logout", nil, map[string]any{"session_id": nil})
	var f *xmlrpc.Fault
	if errors.As(err, &f) && f.Code == hub.CodeParameter {
		_, err = s.Call(ctx, "logout")
	}
	s.mu.Lock()
	s.sessionID, s.sessionKey, s.callnum, s.authType = 0, "", 0, ""
	s.mu.Unlock()
	return err
}

// HubVersion is the hub's Koji version: the Koji-Version header of any reply
// so far, else getKojiVersion(); a hub without that method is taken to be
// 1.22.0, as the Python client does.
func (s *Session) HubVersion(ctx context.Context) (string, error) {
	s.mu.Lock()
	v := s.hubVersion
	s.mu.Unlock()
	if v != "" {
		return v, nil
	}
	r, err := s.Call(ctx, "getKojiVersion")
	if err != nil {
		if IsFault(err, "Invalid method") {
			return "1.22.0", nil
		}
		return "", err
	}
	v, _ = r.(string)
	s.mu.Lock()
	s.hubVersion = v
	s.mu.Unlock()
	return v, nil
}

// VersionAtLeast compares dotted versions numerically: "1.35.3" ≥ "1.35".
func VersionAtLeast(have, want string) bool {
	hp, wp := strings.Split(have, "."), strings.Split(want, ".")
	for i := 0; i < len(hp) || i < len(wp); i++ {
		var h, w int
		if i < len(hp) {
			h, _ = strconv.Atoi(hp[i])
		}
		if i < len(wp) {
			w, _ = strconv.Atoi(wp[i])
		}
		if h != w {
			return h > w
		}
	}
	return true
}
