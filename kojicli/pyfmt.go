package kojicli

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Users compare and parse what the Python CLI prints, and much of that is
// Python's own rendering of values: repr() of strings inside messages,
// pprint for `koji call`, json.dumps for --json-output. These functions
// reproduce those renderings for decoded XML-RPC values (nil, bool, int64,
// float64, string, []byte, []any, map[string]any, and ordered structs).

// pyRepr renders v as Python's repr() would.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return pyFloat(x)
	case string:
		return pyStr(x)
	case []byte:
		return "b" + pyStr(string(x))
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []string:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyStr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyStr(k) + ": " + pyRepr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *ordered:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = pyStr(k) + ": " + pyRepr(x.vals[i])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pyFloat is repr(float): the shortest digits that round-trip, always with a
// point or an exponent, exponent form below 1e-4 and from 1e16.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-4 || a >= 1e16) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		if len(exp) < 2 {
			exp = fmt.Sprintf("%02s", exp)
		}
		return mant + "e" + string(sign) + exp
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyStr is repr(str): single quotes unless the text holds ' and no ".
func pyStr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, "\"") {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && !unicode.IsPrint(r):
			if r <= 0xff {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else if r <= 0xffff {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pprint renders v as Python's pprint.pprint (width 80, dict keys sorted,
// containers broken one item per line when they do not fit).
func pprint(v any) string {
	var b strings.Builder
	ppFormat(&b, v, 0, 0)
	return b.String()
}

func ppFormat(b *strings.Builder, v any, indent, allowance int) {
	rep := pyRepr(v)
	if len(rep) <= 80-indent-allowance {
		b.WriteString(rep)
		return
	}
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			b.WriteString(rep)
			return
		}
		b.WriteString("[")
		for i, e := range x {
			last := i == len(x)-1
			if i > 0 {
				b.WriteString(",\n" + strings.Repeat(" ", indent+1))
			}
			a := 1
			if last {
				a = allowance + 1
			}
			ppFormat(b, e, indent+1, a)
		}
		b.WriteString("]")
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(rep)
			return
		}
		b.WriteString("{")
		keys := sortedKeys(x)
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",\n" + strings.Repeat(" ", indent+1))
			}
			kr := pyStr(k)
			b.WriteString(kr + ": ")
			a := 1
			if i == len(keys)-1 {
				a = allowance + 1
			}
			ppFormat(b, x[k], indent+1+len(kr)+2, a)
		}
		b.WriteString("}")
	case string:
		ppString(b, x, indent, allowance)
	default:
		b.WriteString(rep)
	}
}

// ppString splits a long string the way pprint does: into adjacent literals
// of words, inside parentheses, each fitting the width.
func ppString(b *strings.Builder, s string, indent, allowance int) {
	width := 80 - indent - allowance
	var chunks []string
	lines := strings.SplitAfter(s, "\n")
	for _, line := range lines {
		if line == "" {
			continue
		}
		rep := pyRepr(line)
		if len(rep) <= width-2 {
			chunks = append(chunks, rep)
			continue
		}
		// split on whitespace boundaries, keeping the whitespace
		var parts []string
		cur := ""
		for _, tok := range splitKeepSpace(line) {
			cand := cur + tok
			if cur != "" && len(pyRepr(cand)) > width-2 {
				parts = append(parts, cur)
				cur = tok
			} else {
				cur = cand
			}
		}
		if cur != "" {
			parts = append(parts, cur)
		}
		for _, p := range parts {
			chunks = append(chunks, pyRepr(p))
		}
	}
	if len(chunks) <= 1 {
		b.WriteString(pyRepr(s))
		return
	}
	b.WriteString("(")
	for i, c := range chunks {
		if i > 0 {
			b.WriteString("\n" + strings.Repeat(" ", indent+1))
		}
		b.WriteString(c)
	}
	b.WriteString(")")
}

func splitKeepSpace(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i] == ' ' && s[i-1] != ' ' {
			out = append(out, s[start:i])
			start = i
		}
	}
	return append(out, s[start:])
}

// ordered is a struct with its members in wire order, for --json-output,
// which keeps the hub's order as Python's json.dumps does.
type ordered struct {
	keys []string
	vals []any
}

// pyJSON renders v as json.dumps(v, indent=2, separators=(',', ': '))
// with ensure_ascii.
func pyJSON(v any) string {
	var b strings.Builder
	jsonValue(&b, v, 0)
	return b.String()
}

func jsonValue(b *strings.Builder, v any, level int) {
	nl := "\n" + strings.Repeat("  ", level+1)
	end := "\n" + strings.Repeat("  ", level)
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64, int:
		fmt.Fprint(b, x)
	case float64:
		switch {
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		case math.IsNaN(x):
			b.WriteString("NaN")
		default:
			b.WriteString(pyFloat(x))
		}
	case string:
		jsonString(b, x)
	case []byte:
		jsonString(b, string(x))
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(nl)
			jsonValue(b, e, level+1)
		}
		b.WriteString(end + "]")
	case *ordered:
		if len(x.keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{")
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(nl)
			jsonString(b, k)
			b.WriteString(": ")
			jsonValue(b, x.vals[i], level+1)
		}
		b.WriteString(end + "}")
	case map[string]any:
		o := &ordered{}
		for _, k := range sortedKeys(x) {
			o.keys = append(o.keys, k)
			o.vals = append(o.vals, x[k])
		}
		jsonValue(b, o, level)
	default:
		jsonString(b, fmt.Sprint(x))
	}
}

func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r > 0x7f && r <= 0xffff):
				fmt.Fprintf(b, `\u%04x`, r)
			case r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
