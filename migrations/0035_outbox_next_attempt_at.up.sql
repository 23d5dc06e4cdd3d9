-- When the relay may offer an event again after the broker did not confirm it (returned
-- as unroutable, nacked, unconfirmed in time): set with `attempts` on each failure, on the
-- database's clock (clock_timestamp() + the delay, doubling per attempt up to
-- WALLET_RELAY_RETRY_MAX_S). NULL (every event written by the API, and every existing
-- row): due now. The claim reads a waiting row past, so an event that keeps failing waits
-- on its own schedule and never holds back the others; 0036 indexes it for that.
--
-- A nullable column without a default is a change of the catalog only (no row is
-- rewritten), but it needs outbox's ACCESS EXCLUSIVE lock, and to get it waits for every
-- transaction using the table: a relay batch holds its rows' locks while it waits for the
-- broker's confirms (up to 10 s), and meanwhile every payment's outbox insert would queue
-- behind this statement. lock_timeout makes it give up after 5 s instead: the migration
-- fails with nothing changed but version 35 marked dirty; at a quieter moment run
-- `make migrate-force V=34`, then `make migrate-up`. SET LOCAL:
-- golang-migrate sends the file as one multi-statement exec, an implicit transaction, so
-- the setting holds for the ALTER and ends with it, never reaching the next file's
-- CONCURRENTLY build on the same connection.
SET LOCAL lock_timeout = '5s';
ALTER TABLE outbox ADD COLUMN next_attempt_at timestamptz;
