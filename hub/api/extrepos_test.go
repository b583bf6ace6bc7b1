package api_test

import (
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// repoLinks summarises getTagExternalRepos/getExternalRepoList answers as
// "tag:repo:priority:mode".
func repoLinks(t *testing.T, v any) []string {
	t.Helper()
	out := []string{}
	for _, r := range v.([]any) {
		m := r.(map[string]any)
		out = append(out, m["tag_name"].(string)+":"+m["external_repo_name"].(string)+":"+pyInt(m["priority"])+":"+m["merge_mode"].(string))
	}
	return out
}

func pyInt(v any) string {
	n, _ := v.(int64)
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

// addExternalRepo makes the calls of koji add-external-repo [-t tag -p pri -m mode] name [url].
func addExternalRepo(t *testing.T, c *xmlrpc.Client, name, url, tag string, priority int64, mode string) {
	t.Helper()
	if _, err := c.Call(ctx, "getExternalRepo", name, true); err != nil {
		fault(t, err, hub.CodeGeneric, "No such repo: "+name)
		r := call(t, c, "createExternalRepo", name, url).(map[string]any)
		if r["name"] != name || r["url"] == "" {
			t.Fatalf("createExternalRepo = %v", r)
		}
	}
	if tag != "" {
		callKw(t, c, "getTagExternalRepos", nil, map[string]any{"tag_info": tag})
		callKw(t, c, "addExternalRepoToTag", []any{tag, name, priority}, map[string]any{"merge_mode": mode})
	}
}

// TestExternalReposCLI follows koji add-external-repo and list-external-repos,
// then edits, inheritance and every refusal.
func TestExternalReposCLI(t *testing.T) {
	hubtest.ForEachBackend(t, func(t *testing.T, db *store.DB) {
		h := hubtest.Start(t, db)
		admin := h.Admin(t)
		call(t, admin, "createTag", "f40")
		callKw(t, admin, "createTag", []any{"f40-build"}, map[string]any{"parent": "f40"})

		addExternalRepo(t, admin, "fedora", "http://mirror.example.com/fedora/$arch", "f40", 5, "koji")
		addExternalRepo(t, admin, "epel", "https://epel.example.com/x/", "", 0, "")
		addExternalRepo(t, admin, "epel", "", "f40-build", 5, "bare")
		addExternalRepo(t, admin, "local", "file:///srv/local", "f40", 9, "simple")

		// koji list-external-repos
		want := []any{
			map[string]any{"id": int64(1), "name": "fedora", "url": "http://mirror.example.com/fedora/$arch/"},
			map[string]any{"id": int64(2), "name": "epel", "url": "https://epel.example.com/x/"},
			map[string]any{"id": int64(3), "name": "local", "url": "file:///srv/local/"},
		}
		if got := call(t, admin, "listExternalRepos"); !reflect.DeepEqual(got, want) {
			t.Errorf("listExternalRepos = %v", got)
		}
		if got := callKw(t, admin, "listExternalRepos", nil, map[string]any{"url": "file:///srv/local/"}); !reflect.DeepEqual(got, want[2:]) {
			t.Errorf("listExternalRepos(url) = %v", got)
		}
		if got := callKw(t, admin, "listExternalRepos", nil, map[string]any{"queryOpts": map[string]any{"order": "-name", "limit": int64(1)}}); !reflect.DeepEqual(got, want[2:]) {
			t.Errorf("listExternalRepos(order -name, limit 1) = %v", got)
		}
		beforeEdit := call(t, admin, "getLastEvent").(map[string]any)["id"]
		// koji list-external-repos --tag f40-build [--inherit]
		checks := []struct {
			method string
			kw     map[string]any
			want   []string
		}{
			{"getTagExternalRepos", map[string]any{"tag_info": "f40-build"}, []string{"f40-build:epel:05:bare"}},
			{"getTagExternalRepos", map[string]any{"tag_info": "f40"}, []string{"f40:fedora:05:koji", "f40:local:09:simple"}},
			{"getTagExternalRepos", map[string]any{"repo_info": "epel"}, []string{"f40-build:epel:05:bare"}},
			{"getTagExternalRepos", nil, []string{"f40:fedora:05:koji", "f40-build:epel:05:bare", "f40:local:09:simple"}},
			{"getExternalRepoList", map[string]any{"tag_info": "f40-build"}, []string{"f40-build:epel:05:bare", "f40:fedora:05:koji", "f40:local:09:simple"}},
		}
		for _, c := range checks {
			if got := repoLinks(t, callKw(t, admin, c.method, nil, c.kw)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s(%v) = %v, want %v", c.method, c.kw, got, c.want)
			}
		}

		// Edits.
		if got := callKw(t, admin, "editTagExternalRepo", []any{"f40", "fedora"}, map[string]any{"priority": int64(7)}); got != true {
			t.Errorf("editTagExternalRepo = %v, want true", got)
		}
		if got := callKw(t, admin, "editTagExternalRepo", []any{"f40", "fedora"}, map[string]any{"priority": int64(7), "merge_mode": "koji"}); got != false {
			t.Errorf("editTagExternalRepo without change = %v, want false", got)
		}
		callKw(t, admin, "editExternalRepo", []any{"fedora"}, map[string]any{"url": "https://new.example.com/f", "name": "fedora-new"})
		r := call(t, admin, "getExternalRepo", "fedora-new").(map[string]any)
		if r["url"] != "https://new.example.com/f/" {
			t.Errorf("edited repo = %v", r)
		}
		old := callKw(t, admin, "getExternalRepo", []any{int64(1)}, map[string]any{"event": beforeEdit}).(map[string]any)
		if old["url"] != "http://mirror.example.com/fedora/$arch/" {
			t.Errorf("repo as of before the edit = %v", old)
		}
		// Names are not versioned (as in Koji); the link's priority is.
		if got := repoLinks(t, callKw(t, admin, "getExternalRepoList", []any{"f40-build"}, map[string]any{"event": beforeEdit})); got[1] != "f40:fedora-new:05:koji" {
			t.Errorf("repo list as of before the edit = %v", got)
		}

		// Refusals: each names the problem and writes nothing.
		last := call(t, admin, "getLastEvent").(map[string]any)["id"]
		bad := []struct {
			method string
			args   []any
			kw     map[string]any
			code   int
			msg    string
		}{
			{"createExternalRepo", []any{"ftp", "ftp://x/"}, nil, hub.CodeGeneric, "must be http://, https:// or file://"},
			{"createExternalRepo", []any{"rel", "mirror/x"}, nil, hub.CodeGeneric, "Invalid url for external repo: 'mirror/x'"},
			{"createExternalRepo", []any{"epel", "http://x/"}, nil, hub.CodeGeneric, `An external repo named "epel" already exists`},
			{"editExternalRepo", []any{"epel"}, map[string]any{"url": "gopher://x"}, hub.CodeGeneric, "Invalid url"},
			{"editExternalRepo", []any{"epel"}, map[string]any{"name": "local"}, hub.CodeGeneric, `name "local" is already taken by external repo 3`},
			{"addExternalRepoToTag", []any{"f40", "epel", int64(-1)}, nil, hub.CodeGeneric, "Priority must be a non-negative integer, got -1"},
			{"addExternalRepoToTag", []any{"f40", "epel", int64(3)}, map[string]any{"merge_mode": "weird"}, hub.CodeGeneric, "No such merge mode: weird"},
			{"addExternalRepoToTag", []any{"nosuch", "epel", int64(3)}, nil, hub.CodeGeneric, "No such tagInfo: 'nosuch'"},
			{"addExternalRepoToTag", []any{"f40", "nosuch", int64(3)}, nil, hub.CodeGeneric, "No such repo: nosuch"},
			{"addExternalRepoToTag", []any{"f40", "local", int64(3)}, nil, hub.CodeGeneric, "tag f40 already associated with external repo local"},
			{"addExternalRepoToTag", []any{"f40", "epel", int64(9)}, nil, hub.CodeGeneric, "tag f40 already associated with an external repo at priority 9"},
			{"addExternalRepoToTag", []any{"f40", "epel", "high"}, nil, hub.CodeParameter, "expected type <class 'int'>"},
			{"editTagExternalRepo", []any{"f40", "local"}, map[string]any{"priority": int64(7)}, hub.CodeGeneric, "already associated with an external repo at priority 7"},
			{"editTagExternalRepo", []any{"f40", "epel"}, map[string]any{"priority": int64(1)}, hub.CodeGeneric, "external repo epel not associated with tag f40"},
			{"removeExternalRepoFromTag", []any{"f40", "epel"}, nil, hub.CodeGeneric, "external repo epel not associated with tag f40"},
			{"getExternalRepo", []any{"nosuch"}, map[string]any{"strict": true}, hub.CodeGeneric, "No such repo: nosuch"},
			{"getTagExternalRepos", nil, map[string]any{"tag_info": "nosuch"}, hub.CodeGeneric, "No such entry in table tag: nosuch"},
			{"deleteExternalRepo", []any{"nosuch"}, nil, hub.CodeGeneric, "No such repo: nosuch"},
		}
		for _, b := range bad {
			_, err := admin.CallKw(ctx, b.method, b.args, b.kw)
			fault(t, err, b.code, b.msg)
		}
		anon := h.Client()
		_, err := anon.Call(ctx, "createExternalRepo", "x", "http://x/")
		fault(t, err, hub.CodeActionNotAllowed, "admin permission required")
		_, err = anon.Call(ctx, "addExternalRepoToTag", "f40", "epel", int64(1))
		fault(t, err, hub.CodeActionNotAllowed, "tag permission required")
		if now := call(t, admin, "getLastEvent").(map[string]any)["id"]; now != last {
			t.Errorf("refused calls wrote events: %v after %v", now, last)
		}

		// Removal and deletion.
		call(t, admin, "removeExternalRepoFromTag", "f40", "local")
		call(t, admin, "deleteExternalRepo", "epel")
		if got := repoLinks(t, call(t, admin, "getExternalRepoList", "f40-build")); !reflect.DeepEqual(got, []string{"f40:fedora-new:07:koji"}) {
			t.Errorf("after removal and deletion: %v", got)
		}
		if got := call(t, admin, "getExternalRepo", "epel"); got != nil {
			t.Errorf("deleted repo = %v", got)
		}
		// A deleted repo's name can be used again.
		call(t, admin, "createExternalRepo", "epel", "http://again/")
		// Deleting a tag unlinks its repos.
		call(t, admin, "deleteTag", "f40")
		if got := call(t, admin, "getTagExternalRepos"); !reflect.DeepEqual(got, []any{}) {
			t.Errorf("links after deleting the tag: %v", got)
		}
	})
}
