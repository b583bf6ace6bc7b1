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

// BenchmarkDecodeResponseStructs decodes 10,000 build-like structs, the
// shape of a big listTagged answer (about 20 MB).
func BenchmarkDecodeResponseStructs(b *testing.B) {
	rows := make([]map[string]any, 10000)
	for i := range rows {
		nvr := "package-" + strconv.Itoa(i) + "-1.0-1.fc40"
		rows[i] = map[string]any{
			"build_id": int64(i), "id": int64(i), "package_id": int64(i), "package_name": "package-" + strconv.Itoa(i),
			"name": "package-" + strconv.Itoa(i), "version": "1.0", "release": "1.fc40", "epoch": nil, "nvr": nvr,
			"draft": false, "state": int64(1), "task_id": nil, "owner_id": int64(1), "owner_name": "kojiadmin",
			"volume_id": int64(0), "volume_name": "DEFAULT", "creation_event_id": int64(100 + i),
			"creation_time": "2024-03-12 00:06:28.541893+00:00", "start_time": nil,
			"completion_time": "2024-03-12 00:06:28.541893+00:00", "promotion_time": nil, "promoter_id": nil,
			"promoter_name": nil, "tag_id": int64(3), "tag_name": "f40 & <friends>", "create_event": int64(200 + i),
		}
	}
	var buf bytes.Buffer
	if err := EncodeResponse(&buf, rows); err != nil {
		b.Fatal(err)
	}
	body := buf.Bytes()
	lim := Limits{MaxBodyBytes: int64(len(body))}
	// As xmlrpc.Client reads an answer, and as kojiclient, which holds it.
	b.Run("reader", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeResponse(bytes.NewReader(body), lim); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bytes", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeResponseBytes(body, lim); err != nil {
				b.Fatal(err)
			}
		}
	})
}
