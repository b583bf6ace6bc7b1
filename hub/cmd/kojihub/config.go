package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is every hub setting. Each comes from, in order of precedence, a
// command-line flag, an environment variable KOJIHUB_<NAME> (upper case,
// dashes as underscores), the config file (--config, "name = value" lines,
// an optional [hub] section), or the default.
type config struct {
	Listen         string
	Data           string
	DB             string
	AdminPassword  string
	TLSCert        string
	TLSKey         string
	TLSClientCA    string
	MaxRequestSize int64
	MaxDepth       int
	SessionTimeout time.Duration
	CheckClientIP  bool
	LogLevel       string
	TopURL         string
	RepoManager    bool
	HubTasks       bool
	RepoRetention  time.Duration
	ReadyTimeout   time.Duration
	AssignTimeout  time.Duration
	HostTimeout    time.Duration
	RunInterval    time.Duration
	MaxHostLosses  int
	EmailDomain    string
}

// kojiNames maps Koji's hub.conf option names to our settings; in a config
// file they may be used instead, and (as in Koji) a bare number is seconds.
var kojiNames = map[string]string{
	"ReadyTimeout": "ready-timeout", "AssignTimeout": "assign-timeout", "HostTimeout": "host-timeout",
	"RunInterval": "run-interval", "EmailDomain": "email-domain",
}

func newFlagSet(c *config) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("kojihub", flag.ContinueOnError)
	file := fs.String("config", "", "config file with name = value lines (flag names as keys)")
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "address to serve HTTP (or HTTPS with --tls-cert) on")
	fs.StringVar(&c.Data, "data", "./data", "directory for the SQLite database and the topdir")
	fs.StringVar(&c.DB, "db", "", "database: empty for SQLite in --data, or a postgres:// DSN")
	fs.StringVar(&c.AdminPassword, "admin-password", "", "password for the kojiadmin user created on first start (generated and printed if empty)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "TLS certificate file; turns on HTTPS")
	fs.StringVar(&c.TLSKey, "tls-key", "", "TLS private key file")
	fs.StringVar(&c.TLSClientCA, "tls-client-ca", "", "CA bundle for verifying client certificates (sslLogin)")
	fs.Int64Var(&c.MaxRequestSize, "max-request-size", 4194304, "largest XML-RPC request body in bytes (Koji's MaxRequestLength)")
	fs.IntVar(&c.MaxDepth, "max-depth", 64, "deepest nesting of arrays and structs accepted in a request")
	fs.DurationVar(&c.SessionTimeout, "session-timeout", 24*time.Hour, "session lifetime before renewal (Koji's SessionRenewalTimeout)")
	fs.BoolVar(&c.CheckClientIP, "check-client-ip", true, "tie sessions to the client address that logged in")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&c.TopURL, "topurl", "", "the URL of /kojifiles/ as clients see it, for dnf .repo files (default http://<listen>/kojifiles)")
	fs.StringVar(&c.EmailDomain, "email-domain", "", "domain of the addresses build notifications record (<user>@<domain>; Koji's EmailDomain); no mail is sent")
	fs.BoolVar(&c.RepoManager, "repo-manager", true, "regenerate repos of build tags when their content changes (off: only by hand)")
	fs.BoolVar(&c.HubTasks, "hub-tasks", true, "run the tasks the hub runs itself (tagBuild) in this hub")
	fs.DurationVar(&c.RepoRetention, "repo-retention", 24*time.Hour, "how long an expired repo is kept before it is deleted")
	fs.DurationVar(&c.ReadyTimeout, "ready-timeout", 180*time.Second, "a host with no heartbeat this long is marked not ready (Koji's ReadyTimeout)")
	fs.DurationVar(&c.AssignTimeout, "assign-timeout", 300*time.Second, "an ASSIGNED task its host has not opened this long goes back to FREE (Koji's AssignTimeout)")
	fs.DurationVar(&c.HostTimeout, "host-timeout", 900*time.Second, "OPEN tasks of a host silent this long go back to FREE (Koji's HostTimeout)")
	fs.DurationVar(&c.RunInterval, "run-interval", 60*time.Second, "at most one scheduler pass per interval, across all hubs (Koji's RunInterval)")
	fs.IntVar(&c.MaxHostLosses, "max-host-losses", 3, "a task freed this many times from silent hosts fails instead")
	return fs, file
}

func loadConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs, file := newFlagSet(&c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if *file == "" {
		*file = getenv("KOJIHUB_CONFIG")
	}
	fileVals := map[string]string{}
	if *file != "" {
		var err error
		if fileVals, err = readConfigFile(*file); err != nil {
			return c, err
		}
	}
	var setErr error
	fs.VisitAll(func(f *flag.Flag) {
		if explicit[f.Name] || f.Name == "config" || setErr != nil {
			return
		}
		env := "KOJIHUB_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" {
			if err := f.Value.Set(v); err != nil {
				setErr = fmt.Errorf("%s: %w", env, err)
			}
			return
		}
		if v, ok := fileVals[f.Name]; ok {
			if err := f.Value.Set(v); err != nil {
				setErr = fmt.Errorf("%s: %s: %w", *file, f.Name, err)
			}
			delete(fileVals, f.Name)
		}
	})
	if setErr != nil {
		return c, setErr
	}
	for k := range fileVals {
		if fs.Lookup(k) == nil {
			return c, fmt.Errorf("%s: unknown setting %q", *file, k)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return c, fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if c.MaxRequestSize <= 0 || c.MaxDepth <= 0 {
		return c, fmt.Errorf("--max-request-size and --max-depth must be positive")
	}
	if c.ReadyTimeout <= 0 || c.AssignTimeout <= 0 || c.HostTimeout <= 0 || c.RunInterval < 0 || c.MaxHostLosses < 0 {
		return c, fmt.Errorf("--ready-timeout, --assign-timeout and --host-timeout must be positive; --run-interval and --max-host-losses not negative")
	}
	return c, nil
}

func readConfigFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line == "[hub]" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: expected name = value", path, n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if flag, ok := kojiNames[k]; ok {
			k = flag
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				v += "s" // Koji gives seconds
			}
		}
		vals[k] = v
	}
	return vals, sc.Err()
}
