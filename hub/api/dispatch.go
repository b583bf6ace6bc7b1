package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/files"
	"github.com/gokoji/gokoji/hub/sched"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// Config holds the hub options the API layer reads.
type Config struct {
	// SessionTimeout is Koji's SessionRenewalTimeout: a session older than this
	// (from its start or last renewal) is expired and must be renewed.
	SessionTimeout time.Duration
	// CheckClientIP ties a session to the address that logged in.
	CheckClientIP bool
	// LoginCreatesUser lets sslLogin create a user for an unknown certificate.
	LoginCreatesUser bool
	// ResultCacheRows bounds the cache of computed answers (rows kept); 0
	// turns it off. See resultCache.
	ResultCacheRows int
	// Options is what showOpts reveals.
	Options map[string]any
	// Scheduler holds the scheduler's timeouts (ReadyTimeout, AssignTimeout,
	// HostTimeout …).
	Scheduler sched.Config
	// TopDir is the hub's file tree: uploads under work/ (task output under
	// work/tasks/), builds under packages/. Empty refuses file work.
	TopDir string
	// TopURL is where the topdir is served (…/kojifiles), for the .repo
	// files of repos builders finish with host.repoDone.
	TopURL string
	// Clock replaces time.Now, for tests that move time forward.
	Clock func() time.Time
}

// DefaultConfig returns Koji's defaults.
func DefaultConfig() Config {
	return Config{SessionTimeout: 24 * time.Hour, CheckClientIP: true, LoginCreatesUser: true,
		ResultCacheRows: 2_000_000, Scheduler: sched.DefaultConfig()}
}

// Credentials are the session values a request carried, from the
// Koji-Session-* headers or the older query parameters.
type Credentials struct {
	Present   bool
	SessionID int64
	Key       string
	Callnum   *int64
}

// Request is one XML-RPC call as the HTTP layer hands it over.
type Request struct {
	Method     string
	Params     []any
	Creds      Credentials
	RemoteIP   string
	CertUser   string  // CN of a verified client certificate, "" without one
	SSLLogin   bool    // arrived at /kojihub/ssllogin
	Upload     *Upload // a raw upload (Method "rawUpload"); nil for XML-RPC calls
	credsError error   // malformed credentials, reported once the method is known
}

// SetCredsError records that the credentials could not be read; the call then
// fails with this error after the method lookup, as Koji orders its checks.
func (r *Request) SetCredsError(err error) { r.credsError = err }

// Dispatcher runs calls: lookup, session, binding, access check, handler,
// one transaction per request.
type Dispatcher struct {
	Registry *Registry
	DB       *store.DB
	Config   Config
	Log      logrus.FieldLogger
	Now      func() time.Time
	cache    *resultCache
	Files    *files.Tree
	Sched    *sched.Scheduler
	hubKick  chan struct{} // wakes HubTaskWorker
}

// NewDispatcher wires a dispatcher with the full registry.
func NewDispatcher(db *store.DB, cfg Config, log logrus.FieldLogger) *Dispatcher {
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	d := &Dispatcher{Registry: NewRegistry(), DB: db, Config: cfg, Log: log, Now: now,
		Files: files.New(cfg.TopDir), Sched: sched.New(cfg.Scheduler, log), hubKick: make(chan struct{}, 1)}
	d.Sched.HubMethods = HubTaskMethods()
	if cfg.ResultCacheRows > 0 {
		d.cache = newResultCache(cfg.ResultCacheRows)
	}
	return d
}

// multiCall is not a registry method: Koji leaves it out of _listapi and
// system.listMethods, and it needs the dispatcher itself.
func isLogin(name string) bool { return name == "login" || name == "sslLogin" }

func isMultiCall(name string) bool { return name == "multiCall" || name == "system.multicall" }

// conflictReason is the database's own words for a conflict, without
// the wrapping of the layers it came through.
func conflictReason(err error) string {
	if msg, ok := store.ConflictMessage(err); ok {
		return msg
	}
	return err.Error()
}

// maxAttempts bounds how often a request (or a call of a multiCall) runs
// when it keeps failing on a conflict with concurrent requests.
const maxAttempts = 3

// Handle runs one request and returns its result or a *hub.Fault.
func (d *Dispatcher) Handle(ctx context.Context, req *Request) (any, error) {
	if req.Upload != nil {
		return d.handleUpload(ctx, req)
	}
	multi := isMultiCall(req.Method)
	m := d.Registry.Lookup(req.Method)
	if m == nil && !multi {
		return nil, hub.GenericError("Invalid method: %s", req.Method)
	}
	if req.credsError != nil {
		return nil, req.credsError
	}
	writes := multi && d.multiWrites(req.Params) || m != nil && m.Writes
	for attempt := 1; ; attempt++ {
		result, conflict, err := d.attempt(ctx, req, m, multi, writes)
		if !conflict {
			return result, err
		}
		log := d.Log.WithError(err).WithField("method", req.Method)
		if attempt == maxAttempts {
			log.Error("conflicts with concurrent requests persisted")
			// Nothing was committed; the client may simply try again.
			return nil, hub.GenericError("%s conflicted with concurrent requests %d times (last: %v); nothing was changed, try again",
				req.Method, maxAttempts, conflictReason(err))
		}
		log.Info("conflict with a concurrent request; running it again")
	}
}

// attempt runs the request in one transaction. conflict reports that it
// failed, before anything was committed, on a conflict with a concurrent
// transaction (store.IsConflict): run again, it sees that transaction's
// work, and two clients creating the same thing at once get the answers
// they would get one after the other.
func (d *Dispatcher) attempt(ctx context.Context, req *Request, m *Method, multi, writes bool) (result any, conflict bool, err error) {
	tx, err := d.DB.Begin(ctx, writes)
	if err != nil {
		return nil, false, fmt.Errorf("start request: %w", err)
	}
	defer tx.Rollback()
	fx := &effects{}
	defer fx.abort(0) // undoes file work unless the request committed
	failed := func(err error) (any, bool, error) { return nil, writes && store.IsConflict(err), err }
	sess, err := d.authenticate(ctx, tx, req, m)
	if err != nil {
		return failed(err)
	}
	c := &Call{Tx: tx, Session: sess, Req: req, d: d, fx: fx}
	if multi {
		result, err = d.multiCall(ctx, c, req.Params)
	} else {
		result, err = d.invoke(ctx, c, m, req.Params)
	}
	if err != nil {
		return failed(err)
	}
	if !writes {
		return result, false, nil
	}
	if sess != nil && req.Creds.Callnum != nil && !isLogin(req.Method) {
		// Only calls that commit advance the stored callnum, so a retry of a
		// committed call is recognised and refused.
		store.SetCallnumAtCommit(tx, sess.ID, *req.Creds.Callnum)
	}
	// Files move into place just before the commit; a failed commit removes
	// them again (the deferred abort). Failures from here on are not run
	// again.
	if err := fx.commit(); err != nil {
		return nil, false, err
	}
	if !multi && m.KeepsAnswers {
		tx.KeepsCachedAnswers()
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, false, err
	}
	fx.done()
	return result, false, nil
}

// invoke binds and runs one method inside the request's transaction.
func (d *Dispatcher) invoke(ctx context.Context, c *Call, m *Method, params []any) (any, error) {
	positional, kwargs := xmlrpc.SplitKwargs(params)
	args, err := m.bind(positional, kwargs)
	if err != nil {
		return nil, err
	}
	if m.Writes && !c.Tx.Writable() {
		// Cannot happen through Handle, which picks the transaction from the
		// declarations; guards against a registry mistake.
		return nil, fmt.Errorf("method %s writes but runs in a read transaction", m.Name)
	}
	if err := c.checkAccess(ctx, m.Access); err != nil {
		return nil, err
	}
	sub := *c
	sub.Args = args
	sub.Method = m
	res, err := m.Handler(ctx, &sub)
	if msg, ok := store.TooLarge(err); ok {
		return nil, hub.GenericError("a value is too large to store: %s", msg)
	}
	if err != nil {
		var f *hub.Fault
		// A conflict with a concurrent request is run again (Handle,
		// multiCall), and logged only if it persists.
		if !errors.As(err, &f) && !store.IsConflict(err) {
			d.Log.WithError(err).WithField("method", m.Name).Error("internal error")
		}
		return nil, err
	}
	return res, nil
}

// multiWrites tells whether any call in a multiCall batch writes, so the batch
// gets a write transaction.
func (d *Dispatcher) multiWrites(params []any) bool {
	if len(params) != 1 {
		return false
	}
	calls, _ := params[0].([]any)
	for _, raw := range calls {
		call, _ := raw.(map[string]any)
		name, _ := call["methodName"].(string)
		if isMultiCall(name) {
			sub, _ := call["params"].([]any)
			if d.multiWrites(sub) {
				return true
			}
			continue
		}
		if m := d.Registry.Lookup(name); m != nil && m.Writes {
			return true
		}
	}
	return false
}

// multiCall runs each call in a savepoint: a failing call is undone alone and
// reported in place; the others commit together.
func (d *Dispatcher) multiCall(ctx context.Context, c *Call, params []any) (any, error) {
	if len(params) != 1 {
		return nil, hub.ParameterError("multiCall() takes exactly one argument, an array of calls (%d given)", len(params))
	}
	calls, ok := params[0].([]any)
	if !ok {
		return nil, hub.ParameterError("multiCall(): argument must be an array of calls, not %s", typeName(params[0]))
	}
	out := make([]any, 0, len(calls))
	for _, raw := range calls {
		var result any
		var err error
		for attempt := 1; ; attempt++ {
			mark := len(c.fx.items)
			err = c.Tx.Savepoint(ctx, func() error {
				var err error
				result, err = d.runOne(ctx, c, raw)
				return err
			})
			c.Tx.NextEvent()
			if err == nil {
				break
			}
			c.fx.abort(mark) // this call's file work goes with its savepoint
			if store.MustRestart(err) {
				// The transaction still holds its earlier calls' locks:
				// Handle runs the whole batch again, in a new one.
				return nil, err
			}
			// Another conflict (a name taken meanwhile): the call runs
			// again, in a new savepoint, and sees the other request's rows.
			if !c.Tx.Writable() || !store.IsConflict(err) {
				break
			}
			if attempt == maxAttempts {
				d.Log.WithError(err).Error("conflicts with concurrent requests persisted in a multiCall")
				break
			}
		}
		if err != nil {
			f := hub.AsFault(err)
			out = append(out, map[string]any{"faultCode": f.Code, "faultString": f.Msg, "traceback": []any{}})
			continue
		}
		out = append(out, []any{result})
	}
	return out, nil
}

func (d *Dispatcher) runOne(ctx context.Context, c *Call, raw any) (any, error) {
	call, ok := raw.(map[string]any)
	if !ok {
		return nil, hub.ParameterError("multiCall: each call must be a struct, not %s", typeName(raw))
	}
	name, ok := call["methodName"].(string)
	if !ok {
		return nil, hub.ParameterError("multiCall: call has no methodName string")
	}
	var params []any
	switch p := call["params"].(type) {
	case []any:
		params = p
	case nil:
	default:
		return nil, hub.ParameterError("multiCall: params of %s must be an array, not %s", name, typeName(p))
	}
	if isMultiCall(name) {
		return d.multiCall(ctx, c, params)
	}
	m := d.Registry.Lookup(name)
	if m == nil {
		return nil, hub.GenericError("Invalid method: %s", name)
	}
	if m.Writes && !c.Tx.Writable() {
		return nil, fmt.Errorf("multiCall planned a read transaction but %s writes", name)
	}
	return d.invoke(ctx, c, m, params)
}

// handleUpload runs a raw upload: session checks in a read transaction, then
// the file work, which needs no database write.
func (d *Dispatcher) handleUpload(ctx context.Context, req *Request) (any, error) {
	req.Method = "rawUpload"
	if req.credsError != nil {
		return nil, req.credsError
	}
	tx, err := d.DB.Begin(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("start request: %w", err)
	}
	defer tx.Rollback()
	sess, err := d.authenticate(ctx, tx, req, nil)
	if err != nil {
		return nil, err
	}
	c := &Call{Tx: tx, Session: sess, Req: req, d: d, fx: &effects{}}
	res, err := d.rawUpload(ctx, c, req.Upload)
	if err != nil {
		var f *hub.Fault
		if !errors.As(err, &f) {
			d.Log.WithError(err).Error("upload failed")
		}
	}
	return res, err
}
