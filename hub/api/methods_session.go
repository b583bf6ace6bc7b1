package api

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

// Koji declares login, sslLogin and exclusiveSession as (*args, **opts) and
// binds inside; these are the real signatures, bound by the same code.
var (
	loginSig     = &Method{Name: "login", Params: []Param{P("user"), P("password"), Opt("opts", nil), Opt("renew", false), Opt("exclusive", false)}}
	sslLoginSig  = &Method{Name: "sslLogin", Params: []Param{Opt("proxyuser", nil), Opt("proxyauthtype", nil), Opt("renew", false), Opt("exclusive", nil)}}
	exclusiveSig = &Method{Name: "exclusiveSession", Params: []Param{Opt("force", false)}}
)

func sessionMethods() []Method {
	return []Method{
		{Name: "getLoggedInUser", Access: anyone, Doc: "The logged-in user with authtype and krb_principal, or nil.",
			Handler: getLoggedInUser},
		{Name: "getSessionInfo", Params: []Param{Opt("details", false), Opt("user_id", nil)}, Access: anyone,
			Doc:     "The current session, or with user_id every live session of that user (admin or self).",
			Handler: getSessionInfo},
		{Name: "showSession", Access: anyone, Doc: "A readable description of the current session.",
			Handler: showSession},
		{Name: "login", VarArgs: "args", VarKW: "opts", Access: anyone, Writes: true,
			Doc:     "Log in with a user name and password: login(user, password, opts=None, renew=False, exclusive=False).",
			Handler: login},
		{Name: "sslLogin", VarArgs: "args", VarKW: "opts", Access: anyone, Writes: true,
			Doc:     "Log in with the verified TLS client certificate; the user name is the certificate's CN.",
			Handler: sslLogin},
		{Name: "logout", Params: []Param{Opt("session_id", nil)}, Access: anyone, Writes: true,
			Doc:     "Close the current session (or, for its owner or an admin, the given one) and its subsessions.",
			Handler: logout},
		{Name: "subsession", Access: anyone, Writes: true, Doc: "Open a subsession of the current session.",
			Handler: subsession},
		{Name: "logoutChild", Params: []Param{P("session_id")}, Access: anyone, Writes: true,
			Doc: "Close a subsession of the current session.", Handler: logoutChild},
		{Name: "exclusiveSession", VarArgs: "args", VarKW: "opts", Access: anyone, Writes: true,
			Doc:     "Make the current session the user's only active one: exclusiveSession(force=False).",
			Handler: exclusiveSession},
		{Name: "sharedSession", Access: anyone, Writes: true, Doc: "Drop the exclusive lock of the current session.",
			Handler: sharedSession},
	}
}

func needSession(c *Call) error {
	if c.Session == nil {
		return hub.AuthError("Not logged in")
	}
	return nil
}

func getLoggedInUser(ctx context.Context, c *Call) (any, error) {
	if c.Session == nil {
		return nil, nil
	}
	// The session's user comes without Kerberos principals; read them.
	user, err := store.UserBy(ctx, c.Tx, "id", c.Session.User.ID)
	if err != nil {
		return nil, err
	}
	if user == nil {
		return nil, nil
	}
	u := userStruct(*user, true, nil)
	u["authtype"] = c.Session.AuthType
	var princ any
	if len(user.KrbPrincipals) > 0 {
		princ = user.KrbPrincipals[0]
	}
	u["krb_principal"] = princ
	return u, nil
}

func sessionStruct(s *store.Session, details bool) map[string]any {
	var excl any
	if s.Exclusive != nil && *s.Exclusive {
		excl = true
	}
	out := map[string]any{
		"user_id": s.UserID, "authtype": s.AuthType, "callnum": s.Callnum, "exclusive": excl,
		"expired": s.Expired, "master": s.Master,
		"start_time": hub.TimeString(s.StartUS), "start_ts": hub.TS(s.StartUS),
		"update_time": hub.TimeString(s.UpdateUS), "update_ts": hub.TS(s.UpdateUS),
		"renew_time": hub.OptTimeString(s.RenewUS), "renew_ts": hub.OptTS(s.RenewUS),
	}
	if details {
		out["hostip"] = s.HostIP
		out["id"] = s.ID
	}
	return out
}

func getSessionInfo(ctx context.Context, c *Call) (any, error) {
	details := c.Args.Bool("details")
	if c.Args.Value("user_id") == nil {
		if c.Session == nil {
			return nil, nil
		}
		return sessionStruct(&c.Session.Session, details), nil
	}
	u, err := lookupUser(ctx, c, c.Args.Value("user_id"), true)
	if err != nil {
		return nil, err
	}
	if u.ID != c.UserID() {
		if err := c.AssertPerm(ctx, "admin"); err != nil {
			return nil, hub.NotAllowed("only admins or owners may see all active sessions")
		}
	}
	sessions, err := store.UserSessions(ctx, c.Tx, u.ID)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for i := range sessions {
		if !c.d.sessionExpired(&sessions[i]) {
			out = append(out, sessionStruct(&sessions[i], details))
		}
	}
	return out, nil
}

func showSession(ctx context.Context, c *Call) (any, error) {
	if c.Session == nil {
		return "session: not logged in (no session header or session args)", nil
	}
	s := sessionStruct(&c.Session.Session, true)
	s["user"] = c.Session.User.Name
	return fmt.Sprintf("session %d: %s", c.Session.ID, pyRepr(s)), nil
}

func login(ctx context.Context, c *Call) (any, error) {
	a, err := loginSig.bind(c.Args.VarArgs(), c.Args.Kwargs())
	if err != nil {
		return nil, err
	}
	user, password := a.Value("user"), a.Value("password")
	pw, ok := password.(string)
	if !ok || pw == "" {
		return nil, hub.AuthError("invalid username or password")
	}
	if c.loggedIn() {
		return nil, hub.AuthError("Already logged in")
	}
	name, _ := user.(string)
	u, err := store.UserBy(ctx, c.Tx, "name", name)
	if err != nil {
		return nil, err
	}
	if u == nil || u.UserType == hub.UserTypeGroup {
		return nil, hub.AuthError("invalid username or password")
	}
	hash, err := store.PasswordHash(ctx, c.Tx, u.ID)
	if err != nil {
		return nil, err
	}
	if hash == "" || bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) != nil {
		return nil, hub.AuthError("invalid username or password")
	}
	if u.Status != hub.UserStatusNormal {
		return nil, hub.AuthError("logins by %s are not allowed", u.Name)
	}
	if opts := a.Map("opts"); opts != nil {
		if ip, ok := opts["hostip"].(string); ok && ip != "" {
			c.Req.RemoteIP = ip
		}
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	return c.startSession(ctx, u, hub.AuthTypeNormal, a.Bool("renew"), a.Bool("exclusive"))
}

// loggedIn: login calls see an expired session too (so they can renew it),
// but only a live one means "already logged in".
func (c *Call) loggedIn() bool {
	return c.Session != nil && !c.d.sessionExpired(&c.Session.Session)
}

// startSession opens a new session for u, or renews the expired session the
// request carried (same id, new key), which is how clients recover from
// AuthExpired.
func (c *Call) startSession(ctx context.Context, u *hub.User, authtype int, renew, exclusive bool) (any, error) {
	if renew && c.Session != nil {
		s := &c.Session.Session
		if s.UserID != u.ID {
			return nil, hub.AuthError("Invalid session or bad credentials")
		}
		key, err := newSessionKey(u.ID)
		if err != nil {
			return nil, err
		}
		now := c.d.Now().UnixMicro()
		// The client restarts its callnum at 0 after a login, so the stored one is cleared.
		if err := store.SetSessionFields(ctx, c.Tx, s.ID, map[string]any{
			"session_key": key, "expired": false, "renew_us": now, "update_us": now, "callnum": nil,
		}); err != nil {
			return nil, err
		}
		if exclusive {
			if err := c.takeExclusive(ctx, s.ID, u.ID, false); err != nil {
				return nil, err
			}
		}
		return sessionInfo(s.ID, key), nil
	}
	info, err := c.openSession(ctx, u.ID, authtype, nil, false)
	if err != nil {
		return nil, err
	}
	if exclusive {
		if err := c.takeExclusive(ctx, info["session-id"].(int64), u.ID, false); err != nil {
			return nil, err
		}
	}
	return info, nil
}

func sslLogin(ctx context.Context, c *Call) (any, error) {
	a, err := sslLoginSig.bind(c.Args.VarArgs(), c.Args.Kwargs())
	if err != nil {
		return nil, err
	}
	if c.loggedIn() {
		return nil, hub.AuthError("Already logged in")
	}
	if c.Req.CertUser == "" {
		return nil, hub.AuthError("could not verify client: no verified TLS client certificate")
	}
	if a.Value("proxyuser") != nil {
		return nil, hub.AuthError("%s is not authorized to login other users", c.Req.CertUser)
	}
	u, err := store.UserBy(ctx, c.Tx, "name", c.Req.CertUser)
	if err != nil {
		return nil, err
	}
	if u == nil {
		if !c.d.Config.LoginCreatesUser {
			return nil, hub.AuthError("Unknown user: %s", c.Req.CertUser)
		}
		if err := hub.VerifyUserName(c.Req.CertUser, "Name"); err != nil {
			return nil, err
		}
		id, err := store.CreateUser(ctx, c.Tx, store.NewUser{Name: c.Req.CertUser})
		if err != nil {
			return nil, err
		}
		if u, err = store.UserBy(ctx, c.Tx, "id", id); err != nil {
			return nil, err
		}
	}
	if u.Status != hub.UserStatusNormal {
		return nil, hub.AuthError("logins by %s are not allowed", u.Name)
	}
	return c.startSession(ctx, u, hub.AuthTypeSSL, a.Bool("renew"), a.Bool("exclusive"))
}

func logout(ctx context.Context, c *Call) (any, error) {
	if err := needSession(c); err != nil {
		return nil, err
	}
	target := c.Session.ID
	if id := c.Args.OptInt("session_id"); id != nil && *id != target {
		s, err := store.GetSession(ctx, c.Tx, *id)
		if err != nil {
			return nil, err
		}
		owner := s != nil && s.UserID == c.UserID()
		if !owner {
			if ok, err := c.HasPerm(ctx, "admin"); err != nil || !ok {
				return nil, hub.NotAllowed("only admins or owner may logout other session")
			}
			if s == nil {
				return nil, hub.GenericError("No such session: %d", *id)
			}
		}
		target = *id
	}
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	return nil, store.EndSessionTree(ctx, c.Tx, target, true)
}

func subsession(ctx context.Context, c *Call) (any, error) {
	if err := needSession(c); err != nil {
		return nil, err
	}
	master := c.Session.ID
	if c.Session.Master != nil {
		master = *c.Session.Master
	}
	return c.openSession(ctx, c.UserID(), c.Session.AuthType, &master, false)
}

func logoutChild(ctx context.Context, c *Call) (any, error) {
	if err := needSession(c); err != nil {
		return nil, err
	}
	id := c.Args.Int("session_id")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	s, err := store.GetSession(ctx, c.Tx, id)
	if err != nil {
		return nil, err
	}
	if s == nil || s.Master == nil || *s.Master != c.Session.ID {
		return nil, nil // Koji ignores a session that is not our child
	}
	return nil, store.EndSessionTree(ctx, c.Tx, id, true)
}

func exclusiveSession(ctx context.Context, c *Call) (any, error) {
	a, err := exclusiveSig.bind(c.Args.VarArgs(), c.Args.Kwargs())
	if err != nil {
		return nil, err
	}
	if err := needSession(c); err != nil {
		return nil, err
	}
	if c.Session.Master != nil {
		return nil, hub.GenericError("subsessions cannot become exclusive")
	}
	if c.Session.Exclusive != nil && *c.Session.Exclusive {
		return nil, hub.GenericError("session is already exclusive")
	}
	return nil, c.takeExclusive(ctx, c.Session.ID, c.UserID(), a.Bool("force"))
}

// takeExclusive makes session id the user's exclusive one. Another holder is
// an error, or with force its session is closed.
func (c *Call) takeExclusive(ctx context.Context, id, userID int64, force bool) error {
	sessions, err := store.UserSessions(ctx, c.Tx, userID)
	if err != nil {
		return err
	}
	for _, o := range sessions {
		if o.ID == id || o.Exclusive == nil || !*o.Exclusive {
			continue
		}
		if !force {
			return hub.Errorf(hub.CodeAuthLock, "Cannot get exclusive session")
		}
		if err := store.EndSessionTree(ctx, c.Tx, o.ID, true); err != nil {
			return err
		}
	}
	return store.SetSessionFields(ctx, c.Tx, id, map[string]any{"exclusive": true})
}

func sharedSession(ctx context.Context, c *Call) (any, error) {
	if err := needSession(c); err != nil {
		return nil, err
	}
	if c.Session.Master != nil {
		return nil, hub.GenericError("subsessions cannot become shared")
	}
	return nil, store.SetSessionFields(ctx, c.Tx, c.Session.ID, map[string]any{"exclusive": nil})
}

// hashPassword stores passwords with bcrypt; Koji keeps them in plain text.
func hashPassword(pw string) (string, error) {
	if strings.TrimSpace(pw) == "" {
		return "", hub.GenericError("password must not be empty")
	}
	if len(pw) > 72 {
		return "", hub.GenericError("password is longer than 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}
