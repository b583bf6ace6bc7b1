package kojicli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConnectionFailureAndHelp(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "koji.conf")
	os.WriteFile(conf, []byte("[gokoji]\nserver = http://127.0.0.1:1/kojihub\nauthtype = password\n"), 0o644)
	var out, errb bytes.Buffer
	rc := Main(context.Background(), []string{"-c", conf, "-p", "gokoji", "list-tags"}, &out, &errb)
	if rc != 1 || errb.String() != "Error: Unable to connect to server\n" {
		t.Errorf("anon command, no hub: rc %d, stderr %q", rc, errb.String())
	}
	out.Reset()
	errb.Reset()
	rc = Main(context.Background(), []string{"-c", conf, "-p", "gokoji", "--user", "u", "--password", "p", "hello"}, &out, &errb)
	if rc != 1 || !strings.Contains(errb.String(), "[ERROR] koji: ConnectionError:") {
		t.Errorf("login, no hub: rc %d, stderr %q", rc, errb.String())
	}
	for name := range commands {
		if name == "version" { // like Koji's, it takes no options at all
			continue
		}
		out.Reset()
		errb.Reset()
		rc = Main(context.Background(), []string{"-c", conf, "-p", "gokoji", name, "--help"}, &out, &errb)
		if rc != 0 || !strings.HasPrefix(out.String(), "Usage: koji ") || !strings.Contains(out.String(), "-h, --help") {
			t.Errorf("%s --help: rc %d\n%s%s", name, rc, out.String(), errb.String())
		}
	}
	errb.Reset()
	rc = Main(context.Background(), []string{"-c", conf, "-p", "nosuch", "hello"}, &out, &errb)
	if rc != 2 || !strings.Contains(errb.String(), "koji: error: no configuration for profile name: nosuch") {
		t.Errorf("unknown profile: rc %d, stderr %q", rc, errb.String())
	}
}

func TestOptparse(t *testing.T) {
	p := newParser("%prog x")
	p.str("", "--owner", "")
	p.str("", "--other", "")
	p.flag("-f", "--force", "")
	p.list("-x", "--extra", "")
	v, pos, err := p.parse([]string{"a", "--own", "bob", "-fxk=v", "b", "--extra=y=z", "--", "-c"})
	if err != nil || v.s("owner") != "bob" || !v.b("force") || strings.Join(v.l("extra"), ",") != "k=v,y=z" ||
		strings.Join(pos, ",") != "a,b,-c" {
		t.Errorf("parse: %v %v %v", v, pos, err)
	}
	if _, _, err := p.parse([]string{"--o", "x"}); err == nil || err.Error() != "ambiguous option: --o (--other, --owner?)" {
		t.Errorf("ambiguous: %v", err)
	}
	if _, _, err := p.parse([]string{"--owner"}); err == nil || err.Error() != "--owner option requires 1 argument" {
		t.Errorf("missing value: %v", err)
	}
}
