package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gokoji/gokoji/builderd/buildroot"
)

func TestLoadConfigBackend(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kojid.conf")
	os.WriteFile(file, []byte("[kojid]\nuser = builder1\nbackend = rpmbuild\nmock-isolation = nspawn\nmock-setup = bash, rpm-build\n"), 0o644)
	login := []string{"--user", "builder1"}
	cases := []struct {
		name                      string
		args                      []string
		env                       map[string]string
		backend, isolation, setup string
		err                       string // in the error; "" for none
	}{
		{name: "defaults", args: login, backend: "auto", isolation: "simple"},
		{name: "flag", args: append(login, "--backend", "mock", "--mock-isolation", "auto"), backend: "mock", isolation: "auto"},
		{name: "environment", args: login, env: map[string]string{"BUILDERD_BACKEND": "rpmbuild", "BUILDERD_MOCK_SETUP": "bash"},
			backend: "rpmbuild", isolation: "simple", setup: "bash"},
		{name: "config file", args: []string{"--config", file}, backend: "rpmbuild", isolation: "nspawn", setup: "bash, rpm-build"},
		{name: "flag over file", args: []string{"--config", file, "--backend", "auto"}, backend: "auto", isolation: "nspawn", setup: "bash, rpm-build"},
		{name: "environment over file", args: []string{"--config", file}, env: map[string]string{"BUILDERD_BACKEND": "mock"},
			backend: "mock", isolation: "nspawn", setup: "bash, rpm-build"},
		{name: "unknown backend", args: append(login, "--backend", "docker"), err: `--backend "docker"`},
		{name: "unknown isolation", args: append(login, "--mock-isolation", "chroot"), err: `--mock-isolation "chroot"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(tc.args, func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one about %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Backend != tc.backend || c.MockIsolation != tc.isolation || c.MockSetup != tc.setup {
				t.Errorf("backend %q, isolation %q, setup %q; want %q, %q, %q",
					c.Backend, c.MockIsolation, c.MockSetup, tc.backend, tc.isolation, tc.setup)
			}
		})
	}
}

func TestLoadConfigWorkDirIsAbsolute(t *testing.T) {
	c, err := loadConfig([]string{"--user", "b", "--workdir", "work"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cwd, _ := os.Getwd()
	if c.WorkDir != filepath.Join(cwd, "work") {
		t.Errorf("workdir %q, want it absolute", c.WorkDir)
	}
}

// TestNewBackend: auto takes mock when it is on PATH; mock where it is not
// is an error at startup.
func TestNewBackend(t *testing.T) {
	withMock := t.TempDir()
	os.WriteFile(filepath.Join(withMock, "mock"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	withoutMock := t.TempDir()
	cases := []struct {
		backend, path string
		want          string // backend name; "" for an error
	}{
		{"auto", withMock, "mock"},
		{"auto", withoutMock, "rpmbuild"},
		{"mock", withMock, "mock"},
		{"mock", withoutMock, ""},
		{"rpmbuild", withMock, "rpmbuild"},
		{"rpmbuild", withoutMock, "rpmbuild"},
	}
	for _, tc := range cases {
		t.Run(tc.backend+" "+map[bool]string{true: "with mock", false: "without mock"}[tc.path == withMock], func(t *testing.T) {
			t.Setenv("PATH", tc.path)
			b, err := newBackend(config{Backend: tc.backend, WorkDir: "/var/tmp/builderd", MockIsolation: "simple"})
			if tc.want == "" {
				if err == nil || !strings.Contains(err.Error(), "--backend mock") || !strings.Contains(err.Error(), "needs mock") {
					t.Fatalf("err = %v, want one saying mock is missing", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.Name() != tc.want {
				t.Errorf("backend %s, want %s", b.Name(), tc.want)
			}
		})
	}
}

func TestNewBackendMockSettings(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mock"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	t.Setenv("PATH", dir)
	cases := []struct {
		name string
		c    config
		want buildroot.Mock
	}{
		{"defaults", config{Backend: "mock", WorkDir: "/var/tmp/builderd", MockIsolation: "simple"},
			buildroot.Mock{Isolation: "simple", SetupPackages: []string{}, CacheDir: "/var/tmp/builderd/mock-cache"}},
		{"set", config{Backend: "mock", WorkDir: "/w", MockIsolation: "nspawn", MockSetup: " bash,rpm-build  redhat-rpm-config ,", MockCacheDir: "/cache"},
			buildroot.Mock{Isolation: "nspawn", SetupPackages: []string{"bash", "rpm-build", "redhat-rpm-config"}, CacheDir: "/cache"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := newBackend(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if m, ok := b.(*buildroot.Mock); !ok || !reflect.DeepEqual(*m, tc.want) {
				t.Errorf("backend %+v, want %+v", b, tc.want)
			}
		})
	}
}

func TestLoadConfigTopDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kojid.conf")
	os.WriteFile(file, []byte("[kojid]\nuser = builder1\ntopdir = /mnt/koji\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unset", []string{"--user", "b"}, ""},
		{"kojid.conf name", []string{"--config", file}, "/mnt/koji"},
		{"flag over file", []string{"--config", file, "--topdir", "/srv/koji"}, "/srv/koji"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := loadConfig(tc.args, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			if c.TopDir != tc.want {
				t.Errorf("TopDir = %q, want %q", c.TopDir, tc.want)
			}
		})
	}
}
