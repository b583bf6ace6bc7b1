package xmlrpc

import (
	"reflect"
	"testing"
)

func TestSplitKwargs(t *testing.T) {
	tests := []struct {
		name    string
		params  []any
		wantPos []any
		wantKw  map[string]any
	}{
		{"no params", []any{}, []any{}, nil},
		{"nil params", nil, nil, nil},
		{"no struct", []any{"f40", int64(1)}, []any{"f40", int64(1)}, nil},
		{"kwargs only", []any{map[string]any{"method": "build", "arglist": []any{}, "__starstar": true}},
			[]any{}, map[string]any{"method": "build", "arglist": []any{}}},
		{"positional then kwargs", []any{"f40", map[string]any{"strict": true, "__starstar": true}},
			[]any{"f40"}, map[string]any{"strict": true}},
		{"nil values kept", []any{map[string]any{"session_id": nil, "__starstar": true}},
			[]any{}, map[string]any{"session_id": nil}},
		{"marker only", []any{"x", map[string]any{"__starstar": true}}, []any{"x"}, map[string]any{}},
		{"int marker is truthy", []any{map[string]any{"a": int64(1), "__starstar": int64(1)}}, []any{}, map[string]any{"a": int64(1)}},
		{"string marker is truthy", []any{map[string]any{"a": int64(1), "__starstar": "yes"}}, []any{}, map[string]any{"a": int64(1)}},
		{"false marker: positional struct", []any{map[string]any{"a": int64(1), "__starstar": false}},
			[]any{map[string]any{"a": int64(1), "__starstar": false}}, nil},
		{"zero marker: positional struct", []any{map[string]any{"__starstar": int64(0)}}, []any{map[string]any{"__starstar": int64(0)}}, nil},
		{"nil marker: positional struct", []any{map[string]any{"__starstar": nil}}, []any{map[string]any{"__starstar": nil}}, nil},
		{"empty string marker: positional struct", []any{map[string]any{"__starstar": ""}}, []any{map[string]any{"__starstar": ""}}, nil},
		{"struct without marker", []any{"f40", map[string]any{"strict": true}}, []any{"f40", map[string]any{"strict": true}}, nil},
		{"marker not on last param", []any{map[string]any{"a": int64(1), "__starstar": true}, "x"},
			[]any{map[string]any{"a": int64(1), "__starstar": true}, "x"}, nil},
		{"array last", []any{[]any{"__starstar"}}, []any{[]any{"__starstar"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := deepCopy(tc.params)
			pos, kw := SplitKwargs(tc.params)
			if !reflect.DeepEqual(pos, tc.wantPos) {
				t.Errorf("positional = %#v, want %#v", pos, tc.wantPos)
			}
			if !reflect.DeepEqual(kw, tc.wantKw) {
				t.Errorf("kwargs = %#v, want %#v", kw, tc.wantKw)
			}
			if !reflect.DeepEqual(tc.params, before) {
				t.Errorf("input changed: %#v, was %#v", tc.params, before)
			}
			if kw != nil && len(tc.params) > 0 {
				// Appending to the positional part must not clobber the input.
				_ = append(pos, "appended")
				if !reflect.DeepEqual(tc.params, before) {
					t.Errorf("append to positional changed the input: %#v", tc.params)
				}
			}
		})
	}
}

func deepCopy(params []any) []any {
	if params == nil {
		return nil
	}
	out := make([]any, len(params))
	for i, p := range params {
		if m, ok := p.(map[string]any); ok {
			c := make(map[string]any, len(m))
			for k, v := range m {
				c[k] = v
			}
			p = c
		}
		out[i] = p
	}
	return out
}

func TestWithKwargs(t *testing.T) {
	tests := []struct {
		name   string
		params []any
		kw     map[string]any
		want   []any
	}{
		{"nil kw", []any{"a"}, nil, []any{"a"}},
		{"empty kw", []any{"a"}, map[string]any{}, []any{"a"}},
		{"no params", nil, map[string]any{"opts": nil}, []any{map[string]any{"opts": nil, "__starstar": true}}},
		{"params and kw", []any{"u", "p"}, map[string]any{"opts": nil},
			[]any{"u", "p", map[string]any{"opts": nil, "__starstar": true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := append([]any(nil), tc.params...)
			kwBefore := len(tc.kw)
			got := WithKwargs(params, tc.kw)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
			if len(tc.kw) != kwBefore {
				t.Fatalf("kw modified: %#v", tc.kw)
			}
			if !reflect.DeepEqual(params, tc.params) {
				t.Fatalf("params modified: %#v", params)
			}
			// And SplitKwargs undoes it.
			pos, kw := SplitKwargs(got)
			if len(tc.kw) == 0 {
				if kw != nil {
					t.Fatalf("SplitKwargs found kwargs %#v", kw)
				}
				return
			}
			if !reflect.DeepEqual(kw, tc.kw) || len(pos) != len(tc.params) {
				t.Fatalf("SplitKwargs = %#v, %#v", pos, kw)
			}
		})
	}
}
