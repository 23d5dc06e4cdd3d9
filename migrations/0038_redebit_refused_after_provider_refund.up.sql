-- No reconciliation re-debit of a payment whose provider refund is stored.
--
-- A payment ended FAILED or DECLINED here was refunded to its wallet; `wallet-reconcile
-- --fix` takes that refund back (a REDEBIT) when the provider charged it after all. If
-- the provider's `payment.refunded` for that payment is stored in provider_events
-- (refused then: the wallet had its money back already), the provider gave the charge
-- back and a re-debit would take the money twice. `CorrectRefundedCharge` checks this
-- under the payment's row lock; this trigger makes it a database fact, so a code path
-- that forgets the lock or the check still cannot re-debit. It guards the insert of the
-- REDEBIT correction: the REDEBIT ledger row does not name the payment it corrects, the
-- correction does, in the same transaction (0023), so refusing it rolls back the debit
-- and the ledger row with it. The adapter reads the constraint name below as the domain's
-- "refunded by the provider", which the use case turns into a flag.
--
-- The race with the webhook (ApplyProviderEvent locks the payment row FOR UPDATE, then
-- records the event and, if the refund fits, credits it, in one transaction):
-- - The trigger takes the same row lock first (a no-op when the use case holds it), and
--   only then looks for the refund, in a statement of its own: at READ COMMITTED (the
--   application's level; no code sets another) each statement of a function sees what
--   committed before it began, so a webhook the lock waited for is seen.
-- - Webhook first: it holds the lock; the re-debit's trigger waits for its commit, then
--   finds its refund (stored REFUSED: the payment was not re-debited) and refuses.
-- - Re-debit first: the webhook's lock waits for the re-debit's commit, then reads the
--   REDEBIT correction in a statement after its lock (ProviderPayments.lock) and credits
--   the refund against it. This trigger is on corrections only: the webhook's provider
--   event and PROVIDER_REFUND rows never meet it.
-- Without the lock, a re-debit not locking the payment would look, see no refund yet
-- (uncommitted), then block only in its foreign key's check on the payment row, while
-- the webhook, seeing no re-debit, stores its refund as refused: both commit, and the
-- money is taken twice. With it, at worst a path that took the wallet's balance row
-- before the payment's deadlocks with a webhook, and PostgreSQL aborts one of them.
-- Under REPEATABLE READ or SERIALIZABLE a statement sees the transaction's snapshot, not
-- the webhook it waited for: a re-debit must run at READ COMMITTED for this backstop.
--
-- A payment already re-debited passes through to the table's key (ON CONFLICT DO
-- NOTHING: "already re-debited"), so a second record of the same correction still
-- answers as before even after its provider refund was credited. FLAG corrections are
-- not guarded (a flag moves no money). provider_events_refunds_idx (0034) finds the
-- refunds of one payment.
CREATE FUNCTION reconciliation_corrections_guard_refunded_there() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM FROM transactions WHERE id = NEW.payment_id FOR UPDATE;
    IF EXISTS (SELECT FROM reconciliation_corrections
               WHERE payment_id = NEW.payment_id AND kind = 'REDEBIT') THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT FROM provider_events
               WHERE subject_id = NEW.payment_id AND type = 'payment.refunded') THEN
        RAISE EXCEPTION 'payment % was refunded by the provider: its refund here is never re-debited',
            NEW.payment_id
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'reconciliation_corrections_not_refunded_there';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER reconciliation_corrections_not_refunded_there
    BEFORE INSERT ON reconciliation_corrections
    FOR EACH ROW WHEN (NEW.kind = 'REDEBIT')
    EXECUTE FUNCTION reconciliation_corrections_guard_refunded_there();
