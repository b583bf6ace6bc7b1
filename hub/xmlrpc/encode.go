package xmlrpc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The layout (newlines, <nil/> without one) copies Python's marshaller, so
// our documents look like the reference hub's to anyone diffing them.
const (
	xmlHeader = "<?xml version='1.0'?>\n"

	// maxEncodeDepth stops cyclic values (a map that contains itself) long
	// before the stack would overflow; no decoder accepts this much anyway.
	maxEncodeDepth = 10000
)

// EncodeCall writes a <methodCall> document. Use WithKwargs to add keyword
// arguments. Nothing is written if a parameter cannot be encoded.
func EncodeCall(w io.Writer, method string, params []any) error {
	e := encoder{buf: make([]byte, 0, 512)}
	e.buf = append(e.buf, xmlHeader+"<methodCall>\n<methodName>"...)
	e.buf = appendEscaped(e.buf, method)
	e.buf = append(e.buf, "</methodName>\n<params>\n"...)
	for i, p := range params {
		e.buf = append(e.buf, "<param>\n"...)
		if err := e.value(p); err != nil {
			return fmt.Errorf("xmlrpc: param %d: %w", i, err)
		}
		e.buf = append(e.buf, "</param>\n"...)
	}
	e.buf = append(e.buf, "</params>\n</methodCall>\n"...)
	_, err := e.document().WriteTo(w)
	return err
}

// EncodeResponse writes a <methodResponse> holding v. Nothing is written if
// v cannot be encoded, so the caller can still send a fault instead.
func EncodeResponse(w io.Writer, v any) error {
	r, err := MarshalResponse(v)
	if err != nil {
		return err
	}
	_, err = r.WriteTo(w)
	return err
}

// Response is an encoded document (here a <methodResponse>), kept in the
// encoder's chunks. A server learns its length (for Content-Length) and
// writes it out without first gathering it in one buffer: for answers of
// tens of megabytes, that buffer's growth (copying and clearing memory)
// cost more than encoding.
type Response struct {
	chunks [][]byte
	size   int
}

// MarshalResponse encodes a <methodResponse> holding v.
func MarshalResponse(v any) (*Response, error) {
	e := encoder{buf: make([]byte, 0, 512)}
	e.buf = append(e.buf, xmlHeader+"<methodResponse>\n<params>\n<param>\n"...)
	if err := e.value(v); err != nil {
		return nil, fmt.Errorf("xmlrpc: %w", err)
	}
	e.buf = append(e.buf, "</param>\n</params>\n</methodResponse>\n"...)
	return e.document(), nil
}

// document is what the encoder wrote: its full chunks, then buf.
func (e *encoder) document() *Response {
	r := &Response{chunks: append(e.chunks, e.buf)}
	for _, c := range r.chunks {
		r.size += len(c)
	}
	return r
}

// Len is the document's size in bytes.
func (r *Response) Len() int { return r.size }

// WriteTo writes the document to w.
func (r *Response) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, c := range r.chunks {
		m, err := w.Write(c)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// EncodeFault writes a <methodResponse> holding a fault. Koji sends faults
// with HTTP status 200; anything else makes its client retry.
func EncodeFault(w io.Writer, f *Fault) error {
	if f == nil {
		return errors.New("xmlrpc: nil fault")
	}
	e := encoder{buf: make([]byte, 0, 384+len(f.String))}
	e.buf = append(e.buf, xmlHeader+"<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n"...)
	e.int(int64(f.Code))
	e.buf = append(e.buf, "</member>\n<member>\n<name>faultString</name>\n"...)
	e.str(f.String)
	e.buf = append(e.buf, "</member>\n</struct></value>\n</fault>\n</methodResponse>\n"...)
	_, err := w.Write(e.buf)
	return err
}

// encoder appends to buf. Big documents are kept as a list of full chunks
// rather than one growing slice, which would be copied at every growth; all
// is written at the end so nothing goes out if encoding fails.
type encoder struct {
	buf    []byte
	chunks [][]byte
	depth  int
	keys   []string // stack of sorted map keys, shared by nested maps
}

const chunkSize = 64 << 10

// spill moves a full buffer to the chunk list. It is called between
// elements of arrays and structs, so chunks stay near chunkSize.
func (e *encoder) spill() {
	if len(e.buf) >= chunkSize-4096 {
		e.chunks = append(e.chunks, e.buf)
		e.buf = make([]byte, 0, chunkSize)
	}
}

// value encodes the common dynamic types without reflection and hands the
// rest to reflectValue.
func (e *encoder) value(v any) error {
	switch x := v.(type) {
	case nil:
		e.nil()
	case string:
		e.str(x)
	case bool:
		e.bool(x)
	case int:
		e.int(int64(x))
	case int64:
		e.int(x)
	case int32:
		e.int(int64(x))
	case float64:
		return e.float(x, 64)
	case []any:
		if x == nil {
			e.nil()
			return nil
		}
		if err := e.enter(); err != nil {
			return err
		}
		e.buf = append(e.buf, "<value><array><data>\n"...)
		for _, el := range x {
			if err := e.value(el); err != nil {
				return err
			}
			e.spill()
		}
		e.buf = append(e.buf, "</data></array></value>\n"...)
		e.depth--
	case map[string]any:
		return e.mapAny(x)
	case []byte:
		if x == nil {
			e.nil()
			return nil
		}
		e.bytes(x)
	case time.Time:
		return e.time(x)
	default:
		return e.reflectValue(reflect.ValueOf(v))
	}
	return nil
}

func (e *encoder) enter() error {
	e.depth++
	if e.depth > maxEncodeDepth {
		return fmt.Errorf("cannot encode values nested deeper than %d levels (cyclic value?)", maxEncodeDepth)
	}
	return nil
}

func (e *encoder) nil() { e.buf = append(e.buf, "<value><nil/></value>"...) }

func (e *encoder) str(s string) {
	e.buf = append(e.buf, "<value><string>"...)
	e.buf = appendEscaped(e.buf, s)
	e.buf = append(e.buf, "</string></value>\n"...)
}

func (e *encoder) bool(b bool) {
	if b {
		e.buf = append(e.buf, "<value><boolean>1</boolean></value>\n"...)
	} else {
		e.buf = append(e.buf, "<value><boolean>0</boolean></value>\n"...)
	}
}

// int uses <i8>, Koji's extension, only where <int> (int32) cannot hold the
// value, as Koji's marshaller does.
func (e *encoder) int(n int64) {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		e.buf = append(e.buf, "<value><int>"...)
		e.buf = strconv.AppendInt(e.buf, n, 10)
		e.buf = append(e.buf, "</int></value>\n"...)
		return
	}
	e.buf = append(e.buf, "<value><i8>"...)
	e.buf = strconv.AppendInt(e.buf, n, 10)
	e.buf = append(e.buf, "</i8></value>\n"...)
}

func (e *encoder) float(f float64, bits int) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("cannot encode %v as a double", f)
	}
	e.buf = append(e.buf, "<value><double>"...)
	e.buf = appendPyFloat(e.buf, f, bits)
	e.buf = append(e.buf, "</double></value>\n"...)
	return nil
}

func (e *encoder) bytes(b []byte) {
	e.buf = append(e.buf, "<value><base64>"...)
	e.buf = base64.StdEncoding.AppendEncode(e.buf, b)
	e.buf = append(e.buf, "</base64></value>\n"...)
}

// time writes the UTC wall clock: the format has no zone, and our decoder
// reads a zoneless time as UTC.
func (e *encoder) time(t time.Time) error {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return fmt.Errorf("cannot encode time %v: year out of range", t)
	}
	e.buf = append(e.buf, "<value><dateTime.iso8601>"...)
	e.buf = t.AppendFormat(e.buf, "20060102T15:04:05")
	e.buf = append(e.buf, "</dateTime.iso8601></value>\n"...)
	return nil
}

func (e *encoder) member(name string) {
	e.buf = append(e.buf, "<member>\n<name>"...)
	e.buf = appendEscaped(e.buf, name)
	e.buf = append(e.buf, "</name>\n"...)
}

// mapAny writes members in sorted key order so output is deterministic. The
// keys go on a stack shared with nested maps to avoid a slice per map.
func (e *encoder) mapAny(m map[string]any) error {
	if m == nil {
		e.nil()
		return nil
	}
	if err := e.enter(); err != nil {
		return err
	}
	start := len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	end := len(e.keys)
	slices.Sort(e.keys[start:end])
	e.buf = append(e.buf, "<value><struct>\n"...)
	for i := start; i < end; i++ {
		k := e.keys[i] // index each time: nested maps may grow e.keys
		e.member(k)
		if err := e.value(m[k]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		e.buf = append(e.buf, "</member>\n"...)
		e.spill()
	}
	e.buf = append(e.buf, "</struct></value>\n"...)
	e.keys = e.keys[:start]
	e.depth--
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

func (e *encoder) reflectValue(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Invalid:
		e.nil()
	case reflect.Interface:
		if v.IsNil() {
			e.nil()
			return nil
		}
		if v.CanInterface() {
			return e.value(v.Interface()) // no allocation for an interface kind
		}
		return e.reflectValue(v.Elem())
	case reflect.Pointer:
		if v.IsNil() {
			e.nil()
			return nil
		}
		if err := e.enter(); err != nil {
			return err
		}
		if err := e.reflectValue(v.Elem()); err != nil {
			return err
		}
		e.depth--
	case reflect.Bool:
		e.bool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.int(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := v.Uint()
		if u > math.MaxInt64 {
			return fmt.Errorf("cannot encode %d: XML-RPC integers are at most 64-bit signed", u)
		}
		e.int(int64(u))
	case reflect.Float32:
		return e.float(v.Float(), 32)
	case reflect.Float64:
		return e.float(v.Float(), 64)
	case reflect.String:
		e.str(v.String())
	case reflect.Slice:
		if v.IsNil() {
			e.nil()
			return nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.bytes(v.Bytes())
			return nil
		}
		return e.reflectArray(v)
	case reflect.Array:
		return e.reflectArray(v)
	case reflect.Map:
		return e.reflectMap(v)
	case reflect.Struct:
		if v.Type() == timeType {
			if !v.CanInterface() {
				return errors.New("cannot encode a time.Time reached through an unexported field")
			}
			return e.time(v.Interface().(time.Time))
		}
		return e.reflectStruct(v)
	default:
		return fmt.Errorf("cannot encode value of type %s", v.Type())
	}
	return nil
}

func (e *encoder) reflectArray(v reflect.Value) error {
	if err := e.enter(); err != nil {
		return err
	}
	e.buf = append(e.buf, "<value><array><data>\n"...)
	for i, n := 0, v.Len(); i < n; i++ {
		if err := e.reflectValue(v.Index(i)); err != nil {
			return err
		}
		e.spill()
	}
	e.buf = append(e.buf, "</data></array></value>\n"...)
	e.depth--
	return nil
}

func (e *encoder) reflectMap(v reflect.Value) error {
	if v.IsNil() {
		e.nil()
		return nil
	}
	if v.Type().Key().Kind() != reflect.String {
		// Python refuses these too ("dictionary key must be string").
		return fmt.Errorf("cannot encode %s: struct keys must be strings", v.Type())
	}
	if err := e.enter(); err != nil {
		return err
	}
	type entry struct {
		k string
		v reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		entries = append(entries, entry{it.Key().String(), it.Value()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.k, b.k) })
	e.buf = append(e.buf, "<value><struct>\n"...)
	for _, en := range entries {
		e.member(en.k)
		if err := e.reflectValue(en.v); err != nil {
			return fmt.Errorf("%s: %w", en.k, err)
		}
		e.buf = append(e.buf, "</member>\n"...)
		e.spill()
	}
	e.buf = append(e.buf, "</struct></value>\n"...)
	e.depth--
	return nil
}

func (e *encoder) reflectStruct(v reflect.Value) error {
	if err := e.enter(); err != nil {
		return err
	}
	e.buf = append(e.buf, "<value><struct>\n"...)
	for _, f := range cachedFields(v.Type()) {
		fv, ok := fieldByIndex(v, f.index)
		if !ok || f.omitEmpty && isEmptyValue(fv) {
			continue
		}
		e.buf = append(e.buf, f.open...)
		if err := e.reflectValue(fv); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		e.buf = append(e.buf, "</member>\n"...)
		e.spill()
	}
	e.buf = append(e.buf, "</struct></value>\n"...)
	e.depth--
	return nil
}

// fieldByIndex is reflect's FieldByIndex, but reports a nil embedded pointer
// (whose fields are then left out) instead of panicking.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	default:
		return v.IsZero()
	}
}

// appendEscaped escapes what Python escapes (&, <, >) plus \r, which an XML
// parser would otherwise turn into \n. Characters XML 1.0 cannot carry at
// all (most C0 controls, U+FFFE, U+FFFF) and invalid UTF-8 become U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch {
			case c == '&':
				esc = "&amp;"
			case c == '<':
				esc = "&lt;"
			case c == '>':
				esc = "&gt;"
			case c == '\r':
				esc = "&#13;"
			case c < 0x20 && c != '\t' && c != '\n':
				esc = "\uFFFD"
			default:
				i++
				continue
			}
			b = append(b, s[last:i]...)
			b = append(b, esc...)
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			b = append(b, s[last:i]...)
			b = append(b, "\uFFFD"...)
			i += size
			last = i
			continue
		}
		i += size
	}
	return append(b, s[last:]...)
}

// appendPyFloat formats f like Python's repr(): the shortest digits that
// round-trip, in positional notation with at least one decimal ("2.0") when
// the decimal exponent is in [-4, 16), else as "1e-05" / "1e+16".
func appendPyFloat(b []byte, f float64, bits int) []byte {
	var tmp [32]byte
	s := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits) // [-]d[.ddd]e±dd
	ePos := len(s) - 1
	for s[ePos] != 'e' {
		ePos--
	}
	exp := 0
	for _, c := range s[ePos+2:] {
		exp = exp*10 + int(c-'0')
	}
	if s[ePos+1] == '-' {
		exp = -exp
	}
	if exp < -4 || exp >= 16 {
		return append(b, s...) // Go and Python agree on this form
	}
	mant := s[:ePos]
	if mant[0] == '-' {
		b = append(b, '-')
		mant = mant[1:]
	}
	// Digits without the point: "1.2345" -> "12345".
	var dbuf [32]byte
	digits := append(dbuf[:0], mant[0])
	if len(mant) > 2 {
		digits = append(digits, mant[2:]...)
	}
	point := exp + 1 // digits before the decimal point
	switch {
	case point <= 0:
		b = append(b, "0."...)
		for ; point < 0; point++ {
			b = append(b, '0')
		}
		b = append(b, digits...)
	case point >= len(digits):
		b = append(b, digits...)
		for i := len(digits); i < point; i++ {
			b = append(b, '0')
		}
		b = append(b, ".0"...)
	default:
		b = append(b, digits[:point]...)
		b = append(b, '.')
		b = append(b, digits[point:]...)
	}
	return b
}
