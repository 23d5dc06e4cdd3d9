-- Nothing reads outbox_unsent_idx any more: outbox_unsent_due_idx (0036) serves the claim
-- and every query of unsent rows. Dropping it spares every outbox insert and every
-- sent mark the upkeep of an index nothing reads.
--
-- CONCURRENTLY, so that payments and relay batches in flight are not blocked while it
-- goes; it must stay the file's ONLY statement (see 0012).
DROP INDEX CONCURRENTLY IF EXISTS outbox_unsent_idx;
