-- Refuses to run while REDEBIT rows exist: the checks it restores (NOT VALID, so they
-- would not look at them) forbid them, dropping them would break balance == sum(ledger),
-- and dropping reconciliation_corrections would lose the record of which payment each
-- corrected (migrating up again would then re-debit it a second time).
-- The tables locked first, so no re-debit commits between the check and the drops.
LOCK TABLE transactions, reconciliation_corrections IN SHARE MODE;
DO $$
BEGIN
    IF EXISTS (SELECT FROM transactions WHERE type = 'REDEBIT') THEN
        RAISE EXCEPTION 'REDEBIT rows exist: the ledger cannot lose them, nor their corrections'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END;
$$;
DROP TRIGGER reconciliation_corrections_immutable ON reconciliation_corrections;
DROP FUNCTION reconciliation_corrections_guard_immutable();
DROP TABLE reconciliation_corrections;

-- Back to the checks 0021 left (NOT VALID, as it added them).
ALTER TABLE transactions DROP CONSTRAINT transactions_type_valid;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_valid
    CHECK (type IN ('DEPOSIT', 'PAYMENT', 'REFUND', 'HOLD', 'HOLD_RELEASE', 'TRANSFER_OUT',
                    'TRANSFER_IN', 'PROVIDER_REFUND', 'CHARGEBACK')) NOT VALID;

ALTER TABLE transactions DROP CONSTRAINT transactions_shape;
ALTER TABLE transactions ADD CONSTRAINT transactions_shape CHECK (
    (type = 'DEPOSIT' AND amount > 0 AND status IN ('PENDING', 'COMPLETED', 'REVERTED')
        AND provider_id IS NULL AND refund_of IS NULL AND hold_id IS NULL AND transfer_id IS NULL
        AND dispute_id IS NULL)
    OR (type = 'PAYMENT' AND amount < 0 AND status IN ('PENDING', 'APPROVED', 'DECLINED', 'FAILED')
        AND provider_id IS NOT NULL AND external_reference IS NOT NULL AND refund_of IS NULL
        AND hold_id IS NULL AND transfer_id IS NULL AND dispute_id IS NULL)
    OR (type = 'REFUND' AND amount > 0 AND status = 'COMPLETED' AND refund_of IS NOT NULL
        AND hold_id IS NULL AND transfer_id IS NULL AND dispute_id IS NULL)
    OR (type = 'HOLD' AND amount < 0 AND status = 'COMPLETED' AND hold_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL AND transfer_id IS NULL
        AND dispute_id IS NULL)
    OR (type = 'HOLD_RELEASE' AND amount > 0 AND status = 'COMPLETED' AND hold_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL AND transfer_id IS NULL
        AND dispute_id IS NULL)
    OR (type = 'TRANSFER_OUT' AND amount < 0 AND status = 'COMPLETED' AND provider_id IS NULL
        AND external_reference IS NULL AND refund_of IS NULL AND hold_id IS NULL
        AND transfer_id IS NOT NULL AND dispute_id IS NULL)
    OR (type = 'TRANSFER_IN' AND amount > 0 AND status = 'COMPLETED' AND provider_id IS NULL
        AND external_reference IS NULL AND refund_of IS NULL AND hold_id IS NULL
        AND transfer_id IS NOT NULL AND dispute_id IS NULL)
    OR (type = 'PROVIDER_REFUND' AND amount > 0 AND status = 'COMPLETED'
        AND provider_id IS NOT NULL AND external_reference IS NOT NULL AND refund_of IS NULL
        AND hold_id IS NULL AND transfer_id IS NULL AND dispute_id IS NULL)
    OR (type = 'CHARGEBACK' AND amount > 0 AND status = 'COMPLETED' AND dispute_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL AND hold_id IS NULL AND transfer_id IS NULL)
) NOT VALID;
