-- Rebuilds the index 0005 made, without blocking the outbox's inserts. The only
-- statement of the file (CONCURRENTLY cannot run in a transaction block; see 0012). If
-- the build fails: DROP INDEX CONCURRENTLY IF EXISTS outbox_unsent_idx;
-- `make migrate-force V=37`, then `make migrate-down` again.
CREATE INDEX CONCURRENTLY outbox_unsent_idx ON outbox (event_id) WHERE sent_at IS NULL;
