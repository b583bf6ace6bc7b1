package server_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// TestPythonXMLRPCClient drives the hub with Python's standard xmlrpc.client
// (testdata/pyclient/koji_session.py): header sessions, a multiCall with one
// failing call, fault codes.
func TestPythonXMLRPCClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed for this test (make deps installs it): %v", err)
	}
	script := filepath.Join("..", "..", "testdata", "pyclient", "koji_session.py")
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		out, err := exec.Command(py, script, h.URL, "kojiadmin", hubtest.AdminPassword).CombinedOutput()
		if err != nil {
			t.Fatalf("python client failed: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "ok: failing call answered a fault struct") {
			t.Fatalf("python client did not reach the multiCall checks:\n%s", out)
		}
	})
}
