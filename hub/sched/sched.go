// Package sched is the hub's scheduler: which FREE task a build host gets
// next, and the periodic pass that takes work back from hosts that went
// silent. Everything it does happens inside the caller's transaction, so a
// pass or an assignment either commits whole or not at all.
//
// A task matches a host when the host is in the task's (enabled) channel,
// the task's arch is one of the host's arches or noarch, the host has not
// refused it, and the host has room: capacity - load > max(0, weight -
// CapacityOvercommit), with fewer than maxjobs tasks. Parents waiting on
// subtasks count toward neither: they hold no build slot, and counting them
// would let a burst of builds fill every host with parents whose children
// then have nowhere to run. Among matching tasks
// the lowest priority number wins, then the oldest.
package sched

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gokoji/gokoji/hub"
	"github.com/gokoji/gokoji/hub/store"
	"github.com/gokoji/gokoji/hub/xmlrpc"
)

// Config holds the scheduler options; the names are Koji's hub options.
type Config struct {
	ReadyTimeout       time.Duration // a host with no heartbeat this long is not ready
	AssignTimeout      time.Duration // an ASSIGNED task not opened this long is freed
	HostTimeout        time.Duration // OPEN tasks of a host silent this long are freed
	SoftRefusalTimeout time.Duration // soft refusals are forgotten after this
	RunInterval        time.Duration // at most one pass per interval, across all hubs
	MaxHostLosses      int           // a task freed this many times from dead hosts fails instead
	CapacityOvercommit float64
	MaxJobs            int64 // when the host did not announce its own
}

// DefaultConfig returns Koji's defaults.
func DefaultConfig() Config {
	return Config{
		ReadyTimeout:       180 * time.Second,
		AssignTimeout:      300 * time.Second,
		HostTimeout:        900 * time.Second,
		SoftRefusalTimeout: 900 * time.Second,
		RunInterval:        60 * time.Second,
		MaxHostLosses:      3,
		CapacityOvercommit: 5,
		MaxJobs:            15,
	}
}

// Scheduler runs passes and assignments with one configuration.
type Scheduler struct {
	Config Config
	Holder string // names this hub in the lease row
	Log    logrus.FieldLogger
	// HubMethods are task methods the hub runs itself: never given to a
	// build host.
	HubMethods []string

	// lastPass caches the lease row's last_run_us as last seen, so polls
	// between passes skip the lease queries. It only ever delays a check:
	// the lease row in the database decides who runs a pass.
	lastPass atomic.Int64
}

// New returns a scheduler named after this process.
func New(cfg Config, log logrus.FieldLogger) *Scheduler {
	host, _ := os.Hostname()
	return &Scheduler{Config: cfg, Holder: fmt.Sprintf("%s:%d", host, os.Getpid()), Log: log}
}

// MaybeRun runs a maintenance pass if none ran (on any hub) within
// RunInterval and no other hub is running one.
func (s *Scheduler) MaybeRun(ctx context.Context, tx *store.Tx, now time.Time) (bool, error) {
	nowUS, every := now.UnixMicro(), s.Config.RunInterval.Microseconds()
	if nowUS-s.lastPass.Load() < every {
		return false, nil
	}
	last, err := store.LastPass(ctx, tx)
	if err != nil {
		return false, err
	}
	if nowUS-last < every {
		s.lastPass.Store(last)
		return false, nil
	}
	ok, err := store.TryLease(ctx, tx, s.Holder, nowUS, every)
	if err != nil || !ok {
		return false, err
	}
	return true, s.Pass(ctx, tx, now)
}

// PassResult counts what a pass changed.
type PassResult struct {
	NotReady  int64 // hosts marked not ready
	Unassign  int   // ASSIGNED tasks freed after AssignTimeout
	Freed     int   // OPEN tasks freed from silent hosts
	Failed    int   // tasks failed after losing too many hosts
	Cancelled int64 // children canceled with a failed parent
}

// Pass takes work back from hosts that stopped answering. It runs in tx.
func (s *Scheduler) Pass(ctx context.Context, tx *store.Tx, now time.Time) error {
	_, err := s.pass(ctx, tx, now)
	return err
}

func (s *Scheduler) pass(ctx context.Context, tx *store.Tx, now time.Time) (PassResult, error) {
	var r PassResult
	nowUS := now.UnixMicro()
	notReady, err := store.MarkSilentHostsNotReady(ctx, tx, nowUS-s.Config.ReadyTimeout.Microseconds())
	if err != nil {
		return r, err
	}
	r.NotReady = int64(len(notReady))
	for _, id := range notReady {
		if err := store.SchedLog(ctx, tx, nowUS, 0, id, "Marking host not ready"); err != nil {
			return r, err
		}
	}
	assigned, err := store.ExpiredAssignments(ctx, tx, nowUS-s.Config.AssignTimeout.Microseconds())
	if err != nil {
		return r, err
	}
	for _, t := range assigned {
		changed, err := store.SetTaskFields(ctx, tx, t.ID, map[string]any{"state": hub.TaskFree, "host_id": nil, "assign_us": nil}, hub.TaskAssigned)
		if err != nil {
			return r, err
		}
		if !changed {
			continue
		}
		r.Unassign++
		if err := store.SchedLog(ctx, tx, nowUS, t.ID, t.HostID, "Task assignment timeout"); err != nil {
			return r, err
		}
		// The host checked in but did not take it: count that as a soft refusal.
		if t.HostUpdate != nil && t.AssignUS != nil && *t.HostUpdate > *t.AssignUS {
			if err := store.SetRefusal(ctx, tx, store.Refusal{TaskID: t.ID, HostID: t.HostID, Soft: true,
				Msg: "assignment timed out", TimeUS: nowUS}); err != nil {
				return r, err
			}
		}
	}
	orphans, err := store.OrphanedTasks(ctx, tx, nowUS-s.Config.HostTimeout.Microseconds())
	if err != nil {
		return r, err
	}
	for _, t := range orphans {
		losses := t.HostLosses + 1
		if losses > s.Config.MaxHostLosses {
			msg := fmt.Sprintf("Task %d failed: its host %s stopped responding, and it has now lost its host %d times",
				t.ID, t.HostName, losses)
			n, err := FailTask(ctx, tx, t.ID, hub.GenericError("%s", msg), now)
			if err != nil {
				return r, err
			}
			r.Failed++
			r.Cancelled += n
			if err := store.SchedLog(ctx, tx, nowUS, t.ID, t.HostID,
				fmt.Sprintf("Failing task: host unresponsive, lost its host %d times", losses)); err != nil {
				return r, err
			}
			s.logf("task %d failed: host %s silent, lost %d times", t.ID, t.HostName, losses)
			continue
		}
		changed, err := store.SetTaskFields(ctx, tx, t.ID, map[string]any{"state": hub.TaskFree, "host_id": nil,
			"assign_us": nil, "host_losses": losses, "waiting": nil}, hub.TaskOpen)
		if err != nil {
			return r, err
		}
		if changed {
			r.Freed++
			if err := store.SchedLog(ctx, tx, nowUS, t.ID, t.HostID, "Freeing task from unresponsive host"); err != nil {
				return r, err
			}
			s.logf("task %d freed: host %s silent for over %s", t.ID, t.HostName, s.Config.HostTimeout)
		}
	}
	if _, err := store.EndStaleTaskRuns(ctx, tx); err != nil {
		return r, err
	}
	if _, err := store.TrimSchedLog(ctx, tx, nowUS-LogRetention.Microseconds(), LogMaxRows); err != nil {
		return r, err
	}
	return r, nil
}

// The scheduler log (scheduler.getLogMessages) keeps at most LogMaxRows
// messages, none older than LogRetention; each pass trims it.
const (
	LogRetention = 7 * 24 * time.Hour
	LogMaxRows   = 100000
)

// RecordAssignment notes an assignment made by the scheduler (or an
// admin's assignTask): a new task run and a log message.
func RecordAssignment(ctx context.Context, tx *store.Tx, taskID, hostID int64, now time.Time) error {
	return store.RecordAssignment(ctx, tx, taskID, hostID, now.UnixMicro(), assignMsg)
}

// assignMsg is the scheduler log's message for an assignment.
const assignMsg = "Assigning task"

func (s *Scheduler) logf(format string, args ...any) {
	if s.Log != nil {
		s.Log.Infof(format, args...)
	}
}

// FailTask ends an unfinished task as FAILED with f as its stored result and
// cancels its unfinished descendants. It returns how many were canceled.
func FailTask(ctx context.Context, tx *store.Tx, id int64, f *hub.Fault, now time.Time) (int64, error) {
	var buf bytes.Buffer
	if err := xmlrpc.EncodeFault(&buf, &xmlrpc.Fault{Code: f.Code, String: f.Msg}); err != nil {
		return 0, err
	}
	nowUS := now.UnixMicro()
	changed, err := store.SetTaskFields(ctx, tx, id, map[string]any{"state": hub.TaskFailed, "result": buf.String(),
		"completion_us": nowUS}, hub.TaskFree, hub.TaskOpen, hub.TaskAssigned)
	if err != nil || !changed {
		return 0, err
	}
	return CancelChildren(ctx, tx, id, now)
}

// Cancel cancels a task as Koji does: a finished task is left alone (and
// its children too); otherwise it becomes CANCELED and, with recurse, its
// children are canceled the same way. It reports whether the task is now
// canceled.
func Cancel(ctx context.Context, tx *store.Tx, id int64, recurse bool, now time.Time) (bool, error) {
	t, err := store.GetTask(ctx, tx, id, false)
	if err != nil {
		return false, err
	}
	if t == nil {
		return false, hub.GenericError("No such task: %d", id)
	}
	switch t.State {
	case hub.TaskCanceled:
		return true, nil
	case hub.TaskClosed, hub.TaskFailed:
		return false, nil
	}
	if _, err := store.CancelTasks(ctx, tx, []int64{id}, now.UnixMicro()); err != nil {
		return false, err
	}
	if recurse {
		if _, err := CancelChildren(ctx, tx, id, now); err != nil {
			return false, err
		}
	}
	return true, nil
}

// CancelChildren cancels each child of id recursively (as Cancel) and
// returns how many tasks it canceled.
func CancelChildren(ctx context.Context, tx *store.Tx, id int64, now time.Time) (int64, error) {
	kids, err := store.TaskChildren(ctx, tx, id, false)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, k := range kids {
		if hub.TaskDone(k.State) {
			continue
		}
		if _, err := store.CancelTasks(ctx, tx, []int64{k.ID}, now.UnixMicro()); err != nil {
			return n, err
		}
		n++
		m, err := CancelChildren(ctx, tx, k.ID, now)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Load is a host's current work as the scheduler counts it, from its OPEN
// and ASSIGNED tasks: the weight of those not waiting, and their number.
func Load(current []store.Task) (load float64, jobs int64) {
	for _, t := range current {
		if t.Waiting != nil && *t.Waiting {
			continue
		}
		load += t.Weight
		jobs++
	}
	return load, jobs
}

// AssignFor gives the host up to max FREE tasks it can run now, on top of
// current (its OPEN and ASSIGNED tasks), and returns them as assigned (with
// their requests when withRequest). The host must be enabled and ready.
func (s *Scheduler) AssignFor(ctx context.Context, tx *store.Tx, h *store.Host, current []store.Task, max int, now time.Time, withRequest bool) ([]store.Task, error) {
	if !h.Enabled || !h.Ready {
		return nil, nil
	}
	load, jobs := Load(current)
	maxJobs := s.Config.MaxJobs
	if h.MaxJobs != nil && *h.MaxJobs > 0 {
		maxJobs = *h.MaxJobs
	}
	nowUS := now.UnixMicro()
	var got []store.Task
	for len(got) < max && jobs < maxJobs {
		avail := h.Capacity - load
		if avail <= 0 {
			break
		}
		t, err := store.AssignFreeTask(ctx, tx, store.PickQuery{
			HostID: h.ID, Arches: h.ArchList(), MaxWeight: avail + s.Config.CapacityOvercommit,
			SoftRefusedAt: nowUS - s.Config.SoftRefusalTimeout.Microseconds(),
			SkipMethods:   s.HubMethods,
		}, nowUS, assignMsg, withRequest)
		if err != nil || t == nil {
			return got, err
		}
		got = append(got, *t)
		load += t.Weight
		jobs++
	}
	return got, nil
}

// Run runs MaybeRun every interval until ctx ends, so silent hosts are
// noticed even when no builder polls. now is the clock (time.Now).
func (s *Scheduler) Run(ctx context.Context, db *store.DB, now func() time.Time) {
	every := s.Config.RunInterval
	if every <= 0 || every > 10*time.Second {
		every = 10 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := db.InTx(ctx, true, func(tx *store.Tx) error {
			tx.KeepsCachedAnswers() // host and task state only
			_, err := s.MaybeRun(ctx, tx, now())
			return err
		})
		if err != nil && ctx.Err() == nil && s.Log != nil {
			s.Log.WithError(err).Warn("scheduler pass failed")
		}
	}
}
