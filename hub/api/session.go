package api

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Methods a repeated callnum may re-run (Koji's retry whitelist): they are safe
// to repeat, and builders resend them after a lost reply.
var retryable = map[string]bool{
	"host.taskWait": true, "host.taskUnwait": true, "host.taskSetWait": true, "host.updateHost": true,
	"host.setBuildRootState": true, "repoExpire": true, "repoDelete": true, "repoProblem": true,
}

// authenticate validates the request's session, if it carries one. Bad or
// expired credentials fail even for calls that need no login: a client must
// learn its session is gone so it can renew it. On PostgreSQL it reads with
// the session what m's access rule will check (m may be nil).
func (d *Dispatcher) authenticate(ctx context.Context, tx *store.Tx, req *Request, m *Method) (*Session, error) {
	if !req.Creds.Present {
		return nil, nil
	}
	var extras store.CallerExtras
	if m != nil && tx.Dialect == store.Postgres {
		// On PostgreSQL this saves the access check a round trip. SQLite
		// has none to save, and there the bigger statement costs more
		// (measured: about 30 µs a call) than the separate query.
		extras = store.CallerExtras{Perms: m.Access.Perm != "", Host: m.Access.Host}
	}
	cs, err := store.ReadCallerSession(ctx, tx, req.Creds.SessionID, extras)
	if err != nil {
		return nil, err
	}
	if cs == nil || cs.Key != req.Creds.Key || cs.Closed || (d.Config.CheckClientIP && cs.HostIP != req.RemoteIP) {
		return nil, hub.AuthError("Invalid session or bad credentials")
	}
	s := &cs.Session
	loginCall := isLogin(req.Method)
	if d.sessionExpired(s) && !loginCall {
		return nil, hub.Errorf(hub.CodeAuthExpired, "session \"%d\" has expired", s.ID)
	}
	user := cs.User
	if user == nil || user.Status != hub.UserStatusNormal {
		name := fmt.Sprint(s.UserID)
		if user != nil {
			name = user.Name
		}
		return nil, hub.AuthError("logins by %s are not allowed", name)
	}
	if err := d.checkExclusiveLock(s, cs.Exclusives, req.Method); err != nil {
		return nil, err
	}
	if c := req.Creds.Callnum; c != nil && s.Callnum != nil && !loginCall {
		switch {
		case *s.Callnum > *c:
			return nil, hub.Errorf(hub.CodeSequence, "%d > %d (session %d)", *s.Callnum, *c, s.ID)
		case *s.Callnum == *c && !retryable[req.Method]:
			return nil, hub.Errorf(hub.CodeRetry, "unable to retry call %d (method %s) for session %d", *c, req.Method, s.ID)
		}
	}
	return &Session{Session: *s, User: *user, Perms: cs.Perms, HostID: cs.HostID}, nil
}

// sessionExpired: a session lives SessionTimeout from its start or last
// renewal. Computed on read, so no write is needed to expire one.
func (d *Dispatcher) sessionExpired(s *store.Session) bool {
	if s.Expired {
		return true
	}
	if d.Config.SessionTimeout <= 0 {
		return false
	}
	from := s.StartUS
	if s.RenewUS != nil {
		from = *s.RenewUS
	}
	return d.Now().UnixMicro()-from > d.Config.SessionTimeout.Microseconds()
}

// checkExclusiveLock refuses calls from a session of a user whose other
// session holds the exclusive lock; exclusives are the user's open
// sessions holding it.
func (d *Dispatcher) checkExclusiveLock(s *store.Session, exclusives []store.Session, method string) error {
	switch method {
	case "exclusiveSession", "login", "logout":
		return nil
	}
	for _, o := range exclusives {
		if o.ID == s.ID || d.sessionExpired(&o) {
			continue
		}
		if s.Master != nil && *s.Master == o.ID {
			continue // our master holds it: we share its lock
		}
		return hub.Errorf(hub.CodeAuthLock, "User locked by another session")
	}
	return nil
}

const keyAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newSessionKey makes a key in Koji's format, "<user_id>-<19 letters/digits>".
func newSessionKey(userID int64) (string, error) {
	b := make([]byte, 19)
	max := big.NewInt(int64(len(keyAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("random session key: %w", err)
		}
		b[i] = keyAlphabet[n.Int64()]
	}
	return fmt.Sprintf("%d-%s", userID, b), nil
}

// sessionInfo is the struct login, sslLogin and subsession return.
func sessionInfo(id int64, key string) map[string]any {
	return map[string]any{"session-id": id, "session-key": key, "header-auth": true}
}

// openSession creates a session for user and returns login's answer.
func (c *Call) openSession(ctx context.Context, userID int64, authtype int, master *int64, exclusive bool) (map[string]any, error) {
	now := c.d.Now().UnixMicro()
	key, err := newSessionKey(userID)
	if err != nil {
		return nil, err
	}
	var excl *bool
	if exclusive {
		t := true
		excl = &t
	}
	id, err := store.CreateSession(ctx, c.Tx, store.Session{
		UserID: userID, Key: key, Master: master, AuthType: authtype,
		HostIP: c.Req.RemoteIP, Exclusive: excl, StartUS: now, UpdateUS: now,
	})
	if err != nil {
		return nil, err
	}
	return sessionInfo(id, key), nil
}
