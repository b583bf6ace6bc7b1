package api

import (
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// sqlQueryOpts is Koji's queryOpts split into what runs in SQL (order,
// offset, limit, countOnly) and what shapes the rows afterwards (asList).
type sqlQueryOpts struct {
	page      store.Page
	countOnly bool
	asList    bool
}

// parseQueryOpts reads queryOpts for a list whose order fields map to SQL
// through fields; an unknown field is refused (never passed to SQL).
func parseQueryOpts(opts map[string]any, fields map[string]string) (sqlQueryOpts, error) {
	q := sqlQueryOpts{page: store.NoPage}
	if opts == nil {
		return q, nil
	}
	if _, ok := opts["group"]; ok {
		return q, hub.GenericError("queryOpts.group is not available for this API")
	}
	if order, ok := opts["order"].(string); ok && order != "" {
		for _, f := range strings.Split(order, ",") {
			f = strings.TrimSpace(f)
			desc := strings.HasPrefix(f, "-")
			name := strings.TrimPrefix(f, "-")
			expr, ok := fields[name]
			if !ok {
				return q, hub.GenericError("Invalid order field: %s", name)
			}
			q.page.Order = append(q.page.Order, store.OrderBy{Expr: expr, Desc: desc})
		}
	}
	if off, ok := toInt(opts["offset"]); ok && off > 0 {
		q.page.Offset = off
	}
	if lim, ok := queryLimit(opts); ok {
		q.page.Limit = lim
	}
	q.countOnly = truthy(opts["countOnly"])
	q.asList = truthy(opts["asList"])
	return q, nil
}

// shape applies asList to rows already ordered and paged by SQL.
func (q sqlQueryOpts) shape(rows []map[string]any) any {
	if !q.asList {
		return rows
	}
	out := make([]any, len(rows))
	for i, m := range rows {
		vals := make([]any, 0, len(m))
		for _, k := range sortedKeys(m) {
			vals = append(vals, m[k])
		}
		out[i] = vals
	}
	return out
}
