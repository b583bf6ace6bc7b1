-- Each listing names its build's package (a build's package never changes),
-- so "the newest build of each package in a tag" is read from one covering
-- index, without a lookup in build for each of a tag's listings. Nullable only
-- because SQLite cannot add a NOT NULL column to a filled table; the hub
-- always sets it.
ALTER TABLE tag_listing ADD COLUMN pkg_id BIGINT REFERENCES package(id);
UPDATE tag_listing SET pkg_id = (SELECT b.pkg_id FROM build b WHERE b.id = tag_listing.build_id);
-- A tag's current listings, grouped by package, newest last.
CREATE INDEX tag_listing_latest ON tag_listing (tag_id, active, pkg_id, create_event, build_id);
-- The same as of a past event: the event index, extended to cover the query.
DROP INDEX tag_listing_events;
CREATE INDEX tag_listing_events ON tag_listing (tag_id, create_event, revoke_event, pkg_id, build_id);
