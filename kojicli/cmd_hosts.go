package kojicli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gokoji/gokoji/hub/kojiclient"
)

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

func init() {
	register(&command{name: "list-hosts", anon: true, section: "info", summary: "Print the host listing", run: cmdListHosts})
	register(&command{name: "hostinfo", anon: true, section: "info", summary: "Print basic information about a host", run: cmdHostinfo})
	register(&command{name: "list-channels", anon: true, section: "info", summary: "Print channels listing", run: cmdListChannels})
}

// truncateString is truncate_string: newlines to spaces, at most 47
// characters and "...".
func truncateString(v any) string {
	s, _ := v.(string)
	if s == "" {
		return ""
	}
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > 47 {
		return string(r[:47]) + "..."
	}
	return s
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// hostUpdates fills update_ts for hubs whose host records lack it.
func (a *app) hostUpdates(hosts []map[string]any) error {
	if len(hosts) == 0 {
		return nil
	}
	if _, ok := hosts[0]["update_ts"]; ok {
		return nil
	}
	var calls []kojiclient.MultiCall
	for _, h := range hosts {
		calls = append(calls, kojiclient.MultiCall{Method: "getLastHostUpdate", Params: []any{h["id"]}, Kw: map[string]any{"ts": true}})
	}
	res, err := a.multi(calls, true)
	if err != nil {
		return err
	}
	for i, h := range hosts {
		h["update_ts"] = res[i].Value
	}
	return nil
}

func cmdListHosts(a *app, args []string) error {
	p := newParser("%prog list-hosts [options]")
	p.list("", "--arch", "only hosts of this architecture")
	p.str("", "--channel", "only hosts in this channel")
	p.flag("", "--ready", "only ready hosts")
	p.add(&option{long: "--not-ready", dest: "ready", kind: optFalse, help: "only hosts that are not ready"})
	p.flag("", "--enabled", "only enabled hosts")
	p.add(&option{long: "--not-enabled", dest: "enabled", kind: optFalse, help: "only hosts that are not enabled"})
	p.add(&option{long: "--disabled", dest: "enabled", kind: optFalse, help: "the same as --not-enabled"})
	p.flag("", "--quiet", "do not print the header")
	p.flag("", "--show-channels", "show the hosts' channels")
	p.flag("", "--comment", "show comments")
	p.flag("", "--description", "show descriptions")
	o, _, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	opts := map[string]any{}
	if len(o.l("arch")) > 0 {
		opts["arches"] = strList(o.l("arch"))
	}
	if o.s("channel") != "" {
		c, err := a.call("getChannel", o.s("channel"))
		if err != nil {
			return err
		}
		if c == nil {
			return p.errorf("No such channel: %s", o.s("channel"))
		}
		opts["channelID"] = asMap(c)["id"]
	}
	for _, k := range []string{"ready", "enabled"} {
		if o.has(k) {
			opts[k] = o.b(k)
		}
	}
	v, err := a.callKw("listHosts", nil, opts)
	if err != nil {
		return err
	}
	var hosts []map[string]any
	for _, x := range asList(v) {
		hosts = append(hosts, asMap(x))
	}
	sort.SliceStable(hosts, func(i, j int) bool { return mstr(hosts[i], "name") < mstr(hosts[j], "name") })
	if len(hosts) == 0 {
		a.warn("No hosts found.")
		return nil
	}
	if err := a.hostUpdates(hosts); err != nil {
		return err
	}
	channels := make([]string, len(hosts))
	if o.b("show_channels") {
		var calls []kojiclient.MultiCall
		for _, h := range hosts {
			calls = append(calls, kojiclient.MultiCall{Method: "listChannels", Params: []any{h["id"]}})
		}
		res, err := a.multi(calls, true)
		if err != nil {
			return err
		}
		for i, r := range res {
			var names []string
			for _, c := range asList(r.Value) {
				m := asMap(c)
				if e, ok := m["enabled"]; ok && e != nil && !truthy(e) {
					names = append(names, "*"+mstr(m, "name"))
				} else {
					names = append(names, mstr(m, "name"))
				}
			}
			sort.Strings(names)
			channels[i] = strings.Join(names, ",")
		}
	}
	longest := 0
	for _, h := range hosts {
		longest = max(longest, len([]rune(mstr(h, "name"))))
	}
	if !(o.b("quiet") || a.quiet) {
		hdr := fmt.Sprintf("%-*s Enb Rdy Load/Cap  Arches           Last Update                         ", longest, "Hostname")
		if o.b("description") {
			hdr += fmt.Sprintf("%-51s", "Description")
		}
		if o.b("comment") {
			hdr += fmt.Sprintf("%-51s", "Comment")
		}
		if o.b("show_channels") {
			hdr += "Channels"
		}
		a.println(hdr)
		a.println(strings.Repeat("-", len([]rune(hdr))))
	}
	for i, h := range hosts {
		update := "-"
		if h["update_ts"] != nil {
			update = formatTimeLong(h["update_ts"])
		}
		line := fmt.Sprintf("%-*s %-3s %-3s %4.1f/%-4.1f %-16s %-35s", longest, mstr(h, "name"), yn(mbool(h, "enabled")), yn(mbool(h, "ready")),
			num(h["task_load"]), num(h["capacity"]), strings.Join(strings.Fields(mstr(h, "arches")), ","), update)
		if o.b("description") {
			line += fmt.Sprintf(" %-50s", truncateString(h["description"]))
		}
		if o.b("comment") {
			line += fmt.Sprintf(" %-50s", truncateString(h["comment"]))
		}
		if o.b("show_channels") {
			line += " " + channels[i]
		}
		a.println(line)
	}
	return nil
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return 0
}

func cmdHostinfo(a *app, args []string) error {
	p := newParser("%prog hostinfo [options] <hostname> [<hostname> ...]")
	_, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return p.errorf("Please specify a host")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	errHit := false
	for _, h := range pos {
		var ref any = h
		if isDigits(h) {
			n, _ := strconv.ParseInt(h, 10, 64)
			ref = n
		}
		v, err := a.call("getHost", ref)
		if err != nil {
			return err
		}
		info := asMap(v)
		if info == nil {
			a.warn("No such host: %s\n", pyStrOf(ref))
			errHit = true
			continue
		}
		a.printf("Name: %s\n", mstr(info, "name"))
		a.printf("ID: %d\n", mint(info, "id"))
		a.printf("Arches: %s\n", mstr(info, "arches"))
		a.printf("Capacity: %s\n", pyStrOf(info["capacity"]))
		a.printf("Task Load: %.2f\n", num(info["task_load"]))
		printLines := func(label string, v any) {
			s, _ := v.(string)
			if s == "" {
				a.printf("%s:\n", label)
				return
			}
			lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
			a.printf("%s: %s\n", label, lines[0])
			for _, l := range lines[1:] {
				a.printf("%s%s\n", strings.Repeat(" ", len(label)+2), l)
			}
		}
		printLines("Description", info["description"])
		printLines("Comment", info["comment"])
		a.printf("Enabled: %s\n", map[bool]string{true: "yes", false: "no"}[mbool(info, "enabled")])
		a.printf("Ready: %s\n", map[bool]string{true: "yes", false: "no"}[mbool(info, "ready")])
		if err := a.hostUpdates([]map[string]any{info}); err != nil {
			return err
		}
		update := "never"
		if info["update_ts"] != nil {
			update = formatTimeLong(info["update_ts"])
		}
		a.printf("Last Update: %s\n", update)
		cv, err := a.callKw("listChannels", nil, map[string]any{"hostID": info["id"]})
		if err != nil {
			return err
		}
		var cn []string
		for _, c := range asList(cv) {
			cn = append(cn, mstr(asMap(c), "name"))
		}
		a.printf("Channels: %s\n", strings.Join(cn, " "))
		a.println("Active Buildroots:")
		states := []string{"INIT", "WAITING", "BUILDING"}
		var rows [][3]string
		for s := 0; s < 3; s++ {
			bv, err := a.callKw("listBuildroots", nil, map[string]any{"hostID": info["id"], "state": s})
			if err != nil {
				return err
			}
			for _, b := range asList(bv) {
				m := asMap(b)
				t := mstr(m, "create_event_time")
				if i := strings.Index(t, "."); i >= 0 {
					t = t[:i]
				} else if t != "" {
					t = t[:len(t)-1]
				}
				rows = append(rows, [3]string{fmt.Sprintf("%s-%s-%s", mstr(m, "tag_name"), pyStrOf(m["id"]), pyStrOf(m["repo_id"])), states[s], t})
			}
		}
		if len(rows) > 0 {
			a.printf("%-50s %-10s %-20s\n", "NAME", "STATE", "CREATION TIME")
			for _, r := range rows {
				a.printf("%-50s %-10s %-20s\n", r[0], r[1], r[2])
			}
		} else {
			a.println("None")
		}
	}
	if errHit {
		return exitCode(1)
	}
	return nil
}

func cmdListChannels(a *app, args []string) error {
	p := newParser("%prog list-channels [options]")
	p.flag("", "--simple", "print only the channel names")
	p.flag("", "--quiet", "do not print the header")
	p.flag("", "--comment", "show comments")
	p.flag("", "--description", "show descriptions")
	p.flag("", "--enabled", "only enabled channels")
	p.add(&option{long: "--not-enabled", dest: "enabled", kind: optFalse, help: "only channels that are not enabled"})
	p.add(&option{long: "--disabled", dest: "enabled", kind: optFalse, help: "the same as --not-enabled"})
	p.str("", "--arch", "only channels with hosts of this arch")
	o, _, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	kw := map[string]any{}
	if o.has("enabled") {
		kw["enabled"] = o.b("enabled")
	}
	v, err := a.callKw("listChannels", nil, kw)
	if f, ok := isFault(err); ok && f.Code == 1019 {
		v, err = a.call("listChannels")
	}
	if err != nil {
		return err
	}
	var chans []map[string]any
	for _, x := range asList(v) {
		chans = append(chans, asMap(x))
	}
	sort.SliceStable(chans, func(i, j int) bool { return mstr(chans[i], "name") < mstr(chans[j], "name") })
	var first map[string]any
	if len(chans) > 0 {
		first = chans[0]
	}
	has := func(k string) bool { _, ok := first[k]; return ok }
	var calls []kojiclient.MultiCall
	for _, c := range chans {
		kw := map[string]any{"channelID": c["id"]}
		if o.has("arch") {
			kw["arches"] = o.s("arch")
		}
		calls = append(calls, kojiclient.MultiCall{Method: "listHosts", Kw: kw})
	}
	res, err := a.multi(calls, true)
	if err != nil {
		return err
	}
	type row struct {
		name, desc, comment                     string
		enabled, disabled, ready, load, cap, pc int64
	}
	rows := make([]row, len(chans))
	for i, c := range chans {
		hosts := asList(res[i].Value)
		r := row{name: mstr(c, "name")}
		var capacity, load float64
		for _, h := range hosts {
			m := asMap(h)
			if mbool(m, "enabled") {
				r.enabled++
			}
			if mbool(m, "ready") {
				r.ready++
			}
			capacity += num(m["capacity"])
			load += num(m["task_load"])
		}
		r.disabled = int64(len(hosts)) - r.enabled
		r.load, r.cap = int64(load), int64(capacity)
		if capacity != 0 {
			r.pc = int64(load / capacity * 100)
		}
		if has("comment") {
			r.comment = truncateString(c["comment"])
		}
		if has("description") {
			r.desc = truncateString(c["description"])
		}
		if has("enabled") && !mbool(c, "enabled") {
			r.name += " [disabled]"
		}
		rows[i] = r
	}
	longest := 8
	if len(rows) > 0 {
		longest = 0
		for _, r := range rows {
			longest = max(longest, len([]rune(r.name)))
		}
	}
	quiet := o.b("quiet") || a.quiet
	if o.b("simple") {
		if !quiet {
			a.println("Channel")
			a.println("-------")
		}
		for _, r := range rows {
			a.println(r.name)
		}
		return nil
	}
	if !quiet {
		hdr := fmt.Sprintf("%-*sEnabled  Ready Disbld   Load    Cap   Perc    ", longest, "Channel")
		if o.b("description") && has("description") {
			hdr += fmt.Sprintf("%-53s", "Description")
		}
		if o.b("comment") && has("comment") {
			hdr += fmt.Sprintf("%-53s", "Comment")
		}
		a.println(hdr)
		a.println(strings.Repeat("-", len([]rune(hdr))))
	}
	for _, r := range rows {
		line := fmt.Sprintf("%-*s %6d %6d %6d %6d %6d %6d%%", longest, r.name, r.enabled, r.ready, r.disabled, r.load, r.cap, r.pc)
		if o.b("description") && has("description") {
			line += fmt.Sprintf("   %-50s", r.desc)
		}
		if o.b("comment") && has("comment") {
			line += fmt.Sprintf("   %-50s", r.comment)
		}
		a.println(line)
	}
	return nil
}
