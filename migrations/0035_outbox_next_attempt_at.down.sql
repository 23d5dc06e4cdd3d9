-- The retry times go (no event does: the rows stay, unsent ones unsent): a relay of the
-- version before offers every unsent event again at its next batch. Same lock, and so
-- the same lock_timeout, as the up (see there); if it gives up, nothing changed and the
-- version is 34 dirty: `make migrate-force V=35`, then `make migrate-down` again.
SET LOCAL lock_timeout = '5s';
ALTER TABLE outbox DROP COLUMN next_attempt_at;
