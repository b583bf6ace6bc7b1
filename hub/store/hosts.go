package store

import (
	"context"
	"fmt"
	"strings"
)

// Versioned tables of this file.
var (
	HostConfig   = Versioned{Table: "host_config"}
	HostChannels = Versioned{Table: "host_channels"}
)

// Host is a host row joined with its host_config row.
type Host struct {
	ID          int64   `db:"id"`
	UserID      int64   `db:"user_id"`
	Name        string  `db:"name"`
	UpdateUS    *int64  `db:"update_us"`
	Ready       bool    `db:"ready"`
	TaskLoad    float64 `db:"task_load"`
	MaxJobs     *int64  `db:"maxjobs"`
	Arches      *string `db:"arches"`
	Capacity    float64 `db:"capacity"`
	Description *string `db:"description"`
	Comment     *string `db:"comment"`
	Enabled     bool    `db:"enabled"`
}

// ArchList is the host's arches as a list.
func (h *Host) ArchList() []string {
	if h.Arches == nil {
		return nil
	}
	return strings.Fields(*h.Arches)
}

const hostCols = `h.id, h.user_id, h.name, h.update_us, h.ready, h.task_load, h.maxjobs,
	hc.arches, hc.capacity, hc.description, hc.comment, hc.enabled`

// HostFilter selects hosts for ListHosts; nil fields select everything.
type HostFilter struct {
	Arches    []string // hosts having any of these
	ChannelID *int64
	Ready     *bool
	Enabled   *bool
	UserID    *int64
	Event     *int64 // config as of this event
}

// ListHosts returns hosts ordered by id.
func ListHosts(ctx context.Context, tx *Tx, f HostFilter) ([]Host, error) {
	var c conds
	asOf, asOfArgs := AsOf("hc", f.Event)
	c.add(asOf, asOfArgs...)
	if len(f.Arches) > 0 {
		var ors []string
		var args []any
		for _, a := range f.Arches {
			ors = append(ors, "(' ' || hc.arches || ' ') LIKE ? ESCAPE '\\'")
			args = append(args, "% "+likeEscape(a)+" %")
		}
		c.add("("+strings.Join(ors, " OR ")+")", args...)
	}
	if f.ChannelID != nil {
		c.add("h.id IN (SELECT host_id FROM host_channels WHERE active = TRUE AND channel_id = ?)", *f.ChannelID)
	}
	if f.Ready != nil {
		c.add("h.ready = ?", *f.Ready)
	}
	if f.Enabled != nil {
		c.add("hc.enabled = ?", *f.Enabled)
	}
	if f.UserID != nil {
		c.add("h.user_id = ?", *f.UserID)
	}
	q := "SELECT " + hostCols + " FROM host h JOIN host_config hc ON hc.host_id = h.id" + c.where() + " ORDER BY h.id"
	var out []Host
	if err := tx.Select(ctx, &out, q, c.args...); err != nil {
		return nil, fmt.Errorf("list hosts: %w", err)
	}
	return out, nil
}

// HostBy finds a host by "id", "name" or "user_id", with its config as of
// event (nil = now). It returns nil when there is none.
func HostBy(ctx context.Context, tx *Tx, column string, value any, event *int64) (*Host, error) {
	switch column {
	case "id", "name", "user_id":
	default:
		return nil, fmt.Errorf("HostBy: unknown column %q", column)
	}
	asOf, args := AsOf("hc", event)
	var out []Host
	q := "SELECT " + hostCols + " FROM host h JOIN host_config hc ON hc.host_id = h.id WHERE h." + column + " = ? AND " + asOf
	if err := tx.Select(ctx, &out, q, append([]any{value}, args...)...); err != nil {
		return nil, fmt.Errorf("look up host by %s: %w", column, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// HostIDForUser is the id of the host whose user is userID, 0 if none.
func HostIDForUser(ctx context.Context, tx *Tx, userID int64) (int64, error) {
	var ids []int64
	if err := tx.Select(ctx, &ids, "SELECT id FROM host WHERE user_id = ?", userID); err != nil {
		return 0, fmt.Errorf("look up host of user %d: %w", userID, err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// HostSettings is what an admin sets on a host (a host_config row).
type HostSettings struct {
	Arches      *string
	Capacity    float64
	Description *string
	Comment     *string
	Enabled     bool
}

// Settings returns the host's current settings.
func (h *Host) Settings() HostSettings {
	return HostSettings{Arches: h.Arches, Capacity: h.Capacity, Description: h.Description, Comment: h.Comment, Enabled: h.Enabled}
}

// CreateHost inserts a host with its first config row and returns its id.
func CreateHost(ctx context.Context, tx *Tx, creator, userID int64, name string, s HostSettings) (int64, error) {
	id, err := tx.InsertID(ctx, "INSERT INTO host (user_id, name) VALUES (?, ?)", userID, name)
	if err != nil {
		return 0, fmt.Errorf("create host %s: %w", name, err)
	}
	return id, insertHostConfig(ctx, tx, creator, id, s)
}

// SetHostSettings replaces the host's config row (a versioned change).
func SetHostSettings(ctx context.Context, tx *Tx, user, hostID int64, s HostSettings) error {
	if _, err := HostConfig.Revoke(ctx, tx, user, map[string]any{"host_id": hostID}); err != nil {
		return err
	}
	return insertHostConfig(ctx, tx, user, hostID, s)
}

func insertHostConfig(ctx context.Context, tx *Tx, user, hostID int64, s HostSettings) error {
	return HostConfig.Insert(ctx, tx, user, map[string]any{
		"host_id": hostID, "arches": s.Arches, "capacity": s.Capacity,
		"description": s.Description, "comment": s.Comment, "enabled": s.Enabled,
	})
}

// HostData is what a builder announces for the scheduler: the maxjobs it
// runs (nil: the hub's default) and its whole data document.
type HostData struct {
	MaxJobs *int64
	Doc     string
}

// UpdateHostStatus records a builder's heartbeat: its load, readiness and,
// when data is not nil, its scheduler data, in one statement.
func UpdateHostStatus(ctx context.Context, tx *Tx, hostID int64, load float64, ready bool, nowUS int64, data *HostData) error {
	q := "UPDATE host SET task_load = ?, ready = ?, update_us = ?"
	args := []any{load, ready, nowUS}
	if data != nil {
		q += ", maxjobs = ?, data = ?"
		args = append(args, data.MaxJobs, data.Doc)
	}
	if _, err := tx.Exec(ctx, q+" WHERE id = ?", append(args, hostID)...); err != nil {
		return fmt.Errorf("update host %d: %w", hostID, err)
	}
	return nil
}

// SetHostData stores the builder's scheduler data.
func SetHostData(ctx context.Context, tx *Tx, hostID int64, data HostData) error {
	if _, err := tx.Exec(ctx, "UPDATE host SET maxjobs = ?, data = ? WHERE id = ?", data.MaxJobs, data.Doc, hostID); err != nil {
		return fmt.Errorf("set host data %d: %w", hostID, err)
	}
	return nil
}

// AllHostArches lists the arch strings of every host's current config.
func AllHostArches(ctx context.Context, tx *Tx) ([]string, error) {
	var out []string
	if err := tx.Select(ctx, &out, "SELECT arches FROM host_config WHERE active = TRUE AND arches IS NOT NULL ORDER BY host_id"); err != nil {
		return nil, fmt.Errorf("read host arches: %w", err)
	}
	return out, nil
}

// LastSessionUpdate is the newest update time of any session of the host's
// user, in microseconds, or nil.
func LastSessionUpdate(ctx context.Context, tx *Tx, hostID int64) (*int64, error) {
	var us *int64
	if err := tx.Get(ctx, &us, "SELECT MAX(s.update_us) FROM sessions s JOIN host h ON h.user_id = s.user_id WHERE h.id = ?", hostID); err != nil {
		return nil, fmt.Errorf("read last update of host %d: %w", hostID, err)
	}
	return us, nil
}

// Channel is a row of the channels table.
type Channel struct {
	ID          int64   `db:"id" xmlrpc:"id"`
	Name        string  `db:"name" xmlrpc:"name"`
	Description *string `db:"description" xmlrpc:"description"`
	Enabled     bool    `db:"enabled" xmlrpc:"enabled"`
	Comment     *string `db:"comment" xmlrpc:"comment"`
}

const channelCols = "c.id, c.name, c.description, c.enabled, c.comment"

// ChannelBy finds a channel by "id" or "name"; nil when there is none.
func ChannelBy(ctx context.Context, tx *Tx, column string, value any) (*Channel, error) {
	if column != "id" && column != "name" {
		return nil, fmt.Errorf("ChannelBy: unknown column %q", column)
	}
	var out []Channel
	if err := tx.Select(ctx, &out, "SELECT "+channelCols+" FROM channels c WHERE c."+column+" = ?", value); err != nil {
		return nil, fmt.Errorf("look up channel by %s: %w", column, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// ListChannels lists channels by id: all, or a host's (as of event).
func ListChannels(ctx context.Context, tx *Tx, hostID *int64, event *int64, enabled *bool) ([]Channel, error) {
	q := "SELECT " + channelCols + " FROM channels c"
	var c conds
	if hostID != nil {
		asOf, a := AsOf("hc", event)
		q += " JOIN host_channels hc ON hc.channel_id = c.id"
		c.add(asOf, a...)
		c.add("hc.host_id = ?", *hostID)
	}
	if enabled != nil {
		c.add("c.enabled = ?", *enabled)
	}
	q += c.where()
	var out []Channel
	if err := tx.Select(ctx, &out, q+" ORDER BY c.id", c.args...); err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	return out, nil
}

// CreateChannel inserts a channel and returns its id.
func CreateChannel(ctx context.Context, tx *Tx, name string, description *string) (int64, error) {
	id, err := tx.InsertID(ctx, "INSERT INTO channels (name, description) VALUES (?, ?)", name, description)
	if err != nil {
		return 0, fmt.Errorf("create channel %s: %w", name, err)
	}
	return id, nil
}

// UpdateChannel sets columns of a channel: name, description, comment, enabled.
func UpdateChannel(ctx context.Context, tx *Tx, id int64, fields map[string]any) error {
	names := sortedKeys(fields)
	sets := make([]string, len(names))
	args := make([]any, 0, len(names)+1)
	for i, n := range names {
		switch n {
		case "name", "description", "comment", "enabled":
		default:
			return fmt.Errorf("UpdateChannel: column %q is not settable", n)
		}
		sets[i] = n + " = ?"
		args = append(args, fields[n])
	}
	if len(sets) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, "UPDATE channels SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, id)...); err != nil {
		return fmt.Errorf("update channel %d: %w", id, err)
	}
	return nil
}

// ChannelUse counts what refers to a channel: hosts now in it, and tasks.
func ChannelUse(ctx context.Context, tx *Tx, id int64) (hosts, tasks int64, err error) {
	if err = tx.Get(ctx, &hosts, "SELECT COUNT(*) FROM host_channels WHERE channel_id = ? AND active = TRUE", id); err != nil {
		return 0, 0, fmt.Errorf("count hosts of channel %d: %w", id, err)
	}
	if err = tx.Get(ctx, &tasks, "SELECT COUNT(*) FROM task WHERE channel_id = ?", id); err != nil {
		return 0, 0, fmt.Errorf("count tasks of channel %d: %w", id, err)
	}
	return hosts, tasks, nil
}

// DeleteChannel removes a channel that nothing refers to any more; host
// channel history rows go with it.
func DeleteChannel(ctx context.Context, tx *Tx, id int64) error {
	if _, err := tx.Exec(ctx, "DELETE FROM host_channels WHERE channel_id = ?", id); err != nil {
		return fmt.Errorf("delete channel %d history: %w", id, err)
	}
	if _, err := tx.Exec(ctx, "DELETE FROM channels WHERE id = ?", id); err != nil {
		return fmt.Errorf("delete channel %d: %w", id, err)
	}
	return nil
}

// ChannelHostData returns the scheduler data documents (host.data) of the
// enabled, ready hosts in the enabled channel name; "" for a host that
// sent none.
func ChannelHostData(ctx context.Context, tx *Tx, name string) ([]string, error) {
	var docs []*string
	err := tx.Select(ctx, &docs, `SELECT h.data FROM host h
		JOIN host_channels hc ON hc.host_id = h.id AND hc.active = TRUE
		JOIN channels c ON c.id = hc.channel_id AND c.enabled = TRUE
		JOIN host_config cfg ON cfg.host_id = h.id AND cfg.active = TRUE AND cfg.enabled = TRUE
		WHERE c.name = ? AND h.ready = TRUE ORDER BY h.id`, name)
	if err != nil {
		return nil, fmt.Errorf("hosts of channel %s: %w", name, err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		if d != nil {
			out[i] = *d
		}
	}
	return out, nil
}
