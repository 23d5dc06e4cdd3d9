-- Holds pages no longer read the (user_id, id DESC) index (see 0026); dropping it spares
-- every hold's insert the upkeep of an index nothing reads.
--
-- CONCURRENTLY, so that pages and holds in flight are not blocked while it goes; it must
-- stay the file's ONLY statement (see 0012).
DROP INDEX CONCURRENTLY IF EXISTS holds_user_id_id_idx;
