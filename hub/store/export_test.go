package store

// SetQueryHook makes f see every read query; it returns the undo.
func SetQueryHook(f func(query string, args []any)) func() {
	queryHook = f
	return func() { queryHook = nil }
}
