-- Drops the disputes and their event history (every partition with the parent), and puts
-- the ledger's checks back as migration 0019 left them (not validated: PostgreSQL cannot
-- un-validate one). Refuses while CHARGEBACK rows exist: removing them would rewrite the
-- ledger, which no migration may do. Refuses too while a dispute is not final (OPEN,
-- UNDER_REVIEW, SUBMITTED): it is a client's open claim on a payment, still being decided
-- by the provider, which a down must not silently lose; let it be decided or canceled first.
-- The table locked first, so no dispute opens between the check and the drop.
LOCK TABLE disputes IN SHARE MODE;
DO $$
BEGIN
    IF EXISTS (SELECT FROM transactions WHERE type = 'CHARGEBACK') THEN
        RAISE EXCEPTION 'CHARGEBACK rows exist: the ledger cannot lose them'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (SELECT FROM disputes WHERE status IN ('OPEN', 'UNDER_REVIEW', 'SUBMITTED')) THEN
        RAISE EXCEPTION 'disputes are not final (OPEN, UNDER_REVIEW or SUBMITTED): clients'' open disputes cannot be dropped; let them be decided or canceled first'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END;
$$;
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
ALTER TABLE transactions DROP CONSTRAINT transactions_type_valid;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_valid
    CHECK (type IN ('DEPOSIT', 'PAYMENT', 'REFUND', 'HOLD', 'HOLD_RELEASE', 'TRANSFER_OUT',
                    'TRANSFER_IN', 'PROVIDER_REFUND')) NOT VALID;
ALTER TABLE transactions DROP CONSTRAINT transactions_dispute_id_fkey;
ALTER TABLE transactions DROP COLUMN dispute_id;

DROP TABLE dispute_events;
DROP FUNCTION dispute_events_make_partitions(timestamptz, integer);
DROP FUNCTION dispute_events_guard_immutable();
DROP TABLE disputes;
DROP FUNCTION disputes_record_transition();
DROP FUNCTION dispute_events_new_id(timestamptz);
DROP FUNCTION disputes_guard_transition();
DROP FUNCTION disputes_guard_insert();
