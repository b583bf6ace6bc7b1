// Package kojicli is a Go command-line client for Koji hubs (ours or
// Koji's). It reads the same config files and profiles as the Python koji
// CLI, takes the same commands and flags, makes the same hub calls and prints
// the same output, so scripts written against one work with the other.
package kojicli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"sort"
	"strings"
	"time"

	"github.com/gokoji/gokoji/hub/kojiclient"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// ClientVersion is the Koji release whose CLI this one follows.
const ClientVersion = "1.35.3"

// command is one subcommand.
type command struct {
	name    string
	anon    bool // read-only: no login unless --force-auth or --mine
	section string
	summary string
	run     func(a *app, args []string) error
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

var aliases = map[string]string{
	"cancel-task": "cancel", "cxl": "cancel", "move-pkg": "move-build", "move": "move-build",
	"latest-pkg": "latest-build", "tag-pkg": "tag-build", "tag": "tag-build",
	"untag-pkg": "untag-build", "untag": "untag-build", "watch-tasks": "watch-task",
}

// greetings for hello; any of them also works as the command name.
var greetings = []string{"hello", "hi", "yo", "what's up", "g'day", "back to work", "bonjour",
	"hallo", "ciao", "hola", "olá", "dobrý den", "zdravstvuite", "góðan daginn", "hej",
	"tervehdys", "grüezi", "céad míle fáilte", "hylô", "bună ziua", "jó napot", "dobré jitro",
	"dobrý večer", "dzień dobry", "goedendag", "moshimoshi"}

// app is one run of the CLI.
type app struct {
	ctx     context.Context
	out     io.Writer
	errw    io.Writer
	g       values // global options
	profile kojiclient.Profile
	noauth  bool
	quiet   bool
	sess    *kojiclient.Session
	env     Env

	quietOut io.Writer // the real stdout while a.out is muted
}

// exitError is Python's error(msg, code): msg (if any) on stderr, exit code.
// No logout follows, as in the Python CLI.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func fail(format string, args ...any) error { return &exitError{1, fmt.Sprintf(format, args...)} }

// exitCode ends the command with a code and no message (a handler's return value).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func globalParser() *optionParser {
	p := newParser("%prog [global-options] command [command-options-and-arguments]")
	p.noHelpSuffix = true
	p.interspersed = false
	p.str("-p", "--profile", "configuration profile to use (default: koji)")
	p.add(&option{short: "-c", long: "--config", dest: "configFile", kind: optString, metavar: "FILE",
		help: "read the profile from this file instead of ~/.koji/config"})
	p.add(&option{long: "--keytab", kind: optString, metavar: "FILE", help: "Kerberos keytab (not supported)"})
	p.str("", "--principal", "Kerberos principal (not supported)")
	p.add(&option{long: "--cert", kind: optString, metavar: "FILE", help: "TLS client certificate (PEM with its key)"})
	p.str("", "--runas", "act as this user (needs the proxy right on the hub)")
	p.str("", "--user", "user name for password login")
	p.str("", "--password", "password for password login")
	p.flag("", "--noauth", "do not log in")
	p.flag("", "--force-auth", "log in even for read-only commands")
	p.str("", "--authtype", "how to log in: noauth, ssl, password or kerberos")
	p.flag("-d", "--debug", "print debugging output")
	p.flag("", "--debug-xmlrpc", "print XML-RPC debugging output")
	p.flag("-q", "--quiet", "print less")
	p.flag("", "--skip-main", "do not run the command")
	p.str("-s", "--server", "XML-RPC URL of the hub")
	p.str("", "--topdir", "local path of the hub's file tree")
	p.str("", "--weburl", "URL of the web interface")
	p.str("", "--topurl", "URL of the hub's file tree")
	p.add(&option{long: "--pkgurl", kind: optString, help: "obsolete; use --topurl"})
	p.add(&option{long: "--plugin-paths", kind: optString, metavar: "PATHS", help: "ignored: plugins are Python"})
	p.flag("", "--help-commands", "list the commands")
	return p
}

// Env is what a run learns from the process around it rather than from its
// arguments. The zero Env is the real one; tests give their own.
type Env struct {
	// Background reports Python's _running_in_bg: stdin is not a terminal,
	// or the process is not in the terminal's foreground group. Commands
	// that would watch a task by default (build, resubmit, tag-build …) do
	// not watch then, and uploads show no progress. Nil asks the terminal.
	Background func() bool
	// Sleep waits between polls of watch-task and friends. Nil waits on a
	// timer that an ended context interrupts.
	Sleep func(time.Duration)
}

// Main runs the CLI with args (without the program name) and returns the
// exit status.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return MainEnv(ctx, args, stdout, stderr, Env{})
}

// MainEnv is Main in the given surroundings.
func MainEnv(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) int {
	a := &app{ctx: ctx, out: stdout, errw: stderr, env: env}
	return a.main(args)
}

func (a *app) main(args []string) int {
	gp := globalParser()
	g, rest, err := gp.parse(args)
	if err != nil {
		return a.report(err)
	}
	a.g = g
	profileName := g.s("profile")
	if profileName == "" {
		profileName = "koji"
	}
	prof, err := kojiclient.ReadProfile(profileName, g.s("configFile"))
	if err != nil {
		return a.report(gp.errorf("%s", err.Error()))
	}
	for dest, dst := range map[string]*string{"server": &prof.Server, "weburl": &prof.WebURL,
		"topurl": &prof.TopURL, "topdir": &prof.TopDir, "user": &prof.User, "password": &prof.Password,
		"authtype": &prof.AuthType, "cert": &prof.Cert} {
		if g.has(dest) {
			*dst = g.s(dest)
		}
	}
	if g.b("force_auth") {
		prof.ForceAuth = true
	}
	a.profile, a.noauth, a.quiet = prof, g.b("noauth"), g.b("quiet")
	if len(rest) == 0 || g.b("help_commands") {
		a.listCommands()
		return 0
	}
	name := rest[0]
	if al, ok := aliases[name]; ok {
		name = al
	}
	for _, gr := range greetings {
		if strings.ToLower(name) == gr {
			name = "moshimoshi"
		}
	}
	cmd := commands[name]
	if cmd == nil {
		a.listCommands()
		a.logError("Unknown command: " + rest[0])
		return 1
	}
	if cmd.anon && !prof.ForceAuth && !contains(rest, "--mine") {
		a.noauth = true
	}
	if g.b("skip_main") {
		return 0
	}
	sess, err := kojiclient.New(prof)
	if err != nil {
		return a.report(err)
	}
	a.sess = sess
	err = cmd.run(a, rest[1:])
	rc := a.report(err)
	var ue *usageError
	var ee *exitError
	if !errors.As(err, &ue) && !errors.As(err, &ee) && !errors.Is(err, helpExit{}) {
		// The Python CLI logs out after a normal end or a logged exception,
		// not after parser.error() or error().
		a.sess.Logout(a.ctx)
	}
	return rc
}

// report prints err the way the Python CLI would and returns the exit code.
func (a *app) report(err error) int {
	if err == nil {
		return 0
	}
	var ue *usageError
	var ee *exitError
	var ec exitCode
	var f *xmlrpc.Fault
	var ce *kojiclient.ConnError
	var he *xmlrpc.HTTPError
	var cfg *kojiclient.ConfigError
	var pe *pyError
	switch {
	case errors.Is(err, helpExit{}):
		return 0
	case errors.As(err, &ue):
		ue.p.printError(a.errw, ue.msg)
		return 2
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(a.errw, ee.msg)
		}
		return ee.code
	case errors.As(err, &ec):
		return int(ec)
	case errors.As(err, &f):
		a.logError(kojiclient.FaultClass(f) + ": " + f.String)
	case errors.As(err, &ce):
		a.logError("ConnectionError: " + ce.Err.Error())
	case errors.As(err, &he):
		a.logError("HTTPError: " + he.Status + " for url: " + a.profile.Server)
	case errors.As(err, &cfg):
		a.logError("ConfigurationError: " + cfg.Msg)
	case errors.As(err, &pe):
		a.logError(pe.Error())
	default:
		a.logError("GenericError: " + err.Error())
	}
	return 1
}

// logError prints as the Python CLI's logger: "<time> [ERROR] koji: msg".
func (a *app) logError(msg string) {
	now := time.Now()
	fmt.Fprintf(a.errw, "%s,%03d [ERROR] koji: %s\n", now.Format("2006-01-02 15:04:05"), now.Nanosecond()/1e6, msg)
}

func (a *app) warn(format string, args ...any) {
	fmt.Fprintf(a.errw, format+"\n", args...)
}

func (a *app) printf(format string, args ...any) { fmt.Fprintf(a.out, format, args...) }
func (a *app) println(args ...any)               { fmt.Fprintln(a.out, args...) }

func (a *app) listCommands() {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	a.printf("Available commands:\n")
	for _, n := range names {
		a.printf("        %-25s %s\n", n, commands[n].summary)
	}
	a.printf("\nTry \"koji --help\" for help about global options\n" +
		"Try \"koji <command> --help\" for help about the options of a particular command\n")
}

// activate logs in as activate_session does, then checks the API version.
func (a *app) activate() error {
	if a.sess.LoggedIn() {
		return nil
	}
	if !a.noauth && a.profile.AuthType != "noauth" {
		err := a.sess.Activate(a.ctx, a.profile, false)
		if errors.Is(err, kojiclient.ErrNoAuthMethod) {
			return fail("%s", err.Error())
		}
		if err != nil {
			return err
		}
	}
	return a.checkAPI()
}

// ensureConn is ensure_connection: an anonymous getAPIVersion, or a login
// with --force-auth.
func (a *app) ensureConn() error {
	if a.profile.ForceAuth {
		return a.activate()
	}
	return a.checkAPI()
}

func (a *app) checkAPI() error {
	v, err := a.sess.Call(a.ctx, "getAPIVersion")
	var ce *kojiclient.ConnError
	if errors.As(err, &ce) {
		a.warn("Error: Unable to connect to server")
		if a.g.b("debug") {
			return fail("%v", ce.Err)
		}
		return &exitError{1, ""}
	}
	if err != nil {
		return err
	}
	if n, _ := v.(int64); n != 1 {
		a.warn("WARNING: The server is at API version %d and the client is at %d", n, 1)
	}
	return nil
}

func (a *app) call(method string, params ...any) (any, error) {
	return a.sess.Call(a.ctx, method, params...)
}

func (a *app) callKw(method string, params []any, kw map[string]any) (any, error) {
	return a.sess.CallKw(a.ctx, method, params, kw)
}

// multi runs a batch; strict turns the first fault into the error.
func (a *app) multi(calls []kojiclient.MultiCall, strict bool) ([]kojiclient.MultiResult, error) {
	res, err := a.sess.Multicall(a.ctx, calls)
	if err != nil {
		return nil, err
	}
	if strict {
		for _, r := range res {
			if r.Fault != nil {
				return nil, r.Fault
			}
		}
	}
	return res, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parse parses a command's args; --help prints help to stdout.
func (a *app) parse(p *optionParser, args []string) (values, []string, error) {
	v, pos, err := p.parse(args)
	if errors.Is(err, helpExit{}) {
		p.printHelp(a.out)
	}
	return v, pos, err
}

func randomGreeting() string { return greetings[rand.Intn(len(greetings))] }

// Value helpers for decoded XML-RPC answers.

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asList(v any) []any         { l, _ := v.([]any); return l }
func mstr(m map[string]any, k string) string {
	switch x := m[k].(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}
func mint(m map[string]any, k string) int64 {
	switch x := m[k].(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}
func mbool(m map[string]any, k string) bool { return truthy(m[k]) }

// pyStrOf is Python's str(): None, True, lists as repr, strings as is.
func pyStrOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

func truthy(v any) bool { return xmlrpc.Truthy(v) }

// isFault returns the hub fault in err, if any.
func isFault(err error) (*xmlrpc.Fault, bool) {
	var f *xmlrpc.Fault
	ok := errors.As(err, &f)
	return f, ok
}
