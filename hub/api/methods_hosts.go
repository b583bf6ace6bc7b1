package api

import (
	"context"
	"strings"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
)

func hostMethods() []Method {
	hostPerm := perm("host")
	return []Method{
		{Name: "addHost", Params: []Param{P("hostname"), P("arches"), Opt("krb_principal", nil), Opt("force", false), Ext("password", nil)},
			Access: hostPerm, Writes: true,
			Doc: "Add a build host: its user (usertype HOST), its config and the default channel; returns the host id. " +
				"force turns an existing normal user of that name into the host's user. password is our extension (stored hashed) for hosts that log in with a password.",
			Handler: addHost},
		{Name: "editHost", Params: []Param{P("hostInfo")}, VarKW: "kw", Access: hostPerm, Writes: true,
			Doc:     "Change a host's arches, capacity, description or comment; returns whether anything changed.",
			Handler: editHost},
		{Name: "enableHost", Params: []Param{P("hostname")}, Access: hostPerm, Writes: true,
			Doc: "Mark a host enabled: the scheduler gives it tasks.", Handler: setHostEnabled(true)},
		{Name: "disableHost", Params: []Param{P("hostname")}, Access: hostPerm, Writes: true,
			Doc: "Mark a host disabled: the scheduler gives it no new tasks.", Handler: setHostEnabled(false)},
		{Name: "getHost", Params: []Param{P("hostInfo"), Opt("strict", false), Opt("event", nil)}, Access: anyone,
			Doc:     "A host by id or name (its config as of event): {id, user_id, name, update_ts, ready, task_load, arches, capacity, description, comment, enabled}.",
			Handler: getHost},
		{Name: "listHosts", Params: []Param{Opt("arches", nil), Opt("channelID", nil), Opt("ready", nil), Opt("enabled", nil), Opt("userID", nil), Opt("queryOpts", nil)},
			Access: anyone, Doc: "List hosts, optionally those with any of the arches, in a channel, (not) ready, (not) enabled, or of a user.",
			Handler: listHosts},
		{Name: "getLastHostUpdate", Params: []Param{P("hostID"), Opt("ts", false)}, Access: anyone,
			Doc: "When the host's user last used a session: a time string, or an epoch double with ts; nil if never.", Handler: getLastHostUpdate},
		{Name: "getAllArches", Access: anyone, Doc: "The canonical arches of all hosts.", Handler: getAllArches},
		{Name: "addHostToChannel", Params: []Param{P("hostname"), P("channel_name"), Opt("create", false), Opt("force", false)},
			Access: hostPerm, Writes: true,
			Doc: "Put a host in a channel; create makes the channel if needed, force allows a disabled channel.", Handler: addHostToChannel},
		{Name: "removeHostFromChannel", Params: []Param{P("hostname"), P("channel_name")}, Access: hostPerm, Writes: true,
			Doc: "Take a host out of a channel.", Handler: removeHostFromChannel},
		{Name: "listChannels", Params: []Param{Opt("hostID", nil), Opt("event", nil), Opt("enabled", nil)}, Access: anyone,
			Doc: "List channels (a host's, as of event): [{id, name, description, enabled, comment}].", Handler: listChannels},
		{Name: "getChannel", Params: []Param{P("channelInfo"), Opt("strict", false)}, Access: anyone,
			Doc: "A channel by id or name: {id, name, description, enabled, comment}.", Handler: getChannel},
		{Name: "addChannel", Params: []Param{P("channel_name"), Opt("description", nil)}, Access: admin, Writes: true,
			Doc: "Create a channel; returns its id.", Handler: addChannel},
		{Name: "editChannel", Params: []Param{P("channelInfo")}, VarKW: "kw", Access: admin, Writes: true,
			Doc: "Change a channel's name, description or comment; returns whether anything changed.", Handler: editChannel},
		{Name: "renameChannel", Params: []Param{P("old"), P("new")}, Access: admin, Writes: true,
			Doc: "Rename a channel (editChannel with name).", Handler: renameChannel},
		{Name: "enableChannel", Params: []Param{P("channelname"), Opt("comment", nil)}, Access: hostPerm, Writes: true,
			Doc: "Mark a channel enabled, optionally setting its comment.", Handler: setChannelEnabled(true)},
		{Name: "disableChannel", Params: []Param{P("channelname"), Opt("comment", nil)}, Access: hostPerm, Writes: true,
			Doc: "Mark a channel disabled: its tasks wait until it is enabled again.", Handler: setChannelEnabled(false)},
		{Name: "removeChannel", Params: []Param{P("channel_name"), Opt("force", false)}, Access: admin, Writes: true, Ext: true,
			Doc:     "Delete a channel no task uses; with hosts in it only with force. (Koji removed this call in 1.33; we keep it.)",
			Handler: removeChannel},
	}
}

// hostStruct is getHost's answer.
func hostStruct(h *store.Host) map[string]any {
	var arches any
	if h.Arches != nil {
		arches = *h.Arches
	}
	return map[string]any{
		"id": h.ID, "user_id": h.UserID, "name": h.Name, "update_ts": hub.OptTS(h.UpdateUS),
		"ready": h.Ready, "task_load": h.TaskLoad, "arches": arches, "capacity": h.Capacity,
		"description": h.Description, "comment": h.Comment, "enabled": h.Enabled,
	}
}

func channelStruct(ch *store.Channel) map[string]any {
	return map[string]any{"id": ch.ID, "name": ch.Name, "description": ch.Description, "enabled": ch.Enabled, "comment": ch.Comment}
}

func lookupHost(ctx context.Context, c *Call, info any, event *int64) (*store.Host, error) {
	col, val, err := nameOrID(info)
	if err != nil {
		return nil, err
	}
	return store.HostBy(ctx, c.Tx, col, val, event)
}

// hostByName finds the host a name argument names, or fails as Koji does.
func hostByName(ctx context.Context, c *Call, info any) (*store.Host, error) {
	h, err := lookupHost(ctx, c, info, nil)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, hub.GenericError("host does not exist: %v", info)
	}
	return h, nil
}

func lookupChannel(ctx context.Context, c *Call, info any) (*store.Channel, error) {
	col, val, err := nameOrID(info)
	if err != nil {
		return nil, err
	}
	return store.ChannelBy(ctx, c.Tx, col, val)
}

func addHost(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	name := a.String("hostname")
	princ := a.OptString("krb_principal")
	force := a.Bool("force")
	password := a.OptString("password")
	if err := a.Err(); err != nil {
		return nil, err
	}
	if err := hub.VerifyInternalName(name); err != nil {
		return nil, err
	}
	if err := hub.VerifyUserName(name, "Name"); err != nil {
		return nil, err
	}
	arches, err := hub.ParseArches(a.Value("arches"), false)
	if err != nil {
		return nil, err
	}
	if h, err := store.HostBy(ctx, c.Tx, "name", name, nil); err != nil {
		return nil, err
	} else if h != nil {
		return nil, hub.GenericError("host already exists: %s", name)
	}
	def, err := store.ChannelBy(ctx, c.Tx, "name", "default")
	if err != nil {
		return nil, err
	}
	if def == nil {
		return nil, hub.GenericError("the default channel is missing")
	}
	u, err := store.UserBy(ctx, c.Tx, "name", name)
	if err == nil && u == nil && princ != nil {
		u, err = store.UserBy(ctx, c.Tx, "krb_principal", *princ)
	}
	if err != nil {
		return nil, err
	}
	var hash string
	if password != nil {
		if hash, err = hashPassword(*password); err != nil {
			return nil, err
		}
	}
	var userID int64
	if u != nil {
		if u.UserType != hub.UserTypeHost {
			if !force || u.UserType != hub.UserTypeNormal {
				return nil, hub.GenericError("user %s already exists and it is not a host", name)
			}
			if err := store.SetUserField(ctx, c.Tx, u.ID, "usertype", hub.UserTypeHost); err != nil {
				return nil, err
			}
		}
		userID = u.ID
		if hash != "" {
			if err := store.SetUserField(ctx, c.Tx, u.ID, "password", hash); err != nil {
				return nil, err
			}
		}
	} else {
		nu := store.NewUser{Name: name, UserType: hub.UserTypeHost, PasswordHash: hash}
		if princ != nil {
			if err := hub.VerifyUserName(*princ, "Kerberos principal"); err != nil {
				return nil, err
			}
			nu.Principal = *princ
		}
		if userID, err = store.CreateUser(ctx, c.Tx, nu); err != nil {
			return nil, err
		}
	}
	joined := strings.Join(arches, " ")
	id, err := store.CreateHost(ctx, c.Tx, c.UserID(), userID, name, store.HostSettings{
		Arches: &joined, Capacity: hub.CapacityDefault, Enabled: true,
	})
	if err != nil {
		return nil, err
	}
	if err := store.HostChannels.Insert(ctx, c.Tx, c.UserID(), map[string]any{"host_id": id, "channel_id": def.ID}); err != nil {
		return nil, err
	}
	return id, nil
}

func editHost(ctx context.Context, c *Call) (any, error) {
	h, err := lookupHost(ctx, c, c.Args.Value("hostInfo"), nil)
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, hub.GenericError("Invalid hostInfo: %v", c.Args.Value("hostInfo"))
	}
	kw := c.Args.Kwargs()
	s := h.Settings()
	changed := false
	for _, field := range []string{"arches", "capacity", "description", "comment"} {
		v, ok := kw[field]
		if !ok {
			continue
		}
		switch field {
		case "capacity":
			var f float64
			switch x := v.(type) {
			case float64:
				f = x
			case int64:
				f = float64(x)
			default:
				return nil, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'float'>", v, pyClass(v))
			}
			if f < 0 {
				return nil, hub.GenericError("capacity must not be negative: %v", f)
			}
			if f != s.Capacity {
				s.Capacity, changed = f, true
			}
		default:
			str, ok := v.(string)
			if !ok {
				return nil, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'str'>", v, pyClass(v))
			}
			if field == "arches" {
				list, err := hub.ParseArches(str, false)
				if err != nil {
					return nil, err
				}
				str = strings.Join(list, " ")
			}
			dst := map[string]**string{"arches": &s.Arches, "description": &s.Description, "comment": &s.Comment}[field]
			if *dst == nil || **dst != str {
				*dst, changed = &str, true
			}
		}
	}
	if !changed {
		return false, nil
	}
	return true, store.SetHostSettings(ctx, c.Tx, c.UserID(), h.ID, s)
}

func setHostEnabled(enabled bool) Handler {
	return func(ctx context.Context, c *Call) (any, error) {
		h, err := hostByName(ctx, c, c.Args.Value("hostname"))
		if err != nil {
			return nil, err
		}
		s := h.Settings()
		s.Enabled = enabled
		return nil, store.SetHostSettings(ctx, c.Tx, c.UserID(), h.ID, s)
	}
}

func getHost(ctx context.Context, c *Call) (any, error) {
	ev := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	info := c.Args.Value("hostInfo")
	h, err := lookupHost(ctx, c, info, ev)
	if err != nil {
		return nil, err
	}
	if h == nil {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("Invalid hostInfo: %v", info)
		}
		return nil, nil
	}
	return hostStruct(h), nil
}

func listHosts(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	var f store.HostFilter
	if v := a.Value("arches"); v != nil {
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		if len(list) == 0 {
			return nil, hub.GenericError("arches option cannot be empty")
		}
		for _, x := range list {
			s, ok := x.(string)
			if !ok {
				return nil, hub.ParameterError("arches must be a list of strings")
			}
			f.Arches = append(f.Arches, s)
		}
	}
	if v := a.Value("channelID"); v != nil {
		ch, err := lookupChannel(ctx, c, v)
		if err != nil {
			return nil, err
		}
		if ch == nil {
			return nil, hub.GenericError("No such entry in table channels: %v", v)
		}
		f.ChannelID = &ch.ID
	}
	f.Ready = a.OptBool("ready")
	f.Enabled = a.OptBool("enabled")
	if v := a.Value("userID"); v != nil {
		u, err := lookupUser(ctx, c, v, true)
		if err != nil {
			return nil, err
		}
		f.UserID = &u.ID
	}
	opts := a.Map("queryOpts")
	if err := a.Err(); err != nil {
		return nil, err
	}
	hosts, err := store.ListHosts(ctx, c.Tx, f)
	if err != nil {
		return nil, err
	}
	rows := make([]any, len(hosts))
	for i := range hosts {
		rows[i] = hostStruct(&hosts[i])
	}
	return applyQueryOpts(rows, opts)
}

func getLastHostUpdate(ctx context.Context, c *Call) (any, error) {
	id := c.Args.Int("hostID")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	us, err := store.LastSessionUpdate(ctx, c.Tx, id)
	if err != nil || us == nil {
		return nil, err
	}
	if c.Args.Bool("ts") {
		return hub.TS(*us), nil
	}
	return hub.TimeString(*us), nil
}

func getAllArches(ctx context.Context, c *Call) (any, error) {
	all, err := store.AllHostArches(ctx, c.Tx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := []string{}
	for _, s := range all {
		for _, a := range strings.Fields(s) {
			a = hub.CanonArch(a)
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	return out, nil
}

func addHostToChannel(ctx context.Context, c *Call) (any, error) {
	a := c.Args
	name := a.Value("hostname")
	chName := a.String("channel_name")
	create, force := a.Bool("create"), a.Bool("force")
	if err := a.Err(); err != nil {
		return nil, err
	}
	h, err := hostByName(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if create {
		if err := hub.VerifyInternalName(chName); err != nil {
			return nil, err
		}
	}
	ch, err := store.ChannelBy(ctx, c.Tx, "name", chName)
	if err != nil {
		return nil, err
	}
	if ch == nil {
		if !create {
			return nil, hub.GenericError("channel does not exist: %s", chName)
		}
		id, err := store.CreateChannel(ctx, c.Tx, chName, nil)
		if err != nil {
			return nil, err
		}
		ch = &store.Channel{ID: id, Name: chName, Enabled: true}
	}
	if !force && !ch.Enabled {
		return nil, hub.GenericError("channel %s is disabled", chName)
	}
	current, err := store.ListChannels(ctx, c.Tx, &h.ID, nil, nil)
	if err != nil {
		return nil, err
	}
	for _, x := range current {
		if x.ID == ch.ID {
			return nil, hub.GenericError("host %s is already subscribed to the %s channel", h.Name, chName)
		}
	}
	return nil, store.HostChannels.Insert(ctx, c.Tx, c.UserID(), map[string]any{"host_id": h.ID, "channel_id": ch.ID})
}

func removeHostFromChannel(ctx context.Context, c *Call) (any, error) {
	h, err := hostByName(ctx, c, c.Args.Value("hostname"))
	if err != nil {
		return nil, err
	}
	chName := c.Args.Value("channel_name")
	ch, err := lookupChannel(ctx, c, chName)
	if err != nil {
		return nil, err
	}
	if ch == nil {
		return nil, hub.GenericError("channel does not exist: %v", chName)
	}
	n, err := store.HostChannels.Revoke(ctx, c.Tx, c.UserID(), map[string]any{"host_id": h.ID, "channel_id": ch.ID})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, hub.GenericError("host %s is not subscribed to the %s channel", h.Name, ch.Name)
	}
	return nil, nil
}

func listChannels(ctx context.Context, c *Call) (any, error) {
	ev := eventArg(c.Args, "event")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	enabled := c.Args.OptBool("enabled")
	var hostID *int64
	if v := c.Args.Value("hostID"); truthy(v) {
		switch x := v.(type) {
		case int64:
			hostID = &x
		case string:
			h, err := store.HostBy(ctx, c.Tx, "name", x, nil)
			if err != nil {
				return nil, err
			}
			if h == nil {
				return nil, hub.GenericError("Invalid hostInfo: %s", x)
			}
			hostID = &h.ID
		default:
			return nil, hub.ParameterError("Invalid type for hostID: %s", pyClass(v))
		}
	} else if ev != nil {
		return nil, hub.GenericError("list_channels: event option requires hostID option")
	}
	chans, err := store.ListChannels(ctx, c.Tx, hostID, ev, enabled)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(chans))
	for i := range chans {
		out[i] = channelStruct(&chans[i])
	}
	return out, nil
}

func getChannel(ctx context.Context, c *Call) (any, error) {
	ch, err := lookupChannel(ctx, c, c.Args.Value("channelInfo"))
	if err != nil {
		return nil, err
	}
	if ch == nil {
		if c.Args.Bool("strict") {
			return nil, hub.GenericError("No such channel: %v", c.Args.Value("channelInfo"))
		}
		return nil, nil
	}
	return channelStruct(ch), nil
}

func addChannel(ctx context.Context, c *Call) (any, error) {
	name := c.Args.String("channel_name")
	desc := c.Args.OptString("description")
	if err := c.Args.Err(); err != nil {
		return nil, err
	}
	if err := hub.VerifyInternalName(name); err != nil {
		return nil, err
	}
	if dup, err := store.ChannelBy(ctx, c.Tx, "name", name); err != nil {
		return nil, err
	} else if dup != nil {
		return nil, hub.GenericError("channel %s already exists (id=%d)", dup.Name, dup.ID)
	}
	return store.CreateChannel(ctx, c.Tx, name, desc)
}

// editChannelFields applies name/description/comment changes from kw.
func editChannelFields(ctx context.Context, c *Call, info any, kw map[string]any) (bool, error) {
	ch, err := lookupChannel(ctx, c, info)
	if err != nil {
		return false, err
	}
	if ch == nil {
		return false, hub.GenericError("No such channel: %v", info)
	}
	current := map[string]*string{"name": &ch.Name, "description": ch.Description, "comment": ch.Comment}
	changes := map[string]any{}
	for _, field := range []string{"name", "description", "comment"} {
		v, ok := kw[field]
		if !ok {
			continue
		}
		s, isStr := v.(string)
		if !isStr && !(v == nil && field != "name") {
			return false, hub.ParameterError("Invalid type for value '%v': %s, expected type <class 'str'>", v, pyClass(v))
		}
		cur := current[field]
		if (v == nil && cur == nil) || (isStr && cur != nil && *cur == s) {
			continue
		}
		changes[field] = v
	}
	if len(changes) == 0 {
		return false, nil
	}
	if name, ok := changes["name"].(string); ok {
		if err := hub.VerifyInternalName(name); err != nil {
			return false, err
		}
		if dup, err := store.ChannelBy(ctx, c.Tx, "name", name); err != nil {
			return false, err
		} else if dup != nil {
			return false, hub.GenericError("channel %s already exists (id=%d)", dup.Name, dup.ID)
		}
	}
	return true, store.UpdateChannel(ctx, c.Tx, ch.ID, changes)
}

func editChannel(ctx context.Context, c *Call) (any, error) {
	return editChannelFields(ctx, c, c.Args.Value("channelInfo"), c.Args.Kwargs())
}

func renameChannel(ctx context.Context, c *Call) (any, error) {
	_, err := editChannelFields(ctx, c, c.Args.Value("old"), map[string]any{"name": c.Args.Value("new")})
	return nil, err
}

func setChannelEnabled(enabled bool) Handler {
	return func(ctx context.Context, c *Call) (any, error) {
		comment := c.Args.OptString("comment")
		if err := c.Args.Err(); err != nil {
			return nil, err
		}
		name := c.Args.Value("channelname")
		ch, err := lookupChannel(ctx, c, name)
		if err != nil {
			return nil, err
		}
		if ch == nil {
			return nil, hub.GenericError("No such channel: %v", name)
		}
		fields := map[string]any{"enabled": enabled}
		if comment != nil {
			fields["comment"] = *comment
		}
		return nil, store.UpdateChannel(ctx, c.Tx, ch.ID, fields)
	}
}

func removeChannel(ctx context.Context, c *Call) (any, error) {
	name := c.Args.Value("channel_name")
	ch, err := lookupChannel(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if ch == nil {
		return nil, hub.GenericError("No such entry in table channels: %v", name)
	}
	hosts, tasks, err := store.ChannelUse(ctx, c.Tx, ch.ID)
	if err != nil {
		return nil, err
	}
	if tasks > 0 {
		return nil, hub.GenericError("channel %s has task references", ch.Name)
	}
	if hosts > 0 && !c.Args.Bool("force") {
		return nil, hub.GenericError("channel %s has host references", ch.Name)
	}
	return nil, store.DeleteChannel(ctx, c.Tx, ch.ID)
}
