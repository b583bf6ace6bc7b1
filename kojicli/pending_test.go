package kojicli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// pending lists commands whose hub methods are not merged on this branch.
// Each is written against Koji's API, must reach the hub with the calls
// Koji's CLI makes, and fail there: with the hub's "Invalid method" fault for
// method, or with want when the first call to fail is a placeholder of the
// hub's. After the hub methods are merged, move each line (with the data it
// needs) into testdata/golden/commands.txt and re-record.
//
// SRPM in a line stands for a file the test writes.
var pending = []struct{ line, method, want string }{}

// notWritten lists commands of issue 8 that kojicli does not have yet.
var notWritten = []string{}

func TestPendingHubSupport(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		conf := writeConf(t, h)
		srpm := filepath.Join(t.TempDir(), "x-1-1.src.rpm")
		if err := os.WriteFile(srpm, []byte("not really an rpm"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{
			`add-tag --arches x86_64 f40`,
			`add-tag --arches x86_64 --parent f40 f40-build`,
			`add-target f40-candidate f40-build f40`,
			`add-host b1.example.com x86_64`,
			`call --json-input -b makeTask sleep [1]`,
			`call --python createEmptyBuild "'x'" "'1'" "'1'" None`,
		} {
			if out, rc := run(conf, l); rc != 0 {
				t.Fatalf("setup: %s", out)
			}
		}
		t.Log("commands whose hub support is not merged yet:")
		t.Logf("  %-50s %s", "command", "missing hub method")
		for _, c := range pending {
			t.Logf("  %-50s %s", c.line, c.method)
			out, rc := run(conf, strings.ReplaceAll(c.line, "SRPM", srpm))
			want := c.want
			if want == "" {
				want = "GenericError: Invalid method: " + c.method
			}
			if rc != 1 || !strings.Contains(out, want) {
				t.Errorf("%s: want exit 1 with %q, got:\n%s", c.line, want, out)
			}
		}
		if len(notWritten) > 0 {
			t.Logf("commands not written yet: %s", strings.Join(notWritten, ", "))
		}
		for _, name := range notWritten {
			if commands[name] != nil {
				t.Errorf("%s is written now: test it and take it off notWritten", name)
			}
		}
	})
}
