package hubtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Signer is a throwaway OpenPGP key that signs RPMs with the real rpmsign,
// so tests get signature headers exactly as Koji's users import them.
type Signer struct {
	home  string // GNUPGHOME
	KeyID string // Koji's sigkey: the key id's last 8 hex digits, lower case
}

// NewSigner makes a key in a fresh GNUPGHOME; its gpg-agent is stopped when
// the test ends.
func NewSigner(t testing.TB) *Signer {
	t.Helper()
	RequireCommand(t, "gpg", "gpg")
	RequireCommand(t, "gpg-agent", "gpg-agent")
	RequireCommand(t, "rpmsign", "rpm")
	// gpg-agent's socket lives in GNUPGHOME; a test's TempDir can be too long
	// for a socket path.
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	s := &Signer{home: home}
	t.Cleanup(func() {
		s.run(t, "gpgconf", "--kill", "gpg-agent")
		os.RemoveAll(home)
	})
	s.run(t, "gpg", "--batch", "--passphrase", "", "--quick-gen-key", "Gokoji Test <test@example.com>", "rsa2048", "sign", "never")
	for _, line := range strings.Split(s.run(t, "gpg", "--batch", "--with-colons", "--list-keys"), "\n") {
		if f := strings.Split(line, ":"); f[0] == "pub" && len(f) > 4 {
			s.KeyID = strings.ToLower(f[4][len(f[4])-8:])
		}
	}
	if s.KeyID == "" {
		t.Fatal("no key id in gpg --list-keys")
	}
	return s
}

func (s *Signer) run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+s.home)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %v: %v\n%s%s", name, args, err, out, stderr)
	}
	return string(out)
}

// Sign returns a signed copy of an RPM file's bytes.
func (s *Signer) Sign(t testing.TB, rpm []byte) []byte {
	t.Helper()
	fn := filepath.Join(t.TempDir(), "sign.rpm")
	if err := os.WriteFile(fn, rpm, 0o644); err != nil {
		t.Fatal(err)
	}
	s.run(t, "rpmsign", "--addsign", "--define", "_gpg_name Gokoji Test", "--define", "__gpg "+gpgPath(t), fn)
	b, err := os.ReadFile(fn)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gpgPath(t testing.TB) string {
	p, err := exec.LookPath("gpg")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// CheckSig runs rpmkeys --checksig on path with a database that trusts only
// this key, and returns its verbose report; it fails the test if rpm does
// not call the file OK.
func (s *Signer) CheckSig(t testing.TB, path string) string {
	t.Helper()
	dir := t.TempDir()
	pub := filepath.Join(dir, "pub.asc")
	if err := os.WriteFile(pub, []byte(s.run(t, "gpg", "--batch", "--armor", "--export")), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "rpmdb")
	s.run(t, "rpmkeys", "--dbpath", db, "--import", pub)
	return s.run(t, "rpmkeys", "--dbpath", db, "--checksig", "-v", path)
}
