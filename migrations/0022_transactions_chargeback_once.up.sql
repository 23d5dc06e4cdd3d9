-- At most one CHARGEBACK per dispute: a won dispute credits the wallet once, whatever
-- repeats (the provider retrying its webhook, two deliveries at once).
--
-- CONCURRENTLY: `transactions` is the ledger, the biggest table; a plain CREATE INDEX would
-- block every payment and deposit for the whole build. It cannot run inside a transaction
-- block, so this must stay the file's ONLY statement (golang-migrate sends a file as one
-- exec). If the build fails it leaves an INVALID index and a dirty version: run the down
-- file's statement by hand, `make migrate-force V=21`, then `make migrate-up`.
CREATE UNIQUE INDEX CONCURRENTLY transactions_chargeback_once
    ON transactions (dispute_id) WHERE dispute_id IS NOT NULL;
