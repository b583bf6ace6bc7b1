-- Which builds are in which tags (Koji's tag_listing), versioned like the
-- other tag content tables: tagging inserts an active row, untagging revokes
-- it, so "what did tag T hold at event E" is a query.
CREATE TABLE tag_listing (
	build_id BIGINT NOT NULL REFERENCES build(id),
	tag_id BIGINT NOT NULL REFERENCES tag(id),
	create_event BIGINT NOT NULL REFERENCES events(id),
	revoke_event BIGINT REFERENCES events(id),
	creator_id BIGINT NOT NULL REFERENCES users(id),
	revoker_id BIGINT REFERENCES users(id),
	active BOOLEAN,
	CHECK (active IS NULL OR active = TRUE),
	CHECK ((active IS NULL) = (revoke_event IS NOT NULL))
);
-- One active row per (tag, build); tag first, so a tag's current builds are
-- one index range.
CREATE UNIQUE INDEX tag_listing_active ON tag_listing (tag_id, build_id, active);
-- A tag's builds as of a past event, and the tag change events
-- (tagLastChangeEvent reads MAX(create_event) / MAX(revoke_event) per tag).
CREATE INDEX tag_listing_events ON tag_listing (tag_id, create_event, revoke_event);
CREATE INDEX tag_listing_revoked ON tag_listing (tag_id, revoke_event);
-- The tags of a build (listTags(build=…), buildReferences, untaggedBuilds).
CREATE INDEX tag_listing_build ON tag_listing (build_id, active);

-- The hub runs some task methods itself (tagBuild …): its runner looks for
-- FREE tasks by method, in the scheduler's order.
CREATE INDEX task_free_method ON task (method, priority, create_us, id) WHERE state = 0;
