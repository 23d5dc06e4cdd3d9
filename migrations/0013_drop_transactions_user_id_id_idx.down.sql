-- Rebuilds the index 0003 made, without blocking the ledger's inserts. The only
-- statement of the file (CONCURRENTLY cannot run in a transaction block; see 0012). If
-- the build fails: DROP INDEX CONCURRENTLY IF EXISTS transactions_user_id_id_idx;
-- `make migrate-force V=12`, then `make migrate-down` again.
CREATE INDEX CONCURRENTLY transactions_user_id_id_idx ON transactions (user_id, id DESC);
