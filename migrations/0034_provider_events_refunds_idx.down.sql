-- The only statement of the file (CONCURRENTLY cannot run in a transaction block; see up).
DROP INDEX CONCURRENTLY IF EXISTS provider_events_refunds_idx;
