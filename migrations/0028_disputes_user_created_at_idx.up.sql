-- Disputes pages: newest first by (created_at, id), as the history (0012). A dispute's
-- created_at is read when its request starts and its id made after the request waited on
-- the payment's row lock, so id order can disagree with the timestamps the client sees;
-- the keyset follows the timestamps. Replaces disputes_user_id_id_idx (dropped by the
-- next migration, once this one is valid).
--
-- CONCURRENTLY: a plain CREATE INDEX would block every dispute's insert for the whole
-- build. It cannot run in a transaction block, so this must stay the file's ONLY
-- statement (see 0012). If the build fails it leaves an INVALID index and a dirty
-- version: run the down file's statement by hand, `make migrate-force V=27`, then
-- `make migrate-up`.
CREATE INDEX CONCURRENTLY disputes_user_id_created_at_id_idx
    ON disputes (user_id, created_at DESC, id DESC);
