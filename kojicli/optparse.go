package kojicli

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// The Python CLI parses each command with optparse, and users rely on its
// behaviour: options after positional arguments, unique prefixes of long
// options (--own for --owner), "--opt=value" and "--opt value", clustered
// short flags (-abc), "--" ending the options, repeated options that append.
// Go's flag package stops at the first positional argument and knows none of
// the rest, so this is a small parser with those rules and optparse's
// messages, which the usage errors (exit 2) print.

type optKind int

const (
	optBool   optKind = iota // store_true
	optFalse                 // store_false
	optString                // store a string
	optInt                   // store an int
	optFloat                 // store a float
	optAppend                // append strings
	optConst                 // store a constant string into dest
)

type option struct {
	short, long string // "-p", "--parent" (either may be "")
	dest        string
	kind        optKind
	metavar     string
	help        string
	constVal    string
}

// optionParser is one command's options and usage.
type optionParser struct {
	usage         string // without "Usage: "; may span lines
	opts          []*option
	interspersed  bool
	progName      string
	noHelpSuffix  bool
	helpRequested bool
}

func newParser(usage string) *optionParser {
	p := &optionParser{usage: usage, interspersed: true, progName: "koji"}
	p.add(&option{short: "-h", long: "--help", dest: "help", kind: optBool, help: "show this help message and exit"})
	return p
}

func destOf(short, long string) string {
	if long != "" {
		return strings.ReplaceAll(strings.TrimPrefix(long, "--"), "-", "_")
	}
	return strings.TrimPrefix(short, "-")
}

func (p *optionParser) add(o *option) *option {
	if o.dest == "" {
		o.dest = destOf(o.short, o.long)
	}
	if o.metavar == "" && (o.kind == optString || o.kind == optInt || o.kind == optAppend || o.kind == optFloat) {
		o.metavar = strings.ToUpper(o.dest)
	}
	p.opts = append(p.opts, o)
	return o
}

// flag adds a store_true option ("" for no short form).
func (p *optionParser) flag(short, long, help string) *option {
	return p.add(&option{short: short, long: long, kind: optBool, help: help})
}

func (p *optionParser) str(short, long, help string) *option {
	return p.add(&option{short: short, long: long, kind: optString, help: help})
}

func (p *optionParser) integer(short, long, help string) *option {
	return p.add(&option{short: short, long: long, kind: optInt, help: help})
}

func (p *optionParser) list(short, long, help string) *option {
	return p.add(&option{short: short, long: long, kind: optAppend, help: help})
}

// values holds parsed options by dest; an absent dest is Python's None.
type values map[string]any

func (v values) has(dest string) bool   { _, ok := v[dest]; return ok }
func (v values) b(dest string) bool     { x, _ := v[dest].(bool); return x }
func (v values) s(dest string) string   { x, _ := v[dest].(string); return x }
func (v values) i(dest string) int      { x, _ := v[dest].(int); return x }
func (v values) l(dest string) []string { x, _ := v[dest].([]string); return x }

// usageError is parser.error(): usage and "koji: error: msg" on stderr, exit 2.
type usageError struct {
	p   *optionParser
	msg string
}

func (e *usageError) Error() string { return e.msg }

// helpExit is --help: the help text was printed, exit 0.
type helpExit struct{}

func (helpExit) Error() string { return "help" }

func (p *optionParser) errorf(format string, args ...any) error {
	return &usageError{p, fmt.Sprintf(format, args...)}
}

func (p *optionParser) match(long string) (*option, error) {
	var cands []*option
	for _, o := range p.opts {
		if o.long == long {
			return o, nil
		}
		if o.long != "" && strings.HasPrefix(o.long, long) {
			cands = append(cands, o)
		}
	}
	switch len(cands) {
	case 0:
		return nil, p.errorf("no such option: %s", long)
	case 1:
		return cands[0], nil
	}
	names := make([]string, len(cands))
	for i, o := range cands {
		names[i] = o.long
	}
	sort.Strings(names)
	return nil, p.errorf("ambiguous option: %s (%s?)", long, strings.Join(names, ", "))
}

func (p *optionParser) short(s string) *option {
	for _, o := range p.opts {
		if o.short == s {
			return o
		}
	}
	return nil
}

func takesValue(o *option) bool {
	return o.kind == optString || o.kind == optInt || o.kind == optAppend || o.kind == optFloat
}

func (p *optionParser) store(v values, o *option, name, val string) error {
	switch o.kind {
	case optBool:
		v[o.dest] = true
	case optFalse:
		v[o.dest] = false
	case optConst:
		v[o.dest] = o.constVal
	case optString:
		v[o.dest] = val
	case optInt:
		n, err := strconv.ParseInt(strings.TrimSpace(val), 0, 64)
		if err != nil {
			return p.errorf("option %s: invalid integer value: '%s'", name, val)
		}
		v[o.dest] = int(n)
	case optFloat:
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return p.errorf("option %s: invalid floating-point value: '%s'", name, val)
		}
		v[o.dest] = f
	case optAppend:
		v[o.dest] = append(v.l(o.dest), val)
	}
	if o.dest == "help" {
		return helpExit{}
	}
	return nil
}

// parse reads args into option values and positional arguments.
func (p *optionParser) parse(args []string) (values, []string, error) {
	v := values{}
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return v, append(pos, args[i+1:]...), nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a, "=")
			o, err := p.match(name)
			if err != nil {
				return nil, nil, err
			}
			if takesValue(o) {
				if !hasVal {
					if i+1 >= len(args) {
						return nil, nil, p.errorf("%s option requires 1 argument", o.long)
					}
					i++
					val = args[i]
				}
			} else if hasVal {
				return nil, nil, p.errorf("%s option does not take a value", o.long)
			}
			if err := p.store(v, o, o.long, val); err != nil {
				return nil, nil, err
			}
		case strings.HasPrefix(a, "-") && a != "-":
			for j := 1; j < len(a); j++ {
				name := "-" + string(a[j])
				o := p.short(name)
				if o == nil {
					return nil, nil, p.errorf("no such option: %s", name)
				}
				var val string
				if takesValue(o) {
					if j+1 < len(a) {
						val = a[j+1:]
					} else if i+1 < len(args) {
						i++
						val = args[i]
					} else {
						return nil, nil, p.errorf("%s option requires 1 argument", name)
					}
					j = len(a)
				}
				if err := p.store(v, o, name, val); err != nil {
					return nil, nil, err
				}
			}
		default:
			if !p.interspersed {
				return v, append(pos, args[i:]...), nil
			}
			pos = append(pos, a)
		}
	}
	return v, pos, nil
}

// usageText is the "Usage: …" block optparse prints.
func (p *optionParser) usageText() string {
	u := strings.ReplaceAll(p.usage, "%prog", p.progName)
	if !p.noHelpSuffix {
		u += "\n(Specify the --help global option for a list of other help options)"
	}
	return "Usage: " + u + "\n"
}

// printError writes optparse's error output.
func (p *optionParser) printError(w io.Writer, msg string) {
	fmt.Fprintf(w, "%s\n%s: error: %s\n", p.usageText(), p.progName, msg)
}

// printHelp writes the usage and the option table in optparse's layout:
// option strings indented 2, help starting at column 24 at most, wrapped
// to 78 columns.
func (p *optionParser) printHelp(w io.Writer) {
	fmt.Fprintf(w, "%s\nOptions:\n", p.usageText())
	const width, maxPos = 78, 24
	strs := make([]string, len(p.opts))
	longest := 0
	for i, o := range p.opts {
		var parts []string
		if o.short != "" {
			s := o.short
			if takesValue(o) {
				s += " " + o.metavar
			}
			parts = append(parts, s)
		}
		if o.long != "" {
			s := o.long
			if takesValue(o) {
				s += "=" + o.metavar
			}
			parts = append(parts, s)
		}
		strs[i] = strings.Join(parts, ", ")
		longest = max(longest, len(strs[i])+2)
	}
	helpPos := min(longest+2, maxPos)
	for i, o := range p.opts {
		optWidth := helpPos - 2 - 2
		lines := wrapText(o.help, max(width-helpPos, 11))
		var b strings.Builder
		if len(strs[i]) > optWidth {
			fmt.Fprintf(&b, "  %s\n", strs[i])
			if len(lines) > 0 {
				b.WriteString(strings.Repeat(" ", helpPos))
			}
		} else {
			fmt.Fprintf(&b, "  %-*s  ", optWidth, strs[i])
		}
		if len(lines) == 0 {
			fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
			continue
		}
		b.WriteString(lines[0] + "\n")
		for _, l := range lines[1:] {
			b.WriteString(strings.Repeat(" ", helpPos) + l + "\n")
		}
		io.WriteString(w, b.String())
	}
}

// wrapText breaks s into lines of at most width columns at spaces.
func wrapText(s string, width int) []string {
	var lines []string
	var cur string
	for _, word := range strings.Fields(s) {
		if cur == "" {
			cur = word
		} else if len(cur)+1+len(word) <= width {
			cur += " " + word
		} else {
			lines = append(lines, cur)
			cur = word
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}
