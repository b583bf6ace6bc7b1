package api_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/hubtest"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// TestSignaturesMatchKoji compares every declared method with the _listapi
// entry a real Koji 1.35 hub answered: same parameter names, order, defaults,
// *args and **kwargs. Our extension parameters (Param.Ext) are left out.
func TestSignaturesMatchKoji(t *testing.T) {
	f, err := os.Open(filepath.Join(hubtest.TranscriptsDir(t), "admin-setup", "008-_listapi.resp.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v, err := xmlrpc.DecodeResponse(f, xmlrpc.Limits{MaxBodyBytes: 1 << 24})
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]map[string]any{}
	for _, e := range v.([]any) {
		m := e.(map[string]any)
		recorded[m["name"].(string)] = m
	}
	reg := api.NewRegistry()
	for _, name := range reg.Names() {
		m := *reg.Lookup(name)
		if m.Ext {
			if _, ok := recorded[name]; ok {
				t.Errorf("%s is marked as our extension but Koji 1.35 has it", name)
			}
			continue
		}
		rec, ok := recorded[name]
		if !ok {
			t.Errorf("%s: Koji 1.35 has no such method", name)
			continue
		}
		var params []api.Param
		for _, p := range m.Params {
			if !p.Ext {
				params = append(params, p)
			}
		}
		m.Params = params
		// Compare through the codec, as a client would see it.
		ours := hubtest.Normalize(t, m.ListAPIEntry())
		for _, key := range []string{"args", "argdesc", "argspec"} {
			if !reflect.DeepEqual(ours.(map[string]any)[key], rec[key]) {
				t.Errorf("%s %s: ours %v, Koji %v", name, key, ours.(map[string]any)[key], rec[key])
			}
		}
	}
}
