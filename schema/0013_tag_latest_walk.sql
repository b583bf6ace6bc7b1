-- Every walk reads one tag's rows of tag_latest in package order, with their
-- build and event. An index carrying all four columns answers that without
-- visiting the table: an index-only scan on PostgreSQL (on pages vacuum has
-- marked visible), a covering index on SQLite. Its lower cost also lets
-- PostgreSQL's planner choose a parallel plan for the latest builds.
CREATE INDEX tag_latest_walk ON tag_latest (tag_id, pkg_id @INCLUDE@ build_id, create_event);
