-- Build hosts, channels, tasks and the hub-side scheduler's bookkeeping.
-- Times are microseconds since the epoch, as in 0001.

CREATE TABLE channels (
	id @ID@,
	name TEXT NOT NULL UNIQUE,
	description TEXT,
	enabled BOOLEAN NOT NULL DEFAULT TRUE,
	comment TEXT
);

-- Koji's channels, in Koji's order, so their ids match a fresh Koji hub.
INSERT INTO channels (name) VALUES ('default');
INSERT INTO channels (name) VALUES ('createrepo');
INSERT INTO channels (name) VALUES ('maven');
INSERT INTO channels (name) VALUES ('livecd');
INSERT INTO channels (name) VALUES ('appliance');
INSERT INTO channels (name) VALUES ('vm');
INSERT INTO channels (name) VALUES ('image');
INSERT INTO channels (name) VALUES ('livemedia');

-- host holds what the builder reports (not versioned, as in Koji);
-- host_config what the admin sets (versioned).
CREATE TABLE host (
	id @ID@,
	user_id BIGINT NOT NULL UNIQUE REFERENCES users(id),
	name TEXT NOT NULL UNIQUE,
	update_us BIGINT,             -- last host.updateHost
	ready BOOLEAN NOT NULL DEFAULT FALSE,
	task_load DOUBLE PRECISION NOT NULL DEFAULT 0,
	maxjobs BIGINT,               -- from host.updateHost data / setHostData
	data TEXT                     -- scheduler host data, an XML-RPC response document
);

CREATE TABLE host_config (
	host_id BIGINT NOT NULL REFERENCES host(id),
	arches TEXT,
	capacity DOUBLE PRECISION NOT NULL DEFAULT 2.0,
	description TEXT,
	comment TEXT,
	enabled BOOLEAN NOT NULL DEFAULT TRUE,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX host_config_active ON host_config (host_id, active);
CREATE INDEX host_config_events ON host_config (host_id, create_event, revoke_event);

CREATE TABLE host_channels (
	host_id BIGINT NOT NULL REFERENCES host(id),
	channel_id BIGINT NOT NULL REFERENCES channels(id),
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX host_channels_active ON host_channels (host_id, channel_id, active);
CREATE INDEX host_channels_channel ON host_channels (channel_id, active);
CREATE INDEX host_channels_events ON host_channels (host_id, create_event, revoke_event);

-- request and result are XML-RPC documents, as Koji stores them: the request
-- a <methodCall>, the result a <methodResponse> (a fault for FAILED tasks).
CREATE TABLE task (
	id @ID@,
	state INTEGER NOT NULL,
	create_us BIGINT NOT NULL,
	start_us BIGINT,
	completion_us BIGINT,
	channel_id BIGINT NOT NULL REFERENCES channels(id),
	host_id BIGINT REFERENCES host(id),
	parent BIGINT REFERENCES task(id),
	label TEXT,
	waiting BOOLEAN,
	awaited BOOLEAN,
	owner BIGINT NOT NULL REFERENCES users(id),
	method TEXT NOT NULL,
	request TEXT NOT NULL,
	result TEXT,
	arch TEXT NOT NULL,
	priority INTEGER NOT NULL,
	weight DOUBLE PRECISION NOT NULL DEFAULT 1.0,
	assign_us BIGINT,                   -- when the scheduler assigned it (AssignTimeout)
	host_losses INTEGER NOT NULL DEFAULT 0  -- times freed because its host went silent
);
-- The scheduler's query: FREE tasks by priority, then age (a partial index,
-- so it stays small however many finished tasks there are).
CREATE INDEX task_free ON task (priority, create_us, id) WHERE state = 0;
CREATE INDEX task_state ON task (state, priority, create_us, id);
-- A host's tasks (load, getTasks, getHostTasks, dead-host checks).
CREATE INDEX task_host ON task (host_id, state);
CREATE INDEX task_parent ON task (parent, label);
-- listTasks filters and orders.
CREATE INDEX task_owner ON task (owner, state, create_us);
CREATE INDEX task_method ON task (method, id);
CREATE INDEX task_channel ON task (channel_id, state, create_us);
CREATE INDEX task_create ON task (create_us);
CREATE INDEX task_completion ON task (completion_us);

-- Refusals (host.refuseTask, and misses of the AssignTimeout): a refused task
-- is not offered to that host again (soft refusals expire).
CREATE TABLE scheduler_task_refusals (
	id @ID@,
	task_id BIGINT NOT NULL REFERENCES task(id),
	host_id BIGINT NOT NULL REFERENCES host(id),
	by_host BOOLEAN NOT NULL,
	soft BOOLEAN NOT NULL,
	msg TEXT NOT NULL DEFAULT '',
	time_us BIGINT NOT NULL
);
CREATE UNIQUE INDEX scheduler_task_refusals_pair ON scheduler_task_refusals (task_id, host_id);
CREATE INDEX scheduler_task_refusals_host ON scheduler_task_refusals (host_id);

-- One row: which hub last ran a scheduler pass and when. Several hubs share
-- one database; a hub runs a pass only by moving last_run_us forward in its
-- own transaction, so passes are rate-limited across all hubs.
CREATE TABLE scheduler_lease (
	id INTEGER PRIMARY KEY,
	holder TEXT,
	last_run_us BIGINT NOT NULL DEFAULT 0
);
INSERT INTO scheduler_lease (id, last_run_us) VALUES (1, 0);
