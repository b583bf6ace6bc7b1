package buildroot

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MockConfig is what a mock config is made of. MockConfigText renders it.
type MockConfig struct {
	Root       string   // the root's name (MockRootName)
	TargetArch string   // the arch rpmbuild builds for in the root
	RepoURL    string   // the build tag's repo for that arch: the root's only package source
	Setup      []string // packages and @groups installed into a fresh root
	Isolation  string   // mock's isolation: simple, nspawn or auto
	BaseDir    string   // where mock makes the root
	CacheDir   string   // mock's cache_topdir (root cache, package cache)
	ReleaseVer string   // dnf's $releasever in the root
}

// MockRootName names a root after its build tag, repo and arch, in the
// characters mock and file names take. Tasks building from one repo share
// a name, and so mock's root cache (a repo never changes, so neither does
// the root made from it); each task's root itself lives in the task's own
// base directory, so tasks never share a root.
func MockRootName(tag string, repoID int64, arch string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._+-", r) {
				return r
			}
			return '_'
		}, s)
	}
	if tag == "" {
		tag = "notag"
	}
	return fmt.Sprintf("%s-%d-%s", clean(tag), repoID, clean(arch))
}

// MockConfigText renders c as the Python assignments mock reads. Every
// value is a quoted literal (pyStr); values that would mean something other
// than what they say once mock or dnf reads them are refused rather than
// written.
func MockConfigText(c MockConfig) (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	var b strings.Builder
	var errs []error
	str := func(key, v string) {
		q, err := pyStr(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("mock config: %s: %w", key, err))
		}
		fmt.Fprintf(&b, "config_opts%s = %s\n", key, q)
	}
	boolean := func(key string, v bool) {
		fmt.Fprintf(&b, "config_opts%s = %s\n", key, map[bool]string{true: "True", false: "False"}[v])
	}
	b.WriteString("# Written by builderd for one task; mock reads it as Python.\n")
	str("['root']", c.Root)
	str("['target_arch']", c.TargetArch)
	var hosts []string
	for _, h := range legalHostArches(c.TargetArch) {
		q, _ := pyStr(h) // h is the checked arch, or a constant
		hosts = append(hosts, q)
	}
	// A trailing comma keeps a one-element tuple a tuple.
	fmt.Fprintf(&b, "config_opts['legal_host_arches'] = (%s,)\n", strings.Join(hosts, ", "))
	str("['chroot_setup_cmd']", "install "+strings.Join(c.Setup, " "))
	str("['package_manager']", "dnf")
	str("['releasever']", c.ReleaseVer)
	str("['basedir']", c.BaseDir)
	str("['cache_topdir']", c.CacheDir)
	str("['isolation']", c.Isolation)
	// The build tag's repo is the root's only source, and it need not hold
	// dnf for a bootstrap root: the host's dnf installs into the root.
	boolean("['use_bootstrap']", false)
	boolean("['use_bootstrap_image']", false)
	// A build sees only what the build tag gives it.
	boolean("['rpmbuild_networking']", false)
	boolean("['use_host_resolv']", false)
	// Roots of one repo are identical, so a cached one is as good as a new
	// one. The config is written anew for each task, so mock's age check
	// (cache older than the config: rebuild it) would never let it be used;
	// the root's name carries the repo id instead.
	boolean("['plugin_conf']['root_cache_enable']", true)
	boolean("['plugin_conf']['root_cache_opts']['age_check']", false)
	boolean("['plugin_conf']['yum_cache_enable']", true)
	boolean("['plugin_conf']['ccache_enable']", false)
	str("['dnf.conf']", dnfConf(c.RepoURL))
	if len(errs) > 0 {
		return "", errs[0]
	}
	return b.String(), nil
}

// dnfConf is the dnf.conf of the root: the build tag's repo and nothing
// else (reposdir points nowhere, so no repo of the host's leaks in).
func dnfConf(repoURL string) string {
	return strings.Join([]string{
		"[main]",
		"keepcache=1",
		"debuglevel=2",
		"reposdir=/dev/null",
		"logfile=/var/log/dnf.log",
		"retries=20",
		"obsoletes=1",
		"gpgcheck=0",
		"assumeyes=1",
		"install_weak_deps=0",
		"best=1",
		"protected_packages=",
		"syslog_ident=mock",
		"syslog_device=",
		"",
		"[build]",
		"name=build",
		"baseurl=" + repoURL,
		"gpgcheck=0",
		"skip_if_unavailable=False",
		"",
	}, "\n")
}

// check refuses values that would change meaning inside the config: a
// space or control character in a dnf.conf value or a package name starts
// another value (or another dnf.conf section); "{{", "{%" and "{#" are
// expanded by the Jinja templating mock applies to its config values.
func (c MockConfig) check() error {
	plain := func(what, v string) error {
		if v == "" {
			return fmt.Errorf("mock config: %s is empty", what)
		}
		if i := strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
			return fmt.Errorf("mock config: %s %q has a space or control character", what, v)
		}
		return nil
	}
	for _, f := range []struct{ what, v string }{
		{"root name", c.Root}, {"target arch", c.TargetArch}, {"repo URL", c.RepoURL},
		{"isolation", c.Isolation}, {"releasever", c.ReleaseVer},
	} {
		if err := plain(f.what, f.v); err != nil {
			return err
		}
	}
	if len(c.Setup) == 0 {
		return fmt.Errorf("mock config: no packages to set the root up with")
	}
	for _, p := range c.Setup {
		if err := plain("setup package", p); err != nil {
			return err
		}
	}
	for _, f := range []struct{ what, v string }{{"base dir", c.BaseDir}, {"cache dir", c.CacheDir}} {
		if !strings.HasPrefix(f.v, "/") {
			return fmt.Errorf("mock config: %s %q is not an absolute path", f.what, f.v)
		}
		if strings.ContainsAny(f.v, "\n\r\x00") {
			return fmt.Errorf("mock config: %s %q has a control character", f.what, f.v)
		}
	}
	if u, err := url.Parse(c.RepoURL); err != nil || u.Scheme == "" {
		return fmt.Errorf("mock config: repo URL %q is not a URL", c.RepoURL)
	}
	all := append([]string{c.Root, c.TargetArch, c.RepoURL, c.Isolation, c.ReleaseVer, c.BaseDir, c.CacheDir}, c.Setup...)
	for _, v := range all {
		for _, t := range []string{"{{", "{%", "{#"} {
			if strings.Contains(v, t) {
				return fmt.Errorf("mock config: %q holds %q, which mock would expand as a template", v, t)
			}
		}
	}
	return nil
}

// legalHostArches are the machines that run target's code natively (mock
// emulates the target elsewhere).
func legalHostArches(target string) []string {
	switch target {
	case "i386", "i486", "i586", "i686", "athlon":
		return []string{"i386", "i486", "i586", "i686", "x86_64"}
	}
	return []string{target}
}

// pyStr quotes s as a Python 3 string literal whose value is s. The
// literal is plain ASCII: quote and backslash are escaped, and every other
// character outside printable ASCII (newlines, NUL, Unicode line
// separators) is written as an escape, so no value can end the literal or
// the line. Invalid UTF-8 has no Python str form and is refused.
func pyStr(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%q is not valid UTF-8", s)
	}
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte('\'')
	return b.String(), nil
}
