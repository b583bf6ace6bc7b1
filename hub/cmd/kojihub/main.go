// Command kojihub runs the hub: XML-RPC at /kojihub, files at /kojifiles/.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	stdlog "log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub/api"
	"github.com/gokoji/gokoji/hub/server"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

func main() {
	cfg, err := loadConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kojihub:", err)
		os.Exit(2)
	}
	log := logrus.New()
	if lvl, err := logrus.ParseLevel(cfg.LogLevel); err == nil {
		log.SetLevel(lvl)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.WithError(err).Error("kojihub stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, log *logrus.Logger) error {
	topdir := filepath.Join(cfg.Data, "topdir")
	if err := os.MkdirAll(topdir, 0o755); err != nil {
		return fmt.Errorf("create topdir: %w", err)
	}
	dsn := cfg.DB
	if dsn == "" {
		dsn = filepath.Join(cfg.Data, "koji.db")
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pw, err := api.Bootstrap(ctx, db, cfg.AdminPassword)
	if err != nil {
		return fmt.Errorf("create admin user: %w", err)
	}
	if pw != "" && cfg.AdminPassword == "" {
		// Printed once, on the first start only.
		fmt.Printf("Created admin user %q with password: %s\n", api.AdminUser, pw)
	}
	apiCfg := api.DefaultConfig()
	apiCfg.SessionTimeout = cfg.SessionTimeout
	apiCfg.CheckClientIP = cfg.CheckClientIP
	apiCfg.TopDir = topdir
	apiCfg.Scheduler.ReadyTimeout = cfg.ReadyTimeout
	apiCfg.Scheduler.AssignTimeout = cfg.AssignTimeout
	apiCfg.Scheduler.HostTimeout = cfg.HostTimeout
	apiCfg.Scheduler.RunInterval = cfg.RunInterval
	apiCfg.Scheduler.MaxHostLosses = cfg.MaxHostLosses
	apiCfg.Options = map[string]any{"MaxRequestLength": cfg.MaxRequestSize, "MaxNestingDepth": int64(cfg.MaxDepth),
		"ReadyTimeout": cfg.ReadyTimeout.Seconds(), "AssignTimeout": cfg.AssignTimeout.Seconds(),
		"HostTimeout": cfg.HostTimeout.Seconds(), "RunInterval": cfg.RunInterval.Seconds()}
	if cfg.EmailDomain != "" {
		apiCfg.Options["EmailDomain"] = cfg.EmailDomain
	}
	apiCfg.TopURL = cfg.TopURL
	if apiCfg.TopURL == "" {
		scheme := "http"
		if cfg.TLSCert != "" {
			scheme = "https"
		}
		apiCfg.TopURL = scheme + "://" + cfg.Listen + "/kojifiles"
	}
	dispatcher := api.NewDispatcher(db, apiCfg, log)
	// Passes also run without builders polling, so silent hosts are noticed.
	go dispatcher.Sched.Run(ctx, db, dispatcher.Now)
	repoCfg := api.DefaultRepoConfig()
	repoCfg.TopURL = apiCfg.TopURL
	repoCfg.Retention = cfg.RepoRetention
	if host, err := os.Hostname(); err == nil {
		repoCfg.Holder = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	// Repos follow tag changes with no separate daemon.
	if cfg.RepoManager {
		go api.NewRepoManager(dispatcher, repoCfg).Run(ctx)
	}
	// Tasks the hub runs itself (tagBuild): no builder needed.
	if cfg.HubTasks {
		go dispatcher.HubTaskWorker(ctx, 5*time.Second)
	}
	srv := &server.Server{
		Dispatcher: dispatcher,
		TopDir:     topdir,
		Limits:     xmlrpc.Limits{MaxBodyBytes: cfg.MaxRequestSize, MaxDepth: cfg.MaxDepth},
		Log:        log,
	}
	// The server's own complaints (failed TLS handshakes, say) go to the
	// hub's log, not to stderr.
	errLog := log.WriterLevel(logrus.WarnLevel)
	defer errLog.Close()
	httpSrv := &http.Server{Addr: cfg.Listen, Handler: srv.Handler(), ReadHeaderTimeout: 30 * time.Second,
		ErrorLog: stdlog.New(errLog, "", 0)}
	tlsOn := cfg.TLSCert != ""
	if tlsOn {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return err
		}
		httpSrv.TLSConfig = tc
	}
	errc := make(chan error, 1)
	go func() {
		scheme := "http"
		if tlsOn {
			scheme = "https"
		}
		log.Infof("kojihub listening on %s://%s/kojihub (store: %s)", scheme, cfg.Listen, db.Dialect)
		if tlsOn {
			errc <- httpSrv.ListenAndServeTLS(cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- httpSrv.ListenAndServe()
		}
	}()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return httpSrv.Shutdown(shutdown)
	}
}

// tlsConfig asks for client certificates on every path but requires none:
// only sslLogin needs one, and the Koji client sends its certificate always.
func tlsConfig(cfg config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSClientCA != "" {
		pem, err := os.ReadFile(cfg.TLSClientCA)
		if err != nil {
			return nil, fmt.Errorf("read client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificates in %s", cfg.TLSClientCA)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}
