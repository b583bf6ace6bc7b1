package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// TestBadRequests: every malformed or hostile body gets a clear answer, and
// the hub keeps serving.
func TestBadRequests(t *testing.T) {
	deep := strings.Repeat("<value><array><data>", 200) + strings.Repeat("</data></array></value>", 200)
	huge := strings.Repeat("x", 5<<20)
	cases := []struct {
		name   string
		method string
		ctype  string
		body   string
		status int
		fault  int
		text   string
	}{
		{"GET", http.MethodGet, "", "", http.StatusMethodNotAllowed, 0, "Method Not Allowed"},
		{"empty body", http.MethodPost, "text/xml", "", http.StatusBadRequest, 0, "Invalid request: Empty request"},
		{"not xml", http.MethodPost, "text/xml", "this is not xml", http.StatusBadRequest, 0, "Invalid request:"},
		{"unclosed tag", http.MethodPost, "text/xml", `<?xml version="1.0"?><methodCall><methodName>hello</methodName><params><param><value><string>x</value></param></params>`, http.StatusBadRequest, 0, "Invalid request:"},
		{"not a methodCall", http.MethodPost, "text/xml", `<?xml version="1.0"?><hello><world/></hello>`, http.StatusBadRequest, 0, "Invalid request:"},
		{"bad boolean", http.MethodPost, "text/xml", `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value><boolean>true</boolean></value></param></params></methodCall>`, http.StatusBadRequest, 0, "boolean"},
		{"entity declaration", http.MethodPost, "text/xml", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><methodCall><methodName>echo</methodName><params><param><value><string>&lol;</string></value></param></params></methodCall>`, http.StatusOK, hub.CodeGeneric, "not allowed"},
		{"deep nesting", http.MethodPost, "text/xml", `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param>` + deep + `</param></params></methodCall>`, http.StatusOK, hub.CodeGeneric, "nesting"},
		{"oversized body", http.MethodPost, "text/xml", `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value><string>` + huge + `</string></value></param></params></methodCall>`, http.StatusOK, hub.CodeGeneric, "exceeds"},
		{"anonymous upload", http.MethodPost, "application/octet-stream", "data", http.StatusOK, hub.CodeActionNotAllowed, "you must be logged-in to upload a file"},
	}
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req, _ := http.NewRequest(tc.method, h.URL, strings.NewReader(tc.body))
				if tc.ctype != "" {
					req.Header.Set("Content-Type", tc.ctype)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
				}
				if resp.Header.Get("Koji-Version") != hub.KojiVersion {
					t.Errorf("Koji-Version header = %q", resp.Header.Get("Koji-Version"))
				}
				if tc.fault == 0 {
					if !strings.Contains(string(body), tc.text) {
						t.Errorf("body %q lacks %q", body, tc.text)
					}
					return
				}
				_, err = xmlrpc.DecodeResponse(strings.NewReader(string(body)), xmlrpc.Limits{})
				var f *xmlrpc.Fault
				if !errors.As(err, &f) || f.Code != tc.fault || !strings.Contains(f.String, tc.text) {
					t.Errorf("got %v, want fault %d containing %q", err, tc.fault, tc.text)
				}
			})
		}
		// Still serving.
		if v, err := h.Client().Call(context.Background(), "hello"); err != nil || v != "Hello World" {
			t.Fatalf("hub stopped answering: %v %v", v, err)
		}
	})
}

// TestURLSessions: clients older than Koji 1.31 carry the session in the
// query string.
func TestURLSessions(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		url := h.URL + "?session-id=" + strconv.FormatInt(admin.SessionID, 10) + "&session-key=" + admin.SessionKey + "&callnum=7"
		c := &xmlrpc.Client{URL: url}
		u, err := c.Call(context.Background(), "getLoggedInUser")
		if err != nil || u.(map[string]any)["name"] != "kojiadmin" {
			t.Fatalf("URL session: %v %v", u, err)
		}
		bad := &xmlrpc.Client{URL: h.URL + "?callnum=1"}
		_, err = bad.Call(context.Background(), "getAPIVersion")
		var f *xmlrpc.Fault
		if !errors.As(err, &f) || f.Code != hub.CodeAuth || !strings.Contains(f.String, "'session-id' not specified") {
			t.Fatalf("query without session-id: %v", err)
		}
	})
}
