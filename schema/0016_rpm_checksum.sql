-- Checksums of an rpm's file as signed with each of its keys (sigkey ''
-- is the file as imported): the signed copy when one was written, else
-- the rpm with that key's signature header spliced in. getRPMChecksums
-- computes a missing one on demand and keeps it here; writeSignedRPM
-- records those of the copy it writes. checksum_type numbers Koji's
-- CHECKSUM_TYPES: 0 md5, 1 sha1, 2 sha256.
CREATE TABLE rpm_checksum (
	rpm_id BIGINT NOT NULL REFERENCES rpminfo(id),
	sigkey TEXT NOT NULL,
	checksum_type INTEGER NOT NULL,
	checksum TEXT NOT NULL,
	PRIMARY KEY (rpm_id, sigkey, checksum_type)
);
