package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/gokoji/gokoji/hub"
)

// Task is a row of the task table.
type Task struct {
	ID           int64   `db:"id"`
	State        int     `db:"state"`
	CreateUS     int64   `db:"create_us"`
	StartUS      *int64  `db:"start_us"`
	CompletionUS *int64  `db:"completion_us"`
	ChannelID    int64   `db:"channel_id"`
	HostID       *int64  `db:"host_id"`
	Parent       *int64  `db:"parent"`
	Label        *string `db:"label"`
	Waiting      *bool   `db:"waiting"`
	Awaited      *bool   `db:"awaited"`
	Owner        int64   `db:"owner"`
	Method       string  `db:"method"`
	Arch         string  `db:"arch"`
	Priority     int     `db:"priority"`
	Weight       float64 `db:"weight"`
	// Read only when asked for.
	Request   *string `db:"request"`
	Result    *string `db:"result"`
	OwnerName *string `db:"owner_name"`
	OwnerType *int    `db:"owner_type"`
}

// taskColumns are the columns of Task read by default; taskCols is the
// same with the alias t.
const taskColumns = "id, state, create_us, start_us, completion_us, channel_id, host_id, " +
	"parent, label, waiting, awaited, owner, method, arch, priority, weight"

var taskCols = prefixCols("t", taskColumns)

// NewTask is what CreateTask stores.
type NewTask struct {
	Method    string
	Request   string // a <methodCall> document
	Owner     int64
	ChannelID int64
	Arch      string
	Priority  int
	Parent    *int64
	Label     *string
	HostID    *int64 // assign at once (state ASSIGNED)
	NowUS     int64
}

// CreateTask inserts a task, FREE or (with HostID) ASSIGNED, and returns its id.
func CreateTask(ctx context.Context, tx *Tx, t NewTask) (int64, error) {
	state := 0
	var assign *int64
	if t.HostID != nil {
		state = 4
		assign = &t.NowUS
	}
	id, err := tx.InsertID(ctx, `INSERT INTO task (state, create_us, channel_id, host_id, parent, label, owner,
		method, request, arch, priority, weight, assign_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1.0, ?)`,
		state, t.NowUS, t.ChannelID, t.HostID, t.Parent, t.Label, t.Owner, t.Method, t.Request, t.Arch, t.Priority, assign)
	if err != nil {
		return 0, fmt.Errorf("create task %s: %w", t.Method, err)
	}
	return id, nil
}

// GetTask returns a task (with its request when withRequest) or nil.
func GetTask(ctx context.Context, tx *Tx, id int64, withRequest bool) (*Task, error) {
	cols := taskCols
	if withRequest {
		cols += ", t.request"
	}
	var out []Task
	if err := tx.Select(ctx, &out, "SELECT "+cols+" FROM task t WHERE t.id = ?", id); err != nil {
		return nil, fmt.Errorf("read task %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// TaskResult returns a task's state and stored result document.
func TaskResult(ctx context.Context, tx *Tx, id int64) (state int, result *string, found bool, err error) {
	var out []Task
	if err := tx.Select(ctx, &out, "SELECT t.id, t.state, t.result FROM task t WHERE t.id = ?", id); err != nil {
		return 0, nil, false, fmt.Errorf("read task %d result: %w", id, err)
	}
	if len(out) == 0 {
		return 0, nil, false, nil
	}
	return out[0].State, out[0].Result, true, nil
}

// TaskChildren lists a task's children ordered by id.
func TaskChildren(ctx context.Context, tx *Tx, parent int64, withRequest bool) ([]Task, error) {
	cols := taskCols
	if withRequest {
		cols += ", t.request"
	}
	var out []Task
	if err := tx.Select(ctx, &out, "SELECT "+cols+" FROM task t WHERE t.parent = ? ORDER BY t.id", parent); err != nil {
		return nil, fmt.Errorf("read children of task %d: %w", parent, err)
	}
	return out, nil
}

// ChildByLabel finds the child of parent with this label, 0 if none.
func ChildByLabel(ctx context.Context, tx *Tx, parent int64, label string) (int64, error) {
	var ids []int64
	if err := tx.Select(ctx, &ids, "SELECT id FROM task WHERE parent = ? AND label = ? ORDER BY id LIMIT 1", parent, label); err != nil {
		return 0, fmt.Errorf("look up subtask %s of %d: %w", label, parent, err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// SetTaskFields updates columns of one task, optionally only when its state
// is one of onlyStates; it returns whether the row changed.
func SetTaskFields(ctx context.Context, tx *Tx, id int64, fields map[string]any, onlyStates ...int) (bool, error) {
	names := sortedKeys(fields)
	sets := make([]string, len(names))
	args := make([]any, 0, len(names)+len(onlyStates)+1)
	for i, n := range names {
		switch n {
		case "state", "host_id", "start_us", "completion_us", "result", "weight", "priority",
			"waiting", "awaited", "assign_us", "host_losses":
		default:
			return false, fmt.Errorf("SetTaskFields: column %q is not settable", n)
		}
		sets[i] = n + " = ?"
		args = append(args, fields[n])
	}
	q := "UPDATE task SET " + strings.Join(sets, ", ") + " WHERE id = ?"
	args = append(args, id)
	if len(onlyStates) > 0 {
		q += " AND state IN (" + placeholders(len(onlyStates)) + ")"
		for _, s := range onlyStates {
			args = append(args, s)
		}
	}
	n, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("update task %d: %w", id, err)
	}
	// A task leaving OPEN/ASSIGNED leaves its host: its run ends.
	if st, ok := fields["state"]; ok && n > 0 {
		if s, ok := st.(int); ok && s != hub.TaskOpen && s != hub.TaskAssigned {
			if err := EndTaskRuns(ctx, tx, id); err != nil {
				return false, err
			}
		}
	}
	return n > 0, nil
}

// OpenTask makes a task OPEN on the host, as host.openTask asks: a FREE
// task no host holds (unless its method is in hubMethods, which the hub
// runs itself) or one ASSIGNED to this host. It returns the task as opened,
// with its request, or nil when it is not one of those (or not there).
// One statement: read, check, update and read again in one round trip.
func OpenTask(ctx context.Context, tx *Tx, id, hostID, nowUS int64, hubMethods []string) (*Task, error) {
	args := []any{hub.TaskOpen, hostID, nowUS, id, hub.TaskFree}
	notHub := ""
	if len(hubMethods) > 0 {
		in, inArgs := InList(hubMethods)
		notHub = " AND method NOT IN " + in
		args = append(args, inArgs...)
	}
	args = append(args, hub.TaskAssigned, hostID)
	var out []Task
	err := tx.Select(ctx, &out, "UPDATE task SET state = ?, host_id = ?, start_us = ? WHERE id = ?"+
		" AND ((state = ? AND host_id IS NULL"+notHub+") OR (state = ? AND host_id = ?))"+
		" RETURNING "+taskColumns+", request", args...)
	if err != nil {
		return nil, fmt.Errorf("open task %d: %w", id, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// FinishTask ends a task OPEN on the host with state (CLOSED or FAILED),
// its result document and completion time, and ends its run. It reports
// false, changing nothing, when the task is not OPEN on that host. On
// PostgreSQL it is one statement.
func FinishTask(ctx context.Context, tx *Tx, id, hostID int64, state int, result string, nowUS int64) (bool, error) {
	finish := "UPDATE task SET state = ?, result = ?, completion_us = ? WHERE id = ? AND state = ? AND host_id = ?"
	args := []any{state, result, nowUS, id, hub.TaskOpen, hostID}
	if tx.Dialect == Postgres {
		var n int
		err := tx.Get(ctx, &n, "WITH done AS ("+finish+" RETURNING id), "+
			"ended AS ("+endRunsSQL+"(SELECT id FROM done)) "+
			"SELECT COUNT(*) FROM done", args...)
		if err != nil {
			return false, fmt.Errorf("finish task %d: %w", id, err)
		}
		return n > 0, nil
	}
	n, err := tx.Exec(ctx, finish, args...)
	if err != nil {
		return false, fmt.Errorf("finish task %d: %w", id, err)
	}
	if n == 0 {
		return false, nil
	}
	return true, EndTaskRuns(ctx, tx, id)
}

// SetChildrenAwaited sets awaited on parent's children: all of them (ids nil),
// or those in ids (value) and the other awaited ones (!value).
func SetChildrenAwaited(ctx context.Context, tx *Tx, parent int64, ids []int64, value bool) error {
	if ids == nil {
		_, err := tx.Exec(ctx, "UPDATE task SET awaited = ? WHERE parent = ?", value, parent)
		return err
	}
	args := []any{value, parent}
	for _, id := range ids {
		args = append(args, id)
	}
	if _, err := tx.Exec(ctx, "UPDATE task SET awaited = ? WHERE parent = ? AND id IN ("+placeholders(len(ids))+")", args...); err != nil {
		return err
	}
	args[0] = !value
	_, err := tx.Exec(ctx, "UPDATE task SET awaited = ? WHERE parent = ? AND awaited = TRUE AND id NOT IN ("+placeholders(len(ids))+")", args...)
	return err
}

// AwaitedChildren returns the ids and states of parent's awaited children.
func AwaitedChildren(ctx context.Context, tx *Tx, parent int64) ([]Task, error) {
	var out []Task
	if err := tx.Select(ctx, &out, "SELECT t.id, t.state FROM task t WHERE t.parent = ? AND t.awaited = TRUE ORDER BY t.id", parent); err != nil {
		return nil, fmt.Errorf("read awaited children of %d: %w", parent, err)
	}
	return out, nil
}

// FinishedChildren lists the ids of parent's finished children.
func FinishedChildren(ctx context.Context, tx *Tx, parent int64) ([]int64, error) {
	var out []int64
	if err := tx.Select(ctx, &out, "SELECT id FROM task WHERE parent = ? AND state IN (2, 3, 5) ORDER BY id", parent); err != nil {
		return nil, fmt.Errorf("read finished children of %d: %w", parent, err)
	}
	return out, nil
}

// HostTasks lists a host's tasks in the given states, by priority then age.
func HostTasks(ctx context.Context, tx *Tx, hostID int64, states ...int) ([]Task, error) {
	args := []any{hostID}
	for _, s := range states {
		args = append(args, s)
	}
	var out []Task
	q := "SELECT " + taskCols + " FROM task t WHERE t.host_id = ? AND t.state IN (" + placeholders(len(states)) +
		") ORDER BY t.priority, t.create_us, t.id"
	if err := tx.Select(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("read tasks of host %d: %w", hostID, err)
	}
	return out, nil
}

// TaskFilter is listTasks' opts, already validated. A nil slice is no
// filter; an empty one matches nothing. *IsNull selects IS [NOT] NULL.
type TaskFilter struct {
	Arch, NotArch       []string
	State, NotState     []int64
	Owner, NotOwner     []int64
	HostID, NotHostID   []int64
	Channel, NotChannel []int64
	Parent, NotParent   []int64
	NullCols            []string // columns that must be NULL (owner, host_id, channel_id, parent)
	NotNullCols         []string
	Method              *string
	TimeBounds          []TimeBound
	WithRequest         bool // read request and result
	WithOwner           bool // join users for owner_name, owner_type
}

// TimeBound is one of createdBefore, startedAfter …: column op value.
type TimeBound struct {
	Column string // create_us, start_us, completion_us
	Less   bool
	US     int64
}

// TaskOrderColumns maps listTasks' order fields to SQL columns.
var TaskOrderColumns = map[string]string{
	"id": "t.id", "state": "t.state", "create_time": "t.create_us", "create_ts": "t.create_us",
	"start_time": "t.start_us", "start_ts": "t.start_us", "completion_time": "t.completion_us",
	"completion_ts": "t.completion_us", "channel_id": "t.channel_id", "host_id": "t.host_id",
	"parent": "t.parent", "label": "t.label", "waiting": "t.waiting", "awaited": "t.awaited",
	"owner": "t.owner", "method": "t.method", "arch": "t.arch", "priority": "t.priority",
	"weight": "t.weight", "owner_name": "u.name", "owner_type": "u.usertype",
}

// TaskPage is ordering and paging pushed into SQL.
type TaskPage struct {
	Order  []string // SQL expressions with optional " DESC"
	Limit  *int64
	Offset int64
}

func (f *TaskFilter) where() (string, []any) {
	var c conds
	in := func(col string, vals []any, not bool) {
		if vals == nil {
			return
		}
		if len(vals) == 0 {
			if !not {
				c.add("1 = 0")
			}
			return
		}
		op := " IN ("
		if not {
			op = " NOT IN ("
		}
		c.add(col+op+placeholders(len(vals))+")", vals...)
	}
	strs := func(s []string) []any {
		if s == nil {
			return nil
		}
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out
	}
	ints := func(s []int64) []any {
		if s == nil {
			return nil
		}
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out
	}
	in("t.arch", strs(f.Arch), false)
	in("t.arch", strs(f.NotArch), true)
	in("t.state", ints(f.State), false)
	in("t.state", ints(f.NotState), true)
	in("t.owner", ints(f.Owner), false)
	in("t.owner", ints(f.NotOwner), true)
	in("t.host_id", ints(f.HostID), false)
	in("t.host_id", ints(f.NotHostID), true)
	in("t.channel_id", ints(f.Channel), false)
	in("t.channel_id", ints(f.NotChannel), true)
	in("t.parent", ints(f.Parent), false)
	in("t.parent", ints(f.NotParent), true)
	for _, col := range f.NullCols {
		c.add("t." + col + " IS NULL")
	}
	for _, col := range f.NotNullCols {
		c.add("t." + col + " IS NOT NULL")
	}
	if f.Method != nil {
		c.add("t.method = ?", *f.Method)
	}
	for _, b := range f.TimeBounds {
		op := " > ?"
		if b.Less {
			op = " < ?"
		}
		c.add("t."+b.Column+op, b.US)
	}
	return c.where(), c.args
}

// ListTasks runs listTasks' query with filters, order and paging in SQL.
func ListTasks(ctx context.Context, tx *Tx, f TaskFilter, p TaskPage) ([]Task, error) {
	cols := taskCols
	from := " FROM task t"
	if f.WithRequest {
		cols += ", t.request, t.result"
	}
	if f.WithOwner {
		cols += ", u.name AS owner_name, u.usertype AS owner_type"
		from += " LEFT JOIN users u ON u.id = t.owner"
	}
	where, args := f.where()
	q := "SELECT " + cols + from + where
	if len(p.Order) > 0 {
		q += " ORDER BY " + strings.Join(p.Order, ", ")
	}
	if p.Limit != nil {
		q += " LIMIT ?"
		args = append(args, *p.Limit)
	}
	if p.Offset > 0 {
		if p.Limit == nil && tx.Dialect == SQLite {
			q += " LIMIT -1" // SQLite needs a LIMIT before OFFSET
		}
		q += " OFFSET ?"
		args = append(args, p.Offset)
	}
	var out []Task
	if err := tx.Select(ctx, &out, q, args...); err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return out, nil
}

// CountTasks counts the tasks matching f.
func CountTasks(ctx context.Context, tx *Tx, f TaskFilter) (int64, error) {
	where, args := f.where()
	var n int64
	if err := tx.Get(ctx, &n, "SELECT COUNT(*) FROM task t"+where, args...); err != nil {
		return 0, fmt.Errorf("count tasks: %w", err)
	}
	return n, nil
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return "?" + strings.Repeat(", ?", n-1)
}
