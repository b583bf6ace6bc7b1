package xmlrpc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"unicode/utf8"
)

// errFallback ends a fastSource at the first thing it does not read.
var errFallback = errors.New("xmlrpc: outside the fast decoder's subset")

// fastSource reads the XML that XML-RPC peers write (Python's marshaller,
// Koji, this package): an optional <?xml version="1.0"?> declaration
// (UTF-8 at most named), elements without attributes or namespace
// prefixes, and UTF-8 text with the five predefined entities. For such a
// document it yields the tokens encoding/xml's RawToken would. Anything
// else — comments, CDATA, directives, other entities, carriage returns
// (which XML turns into line feeds), other encodings, a declaration after
// a byte order mark — ends it with errFallback, and the caller decodes
// with encoding/xml.
type fastSource struct {
	buf     []byte
	pos     int
	err     error  // set when the declaration is outside the subset
	owed    []byte // name of the end tag a self-closing tag still owes
	scratch []byte // text with its entities replaced
}

func newFastSource(buf []byte) *fastSource {
	s := &fastSource{buf: buf}
	if bytes.HasPrefix(buf, []byte("<?")) {
		n := declLen(buf)
		if n == 0 {
			s.err = errFallback
		}
		s.pos = n
	}
	return s
}

// declLen is the length of the XML declaration buf starts with, when it is
// one of the few spellings peers send; 0 otherwise.
func declLen(buf []byte) int {
	rest, ok := bytes.CutPrefix(buf, []byte("<?xml version="))
	if !ok {
		return 0
	}
	rest, ok = quoted(rest, "1.0")
	if !ok {
		return 0
	}
	if r, ok := bytes.CutPrefix(rest, []byte(" encoding=")); ok {
		utf, ok := quoted(r, "utf-8")
		if !ok {
			utf, ok = quoted(r, "UTF-8")
		}
		if !ok {
			return 0 // another encoding
		}
		rest = utf
	}
	rest = bytes.TrimLeft(rest, " ")
	if !bytes.HasPrefix(rest, []byte("?>")) {
		return 0
	}
	return len(buf) - len(rest) + 2
}

// quoted cuts 'want' or "want" from the front of b.
func quoted(b []byte, want string) ([]byte, bool) {
	for _, q := range []string{"'", `"`} {
		if r, ok := bytes.CutPrefix(b, []byte(q+want+q)); ok {
			return r, true
		}
	}
	return b, false
}

func (s *fastSource) next() (token, error) {
	if s.err != nil {
		return token{}, s.err
	}
	if s.owed != nil {
		name := s.owed
		s.owed = nil
		return token{kind: endTok, name: xml.Name{Local: elementName(name)}}, nil
	}
	if s.pos >= len(s.buf) {
		return token{}, io.EOF
	}
	if s.buf[s.pos] != '<' {
		return s.text()
	}
	i := s.pos + 1
	end := i < len(s.buf) && s.buf[i] == '/'
	if end {
		i++
	}
	n := nameLen(s.buf[i:])
	if n == 0 {
		return token{}, errFallback // <!…>, <?…>, or an unusual name
	}
	name := s.buf[i : i+n]
	i += n
	switch {
	case i < len(s.buf) && s.buf[i] == '>':
		i++
	case !end && i+1 < len(s.buf) && s.buf[i] == '/' && s.buf[i+1] == '>':
		i += 2
		s.owed = name
	default:
		return token{}, errFallback // attributes, spaces, or the end of the body
	}
	s.pos = i
	t := token{kind: startTok, name: xml.Name{Local: elementName(name)}}
	if end {
		t.kind = endTok
	}
	return t, nil
}

// nameLen is the length of the element name b starts with, for names of
// ASCII letters, digits, '_', '-' and '.' (a letter or '_' first).
func nameLen(b []byte) int {
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		default:
			return i
		}
	}
	return len(b)
}

// elementName gives the names of XML-RPC's elements without allocating.
func elementName(b []byte) string {
	switch string(b) {
	case "value":
		return "value"
	case "member":
		return "member"
	case "name":
		return "name"
	case "string":
		return "string"
	case "int":
		return "int"
	case "i4":
		return "i4"
	case "i8":
		return "i8"
	case "nil":
		return "nil"
	case "boolean":
		return "boolean"
	case "double":
		return "double"
	case "struct":
		return "struct"
	case "array":
		return "array"
	case "data":
		return "data"
	case "param":
		return "param"
	case "params":
		return "params"
	}
	return string(b)
}

// text reads up to the next tag, replacing the five predefined entities.
func (s *fastSource) text() (token, error) {
	start, i := s.pos, s.pos
	plain := true
	for i < len(s.buf) {
		c := s.buf[i]
		switch {
		case c == '<':
			goto done
		case c == '&':
			plain = false
		case c < 0x20 && c != '\t' && c != '\n':
			return token{}, errFallback // \r, or not an XML character
		case c == ']' && bytes.HasPrefix(s.buf[i:], []byte("]]>")):
			return token{}, errFallback
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(s.buf[i:])
			if r == utf8.RuneError && size <= 1 || r == 0xFFFE || r == 0xFFFF {
				return token{}, errFallback
			}
			i += size
			continue
		}
		i++
	}
done:
	raw := s.buf[start:i]
	s.pos = i
	if plain {
		return token{kind: textTok, text: raw}, nil
	}
	s.scratch = s.scratch[:0]
	for len(raw) > 0 {
		amp := bytes.IndexByte(raw, '&')
		if amp < 0 {
			s.scratch = append(s.scratch, raw...)
			break
		}
		s.scratch = append(s.scratch, raw[:amp]...)
		raw = raw[amp:]
		semi := bytes.IndexByte(raw, ';')
		if semi < 0 {
			return token{}, errFallback
		}
		switch string(raw[1:semi]) {
		case "amp":
			s.scratch = append(s.scratch, '&')
		case "lt":
			s.scratch = append(s.scratch, '<')
		case "gt":
			s.scratch = append(s.scratch, '>')
		case "quot":
			s.scratch = append(s.scratch, '"')
		case "apos":
			s.scratch = append(s.scratch, '\'')
		default:
			return token{}, errFallback // numeric and undeclared entities
		}
		raw = raw[semi+1:]
	}
	return token{kind: textTok, text: s.scratch}, nil
}
