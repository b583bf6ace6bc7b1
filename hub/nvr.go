package hub

import "strings"

// NVR is a parsed name-version-release, as Koji's parse_NVR gives it.
type NVR struct {
	Name, Version, Release string
	Epoch                  string // "" when the string had no "E:" prefix
}

// ParseNVR splits "N-V-R" (optionally "E:N-V-R"); the error is Koji's.
func ParseNVR(s string) (NVR, error) {
	p2 := strings.LastIndex(s, "-")
	if p2 <= 0 || p2 == len(s)-1 {
		return NVR{}, GenericError("invalid format: %s", s)
	}
	p1 := strings.LastIndex(s[:p2], "-")
	if p1 == -1 || p1 == p2-1 {
		return NVR{}, GenericError("invalid format: %s", s)
	}
	n := NVR{Name: s[:p1], Version: s[p1+1 : p2], Release: s[p2+1:]}
	if i := strings.Index(n.Name, ":"); i >= 0 {
		n.Epoch, n.Name = n.Name[:i], n.Name[i+1:]
	}
	return n, nil
}

// NVRA is a parsed N-V-R.A, with the @location suffix of external rpms.
type NVRA struct {
	NVR
	Arch     string
	Location string
}

// ParseNVRA splits "N-V-R.A" (".rpm" and "@location" allowed).
func ParseNVRA(s string) (NVRA, error) {
	var loc string
	if i := strings.Index(s, "@"); i >= 0 {
		s, loc = s[:i], s[i+1:]
	}
	s = strings.TrimSuffix(s, ".rpm")
	p3 := strings.LastIndex(s, ".")
	if p3 == -1 || p3 == len(s)-1 {
		return NVRA{}, GenericError("invalid format: %s", s)
	}
	nvr, err := ParseNVR(s[:p3])
	if err != nil {
		return NVRA{}, err
	}
	return NVRA{NVR: nvr, Arch: s[p3+1:], Location: loc}, nil
}
