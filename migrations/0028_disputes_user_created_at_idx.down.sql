-- The only statement of the file (CONCURRENTLY cannot run in a transaction block; see up).
DROP INDEX CONCURRENTLY IF EXISTS disputes_user_id_created_at_id_idx;
