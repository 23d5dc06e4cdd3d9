-- The only statement of the file (CONCURRENTLY cannot run in a transaction block; see up).
DROP INDEX CONCURRENTLY IF EXISTS consumer_inbox_consumer_processed_at_idx;
