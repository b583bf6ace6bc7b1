-- Buildroots: where a build host builds (Koji's buildroot, standard_buildroot
-- and buildroot_listing, with Koji's column names). br_type 0 is STANDARD (a
-- host's buildroot, with a standard_buildroot row), 1 EXTERNAL (content
-- generators; none are created here yet). standard_buildroot.state is
-- BR_STATES: 0 INIT, 1 WAITING, 2 BUILDING, 3 EXPIRED.
CREATE TABLE buildroot (
	id @ID@,
	br_type INTEGER NOT NULL,
	cg_id BIGINT,
	cg_version TEXT,
	container_type TEXT,
	container_arch TEXT,
	host_os TEXT,
	host_arch TEXT,
	extra TEXT,
	CHECK ((cg_id IS NULL AND cg_version IS NULL) OR (cg_id IS NOT NULL AND cg_version IS NOT NULL)),
	CHECK ((container_type IS NULL AND container_arch IS NULL) OR (container_type IS NOT NULL AND container_arch IS NOT NULL))
);

CREATE TABLE standard_buildroot (
	buildroot_id BIGINT NOT NULL PRIMARY KEY REFERENCES buildroot(id),
	host_id BIGINT NOT NULL REFERENCES host(id),
	repo_id BIGINT NOT NULL REFERENCES repo(id),
	task_id BIGINT NOT NULL REFERENCES task(id),
	create_event BIGINT NOT NULL REFERENCES events(id),
	retire_event BIGINT REFERENCES events(id),
	state INTEGER
);
CREATE INDEX standard_buildroot_host ON standard_buildroot (host_id, state);
CREATE INDEX standard_buildroot_task ON standard_buildroot (task_id);
CREATE INDEX standard_buildroot_repo ON standard_buildroot (repo_id);

-- The rpms installed in a buildroot: is_update marks those added after the
-- initial list (updateBuildRootList).
CREATE TABLE buildroot_listing (
	buildroot_id BIGINT NOT NULL REFERENCES buildroot(id),
	rpm_id BIGINT NOT NULL REFERENCES rpminfo(id),
	is_update BOOLEAN NOT NULL DEFAULT FALSE,
	UNIQUE (buildroot_id, rpm_id)
);
CREATE INDEX buildroot_listing_rpms ON buildroot_listing (rpm_id);

-- rpms built in a buildroot point to it.
CREATE INDEX rpminfo_buildroot ON rpminfo (buildroot_id);
