-- At most one leg of each kind per transfer, and the way from a transfer to its legs.
--
-- CONCURRENTLY: `transactions` is the ledger, the biggest table; a plain CREATE INDEX would
-- block every payment and deposit for the whole build. It cannot run inside a transaction
-- block, so this must stay the file's ONLY statement (golang-migrate sends a file as one
-- exec). If the build fails it leaves an INVALID index and a dirty version: run the down
-- file's statement by hand, `make migrate-force V=15`, then `make migrate-up`.
CREATE UNIQUE INDEX CONCURRENTLY transactions_transfer_leg_idx
    ON transactions (transfer_id, type) WHERE transfer_id IS NOT NULL;
