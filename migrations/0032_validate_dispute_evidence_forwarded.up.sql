-- The check 0031 added NOT VALID, now proven of the existing rows (every one holds 0, the
-- column's default). VALIDATE takes only a SHARE UPDATE EXCLUSIVE lock: disputes are read
-- and written meanwhile.
ALTER TABLE disputes VALIDATE CONSTRAINT disputes_evidence_forwarded_within_evidence;
