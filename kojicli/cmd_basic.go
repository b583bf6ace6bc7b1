package kojicli

import (
	"regexp"
	"sort"
	"strings"

	"github.com/gokoji/gokoji/hub/kojiclient"
)

func init() {
	register(&command{name: "moshimoshi", section: "misc", summary: "Say hello and show who you are logged in as", run: cmdHello})
	register(&command{name: "hello", section: "misc", summary: "Say hello and show who you are logged in as", run: cmdHello})
	register(&command{name: "version", section: "misc", summary: "Show the client and hub versions", run: cmdVersion})
	register(&command{name: "call", section: "admin", summary: "Call any XML-RPC method", run: cmdCall})
	register(&command{name: "list-api", anon: true, section: "info", summary: "List the hub's XML-RPC methods", run: cmdListAPI})
	register(&command{name: "help", anon: true, section: "info", summary: "List the commands", run: func(a *app, args []string) error {
		if _, _, err := a.parse(newParser("%prog help [options]"), args); err != nil {
			return err
		}
		a.listCommands()
		return nil
	}})
}

func cmdHello(a *app, args []string) error {
	p := newParser("%prog moshimoshi [options]")
	_, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return p.errorf("This command takes no arguments")
	}
	if err := a.activate(); err != nil {
		return err
	}
	v, err := a.call("getLoggedInUser")
	if err != nil {
		return err
	}
	u := asMap(v)
	if u == nil {
		a.println("Not authenticated")
		u = map[string]any{"name": "anonymous user"}
	}
	a.printf("%s, %s!\n\n", randomGreeting(), mstr(u, "name"))
	ver, err := a.sess.HubVersion(a.ctx)
	if err != nil {
		return err
	}
	a.printf("You are using the hub at %s (Koji %s)\n", a.sess.URL, ver)
	at, ok := u["authtype"].(int64)
	if !ok {
		switch a.sess.AuthType() {
		case "password":
			at, ok = 0, true
		case "ssl":
			at, ok = 2, true
		}
	}
	if ok {
		switch at {
		case 0:
			a.println("Authenticated via password")
		case 3:
			a.println("Authenticated via GSSAPI")
		case 1:
			a.printf("Authenticated via Kerberos principal %s\n", mstr(u, "krb_principal"))
		case 2:
			a.printf("Authenticated via client certificate %s\n", a.profile.Cert)
		}
	}
	return nil
}

func cmdVersion(a *app, args []string) error {
	a.printf("Client: %s\n", ClientVersion)
	if err := a.ensureConn(); err != nil {
		return err
	}
	v, err := a.call("getKojiVersion")
	if err != nil {
		if _, ok := isFault(err); ok {
			a.println("Hub:    Can't determine (older than 1.23)")
			return nil
		}
		return err
	}
	a.printf("Hub:    %s\n", pyStrOf(v))
	return nil
}

var kwPattern = regexp.MustCompile(`^([\p{L}_][\p{L}\p{N}_]*)=(.*)$`)

func cmdCall(a *app, args []string) error {
	p := newParser("%prog call [options] <name> [<arg> ...]\n\n" +
		"<arg> values of the form NAME=VALUE are treated as keyword arguments\n" +
		"Note, that you can use global option --noauth for anonymous calls here")
	p.flag("-p", "--python", "read values as Python literals")
	p.str("", "--kwargs", "keyword arguments as one dictionary (Python or, with --json-input, JSON)")
	p.flag("-j", "--json", "JSON for both the values given and the answer printed")
	p.flag("", "--json-input", "read values as JSON")
	p.flag("", "--json-output", "print the answer as JSON")
	p.flag("-b", "--bare-strings", "pass a value that does not parse as a plain string")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("Please specify the name of the XML-RPC method")
	}
	jsonIn, jsonOut, python := o.b("json_input"), o.b("json_output"), o.b("python")
	if o.b("json") {
		jsonIn, jsonOut = true, true
	}
	if python && jsonIn {
		return p.errorf("The --python option conflicts with using --json-input")
	}
	if o.has("kwargs") && !jsonIn {
		python = true
	}
	parseArg := func(s string) (any, error) {
		var v any
		var err error
		switch {
		case python:
			v, err = parsePyLiteral(s)
		case jsonIn:
			v, err = parseJSONArg(s)
		default:
			return argFilter(s), nil
		}
		if err != nil {
			if o.b("bare_strings") {
				return s, nil
			}
			return nil, p.errorf("Invalid value: %s", pyStr(s))
		}
		return v, nil
	}
	kw := map[string]any{}
	if o.has("kwargs") {
		v, err := parseArg(o.s("kwargs"))
		if err != nil {
			return err
		}
		m, ok := v.(map[string]any)
		if !ok {
			return p.errorf("Invalid value: %s", pyStr(o.s("kwargs")))
		}
		kw = m
	}
	params := []any{}
	for _, arg := range pos[1:] {
		if m := kwPattern.FindStringSubmatch(arg); m != nil {
			v, err := parseArg(m[2])
			if err != nil {
				return err
			}
			kw[m[1]] = v
			continue
		}
		v, err := parseArg(arg)
		if err != nil {
			return err
		}
		params = append(params, v)
	}
	if err := a.activate(); err != nil {
		return err
	}
	if jsonOut {
		body, err := a.sess.CallRaw(a.ctx, pos[0], withKw(params, kw)...)
		if err != nil {
			return err
		}
		v, err := decodeOrdered(body)
		if err != nil {
			return err
		}
		a.println(pyJSON(v))
		return nil
	}
	v, err := a.callKw(pos[0], params, kw)
	if err != nil {
		return err
	}
	a.println(pprint(v))
	return nil
}

func cmdListAPI(a *app, args []string) error {
	p := newParser("%prog list-api [options] [method_name ...]")
	_, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	if len(pos) > 0 {
		for _, m := range pos {
			v, err := a.call("system.methodHelp", m)
			if err != nil {
				return err
			}
			if !truthy(v) {
				return p.errorf("Unknown method: %s", m)
			}
			a.println(pyStrOf(v))
		}
		return nil
	}
	v, err := a.call("_listapi")
	if err != nil {
		return err
	}
	list := asList(v)
	sort.SliceStable(list, func(i, j int) bool { return mstr(asMap(list[i]), "name") < mstr(asMap(list[j]), "name") })
	for _, e := range list {
		m := asMap(e)
		desc := "()"
		if d, ok := m["argdesc"]; ok {
			desc = pyStrOf(d)
		} else if args := asList(m["args"]); len(args) > 0 {
			parts := make([]string, len(args))
			for i, x := range args {
				if pair := asList(x); pair != nil && len(pair) == 2 {
					parts[i] = pyStrOf(pair[0]) + "=" + pyStrOf(pair[1])
				} else {
					parts[i] = pyStrOf(x)
				}
			}
			desc = "(" + strings.Join(parts, ", ") + ")"
		}
		a.printf("%s%s\n", mstr(m, "name"), desc)
		if truthy(m["doc"]) {
			a.printf("  description: %s\n", pyStrOf(m["doc"]))
		}
	}
	return nil
}

func withKw(params []any, kw map[string]any) []any {
	if len(kw) == 0 {
		return params
	}
	m := map[string]any{"__starstar": true}
	for k, v := range kw {
		m[k] = v
	}
	return append(params, m)
}

var _ = kojiclient.FaultClass
