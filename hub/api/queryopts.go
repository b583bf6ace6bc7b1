package api

import (
	"sort"
	"strings"

	"github.com/gokoji/gokoji/hub"
)

// applyQueryOpts applies Koji's queryOpts (order, offset, limit, countOnly,
// asList) to rows already read. Lists that can grow large should push these
// into SQL instead; this serves the small ones.
func applyQueryOpts(rows []any, opts map[string]any) (any, error) {
	if opts == nil {
		return rows, nil
	}
	if _, ok := opts["group"]; ok {
		return nil, hub.GenericError("queryOpts.group is not available for this API")
	}
	if order, ok := opts["order"].(string); ok && order != "" {
		fields := strings.Split(order, ",")
		for _, f := range fields {
			name := strings.TrimPrefix(strings.TrimSpace(f), "-")
			if len(rows) > 0 {
				if _, ok := rows[0].(map[string]any)[name]; !ok {
					return nil, hub.GenericError("Invalid order field: %s", name)
				}
			}
		}
		sort.SliceStable(rows, func(i, j int) bool {
			for _, f := range fields {
				f = strings.TrimSpace(f)
				desc := strings.HasPrefix(f, "-")
				name := strings.TrimPrefix(f, "-")
				a, b := rows[i].(map[string]any)[name], rows[j].(map[string]any)[name]
				if desc {
					a, b = b, a
				}
				if lessValue(a, b, false) {
					return true
				}
				if lessValue(b, a, false) {
					return false
				}
			}
			return false
		})
	}
	rows = pageRows(rows, opts)
	if truthy(opts["countOnly"]) {
		return len(rows), nil
	}
	if truthy(opts["asList"]) {
		out := make([]any, len(rows))
		for i, r := range rows {
			m := r.(map[string]any)
			vals := make([]any, 0, len(m))
			for _, k := range sortedKeys(m) {
				vals = append(vals, m[k])
			}
			out[i] = vals
		}
		return out, nil
	}
	return rows, nil
}

// pageRows applies queryOpts' offset and limit to rows already in order.
func pageRows(rows []any, opts map[string]any) []any {
	if off, ok := toInt(opts["offset"]); ok && off > 0 {
		rows = rows[min(int(off), len(rows)):]
	}
	if lim, ok := queryLimit(opts); ok && int(lim) < len(rows) {
		rows = rows[:lim]
	}
	return rows
}

// queryLimit reads queryOpts' limit. Koji applies a limit only when it is
// truthy, so 0 (or less) means no limit, not an empty answer.
func queryLimit(opts map[string]any) (int64, bool) {
	lim, ok := toInt(opts["limit"])
	return lim, ok && lim > 0
}
