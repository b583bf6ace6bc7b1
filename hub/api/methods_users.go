package api

import (
	"context"
	"sort"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

func userMethods() []Method {
	return []Method{
		{Name: "createUser", Params: []Param{P("username"), Opt("status", nil), Opt("krb_principal", nil), Ext("password", nil)},
			Access: admin, Writes: true,
			Doc:     "Create a user and return its id. password is our extension (stored hashed); without it the user logs in by certificate only.",
			Handler: createUser},
		{Name: "getUser", Params: []Param{Opt("userInfo", nil), Opt("strict", false), Opt("krb_princs", true), Opt("groups", false)},
			Access: anyone, Doc: "A user by id, name, Kerberos principal or struct; the caller when userInfo is None.",
			Handler: getUser},
		{Name: "listUsers", Params: []Param{Opt("userType", int64(hub.UserTypeNormal)), Opt("prefix", nil), Opt("queryOpts", nil), Opt("perm", nil), Opt("inherited_perm", false)},
			Access: anyone, Doc: "List users of the given type(s), optionally by name prefix or by permission held.",
			Handler: listUsers},
		{Name: "enableUser", Params: []Param{P("username")}, Access: admin, Writes: true,
			Doc: "Allow a user to log in again.", Handler: setUserStatus(hub.UserStatusNormal)},
		{Name: "disableUser", Params: []Param{P("username")}, Access: admin, Writes: true,
			Doc: "Block a user: no logins, and existing sessions stop working.", Handler: setUserStatus(hub.UserStatusBlocked)},
		{Name: "editUser", Params: []Param{P("userInfo"), Opt("name", nil), Opt("krb_principal_mappings", nil), Ext("password", nil)},
			Access: admin, Writes: true,
			Doc:     "Rename a user, change its Kerberos principals ([{old, new}]) or (our extension) set its password.",
			Handler: editUser},
		{Name: "addUserKrbPrincipal", Params: []Param{P("user"), P("krb_principal")}, Access: admin, Writes: true,
			Doc: "Map a Kerberos principal to a user.", Handler: addUserKrbPrincipal},
		{Name: "removeUserKrbPrincipal", Params: []Param{P("user"), P("krb_principal")}, Access: admin, Writes: true,
			Doc: "Remove a Kerberos principal from a user.", Handler: removeUserKrbPrincipal},
		{Name: "getAllPerms", Access: anyone, Doc: "Every permission: [{id, name, description}].",
			Handler: func(ctx context.Context, c *Call) (any, error) { return store.AllPerms(ctx, c.Tx) }},
		{Name: "getPerms", Access: anyone, Doc: "The caller's permission names, group permissions included.",
			Handler: func(ctx context.Context, c *Call) (any, error) {
				p, err := c.Perms(ctx)
				if p == nil {
					p = []string{}
				}
				return p, err
			}},
		{Name: "getUserPerms", Params: []Param{Opt("userID", nil), Opt("with_groups", true)}, Access: anyone,
			Doc: "A user's permission names, with or without those held through groups.", Handler: getUserPerms},
		{Name: "getUserPermsInheritance", Params: []Param{P("userID")}, Access: anyone,
			Doc:     "A user's permissions with their sources: nil for a direct grant, else the group's name.",
			Handler: getUserPermsInheritance},
		{Name: "hasPerm", Params: []Param{P("perm"), Opt("strict", false)}, Access: anyone,
			Doc: "Whether the caller holds the permission itself (admin does not count here, as in Koji).", Handler: hasPerm},
		{Name: "grantPermission", Params: []Param{P("userinfo"), P("permission"), Opt("create", false), Opt("description", nil)},
			Access: admin, Writes: true, Doc: "Grant a permission to a user or group; create makes a new permission.",
			Handler: grantPermission},
		{Name: "revokePermission", Params: []Param{P("userinfo"), P("permission")}, Access: admin, Writes: true,
			Doc: "Revoke a directly granted permission.", Handler: revokePermission},
		{Name: "editPermission", Params: []Param{P("permission"), P("description")}, Access: admin, Writes: true,
			Doc: "Change a permission's description.", Handler: editPermission},
		{Name: "newGroup", Params: []Param{P("name")}, Access: admin, Writes: true,
			Doc: "Create a group and return its id.", Handler: newGroup},
		{Name: "addGroupMember", Params: []Param{P("group"), P("user"), Opt("strict", true)}, Access: admin, Writes: true,
			Doc: "Add a user to a group.", Handler: addGroupMember},
		{Name: "dropGroupMember", Params: []Param{P("group"), P("user")}, Access: admin, Writes: true,
			Doc: "Remove a user from a group.", Handler: dropGroupMember},
		{Name: "getGroupMembers", Params: []Param{P("group")}, Access: anyone,
			Doc: "The members of a group: [{id, name, usertype, krb_principals}].", Handler: getGroupMembers},
		{Name: "getUserGroups", Params: []Param{P("user")}, Access: anyone,
			Doc: "The groups a user belongs to: [{id, name}].", Handler: getUserGroups},
	}
}

// userStruct is getUser's answer for u.
func userStruct(u hub.User, krbPrincs bool, groups []string) map[string]any {
	out := map[string]any{"id": u.ID, "name": u.Name, "status": u.Status, "usertype": u.UserType}
	if krbPrincs {
		out["krb_principals"] = u.KrbPrincipals
	}
	if groups != nil {
		out["groups"] = groups
	}
	return out
}

// lookupUser resolves Koji's userInfo argument: an id, a name or principal, or
// a struct of id/name/krb_principal; None means the caller.
func lookupUser(ctx context.Context, c *Call, info any, strict bool) (*hub.User, error) {
	var u *hub.User
	var err error
	switch x := info.(type) {
	case nil:
		if c.Session == nil {
			return nil, hub.GenericError("No user provided")
		}
		u, err = store.UserBy(ctx, c.Tx, "id", c.Session.UserID)
	case int64:
		u, err = store.UserBy(ctx, c.Tx, "id", x)
	case string:
		u, err = store.UserBy(ctx, c.Tx, "name", x)
		if err == nil && u == nil {
			u, err = store.UserBy(ctx, c.Tx, "krb_principal", x)
		}
	case map[string]any:
		u, err = lookupUserStruct(ctx, c, x)
	default:
		return nil, hub.GenericError("Invalid type for userInfo: %s", pyClass(info))
	}
	if err != nil {
		return nil, err
	}
	if u == nil && strict {
		return nil, hub.GenericError("No such user: %s", pyRepr(info))
	}
	return u, nil
}

func lookupUserStruct(ctx context.Context, c *Call, m map[string]any) (*hub.User, error) {
	var found *hub.User
	matched := false
	for _, key := range []string{"id", "name", "krb_principal"} {
		v, ok := m[key]
		if !ok || !truthy(v) {
			continue
		}
		switch key {
		case "id":
			if _, ok := v.(int64); !ok {
				return nil, hub.GenericError("Invalid type for userid: %s", pyClass(v))
			}
		default:
			if _, ok := v.(string); !ok {
				return nil, hub.GenericError("Invalid type for %s: %s", map[string]string{"name": "username", "krb_principal": "krb_principal"}[key], pyClass(v))
			}
		}
		u, err := store.UserBy(ctx, c.Tx, key, v)
		if err != nil || u == nil {
			return nil, err
		}
		if matched && found.ID != u.ID {
			return nil, nil // the clauses are ANDed: different users match nothing
		}
		found, matched = u, true
	}
	return found, nil
}

// pyClass names a value's type as Python prints a class: <class 'str'>.
func pyClass(v any) string { return "<class '" + typeName(v) + "'>" }

func createUser(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	name := a.String("username")
	status := a.OptInt("status")
	princ := a.OptString("krb_principal")
	password := a.OptString("password")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if err := hub.VerifyUserName(name, "Name"); err != nil {
		return nil, err
	}
	if princ != nil {
		if err := hub.VerifyUserName(*princ, "Kerberos principal"); err != nil {
			return nil, err
		}
	}
	if existing, err := lookupUser(ctx, c, name, false); err != nil {
		return nil, err
	} else if existing != nil {
		return nil, hub.GenericError("user already exists: %s", name)
	}
	nu := store.NewUser{Name: name, UserType: hub.UserTypeNormal}
	if princ != nil {
		if owner, err := store.UserBy(ctx, c.Tx, "krb_principal", *princ); err != nil {
			return nil, err
		} else if owner != nil {
			return nil, hub.GenericError("user with this Kerberos principal already exists: %s", *princ)
		}
		nu.Principal = *princ
	}
	if status != nil {
		if *status != hub.UserStatusNormal && *status != hub.UserStatusBlocked {
			return nil, hub.GenericError("invalid status: %d", *status)
		}
		nu.Status = int(*status)
	}
	if password != nil {
		h, err := hashPassword(*password)
		if err != nil {
			return nil, err
		}
		nu.PasswordHash = h
	}
	return store.CreateUser(ctx, c.Tx, nu)
}

func getUser(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("userInfo"), c.Args.Bool("strict"))
	if err != nil || u == nil {
		return nil, err
	}
	var groups []string
	if c.Args.Bool("groups") {
		gs, err := store.UserGroupList(ctx, c.Tx, u.ID)
		if err != nil {
			return nil, err
		}
		groups = make([]string, len(gs))
		for i, g := range gs {
			groups[i] = g.Name
		}
	}
	return userStruct(*u, c.Args.Bool("krb_princs"), groups), nil
}

func listUsers(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	f := store.UserFilter{InheritedPerm: a.Bool("inherited_perm")}
	switch t := a.Value("userType").(type) {
	case nil:
	case int64:
		f.UserTypes = []int{int(t)}
	case []any:
		f.UserTypes = []int{}
		for _, v := range t {
			n, ok := v.(int64)
			if !ok {
				return nil, hub.ParameterError("userType must be integer, list, tuple or None")
			}
			f.UserTypes = append(f.UserTypes, int(n))
		}
	default:
		return nil, hub.ParameterError("userType must be integer, list, tuple or None")
	}
	if p := a.OptString("prefix"); p != nil {
		f.Prefix = *p
	}
	if p := a.OptString("perm"); p != nil {
		f.Perm = *p
	}
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if f.InheritedPerm && f.Perm == "" {
		return nil, hub.GenericError("inherited_perm option must be used with perm option")
	}
	if f.Perm != "" {
		if p, err := store.PermByName(ctx, c.Tx, f.Perm); err != nil {
			return nil, err
		} else if p == nil {
			return nil, hub.GenericError("No such entry in table permissions: %s", f.Perm)
		}
	}
	users, err := store.ListUsers(ctx, c.Tx, f)
	if err != nil {
		return nil, err
	}
	rows := make([]any, len(users))
	for i, u := range users {
		rows[i] = userStruct(u, true, nil)
	}
	return applyQueryOpts(rows, opts)
}

func setUserStatus(status int) Handler {
	return func(ctx context.Context, c *Call) (any, error) {
		name := c.Args.Value("username")
		u, err := lookupUser(ctx, c, name, false)
		if err != nil {
			return nil, err
		}
		if u == nil {
			return nil, hub.GenericError("No such user: %v", name)
		}
		if u.Status == status {
			return nil, nil
		}
		return nil, store.SetUserField(ctx, c.Tx, u.ID, "status", status)
	}
}

func editUser(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("userInfo"), true)
	if err != nil {
		return nil, err
	}
	newName := c.Args.OptString("name")
	mappings := c.Args.List("krb_principal_mappings")
	password := c.Args.OptString("password")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if newName != nil && *newName != "" && *newName != u.Name {
		if err := hub.VerifyUserName(*newName, "Name"); err != nil {
			return nil, err
		}
		if other, err := store.UserBy(ctx, c.Tx, "name", *newName); err != nil {
			return nil, err
		} else if other != nil {
			return nil, hub.GenericError("Name %s already taken by user %d", *newName, other.ID)
		}
		if err := store.SetUserField(ctx, c.Tx, u.ID, "name", *newName); err != nil {
			return nil, err
		}
	}
	if len(mappings) > 0 {
		if err := remapPrincipals(ctx, c, u, mappings); err != nil {
			return nil, err
		}
	}
	if password != nil {
		h, err := hashPassword(*password)
		if err != nil {
			return nil, err
		}
		if err := store.SetUserField(ctx, c.Tx, u.ID, "password", h); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// remapPrincipals applies [{old, new}] pairs: each old is removed, each new added.
func remapPrincipals(ctx context.Context, c *Call, u *hub.User, mappings []any) error {
	var added, removed []string
	for _, raw := range mappings {
		m, ok := raw.(map[string]any)
		if !ok {
			return hub.ParameterError("krb_principal_mappings must be a list of {old, new} structs")
		}
		if old, ok := m["old"].(string); ok && old != "" {
			removed = append(removed, old)
		}
		if nw, ok := m["new"].(string); ok && nw != "" {
			if err := hub.VerifyUserName(nw, "Kerberos principal"); err != nil {
				return err
			}
			added = append(added, nw)
		}
	}
	current := map[string]bool{}
	for _, p := range u.KrbPrincipals {
		current[p] = true
	}
	inRemoved := map[string]bool{}
	for _, p := range removed {
		inRemoved[p] = true
	}
	var conflicts, existing, missing []string
	for _, p := range added {
		if inRemoved[p] {
			conflicts = append(conflicts, p)
		}
		if current[p] {
			existing = append(existing, p)
		}
	}
	for _, p := range removed {
		if !current[p] {
			missing = append(missing, p)
		}
	}
	switch {
	case len(conflicts) > 0:
		return hub.GenericError("There are some conflicts between added and removed Kerberos principals: %s", strings.Join(conflicts, ", "))
	case len(existing) > 0:
		return hub.GenericError("Cannot add existing Kerberos principals: %s", strings.Join(existing, ", "))
	case len(missing) > 0:
		return hub.GenericError("Cannot remove non-existent Kerberos principals: %s", strings.Join(missing, ", "))
	}
	for _, p := range removed {
		if _, err := store.RemovePrincipal(ctx, c.Tx, u.ID, p); err != nil {
			return err
		}
	}
	for _, p := range added {
		if err := addPrincipal(ctx, c, u.ID, p); err != nil {
			return err
		}
	}
	return nil
}

func addPrincipal(ctx context.Context, c *Call, userID int64, p string) error {
	if owner, err := store.UserBy(ctx, c.Tx, "krb_principal", p); err != nil {
		return err
	} else if owner != nil {
		return hub.GenericError("user with this Kerberos principal already exists: %s", p)
	}
	return store.AddPrincipal(ctx, c.Tx, userID, p)
}

func addUserKrbPrincipal(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("user"), true)
	if err != nil {
		return nil, err
	}
	p := c.Args.String("krb_principal")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if err := hub.VerifyUserName(p, "Kerberos principal"); err != nil {
		return nil, err
	}
	return u.ID, addPrincipal(ctx, c, u.ID, p)
}

func removeUserKrbPrincipal(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("user"), true)
	if err != nil {
		return nil, err
	}
	p := c.Args.String("krb_principal")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	ok, err := store.RemovePrincipal(ctx, c.Tx, u.ID, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, hub.GenericError("Cannot remove non-existent Kerberos principals: %s", p)
	}
	return u.ID, nil
}

func getUserPerms(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("userID"), true)
	if err != nil {
		return nil, err
	}
	return store.UserPermNames(ctx, c.Tx, u.ID, c.Args.Bool("with_groups"))
}

func getUserPermsInheritance(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("userID"), true)
	if err != nil {
		return nil, err
	}
	src, err := store.UserPermSources(ctx, c.Tx, u.ID, true, nil)
	if err != nil {
		return nil, err
	}
	// Direct grants (nil) first, then groups by name, as a stable order.
	sort.SliceStable(src, func(i, j int) bool {
		if (src[i].Group == nil) != (src[j].Group == nil) {
			return src[i].Group == nil
		}
		return src[i].Group != nil && *src[i].Group < *src[j].Group
	})
	out := map[string]any{}
	for _, s := range src {
		list, _ := out[s.Perm].([]any)
		var g any
		if s.Group != nil {
			g = *s.Group
		}
		out[s.Perm] = append(list, g)
	}
	return out, nil
}

func hasPerm(ctx context.Context, c *Call) (any, error) {
	name := c.Args.String("perm")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if c.Args.Bool("strict") {
		if p, err := store.PermByName(ctx, c.Tx, name); err != nil {
			return nil, err
		} else if p == nil {
			return nil, hub.GenericError("No such permission %s defined", name)
		}
	}
	perms, err := c.Perms(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range perms {
		if p == name {
			return true, nil
		}
	}
	return false, nil
}

// lookupPerm resolves a permission by name, id or {id|name} struct.
func lookupPerm(ctx context.Context, c *Call, info any) (*hub.Permission, error) {
	switch x := info.(type) {
	case string:
		return store.PermByName(ctx, c.Tx, x)
	case int64:
		perms, err := store.AllPerms(ctx, c.Tx)
		if err != nil {
			return nil, err
		}
		for i := range perms {
			if perms[i].ID == x {
				return &perms[i], nil
			}
		}
		return nil, nil
	case map[string]any:
		if id, ok := x["id"]; ok {
			return lookupPerm(ctx, c, id)
		}
		if name, ok := x["name"]; ok {
			return lookupPerm(ctx, c, name)
		}
	}
	return nil, hub.ParameterError("Invalid name or id value: %s", pyRepr(info))
}

func grantPermission(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	permInfo := a.Value("permission")
	create := a.Bool("create")
	desc := a.OptString("description")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if desc != nil && !create {
		return nil, hub.GenericError("Description should be specified only with create.")
	}
	u, err := lookupUser(ctx, c, a.Value("userinfo"), true)
	if err != nil {
		return nil, err
	}
	p, err := lookupPerm(ctx, c, permInfo)
	if err != nil {
		return nil, err
	}
	if p == nil {
		name, ok := permInfo.(string)
		if !create || !ok {
			return nil, hub.GenericError("No such entry in table permissions: %v", permInfo)
		}
		if err := hub.VerifyInternalName(name); err != nil {
			return nil, err
		}
		id, err := store.CreatePerm(ctx, c.Tx, name, desc)
		if err != nil {
			return nil, err
		}
		p = &hub.Permission{ID: id, Name: name, Description: desc}
	} else if create && desc != nil {
		if err := store.SetPermDescription(ctx, c.Tx, p.ID, *desc); err != nil {
			return nil, err
		}
	}
	direct, err := store.UserPermSources(ctx, c.Tx, u.ID, false, nil)
	if err != nil {
		return nil, err
	}
	for _, s := range direct {
		if s.Perm == p.Name {
			return nil, hub.GenericError("user %v already has permission: %s", a.Value("userinfo"), p.Name)
		}
	}
	c.InvalidatePerms()
	return nil, store.UserPerms.Insert(ctx, c.Tx, c.UserID(), map[string]any{"user_id": u.ID, "perm_id": p.ID})
}

func revokePermission(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("userinfo"), true)
	if err != nil {
		return nil, err
	}
	permInfo := c.Args.Value("permission")
	p, err := lookupPerm(ctx, c, permInfo)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, hub.GenericError("No such entry in table permissions: %v", permInfo)
	}
	n, err := store.UserPerms.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"user_id": u.ID, "perm_id": p.ID})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, hub.GenericError("user %v does not have permission: %s", c.Args.Value("userinfo"), p.Name)
	}
	c.InvalidatePerms()
	return nil, nil
}

func editPermission(ctx context.Context, c *Call) (any, error) {
	desc := c.Args.String("description")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	permInfo := c.Args.Value("permission")
	p, err := lookupPerm(ctx, c, permInfo)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, hub.GenericError("No such entry in table permissions: %v", permInfo)
	}
	return nil, store.SetPermDescription(ctx, c.Tx, p.ID, desc)
}

func newGroup(ctx context.Context, c *Call) (any, error) {
	name := c.Args.String("name")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if err := hub.VerifyInternalName(name); err != nil {
		return nil, err
	}
	if u, err := lookupUser(ctx, c, name, false); err != nil {
		return nil, err
	} else if u != nil {
		return nil, hub.GenericError("user/group already exists: %s", name)
	}
	return store.CreateUser(ctx, c.Tx, store.NewUser{Name: name, UserType: hub.UserTypeGroup})
}

// lookupGroup resolves a group argument; err names it as Koji does.
func lookupGroup(ctx context.Context, c *Call, info any, msg string) (*hub.User, error) {
	g, err := lookupUser(ctx, c, info, false)
	if err != nil {
		return nil, err
	}
	if g == nil || g.UserType != hub.UserTypeGroup {
		return nil, hub.GenericError("%s: %v", msg, info)
	}
	return g, nil
}

func addGroupMember(ctx context.Context, c *Call) (any, error) {
	g, err := lookupGroup(ctx, c, c.Args.Value("group"), "Not a group")
	if err != nil {
		return nil, err
	}
	u, err := lookupUser(ctx, c, c.Args.Value("user"), false)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, hub.GenericError("Not a user: %v", c.Args.Value("user"))
	}
	if u.UserType == hub.UserTypeGroup {
		return nil, hub.GenericError("Groups cannot be members of other groups")
	}
	member, err := store.IsMember(ctx, c.Tx, g.ID, u.ID)
	if err != nil {
		return nil, err
	}
	if member {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("User already in group")
		}
		return nil, nil
	}
	return nil, store.UserGroups.Insert(ctx, c.Tx, c.UserID(), map[string]any{"user_id": u.ID, "group_id": g.ID})
}

func dropGroupMember(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("user"), true)
	if err != nil {
		return nil, err
	}
	g, err := lookupGroup(ctx, c, c.Args.Value("group"), "Not a group")
	if err != nil {
		return nil, err
	}
	n, err := store.UserGroups.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"user_id": u.ID, "group_id": g.ID})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, hub.GenericError("No such user in group: %v", c.Args.Value("group"))
	}
	return nil, nil
}

func getGroupMembers(ctx context.Context, c *Call) (any, error) {
	g, err := lookupGroup(ctx, c, c.Args.Value("group"), "No such group")
	if err != nil {
		return nil, err
	}
	members, err := store.GroupMembers(ctx, c.Tx, g.ID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(members))
	for i, m := range members {
		out[i] = map[string]any{"id": m.ID, "name": m.Name, "usertype": m.UserType, "krb_principals": m.KrbPrincipals}
	}
	return out, nil
}

func getUserGroups(ctx context.Context, c *Call) (any, error) {
	u, err := lookupUser(ctx, c, c.Args.Value("user"), true)
	if err != nil {
		return nil, err
	}
	return store.UserGroupList(ctx, c.Tx, u.ID)
}
