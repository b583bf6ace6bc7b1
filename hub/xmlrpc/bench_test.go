package xmlrpc

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

// BenchmarkDecodeCall decodes a recorded 12-call multiCall request.
func BenchmarkDecodeCall(b *testing.B) {
	body := readTranscript(b, "admin-setup/041-multiCall.req.xml")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeCall(bytes.NewReader(body), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeResponse decodes the recorded _listapi answer (330 kB).
func BenchmarkDecodeResponse(b *testing.B) {
	body := readTranscript(b, "admin-setup/008-_listapi.resp.xml")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeResponse(bytes.NewReader(body), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// listapiLike builds n _listapi-style entries with mixed value types.
func listapiLike(n int) []any {
	out := make([]any, n)
	for i := range out {
		name := "getThing" + strconv.Itoa(i)
		out[i] = map[string]any{
			"name": name,
			"doc":  "Return the thing <with> a & b, or None if there is no such thing.\n\nstrict: raise if missing",
			"argspec": []any{
				[]any{"thingInfo", "strict", "event"}, nil, "kwargs",
				[]any{false, nil}, []any{}, nil, map[string]any{},
			},
			"argdesc": "(thingInfo, strict=False, event=None, **kwargs)",
			"args":    []any{"thingInfo", []any{"strict", false}, []any{"event", nil}, "**kwargs"},
			"id":      int64(i),
			"size":    int64(5_000_000_000 + i),
			"ts":      1795234635.6213796 + float64(i),
			"enabled": i%2 == 0,
		}
	}
	return out
}

func BenchmarkEncodeResponse(b *testing.B) {
	v := listapiLike(300)
	var buf bytes.Buffer
	if err := EncodeResponse(&buf, v); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := EncodeResponse(io.Discard, v); err != nil {
			b.Fatal(err)
		}
	}
}

type benchEntry struct {
	Name    string  `xmlrpc:"name"`
	Doc     *string `xmlrpc:"doc"`
	Argspec []any   `xmlrpc:"argspec"`
	Argdesc string  `xmlrpc:"argdesc"`
	Args    []any   `xmlrpc:"args"`
	ID      int64   `xmlrpc:"id"`
	Size    int64   `xmlrpc:"size"`
	TS      float64 `xmlrpc:"ts"`
	Enabled bool    `xmlrpc:"enabled"`
	Extra   []int   `xmlrpc:"extra,omitempty"`
}

// BenchmarkEncodeResponseStructs is the same data as Go structs, which go
// through the reflection path.
func BenchmarkEncodeResponseStructs(b *testing.B) {
	var v []benchEntry
	for _, e := range listapiLike(300) {
		m := e.(map[string]any)
		doc := m["doc"].(string)
		v = append(v, benchEntry{m["name"].(string), &doc, m["argspec"].([]any), m["argdesc"].(string),
			m["args"].([]any), m["id"].(int64), m["size"].(int64), m["ts"].(float64), m["enabled"].(bool), nil})
	}
	var buf bytes.Buffer
	if err := EncodeResponse(&buf, v); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := EncodeResponse(io.Discard, v); err != nil {
			b.Fatal(err)
		}
	}
}
