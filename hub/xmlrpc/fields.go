package xmlrpc

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// field is one struct member as the encoder writes it.
type field struct {
	name      string
	open      string // "<member>\n<name>NAME</name>\n", escaped once per type
	index     []int  // path through embedded structs
	omitEmpty bool
}

// fieldCache maps reflect.Type to []field. Working out fields is slow and a
// hub encodes the same few types over and over.
var fieldCache sync.Map

func cachedFields(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	f, _ := fieldCache.LoadOrStore(t, typeFields(t))
	return f.([]field)
}

// typeFields lists the encoded fields of struct type t, in declaration
// order. Tags: `xmlrpc:"name"`, `xmlrpc:"name,omitempty"`, `xmlrpc:"-"`.
// Fields of embedded structs without a tag name are flattened; when names
// clash the shallowest field wins, and among equally shallow ones a single
// tagged field wins, else all are dropped (the encoding/json rules).
func typeFields(t reflect.Type) []field {
	type candidate struct {
		field
		depth  int
		tagged bool
	}
	type level struct {
		t     reflect.Type
		index []int
	}
	var all []candidate
	next := []level{{t: t}}
	seen := map[reflect.Type]bool{}
	for depth := 0; len(next) > 0; depth++ {
		current := next
		next = nil
		for _, lv := range current {
			if seen[lv.t] {
				continue // embedding cycle through pointers
			}
			seen[lv.t] = true
			for i := 0; i < lv.t.NumField(); i++ {
				sf := lv.t.Field(i)
				tag := sf.Tag.Get("xmlrpc")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				index := append(slices.Clip(lv.index), i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if name == "" && ft.Kind() == reflect.Struct && ft != timeType {
						next = append(next, level{ft, index})
						continue
					}
				}
				if !sf.IsExported() {
					continue
				}
				tagged := name != ""
				if !tagged {
					name = sf.Name
				}
				omit := false
				for _, o := range strings.Split(opts, ",") {
					omit = omit || o == "omitempty"
				}
				open := string(appendEscaped([]byte("<member>\n<name>"), name)) + "</name>\n"
				all = append(all, candidate{field{name, open, index, omit}, depth, tagged})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b candidate) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := cmp.Compare(a.depth, b.depth); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return 0
	})
	var out []field
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].name == all[i].name {
			j++
		}
		g := all[i:j]
		if len(g) == 1 || g[1].depth > g[0].depth || g[0].tagged && !g[1].tagged {
			out = append(out, g[0].field)
		}
		i = j
	}
	slices.SortFunc(out, func(a, b field) int { return slices.Compare(a.index, b.index) })
	return out
}
