package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/kojiclient"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// testCA issues certificates for the TLS test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert, key}
}

// issue writes a certificate for cn (a server's when ip is set, else a
// client's) and its key to one PEM file, as Koji's cert option holds them.
func (ca *testCA) issue(t *testing.T, path, cn string, ip net.IP) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	out := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})...)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (ca *testCA) write(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startTLSHub runs the hub as main does, with HTTPS and client
// certificates from clientCA (which also signed its own), and answers its
// XML-RPC URL once a handshake with clientPEM succeeds.
func startTLSHub(t *testing.T, dir, serverPEM, clientCA, clientPEM string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg, err := loadConfig([]string{"--data", filepath.Join(dir, "data"), "--listen", addr, "--admin-password", "secret",
		"--tls-cert", serverPEM, "--tls-key", serverPEM, "--tls-client-ca", clientCA,
		"--repo-manager=false", "--hub-tasks=false"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hub stopped: %v", err)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		if handshake(addr, clientCA, clientPEM) == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("hub ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the hub never listened")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "https://" + addr + "/kojihub"
}

// TestTLSLogin logs in over HTTPS with client certificates, as a Koji
// client with authtype ssl does: a certificate from the trusted CA names
// the user, one from another CA is refused, and no certificate gets
// AuthError.
func TestTLSLogin(t *testing.T) {
	dir := t.TempDir()
	ca, other := newTestCA(t, "test CA"), newTestCA(t, "other CA")
	path := func(name string) string { return filepath.Join(dir, name) }
	ca.write(t, path("ca.pem"))
	ca.issue(t, path("server.pem"), "localhost", net.IPv4(127, 0, 0, 1))
	ca.issue(t, path("alice.pem"), "alice", nil)
	other.issue(t, path("mallory.pem"), "alice", nil)
	url := startTLSHub(t, dir, path("server.pem"), path("ca.pem"), path("alice.pem"))
	ctx := context.Background()
	session := func(cert string) *kojiclient.Session {
		s, err := kojiclient.New(kojiclient.Profile{Server: url, AuthType: "ssl", Cert: cert, ServerCA: path("ca.pem")})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	admin := session("")
	if err := admin.Login(ctx, "kojiadmin", "secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Call(ctx, "createUser", "alice"); err != nil {
		t.Fatal(err)
	}

	alice := session(path("alice.pem"))
	if err := alice.SSLLogin(ctx, ""); err != nil {
		t.Fatalf("sslLogin with alice's certificate: %v", err)
	}
	v, err := alice.Call(ctx, "getLoggedInUser")
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := v.(map[string]any); m["name"] != "alice" {
		t.Errorf("getLoggedInUser = %v, want alice", v)
	}

	// No certificate, or one whose issuer the hub does not name (Go's
	// client then sends none): the call arrives, and sslLogin refuses it.
	for _, cert := range []string{"", path("mallory.pem")} {
		var f *xmlrpc.Fault
		err = session(cert).SSLLogin(ctx, "")
		if !errors.As(err, &f) || f.Code != hub.CodeAuth || !strings.Contains(f.String, "could not verify client") {
			t.Errorf("sslLogin with certificate %q: %v, want an AuthError", cert, err)
		}
	}
	// A client that sends an untrusted certificate anyway, as OpenSSL's
	// does, fails the handshake.
	if err := handshake(addrOf(t, url), path("ca.pem"), path("mallory.pem")); err == nil {
		t.Error("a handshake with an untrusted client certificate succeeded")
	}
	if err := handshake(addrOf(t, url), path("ca.pem"), path("alice.pem")); err != nil {
		t.Errorf("a handshake with alice's certificate: %v", err)
	}
}

func addrOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := neturl.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// handshake connects with certPEM as the client certificate, sent whatever
// the server asks for, and reads until the server has judged it.
func handshake(addr, caPEM, certPEM string) error {
	crt, err := tls.LoadX509KeyPair(certPEM, certPEM)
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(caPEM)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &crt, nil }})
	if err != nil {
		return err
	}
	defer c.Close()
	// With TLS 1.3 the server's verdict on the client certificate comes
	// after the client's side of the handshake: a request brings it.
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return err
	}
	_, err = c.Read(make([]byte, 1))
	return err
}
