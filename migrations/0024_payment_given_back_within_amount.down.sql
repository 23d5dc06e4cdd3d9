-- Refuses while a re-debited FAILED or DECLINED payment has a provider refund counted on its
-- row, which the restored check forbids (it is restored NOT VALID, as 0019 added it, so it
-- would not see the row: hence the look first, a scan of the ledger). The charged-back
-- totals go with their column; the CHARGEBACK rows still say what each won dispute credited.
DO $$
BEGIN
    IF EXISTS (SELECT FROM transactions
               WHERE type = 'PAYMENT' AND status <> 'APPROVED' AND refunded_amount > 0) THEN
        RAISE EXCEPTION 'a FAILED or DECLINED payment has provider refunds counted on its row (after a re-debit): 0024 cannot be undone'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END;
$$;

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

ALTER TABLE transactions DROP CONSTRAINT transactions_given_back_within_amount;
ALTER TABLE transactions ADD CONSTRAINT transactions_refunded_within_amount CHECK (
    refunded_amount = 0
    OR (type = 'PAYMENT' AND status = 'APPROVED' AND refunded_amount BETWEEN 1 AND -amount)
) NOT VALID;

ALTER TABLE transactions DROP COLUMN charged_back_amount;
