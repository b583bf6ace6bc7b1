-- XML-RPC integers reach 64 bits (i8), and SQLite keeps any of them. On
-- PostgreSQL these INTEGER columns held 32, so a priority, epoch or state
-- filter beyond that failed inside the hub instead of being stored or
-- matched as on SQLite. Now both backends take the same values.
ALTER TABLE users ALTER COLUMN status TYPE BIGINT, ALTER COLUMN usertype TYPE BIGINT;
ALTER TABLE sessions ALTER COLUMN authtype TYPE BIGINT;
ALTER TABLE tag_inheritance ALTER COLUMN priority TYPE BIGINT, ALTER COLUMN maxdepth TYPE BIGINT;
ALTER TABLE tag_external_repos ALTER COLUMN priority TYPE BIGINT;
ALTER TABLE tag_updates ALTER COLUMN update_type TYPE BIGINT;
ALTER TABLE task ALTER COLUMN state TYPE BIGINT, ALTER COLUMN priority TYPE BIGINT, ALTER COLUMN host_losses TYPE BIGINT;
ALTER TABLE build ALTER COLUMN epoch TYPE BIGINT, ALTER COLUMN state TYPE BIGINT;
ALTER TABLE rpminfo ALTER COLUMN epoch TYPE BIGINT;
ALTER TABLE repo ALTER COLUMN state TYPE BIGINT;
ALTER TABLE repo_queue ALTER COLUMN priority TYPE BIGINT, ALTER COLUMN tries TYPE BIGINT;
ALTER TABLE buildroot ALTER COLUMN br_type TYPE BIGINT;
ALTER TABLE standard_buildroot ALTER COLUMN state TYPE BIGINT;
