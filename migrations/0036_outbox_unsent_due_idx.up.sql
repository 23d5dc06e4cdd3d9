-- The relay's claim: unsent events in event id order, skipping those whose retry is not
-- due (0035). On outbox_unsent_idx (event_id) alone, that check needs each entry's heap
-- row, so every waiting row costs a heap fetch on every claim, an idle poll included
-- (60-110 ms a claim with 50,000 waiting among 1M unsent). With the due time in the entry
-- the claim checks it in the index and fetches only the rows it takes (1-2 ms). Replaces
-- outbox_unsent_idx (dropped by the next migration, once this one is valid): its queries
-- (backlog count, oldest unsent, ops) read this one the same way, event_id leading.
--
-- NULL (never failed: due now) is kept as '-infinity', so the claim's condition is one
-- comparison of the indexed expression, which it must spell exactly like this.
--
-- CONCURRENTLY: a plain CREATE INDEX would block every payment's outbox insert for the
-- whole build. It cannot run in a transaction block, so this must stay the file's ONLY
-- statement (see 0012). If the build fails it leaves an INVALID index and a dirty
-- version: run the down file's statement by hand, `make migrate-force V=35`, then
-- `make migrate-up`.
CREATE INDEX CONCURRENTLY outbox_unsent_due_idx
    ON outbox (event_id, (coalesce(next_attempt_at, '-infinity')))
    WHERE sent_at IS NULL;
