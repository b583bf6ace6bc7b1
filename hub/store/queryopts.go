package store

import (
	"context"
	"fmt"
	"strings"
)

// Page is the SQL side of Koji's queryOpts: ordering, offset and limit run
// in the database, so large lists are never read whole to be cut.
type Page struct {
	Order  []OrderBy // in priority order
	Offset int64     // 0 = from the start
	Limit  int64     // 0 or less = no limit, so the zero value reads everything
}

// OrderBy is one ORDER BY term. Expr comes from a fixed map of the caller's,
// never from the client.
type OrderBy struct {
	Expr string
	Desc bool
}

// NoPage is "everything, in the default order": the zero value, named for
// the reader.
var NoPage = Page{}

// clause renders ORDER BY/LIMIT/OFFSET; def is the default order.
func (p Page) clause(d Dialect, def string) string {
	var b strings.Builder
	if len(p.Order) > 0 {
		b.WriteString(" ORDER BY ")
		for i, o := range p.Order {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(o.Expr)
			if o.Desc {
				b.WriteString(" DESC")
			}
		}
		// a stable tie-break so pages never overlap
		b.WriteString(", " + def)
	} else if def != "" {
		b.WriteString(" ORDER BY " + def)
	}
	if p.Limit > 0 {
		fmt.Fprintf(&b, " LIMIT %d", p.Limit)
	} else if p.Offset > 0 {
		b.WriteString(" LIMIT " + d.noLimit())
	}
	if p.Offset > 0 {
		fmt.Fprintf(&b, " OFFSET %d", p.Offset)
	}
	return b.String()
}

// count runs SELECT COUNT(*) over a query's FROM/WHERE part, honouring the
// page's offset and limit as Koji's countOnly does.
func count(ctx context.Context, tx *Tx, fromWhere string, p Page, args []any) (int64, error) {
	var n int64
	if err := tx.Get(ctx, &n, "SELECT COUNT(*) "+fromWhere, args...); err != nil {
		return 0, err
	}
	n -= p.Offset
	if n < 0 {
		n = 0
	}
	if p.Limit > 0 && n > p.Limit {
		n = p.Limit
	}
	return n, nil
}
