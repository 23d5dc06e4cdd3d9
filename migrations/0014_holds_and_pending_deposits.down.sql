-- Refuses (by the restored constraints) while two-phase rows exist: removing them would
-- rewrite the ledger, which no migration may do.
CREATE OR REPLACE FUNCTION transactions_guard_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger rows are immutable' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.type <> 'PAYMENT' OR OLD.status <> 'PENDING'
       OR NEW.status NOT IN ('APPROVED', 'DECLINED', 'FAILED')
       OR (NEW.id, NEW.user_id, NEW.type, NEW.amount, NEW.currency, NEW.provider_id,
           NEW.external_reference, NEW.reference, NEW.refund_of, NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.user_id, OLD.type, OLD.amount, OLD.currency, OLD.provider_id,
           OLD.external_reference, OLD.reference, OLD.refund_of, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger rows are immutable except a PENDING payment''s status'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

ALTER TABLE transactions DROP CONSTRAINT transactions_shape;
ALTER TABLE transactions ADD CONSTRAINT transactions_shape CHECK (
    (type = 'DEPOSIT' AND amount > 0 AND status = 'COMPLETED'
        AND provider_id IS NULL AND refund_of IS NULL)
    OR (type = 'PAYMENT' AND amount < 0 AND status IN ('PENDING', 'APPROVED', 'DECLINED', 'FAILED')
        AND provider_id IS NOT NULL AND external_reference IS NOT NULL AND refund_of IS NULL)
    OR (type = 'REFUND' AND amount > 0 AND status = 'COMPLETED' AND refund_of IS NOT NULL)
);
ALTER TABLE transactions DROP CONSTRAINT transactions_type_valid;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_valid
    CHECK (type IN ('DEPOSIT', 'PAYMENT', 'REFUND'));

DROP INDEX transactions_hold_step_once;
ALTER TABLE transactions DROP COLUMN hold_id;

DROP TABLE holds;
DROP FUNCTION holds_guard_transition();

ALTER TABLE wallet_balances DROP CONSTRAINT wallet_balances_total_within_limit;
ALTER TABLE wallet_balances
    ADD CONSTRAINT wallet_balances_total_within_limit
        CHECK (pending_debit <= 9223372036854775807 - balance);
ALTER TABLE wallet_balances DROP COLUMN pending_credit;
