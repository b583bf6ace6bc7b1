package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gokoji/gokoji/hub"
)

// Session is a row of the sessions table. Times are microseconds since the epoch.
type Session struct {
	ID        int64  `db:"id"`
	UserID    int64  `db:"user_id"`
	Key       string `db:"session_key"`
	Master    *int64 `db:"master"`
	AuthType  int    `db:"authtype"`
	HostIP    string `db:"hostip"`
	Callnum   *int64 `db:"callnum"`
	Exclusive *bool  `db:"exclusive"`
	Expired   bool   `db:"expired"`
	Closed    bool   `db:"closed"`
	StartUS   int64  `db:"start_us"`
	UpdateUS  int64  `db:"update_us"`
	RenewUS   *int64 `db:"renew_us"`
}

const sessionCols = "id, user_id, session_key, master, authtype, hostip, callnum, exclusive, expired, closed, start_us, update_us, renew_us"

// CreateSession inserts a session and returns its id. The key is set by the
// caller afterwards when it embeds the id.
func CreateSession(ctx context.Context, tx *Tx, s Session) (int64, error) {
	id, err := tx.InsertID(ctx, `INSERT INTO sessions (user_id, session_key, master, authtype, hostip, exclusive,
		start_us, update_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.UserID, s.Key, s.Master, s.AuthType, s.HostIP, s.Exclusive, s.StartUS, s.UpdateUS)
	if err != nil {
		return 0, fmt.Errorf("create session: %w", err)
	}
	return id, nil
}

// GetSession returns the session or nil.
func GetSession(ctx context.Context, tx *Tx, id int64) (*Session, error) {
	var out []Session
	if err := tx.Select(ctx, &out, "SELECT "+sessionCols+" FROM sessions WHERE id = ?", id); err != nil {
		return nil, fmt.Errorf("read session %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// CallerSession is what authenticating a call needs, read in one query:
// every authenticated call pays for it, and on PostgreSQL each query is a
// round trip.
type CallerSession struct {
	Session
	// User is the session's user without Kerberos principals, nil if the
	// user row is gone.
	User *hub.User
	// Exclusives are the user's open sessions holding the exclusive lock
	// (this one too, if it holds it), oldest first.
	Exclusives []Session
	// Perms are the user's permission names, groups' included: sorted and
	// distinct. nil unless asked for.
	Perms []string
	// HostID is the host whose user the session's user is (0 for none);
	// nil unless asked for.
	HostID *int64
}

// CallerExtras says what else ReadCallerSession reads with the session, in
// the same query: what the call's access rule checks. Each costs every call
// that asks for it a little; a call that needs it and did not ask pays a
// round trip to read it later.
type CallerExtras struct {
	Perms bool
	Host  bool
}

// ReadCallerSession returns the session with its user and the user's
// exclusive sessions, or nil when there is no such session.
func ReadCallerSession(ctx context.Context, tx *Tx, id int64, extras CallerExtras) (*CallerSession, error) {
	var rows []struct {
		Session
		UserName     *string `db:"user_name"`
		UserStatus   *int    `db:"user_status"`
		UserUserType *int    `db:"user_usertype"`
		UserPerms    *string `db:"user_perms"`
		GroupPerms   *string `db:"group_perms"`
		HostID       *int64  `db:"host_id"`
	}
	perms := "NULL AS user_perms, NULL AS group_perms"
	if extras.Perms {
		agg := "SELECT " + tx.Dialect.jsonArrayAgg("p.name")
		active, _ := AsOf("up", nil)
		member, _ := AsOf("ug", nil)
		direct, viaGroups := permGrantsFrom("s.user_id", active, member)
		perms = "(" + agg + direct + ") AS user_perms, (" + agg + viaGroups + ") AS group_perms"
	}
	host := "NULL"
	if extras.Host {
		host = "(SELECT MIN(h.id) FROM host h WHERE h.user_id = s.user_id)"
	}
	q := "SELECT " + prefixCols("s", sessionCols) + `, u.name AS user_name, u.status AS user_status,
		u.usertype AS user_usertype, ` + perms + `, ` + host + ` AS host_id
		FROM sessions s LEFT JOIN users u ON u.id = s.user_id
		WHERE s.id = ? OR (s.user_id = (SELECT user_id FROM sessions WHERE id = ?)
		AND s.closed = FALSE AND s.exclusive = TRUE) ORDER BY s.id`
	if err := tx.Select(ctx, &rows, q, id, id); err != nil {
		return nil, fmt.Errorf("read session %d: %w", id, err)
	}
	var out *CallerSession
	var exclusives []Session
	for _, r := range rows {
		if r.ID == id {
			out = &CallerSession{Session: r.Session}
			if r.UserName != nil && r.UserStatus != nil && r.UserUserType != nil {
				out.User = &hub.User{ID: r.UserID, Name: *r.UserName, Status: *r.UserStatus, UserType: *r.UserUserType}
			}
			if extras.Perms {
				perms, err := permNames(jsonArray(r.UserPerms), jsonArray(r.GroupPerms))
				if err != nil {
					return nil, fmt.Errorf("read session %d: %w", id, err)
				}
				out.Perms = perms
			}
			if extras.Host {
				var host int64
				if r.HostID != nil {
					host = *r.HostID
				}
				out.HostID = &host
			}
		}
		if !r.Closed && r.Exclusive != nil && *r.Exclusive {
			exclusives = append(exclusives, r.Session)
		}
	}
	if out != nil {
		out.Exclusives = exclusives
	}
	return out, nil
}

// jsonArray is a JSON array column's text, "[]" for NULL.
func jsonArray(s *string) string {
	if s == nil {
		return "[]"
	}
	return *s
}

// permNames merges JSON arrays of permission names into one sorted,
// distinct list.
func permNames(arrays ...string) ([]string, error) {
	names := []string{}
	for _, a := range arrays {
		var part []string
		if err := json.Unmarshal([]byte(a), &part); err != nil {
			return nil, fmt.Errorf("permission names %q: %w", a, err)
		}
		names = append(names, part...)
	}
	return sortedDistinct(names), nil
}

// UserSessions lists a user's open sessions, oldest first.
func UserSessions(ctx context.Context, tx *Tx, userID int64) ([]Session, error) {
	var out []Session
	if err := tx.Select(ctx, &out, "SELECT "+sessionCols+" FROM sessions WHERE user_id = ? AND closed = FALSE ORDER BY id", userID); err != nil {
		return nil, fmt.Errorf("list sessions of user %d: %w", userID, err)
	}
	return out, nil
}

// SetCallnumAtCommit stores a session's callnum as the last statement of
// tx (Tx.ExecAtCommit), so that only a call that commits advances it.
func SetCallnumAtCommit(tx *Tx, id, callnum int64) {
	tx.ExecAtCommit("UPDATE sessions SET callnum = ? WHERE id = ?", callnum, id)
}

// SetSessionFields updates columns of a session by name.
func SetSessionFields(ctx context.Context, tx *Tx, id int64, fields map[string]any) error {
	names := sortedKeys(fields)
	set := ""
	args := make([]any, 0, len(names)+1)
	for i, n := range names {
		switch n {
		case "session_key", "callnum", "exclusive", "expired", "closed", "update_us", "renew_us":
		default:
			return fmt.Errorf("SetSessionFields: column %q is not settable", n)
		}
		if i > 0 {
			set += ", "
		}
		set += n + " = ?"
		args = append(args, fields[n])
	}
	if _, err := tx.Exec(ctx, "UPDATE sessions SET "+set+" WHERE id = ?", append(args, id)...); err != nil {
		return fmt.Errorf("update session %d: %w", id, err)
	}
	return nil
}

// EndSessionTree marks a session and its subsessions expired, and closed
// when close is set.
func EndSessionTree(ctx context.Context, tx *Tx, id int64, close bool) error {
	q := "UPDATE sessions SET expired = TRUE, exclusive = NULL WHERE (id = ? OR master = ?)"
	if close {
		q = "UPDATE sessions SET expired = TRUE, closed = TRUE, exclusive = NULL WHERE (id = ? OR master = ?)"
	}
	if _, err := tx.Exec(ctx, q, id, id); err != nil {
		return fmt.Errorf("end session %d: %w", id, err)
	}
	return nil
}

// LastEvent returns the newest event, or the newest strictly before beforeUS
// when beforeUS is not nil. ok is false when there is none.
func LastEvent(ctx context.Context, tx *Tx, beforeUS *int64) (id, timeUS int64, ok bool, err error) {
	var rows []struct {
		ID     int64 `db:"id"`
		TimeUS int64 `db:"time_us"`
	}
	q := "SELECT id, time_us FROM events ORDER BY id DESC LIMIT 1"
	var args []any
	if beforeUS != nil {
		q = "SELECT id, time_us FROM events WHERE time_us < ? ORDER BY id DESC LIMIT 1"
		args = append(args, *beforeUS)
	}
	if err := tx.Select(ctx, &rows, q, args...); err != nil {
		return 0, 0, false, fmt.Errorf("read last event: %w", err)
	}
	if len(rows) == 0 {
		return 0, 0, false, nil
	}
	return rows[0].ID, rows[0].TimeUS, true, nil
}

// EventByID returns an event's time.
func EventByID(ctx context.Context, tx *Tx, id int64) (timeUS int64, ok bool, err error) {
	var rows []int64
	if err := tx.Select(ctx, &rows, "SELECT time_us FROM events WHERE id = ?", id); err != nil {
		return 0, false, fmt.Errorf("read event %d: %w", id, err)
	}
	if len(rows) == 0 {
		return 0, false, nil
	}
	return rows[0], true, nil
}
