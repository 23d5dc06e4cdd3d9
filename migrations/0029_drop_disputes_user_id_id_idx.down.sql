-- Rebuilds the index 0021 made, without blocking disputes' inserts. The only statement of
-- the file (CONCURRENTLY cannot run in a transaction block; see 0012). If the build
-- fails: DROP INDEX CONCURRENTLY IF EXISTS disputes_user_id_id_idx;
-- `make migrate-force V=28`, then `make migrate-down` again.
CREATE INDEX CONCURRENTLY disputes_user_id_id_idx ON disputes (user_id, id DESC);
