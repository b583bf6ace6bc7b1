// Package kojiclient is the Koji-level client shared by kojicli and builderd:
// profiles read from Koji's config files, a session that logs in by password
// or TLS certificate, keyword arguments, multicall batches and the raw chunked
// upload. It sits on the wire codec in hub/xmlrpc.
package kojiclient

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Profile is one [section] of Koji's client configuration with the defaults
// the Python library applies. Only the keys a Go client acts on are fields;
// the rest stay in Extra.
type Profile struct {
	Name        string
	Server      string // XML-RPC endpoint, e.g. https://koji.example.com/kojihub
	WebURL      string
	TopURL      string // file access over HTTP ("" when unset)
	TopDir      string
	AuthType    string // "", "noauth", "password", "ssl", "kerberos"
	User        string
	Password    string
	Cert        string // PEM with certificate and key, for authtype ssl
	ServerCA    string // CA bundle checking the hub's certificate
	NoSSLVerify bool
	Timeout     int // seconds per request
	// UploadBlocksize is the chunk size of raw uploads.
	UploadBlocksize int
	PollInterval    int // seconds between task polls
	ForceAuth       bool
	Extra           map[string]string
}

// ConfigError is a configuration problem (Koji's ConfigurationError).
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

// DefaultProfile holds Koji's built-in defaults.
func DefaultProfile(name string) Profile {
	return Profile{
		Name:            name,
		Server:          "http://localhost/kojihub",
		WebURL:          "http://localhost/koji",
		TopDir:          "/mnt/koji",
		Timeout:         60 * 60 * 12,
		UploadBlocksize: 1048576,
		PollInterval:    6,
		Extra:           map[string]string{},
	}
}

// ConfigFiles lists, in reading order, the files and directories Koji reads:
// /etc/koji.conf.d, /etc/koji.conf, then either userConfig (which must exist)
// or ~/.koji/config.d and ~/.koji/config. Later files override earlier ones.
func ConfigFiles(userConfig string) []ConfigSource {
	srcs := []ConfigSource{{Path: "/etc/koji.conf.d"}, {Path: "/etc/koji.conf"}}
	if userConfig != "" {
		return append(srcs, ConfigSource{Path: expandUser(userConfig), Required: true})
	}
	return append(srcs,
		ConfigSource{Path: expandUser("~/.koji/config.d")},
		ConfigSource{Path: expandUser("~/.koji/config")})
}

// ConfigSource is a config file, or a directory whose *.conf files are read
// in name order.
type ConfigSource struct {
	Path     string
	Required bool // a missing file is an error
}

// ReadProfile reads the named profile from the standard places (see
// ConfigFiles). A profile found in none of them is an error, as in Koji.
func ReadProfile(name, userConfig string) (Profile, error) {
	return ReadProfileFrom(name, ConfigFiles(userConfig))
}

// ReadProfileFrom reads the named profile from the given sources.
func ReadProfileFrom(name string, sources []ConfigSource) (Profile, error) {
	ini := iniFile{}
	for _, s := range sources {
		st, err := os.Stat(s.Path)
		if err != nil {
			if s.Required {
				return Profile{}, &ConfigError{fmt.Sprintf("Config file %s can't be opened.", s.Path)}
			}
			continue
		}
		files := []string{s.Path}
		if st.IsDir() {
			files, _ = filepath.Glob(filepath.Join(s.Path, "*.conf"))
			sort.Strings(files)
			if s.Required && len(files) == 0 {
				return Profile{}, &ConfigError{fmt.Sprintf("No config files found in directory: %s", s.Path)}
			}
		}
		for _, f := range files {
			if err := ini.read(f); err != nil {
				return Profile{}, err
			}
		}
	}
	sec, ok := ini[name]
	if !ok {
		return Profile{}, &ConfigError{"no configuration for profile name: " + name}
	}
	p := DefaultProfile(name)
	for k, v := range sec {
		if err := p.set(k, interpolate(v, sec)); err != nil {
			return Profile{}, err
		}
	}
	// Koji's certificate defaults: used only when the file is there.
	if p.Cert == "" {
		if fn := expandUser("~/.koji/client.crt"); exists(fn) {
			p.Cert = fn
		}
	}
	if p.ServerCA == "" {
		if fn := expandUser("~/.koji/serverca.crt"); exists(fn) {
			p.ServerCA = fn
		}
	}
	p.Cert, p.ServerCA, p.TopDir = expandUser(p.Cert), expandUser(p.ServerCA), expandUser(p.TopDir)
	return p, nil
}

func (p *Profile) set(key, v string) error {
	intval := func(dst *int) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return &ConfigError{fmt.Sprintf("value for %s config option must be a valid integer", key)}
		}
		*dst = n
		return nil
	}
	boolval := func(dst *bool) error {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "yes", "true", "on":
			*dst = true
		case "0", "no", "false", "off":
			*dst = false
		default:
			return &ConfigError{fmt.Sprintf("Not a boolean: %s", v)}
		}
		return nil
	}
	switch key {
	case "server":
		p.Server = v
	case "weburl":
		p.WebURL = v
	case "topurl":
		p.TopURL = v
	case "topdir":
		p.TopDir = v
	case "authtype":
		p.AuthType = v
	case "user":
		p.User = v
	case "password":
		p.Password = v
	case "cert":
		p.Cert = v
	case "serverca":
		p.ServerCA = v
	case "no_ssl_verify":
		return boolval(&p.NoSSLVerify)
	case "force_auth":
		return boolval(&p.ForceAuth)
	case "timeout":
		return intval(&p.Timeout)
	case "upload_blocksize":
		return intval(&p.UploadBlocksize)
	case "poll_interval":
		return intval(&p.PollInterval)
	default:
		p.Extra[key] = v
	}
	return nil
}

// iniFile is what Python's configparser keeps: section → lower-cased key → value.
type iniFile map[string]map[string]string

// read parses one file the way configparser does for Koji's files: [section]
// headers, "key = value" or "key: value", # and ; comment lines, indented
// continuation lines, and %(name)s interpolation within the section.
func (ini iniFile) read(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &ConfigError{fmt.Sprintf("Config file %s can't be opened.", path)}
	}
	defer f.Close()
	var sec map[string]string
	var lastKey string
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			lastKey = ""
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if sec != nil && lastKey != "" {
				sec[lastKey] += "\n" + trimmed
				continue
			}
		}
		if trimmed[0] == '[' && strings.HasSuffix(trimmed, "]") {
			name := trimmed[1 : len(trimmed)-1]
			if ini[name] == nil {
				ini[name] = map[string]string{}
			}
			sec, lastKey = ini[name], ""
			continue
		}
		if sec == nil {
			return &ConfigError{fmt.Sprintf("File contains no section headers.\nfile: '%s', line: %d", path, n)}
		}
		i := strings.IndexAny(trimmed, "=:")
		if i < 0 {
			sec[strings.ToLower(trimmed)] = ""
			continue
		}
		lastKey = strings.ToLower(strings.TrimSpace(trimmed[:i]))
		sec[lastKey] = strings.TrimSpace(trimmed[i+1:])
	}
	if err := sc.Err(); err != nil {
		return &ConfigError{fmt.Sprintf("reading %s: %v", path, err)}
	}
	return nil
}

// interpolate expands %(name)s from the same section, and %% to %.
func interpolate(v string, sec map[string]string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+1 < len(v) {
			if v[i+1] == '%' {
				b.WriteByte('%')
				i++
				continue
			}
			if v[i+1] == '(' {
				if j := strings.Index(v[i:], ")s"); j > 0 {
					if r, ok := sec[strings.ToLower(v[i+2:i+j])]; ok {
						b.WriteString(r)
						i += j + 1
						continue
					}
				}
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func expandUser(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return home + p[1:]
		}
	}
	return p
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
