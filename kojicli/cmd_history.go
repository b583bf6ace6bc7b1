package kojicli

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

func init() {
	register(&command{name: "list-history", anon: true, section: "info", summary: "Display historical data", run: cmdListHistory})
}

// histTableKeys is _table_keys: the columns that identify a row of each
// versioned table.
var histTableKeys = map[string][]string{
	"user_perms":            {"user_id", "perm_id"},
	"user_groups":           {"user_id", "group_id"},
	"cg_users":              {"user_id", "cg_id"},
	"tag_inheritance":       {"tag_id", "parent_id"},
	"tag_config":            {"tag_id"},
	"tag_extra":             {"tag_id", "key"},
	"build_target_config":   {"build_target_id"},
	"external_repo_config":  {"external_repo_id"},
	"external_repo_data":    {"external_repo_id"},
	"host_config":           {"host_id"},
	"host_channels":         {"host_id", "channel_id"},
	"tag_external_repos":    {"tag_id", "external_repo_id"},
	"tag_listing":           {"build_id", "tag_id"},
	"tag_packages":          {"package_id", "tag_id"},
	"tag_package_owners":    {"package_id", "tag_id"},
	"group_config":          {"group_id", "tag_id"},
	"group_req_listing":     {"group_id", "tag_id", "req_id"},
	"group_package_listing": {"group_id", "tag_id", "package"},
}

// histFormats is the message of each table for an edit, a creation and a
// revocation.
var histFormats = map[string][3]string{
	"tag_listing": {"%(name)s-%(version)s-%(release)s re-tagged into %(tag.name)s",
		"%(name)s-%(version)s-%(release)s tagged into %(tag.name)s",
		"%(name)s-%(version)s-%(release)s untagged from %(tag.name)s"},
	"user_perms": {"permission %(permission.name)s re-granted to %(user.name)s",
		"permission %(permission.name)s granted to %(user.name)s",
		"permission %(permission.name)s revoked for %(user.name)s"},
	"user_groups": {"user %(user.name)s re-added to group %(group.name)s",
		"user %(user.name)s added to group %(group.name)s",
		"user %(user.name)s removed from group %(group.name)s"},
	"cg_users": {"user %(user.name)s re-added to content generator %(content_generator.name)s",
		"user %(user.name)s added to content generator %(content_generator.name)s",
		"user %(user.name)s removed from content generator %(content_generator.name)s"},
	"tag_packages": {"package list entry for %(package.name)s in %(tag.name)s updated",
		"package list entry created: %(package.name)s in %(tag.name)s",
		"package list entry revoked: %(package.name)s in %(tag.name)s"},
	"tag_package_owners": {"package owner changed for %(package.name)s in %(tag.name)s",
		"package owner %(owner.name)s set for %(package.name)s in %(tag.name)s",
		"package owner %(owner.name)s revoked for %(package.name)s in %(tag.name)s"},
	"tag_inheritance": {"inheritance line %(tag.name)s->%(parent.name)s updated",
		"inheritance line %(tag.name)s->%(parent.name)s added",
		"inheritance line %(tag.name)s->%(parent.name)s removed"},
	"tag_config": {"tag configuration for %(tag.name)s altered", "new tag: %(tag.name)s", "tag deleted: %(tag.name)s"},
	"tag_extra": {"tag option %(key)s for tag %(tag.name)s altered", "added tag option %(key)s for tag %(tag.name)s",
		"tag option %(key)s removed for %(tag.name)s"},
	"host_config": {"host configuration for %(host.name)s altered", "new host: %(host.name)s", "host deleted: %(host.name)s"},
	"host_channels": {"host %(host.name)s removed from channel %(channels.name)s",
		"host %(host.name)s added to channel %(channels.name)s",
		"host %(host.name)s removed from channel %(channels.name)s"},
	"build_target_config": {"build target configuration for %(build_target.name)s updated",
		"new build target: %(build_target.name)s", "build target deleted: %(build_target.name)s"},
	"external_repo_config": {"external repo configuration for %(external_repo.name)s altered",
		"new external repo: %(external_repo.name)s", "external repo deleted: %(external_repo.name)s"},
	"external_repo_data": {"tracking data for external repo %(external_repo.name)s altered",
		"new tracking data for external repo %(external_repo.name)s",
		"deleted tracking data for external repo %(external_repo.name)s"},
	"tag_external_repos": {"external repo entry for %(external_repo.name)s in tag %(tag.name)s updated",
		"external repo entry for %(external_repo.name)s added to tag %(tag.name)s",
		"external repo entry for %(external_repo.name)s removed from tag %(tag.name)s"},
	"group_config": {"group %(group.name)s configuration for tag %(tag.name)s updated",
		"group %(group.name)s added to tag %(tag.name)s", "group %(group.name)s removed from tag %(tag.name)s"},
	"group_req_listing": {"group dependency %(group.name)s->%(req.name)s updated in tag %(tag.name)s",
		"group dependency %(group.name)s->%(req.name)s added in tag %(tag.name)s",
		"group dependency %(group.name)s->%(req.name)s dropped from tag %(tag.name)s"},
	"group_package_listing": {"package entry %(package)s in group %(group.name)s, tag %(tag.name)s updated",
		"package %(package)s added to group %(group.name)s in tag %(tag.name)s",
		"package %(package)s removed from group %(group.name)s in tag %(tag.name)s"},
}

var pyNamedFmt = regexp.MustCompile(`%\(([^)]+)\)s`)

// pyFormat is Python's "fmt % dict" for %(key)s fields.
func pyFormat(f string, x map[string]any) string {
	return pyNamedFmt.ReplaceAllStringFunc(f, func(m string) string {
		return pyStrOf(x[m[2:len(m)-2]])
	})
}

type histEntry struct {
	event   int64
	table   string
	create  bool
	x       map[string]any
	related []*histEntry
}

func cmdListHistory(a *app, args []string) error {
	p := newParser("%prog list-history [options]")
	p.str("", "--build", "only this build")
	p.str("", "--package", "only this package")
	p.str("", "--tag", "only this tag")
	p.add(&option{long: "--editor", kind: optString, metavar: "USER", help: "only changes made by this user"})
	p.add(&option{long: "--by", dest: "editor", kind: optString, metavar: "USER", help: "the same as --editor"})
	p.str("", "--user", "only entries about this user")
	p.str("", "--permission", "only entries about this permission")
	p.str("", "--cg", "only entries about this content generator")
	p.str("", "--external-repo", "only entries about this external repo")
	p.add(&option{long: "--erepo", dest: "external_repo", kind: optString, metavar: "EXTERNAL_REPO", help: "the same as --external-repo"})
	p.str("", "--build-target", "only entries about this build target")
	p.add(&option{long: "--target", dest: "build_target", kind: optString, metavar: "BUILD_TARGET", help: "the same as --build-target"})
	p.str("", "--group", "only entries about this group")
	p.str("", "--host", "only entries about this host")
	p.str("", "--channel", "only entries about this channel")
	p.str("", "--xkey", "only entries about this tag extra key")
	p.add(&option{long: "--before", kind: optString, metavar: "BEFORE", help: "only entries before this time (a timestamp or a date)"})
	p.add(&option{long: "--after", kind: optString, metavar: "AFTER", help: "only entries after this time (same formats as --before)"})
	p.add(&option{long: "--before-event", kind: optInt, metavar: "EVENT_ID", help: "only entries before this event"})
	p.add(&option{long: "--after-event", kind: optInt, metavar: "EVENT_ID", help: "only entries after this event"})
	p.flag("", "--watch", "keep printing new entries")
	p.flag("", "--active", "only entries that are still active")
	p.add(&option{long: "--revoked", dest: "active", kind: optFalse, help: "only entries that are revoked"})
	p.flag("", "--context", "show related entries")
	p.list("-s", "--show", "only these tables")
	p.flag("-v", "--verbose", "show more detail")
	p.flag("-e", "--events", "show event ids")
	p.flag("", "--all", "allow listing the whole history")
	p.flag("", "--utc", "show times in UTC")
	p.add(&option{long: "--debug", kind: optBool, help: ""})
	o, pos, err := a.parse(p, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return p.errorf("This command takes no arguments")
	}
	for _, k := range []string{"before", "after"} {
		if o.has(k) {
			ts, err := parseTimeOption(o.s(k))
			if err != nil {
				return p.errorf("option --%s: invalid time specification: %s", k, pyStr(o.s(k)))
			}
			o[k] = ts
		}
	}
	kw := map[string]any{}
	limited := false
	for _, k := range []string{"package", "tag", "build", "editor", "user", "permission", "cg", "external_repo",
		"build_target", "group", "before", "after", "host", "channel", "xkey"} {
		if truthy(o[k]) {
			kw[k] = o[k]
			limited = true
		}
	}
	if o.i("before_event") != 0 {
		kw["beforeEvent"] = o.i("before_event")
	}
	if o.i("after_event") != 0 {
		kw["afterEvent"] = o.i("after_event")
	}
	if o.has("active") {
		kw["active"] = o.b("active")
	}
	if o.s("host") != "" {
		h, err := a.call("getHost", o.s("host"))
		if err != nil {
			return err
		}
		if h == nil {
			return fail("No such host: %s", o.s("host"))
		}
	}
	if o.s("channel") != "" {
		c, err := a.call("getChannel", o.s("channel"))
		if err != nil {
			return err
		}
		if c == nil {
			return fail("No such channel: %s", o.s("channel"))
		}
	}
	if o.b("utc") {
		kw["utc"] = true
	}
	var tables any
	if len(o.l("show")) > 0 {
		var t []string
		for _, s := range o.l("show") {
			t = append(t, strings.Split(s, ",")...)
		}
		tables = strList(t)
	}
	if !limited && !o.b("all") {
		return p.errorf("Please specify an option to limit the query")
	}
	if err := a.ensureConn(); err != nil {
		return err
	}
	if o.b("watch") && !truthy(kw["afterEvent"]) && !truthy(kw["after"]) {
		ev, err := a.call("getLastEvent")
		if err != nil {
			return err
		}
		kw["afterEvent"] = asMap(ev)["id"]
	}
	for {
		kw["tables"] = tables
		v, err := a.callKw("queryHistory", nil, kw)
		if err != nil {
			return err
		}
		hist := asMap(v)
		match := func(x map[string]any, name string) bool {
			if o.b("context") {
				return true
			}
			for k, val := range x {
				if strings.HasPrefix(k, "_"+name) && !truthy(val) {
					return false
				}
			}
			return true
		}
		var timeline []*histEntry
		for _, table := range sortedKeys(hist) {
			for _, r := range asList(hist[table]) {
				x := asMap(r)
				if x["revoke_event"] != nil && match(x, "revoked") {
					cp := map[string]any{}
					for k, val := range x {
						cp[k] = val
					}
					timeline = append(timeline, &histEntry{mint(x, "revoke_event"), table, false, cp, nil})
				}
				if match(x, "created") {
					timeline = append(timeline, &histEntry{mint(x, "create_event"), table, true, x, nil})
				}
			}
		}
		sort.SliceStable(timeline, func(i, j int) bool {
			a, b := timeline[i], timeline[j]
			if a.event != b.event {
				return a.event < b.event
			}
			if a.table != b.table {
				return a.table < b.table
			}
			return !a.create && b.create
		})
		var lines []*histEntry
		lastEvent := int64(-1)
		index := map[string]*histEntry{}
		for _, e := range timeline {
			if e.event != lastEvent {
				index = map[string]*histEntry{}
				lastEvent = e.event
			}
			var kp []string
			for _, k := range histTableKeys[e.table] {
				kp = append(kp, pyRepr(e.x[k]))
			}
			key := e.table + "\x00" + strings.Join(kp, "\x00")
			if prev := index[key]; prev != nil {
				prev.related = append(prev.related, e)
			} else {
				index[key] = e
				lines = append(lines, e)
			}
		}
		for _, e := range lines {
			a.printHistLine(e, o)
		}
		if !o.b("watch") {
			return nil
		}
		if err := a.pause(); err != nil {
			return err
		}
		if lastEvent >= 0 {
			kw["afterEvent"] = lastEvent
		}
	}
}

func (a *app) printHistLine(e *histEntry, o values) {
	x := e.x
	edit := e.related
	if len(edit) > 0 {
		bad := ""
		if len(edit) != 1 {
			bad = fmt.Sprintf("%d elements", len(edit)+1)
		}
		other := edit[0]
		if e.create || !other.create {
			bad = "out of order"
		}
		if e.event != other.event {
			bad = "non-matching"
		}
		if bad != "" {
			a.warn("Unusual edit at event %d in table %s (%s)", e.event, e.table, bad)
			plain := *e
			plain.related = nil
			a.printHistLine(&plain, o)
			for range edit {
				a.printHistLine(&plain, o)
			}
			return
		}
	}
	var ts any
	who := ""
	if e.create {
		ts = x["create_ts"]
		if _, ok := x["creator_name"]; ok {
			who = "by " + pyStrOf(x["creator_name"])
		}
	} else {
		ts = x["revoke_ts"]
		if _, ok := x["revoker_name"]; ok {
			who = "by " + pyStrOf(x["revoker_name"])
		}
	}
	var f string
	if fs, ok := histFormats[e.table]; ok {
		switch {
		case len(edit) > 0:
			f = fs[0]
		case e.create:
			f = fs[1]
		default:
			f = fs[2]
		}
		if e.table == "host_channels" && len(edit) > 0 {
			f = fs[2]
		}
	} else {
		switch {
		case len(edit) > 0:
			f = e.table + " entry updated"
		case e.create:
			f = e.table + " entry created"
		default:
			f = e.table + " entry revoked"
		}
	}
	t := time.Unix(int64(num(ts)), 0)
	if o.b("utc") {
		t = t.UTC()
	}
	parts := []string{t.Format("Mon Jan _2 15:04:05 2006"), pyFormat(f, x)}
	if o.b("events") || o.b("verbose") {
		parts = append(parts[:1], append([]string{fmt.Sprintf("(eid %d)", e.event)}, parts[1:]...)...)
	}
	if who != "" {
		parts = append(parts, who)
	}
	if (e.create && truthy(x["active"])) || (len(edit) > 0 && truthy(edit[len(edit)-1].x["active"])) {
		parts = append(parts, "[still active]")
	}
	a.println(strings.Join(parts, " "))
	hidden := []string{"active", "create_event", "revoke_event", "creator_id", "revoker_id",
		"creator_name", "revoker_name", "create_ts", "revoke_ts"}
	nkey := func(k string) string {
		if k == "perm_id" {
			return "permission.name"
		}
		if strings.HasSuffix(k, "_id") {
			return k[:len(k)-3] + ".name"
		}
		return k + ".name"
	}
	if len(edit) > 0 {
		y := edit[len(edit)-1].x
		for _, k := range sortedKeys(x) {
			if contains(hidden, k) || pyRepr(x[k]) == pyRepr(y[k]) || strings.HasPrefix(k, "_") {
				continue
			}
			nk := nkey(k)
			_, inX := x[nk]
			_, inY := y[nk]
			if inX && inY {
				continue
			}
			a.printf("    %s: %s -> %s\n", k, pyStrOf(x[k]), pyStrOf(y[k]))
		}
	} else if e.create && o.b("verbose") && e.table != "tag_listing" {
		also := append([]string(nil), histTableKeys[e.table]...)
		for _, k := range histTableKeys[e.table] {
			also = append(also, nkey(k))
		}
		for _, k := range sortedKeys(x) {
			if contains(hidden, k) || contains(also, k) {
				continue
			}
			if _, ok := x[nkey(k)]; ok {
				continue
			}
			if strings.HasPrefix(k, "_") {
				continue
			}
			if truthy(x["blocked"]) && k != "blocked" {
				continue
			}
			a.printf("    %s: %s\n", strings.TrimSuffix(k, ".name"), pyStrOf(x[k]))
		}
	}
}
