-- Provider refunds: the provider gives back (part of) an APPROVED payment after the fact,
-- possibly several times, never more than the payment's amount in total.
--
-- A compensation REFUND (a payment that was not approved) stays what it was: once per
-- payment, linked by `refund_of` (unique). A provider refund is its own ledger type,
-- PROVIDER_REFUND, linked by `provider_refund_of` (not unique: partial refunds). The
-- payment row keeps the running total in `refunded_amount`, and a row constraint bounds
-- it by the payment's amount: the statement that credits a refund raises the total in
-- the same transaction, so no SQL can give back more than was paid.
--
-- The constraints are added NOT VALID: that takes the table's lock only for a moment
-- instead of for a scan of the whole ledger. No existing row can break them (the columns
-- are new: 0 and NULL everywhere; no PROVIDER_REFUND row exists yet) and every row written
-- from now on is checked.
ALTER TABLE transactions
    ADD COLUMN refunded_amount bigint NOT NULL DEFAULT 0,
    ADD COLUMN provider_refund_of uuid;

ALTER TABLE transactions ADD CONSTRAINT transactions_provider_refund_of_fkey
    FOREIGN KEY (provider_refund_of) REFERENCES transactions (id) NOT VALID;

-- Only an APPROVED payment has anything refunded, and never more than its amount.
ALTER TABLE transactions ADD CONSTRAINT transactions_refunded_within_amount CHECK (
    refunded_amount = 0
    OR (type = 'PAYMENT' AND status = 'APPROVED' AND refunded_amount BETWEEN 1 AND -amount)
) NOT VALID;

-- A provider refund names the payment it gives money back of; no other row does.
ALTER TABLE transactions ADD CONSTRAINT transactions_provider_refund_link CHECK (
    (type = 'PROVIDER_REFUND') = (provider_refund_of IS NOT NULL)
) NOT VALID;

ALTER TABLE transactions DROP CONSTRAINT transactions_type_valid;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_valid
    CHECK (type IN ('DEPOSIT', 'PAYMENT', 'REFUND', 'HOLD', 'HOLD_RELEASE', 'TRANSFER_OUT',
                    'TRANSFER_IN', 'PROVIDER_REFUND')) NOT VALID;

ALTER TABLE transactions DROP CONSTRAINT transactions_shape;
ALTER TABLE transactions ADD CONSTRAINT transactions_shape CHECK (
    (type = 'DEPOSIT' AND amount > 0 AND status IN ('PENDING', 'COMPLETED', 'REVERTED')
        AND provider_id IS NULL AND refund_of IS NULL AND hold_id IS NULL AND transfer_id IS NULL)
    OR (type = 'PAYMENT' AND amount < 0 AND status IN ('PENDING', 'APPROVED', 'DECLINED', 'FAILED')
        AND provider_id IS NOT NULL AND external_reference IS NOT NULL AND refund_of IS NULL
        AND hold_id IS NULL AND transfer_id IS NULL)
    OR (type = 'REFUND' AND amount > 0 AND status = 'COMPLETED' AND refund_of IS NOT NULL
        AND hold_id IS NULL AND transfer_id IS NULL)
    OR (type = 'HOLD' AND amount < 0 AND status = 'COMPLETED' AND hold_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL AND transfer_id IS NULL)
    OR (type = 'HOLD_RELEASE' AND amount > 0 AND status = 'COMPLETED' AND hold_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL AND transfer_id IS NULL)
    OR (type = 'TRANSFER_OUT' AND amount < 0 AND status = 'COMPLETED' AND provider_id IS NULL
        AND external_reference IS NULL AND refund_of IS NULL AND hold_id IS NULL
        AND transfer_id IS NOT NULL)
    OR (type = 'TRANSFER_IN' AND amount > 0 AND status = 'COMPLETED' AND provider_id IS NULL
        AND external_reference IS NULL AND refund_of IS NULL AND hold_id IS NULL
        AND transfer_id IS NOT NULL)
    OR (type = 'PROVIDER_REFUND' AND amount > 0 AND status = 'COMPLETED'
        AND provider_id IS NOT NULL AND external_reference IS NOT NULL AND refund_of IS NULL
        AND hold_id IS NULL AND transfer_id IS NULL)
) NOT VALID;

-- Ledger rows are immutable; the only changes allowed are a PENDING payment's status and
-- a PENDING deposit's status, each once, and an APPROVED payment's refunded total, which
-- only grows (its bound is transactions_refunded_within_amount).
CREATE OR REPLACE FUNCTION transactions_guard_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger rows are immutable' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT ((OLD.status = 'PENDING'
             AND NEW.refunded_amount = OLD.refunded_amount
             AND ((OLD.type = 'PAYMENT' AND NEW.status IN ('APPROVED', 'DECLINED', 'FAILED'))
                  OR (OLD.type = 'DEPOSIT' AND NEW.status IN ('COMPLETED', 'REVERTED'))))
            OR (OLD.type = 'PAYMENT' AND OLD.status = 'APPROVED' AND NEW.status = 'APPROVED'
                AND NEW.refunded_amount > OLD.refunded_amount))
       OR (NEW.id, NEW.user_id, NEW.type, NEW.amount, NEW.currency, NEW.provider_id,
           NEW.external_reference, NEW.reference, NEW.refund_of, NEW.hold_id, NEW.transfer_id,
           NEW.provider_refund_of, NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.user_id, OLD.type, OLD.amount, OLD.currency, OLD.provider_id,
           OLD.external_reference, OLD.reference, OLD.refund_of, OLD.hold_id, OLD.transfer_id,
           OLD.provider_refund_of, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger rows are immutable except a PENDING payment''s or deposit''s status and an APPROVED payment''s refunded total'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
