-- History pages no longer read the (user_id, id DESC) index (see 0012); dropping it spares
-- every ledger insert the upkeep of an index nothing reads.
--
-- CONCURRENTLY, so that pages and payments in flight are not blocked while it goes; it
-- must stay the file's ONLY statement (see 0012).
DROP INDEX CONCURRENTLY IF EXISTS transactions_user_id_id_idx;
