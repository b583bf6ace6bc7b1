package api

import (
	"errors"
	"testing"

	"github.com/gokoji/gokoji/hub"
)

func TestBind(t *testing.T) {
	getTag := &Method{Name: "getTag", Params: []Param{P("tagInfo"), Opt("strict", false), Opt("event", nil), Opt("blocked", false)}}
	echo := &Method{Name: "echo", VarArgs: "args"}
	count := &Method{Name: "count", Params: []Param{P("methodName")}, VarArgs: "args", VarKW: "kw"}
	two := &Method{Name: "two", Params: []Param{P("a"), P("b"), P("c")}}
	tests := []struct {
		name    string
		m       *Method
		pos     []any
		kw      map[string]any
		want    map[string]any
		varargs int
		kwargs  int
		errCode int
		errMsg  string
	}{
		{name: "positional and defaults", m: getTag, pos: []any{"f40"},
			want: map[string]any{"tagInfo": "f40", "strict": false, "event": nil, "blocked": false}},
		{name: "keyword names a positional parameter", m: getTag, kw: map[string]any{"tagInfo": "f40", "strict": true},
			want: map[string]any{"tagInfo": "f40", "strict": true}},
		{name: "nil keyword counts as given", m: getTag, pos: []any{"x"}, kw: map[string]any{"event": nil},
			want: map[string]any{"event": nil}},
		{name: "unknown keyword", m: getTag, pos: []any{"x"}, kw: map[string]any{"bogus": int64(1)},
			errCode: hub.CodeParameter, errMsg: "getTag() got an unexpected keyword argument 'bogus'"},
		{name: "missing required", m: getTag,
			errCode: hub.CodeParameter, errMsg: "getTag() missing 1 required positional argument: 'tagInfo'"},
		{name: "missing three", m: two,
			errCode: hub.CodeParameter, errMsg: "two() missing 3 required positional arguments: 'a', 'b' and 'c'"},
		{name: "too many positional", m: getTag, pos: []any{1, 2, 3, 4, 5},
			errCode: hub.CodeParameter, errMsg: "getTag() takes 4 positional arguments but 5 were given"},
		{name: "multiple values", m: getTag, pos: []any{"x"}, kw: map[string]any{"tagInfo": "y"},
			errCode: hub.CodeParameter, errMsg: "getTag() got multiple values for argument 'tagInfo'"},
		{name: "varargs collect extras", m: echo, pos: []any{"a", int64(2)}, varargs: 2},
		{name: "varargs reject keywords", m: echo, kw: map[string]any{"x": 1},
			errCode: hub.CodeParameter, errMsg: "echo() got an unexpected keyword argument 'x'"},
		{name: "varkw collects unknown keywords", m: count, pos: []any{"listUsers", int64(1)}, kw: map[string]any{"prefix": "a"},
			want: map[string]any{"methodName": "listUsers"}, varargs: 1, kwargs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := tc.m.bind(tc.pos, tc.kw)
			if tc.errCode != 0 {
				var f *hub.Fault
				if !errors.As(err, &f) || f.Code != tc.errCode || f.Msg != tc.errMsg {
					t.Fatalf("got error %v, want %d %q", err, tc.errCode, tc.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("bind: %v", err)
			}
			for k, v := range tc.want {
				if got := a.Value(k); got != v {
					t.Errorf("%s = %#v, want %#v", k, got, v)
				}
			}
			if len(a.VarArgs()) != tc.varargs || len(a.Kwargs()) != tc.kwargs {
				t.Errorf("varargs %v kwargs %v, want %d and %d", a.VarArgs(), a.Kwargs(), tc.varargs, tc.kwargs)
			}
		})
	}
}

func TestArgsTypes(t *testing.T) {
	m := &Method{Name: "f", Params: []Param{P("n"), Opt("s", nil), Opt("b", int64(0))}}
	a, err := m.bind([]any{"notanint", "str"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Int("n")
	if s := a.OptString("s"); s == nil || *s != "str" {
		t.Errorf("OptString = %v", s)
	}
	if a.Bool("b") {
		t.Error("Bool(0) = true")
	}
	var f *hub.Fault
	if !errors.As(a.Err(), &f) || f.Code != hub.CodeParameter || f.Msg != "f(): argument 'n' must be an integer, not str" {
		t.Fatalf("Err = %v", a.Err())
	}
}

func TestArgDescAndRepr(t *testing.T) {
	m := &Method{Name: "getTag", Params: []Param{P("tagInfo"), Opt("strict", false), Opt("event", nil), Opt("x", "a'b"), Opt("n", int64(3))}, VarKW: "kw"}
	want := `(tagInfo, strict=False, event=None, x="a'b", n=3, **kw)`
	if got := m.ArgDesc(); got != want {
		t.Errorf("ArgDesc = %s, want %s", got, want)
	}
	for v, want := range map[any]string{"x": "'x'", 2.0: "2.0", true: "True"} {
		if got := pyRepr(v); got != want {
			t.Errorf("pyRepr(%v) = %s, want %s", v, got, want)
		}
	}
}
