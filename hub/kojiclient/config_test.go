package kojiclient

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadProfileOrderAndKeys(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "config.d")
	os.Mkdir(d, 0o755)
	os.WriteFile(filepath.Join(d, "a.conf"), []byte("[p]\nserver = http://one/kojihub\nuser = alice\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "config"), []byte("# comment\n[p]\nserver: http://two/kojihub\n"+
		"topurl = %(server)s/files\nno_ssl_verify = yes\ntimeout = 30\nauthtype=password\n[other]\nserver=x\n"), 0o644)
	p, err := ReadProfileFrom("p", []ConfigSource{{Path: d}, {Path: filepath.Join(dir, "config")}, {Path: "/nonexistent"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Server != "http://two/kojihub" || p.User != "alice" || p.TopURL != "http://two/kojihub/files" ||
		!p.NoSSLVerify || p.Timeout != 30 || p.AuthType != "password" || p.TopDir != "/mnt/koji" {
		t.Errorf("profile: %+v", p)
	}
	if _, err := ReadProfileFrom("missing", []ConfigSource{{Path: filepath.Join(dir, "config")}}); err == nil ||
		err.Error() != "no configuration for profile name: missing" {
		t.Errorf("missing profile: %v", err)
	}
	if _, err := ReadProfileFrom("p", []ConfigSource{{Path: filepath.Join(dir, "nope"), Required: true}}); err == nil {
		t.Error("a required file that is missing must fail")
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, c := range []struct {
		have, want string
		ok         bool
	}{{"1.35.3", "1.35", true}, {"1.34.1", "1.35", false}, {"1.35", "1.35.0", true}, {"2.0", "1.99.9", true}} {
		if VersionAtLeast(c.have, c.want) != c.ok {
			t.Errorf("%s >= %s", c.have, c.want)
		}
	}
}
