-- The scheduler's record, as Koji keeps it (scheduler.getTaskRuns,
-- scheduler.getLogMessages). Times are microseconds since the epoch.

-- One row per assignment of a task to a host by the scheduler (a poll's
-- assignment, or assignTask without override). active is cleared when the
-- task leaves that host: freed, reassigned or finished.
CREATE TABLE scheduler_task_runs (
	id @ID@,
	task_id BIGINT NOT NULL REFERENCES task(id),
	host_id BIGINT NOT NULL REFERENCES host(id),
	active BOOLEAN NOT NULL DEFAULT TRUE,
	create_us BIGINT NOT NULL
);
CREATE INDEX scheduler_task_runs_task ON scheduler_task_runs (task_id, active);
CREATE INDEX scheduler_task_runs_host ON scheduler_task_runs (host_id);
CREATE INDEX scheduler_task_runs_active ON scheduler_task_runs (id) WHERE active = TRUE;

-- What the scheduler decided and why (assignments, refusals, timeouts, hosts
-- marked not ready). Trimmed by the scheduler's pass, so it stays bounded.
CREATE TABLE scheduler_log_messages (
	id @ID@,
	task_id BIGINT REFERENCES task(id),
	host_id BIGINT REFERENCES host(id),
	msg_us BIGINT NOT NULL,
	msg TEXT NOT NULL
);
CREATE INDEX scheduler_log_messages_task ON scheduler_log_messages (task_id);
CREATE INDEX scheduler_log_messages_host ON scheduler_log_messages (host_id);
CREATE INDEX scheduler_log_messages_time ON scheduler_log_messages (msg_us);
