package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/gokoji/gokoji/hub"
)

// schedulerLockKey is the PostgreSQL advisory lock of a scheduler pass.
const schedulerLockKey = 4242003

// LastPass is when the last scheduler pass (on any hub) ran, in microseconds.
func LastPass(ctx context.Context, tx *Tx) (int64, error) {
	var us int64
	if err := tx.Get(ctx, &us, "SELECT last_run_us FROM scheduler_lease WHERE id = 1"); err != nil {
		return 0, fmt.Errorf("read scheduler lease: %w", err)
	}
	return us, nil
}

// TryLease takes the right to run a scheduler pass: at most one hub at a
// time (on PostgreSQL a transaction-scoped advisory lock that is not waited
// for; on SQLite the single writer), and at most once per interval across
// all hubs (the scheduler_lease row, moved forward in this transaction).
func TryLease(ctx context.Context, tx *Tx, holder string, nowUS, intervalUS int64) (bool, error) {
	if tx.Dialect == Postgres {
		var ok bool
		if err := tx.Get(ctx, &ok, "SELECT pg_try_advisory_xact_lock(?)", schedulerLockKey); err != nil {
			return false, fmt.Errorf("scheduler lock: %w", err)
		}
		if !ok {
			return false, nil
		}
	}
	n, err := tx.Exec(ctx, "UPDATE scheduler_lease SET holder = ?, last_run_us = ? WHERE id = 1 AND last_run_us <= ?",
		holder, nowUS, nowUS-intervalUS)
	if err != nil {
		return false, fmt.Errorf("scheduler lease: %w", err)
	}
	return n == 1, nil
}

// PickQuery describes the host a FREE task is sought for.
type PickQuery struct {
	HostID        int64
	Arches        []string // the host's arches; noarch is always added
	MaxWeight     float64  // tasks must weigh less than this
	SoftRefusedAt int64    // soft refusals older than this are forgotten
	SkipMethods   []string // task methods builders never get (the hub runs them)
}

// AssignFreeTask gives the host the most urgent FREE task it may take
// (lowest priority number, then oldest): the task becomes ASSIGNED to it at
// nowUS, a new run of it starts (any active one ends) and msg goes to the
// scheduler log. It returns the task as assigned, with its request when
// withRequest, or nil when none fits. On PostgreSQL all of it is one
// statement, so a builder's poll costs fewer round trips; the task row is
// locked there, and rows another transaction is taking are skipped.
func AssignFreeTask(ctx context.Context, tx *Tx, q PickQuery, nowUS int64, msg string, withRequest bool) (*Task, error) {
	arches := append([]string{"noarch"}, q.Arches...)
	args := []any{hub.TaskAssigned, q.HostID, nowUS}
	for _, a := range arches {
		args = append(args, a)
	}
	args = append(args, q.HostID, q.MaxWeight, q.HostID, q.SoftRefusedAt)
	skip := ""
	if len(q.SkipMethods) > 0 {
		in, inArgs := InList(q.SkipMethods)
		skip = "AND t.method NOT IN " + in
		args = append(args, inArgs...)
	}
	args = append(args, hub.TaskFree)
	// The pick walks the FREE tasks in priority order (task_free) and
	// probes each, so the first match ends the scan however many wait.
	pick := `SELECT t.id FROM task t
		WHERE t.state = 0
		AND t.arch IN (` + placeholders(len(arches)) + `)
		AND EXISTS (SELECT 1 FROM host_channels hc JOIN channels c ON c.id = hc.channel_id
			WHERE hc.channel_id = t.channel_id AND hc.host_id = ? AND hc.active = TRUE AND c.enabled = TRUE)
		AND t.weight < ?
		AND NOT EXISTS (SELECT 1 FROM scheduler_task_refusals r WHERE r.task_id = t.id AND r.host_id = ?
			AND (r.soft = FALSE OR r.time_us > ?))
		` + skip + `
		ORDER BY t.priority, t.create_us, t.id LIMIT 1`
	if tx.Dialect == Postgres {
		pick += " FOR UPDATE OF t SKIP LOCKED"
	}
	cols := taskColumns
	if withRequest {
		cols += ", request"
	}
	assign := "UPDATE task SET state = ?, host_id = ?, assign_us = ? WHERE id = (" + pick + ") AND state = ? RETURNING " + cols
	if tx.Dialect == Postgres {
		// The runs' UPDATE does not see the INSERT's row: the parts of a
		// WITH share one snapshot.
		assign = "WITH picked AS (" + assign + "), " +
			"ended AS (" + endRunsSQL + "(SELECT id FROM picked)), " +
			"run AS (" + insertRunSQL + "SELECT id, host_id, TRUE, CAST(? AS BIGINT) FROM picked), " +
			"logged AS (" + insertLogSQL + "SELECT id, host_id, CAST(? AS BIGINT), CAST(? AS TEXT) FROM picked) " +
			"SELECT " + cols + " FROM picked"
		args = append(args, nowUS, nowUS, msg)
	}
	var out []Task
	if err := tx.Select(ctx, &out, assign, args...); err != nil {
		return nil, fmt.Errorf("assign a task to host %d: %w", q.HostID, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	t := &out[0]
	if tx.Dialect != Postgres {
		if err := RecordAssignment(ctx, tx, t.ID, q.HostID, nowUS, msg); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Refusal is a row of scheduler_task_refusals.
type Refusal struct {
	TaskID int64  `db:"task_id" xmlrpc:"task_id"`
	HostID int64  `db:"host_id" xmlrpc:"host_id"`
	ByHost bool   `db:"by_host" xmlrpc:"by_host"`
	Soft   bool   `db:"soft" xmlrpc:"soft"`
	Msg    string `db:"msg" xmlrpc:"msg"`
	TimeUS int64  `db:"time_us" xmlrpc:"-"`
}

// SetRefusal records (or refreshes) a host's refusal of a task.
func SetRefusal(ctx context.Context, tx *Tx, r Refusal) error {
	if _, err := tx.Exec(ctx, "DELETE FROM scheduler_task_refusals WHERE task_id = ? AND host_id = ?", r.TaskID, r.HostID); err != nil {
		return fmt.Errorf("replace refusal: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO scheduler_task_refusals (task_id, host_id, by_host, soft, msg, time_us)
		VALUES (?, ?, ?, ?, ?, ?)`, r.TaskID, r.HostID, r.ByHost, r.Soft, r.Msg, r.TimeUS); err != nil {
		return fmt.Errorf("record refusal: %w", err)
	}
	return nil
}

// MarkSilentHostsNotReady clears ready on hosts with no heartbeat since
// before and returns their ids.
func MarkSilentHostsNotReady(ctx context.Context, tx *Tx, beforeUS int64) ([]int64, error) {
	var ids []int64
	if err := tx.Select(ctx, &ids, "SELECT id FROM host WHERE ready = TRUE AND (update_us IS NULL OR update_us < ?) ORDER BY id", beforeUS); err != nil {
		return nil, fmt.Errorf("find silent hosts: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := InList(ids)
	if _, err := tx.Exec(ctx, "UPDATE host SET ready = FALSE WHERE ready = TRUE AND id IN "+in, args...); err != nil {
		return nil, fmt.Errorf("mark silent hosts: %w", err)
	}
	return ids, nil
}

// StaleTask is a task the scheduler must take back from its host.
type StaleTask struct {
	ID         int64   `db:"id"`
	State      int     `db:"state"`
	HostID     int64   `db:"host_id"`
	HostName   string  `db:"host_name"`
	HostUpdate *int64  `db:"update_us"`
	AssignUS   *int64  `db:"assign_us"`
	HostLosses int     `db:"host_losses"`
	Parent     *int64  `db:"parent"`
	Label      *string `db:"label"`
}

const staleCols = "t.id, t.state, t.host_id, h.name AS host_name, h.update_us, t.assign_us, t.host_losses, t.parent, t.label"

// ExpiredAssignments lists ASSIGNED tasks assigned before beforeUS.
func ExpiredAssignments(ctx context.Context, tx *Tx, beforeUS int64) ([]StaleTask, error) {
	var out []StaleTask
	q := "SELECT " + staleCols + " FROM task t JOIN host h ON h.id = t.host_id WHERE t.state = 4 AND (t.assign_us IS NULL OR t.assign_us < ?) ORDER BY t.id"
	if err := tx.Select(ctx, &out, q, beforeUS); err != nil {
		return nil, fmt.Errorf("read expired assignments: %w", err)
	}
	return out, nil
}

// OrphanedTasks lists OPEN tasks whose host has been silent since before
// beforeUS (no heartbeat, or none since the task started).
func OrphanedTasks(ctx context.Context, tx *Tx, beforeUS int64) ([]StaleTask, error) {
	var out []StaleTask
	q := "SELECT " + staleCols + ` FROM task t JOIN host h ON h.id = t.host_id WHERE t.state = 1
		AND COALESCE(h.update_us, 0) < ? AND COALESCE(t.start_us, 0) < ? ORDER BY t.id`
	if err := tx.Select(ctx, &out, q, beforeUS, beforeUS); err != nil {
		return nil, fmt.Errorf("read orphaned tasks: %w", err)
	}
	return out, nil
}

// Descendants lists every task below id, parents before children.
func Descendants(ctx context.Context, tx *Tx, id int64) ([]Task, error) {
	var out []Task
	queue := []int64{id}
	seen := map[int64]bool{id: true}
	for len(queue) > 0 {
		args := make([]any, len(queue))
		for i, q := range queue {
			args[i] = q
		}
		var kids []Task
		q := "SELECT " + taskCols + " FROM task t WHERE t.parent IN (" + placeholders(len(queue)) + ") ORDER BY t.id"
		if err := tx.Select(ctx, &kids, q, args...); err != nil {
			return nil, fmt.Errorf("read descendants of %d: %w", id, err)
		}
		queue = queue[:0]
		for _, k := range kids {
			if seen[k.ID] {
				return nil, fmt.Errorf("task loop at task %d", k.ID)
			}
			seen[k.ID] = true
			out = append(out, k)
			queue = append(queue, k.ID)
		}
	}
	return out, nil
}

// CancelTasks sets the unfinished tasks among ids CANCELED (and their
// BUILDING builds) and returns how many tasks changed.
func CancelTasks(ctx context.Context, tx *Tx, ids []int64, nowUS int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	// The builds these tasks own stop with them (Koji's Task.cancel).
	if err := CancelTaskBuilds(ctx, tx, ids, nowUS); err != nil {
		return 0, err
	}
	args := []any{nowUS}
	for _, id := range ids {
		args = append(args, id)
	}
	n, err := tx.Exec(ctx, "UPDATE task SET state = 3, completion_us = ? WHERE state IN (0, 1, 4) AND id IN ("+
		placeholders(len(ids))+")", args...)
	if err != nil {
		return 0, fmt.Errorf("cancel tasks %s: %w", strings.Trim(fmt.Sprint(ids), "[]"), err)
	}
	if n > 0 {
		if err := EndTaskRuns(ctx, tx, ids...); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// hubTaskLockKey is the PostgreSQL advisory lock of the hub's own task runner.
const hubTaskLockKey = 4242007

// TryHubTaskLease takes the right to run hub-run tasks in this
// transaction: on PostgreSQL a transaction-scoped advisory lock that is not
// waited for, so one hub of several runs them at a time; on SQLite the
// write transaction is the lease.
func TryHubTaskLease(ctx context.Context, tx *Tx) (bool, error) {
	if tx.Dialect != Postgres {
		return true, nil
	}
	var ok bool
	if err := tx.Get(ctx, &ok, "SELECT pg_try_advisory_xact_lock(?)", hubTaskLockKey); err != nil {
		return false, fmt.Errorf("hub task lock: %w", err)
	}
	return ok, nil
}

// PickHubTask returns the most urgent FREE task of one of methods (lowest
// priority number, then oldest), with its request, or nil.
func PickHubTask(ctx context.Context, tx *Tx, methods []string) (*Task, error) {
	if len(methods) == 0 {
		return nil, nil
	}
	in, args := InList(methods)
	q := "SELECT " + taskCols + ", t.request FROM task t WHERE t.state = 0 AND t.method IN " + in +
		" ORDER BY t.priority, t.create_us, t.id LIMIT 1"
	if tx.Dialect == Postgres {
		q += " FOR UPDATE OF t SKIP LOCKED"
	}
	var rows []Task
	if err := tx.Select(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("pick a hub task: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}
