-- A build's changes reach its copies in tag_latest (see 0017): the columns that
-- can change; a build's package and creation never do. Semicolons
-- inside the body stay off line ends: the migration runner splits there.
CREATE FUNCTION tag_latest_follow_build() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tag_latest SET version = NEW.version, release = NEW.release, epoch = NEW.epoch, draft = NEW.draft,
        state = NEW.state, task_id = NEW.task_id, owner = NEW.owner,
        start_us = NEW.start_us, completion_us = NEW.completion_us, promotion_us = NEW.promotion_us,
        promoter = NEW.promoter, volume_id = NEW.volume_id
    WHERE build_id = NEW.id; RETURN NULL; END $$;
CREATE TRIGGER tag_latest_follows_build AFTER UPDATE OF version, release, epoch, draft, state, task_id, owner,
    start_us, completion_us, promotion_us, promoter, volume_id ON build
    FOR EACH ROW EXECUTE FUNCTION tag_latest_follow_build();
