package xmlrpc

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits bounds what a decoder accepts, so a hostile body cannot exhaust
// memory or the stack.
type Limits struct {
	MaxBodyBytes int64 // 0 = default 4 MiB (Koji's MaxRequestLength 4194304)
	MaxDepth     int   // max nesting of array/struct values; 0 = default 64
}

// Defaults used when a Limits field is zero (or negative).
const (
	DefaultMaxBodyBytes = 4194304 // Koji's MaxRequestLength
	DefaultMaxDepth     = 64
)

// Sentinel errors for the limits. Decoders return them wrapped in an error
// with a specific message; test with errors.Is.
var (
	ErrTooLarge = errors.New("xmlrpc: body too large")
	ErrTooDeep  = errors.New("xmlrpc: values nested too deeply")
	ErrDTD      = errors.New("xmlrpc: document type declarations are not allowed")
)

// limitError gives a sentinel a message that names the actual limit.
type limitError struct {
	msg      string
	sentinel error
}

func (e *limitError) Error() string { return e.msg }
func (e *limitError) Unwrap() error { return e.sentinel }

// Call is a decoded <methodCall>. Params is never nil.
type Call struct {
	Method string
	Params []any
}

// DecodeCall reads one <methodCall> document. A missing <params> element
// means no parameters. Keyword arguments are left in place; see SplitKwargs.
func DecodeCall(r io.Reader, lim Limits) (*Call, error) {
	d := newDecoder(r, lim, "request")
	if err := d.root("methodCall"); err != nil {
		return nil, err
	}
	c := &Call{Params: []any{}}
	var haveName, haveParams bool
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case startTok:
			switch t.name.Local {
			case "methodName":
				if haveName {
					return nil, errors.New("more than one <methodName> in <methodCall>")
				}
				haveName = true
				b, err := d.leafText("methodName")
				if err != nil {
					return nil, err
				}
				c.Method = string(b)
			case "params":
				if haveParams {
					return nil, errors.New("more than one <params> in <methodCall>")
				}
				haveParams = true
				if c.Params, err = d.params(c.Params); err != nil {
					return nil, err
				}
			default:
				return nil, unexpected(t, "methodCall")
			}
		case textTok:
			if err := d.space(t.text, "methodCall"); err != nil {
				return nil, err
			}
		case endTok:
			if !haveName {
				return nil, errors.New("missing <methodName> in <methodCall>")
			}
			if err := d.trailer("methodCall"); err != nil {
				return nil, err
			}
			return c, nil
		}
	}
}

// DecodeResponse reads one <methodResponse> document and returns its single
// value. A <fault> comes back as a *Fault error (and a nil value).
//
// Answers run to tens of megabytes, which encoding/xml reads at about
// 40 MB/s. So the body is read whole and decoded by fastSource first; a
// document outside its subset is decoded again by encoding/xml, which
// then gives the same answer or error it always did. (Requests, which the
// hub reads from anyone, are decoded by encoding/xml alone.)
func DecodeResponse(r io.Reader, lim Limits) (any, error) {
	body, err := io.ReadAll(io.LimitReader(r, lim.body()+1))
	switch {
	case err != nil:
		// What was read, then the error, as encoding/xml met it before.
		r = io.MultiReader(bytes.NewReader(body), errReader{err})
	case int64(len(body)) > lim.body():
		r = io.MultiReader(bytes.NewReader(body), r)
	default:
		return DecodeResponseBytes(body, lim)
	}
	return newDecoder(r, lim, "response").response()
}

// DecodeResponseBytes is DecodeResponse for a body already in memory.
func DecodeResponseBytes(body []byte, lim Limits) (any, error) {
	if int64(len(body)) <= lim.body() {
		v, err := newFastDecoder(body, lim, "response").response()
		if !errors.Is(err, errFallback) {
			return v, err
		}
	}
	return newDecoder(bytes.NewReader(body), lim, "response").response()
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func (d *decoder) response() (any, error) {
	if err := d.root("methodResponse"); err != nil {
		return nil, err
	}
	var (
		params     []any
		fault      *Fault
		haveParams bool
	)
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case startTok:
			if haveParams || fault != nil {
				return nil, unexpected(t, "methodResponse")
			}
			switch t.name.Local {
			case "params":
				haveParams = true
				if params, err = d.params(nil); err != nil {
					return nil, err
				}
			case "fault":
				if fault, err = d.fault(); err != nil {
					return nil, err
				}
			default:
				return nil, unexpected(t, "methodResponse")
			}
		case textTok:
			if err := d.space(t.text, "methodResponse"); err != nil {
				return nil, err
			}
		case endTok:
			if err := d.trailer("methodResponse"); err != nil {
				return nil, err
			}
			if fault != nil {
				return nil, fault
			}
			if !haveParams {
				return nil, errors.New("<methodResponse> holds neither <params> nor <fault>")
			}
			if len(params) != 1 {
				return nil, fmt.Errorf("<methodResponse> must hold exactly one <param>, found %d", len(params))
			}
			return params[0], nil
		}
	}
}

type decoder struct {
	src      tokenSource
	what     string // "request" or "response", for messages
	maxDepth int
	depth    int
	text     []byte            // scratch for the text of the current leaf
	names    map[string]string // interned struct member names
	open     []xml.Name        // elements not yet closed
}

// tokKind tells a token's kind: the start or end of an element, or text.
type tokKind uint8

const (
	startTok tokKind = iota + 1
	endTok
	textTok
)

// token is one piece of a document as the decoder reads it. Text is valid
// until the next token.
type token struct {
	kind tokKind
	name xml.Name // of a start or end tag
	text []byte
}

// tokenSource yields a document's elements and text, without comments or
// processing instructions; io.EOF at its end. Nesting is the decoder's to
// check.
type tokenSource interface {
	next() (token, error)
}

func newDecoder(r io.Reader, lim Limits, what string) *decoder {
	limit, depth := lim.body(), lim.depth()
	g := &sizeGuard{r: io.LimitReader(r, limit+1), max: limit}
	g.err = &limitError{fmt.Sprintf("%s body exceeds %d bytes", what, limit), ErrTooLarge}
	x := xml.NewDecoder(g)
	x.Strict = true
	x.CharsetReader = charsetReader
	return &decoder{src: &xmlSource{x: x, guard: g}, what: what, maxDepth: depth, names: make(map[string]string)}
}

// newFastDecoder decodes body, which fits the limits, with a fastSource.
func newFastDecoder(body []byte, lim Limits, what string) *decoder {
	return &decoder{src: newFastSource(body), what: what, maxDepth: lim.depth(), names: make(map[string]string)}
}

func (lim Limits) body() int64 {
	if lim.MaxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return lim.MaxBodyBytes
}

func (lim Limits) depth() int {
	if lim.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return lim.MaxDepth
}

// sizeGuard fails the read that goes past max. It reads through a
// LimitReader of max+1 so a body of exactly max bytes is still accepted.
type sizeGuard struct {
	r   io.Reader
	n   int64
	max int64
	err error
}

func (g *sizeGuard) Read(p []byte) (int, error) {
	if g.n > g.max {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if g.n > g.max {
		return 0, g.err
	}
	return n, err
}

// xmlSource reads tokens with encoding/xml, which takes any well-formed
// document: every encoding, entity and construct XML allows.
//
// It uses RawToken, which skips namespace translation (only local names
// matter here) and so allocates less.
type xmlSource struct {
	x     *xml.Decoder
	guard *sizeGuard
}

func (s *xmlSource) next() (token, error) {
	for {
		tok, err := s.x.RawToken()
		if s.guard.n > s.guard.max {
			return token{}, s.guard.err
		}
		if err != nil {
			return token{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return token{kind: startTok, name: t.Name}, nil
		case xml.EndElement:
			return token{kind: endTok, name: t.Name}, nil
		case xml.CharData:
			return token{kind: textTok, text: t}, nil
		case xml.Directive:
			// Refusing every directive keeps entity expansion tricks
			// (billion laughs, external entities) out, as defusedxml does.
			return token{}, &limitError{"document type / entity declarations are not allowed", ErrDTD}
		}
		// Comments and processing instructions do not count.
	}
}

// next returns the next token, checks tag nesting, and passes io.EOF
// through unchanged so callers can tell a clean end.
func (d *decoder) next() (token, error) {
	t, err := d.src.next()
	if err != nil {
		if err == io.EOF && len(d.open) > 0 {
			return token{}, fmt.Errorf("unexpected end of %s body inside <%s>", d.what, d.open[len(d.open)-1].Local)
		}
		return token{}, err
	}
	switch t.kind {
	case startTok:
		d.open = append(d.open, t.name)
	case endTok:
		n := len(d.open) - 1
		if n < 0 {
			return token{}, fmt.Errorf("unexpected end tag </%s>", t.name.Local)
		}
		if d.open[n] != t.name {
			return token{}, fmt.Errorf("mismatched tag: <%s> closed by </%s>", qname(d.open[n]), qname(t.name))
		}
		d.open = d.open[:n]
	}
	return t, nil
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// eof turns an end of input inside the document into a readable error.
func (d *decoder) eof(err error) error {
	if err == io.EOF {
		return fmt.Errorf("unexpected end of %s body", d.what)
	}
	return err
}

// root reads up to the document element and checks its name.
func (d *decoder) root(want string) error {
	for {
		tok, err := d.next()
		if err == io.EOF {
			return fmt.Errorf("empty %s body", d.what)
		}
		if err != nil {
			return err
		}
		switch t := tok; t.kind {
		case startTok:
			if t.name.Local != want {
				return fmt.Errorf("expected <%s>, found <%s>", want, t.name.Local)
			}
			return nil
		case textTok:
			// A UTF-8 byte order mark is allowed, as expat allows it.
			if !isSpace(bytes.TrimPrefix(t.text, []byte("\uFEFF"))) {
				return fmt.Errorf("unexpected text %q before <%s>", clip(trimSpace(t.text)), want)
			}
		}
	}
}

// trailer checks that nothing but whitespace follows the document element.
// Reading to the end also makes the size limit cover the whole body.
func (d *decoder) trailer(root string) error {
	for {
		tok, err := d.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok; t.kind {
		case startTok:
			return fmt.Errorf("unexpected element <%s> after </%s>", t.name.Local, root)
		case textTok:
			if !isSpace(t.text) {
				return fmt.Errorf("unexpected text %q after </%s>", clip(trimSpace(t.text)), root)
			}
		}
	}
}

// params reads the <param> children of <params> and appends their values.
func (d *decoder) params(dst []any) ([]any, error) {
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case startTok:
			if t.name.Local != "param" {
				return nil, unexpected(t, "params")
			}
			v, err := d.single("param")
			if err != nil {
				return nil, err
			}
			dst = append(dst, v)
		case textTok:
			if err := d.space(t.text, "params"); err != nil {
				return nil, err
			}
		case endTok:
			return dst, nil
		}
	}
}

// single reads an element (<param>, <fault>) that wraps exactly one <value>.
func (d *decoder) single(parent string) (any, error) {
	var v any
	have := false
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case startTok:
			if t.name.Local != "value" || have {
				return nil, unexpected(t, parent)
			}
			have = true
			if v, err = d.value(); err != nil {
				return nil, err
			}
		case textTok:
			if err := d.space(t.text, parent); err != nil {
				return nil, err
			}
		case endTok:
			if !have {
				return nil, fmt.Errorf("<%s> without <value>", parent)
			}
			return v, nil
		}
	}
}

func (d *decoder) fault() (*Fault, error) {
	v, err := d.single("fault")
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("<fault> value is not a struct")
	}
	code, ok := m["faultCode"].(int64)
	if !ok || int64(int(code)) != code {
		return nil, errors.New("<fault> has no integer faultCode")
	}
	s, ok := m["faultString"].(string)
	if !ok {
		return nil, errors.New("<fault> has no string faultString")
	}
	return &Fault{Code: int(code), String: s}, nil
}

// value decodes the content of a <value> element whose start tag has been
// read, up to and including its end tag.
func (d *decoder) value() (any, error) {
	d.text = d.text[:0]
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case textTok:
			d.text = append(d.text, t.text...)
		case endTok:
			// No type element: the text, whitespace and all, is a string.
			return string(d.text), nil
		case startTok:
			if !isSpace(d.text) {
				return nil, fmt.Errorf("unexpected text %q before <%s> in <value>", clip(trimSpace(d.text)), t.name.Local)
			}
			v, err := d.typed(t)
			if err != nil {
				return nil, err
			}
			if err := d.close("value"); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
}

// typed decodes one type element inside <value>. Only the local name counts,
// so namespace prefixes (<ex:nil/>, <ex:i8>) are ignored, as in Python.
func (d *decoder) typed(t token) (any, error) {
	name := t.name.Local
	switch name {
	case "struct":
		return d.structValue()
	case "array":
		return d.arrayValue()
	case "nil":
		_, err := d.leafText(name) // Python ignores any text here
		return nil, err
	}
	b, err := d.leafText(name)
	if err != nil {
		return nil, err
	}
	switch name {
	case "string":
		return string(b), nil
	case "int", "i4", "i8", "i1", "i2", "biginteger":
		return parseInt(b)
	case "boolean":
		// Python accepts exactly "0" and "1", no spaces, no true/false.
		switch string(b) {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
		return nil, fmt.Errorf("invalid boolean value %q", clip(b))
	case "double", "float", "bigdecimal":
		return parseDouble(b)
	case "base64":
		return parseBase64(b)
	case "dateTime.iso8601":
		return parseDateTime(b)
	}
	return nil, fmt.Errorf("unexpected element <%s> in <value>", name)
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > d.maxDepth {
		return &limitError{fmt.Sprintf("nesting deeper than %d levels", d.maxDepth), ErrTooDeep}
	}
	return nil
}

func (d *decoder) structValue() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	m := make(map[string]any)
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case startTok:
			if t.name.Local != "member" {
				return nil, unexpected(t, "struct")
			}
			k, v, err := d.member()
			if err != nil {
				return nil, err
			}
			m[k] = v // a repeated name: the last one wins, as in Python
		case textTok:
			if err := d.space(t.text, "struct"); err != nil {
				return nil, err
			}
		case endTok:
			d.depth--
			return m, nil
		}
	}
}

func (d *decoder) member() (string, any, error) {
	var (
		name                string
		val                 any
		haveName, haveValue bool
	)
	for {
		tok, err := d.next()
		if err != nil {
			return "", nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case startTok:
			switch {
			case t.name.Local == "name" && !haveName:
				haveName = true
				b, err := d.leafText("name")
				if err != nil {
					return "", nil, err
				}
				name = d.intern(b)
			case t.name.Local == "value" && !haveValue:
				haveValue = true
				if val, err = d.value(); err != nil {
					return "", nil, err
				}
			default:
				return "", nil, unexpected(t, "member")
			}
		case textTok:
			if err := d.space(t.text, "member"); err != nil {
				return "", nil, err
			}
		case endTok:
			if !haveName {
				return "", nil, errors.New("<member> without <name>")
			}
			if !haveValue {
				return "", nil, fmt.Errorf("<member> %q without <value>", clip([]byte(name)))
			}
			return name, val, nil
		}
	}
}

func (d *decoder) arrayValue() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	a := make([]any, 0) // non-nil even when empty; nil would re-encode as <nil/>
	haveData := false
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case startTok:
			if t.name.Local != "data" || haveData {
				return nil, unexpected(t, "array")
			}
			haveData = true
			if a, err = d.data(a); err != nil {
				return nil, err
			}
		case textTok:
			if err := d.space(t.text, "array"); err != nil {
				return nil, err
			}
		case endTok:
			d.depth--
			return a, nil
		}
	}
}

func (d *decoder) data(a []any) ([]any, error) {
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case startTok:
			if t.name.Local != "value" {
				return nil, unexpected(t, "data")
			}
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		case textTok:
			if err := d.space(t.text, "data"); err != nil {
				return nil, err
			}
		case endTok:
			return a, nil
		}
	}
}

// leafText reads the text of an element that must not contain elements, up
// to its end tag. The result aliases d.text and is valid until the next call.
func (d *decoder) leafText(name string) ([]byte, error) {
	d.text = d.text[:0]
	for {
		tok, err := d.next()
		if err != nil {
			return nil, d.eof(err)
		}
		switch t := tok; t.kind {
		case textTok:
			d.text = append(d.text, t.text...)
		case startTok:
			return nil, unexpected(t, name)
		case endTok:
			return d.text, nil
		}
	}
}

// close skips whitespace up to the end tag of the current element.
func (d *decoder) close(name string) error {
	for {
		tok, err := d.next()
		if err != nil {
			return d.eof(err)
		}
		switch t := tok; t.kind {
		case textTok:
			if err := d.space(t.text, name); err != nil {
				return err
			}
		case startTok:
			return unexpected(t, name)
		case endTok:
			return nil
		}
	}
}

func (d *decoder) space(t []byte, parent string) error {
	if isSpace(t) {
		return nil
	}
	return fmt.Errorf("unexpected text %q in <%s>", clip(trimSpace(t)), parent)
}

// intern shares the strings of repeated member names ("id", "name", ...)
// within one document, which saves most of the allocations for struct keys.
func (d *decoder) intern(b []byte) string {
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.names) < 4096 {
		d.names[s] = s
	}
	return s
}

func unexpected(t token, parent string) error {
	return fmt.Errorf("unexpected element <%s> in <%s>", t.name.Local, parent)
}

func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[:1]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1:]) {
		b = b[:len(b)-1]
	}
	return b
}

// clip shortens text quoted in error messages.
func clip(b []byte) string {
	const most = 64
	if len(b) <= most {
		return string(b)
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + "..."
}

// parseInt accepts surrounding whitespace like Python's int(), but only
// values that fit in int64 (Python's are unbounded; Koji never sends more).
func parseInt(b []byte) (int64, error) {
	s := trimSpace(b)
	n, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Errorf("integer value %q does not fit in 64 bits", clip(s))
		}
		return 0, fmt.Errorf("invalid integer value %q", clip(s))
	}
	return n, nil
}

// parseDouble refuses NaN and infinities: they have no XML-RPC spelling we
// could send back, and no Koji call uses them.
func parseDouble(b []byte) (float64, error) {
	s := trimSpace(b)
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil && !(errors.Is(err, strconv.ErrRange) && f == 0) { // underflow is fine, as in Python
		return 0, fmt.Errorf("invalid double value %q", clip(s))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("invalid double value %q", clip(s))
	}
	return f, nil
}

// parseBase64 tolerates the line breaks Python puts in (every 76 columns)
// and any other whitespace, and missing padding.
func parseBase64(b []byte) ([]byte, error) {
	s := make([]byte, 0, len(b))
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			s = append(s, c)
		}
	}
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Decode(out, s)
	if err != nil {
		return nil, fmt.Errorf("invalid base64 value: %v", err)
	}
	return out[:n], nil
}

var dateLayouts = []string{
	"20060102T15:04:05", "20060102T15:04:05Z07:00", "20060102T15:04:05Z0700",
	"2006-01-02T15:04:05", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z0700",
	"20060102T150405", "20060102T150405Z07:00", "20060102T150405Z0700",
}

// parseDateTime returns the time in UTC with whole seconds, which is all the
// wire format can carry back out. A time without offset is taken as UTC.
func parseDateTime(b []byte) (time.Time, error) {
	s := string(trimSpace(b))
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		t = t.Add(-time.Duration(t.Nanosecond())).UTC()
		if y := t.Year(); y < 0 || y > 9999 {
			return time.Time{}, fmt.Errorf("dateTime value %q is out of range", clip([]byte(s)))
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid dateTime.iso8601 value %q", clip([]byte(s)))
}

// charsetReader covers the encodings other than UTF-8 that an XML
// declaration may name in practice.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch label {
	case "us-ascii", "US-ASCII", "ascii", "ASCII":
		return r, nil
	case "iso-8859-1", "ISO-8859-1", "latin-1", "latin1", "LATIN1", "Latin-1":
		return &latin1Reader{r: r}, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// latin1Reader converts ISO-8859-1 to UTF-8.
type latin1Reader struct {
	r    io.Reader
	buf  []byte // raw input
	conv []byte // converted input
	out  []byte // unread part of conv
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.out) == 0 {
		if cap(l.buf) == 0 {
			l.buf = make([]byte, 2048)
		}
		n, err := l.r.Read(l.buf)
		l.conv = l.conv[:0]
		for _, c := range l.buf[:n] {
			l.conv = utf8.AppendRune(l.conv, rune(c))
		}
		l.out = l.conv
		if len(l.out) == 0 {
			return 0, err
		}
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}
