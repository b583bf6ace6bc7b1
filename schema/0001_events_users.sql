-- Events: every versioned change happens at one. time_us is microseconds
-- since the epoch, so both backends store the same exact value.
CREATE TABLE events (
	id @ID@,
	time_us BIGINT NOT NULL
);

CREATE TABLE users (
	id @ID@,
	name TEXT NOT NULL UNIQUE,
	password TEXT,            -- a bcrypt hash, never plaintext
	status INTEGER NOT NULL DEFAULT 0,
	usertype INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_krb_principals (
	user_id BIGINT NOT NULL REFERENCES users(id),
	krb_principal TEXT NOT NULL UNIQUE,
	PRIMARY KEY (user_id, krb_principal)
);

CREATE TABLE permissions (
	id @ID@,
	name TEXT NOT NULL UNIQUE,
	description TEXT
);

-- Versioned tables carry create_event/revoke_event, creator/revoker and
-- active (TRUE or NULL, so the unique index allows many revoked rows).
CREATE TABLE user_perms (
	user_id BIGINT NOT NULL REFERENCES users(id),
	perm_id BIGINT NOT NULL REFERENCES permissions(id),
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX user_perms_active ON user_perms (user_id, perm_id, active);
CREATE INDEX user_perms_events ON user_perms (user_id, create_event, revoke_event);

CREATE TABLE user_groups (
	user_id BIGINT NOT NULL REFERENCES users(id),
	group_id BIGINT NOT NULL REFERENCES users(id),
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
CREATE UNIQUE INDEX user_groups_active ON user_groups (user_id, group_id, active);
CREATE INDEX user_groups_group ON user_groups (group_id, create_event, revoke_event);

CREATE TABLE sessions (
	id @ID@,
	user_id BIGINT NOT NULL REFERENCES users(id),
	session_key TEXT NOT NULL,
	master BIGINT REFERENCES sessions(id),
	authtype INTEGER NOT NULL,
	hostip TEXT NOT NULL,
	callnum BIGINT,
	exclusive BOOLEAN,        -- TRUE or NULL, as Koji reports it
	expired BOOLEAN NOT NULL DEFAULT FALSE,
	closed BOOLEAN NOT NULL DEFAULT FALSE,
	start_us BIGINT NOT NULL,
	update_us BIGINT NOT NULL,
	renew_us BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id, closed);
CREATE INDEX sessions_master ON sessions (master);

-- Koji's built-in permissions, in Koji's order so ids match a fresh Koji hub.
INSERT INTO permissions (name, description) VALUES ('admin', 'Everything: admin implies every other permission.');
INSERT INTO permissions (name, description) VALUES ('appliance', 'Appliance image builds (deprecated in Koji).');
INSERT INTO permissions (name, description) VALUES ('dist-repo', 'Make distribution repos.');
INSERT INTO permissions (name, description) VALUES ('host', 'Manage build hosts and channels.');
INSERT INTO permissions (name, description) VALUES ('image', 'Run image build tasks.');
INSERT INTO permissions (name, description) VALUES ('image-import', 'Import image archives.');
INSERT INTO permissions (name, description) VALUES ('livecd', 'Run livecd tasks.');
INSERT INTO permissions (name, description) VALUES ('maven-import', 'Import maven archives.');
INSERT INTO permissions (name, description) VALUES ('repo', 'Manage repositories (new, expire, delete, problem).');
INSERT INTO permissions (name, description) VALUES ('sign', 'Import RPM signatures and write signed copies.');
INSERT INTO permissions (name, description) VALUES ('tag', 'Manage tag package lists and clone tags.');
INSERT INTO permissions (name, description) VALUES ('target', 'Manage build targets.');
INSERT INTO permissions (name, description) VALUES ('win-admin', 'Start Windows builds under the default vm policy.');
INSERT INTO permissions (name, description) VALUES ('win-import', 'Import Windows archives.');
INSERT INTO permissions (name, description) VALUES ('draft-promoter', 'Promote draft builds under the default policy.');
