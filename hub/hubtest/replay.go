package hubtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// A recorded exchange: one HTTP request of the Python koji CLI to a real Koji
// hub and the hub's answer (see shared/koji-transcripts/README.md).
type exchange struct {
	Seq         string
	Cmd         string
	Method      string
	Multi       []string
	Fault       string
	Meta        exchangeMeta
	RequestFile string
	Response    string // file name of the recorded response
}

type exchangeMeta struct {
	HTTPMethod     string              `json:"http_method"`
	Path           string              `json:"path"`
	QueryString    string              `json:"query_string"`
	RequestHeaders map[string]string   `json:"request_headers"`
	ResponseStatus int                 `json:"response_status"`
	Query          map[string][]string `json:"query"`
	BodyLen        int64               `json:"request_body_len"`
}

// ReplayResult says what a replay compared.
type ReplayResult struct {
	Compared map[string]int // method → exchanges compared
	Skipped  map[string]int // method → exchanges skipped as not yet served
}

// ReplaySkipping sends every recorded request of a scenario to h in order and
// compares each answer structurally with the recorded one: the same HTTP
// status, the same fault code, the same struct keys and value types, and the
// same values except for ids of sessions and events and timestamps.
// Exchanges using a method for which supported is false are skipped and
// counted. Recorded session ids are mapped to the sessions our hub issued.
// skip is a second, finer filter (nil for none): it names the exchanges (by
// sequence number) whose recorded answer depends on a part of the hub not
// built yet even though their methods are served, e.g. history answers that
// hold rows of tables another part adds. It returns why (a non-empty reason
// counted under Skipped) or "".
func ReplaySkipping(t *testing.T, h *Hub, scenario string, supported func(method string) bool, skip func(seq string) string) ReplayResult {
	t.Helper()
	dir := filepath.Join(TranscriptsDir(t), scenario)
	exchanges := readIndex(t, dir)
	commands := readScenario(t, dir)
	res := ReplayResult{Compared: map[string]int{}, Skipped: map[string]int{}}
	var rf rebuilt
	for _, ex := range exchanges {
		if ex.Method == "rawUpload" {
			rf.files = scenarioRPMs(t, commands)
			rf.subst = rebuiltFacts(t, dir, exchanges, rf.files)
			break
		}
	}
	sessions := map[string]mappedSession{} // recorded session id → ours
	tainted := map[string]bool{}           // sessions in which a call was skipped
	lastCmd := 0
	for _, ex := range exchanges {
		// Commands that made no exchange (the oracle's SQL) run on the way.
		cmd, _ := strconv.Atoi(ex.Cmd)
		for ; lastCmd < cmd; lastCmd++ {
			applyOracleSQL(t, h, commands[fmt.Sprintf("%02d", lastCmd+1)])
		}
		methods := append([]string{ex.Method}, ex.Multi...)
		ok := true
		for _, m := range methods {
			if !supported(m) {
				ok = false
				res.Skipped[m]++
			}
		}
		known := ""
		if ok && skip != nil {
			why := skip(ex.Seq)
			switch {
			case strings.HasPrefix(why, KnownDifference):
				// Sent, so the state stays as Koji's, but the answer differs
				// on purpose; the reason is documented where it is declared.
				known = why
			case why != "":
				ok = false
				res.Skipped[ex.Method+" ("+why+")"]++
			}
		}
		sid := ex.Meta.RequestHeaders["Koji-Session-Id"]
		if !ok {
			// A skipped call may have committed in Koji and stored its callnum;
			// the callnum faults that follow in that session cannot be repeated.
			if sid != "" {
				tainted[sid] = true
			}
			continue
		}
		if tainted[sid] && (strings.Contains(ex.Fault, `"faultCode": 1008`) || strings.Contains(ex.Fault, `"faultCode": 1009`)) {
			res.Skipped[ex.Method+" (callnum after a skipped write)"]++
			continue
		}
		if known != "" {
			replayOne(t, h, dir, ex, sessions, rf, false)
			res.Skipped[ex.Method+" ("+known+")"]++
			continue
		}
		replayOne(t, h, dir, ex, sessions, rf, true)
		for _, m := range methods {
			res.Compared[m]++
		}
	}
	return res
}

// KnownDifference starts the reason a skip function gives for an exchange
// whose answer differs from Koji's on purpose: it is replayed, not compared.
const KnownDifference = "known difference: "

type mappedSession struct {
	recordedKey string
	id          string
	key         string
}

// Methods whose recorded answer cannot match by design; only the type is compared.
var looseResults = map[string]bool{
	"showSession": true, // a debug string holding ids and times
	"_listapi":    true, // checked against the registry in its own test
}

// rebuilt holds the scenario's rebuilt RPMs (upload bodies) and the
// recorded → ours substitutions of the values that follow from their bytes.
type rebuilt struct {
	files map[string][]byte
	subst map[any]any
}

// replayOne sends one recorded request; with compare it checks the answer.
func replayOne(t *testing.T, h *Hub, dir string, ex exchange, sessions map[string]mappedSession, rf rebuilt, compare bool) {
	t.Helper()
	var body []byte
	if ex.RequestFile != "" {
		var err error
		if body, err = os.ReadFile(filepath.Join(dir, ex.RequestFile)); err != nil {
			t.Fatal(err)
		}
	} else if ex.Method == "rawUpload" {
		body = uploadBody(t, ex, rf.files)
	}
	url := h.Base + ex.Meta.Path
	if qs := ex.Meta.QueryString; qs != "" {
		// Pre-1.31 clients carry the session in the query string.
		if q, err := neturl.ParseQuery(qs); err == nil && q.Has("session-id") {
			if m, ok := sessions[q.Get("session-id")]; ok {
				q.Set("session-id", m.id)
				if q.Get("session-key") == m.recordedKey {
					q.Set("session-key", m.key)
				}
				qs = q.Encode()
			}
		}
		url += "?" + qs
	}
	req, err := http.NewRequestWithContext(context.Background(), ex.Meta.HTTPMethod, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range ex.Meta.RequestHeaders {
		if strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "Accept-Encoding") {
			continue
		}
		req.Header.Set(k, v)
	}
	if id := req.Header.Get("Koji-Session-Id"); id != "" {
		if m, ok := sessions[id]; ok {
			req.Header.Set("Koji-Session-Id", m.id)
			if req.Header.Get("Koji-Session-Key") == m.recordedKey {
				req.Header.Set("Koji-Session-Key", m.key)
			}
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", ex.Seq, ex.Method, err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	where := fmt.Sprintf("exchange %s (cmd %s, %s)", ex.Seq, ex.Cmd, ex.Method)
	if !compare {
		return // a known difference (never a login, whose session is mapped below)
	}
	if resp.StatusCode != ex.Meta.ResponseStatus {
		t.Errorf("%s: HTTP %d, recorded %d: %s", where, resp.StatusCode, ex.Meta.ResponseStatus, got)
		return
	}
	if resp.Header.Get("Koji-Version") == "" {
		t.Errorf("%s: no Koji-Version header", where)
	}
	if !strings.HasSuffix(ex.Response, ".xml") {
		return // a plain-text error body: the status is what clients act on
	}
	want, err := os.ReadFile(filepath.Join(dir, ex.Response))
	if err != nil {
		t.Fatal(err)
	}
	wantVal, wantErr := xmlrpc.DecodeResponse(bytes.NewReader(want), xmlrpc.Limits{MaxBodyBytes: 1 << 26})
	gotVal, gotErr := xmlrpc.DecodeResponse(bytes.NewReader(got), xmlrpc.Limits{MaxBodyBytes: 1 << 26})
	if wf, ok := wantErr.(*xmlrpc.Fault); ok {
		gf, ok := gotErr.(*xmlrpc.Fault)
		if !ok {
			t.Errorf("%s: recorded fault %d %q, got %v %v", where, wf.Code, wf.String, gotVal, gotErr)
			return
		}
		if d := compareFault(wf.Code, wf.String, gf.Code, gf.String); d != "" {
			t.Errorf("%s: %s", where, d)
		}
		return
	}
	if wantErr != nil || gotErr != nil {
		t.Errorf("%s: decode: recorded %v, ours %v\n%s", where, wantErr, gotErr, got)
		return
	}
	if ex.Method == "login" || ex.Method == "sslLogin" {
		if w, ok := wantVal.(map[string]any); ok {
			if g, ok := gotVal.(map[string]any); ok {
				sessions[fmt.Sprint(w["session-id"])] = mappedSession{
					recordedKey: fmt.Sprint(w["session-key"]), id: fmt.Sprint(g["session-id"]), key: fmt.Sprint(g["session-key"]),
				}
			}
		}
	}
	if looseResults[ex.Method] {
		if fmt.Sprintf("%T", wantVal) != fmt.Sprintf("%T", gotVal) {
			t.Errorf("%s: type %T, recorded %T", where, gotVal, wantVal)
		}
		return
	}
	if _, isInt := wantVal.(int64); isInt && createsID(ex.Method) {
		if _, ok := gotVal.(int64); !ok {
			t.Errorf("%s: got %#v, recorded a new id", where, gotVal)
		}
		return
	}
	wantVal = substitute(wantVal, rf.subst)
	for _, d := range Diff(ex.Method, wantVal, gotVal) {
		t.Errorf("%s: %s", where, d)
	}
}

// createsID: methods that answer a new row's id, which depends on what ran
// before (and on what the replay skipped).
func createsID(method string) bool {
	for _, p := range []string{"create", "new", "add", "import"} {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return method == "build" || method == "chainBuild" || method == "makeTask"
}

var digits = regexp.MustCompile(`[0-9]+`)

// compareFault wants the same code and the same text, up to numbers (ids)
// and, for ParameterError, the Python function name before "()".
func compareFault(wc int, ws string, gc int, gs string) string {
	if wc != gc {
		return fmt.Sprintf("fault code %d %q, recorded %d %q", gc, gs, wc, ws)
	}
	norm := func(s string) string {
		if wc == 1019 {
			if i := strings.Index(s, "() "); i >= 0 {
				s = s[i+3:]
			}
			// Python counts self among the arguments; we do not.
			if strings.Contains(s, "positional argument") {
				return "arity"
			}
		}
		return digits.ReplaceAllString(s, "N")
	}
	if norm(ws) != norm(gs) {
		return fmt.Sprintf("fault text %q, recorded %q", gs, ws)
	}
	return ""
}

// Diff lists the structural differences between a recorded answer and ours.
func Diff(method string, want, got any) []string {
	var out []string
	diffValue(method, "", want, got, &out)
	return out
}

func volatileKey(method, key string) bool {
	switch key {
	case "session-id", "session-key", "ts", "callnum", "id", "mtime":
		return true
	}
	if strings.HasSuffix(key, "_id") {
		return true
	}
	if strings.HasSuffix(key, "_ts") || strings.HasSuffix(key, "_time") || strings.HasSuffix(key, "_event") ||
		strings.HasSuffix(key, "_event_id") {
		return true
	}
	switch method {
	case "getLastEvent", "getEvent":
		return key == "id"
	case "getAllPerms":
		return key == "description" // our own wording of the built-in permissions
	}
	return false
}

func diffValue(method, path string, want, got any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: got %T %v, recorded struct", path, got, got))
			return
		}
		for _, k := range sortedKeys(w) {
			gv, ok := g[k]
			if !ok {
				*out = append(*out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			if volatileKey(method, k) {
				continue
			}
			diffValue(method, path+"."+k, w[k], gv, out)
		}
		for _, k := range sortedKeys(g) {
			if _, ok := w[k]; !ok {
				*out = append(*out, fmt.Sprintf("%s.%s: not in the recorded answer", path, k))
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: got %T %v, recorded array", path, got, got))
			return
		}
		if len(w) != len(g) {
			*out = append(*out, fmt.Sprintf("%s: %d elements, recorded %d: %v vs %v", path, len(g), len(w), g, w))
			return
		}
		for i := range w {
			diffValue(method, fmt.Sprintf("%s[%d]", path, i), w[i], g[i], out)
		}
	case string:
		// Stored task requests and results are XML-RPC documents: compare
		// what they hold, not their bytes (struct member order differs).
		if g, ok := got.(string); ok && strings.HasPrefix(w, "<?xml") && strings.HasPrefix(g, "<?xml") {
			wv, werr := decodeDoc(w)
			gv, gerr := decodeDoc(g)
			if werr == nil && gerr == nil {
				diffValue(method, path+"<xml>", wv, gv, out)
				return
			}
		}
		if w != got {
			*out = append(*out, fmt.Sprintf("%s: got %#v, recorded %#v", path, got, want))
		}
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) || want != got {
			*out = append(*out, fmt.Sprintf("%s: got %#v, recorded %#v", path, got, want))
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func readIndex(t *testing.T, dir string) []exchange {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "index.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []exchange
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) < 7 {
			t.Fatalf("index.tsv: short line %q", line)
		}
		ex := exchange{Seq: cols[0], Cmd: cols[1], Method: cols[2], Fault: cols[5]}
		if cols[6] != "" {
			ex.Multi = strings.Split(cols[6], ",")
		}
		prefix := ex.Seq + "-"
		for _, fi := range files {
			n := fi.Name()
			if !strings.HasPrefix(n, prefix) {
				continue
			}
			switch {
			case strings.HasSuffix(n, ".meta.json"):
				b, err := os.ReadFile(filepath.Join(dir, n))
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b, &ex.Meta); err != nil {
					t.Fatalf("%s: %v", n, err)
				}
			case strings.HasSuffix(n, ".req.xml"):
				ex.RequestFile = n
			case strings.Contains(n, ".resp."):
				ex.Response = n
			}
		}
		out = append(out, ex)
	}
	return out
}

// readScenario maps command numbers to the command lines of scenario.sh.
func readScenario(t *testing.T, dir string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "scenario.sh"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	cur := ""
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "# [") && strings.HasSuffix(line, "]") {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(line, "# ["), "]"))
			if err == nil {
				cur = fmt.Sprintf("%02d", n)
			}
			continue
		}
		if cur != "" && line != "" && !strings.HasPrefix(line, "#") {
			out[cur] = line
		}
	}
	return out
}

var oraclePassword = regexp.MustCompile(`UPDATE users SET password='([^']*)' WHERE name='([^']*)'`)

// applyOracleSQL repeats what the recording did to its database by hand:
// Koji has no call to set a password, so the scenario set one in SQL; we use
// our editUser password extension.
func applyOracleSQL(t *testing.T, h *Hub, cmd string) {
	t.Helper()
	m := oraclePassword.FindStringSubmatch(cmd)
	if m == nil {
		return
	}
	admin := h.Admin(t)
	defer admin.Logout(context.Background())
	if _, err := admin.CallKw(context.Background(), "editUser", []any{m[2]}, map[string]any{"password": m[1]}); err != nil {
		t.Fatalf("set password of %s: %v", m[2], err)
	}
}

// uploadBody is the chunk a recorded raw upload sent, cut from the rebuilt
// file its query names. A file rebuilt with another length than the
// recorder's is sent whole from offset 0 (the recorded uploads are single
// chunks). A file no mkrpm.sh line builds was only ever sent to get a fault
// (an anonymous upload): any bytes of the recorded length do.
func uploadBody(t *testing.T, ex exchange, files map[string][]byte) []byte {
	t.Helper()
	name := first(ex.Meta.Query["filename"])
	b, ok := files[name]
	if !ok {
		if ex.Fault == "-" || ex.Fault == "" {
			t.Fatalf("exchange %s uploads %s, which the scenario's mkrpm.sh lines do not build", ex.Seq, name)
		}
		return make([]byte, ex.Meta.BodyLen)
	}
	off, _ := strconv.ParseInt(first(ex.Meta.Query["offset"]), 10, 64)
	if off <= 0 {
		return b
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return b[off:min(off+ex.Meta.BodyLen, int64(len(b)))]
}

// decodeDoc reads a stored XML-RPC document: a call's params or a response.
func decodeDoc(doc string) (any, error) {
	if strings.Contains(doc[:min(len(doc), 80)], "<methodCall>") {
		c, err := xmlrpc.DecodeCall(strings.NewReader(doc), xmlrpc.Limits{MaxBodyBytes: int64(len(doc)) + 1})
		if err != nil {
			return nil, err
		}
		return []any{c.Method, c.Params}, nil
	}
	v, err := xmlrpc.DecodeResponse(strings.NewReader(doc), xmlrpc.Limits{MaxBodyBytes: int64(len(doc)) + 1})
	if f, ok := err.(*xmlrpc.Fault); ok {
		return map[string]any{"faultCode": int64(f.Code), "faultString": f.String}, nil
	}
	return v, err
}
