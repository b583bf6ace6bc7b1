-- Counts the committed transactions that may have changed what cached
-- answers read (builds, tags, packages, users). Every such write
-- transaction on PostgreSQL adds one to a row just before it commits, so
-- all hubs on the database see a new sum exactly when the data changed:
-- their result caches then miss, while heartbeats, task polls and the repo
-- manager's bookkeeping leave them valid. The count is spread over 16 rows
-- (a writer picks one by its connection), so that concurrent writers
-- rarely wait for each other's row. SQLite's one hub counts in memory and
-- does not use this table.
CREATE TABLE answers_version (
    shard INTEGER PRIMARY KEY,
    n BIGINT NOT NULL
);
INSERT INTO answers_version (shard, n) VALUES (0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0),
    (8, 0), (9, 0), (10, 0), (11, 0), (12, 0), (13, 0), (14, 0), (15, 0);
