-- Disputes pages no longer read the (user_id, id DESC) index (see 0028); dropping it
-- spares every dispute's insert the upkeep of an index nothing reads.
--
-- CONCURRENTLY, so that pages and disputes in flight are not blocked while it goes; it
-- must stay the file's ONLY statement (see 0012).
DROP INDEX CONCURRENTLY IF EXISTS disputes_user_id_id_idx;
