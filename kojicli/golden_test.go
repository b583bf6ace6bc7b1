package kojicli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
)

// normalize blanks what legitimately differs between two runs of the same
// scenario, and nothing else:
//   - the time stamp of logged errors ("2026-11-21 05:15:17,027 [ERROR]"),
//   - the hub's address (each test hub listens on its own port),
//   - the random greeting of `koji hello`,
//   - the wall-clock times list-history prints ("Sat Nov 21 05:47:36 2026").
//
// Task, build, RPM and host ids and event ids are fixed by the scenario and
// not blanked;
// RPM build times, sizes and digests are fixed by the committed RPMs of
// testdata/golden/rpms.
func normalize(s string) string {
	s = logTime.ReplaceAllString(s, "<time> [")
	s = hubAddr.ReplaceAllString(s, "http://<hub>/")
	s = asctimeRe.ReplaceAllString(s, "<time>")
	s = rfcTime.ReplaceAllString(s, "<time>")
	return greeting.ReplaceAllString(s, "<greeting>, $1!")
}

var (
	logTime   = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[`)
	hubAddr   = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	greeting  = regexp.MustCompile(`(?m)^[^\n,]+, (\S+)!$`)
	asctimeRe = regexp.MustCompile(`(?m)^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} `)
	// buildinfo's "Started:"/"Finished:" wall-clock times
	rfcTime = regexp.MustCompile(`[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d UTC`)
)

// goldenRPMs reads testdata/golden/rpms, the RPMs the scenario imports
// (built from testdata/specs by record.sh with REBUILD_RPMS=1; committed
// because an RPM's header embeds the path of the directory it was built in).
func goldenRPMs(t *testing.T) map[string][]byte {
	dir := filepath.Join("..", "testdata", "golden", "rpms")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// scenarioDir makes the scenario's working directory: rpms/ holds the
// RPMs, and downloads land in it.
func scenarioDir(t *testing.T, rpms map[string][]byte) string {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rpms"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range rpms {
		if err := os.WriteFile(filepath.Join(dir, "rpms", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// splitShell splits a command line as sh would for the quoting the
// scenario uses: '…', "…" with backslash escapes, and bare words.
func splitShell(line string) []string {
	var out []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && strings.IndexByte(`"\$`+"`", line[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(line[i])
			}
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

func readScenario(t *testing.T) []string {
	f, err := os.Open(filepath.Join("..", "testdata", "golden", "commands.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// writeConf writes a koji.conf with profile gokoji for the hub.
func writeConf(t *testing.T, h *hubtest.Hub) string {
	conf := filepath.Join(t.TempDir(), "koji.conf")
	body := fmt.Sprintf("[gokoji]\nserver = %s\nweburl = %s/koji\ntopurl = %s/kojifiles\nauthtype = password\n", h.URL, h.Base, h.Base)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

// run runs one kojicli command line in-process as /work/tools/koji runs the
// Python CLI (profile gokoji, kojiadmin's password) and renders the result
// as record.sh does.
//
// Like record.sh, which runs the Python CLI with stdin from /dev/null, it
// runs in the background: commands that would watch a task do not.
func run(conf, line string) (string, int) {
	return runEnv(conf, line, Env{Background: func() bool { return true }})
}

// runEnv is run in the given surroundings.
func runEnv(conf, line string, env Env) (string, int) {
	args := append([]string{"-c", conf, "-p", "gokoji", "--user", "kojiadmin", "--password", "kojiadmin"}, splitShell(line)...)
	var out, errb bytes.Buffer
	rc := MainEnv(context.Background(), args, &out, &errb, env)
	return fmt.Sprintf("$ koji %s\n--- exit code: %d\n--- stdout:\n%s--- stderr:\n%s", line, rc, out.String(), errb.String()), rc
}

// TestGolden runs the scenario of testdata/golden on a fresh hub on each
// backend and compares every command's output with the Python CLI's.
func TestGolden(t *testing.T) {
	lines := readScenario(t)
	outDir, err := filepath.Abs(filepath.Join("..", "testdata", "golden", "out"))
	if err != nil {
		t.Fatal(err)
	}
	rpms := goldenRPMs(t)
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		conf := writeConf(t, h)
		t.Chdir(scenarioDir(t, rpms))
		for i, line := range lines {
			got, _ := run(conf, line)
			wantB, err := os.ReadFile(filepath.Join(outDir, fmt.Sprintf("%03d.txt", i+1)))
			if err != nil {
				t.Fatalf("%s: %v (re-run testdata/golden/record.sh)", line, err)
			}
			if g, w := normalize(got), normalize(string(wantB)); g != w {
				t.Errorf("command %03d differs from the Python CLI:\n--- kojicli:\n%s\n--- koji:\n%s", i+1, g, w)
			}
		}
	})
}
