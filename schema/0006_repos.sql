-- Repos of tags, and the queue of requests for them (Koji 1.35's repo and
-- repo_queue). Times are microseconds since the epoch.
CREATE TABLE repo (
	id @ID@,
	creation_us BIGINT NOT NULL,
	create_event BIGINT NOT NULL REFERENCES events(id),
	state_us BIGINT NOT NULL,
	begin_event BIGINT REFERENCES events(id),
	end_event BIGINT REFERENCES events(id),
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	state INTEGER NOT NULL,
	dist BOOLEAN NOT NULL DEFAULT FALSE,
	opts TEXT,
	custom_opts TEXT,
	task_id BIGINT
);
CREATE INDEX repo_by_tag ON repo (tag_id, state, create_event);
CREATE INDEX repo_by_state ON repo (state);

CREATE TABLE repo_queue (
	id @ID@,
	create_us BIGINT NOT NULL,
	owner BIGINT NOT NULL REFERENCES users(id),
	priority INTEGER NOT NULL,
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	at_event BIGINT REFERENCES events(id),
	min_event BIGINT REFERENCES events(id),
	opts TEXT NOT NULL,
	update_us BIGINT NOT NULL,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	task_id BIGINT,
	tries INTEGER NOT NULL DEFAULT 0,
	repo_id BIGINT REFERENCES repo(id),
	CHECK (at_event IS NULL OR min_event IS NULL),
	CHECK (NOT active OR repo_id IS NULL)
);
CREATE INDEX repo_queue_active ON repo_queue (active, priority, id);
CREATE INDEX repo_queue_tag ON repo_queue (tag_id, active);

-- The outbox of tag changes: every write that changes what a tag's repo
-- would hold adds a row here in the same transaction, so a crash between
-- the change and the regeneration delays it but never loses it. The repo
-- manager turns rows into requests for the tag and its descendants.
CREATE TABLE tag_changes (
	id @ID@,
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	event_id BIGINT NOT NULL REFERENCES events(id),
	created_us BIGINT NOT NULL
);
CREATE INDEX tag_changes_by_id ON tag_changes (id);

-- Named leases: several hubs on one database let one of them do a kind of
-- background work (repo regeneration) at a time.
CREATE TABLE leases (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_us BIGINT NOT NULL
);
