-- The newest current listing of each package in each tag: "latest" before
-- inheritance. The hub keeps it in the transaction of every tag_listing
-- write (store.TagListing), so the latest builds of a tag are read from
-- one row per package instead of grouping all of the tag's listings.
-- Questions about past events still read tag_listing.
CREATE TABLE tag_latest (
    tag_id BIGINT NOT NULL REFERENCES tag(id),
    pkg_id BIGINT NOT NULL REFERENCES package(id),
    build_id BIGINT NOT NULL REFERENCES build(id),
    create_event BIGINT NOT NULL REFERENCES events(id),
    PRIMARY KEY (tag_id, pkg_id)
);
-- Newest means the latest event, then the highest build id.
INSERT INTO tag_latest (tag_id, pkg_id, build_id, create_event)
SELECT tl.tag_id, tl.pkg_id, tl.build_id, tl.create_event FROM tag_listing tl
WHERE tl.active = TRUE AND NOT EXISTS (
    SELECT 1 FROM tag_listing n WHERE n.tag_id = tl.tag_id AND n.pkg_id = tl.pkg_id AND n.active = TRUE
    AND (n.create_event > tl.create_event OR (n.create_event = tl.create_event AND n.build_id > tl.build_id)));
