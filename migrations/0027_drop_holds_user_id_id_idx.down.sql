-- Rebuilds the index 0014 made, without blocking holds' inserts. The only statement of
-- the file (CONCURRENTLY cannot run in a transaction block; see 0012). If the build
-- fails: DROP INDEX CONCURRENTLY IF EXISTS holds_user_id_id_idx; `make migrate-force V=26`,
-- then `make migrate-down` again.
CREATE INDEX CONCURRENTLY holds_user_id_id_idx ON holds (user_id, id DESC);
