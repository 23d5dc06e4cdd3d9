-- The provider refunds stored for a payment, applied or refused: a reconciliation
-- re-debit reads them under the payment's lock (a refund refused before it means the
-- provider refunded that charge, so taking the wallet's refund back would take the
-- money twice). A few rows per payment at most, found without reading every event.
--
-- CONCURRENTLY: a plain CREATE INDEX would block every webhook's insert for the whole
-- build. It cannot run in a transaction block, so this must stay the file's ONLY
-- statement (see 0012). If the build fails it leaves an INVALID index and a dirty
-- version: run the down file's statement by hand, `make migrate-force V=33`, then
-- `make migrate-up`.
CREATE INDEX CONCURRENTLY provider_events_refunds_idx
    ON provider_events (subject_id)
    WHERE type = 'payment.refunded';
