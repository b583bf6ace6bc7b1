package files

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

func readOr(t *testing.T, fn string) string {
	t.Helper()
	b, err := os.ReadFile(fn)
	if os.IsNotExist(err) {
		return "<missing>"
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dirNames lists a directory, hidden work files included.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestStageWriteReplace(t *testing.T) {
	tree := New(t.TempDir())
	const rel = "a/b/f"
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	// Staged and aborted before Commit: nothing placed.
	p, err := tree.StageWrite(rel, false, write("x"))
	if err != nil {
		t.Fatal(err)
	}
	p.Abort()
	p, err = tree.StageWrite(rel, false, write("one"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	p.Done()
	if _, err := tree.StageWrite(rel, false, write("two")); err == nil {
		t.Fatal("StageWrite over an existing file without replace worked")
	}

	// Replace, then abort after Commit: the old file comes back.
	p, err = tree.StageWrite(rel, true, write("two"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := readOr(t, tree.Abs(rel)); got != "two" {
		t.Fatalf("after Commit: %q", got)
	}
	p.Abort()
	if got := readOr(t, tree.Abs(rel)); got != "one" {
		t.Fatalf("after Abort: %q", got)
	}
	// Replace and finish: the new file stays, no work files are left.
	p, err = tree.StageWrite(rel, true, write("three"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	p.Done()
	if got := readOr(t, tree.Abs(rel)); got != "three" {
		t.Fatalf("after Done: %q", got)
	}
	// A failing writer leaves nothing behind.
	if _, err := tree.StageWrite("a/b/g", false, func(io.Writer) error { return io.ErrUnexpectedEOF }); err == nil {
		t.Fatal("failing writer staged a file")
	}
	if names := dirNames(t, tree.Abs("a/b")); len(names) != 1 || names[0] != "f" {
		t.Fatalf("left in a/b: %v", names)
	}
}

func TestMove(t *testing.T) {
	tree := New(t.TempDir())
	if err := os.MkdirAll(tree.Abs("d"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"d/gone", "d/kept"} {
		if err := os.WriteFile(tree.Abs(f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rm, err := tree.StageRemove("d/gone")
	if err != nil {
		t.Fatal(err)
	}
	mv := tree.StageRename("d/kept", "d/kept.save")
	missing, err := tree.StageRemove("d/never")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Move{rm, mv, missing} {
		if err := m.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	// Aborted after Commit: everything is back.
	for _, m := range []*Move{rm, mv, missing} {
		m.Abort()
	}
	if got := dirNames(t, tree.Abs("d")); len(got) != 2 || got[0] != "gone" || got[1] != "kept" {
		t.Fatalf("after Abort: %v", got)
	}
	for _, m := range []*Move{rm, mv} {
		if err := m.Commit(); err != nil {
			t.Fatal(err)
		}
		m.Done()
	}
	if got := dirNames(t, tree.Abs("d")); len(got) != 1 || got[0] != "kept.save" {
		t.Fatalf("after Done: %v", got)
	}
	if got := readOr(t, filepath.Join(tree.Abs("d"), "kept.save")); got != "d/kept" {
		t.Fatalf("renamed file holds %q", got)
	}
}
