-- A build's changes reach its copies in tag_latest (see 0017): the columns that
-- can change; a build's package and creation never do. The
-- semicolon inside the body stays off a line end: the migration runner
-- splits there.
CREATE TRIGGER tag_latest_follows_build AFTER UPDATE OF version, release, epoch, draft, state, task_id, owner,
    start_us, completion_us, promotion_us, promoter, volume_id ON build BEGIN
    UPDATE tag_latest SET version = NEW.version, release = NEW.release, epoch = NEW.epoch, draft = NEW.draft,
        state = NEW.state, task_id = NEW.task_id, owner = NEW.owner,
        start_us = NEW.start_us, completion_us = NEW.completion_us, promotion_us = NEW.promotion_us,
        promoter = NEW.promoter, volume_id = NEW.volume_id
    WHERE build_id = NEW.id; END;
