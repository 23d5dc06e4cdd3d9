-- The retry times go (no event does: the rows stay, unsent ones unsent): a relay of the
-- version before offers every unsent event again at its next batch.
ALTER TABLE outbox DROP COLUMN next_attempt_at;
