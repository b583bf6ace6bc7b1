package kojicli

import "github.com/gokoji/gokoji/hub/kojiclient"

func init() {
	register(&command{name: "add-host", section: "admin", summary: "Add a build host", run: cmdAddHost})
	register(&command{name: "enable-host", section: "admin", summary: "Enable build hosts", run: func(a *app, args []string) error {
		return cmdSetHost(a, args, "enable")
	}})
	register(&command{name: "disable-host", section: "admin", summary: "Disable build hosts", run: func(a *app, args []string) error {
		return cmdSetHost(a, args, "disable")
	}})
}

func cmdAddHost(a *app, args []string) error {
	p := newParser("%prog add-host [options] <hostname> <arch> [<arch> ...]")
	p.str("", "--krb-principal", "Kerberos principal of the host, if not the default")
	p.flag("", "--force", "turn an existing normal user of that name into a host")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return p.errorf("Please specify a hostname and at least one arch")
	}
	if err := a.activate(); err != nil {
		return err
	}
	v, err := a.call("getHost", pos[0])
	if err != nil {
		return err
	}
	if truthy(v) {
		return fail("%s is already in the database", pos[0])
	}
	kw := map[string]any{"force": o.b("force")}
	if o.has("krb_principal") {
		kw["krb_principal"] = o.s("krb_principal")
	}
	id, err := a.callKw("addHost", []any{pos[0], strList(pos[1:])}, kw)
	if err != nil {
		return err
	}
	a.printf("%s added: id %d\n", pos[0], mint(map[string]any{"id": id}, "id"))
	return nil
}

// cmdSetHost is enable-host and disable-host: check every host exists, then
// change them all in one batch.
func cmdSetHost(a *app, args []string, verb string) error {
	p := newParser("%prog " + verb + "-host [options] <hostname> [<hostname> ...]")
	p.str("", "--comment", "why the hosts are being "+verb+"d")
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return p.errorf("At least one host must be specified")
	}
	if err := a.activate(); err != nil {
		return err
	}
	var calls []kojiclient.MultiCall
	for _, h := range pos {
		calls = append(calls, kojiclient.MultiCall{Method: "getHost", Params: []any{h}})
	}
	res, err := a.multi(calls, true)
	if err != nil {
		return err
	}
	bad := false
	for i, r := range res {
		if !truthy(r.Value) {
			a.printf("No such host: %s\n", pos[i])
			bad = true
		}
	}
	if bad {
		return fail("No changes made. Please correct the command line.")
	}
	calls = nil
	for _, h := range pos {
		calls = append(calls, kojiclient.MultiCall{Method: verb + "Host", Params: []any{h}})
		if o.has("comment") {
			calls = append(calls, kojiclient.MultiCall{Method: "editHost", Params: []any{h}, Kw: map[string]any{"comment": o.s("comment")}})
		}
	}
	_, err = a.multi(calls, true)
	return err
}
