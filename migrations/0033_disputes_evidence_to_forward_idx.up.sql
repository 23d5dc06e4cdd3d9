-- The disputes whose evidence the provider may lack (0031), in the order the recovery
-- worker takes them: a handful at any time, so each round reads a few index entries
-- instead of every dispute.
--
-- CONCURRENTLY: a plain CREATE INDEX would block every dispute's insert and update for
-- the whole build. It cannot run in a transaction block, so this must stay the file's
-- ONLY statement (see 0012). If the build fails it leaves an INVALID index and a dirty
-- version: run the down file's statement by hand, `make migrate-force V=32`, then
-- `make migrate-up`.
CREATE INDEX CONCURRENTLY disputes_evidence_to_forward_idx
    ON disputes (evidence_due_at NULLS FIRST, created_at)
    WHERE status IN ('OPEN', 'UNDER_REVIEW') AND filing_key IS NULL
      AND evidence_forwarded < jsonb_array_length(evidence);
