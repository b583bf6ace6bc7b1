package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gokoji/gokoji/hub"
)

// Versioned tables of this file.
var (
	UserPerms  = Versioned{Table: "user_perms"}
	UserGroups = Versioned{Table: "user_groups"}
)

type userRow struct {
	ID       int64  `db:"id"`
	Name     string `db:"name"`
	Status   int    `db:"status"`
	UserType int    `db:"usertype"`
}

const userCols = "u.id, u.name, u.status, u.usertype"

// user is the row as a hub.User, with no principals yet.
func (r userRow) user() hub.User {
	return hub.User{ID: r.ID, Name: r.Name, Status: r.Status, UserType: r.UserType, KrbPrincipals: []string{}}
}

// UserBy finds one user by a column ("id", "name") or by a Kerberos principal
// ("krb_principal"). It returns nil when there is none.
//
// The user and its principals come in one query (a row per principal),
// one round trip on PostgreSQL: most calls look up a user.
func UserBy(ctx context.Context, tx *Tx, column string, value any) (*hub.User, error) {
	var match string
	switch column {
	case "id", "name":
		match = "u." + column + " = ?"
	case "krb_principal":
		match = "u.id = (SELECT k.user_id FROM user_krb_principals k WHERE k.krb_principal = ?)"
	default:
		return nil, fmt.Errorf("UserBy: unknown column %q", column)
	}
	var rows []struct {
		userRow
		Principal *string `db:"krb_principal"`
	}
	if err := tx.Select(ctx, &rows, "SELECT "+userCols+", p.krb_principal FROM users u"+
		" LEFT JOIN user_krb_principals p ON p.user_id = u.id WHERE "+match+" ORDER BY p.krb_principal", value); err != nil {
		return nil, fmt.Errorf("look up user by %s: %w", column, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	u := rows[0].user()
	for _, r := range rows {
		if r.Principal != nil {
			u.KrbPrincipals = append(u.KrbPrincipals, *r.Principal)
		}
	}
	return &u, nil
}

// UserFilter selects users for ListUsers. Zero values select everything.
type UserFilter struct {
	UserTypes     []int // nil = every type
	Prefix        string
	Perm          string // only users holding this permission
	InheritedPerm bool   // with Perm: also members of groups holding it
}

// ListUsers returns users ordered by id.
func ListUsers(ctx context.Context, tx *Tx, f UserFilter) ([]hub.User, error) {
	var c conds
	if f.UserTypes != nil {
		if len(f.UserTypes) == 0 {
			return []hub.User{}, nil
		}
		in, args := InList(f.UserTypes)
		c.add("u.usertype IN "+in, args...)
	}
	if f.Prefix != "" {
		c.add("u.name "+tx.Dialect.CaseInsensitiveLike()+" ? ESCAPE '\\'", likeEscape(f.Prefix)+"%")
	}
	if f.Perm != "" {
		holders := "SELECT up.user_id FROM user_perms up JOIN permissions p ON p.id = up.perm_id WHERE up.active = TRUE AND p.name = ?"
		args := []any{f.Perm}
		if f.InheritedPerm {
			holders += " UNION SELECT ug.user_id FROM user_groups ug JOIN user_perms up ON up.user_id = ug.group_id" +
				" JOIN permissions p ON p.id = up.perm_id WHERE ug.active = TRUE AND up.active = TRUE AND p.name = ?"
			args = append(args, f.Perm)
		}
		c.add("u.id IN ("+holders+")", args...)
	}
	q := "SELECT " + userCols + " FROM users u" + c.where()
	var rows []userRow
	if err := tx.Select(ctx, &rows, q+" ORDER BY u.id", c.args...); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return withPrincipals(ctx, tx, rows)
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// withPrincipals attaches Kerberos principals to rows with one query.
func withPrincipals(ctx context.Context, tx *Tx, rows []userRow) ([]hub.User, error) {
	out := make([]hub.User, len(rows))
	index := make(map[int64]int, len(rows))
	for i, r := range rows {
		out[i] = r.user()
		index[r.ID] = i
	}
	if len(rows) == 0 {
		return out, nil
	}
	var princs []struct {
		UserID int64  `db:"user_id"`
		Name   string `db:"krb_principal"`
	}
	q := "SELECT user_id, krb_principal FROM user_krb_principals ORDER BY krb_principal"
	var args []any
	if len(rows) == 1 {
		q = "SELECT user_id, krb_principal FROM user_krb_principals WHERE user_id = ? ORDER BY krb_principal"
		args = append(args, rows[0].ID)
	}
	if err := tx.Select(ctx, &princs, q, args...); err != nil {
		return nil, fmt.Errorf("read principals: %w", err)
	}
	for _, p := range princs {
		if i, ok := index[p.UserID]; ok {
			out[i].KrbPrincipals = append(out[i].KrbPrincipals, p.Name)
		}
	}
	return out, nil
}

// NewUser is what CreateUser stores.
type NewUser struct {
	Name         string
	Status       int
	UserType     int
	Principal    string // optional
	PasswordHash string // optional
}

// CreateUser inserts a user and returns its id.
func CreateUser(ctx context.Context, tx *Tx, u NewUser) (int64, error) {
	var pw any
	if u.PasswordHash != "" {
		pw = u.PasswordHash
	}
	id, err := tx.InsertID(ctx, "INSERT INTO users (name, password, status, usertype) VALUES (?, ?, ?, ?)",
		u.Name, pw, u.Status, u.UserType)
	if err != nil {
		return 0, fmt.Errorf("create user %s: %w", u.Name, err)
	}
	if u.Principal != "" {
		if err := AddPrincipal(ctx, tx, id, u.Principal); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// AddPrincipal maps a Kerberos principal to a user.
func AddPrincipal(ctx context.Context, tx *Tx, userID int64, principal string) error {
	if _, err := tx.Exec(ctx, "INSERT INTO user_krb_principals (user_id, krb_principal) VALUES (?, ?)",
		userID, principal); err != nil {
		return fmt.Errorf("add principal %s: %w", principal, err)
	}
	return nil
}

// RemovePrincipal drops a mapping and reports whether it existed.
func RemovePrincipal(ctx context.Context, tx *Tx, userID int64, principal string) (bool, error) {
	n, err := tx.Exec(ctx, "DELETE FROM user_krb_principals WHERE user_id = ? AND krb_principal = ?", userID, principal)
	if err != nil {
		return false, fmt.Errorf("remove principal %s: %w", principal, err)
	}
	return n > 0, nil
}

// SetUserField updates one plain column of a user: name, status or password.
func SetUserField(ctx context.Context, tx *Tx, userID int64, column string, value any) error {
	switch column {
	case "name", "status", "password", "usertype":
	default:
		return fmt.Errorf("SetUserField: column %q is not settable", column)
	}
	if column == "name" {
		// See RenameNamed: cached answers are keyed by event.
		if _, err := tx.Event(ctx); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, "UPDATE users SET "+column+" = ? WHERE id = ?", value, userID); err != nil {
		return fmt.Errorf("update user %d %s: %w", userID, column, err)
	}
	return nil
}

// PasswordHash returns the stored hash ("" when the user has no password).
func PasswordHash(ctx context.Context, tx *Tx, userID int64) (string, error) {
	var pw *string
	if err := tx.Get(ctx, &pw, "SELECT password FROM users WHERE id = ?", userID); err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if pw == nil {
		return "", nil
	}
	return *pw, nil
}

// AllPerms lists every permission by id.
func AllPerms(ctx context.Context, tx *Tx) ([]hub.Permission, error) {
	var out []hub.Permission
	if err := tx.Select(ctx, &out, "SELECT id, name, description FROM permissions ORDER BY id"); err != nil {
		return nil, fmt.Errorf("list permissions: %w", err)
	}
	return out, nil
}

// PermByName returns the permission or nil.
func PermByName(ctx context.Context, tx *Tx, name string) (*hub.Permission, error) {
	var out []hub.Permission
	if err := tx.Select(ctx, &out, "SELECT id, name, description FROM permissions WHERE name = ?", name); err != nil {
		return nil, fmt.Errorf("look up permission %s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// CreatePerm adds a permission and returns its id.
func CreatePerm(ctx context.Context, tx *Tx, name string, description *string) (int64, error) {
	id, err := tx.InsertID(ctx, "INSERT INTO permissions (name, description) VALUES (?, ?)", name, description)
	if err != nil {
		return 0, fmt.Errorf("create permission %s: %w", name, err)
	}
	return id, nil
}

// SetPermDescription changes a permission's description.
func SetPermDescription(ctx context.Context, tx *Tx, id int64, description string) error {
	if _, err := tx.Exec(ctx, "UPDATE permissions SET description = ? WHERE id = ?", description, id); err != nil {
		return fmt.Errorf("edit permission %d: %w", id, err)
	}
	return nil
}

// PermSource says where a user's permission comes from: Group is nil for a
// direct grant, or the name of the group that holds it.
type PermSource struct {
	Perm  string  `db:"perm"`
	Group *string `db:"grp"`
}

// UserPermSources lists a user's permissions with their sources, as of event
// (nil = now). Group-held permissions count when withGroups is set.
func UserPermSources(ctx context.Context, tx *Tx, userID int64, withGroups bool, event *int64) ([]PermSource, error) {
	cond, condArgs := AsOf("up", event)
	gcond, gargs := AsOf("ug", event)
	direct, viaGroups := permGrantsFrom("?", cond, gcond)
	q := "SELECT p.name AS perm, NULL AS grp" + direct
	args := append([]any{userID}, condArgs...)
	if withGroups {
		q += " UNION ALL SELECT p.name AS perm, g.name AS grp" + viaGroups
		args = append(append(append(args, userID), gargs...), condArgs...)
	}
	var out []PermSource
	if err := tx.Select(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("read permissions of user %d: %w", userID, err)
	}
	return out, nil
}

// permGrantsFrom is the FROM and WHERE of the permissions granted to the
// user that user (an SQL expression) names: directly (up, p) and through
// its groups (ug, g, up, p). upCond chooses which versions of the grants
// count (direct ones and the groups' alike), ugCond which of the
// memberships; viaGroups has upCond last.
func permGrantsFrom(user, upCond, ugCond string) (direct, viaGroups string) {
	direct = " FROM user_perms up JOIN permissions p ON p.id = up.perm_id WHERE up.user_id = " + user + " AND " + upCond
	viaGroups = " FROM user_groups ug JOIN users g ON g.id = ug.group_id JOIN user_perms up ON up.user_id = ug.group_id" +
		" JOIN permissions p ON p.id = up.perm_id WHERE ug.user_id = " + user + " AND " + ugCond + " AND " + upCond
	return direct, viaGroups
}

// UserPermNames returns the sorted, distinct permission names of a user.
func UserPermNames(ctx context.Context, tx *Tx, userID int64, withGroups bool) ([]string, error) {
	src, err := UserPermSources(ctx, tx, userID, withGroups, nil)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(src))
	for _, s := range src {
		names = append(names, s.Perm)
	}
	return sortedDistinct(names), nil
}

// sortedDistinct sorts names and drops repeats, in place.
func sortedDistinct(names []string) []string {
	slices.Sort(names)
	return slices.Compact(names)
}

// GroupMembers lists the current members of a group.
func GroupMembers(ctx context.Context, tx *Tx, groupID int64) ([]hub.User, error) {
	var rows []userRow
	err := tx.Select(ctx, &rows, "SELECT "+userCols+" FROM user_groups ug JOIN users u ON u.id = ug.user_id"+
		" WHERE ug.group_id = ? AND ug.active = TRUE ORDER BY u.id", groupID)
	if err != nil {
		return nil, fmt.Errorf("list members of group %d: %w", groupID, err)
	}
	return withPrincipals(ctx, tx, rows)
}

// NamedID is an {id, name} pair, a shape Koji returns in many places.
type NamedID struct {
	ID   int64  `xmlrpc:"id" db:"id"`
	Name string `xmlrpc:"name" db:"name"`
}

// UserGroupList lists the groups a user belongs to.
func UserGroupList(ctx context.Context, tx *Tx, userID int64) ([]NamedID, error) {
	out := []NamedID{}
	err := tx.Select(ctx, &out, "SELECT g.id, g.name FROM user_groups ug JOIN users g ON g.id = ug.group_id"+
		" WHERE ug.user_id = ? AND ug.active = TRUE ORDER BY g.name", userID)
	if err != nil {
		return nil, fmt.Errorf("list groups of user %d: %w", userID, err)
	}
	return out, nil
}

// IsMember reports whether user is currently in group.
func IsMember(ctx context.Context, tx *Tx, groupID, userID int64) (bool, error) {
	var n int
	err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM user_groups WHERE group_id = ? AND user_id = ? AND active = TRUE", groupID, userID)
	if err != nil {
		return false, fmt.Errorf("check membership: %w", err)
	}
	return n > 0, nil
}
