package hub

import (
	"regexp"
	"strings"
)

// Task states (Koji's TASK_STATES). Clients index a name table by these
// numbers, so they must not change.
const (
	TaskFree     = 0
	TaskOpen     = 1
	TaskClosed   = 2
	TaskCanceled = 3
	TaskAssigned = 4
	TaskFailed   = 5
)

// TaskStateNames are Koji's names, by number.
var TaskStateNames = []string{"FREE", "OPEN", "CLOSED", "CANCELED", "ASSIGNED", "FAILED"}

// TaskDone reports whether a task in this state is finished.
func TaskDone(state int) bool {
	return state == TaskClosed || state == TaskCanceled || state == TaskFailed
}

// Task defaults (Koji's PRIO_DEFAULT and the default weight).
const (
	PriorityDefault = 20
	WeightDefault   = 1.0
	CapacityDefault = 2.0
)

var archRE = regexp.MustCompile(`\A[a-zA-Z0-9_-]*\z`)

// ParseArches normalises an arch list from a string (comma- or
// space-separated unless strict) or a list, as Koji's parse_arches does.
func ParseArches(v any, strict bool) ([]string, error) {
	var arches []string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if !strict {
			x = strings.ReplaceAll(x, ",", " ")
		}
		arches = strings.Fields(x)
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, GenericError("Architecture can be only [a-zA-Z0-9_-]")
			}
			arches = append(arches, s)
		}
	default:
		return nil, GenericError("Architecture can be only [a-zA-Z0-9_-]")
	}
	for _, a := range arches {
		if !archRE.MatchString(a) {
			return nil, GenericError("Architecture can be only [a-zA-Z0-9_-]")
		}
	}
	return arches, nil
}

var (
	i386RE   = regexp.MustCompile(`\Ai\d86\z`)
	armhfpRE = regexp.MustCompile(`\Aarm.*h.*\z`)
)

// CanonArch maps an arch to its canonical name, as Koji's canonArch.
func CanonArch(arch string) string {
	switch {
	case i386RE.MatchString(arch), arch == "athlon":
		return "i386"
	case arch == "ia32e":
		return "x86_64"
	case arch == "ppc64le":
		return "ppc64le"
	case strings.HasPrefix(arch, "ppc64"):
		return "ppc64"
	case strings.HasPrefix(arch, "sparc64"):
		return "sparc64"
	case strings.HasPrefix(arch, "sparc"):
		return "sparc"
	case strings.HasPrefix(arch, "alpha"):
		return "alpha"
	case armhfpRE.MatchString(arch):
		return "armhfp"
	case strings.HasPrefix(arch, "arm"):
		return "arm"
	}
	return arch
}
