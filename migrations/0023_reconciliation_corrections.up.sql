-- Corrections reconciliation makes when the provider's record and the ledger disagree.
--
-- A REDEBIT ledger row takes back money a payment's refund gave the wallet by mistake: the
-- payment ended FAILED or DECLINED here (and was refunded) while the provider charged it
-- (a charge attempt cut by our deadline while the provider was still processing it). It
-- carries the payment's provider and external reference; which payment it corrects is
-- recorded in reconciliation_corrections below, in the same transaction.
--
-- The widened checks are added NOT VALID: that takes the ledger's lock only for a moment
-- instead of for a scan of the whole table. They hold for every row written from now on,
-- and the rows already there passed the narrower checks they replace.
ALTER TABLE transactions DROP CONSTRAINT transactions_type_valid;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_valid
    CHECK (type IN ('DEPOSIT', 'PAYMENT', 'REFUND', 'HOLD', 'HOLD_RELEASE', 'TRANSFER_OUT',
                    'TRANSFER_IN', 'PROVIDER_REFUND', 'CHARGEBACK', 'REDEBIT')) NOT VALID;

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
    OR (type = 'REDEBIT' AND amount < 0 AND status = 'COMPLETED' AND provider_id IS NOT NULL
        AND external_reference IS NOT NULL AND refund_of IS NULL AND hold_id IS NULL
        AND transfer_id IS NULL AND dispute_id IS NULL)
) NOT VALID;

-- One row per correction: REDEBIT (its ledger row in transaction_id) or FLAG (left for a
-- person to review: the balance did not cover a re-debit, the provider's charge differs
-- from the payment, or the settings say never to re-debit). The key makes "each kind at
-- most once per payment" a database fact, so reconciling twice corrects nothing twice.
CREATE TABLE reconciliation_corrections (
    payment_id     uuid        NOT NULL REFERENCES transactions (id),
    kind           text        NOT NULL
        CONSTRAINT reconciliation_corrections_kind_valid CHECK (kind IN ('REDEBIT', 'FLAG')),
    user_id        text        NOT NULL REFERENCES wallets (user_id),
    amount         bigint      NOT NULL
        CONSTRAINT reconciliation_corrections_amount_positive CHECK (amount > 0),
    currency       char(3)     NOT NULL
        CONSTRAINT reconciliation_corrections_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    transaction_id uuid        CONSTRAINT reconciliation_corrections_transaction_once UNIQUE
                               REFERENCES transactions (id),
    reason         text        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 200),
    created_at     timestamptz NOT NULL,
    CONSTRAINT reconciliation_corrections_pkey PRIMARY KEY (payment_id, kind),
    CONSTRAINT reconciliation_corrections_shape CHECK ((kind = 'REDEBIT') = (transaction_id IS NOT NULL))
);

-- Corrections are facts: never changed, never deleted.
CREATE FUNCTION reconciliation_corrections_guard_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'reconciliation corrections are immutable' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER reconciliation_corrections_immutable
    BEFORE UPDATE OR DELETE ON reconciliation_corrections
    FOR EACH ROW EXECUTE FUNCTION reconciliation_corrections_guard_immutable();
