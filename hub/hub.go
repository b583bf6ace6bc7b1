package hub

// Version is the Koji release whose API we implement. Clients pick features
// from it (1.35 turns on the repo request API), so it must be honest.
const (
	KojiVersion = "1.35.3"
	APIVersion  = 1
)

// User types (Koji's USERTYPES). Groups are rows in the users table too.
const (
	UserTypeNormal = 0
	UserTypeHost   = 1
	UserTypeGroup  = 2
)

// User status (Koji's USER_STATUS).
const (
	UserStatusNormal  = 0
	UserStatusBlocked = 1
)

// Authentication types recorded on sessions (Koji's AUTHTYPES).
const (
	AuthTypeNormal   = 0 // password
	AuthTypeKerberos = 1
	AuthTypeSSL      = 2
	AuthTypeGSSAPI   = 3
)

// User is a row of the users table as Koji's getUser returns it.
type User struct {
	ID            int64    `xmlrpc:"id"`
	Name          string   `xmlrpc:"name"`
	Status        int      `xmlrpc:"status"`
	UserType      int      `xmlrpc:"usertype"`
	KrbPrincipals []string `xmlrpc:"krb_principals"`
}

// Permission is a row of the permissions table.
type Permission struct {
	ID          int64   `xmlrpc:"id" db:"id"`
	Name        string  `xmlrpc:"name" db:"name"`
	Description *string `xmlrpc:"description" db:"description"`
}

// Event is one point in the hub's history: every versioned change happens at one.
type Event struct {
	ID int64   `xmlrpc:"id"`
	TS float64 `xmlrpc:"ts"`
}
