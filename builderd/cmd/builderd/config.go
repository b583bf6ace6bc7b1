package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/gokoji/gokoji/builderd/buildroot"
)

// config is every builder setting. Each comes from, in order of precedence,
// a flag, an environment variable BUILDERD_<NAME>, the config file (--config,
// kojid.conf style: "name = value" lines under [kojid], with kojid's names or
// ours), or the default.
type config struct {
	Server, TopURL, TopDir, User, Password, Cert, ServerCA, WorkDir, LogLevel string
	SleepTime, TaskTimeout, LogInterval, Drain                                time.Duration
	MaxJobs                                                                   int
	ForceLock                                                                 bool
	Backend                                                                   string // auto, rpmbuild or mock
	MockIsolation, MockSetup, MockCacheDir                                    string
}

// kojidNames maps kojid.conf's option names to our flags.
var kojidNames = map[string]string{"server": "server", "topurl": "topurl", "topdir": "topdir", "user": "user", "password": "password",
	"cert": "cert", "serverca": "serverca", "workdir": "workdir", "sleeptime": "sleeptime", "maxjobs": "maxjobs",
	"timeout": "task-timeout"}

func loadConfig(args []string, getenv func(string) string) (config, error) {
	var c config
	fs := flag.NewFlagSet("builderd", flag.ContinueOnError)
	file := fs.String("config", "", "config file in kojid.conf style")
	fs.StringVar(&c.Server, "server", "http://127.0.0.1:8080/kojihub", "the hub's XML-RPC URL")
	fs.StringVar(&c.TopURL, "topurl", "http://127.0.0.1:8080/kojifiles", "the hub's file tree URL")
	fs.StringVar(&c.TopDir, "topdir", "", "the hub's file tree mounted here (as kojid's /mnt/koji): needed to run newRepo and createrepo tasks")
	fs.StringVar(&c.User, "user", "", "the host's user name (password login); empty for a TLS certificate")
	fs.StringVar(&c.Password, "password", "", "the host's password (set with addHost's password keyword)")
	fs.StringVar(&c.Cert, "cert", "", "PEM file with the host's client certificate and key")
	fs.StringVar(&c.ServerCA, "serverca", "", "CA bundle for the hub's certificate")
	fs.StringVar(&c.WorkDir, "workdir", "/var/tmp/builderd", "local scratch space")
	fs.DurationVar(&c.SleepTime, "sleeptime", 5*time.Second, "pause between polls when idle")
	fs.IntVar(&c.MaxJobs, "maxjobs", 4, "tasks run at once")
	fs.DurationVar(&c.TaskTimeout, "task-timeout", 24*time.Hour, "wall-clock limit of one task")
	fs.DurationVar(&c.LogInterval, "log-interval", 2*time.Second, "how often running logs are uploaded")
	fs.DurationVar(&c.Drain, "drain", 5*time.Minute, "on SIGTERM, how long running tasks may finish before they are freed")
	fs.BoolVar(&c.ForceLock, "force-lock", false, "take the host's exclusive session from another process")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.Backend, "backend", "auto", "how to build: rpmbuild, mock, or auto (mock when it is on PATH, else rpmbuild)")
	fs.StringVar(&c.MockIsolation, "mock-isolation", "simple", "mock's isolation: simple, nspawn or auto")
	fs.StringVar(&c.MockSetup, "mock-setup", "", "packages a fresh mock root gets, space or comma separated (default: the build tag's build group)")
	fs.StringVar(&c.MockCacheDir, "mock-cache-dir", "", "mock's cache_topdir, shared by tasks (default: <workdir>/mock-cache)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fileVals := map[string]string{}
	if *file != "" {
		var err error
		if fileVals, err = readINI(*file); err != nil {
			return c, err
		}
	}
	var ferr error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || f.Name == "config" || ferr != nil {
			return
		}
		env := "BUILDERD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := getenv(env), getenv(env) != ""
		if !ok {
			v, ok = fileVals[f.Name]
		}
		if !ok {
			return
		}
		if f.Name == "sleeptime" || f.Name == "task-timeout" {
			if _, err := time.ParseDuration(v); err != nil {
				v += "s" // kojid.conf gives seconds
			}
		}
		if err := f.Value.Set(v); err != nil {
			ferr = fmt.Errorf("%s: %w", f.Name, err)
		}
	})
	if ferr != nil {
		return c, ferr
	}
	if c.MaxJobs < 1 || c.SleepTime <= 0 {
		return c, fmt.Errorf("--maxjobs and --sleeptime must be positive")
	}
	if c.User == "" && c.Cert == "" {
		return c, fmt.Errorf("give --user and --password, or --cert")
	}
	// Commands run in the tasks' own directories, so no path under the
	// work directory may be relative.
	wd, err := filepath.Abs(c.WorkDir)
	if err != nil {
		return c, fmt.Errorf("--workdir: %w", err)
	}
	c.WorkDir = wd
	switch c.Backend {
	case "auto", "rpmbuild", "mock":
	default:
		return c, fmt.Errorf("--backend %q: want auto, rpmbuild or mock", c.Backend)
	}
	switch c.MockIsolation {
	case "simple", "nspawn", "auto":
	default:
		return c, fmt.Errorf("--mock-isolation %q: want simple, nspawn or auto", c.MockIsolation)
	}
	return c, nil
}

// newBackend makes the configured backend. auto takes mock when it can be
// run, as Koji's builders build in mock; asking for mock where it cannot
// be run is an error now rather than a failure in every task.
func newBackend(c config) (buildroot.Backend, error) {
	cache := c.MockCacheDir
	if cache == "" {
		cache = filepath.Join(c.WorkDir, "mock-cache")
	}
	if abs, err := filepath.Abs(cache); err == nil {
		cache = abs // a mock config takes absolute paths only
	}
	mock := &buildroot.Mock{
		Isolation:     c.MockIsolation,
		SetupPackages: strings.FieldsFunc(c.MockSetup, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }),
		CacheDir:      cache,
	}
	switch c.Backend {
	case "rpmbuild":
		return &buildroot.RPMBuild{}, nil
	case "mock":
		if err := mock.Available(); err != nil {
			return nil, fmt.Errorf("--backend mock: %w", err)
		}
		return mock, nil
	}
	if mock.Available() == nil {
		return mock, nil
	}
	return &buildroot.RPMBuild{}, nil
}

func readINI(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: expected name = value", path, n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if ours, ok := kojidNames[k]; ok {
			k = ours
		}
		out[k] = v
	}
	return out, sc.Err()
}
