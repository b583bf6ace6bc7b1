// Package repos writes yum/dnf repositories for tags under the topdir, in
// Koji's layout, with createrepo_c. It knows files and RPM lists, not the
// database: callers hand it what a repo holds.
package repos

import (
	"strings"

	"github.com/gokoji/gokoji/hub"
)

// CanonArch maps an RPM arch to the repo arch it belongs in (i686 → i386,
// armv7hl → armhfp …).
func CanonArch(arch string) string { return hub.CanonArch(arch) }

// RepoArches turns a tag's arches string into the arch directories of its
// repos: canonical, without duplicates, without noarch and src.
func RepoArches(tagArches string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range strings.Fields(tagArches) {
		c := CanonArch(a)
		if c == "noarch" || c == "src" || seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, c)
	}
	return out
}

// isDebuginfo reports whether an RPM is debug data, left out of repos
// unless asked for.
func isDebuginfo(name string) bool {
	return strings.HasSuffix(name, "-debuginfo") || strings.HasSuffix(name, "-debugsource") ||
		strings.Contains(name, "-debuginfo-")
}
