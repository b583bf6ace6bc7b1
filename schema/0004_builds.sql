-- Packages, builds, RPMs and their signatures. Times are microseconds since
-- the epoch, as in events.time_us. Task ids are plain numbers here: the task
-- tables belong to another migration, and builds outlive their tasks anyway.

-- The package table (a name per package) comes with the tags, in 0002.

-- Storage volumes. Only DEFAULT (id 0) exists for now; builds carry the id so
-- that more volumes need no change of the build table.
CREATE TABLE volume (
	id BIGINT PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);
INSERT INTO volume (id, name) VALUES (0, 'DEFAULT');

-- Koji's BUILD_STATES: 0 BUILDING, 1 COMPLETE, 2 DELETED, 3 FAILED, 4 CANCELED.
CREATE TABLE build (
	id @ID@,
	pkg_id BIGINT NOT NULL REFERENCES package(id),
	version TEXT NOT NULL,
	release TEXT NOT NULL,
	epoch INTEGER,
	draft BOOLEAN NOT NULL DEFAULT FALSE,
	state INTEGER NOT NULL,
	task_id BIGINT,
	owner BIGINT NOT NULL REFERENCES users(id),
	create_event BIGINT NOT NULL REFERENCES events(id),
	start_us BIGINT,
	completion_us BIGINT,
	promotion_us BIGINT,
	promoter BIGINT REFERENCES users(id),
	volume_id BIGINT NOT NULL DEFAULT 0 REFERENCES volume(id),
	source TEXT,
	extra TEXT,               -- JSON, as Koji stores it
	cg_id BIGINT,
	UNIQUE (pkg_id, version, release),
	CHECK (state IN (0, 1, 2, 3, 4))
);
CREATE INDEX build_owner ON build (owner);
CREATE INDEX build_task ON build (task_id);
CREATE INDEX build_state ON build (state);
CREATE INDEX build_completion ON build (completion_us);

-- external_repo_id 0 is INTERNAL: an rpm we hold in packages/.
CREATE TABLE rpminfo (
	id @ID@,
	build_id BIGINT REFERENCES build(id),
	buildroot_id BIGINT,
	name TEXT NOT NULL,
	version TEXT NOT NULL,
	release TEXT NOT NULL,
	epoch INTEGER,
	arch TEXT NOT NULL,
	draft BOOLEAN NOT NULL DEFAULT FALSE,
	external_repo_id BIGINT NOT NULL DEFAULT 0,
	payloadhash TEXT NOT NULL,  -- hex of the header's SIGMD5
	size BIGINT NOT NULL,
	buildtime BIGINT NOT NULL,
	metadata_only BOOLEAN NOT NULL DEFAULT FALSE,
	extra TEXT,
	UNIQUE (name, version, release, arch, external_repo_id)
);
CREATE INDEX rpminfo_build ON rpminfo (build_id);

-- One row per signature header seen; sigkey '' is the unsigned header.
CREATE TABLE rpmsigs (
	rpm_id BIGINT NOT NULL REFERENCES rpminfo(id),
	sigkey TEXT NOT NULL,
	sighash TEXT NOT NULL,
	PRIMARY KEY (rpm_id, sigkey)
);
