-- The only statement of the file (CONCURRENTLY cannot run in a transaction block; see up).
DROP INDEX CONCURRENTLY IF EXISTS outbox_unsent_due_idx;
