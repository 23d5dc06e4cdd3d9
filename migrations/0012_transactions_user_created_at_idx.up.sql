-- History pages: newest first by (created_at, id), the order the shown timestamps agree
-- with. Ids are made by each process and created_at is read at another moment of the
-- request, so under concurrent writes id order and created_at order can differ; the
-- keyset follows what the client sees. Replaces transactions_user_id_id_idx (dropped by
-- the next migration, once this one is valid).
--
-- CONCURRENTLY: transactions is the biggest table and takes every payment's insert; a
-- plain CREATE INDEX would block them for the whole build. It cannot run inside a
-- transaction block, and golang-migrate sends a file as one multi-statement exec (an
-- implicit transaction when there are several), so this must stay the file's ONLY
-- statement. If the build fails it leaves an INVALID index and a dirty version: run the
-- down file's statement by hand, `make migrate-force V=10`, then `make migrate-up`.
CREATE INDEX CONCURRENTLY transactions_user_id_created_at_id_idx
    ON transactions (user_id, created_at DESC, id DESC);
