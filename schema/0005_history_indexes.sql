-- Indexes for queryHistory's filters that no earlier index serves: the tag
-- filter of build_target_config compares dest_tag, the user filter of
-- tag_package_owners compares owner, and the package filter of
-- group_package_listing compares the package name.
CREATE INDEX build_target_config_dest ON build_target_config (dest_tag, active);
CREATE INDEX build_target_config_build ON build_target_config (build_tag, active);
CREATE INDEX tag_package_owners_owner ON tag_package_owners (owner, active);
CREATE INDEX group_package_listing_pkg ON group_package_listing (package, active);
CREATE INDEX group_req_listing_req ON group_req_listing (req_id, active);
CREATE INDEX external_repo_data_repo ON external_repo_data (external_repo_id, create_event);

-- Content generators: Koji keeps who may import for each in the versioned
-- cg_users, and queryHistory answers its history (empty until content
-- generator imports exist) for every user filter.
CREATE TABLE content_generator (
	id @ID@,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE cg_users (
	cg_id BIGINT NOT NULL REFERENCES content_generator(id),
	user_id BIGINT NOT NULL REFERENCES users(id),
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX cg_users_active ON cg_users (cg_id, user_id, active);
CREATE INDEX cg_users_user ON cg_users (user_id, active);
