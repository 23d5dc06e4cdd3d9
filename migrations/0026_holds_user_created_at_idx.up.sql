-- Holds pages: newest first by (created_at, id), as the history (0012) and for the same
-- reason: ids are made by each process and created_at is read at another moment of the
-- request, so the keyset follows the timestamps the client sees, not the ids. Replaces
-- holds_user_id_id_idx (dropped by the next migration, once this one is valid).
--
-- CONCURRENTLY: every hold opened inserts here; a plain CREATE INDEX would block them for
-- the whole build. It cannot run in a transaction block, so this must stay the file's
-- ONLY statement (see 0012). If the build fails it leaves an INVALID index and a dirty
-- version: run the down file's statement by hand, `make migrate-force V=25`, then
-- `make migrate-up`.
CREATE INDEX CONCURRENTLY holds_user_id_created_at_id_idx
    ON holds (user_id, created_at DESC, id DESC);
