package api_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// TestLongValues sends 10,000-letter strings that do not compress where
// they would be stored. Build names, versions and releases have Koji's
// 256-character limit on both backends. Elsewhere SQLite stores them, and
// PostgreSQL, whose index rows are limited, answers a clear fault rather
// than an internal error; either way nothing is left half written.
func TestLongValues(t *testing.T) {
	long := longText(10000)
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		a := h.Admin(t)
		call(t, a, "createTag", "t")
		for _, c := range []struct {
			method string
			args   []any
			kw     map[string]any
			want   string // the fault on both backends; "" when SQLite stores it
		}{
			{"createEmptyBuild", []any{"foo", long, "1", nil}, nil, "Invalid build version: longer than 256 characters"},
			{"createEmptyBuild", []any{"foo", "1", long, nil}, nil, "Invalid build release: longer than 256 characters"},
			{"createEmptyBuild", []any{long, "1", "1", nil}, nil, "Invalid build name: longer than 256 characters"},
			{"editTag2", []any{"t"}, map[string]any{"extra": map[string]any{long: "x"}}, ""},
			{"makeTask", []any{long, []any{}}, nil, ""},
		} {
			_, err := a.CallKw(ctx, c.method, c.args, c.kw)
			var f *xmlrpc.Fault
			switch {
			case c.want != "":
				if !errors.As(err, &f) || f.Code != hub.CodeGeneric || f.String != c.want {
					t.Errorf("%s: %v, want %q", c.method, err, c.want)
				}
			case db.Dialect == store.SQLite:
				if err != nil {
					t.Errorf("%s: %v", c.method, err)
				}
			default:
				if !errors.As(err, &f) || f.Code != hub.CodeGeneric || !strings.HasPrefix(f.String, "a value is too large to store: ") {
					t.Errorf("%s: %v, want a GenericError saying the value is too large", c.method, err)
				}
			}
		}
		// Nothing of the refused calls is left.
		if got := hubtest.Len(call(t, a, "listBuilds")); got != 0 {
			t.Errorf("%d builds after refused createEmptyBuild calls", got)
		}
		if db.Dialect == store.Postgres {
			if extra := call(t, a, "getTag", "t").(map[string]any)["extra"].(map[string]any); len(extra) != 0 {
				t.Errorf("tag extra = %v after a refused editTag2", extra)
			}
		}
	})
}
