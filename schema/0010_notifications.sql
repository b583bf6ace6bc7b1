-- Build notifications (Koji's build_notifications and build_notifications_block,
-- with Koji's column names): a user's wish to hear of builds of a package
-- and/or into a tag (NULL matches any), and a user's exceptions to that. The
-- hub keeps these for the notification calls; it sends no mail itself.
CREATE TABLE build_notifications (
	id @ID@,
	user_id BIGINT NOT NULL REFERENCES users(id),
	package_id BIGINT REFERENCES package(id),
	tag_id BIGINT REFERENCES tag(id),
	success_only BOOLEAN NOT NULL DEFAULT FALSE,
	email TEXT NOT NULL
);
CREATE INDEX build_notifications_user ON build_notifications (user_id);

CREATE TABLE build_notifications_block (
	id @ID@,
	user_id BIGINT NOT NULL REFERENCES users(id),
	package_id BIGINT REFERENCES package(id),
	tag_id BIGINT REFERENCES tag(id)
);
CREATE INDEX build_notifications_block_user ON build_notifications_block (user_id);
