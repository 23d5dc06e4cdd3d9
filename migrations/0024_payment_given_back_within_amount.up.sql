-- A payment never gives back more than it took.
--
-- Two things give an APPROVED payment's money back to its wallet: the provider's refunds
-- (`refunded_amount`, 0019) and a won dispute's CHARGEBACK (0021). Each was bounded on
-- its own (refunds by the amount, chargebacks one per dispute), so a payment refunded in
-- full and then charged back, or charged back by two disputes one after the other, gave
-- its amount back twice. The payment row now keeps its charged-back total as well, raised
-- in the transaction that credits the chargeback, and one check bounds the two together.
--
-- A provider refund may also follow a reconciliation REDEBIT (0023): a payment that ended
-- FAILED or DECLINED here (and was refunded) but that the provider charged after all is
-- re-debited; when the provider then refunds that charge, the wallet gets it back as a
-- PROVIDER_REFUND of that payment. So `refunded_amount` may grow on such a payment too:
-- never past its amount (the check) nor past what was re-debited (the trigger reads the
-- correction).
--
-- The new check is added NOT VALID (the ledger's lock only for a moment, no scan): every
-- row already there passed the narrower one it replaces. The chargebacks credited before
-- this migration are then counted on their payments (at the end of this file).
ALTER TABLE transactions ADD COLUMN charged_back_amount bigint NOT NULL DEFAULT 0;

ALTER TABLE transactions DROP CONSTRAINT transactions_refunded_within_amount;
ALTER TABLE transactions ADD CONSTRAINT transactions_given_back_within_amount CHECK (
    (refunded_amount = 0 AND charged_back_amount = 0)
    OR (type = 'PAYMENT' AND refunded_amount >= 0 AND charged_back_amount >= 0
        AND refunded_amount + charged_back_amount <= -amount
        AND (status = 'APPROVED' OR (status IN ('DECLINED', 'FAILED') AND charged_back_amount = 0)))
) NOT VALID;

-- Ledger rows are immutable; the only changes allowed are a PENDING payment's or deposit's
-- status, each once, and what a payment gave back, which only grows: an APPROVED payment's
-- refunded and charged-back totals, a re-debited FAILED or DECLINED payment's refunded
-- total up to the re-debit (the bound on both is transactions_given_back_within_amount).
CREATE OR REPLACE FUNCTION transactions_guard_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger rows are immutable' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT ((OLD.status = 'PENDING'
             AND NEW.refunded_amount = OLD.refunded_amount
             AND NEW.charged_back_amount = OLD.charged_back_amount
             AND ((OLD.type = 'PAYMENT' AND NEW.status IN ('APPROVED', 'DECLINED', 'FAILED'))
                  OR (OLD.type = 'DEPOSIT' AND NEW.status IN ('COMPLETED', 'REVERTED'))))
            OR (OLD.type = 'PAYMENT' AND OLD.status = 'APPROVED' AND NEW.status = 'APPROVED'
                AND NEW.refunded_amount >= OLD.refunded_amount
                AND NEW.charged_back_amount >= OLD.charged_back_amount
                AND NEW.refunded_amount + NEW.charged_back_amount
                    > OLD.refunded_amount + OLD.charged_back_amount)
            OR (OLD.type = 'PAYMENT' AND OLD.status IN ('DECLINED', 'FAILED')
                AND NEW.status = OLD.status
                AND NEW.charged_back_amount = OLD.charged_back_amount
                AND NEW.refunded_amount > OLD.refunded_amount
                -- 0 without a re-debit: NULL here would let the change through.
                AND NEW.refunded_amount <= COALESCE((
                    SELECT c.amount FROM reconciliation_corrections AS c
                    WHERE c.payment_id = OLD.id AND c.kind = 'REDEBIT'), 0)))
       OR (NEW.id, NEW.user_id, NEW.type, NEW.amount, NEW.currency, NEW.provider_id,
           NEW.external_reference, NEW.reference, NEW.refund_of, NEW.hold_id, NEW.transfer_id,
           NEW.provider_refund_of, NEW.dispute_id, NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.user_id, OLD.type, OLD.amount, OLD.currency, OLD.provider_id,
           OLD.external_reference, OLD.reference, OLD.refund_of, OLD.hold_id, OLD.transfer_id,
           OLD.provider_refund_of, OLD.dispute_id, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger rows are immutable except a PENDING payment''s or deposit''s status and what a payment gave back'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- Chargebacks credited before this migration count on their payments, or a payment charged
-- back then could be refunded or disputed again in full. One dispute's CHARGEBACK through
-- the (small) disputes table and transactions_chargeback_once, per payment. A payment
-- that had already given back more than its amount (refunded, then charged back, before
-- the bound) is counted up to its amount, so the bound holds from now on; its ledger rows
-- still show everything it credited.
UPDATE transactions AS p
SET charged_back_amount = LEAST(c.total, -p.amount - p.refunded_amount)
FROM (SELECT d.payment_id, sum(t.amount) AS total
      FROM disputes AS d JOIN transactions AS t ON t.dispute_id = d.id
      WHERE t.type = 'CHARGEBACK'
      GROUP BY d.payment_id) AS c
WHERE p.id = c.payment_id AND p.type = 'PAYMENT' AND p.status = 'APPROVED'
  AND LEAST(c.total, -p.amount - p.refunded_amount) > 0;
