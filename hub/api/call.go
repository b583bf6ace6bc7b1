package api

import (
	"context"
	"slices"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Call is what a handler sees: its arguments, the request's transaction, and
// who is calling.
type Call struct {
	Method  *Method
	Args    *Args
	Tx      *store.Tx
	Session *Session // nil when anonymous
	Req     *Request
	d       *Dispatcher
	fx      *effects
	// perms are the caller's permissions once read. Each call of a
	// multiCall reads its own, so one call's changes show in the next.
	perms  []string
	hostID int64 // the calling build host, set by the Host access check
}

// Effect is file-system work that follows the request's transaction: Commit
// runs just before the database commits, Abort when the request fails (after
// Commit too), Done after the database committed.
type Effect interface {
	Commit() error
	Abort()
	Done()
}

// Defer registers file work to follow this request's transaction.
func (c *Call) Defer(e Effect) { c.fx.items = append(c.fx.items, e) }

// AfterCommit runs f once the request has committed.
func (c *Call) AfterCommit(f func()) { c.Defer(doneFunc(f)) }

type doneFunc func()

func (doneFunc) Commit() error { return nil }
func (doneFunc) Abort()        {}
func (f doneFunc) Done()       { f() }

// effects are a request's pending file work, in registration order.
type effects struct {
	items     []Effect
	committed int // how many items ran Commit
}

func (fx *effects) commit() error {
	for ; fx.committed < len(fx.items); fx.committed++ {
		if err := fx.items[fx.committed].Commit(); err != nil {
			return err
		}
	}
	return nil
}

// abort undoes the items from index from on and forgets them.
func (fx *effects) abort(from int) {
	for i := len(fx.items) - 1; i >= from; i-- {
		fx.items[i].Abort()
	}
	fx.items = fx.items[:from]
	fx.committed = min(fx.committed, from)
}

func (fx *effects) done() {
	for _, e := range fx.items {
		e.Done()
	}
	fx.items = nil
	fx.committed = 0
}

// HostID is the calling build host's id; 0 unless the method's access
// rule is Host.
func (c *Call) HostID() int64 { return c.hostID }

// Session is an authenticated session with its user (whose Kerberos
// principals are not read: getLoggedInUser reads them itself).
type Session struct {
	store.Session
	User hub.User
	// Perms are the user's permissions as read with the session; nil when
	// they were not (Call.Perms then reads them).
	Perms []string
	// HostID, when not nil, is the host whose user this is (0 for none),
	// as read with the session.
	HostID *int64
}

// UserID is the caller's user id, 0 when anonymous.
func (c *Call) UserID() int64 {
	if c.Session == nil {
		return 0
	}
	return c.Session.UserID
}

// Config is the hub configuration.
func (c *Call) Config() Config { return c.d.Config }

// Perms returns the caller's permission names, groups included.
func (c *Call) Perms(ctx context.Context) ([]string, error) {
	if c.Session == nil {
		return nil, nil
	}
	if c.perms == nil {
		c.perms = c.Session.Perms
	}
	if c.perms == nil {
		p, err := store.UserPermNames(ctx, c.Tx, c.Session.UserID, true)
		if err != nil {
			return nil, err
		}
		c.perms = p
	}
	return c.perms, nil
}

// HasPerm reports whether the caller holds perm; admin holds every permission.
func (c *Call) HasPerm(ctx context.Context, perm string) (bool, error) {
	p, err := c.Perms(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(p, perm) || slices.Contains(p, "admin"), nil
}

// AssertLogin fails unless someone is logged in.
func (c *Call) AssertLogin() error {
	if c.Session == nil {
		return hub.NotAllowed("you must be logged in for this operation")
	}
	return nil
}

// AssertPerm fails unless the caller holds perm (or admin).
func (c *Call) AssertPerm(ctx context.Context, perm string) error {
	if c.Session == nil {
		return hub.NotAllowed("%s permission required (user not logged in)", perm)
	}
	ok, err := c.HasPerm(ctx, perm)
	if err != nil {
		return err
	}
	if !ok {
		return hub.NotAllowed("%s permission required (logged in as %s)", perm, c.Session.User.Name)
	}
	return nil
}

// InvalidatePerms drops the cached permissions after a change to them,
// those read with the session too.
func (c *Call) InvalidatePerms() {
	c.perms = nil
	if c.Session != nil {
		c.Session.Perms = nil
	}
}

func (c *Call) checkAccess(ctx context.Context, a Access) error {
	switch {
	case a.Perm != "":
		if a.OrPerm != "" {
			if ok, err := c.HasPerm(ctx, a.OrPerm); err != nil || ok {
				return err
			}
		}
		return c.AssertPerm(ctx, a.Perm)
	case a.Host:
		return c.assertHost(ctx)
	case a.Login:
		return c.AssertLogin()
	}
	return nil
}

// assertHost lets only a build host through: the session's user must be a
// host's user, and the session (or, for a subsession, its master) must hold
// the exclusive lock, as in Koji.
func (c *Call) assertHost(ctx context.Context) error {
	if c.Session == nil {
		return hub.AuthError("Not logged-in")
	}
	var id int64
	if c.Session.HostID != nil {
		id = *c.Session.HostID
	} else {
		var err error
		if id, err = store.HostIDForUser(ctx, c.Tx, c.Session.UserID); err != nil {
			return err
		}
	}
	if id == 0 {
		return hub.AuthError("User %d is not a host", c.Session.UserID)
	}
	exclusive := c.Session.Exclusive != nil && *c.Session.Exclusive
	if !exclusive && c.Session.Master != nil {
		m, err := store.GetSession(ctx, c.Tx, *c.Session.Master)
		if err != nil {
			return err
		}
		exclusive = m != nil && !m.Closed && m.Exclusive != nil && *m.Exclusive
	}
	if !exclusive {
		return hub.AuthError("This method requires an exclusive session")
	}
	c.hostID = id
	return nil
}
