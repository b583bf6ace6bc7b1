package kojicli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gokoji/gokoji/hub/kojiclient"
)

func init() {
	register(&command{name: "userinfo", anon: true, section: "admin", summary: "Show users", run: cmdUserinfo})
	register(&command{name: "add-user", section: "admin", summary: "Create a user", run: cmdAddUser})
	register(&command{name: "grant-permission", section: "admin", summary: "Grant a permission to users", run: cmdGrantPermission})
	register(&command{name: "list-permissions", section: "info", summary: "List permissions, all or a user's", run: cmdListPermissions})
}

var userStatus = []string{"NORMAL", "BLOCKED"}
var userTypes = []string{"NORMAL", "HOST", "GROUP"}

func enumName(names []string, v any) string {
	n, _ := v.(int64)
	if n >= 0 && int(n) < len(names) {
		return names[n]
	}
	return pyStrOf(v)
}

func cmdUserinfo(a *app, args []string) error {
	p := newParser("%prog userinfo [options] <username> [<username> ...]")
	_, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("You must specify at least one username")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	var calls []kojiclient.MultiCall
	for _, u := range pos {
		calls = append(calls, kojiclient.MultiCall{Method: "getUser", Params: []any{u}, Kw: map[string]any{"groups": true}})
	}
	res, err := a.multi(calls, false)
	if err != nil {
		return err
	}
	if f := res[0].Fault; f != nil {
		if f.Code != 1019 {
			return f
		}
		for i := range calls {
			calls[i].Kw = nil
		}
		if res, err = a.multi(calls, false); err != nil {
			return err
		}
	}
	var users []map[string]any
	for i, r := range res {
		if r.Fault != nil {
			return r.Fault
		}
		if r.Value == nil {
			a.warn("No such user: %s\n", pos[i])
			continue
		}
		users = append(users, asMap(r.Value))
	}
	calls = nil
	for _, u := range users {
		id := u["id"]
		cnt := map[string]any{"countOnly": true}
		calls = append(calls,
			kojiclient.MultiCall{Method: "getUserPerms", Params: []any{id}},
			kojiclient.MultiCall{Method: "listPackages", Kw: map[string]any{"userID": id, "with_dups": true, "queryOpts": cnt}},
			kojiclient.MultiCall{Method: "listTasks", Kw: map[string]any{"opts": map[string]any{"owner": id, "parent": nil}, "queryOpts": cnt}},
			kojiclient.MultiCall{Method: "listBuilds", Kw: map[string]any{"userID": id, "queryOpts": cnt}})
	}
	res, err = a.multi(calls, false)
	if err != nil {
		return err
	}
	for i, u := range users {
		perms, pkgs, tasks, builds := res[4*i], res[4*i+1], res[4*i+2], res[4*i+3]
		a.printf("User name: %s\n", mstr(u, "name"))
		a.printf("User ID: %d\n", mint(u, "id"))
		if kp, ok := u["krb_principals"]; ok {
			a.println("krb principals:")
			for _, k := range asList(kp) {
				a.printf("  %s\n", pyStrOf(k))
			}
		}
		if perms.Fault != nil {
			return perms.Fault
		}
		if pl := asList(perms.Value); len(pl) > 0 {
			a.println("Permissions:")
			for _, x := range pl {
				a.printf("  %s\n", pyStrOf(x))
			}
		}
		if g := asList(u["groups"]); len(g) > 0 {
			var names []string
			for _, x := range g {
				names = append(names, pyStrOf(x))
			}
			sort.Strings(names)
			a.println("Groups:")
			for _, n := range names {
				a.printf("  %s\n", n)
			}
		}
		a.printf("Status: %s\n", enumName(userStatus, u["status"]))
		a.printf("Usertype: %s\n", enumName(userTypes, u["usertype"]))
		for _, c := range []struct {
			label string
			r     kojiclient.MultiResult
		}{{"packages", pkgs}, {"tasks", tasks}, {"builds", builds}} {
			if c.r.Fault != nil {
				return c.r.Fault
			}
			a.printf("Number of %s: %d\n", c.label, mint(map[string]any{"n": c.r.Value}, "n"))
		}
		a.println("")
	}
	return nil
}

func cmdAddUser(a *app, args []string) error {
	p := newParser("%prog add-user <username> [options]")
	p.str("", "--principal", "the user's Kerberos principal")
	p.flag("", "--disable", "create the user blocked from logging in")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("You must specify the username of the user to add")
	} else if len(pos) > 1 {
		return p.errorf("This command only accepts one argument (username)")
	}
	status := int64(0)
	if o.b("disable") {
		status = 1
	}
	if err := a.activate(); err != nil {
		return err
	}
	var princ any
	if o.has("principal") {
		princ = o.s("principal")
	}
	v, err := a.callKw("createUser", []any{pos[0]}, map[string]any{"status": status, "krb_principal": princ})
	if err != nil {
		return err
	}
	a.printf("Added user %s (%d)\n", pos[0], mint(map[string]any{"id": v}, "id"))
	return nil
}

func cmdGrantPermission(a *app, args []string) error {
	p := newParser("%prog grant-permission [options] <permission> <user> [<user> ...]")
	p.flag("", "--new", "create the permission if it does not exist")
	p.str("", "--description", "description of a new permission")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return p.errorf("Please specify a permission and at least one user")
	}
	if err := a.activate(); err != nil {
		return err
	}
	var users []map[string]any
	for _, n := range pos[1:] {
		v, err := a.call("getUser", n)
		if err != nil {
			return err
		}
		if v == nil {
			return p.errorf("No such user: %s", n)
		}
		users = append(users, asMap(v))
	}
	kw := map[string]any{}
	if o.b("new") {
		kw["create"] = true
		if o.s("description") != "" {
			kw["description"] = o.s("description")
		}
	}
	if o.s("description") != "" && !o.b("new") {
		return p.errorf("Option new must be specified with option description.")
	}
	for _, u := range users {
		if _, err := a.callKw("grantPermission", []any{u["name"], pos[0]}, kw); err != nil {
			return err
		}
	}
	return nil
}

func cmdListPermissions(a *app, args []string) error {
	p := newParser("%prog list-permissions [options]")
	p.str("", "--user", "a user's permissions")
	p.flag("", "--mine", "your own permissions")
	p.flag("", "--quiet", "print no header")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return p.errorf("This command takes no arguments")
	}
	if err := a.activate(); err != nil {
		return err
	}
	type perm struct{ name, desc string }
	var perms []perm
	var user any
	if o.has("user") {
		user = o.s("user")
	}
	if o.b("mine") {
		v, err := a.call("getLoggedInUser")
		if err != nil {
			return err
		}
		user = asMap(v)["id"]
	}
	if truthy(user) {
		v, err := a.call("getUser", user)
		if err != nil {
			return err
		}
		if v == nil {
			return fail("No such user: %s", pyStrOf(user))
		}
		uid := asMap(v)["id"]
		iv, err := a.call("getUserPermsInheritance", uid)
		if err != nil && kojiclient.IsFault(err, "Invalid method") {
			a.warn("Old hub doesn't support Inherited Group Permissions.")
			pv, err := a.call("getUserPerms", uid)
			if err != nil {
				return err
			}
			for _, x := range asList(pv) {
				perms = append(perms, perm{name: pyStrOf(x)})
			}
		} else if err != nil {
			return err
		} else {
			for name, groups := range asMap(iv) {
				gl := asList(groups)
				pe := perm{name: name}
				if !(len(gl) == 1 && gl[0] == nil) {
					var names []string
					for _, g := range gl {
						names = append(names, pyStrOf(g))
					}
					pe.desc = "inherited from: " + strings.Join(names, ", ")
				}
				perms = append(perms, pe)
			}
		}
	} else {
		v, err := a.call("getAllPerms")
		if err != nil {
			return err
		}
		for _, x := range asList(v) {
			m := asMap(x)
			perms = append(perms, perm{mstr(m, "name"), mstr(m, "description")})
		}
	}
	width := 8
	if len(perms) > 0 {
		width = 0
		for _, pe := range perms {
			width = max(width, len(pe.name))
		}
		sort.SliceStable(perms, func(i, j int) bool { return perms[i].name < perms[j].name })
	}
	width = max(width, len("Permission name   "))
	if !(o.b("quiet") || a.quiet) {
		hdr := fmt.Sprintf("%-*s", width, "Permission name")
		if len(perms) > 0 && perms[0].desc != "" {
			hdr += fmt.Sprintf("%-53s", "   Description")
		}
		a.println(hdr)
		a.println(strings.Repeat("-", len(hdr)))
	}
	for _, pe := range perms {
		line := fmt.Sprintf("%-*s", width, pe.name)
		if pe.desc != "" {
			line += "   " + pe.desc
		}
		a.println(line)
	}
	return nil
}
