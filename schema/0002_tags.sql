-- Tags and everything hung on them. Table and column names are Koji's: they
-- are visible on the wire (queryHistory answers by table name).

CREATE TABLE package (
	id @ID@,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE tag (
	id @ID@,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE tag_config (
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	arches TEXT,
	perm_id BIGINT REFERENCES permissions(id),
	locked BOOLEAN NOT NULL DEFAULT FALSE,
	maven_support BOOLEAN NOT NULL DEFAULT FALSE,
	maven_include_all BOOLEAN NOT NULL DEFAULT FALSE,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX tag_config_active ON tag_config (tag_id, active);
CREATE INDEX tag_config_events ON tag_config (tag_id, create_event, revoke_event);

CREATE TABLE tag_extra (
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	key TEXT NOT NULL,
	value TEXT,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX tag_extra_active ON tag_extra (tag_id, key, active);
CREATE INDEX tag_extra_events ON tag_extra (tag_id, create_event, revoke_event);

CREATE TABLE tag_inheritance (
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	parent_id BIGINT NOT NULL REFERENCES tag(id),
	priority INTEGER NOT NULL,
	maxdepth INTEGER,
	intransitive BOOLEAN NOT NULL DEFAULT FALSE,
	noconfig BOOLEAN NOT NULL DEFAULT FALSE,
	pkg_filter TEXT,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX tag_inheritance_active ON tag_inheritance (tag_id, priority, active);
CREATE UNIQUE INDEX tag_inheritance_active1 ON tag_inheritance (tag_id, parent_id, active);
CREATE INDEX tag_inheritance_events ON tag_inheritance (tag_id, create_event, revoke_event);
CREATE INDEX tag_inheritance_parent ON tag_inheritance (parent_id, active);

CREATE TABLE tag_packages (
	package_id BIGINT NOT NULL REFERENCES package(id),
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	blocked BOOLEAN NOT NULL DEFAULT FALSE,
	extra_arches TEXT,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX tag_packages_active ON tag_packages (tag_id, package_id, active);
CREATE INDEX tag_packages_events ON tag_packages (tag_id, create_event, revoke_event);

CREATE TABLE tag_package_owners (
	package_id BIGINT NOT NULL REFERENCES package(id),
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	owner BIGINT NOT NULL REFERENCES users(id),
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX tag_package_owners_active ON tag_package_owners (tag_id, package_id, active);
CREATE INDEX tag_package_owners_events ON tag_package_owners (tag_id, create_event, revoke_event);

CREATE TABLE build_target (
	id @ID@,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE build_target_config (
	build_target_id BIGINT NOT NULL REFERENCES build_target(id),
	build_tag BIGINT NOT NULL REFERENCES tag(id),
	dest_tag BIGINT NOT NULL REFERENCES tag(id),
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX build_target_config_active ON build_target_config (build_target_id, active);
CREATE INDEX build_target_config_events ON build_target_config (build_target_id, create_event, revoke_event);

-- Comps groups.
CREATE TABLE groups (
	id @ID@,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE group_config (
	group_id BIGINT NOT NULL REFERENCES groups(id),
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	blocked BOOLEAN NOT NULL DEFAULT FALSE,
	exported BOOLEAN DEFAULT TRUE,
	display_name TEXT NOT NULL,
	is_default BOOLEAN,
	uservisible BOOLEAN,
	description TEXT,
	langonly TEXT,
	biarchonly BOOLEAN,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX group_config_active ON group_config (group_id, tag_id, active);
CREATE INDEX group_config_tag ON group_config (tag_id, active);

CREATE TABLE group_req_listing (
	group_id BIGINT NOT NULL REFERENCES groups(id),
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	req_id BIGINT NOT NULL REFERENCES groups(id),
	blocked BOOLEAN NOT NULL DEFAULT FALSE,
	type TEXT,
	is_metapkg BOOLEAN NOT NULL DEFAULT FALSE,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX group_req_listing_active ON group_req_listing (group_id, tag_id, req_id, active);
CREATE INDEX group_req_listing_tag ON group_req_listing (tag_id, active);

CREATE TABLE group_package_listing (
	group_id BIGINT NOT NULL REFERENCES groups(id),
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	package TEXT NOT NULL,
	blocked BOOLEAN NOT NULL DEFAULT FALSE,
	type TEXT NOT NULL,
	basearchonly BOOLEAN,
	requires TEXT,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX group_package_listing_active ON group_package_listing (group_id, tag_id, package, active);
CREATE INDEX group_package_listing_tag ON group_package_listing (tag_id, active);

-- External repos.
CREATE TABLE external_repo (
	id @ID@,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE external_repo_config (
	external_repo_id BIGINT NOT NULL REFERENCES external_repo(id),
	url TEXT NOT NULL,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX external_repo_config_active ON external_repo_config (external_repo_id, active);

CREATE TABLE external_repo_data (
	external_repo_id BIGINT NOT NULL REFERENCES external_repo(id),
	data TEXT,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX external_repo_data_active ON external_repo_data (external_repo_id, active);

CREATE TABLE tag_external_repos (
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	external_repo_id BIGINT NOT NULL REFERENCES external_repo(id),
	priority INTEGER NOT NULL,
	merge_mode TEXT NOT NULL DEFAULT 'koji',
	arches TEXT,
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX tag_external_repos_active ON tag_external_repos (tag_id, priority, active);
CREATE UNIQUE INDEX tag_external_repos_active1 ON tag_external_repos (tag_id, external_repo_id, active);
CREATE INDEX tag_external_repos_repo ON tag_external_repos (external_repo_id, active);

-- Changes to a tag's content that are not rows of the tables above (builds
-- tagged by later migrations record here too); repo regeneration watches it.
CREATE TABLE tag_updates (
	id @ID@,
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	update_event BIGINT NOT NULL REFERENCES events(id),
	updater_id BIGINT NOT NULL REFERENCES users(id),
	update_type INTEGER NOT NULL
);
CREATE INDEX tag_updates_by_tag ON tag_updates (tag_id, update_event);
