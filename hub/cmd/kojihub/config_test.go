package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hub.conf")
	os.WriteFile(file, []byte("[hub]\n# comment\nlisten = 0.0.0.0:9000\ndata = /from/file\nsession-timeout = 2h\n"), 0o644)
	env := map[string]string{"KOJIHUB_DATA": "/from/env", "KOJIHUB_CONFIG": file}
	c, err := loadConfig([]string{"--session-timeout", "3h"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "0.0.0.0:9000" || c.Data != "/from/env" || c.SessionTimeout != 3*time.Hour {
		t.Errorf("config = %+v", c)
	}
	if c.MaxRequestSize != 4194304 || !c.CheckClientIP {
		t.Errorf("defaults lost: %+v", c)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(bad, []byte("nosuch = 1\n"), 0o644)
	cases := [][]string{
		{"--tls-cert", "x"},
		{"--max-depth", "0"},
		{"--config", bad},
		{"stray"},
		{"--listen"},
	}
	for _, args := range cases {
		if _, err := loadConfig(args, func(string) string { return "" }); err == nil {
			t.Errorf("loadConfig(%v) accepted bad input", args)
		}
	}
}

func TestLoadConfigSchedulerTimeouts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "hub.conf")
	os.WriteFile(file, []byte("[hub]\nReadyTimeout = 30\nAssignTimeout = 2m\nhost-timeout = 90s\n"), 0o644)
	c, err := loadConfig([]string{"--config", file, "--run-interval", "5s"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.ReadyTimeout != 30*time.Second || c.AssignTimeout != 2*time.Minute || c.HostTimeout != 90*time.Second || c.RunInterval != 5*time.Second {
		t.Errorf("config = %+v", c)
	}
	def, err := loadConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if def.ReadyTimeout != 180*time.Second || def.AssignTimeout != 300*time.Second || def.HostTimeout != 900*time.Second {
		t.Errorf("defaults = %+v", def)
	}
	if _, err := loadConfig([]string{"--host-timeout", "0s"}, func(string) string { return "" }); err == nil {
		t.Error("a zero host timeout was accepted")
	}
}
