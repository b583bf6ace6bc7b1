package api

import (
	"fmt"
	"strings"
)

// APITable renders docs/api.md from the registry: every method we serve with
// its signature, access rule and doc. A test keeps the committed file current.
func (r *Registry) APITable() string {
	var b strings.Builder
	b.WriteString("# API coverage\n\n")
	b.WriteString("Generated from the method registry by `make docs`; a test fails when this file is stale.\n")
	fmt.Fprintf(&b, "The hub serves %d methods (plus `multiCall` / `system.multicall`).\n\n", len(r.order))
	b.WriteString("| method | signature | access | writes | description |\n|---|---|---|---|---|\n")
	for _, n := range r.SortedNames() {
		m := r.methods[n]
		writes := ""
		if m.Writes {
			writes = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s |\n", n, m.ArgDesc(), m.Access.describe(), writes,
			strings.ReplaceAll(m.Doc, "|", `\|`))
	}
	return b.String()
}

func (a Access) describe() string {
	switch {
	case a.Host:
		return "build host"
	case a.Perm != "" && a.OrPerm != "":
		return "`" + a.Perm + "` or `" + a.OrPerm + "` permission"
	case a.Perm != "":
		return "`" + a.Perm + "` permission"
	case a.Login:
		return "logged in"
	}
	return "anyone"
}
