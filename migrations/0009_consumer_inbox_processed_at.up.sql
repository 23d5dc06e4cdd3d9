-- Serves the metrics consumer's purge of old inbox records (oldest first, per consumer).
--
-- CONCURRENTLY: by now consumer_inbox holds every event ever consumed, and a plain CREATE
-- INDEX would block the consumers' inserts for the whole build. It cannot run inside a
-- transaction block, and golang-migrate sends a file as one multi-statement exec (an
-- implicit transaction when there are several), so this must stay the file's ONLY
-- statement. If the build fails it leaves an INVALID index and a dirty version: run the
-- down file's statement by hand, `make migrate-force V=8`, then `make migrate-up`.
CREATE INDEX CONCURRENTLY consumer_inbox_consumer_processed_at_idx
    ON consumer_inbox (consumer, processed_at);
