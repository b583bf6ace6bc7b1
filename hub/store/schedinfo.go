package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The scheduler's record: task runs (one per assignment) and log messages,
// and the small query views Koji's scheduler.* calls read them through.

// The statements that keep the record, each written once: the calls below
// and the one-statement task changes on PostgreSQL (AssignFreeTask,
// FinishTask) complete them with their own rows.
const (
	endRunsSQL   = "UPDATE scheduler_task_runs SET active = FALSE WHERE active = TRUE AND task_id IN "
	insertRunSQL = "INSERT INTO scheduler_task_runs (task_id, host_id, active, create_us) "
	insertLogSQL = "INSERT INTO scheduler_log_messages (task_id, host_id, msg_us, msg) "
)

// RecordAssignment notes that task was assigned to host: a new run (any
// active one ends) and msg in the scheduler log.
func RecordAssignment(ctx context.Context, tx *Tx, taskID, hostID, nowUS int64, msg string) error {
	if err := RecordTaskRun(ctx, tx, taskID, hostID, nowUS); err != nil {
		return err
	}
	return SchedLog(ctx, tx, nowUS, taskID, hostID, msg)
}

// RecordTaskRun records that the scheduler assigned task to host: any run
// of the task still active ends, and a new active one starts.
func RecordTaskRun(ctx context.Context, tx *Tx, taskID, hostID, nowUS int64) error {
	if err := EndTaskRuns(ctx, tx, taskID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, insertRunSQL+"VALUES (?, ?, TRUE, ?)",
		taskID, hostID, nowUS); err != nil {
		return fmt.Errorf("record run of task %d: %w", taskID, err)
	}
	return nil
}

// EndTaskRuns clears active on the runs of the given tasks.
func EndTaskRuns(ctx context.Context, tx *Tx, taskIDs ...int64) error {
	if len(taskIDs) == 0 {
		return nil
	}
	in, args := InList(taskIDs)
	if _, err := tx.Exec(ctx, endRunsSQL+in, args...); err != nil {
		return fmt.Errorf("end task runs: %w", err)
	}
	return nil
}

// EndStaleTaskRuns clears active on runs whose task is no longer OPEN or
// ASSIGNED on that host (a safety net for any path that moved a task
// without ending its run).
func EndStaleTaskRuns(ctx context.Context, tx *Tx) (int64, error) {
	n, err := tx.Exec(ctx, `UPDATE scheduler_task_runs SET active = FALSE WHERE active = TRUE
		AND NOT EXISTS (SELECT 1 FROM task t WHERE t.id = scheduler_task_runs.task_id
			AND t.state IN (1, 4) AND t.host_id = scheduler_task_runs.host_id)`)
	if err != nil {
		return 0, fmt.Errorf("end stale task runs: %w", err)
	}
	return n, nil
}

// SchedLog adds a scheduler log message; taskID and hostID may be 0.
func SchedLog(ctx context.Context, tx *Tx, nowUS, taskID, hostID int64, msg string) error {
	var t, h any
	if taskID != 0 {
		t = taskID
	}
	if hostID != 0 {
		h = hostID
	}
	if _, err := tx.Exec(ctx, insertLogSQL+"VALUES (?, ?, ?, ?)",
		t, h, nowUS, msg); err != nil {
		return fmt.Errorf("scheduler log: %w", err)
	}
	return nil
}

// TrimSchedLog deletes log messages older than beforeUS, and all but the
// newest keep messages, so the log stays bounded however busy the hub is.
func TrimSchedLog(ctx context.Context, tx *Tx, beforeUS, keep int64) (int64, error) {
	n, err := tx.Exec(ctx, `DELETE FROM scheduler_log_messages WHERE msg_us < ?
		OR id <= (SELECT MAX(id) FROM scheduler_log_messages) - ?`, beforeUS, keep)
	if err != nil {
		return 0, fmt.Errorf("trim scheduler log: %w", err)
	}
	return n, nil
}

// HostDataRow is a host's stored scheduler data document.
type HostDataRow struct {
	HostID int64  `db:"id"`
	Doc    string `db:"data"`
}

// AllHostData lists the hosts that stored scheduler data (one host when
// hostID is not nil), by host id.
func AllHostData(ctx context.Context, tx *Tx, hostID *int64) ([]HostDataRow, error) {
	q := "SELECT id, data FROM host WHERE data IS NOT NULL"
	var args []any
	if hostID != nil {
		q += " AND id = ?"
		args = append(args, *hostID)
	}
	var out []HostDataRow
	if err := tx.Select(ctx, &out, q+" ORDER BY id", args...); err != nil {
		return nil, fmt.Errorf("read host data: %w", err)
	}
	return out, nil
}

// Kind is how a view field's values are returned.
type Kind int

const (
	KindInt Kind = iota
	KindFloat
	KindBool
	KindString
)

// ViewField is one field of a View: its SQL expression, the join it needs
// (a key of View.Joins, or "") and its kind.
type ViewField struct {
	Expr string
	Join string
	Kind Kind
}

// View is a fixed query over a table with optional joins, read through
// Koji's QueryView conventions (clauses, fields, '*' and '**').
type View struct {
	From    string
	Joins   map[string]string
	Fields  map[string]ViewField
	Default []string
	Order   string // the default order (and final tie-break)
}

// ViewClause is a validated [field, op, value]: Op is one of = != < <= > >=
// IN, IS, IS NOT; Value a scalar, nil or (for IN) a []any.
type ViewClause struct {
	Field string
	Op    string
	Value any
}

// SelectFields resolves Koji's field list: nil means the defaults, "*" all
// fields that need no join beyond those already used, "**" all fields.
// usedJoins are the joins the clauses and order already need.
func (v *View) SelectFields(fields []string, usedJoins map[string]bool) ([]string, error) {
	if len(fields) == 0 {
		fields = v.Default
	}
	seen := map[string]bool{}
	var out []string
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	for _, f := range fields {
		switch f {
		case "*", "**":
			names := make([]string, 0, len(v.Fields))
			for n := range v.Fields {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if j := v.Fields[n].Join; f == "**" || j == "" || usedJoins[j] {
					add(n)
				}
			}
		default:
			if _, ok := v.Fields[f]; !ok {
				return nil, fmt.Errorf("invalid field for query %s", f)
			}
			add(f)
		}
	}
	return out, nil
}

// Run reads the view: the named fields of the rows matching all clauses,
// ordered and paged by page (whose Order exprs must come from Fields), or
// with countOnly their number.
func (v *View) Run(ctx context.Context, tx *Tx, fields []string, clauses []ViewClause, page Page, countOnly bool) ([]map[string]any, int64, error) {
	joins := map[string]bool{}
	var w conds
	for _, c := range clauses {
		f := v.Fields[c.Field]
		if f.Join != "" {
			joins[f.Join] = true
		}
		switch c.Op {
		case "IS", "IS NOT":
			switch c.Value {
			case nil:
				w.add(f.Expr + " " + c.Op + " NULL")
			case true:
				w.add(f.Expr + " " + c.Op + " TRUE")
			case false:
				w.add(f.Expr + " " + c.Op + " FALSE")
			default:
				return nil, 0, fmt.Errorf("invalid value for %s: %v", c.Op, c.Value)
			}
		case "IN":
			list, _ := c.Value.([]any)
			in, inArgs := InList(list)
			w.add(f.Expr+" IN "+in, inArgs...)
		default:
			w.add(f.Expr+" "+c.Op+" ?", c.Value)
		}
	}
	for _, o := range page.Order {
		for _, f := range v.Fields {
			if f.Expr == o.Expr && f.Join != "" {
				joins[f.Join] = true
			}
		}
	}
	for _, n := range fields {
		if j := v.Fields[n].Join; j != "" {
			joins[j] = true
		}
	}
	from := " FROM " + v.From
	joinKeys := make([]string, 0, len(joins))
	for j := range joins {
		joinKeys = append(joinKeys, j)
	}
	sort.Strings(joinKeys)
	for _, j := range joinKeys {
		from += " " + v.Joins[j]
	}
	from += w.where()
	if countOnly {
		n, err := count(ctx, tx, from, page, w.args)
		if err != nil {
			return nil, 0, fmt.Errorf("count %s: %w", v.From, err)
		}
		return nil, n, nil
	}
	cols := make([]string, len(fields))
	for i, n := range fields {
		cols[i] = v.Fields[n].Expr
	}
	rows, err := tx.Query(ctx, "SELECT "+strings.Join(cols, ", ")+from+page.clause(tx.Dialect, v.Order), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("query %s: %w", v.From, err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			return nil, 0, err
		}
		m := make(map[string]any, len(fields))
		for i, n := range fields {
			m[n] = convertKind(vals[i], v.Fields[n].Kind)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return out, int64(len(out)), nil
}

// convertKind gives a scanned value the field's type whatever the driver
// returned (SQLite has no booleans; PostgreSQL may return numerics as text).
func convertKind(v any, k Kind) any {
	if v == nil {
		return nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch k {
	case KindInt:
		switch x := v.(type) {
		case int64:
			return x
		case int32:
			return int64(x)
		case float64:
			return int64(x)
		case string:
			n, _ := strconv.ParseInt(x, 10, 64)
			return n
		}
	case KindFloat:
		switch x := v.(type) {
		case float64:
			return x
		case int64:
			return float64(x)
		case string:
			f, _ := strconv.ParseFloat(x, 64)
			return f
		}
	case KindBool:
		switch x := v.(type) {
		case bool:
			return x
		case int64:
			return x != 0
		case string:
			return x == "1" || x == "t" || x == "true"
		}
	case KindString:
		return fmt.Sprint(v)
	}
	return v
}

func usToTS(col string) string { return "CAST(" + col + " AS DOUBLE PRECISION) / 1000000" }

// Koji's task and host columns that the scheduler views join in.
func schedTaskHostFields(table string, taskJoin, hostJoin string) map[string]ViewField {
	return map[string]ViewField{
		"method":     {Expr: "t.method", Join: taskJoin, Kind: KindString},
		"state":      {Expr: "t.state", Join: taskJoin, Kind: KindInt},
		"owner":      {Expr: "t.owner", Join: taskJoin, Kind: KindInt},
		"arch":       {Expr: "t.arch", Join: taskJoin, Kind: KindString},
		"channel_id": {Expr: "t.channel_id", Join: taskJoin, Kind: KindInt},
		"host_name":  {Expr: "h.name", Join: hostJoin, Kind: KindString},
		"host_ready": {Expr: "h.ready", Join: hostJoin, Kind: KindBool},
		"id":         {Expr: table + ".id", Kind: KindInt},
		"task_id":    {Expr: table + ".task_id", Kind: KindInt},
		"host_id":    {Expr: table + ".host_id", Kind: KindInt},
	}
}

// TaskRunsView is scheduler.getTaskRuns.
var TaskRunsView = func() *View {
	f := schedTaskHostFields("r", "task", "host")
	f["active"] = ViewField{Expr: "r.active", Kind: KindBool}
	f["create_ts"] = ViewField{Expr: usToTS("r.create_us"), Kind: KindFloat}
	f["start_ts"] = ViewField{Expr: usToTS("t.start_us"), Join: "task", Kind: KindFloat}
	f["completion_ts"] = ViewField{Expr: usToTS("t.completion_us"), Join: "task", Kind: KindFloat}
	return &View{
		From: "scheduler_task_runs r",
		Joins: map[string]string{
			"task": "JOIN task t ON t.id = r.task_id",
			"host": "JOIN host h ON h.id = r.host_id",
		},
		Fields:  f,
		Default: []string{"id", "task_id", "host_id", "active", "create_ts"},
		Order:   "r.id",
	}
}()

// LogMessagesView is scheduler.getLogMessages.
var LogMessagesView = func() *View {
	f := schedTaskHostFields("m", "task", "host")
	f["msg_ts"] = ViewField{Expr: usToTS("m.msg_us"), Kind: KindFloat}
	f["msg"] = ViewField{Expr: "m.msg", Kind: KindString}
	return &View{
		From: "scheduler_log_messages m",
		Joins: map[string]string{
			"task": "LEFT JOIN task t ON t.id = m.task_id",
			"host": "LEFT JOIN host h ON h.id = m.host_id",
		},
		Fields:  f,
		Default: []string{"id", "task_id", "host_id", "msg", "msg_ts"},
		Order:   "m.id",
	}
}()

// TaskRefusalsView is scheduler.getTaskRefusals.
var TaskRefusalsView = func() *View {
	f := schedTaskHostFields("x", "task", "host")
	f["by_host"] = ViewField{Expr: "x.by_host", Kind: KindBool}
	f["soft"] = ViewField{Expr: "x.soft", Kind: KindBool}
	f["msg"] = ViewField{Expr: "x.msg", Kind: KindString}
	f["ts"] = ViewField{Expr: usToTS("x.time_us"), Kind: KindFloat}
	return &View{
		From: "scheduler_task_refusals x",
		Joins: map[string]string{
			"task": "JOIN task t ON t.id = x.task_id",
			"host": "JOIN host h ON h.id = x.host_id",
		},
		Fields:  f,
		Default: []string{"id", "task_id", "host_id", "by_host", "soft", "msg", "ts"},
		Order:   "x.id",
	}
}()
