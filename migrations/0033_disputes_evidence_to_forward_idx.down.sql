-- The only statement of the file (CONCURRENTLY cannot run in a transaction block; see up).
DROP INDEX CONCURRENTLY IF EXISTS disputes_evidence_to_forward_idx;
