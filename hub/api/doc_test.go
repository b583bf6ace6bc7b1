package api

import (
	"os"
	"path/filepath"
	"testing"
)

// TestAPITableCurrent fails when docs/api.md no longer matches the registry.
func TestAPITableCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "api.md")
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v (run make docs)", path, err)
	}
	if string(got) != NewRegistry().APITable() {
		t.Fatalf("%s is stale: run make docs", path)
	}
}
