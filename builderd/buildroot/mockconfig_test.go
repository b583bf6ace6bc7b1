package buildroot

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// python runs a Python 3 program on stdin (python3 is among the packages
// the tests need: see the Makefile's deps).
func python(t *testing.T, program, stdin string) []byte {
	t.Helper()
	cmd := exec.Command("python3", "-c", program)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.String())
	}
	return out
}

func TestPyStr(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `''`},
		{"plain /path-1.0_x", `'plain /path-1.0_x'`},
		{"it's", `'it\'s'`},
		{`say "hi"`, `'say "hi"'`},
		{`back\slash`, `'back\\slash'`},
		{`\'`, `'\\\''`},
		{"two\nlines", `'two\nlines'`},
		{"cr\rtab\t", `'cr\rtab\t'`},
		{"nul\x00del\x7fesc\x1b", `'nul\x00del\x7fesc\x1b'`},
		{"caf\u00e9", `'caf\xe9'`},
		{"line\u2028sep", `'line\u2028sep'`},
		{"emoji \U0001F600", `'emoji \U0001f600'`},
		{"'); import os; os.system('x') #", `'\'); import os; os.system(\'x\') #'`},
	}
	var lits []string
	for _, tc := range cases {
		got, err := pyStr(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("pyStr(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
		lits = append(lits, got)
	}
	// Python itself must read each literal back as the string it came from.
	out := python(t, `import ast, json, sys
print(json.dumps([ast.literal_eval(l) for l in sys.stdin.read().split("\n")]))`, strings.Join(lits, "\n"))
	var back []string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(cases) {
		t.Fatalf("Python read %d literals, want %d", len(back), len(cases))
	}
	for i, tc := range cases {
		if back[i] != tc.in {
			t.Errorf("Python reads %s as %q, want %q", lits[i], back[i], tc.in)
		}
	}
	if _, err := pyStr("bad \xff utf-8"); err == nil {
		t.Error("pyStr accepted invalid UTF-8")
	}
}

func TestMockRootName(t *testing.T) {
	cases := []struct {
		tag    string
		repoID int64
		arch   string
		want   string
	}{
		{"f40-build", 7, "x86_64", "f40-build-7-x86_64"},
		{"el9+epel_1.2", 12, "aarch64", "el9+epel_1.2-12-aarch64"},
		{"", 3, "x86_64", "notag-3-x86_64"},
		{"../../etc", 1, "i686", ".._.._etc-1-i686"},
		{"it's\nimport os", 5, "x86_64", "it_s_import_os-5-x86_64"},
		{"{{ evil }}", 5, "x 86", "___evil___-5-x_86"},
	}
	for _, tc := range cases {
		if got := MockRootName(tc.tag, tc.repoID, tc.arch); got != tc.want {
			t.Errorf("MockRootName(%q, %d, %q) = %q, want %q", tc.tag, tc.repoID, tc.arch, got, tc.want)
		}
	}
}

func baseMockConfig() MockConfig {
	return MockConfig{
		Root:       "f40-build-7-x86_64",
		TargetArch: "x86_64",
		RepoURL:    "http://hub.example/kojifiles/repos/f40-build/7/x86_64",
		Setup:      []string{"@build"},
		Isolation:  "simple",
		BaseDir:    "/var/tmp/builderd/task-9/mock",
		CacheDir:   "/var/tmp/builderd/mock-cache",
		ReleaseVer: "1",
	}
}

func TestMockConfigText(t *testing.T) {
	cases := []struct {
		name   string
		change func(*MockConfig)
		want   []string // whole lines the text must have
	}{
		{"defaults", func(*MockConfig) {}, []string{
			`config_opts['root'] = 'f40-build-7-x86_64'`,
			`config_opts['target_arch'] = 'x86_64'`,
			`config_opts['legal_host_arches'] = ('x86_64',)`,
			`config_opts['chroot_setup_cmd'] = 'install @build'`,
			`config_opts['package_manager'] = 'dnf'`,
			`config_opts['releasever'] = '1'`,
			`config_opts['basedir'] = '/var/tmp/builderd/task-9/mock'`,
			`config_opts['cache_topdir'] = '/var/tmp/builderd/mock-cache'`,
			`config_opts['isolation'] = 'simple'`,
			`config_opts['use_bootstrap'] = False`,
			`config_opts['rpmbuild_networking'] = False`,
			`config_opts['use_host_resolv'] = False`,
			`config_opts['plugin_conf']['root_cache_enable'] = True`,
			`config_opts['plugin_conf']['root_cache_opts']['age_check'] = False`,
		}},
		{"setup packages", func(c *MockConfig) { c.Setup = []string{"bash", "rpm-build", "redhat-rpm-config"} }, []string{
			`config_opts['chroot_setup_cmd'] = 'install bash rpm-build redhat-rpm-config'`,
		}},
		{"i686 builds on x86_64 too", func(c *MockConfig) { c.TargetArch = "i686" }, []string{
			`config_opts['target_arch'] = 'i686'`,
			`config_opts['legal_host_arches'] = ('i386', 'i486', 'i586', 'i686', 'x86_64',)`,
		}},
		{"nspawn", func(c *MockConfig) { c.Isolation = "nspawn" }, []string{
			`config_opts['isolation'] = 'nspawn'`,
		}},
		{"quotes in paths", func(c *MockConfig) { c.BaseDir = `/srv/it's "here"\` }, []string{
			`config_opts['basedir'] = '/srv/it\'s "here"\\'`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseMockConfig()
			tc.change(&c)
			text, err := MockConfigText(c)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(text, "\n")
			for _, w := range tc.want {
				if !contains(lines, w) {
					t.Errorf("no line %s in:\n%s", w, text)
				}
			}
		})
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// TestMockConfigPython runs the config as Python, as mock does, and checks
// the values mock would see: dnf.conf's repo section above all.
func TestMockConfigPython(t *testing.T) {
	c := baseMockConfig()
	c.BaseDir = "/srv/it's \"odd\"\\ caf\u00e9"
	text, err := MockConfigText(c)
	if err != nil {
		t.Fatal(err)
	}
	// Mock's config_opts comes with nested dicts (plugin_conf and its
	// options) already there; a dict that makes them on demand stands in.
	out := python(t, `import json, sys
class Opts(dict):
    def __missing__(self, key):
        self[key] = Opts()
        return self[key]
config_opts = Opts()
exec(sys.stdin.read(), {"config_opts": config_opts})
print(json.dumps(config_opts))`, text)
	var opts struct {
		Root       string   `json:"root"`
		TargetArch string   `json:"target_arch"`
		Legal      []string `json:"legal_host_arches"`
		Setup      string   `json:"chroot_setup_cmd"`
		BaseDir    string   `json:"basedir"`
		Networking *bool    `json:"rpmbuild_networking"`
		DNFConf    string   `json:"dnf.conf"`
		Plugins    struct {
			RootCache *bool `json:"root_cache_enable"`
		} `json:"plugin_conf"`
	}
	if err := json.Unmarshal(out, &opts); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if opts.Root != c.Root || opts.TargetArch != "x86_64" || len(opts.Legal) != 1 || opts.Setup != "install @build" {
		t.Errorf("Python read %+v", opts)
	}
	if opts.BaseDir != c.BaseDir {
		t.Errorf("basedir = %q, want %q", opts.BaseDir, c.BaseDir)
	}
	if opts.Networking == nil || *opts.Networking || opts.Plugins.RootCache == nil || !*opts.Plugins.RootCache {
		t.Errorf("rpmbuild_networking %v, root_cache_enable %v", opts.Networking, opts.Plugins.RootCache)
	}
	// The repo section, line by line, as dnf reads it.
	want := "\n[build]\nname=build\nbaseurl=" + c.RepoURL + "\ngpgcheck=0\nskip_if_unavailable=False\n"
	if !strings.HasPrefix(opts.DNFConf, "[main]\n") || !strings.HasSuffix(opts.DNFConf, want) ||
		!contains(strings.Split(opts.DNFConf, "\n"), "reposdir=/dev/null") {
		t.Errorf("dnf.conf =\n%s", opts.DNFConf)
	}
}

func TestMockConfigRefuses(t *testing.T) {
	cases := []struct {
		name   string
		change func(*MockConfig)
		why    string // in the error
	}{
		{"newline in the repo URL (a new dnf.conf line)", func(c *MockConfig) { c.RepoURL += "\n[evil]\nbaseurl=http://evil/" }, "control character"},
		{"space in the repo URL", func(c *MockConfig) { c.RepoURL = "http://hub/repos/a b/1/x86_64" }, "space"},
		{"template in the repo URL", func(c *MockConfig) { c.RepoURL = "http://hub/repos/{{config_opts}}/1/x86_64" }, "template"},
		{"template statement in the base dir", func(c *MockConfig) { c.BaseDir = "/srv/{% set x = 1 %}" }, "template"},
		{"template comment in a setup package", func(c *MockConfig) { c.Setup = []string{"{#"} }, "template"},
		{"no repo URL", func(c *MockConfig) { c.RepoURL = "" }, "empty"},
		{"not a URL", func(c *MockConfig) { c.RepoURL = "repos/f40/7/x86_64" }, "not a URL"},
		{"newline in the root name", func(c *MockConfig) { c.Root = "f40\nimport os" }, "control character"},
		{"space in a setup package", func(c *MockConfig) { c.Setup = []string{"bash rpm"} }, "space"},
		{"no setup packages", func(c *MockConfig) { c.Setup = nil }, "no packages"},
		{"relative base dir", func(c *MockConfig) { c.BaseDir = "mock" }, "absolute"},
		{"newline in the cache dir", func(c *MockConfig) { c.CacheDir = "/srv/a\nb" }, "control character"},
		{"invalid UTF-8 in the base dir", func(c *MockConfig) { c.BaseDir = "/srv/\xff" }, "UTF-8"},
		{"empty arch", func(c *MockConfig) { c.TargetArch = "" }, "empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseMockConfig()
			tc.change(&c)
			text, err := MockConfigText(c)
			if err == nil {
				t.Fatalf("accepted; wrote:\n%s", text)
			}
			if !strings.Contains(err.Error(), tc.why) {
				t.Errorf("refused for another reason than %q: %v", tc.why, err)
			}
		})
	}
}
