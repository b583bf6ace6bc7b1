package store

import "strings"

// conds collects the AND-ed conditions of a WHERE clause and their
// arguments, for the list queries whose filters are optional.
type conds struct {
	list []string
	args []any
}

// add appends a condition with its arguments.
func (c *conds) add(cond string, args ...any) {
	c.list = append(c.list, cond)
	c.args = append(c.args, args...)
}

// where is " WHERE a AND b …", or "" with no conditions.
func (c *conds) where() string {
	if len(c.list) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.list, " AND ")
}

// prefixCols qualifies a comma-separated column list with alias.
func prefixCols(alias, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = alias + "." + c
	}
	return strings.Join(parts, ", ")
}
