// Command builderd is the build host daemon: it logs in to the hub as a
// host, takes tasks and builds RPMs with rpmbuild or mock.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/builderd"
	"github.com/gokoji/gokoji/hub/kojiclient"
)

func main() {
	cfg, err := loadConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "builderd:", err)
		os.Exit(2)
	}
	log := logrus.New()
	if lvl, err := logrus.ParseLevel(cfg.LogLevel); err == nil {
		log.SetLevel(lvl)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = run(ctx, cfg, log)
	if errors.Is(err, builderd.ErrRestart) {
		// run logged out, which ended the exclusive session: the new
		// process takes it again without --force-lock.
		stop()
		err = reexec(log)
	}
	if err != nil {
		log.WithError(err).Error("builderd stopped")
		os.Exit(1)
	}
}

// reexec replaces this process with a fresh builderd run with the same
// arguments and environment, as kojid restarts itself.
func reexec(log *logrus.Logger) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	log.WithField("executable", exe).Warn("restarting")
	return fmt.Errorf("restart: exec %s: %w", exe, syscall.Exec(exe, os.Args, os.Environ()))
}

func run(ctx context.Context, cfg config, log *logrus.Logger) error {
	backend, err := newBackend(cfg)
	if err != nil {
		return err
	}
	p := kojiclient.DefaultProfile("builderd")
	p.Server, p.TopURL, p.Cert, p.ServerCA = cfg.Server, cfg.TopURL, cfg.Cert, cfg.ServerCA
	s, err := kojiclient.New(p)
	if err != nil {
		return err
	}
	// The session must outlive ctx: shutdown still reports to the hub.
	bg := context.Background()
	if cfg.User != "" {
		err = s.Login(bg, cfg.User, cfg.Password)
	} else {
		err = s.SSLLogin(bg, "")
	}
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	// Logging out ends the exclusive session, so a restarted builderd
	// (ErrRestart) takes it again without --force-lock.
	defer func() {
		if err := s.Logout(bg); err != nil {
			log.WithError(err).Warn("logout failed")
		}
	}()
	if _, err := s.CallKw(bg, "exclusiveSession", nil, map[string]any{"force": cfg.ForceLock}); err != nil {
		return fmt.Errorf("exclusiveSession (another builderd for this host running? use --force-lock): %w", err)
	}
	if res, err := s.Call(bg, "echo", "OK"); err != nil || fmt.Sprint(res) != "[OK]" {
		return fmt.Errorf("the hub does not answer echo(\"OK\") as a Koji hub should: %v %v", res, err)
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return err
	}
	d := &builderd.Daemon{
		Hub: builderd.NewSessionHub(s),
		Config: builderd.Config{WorkDir: cfg.WorkDir, TopURL: cfg.TopURL, TopDir: cfg.TopDir, SleepTime: cfg.SleepTime,
			MaxJobs: cfg.MaxJobs, TaskTimeout: cfg.TaskTimeout, LogInterval: cfg.LogInterval},
		Log:      log,
		Handlers: builderd.Handlers(backend),
	}
	if cfg.TopDir != "" {
		if st, err := os.Stat(cfg.TopDir); err != nil || !st.IsDir() {
			return fmt.Errorf("--topdir %s must be the hub's file tree, mounted: %v", cfg.TopDir, err)
		}
		// Repos are written in place, as kojid writes them: only a host
		// that sees the hub's file tree can run these.
		for m, h := range builderd.RepoHandlers() {
			d.Handlers[m] = h
		}
	}
	log.Infof("builderd for %s: %s, backend %s, up to %d tasks", cfg.User, cfg.Server, backend.Name(), cfg.MaxJobs)
	return d.Run(ctx, cfg.Drain)
}
