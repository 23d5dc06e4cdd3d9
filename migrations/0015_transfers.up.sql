-- Wallet-to-wallet transfers. A transfer is one row here and two ledger rows that point at
-- it: TRANSFER_OUT (negative) on the sender, TRANSFER_IN (positive) on the receiver, in the
-- same currency, written together with both balance changes by one statement. Money moves
-- between wallets; the platform's total per currency does not change.
CREATE TABLE transfers (
    id           uuid        PRIMARY KEY,
    from_user_id text        NOT NULL REFERENCES wallets (user_id),
    to_user_id   text        NOT NULL REFERENCES wallets (user_id),
    amount       bigint      NOT NULL CONSTRAINT transfers_amount_positive CHECK (amount > 0),
    currency     char(3)     NOT NULL CONSTRAINT transfers_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    reference    text        CHECK (char_length(reference) BETWEEN 1 AND 128),
    status       text        NOT NULL CONSTRAINT transfers_status_valid CHECK (status = 'COMPLETED'),
    created_at   timestamptz NOT NULL,
    CONSTRAINT transfers_distinct_wallets CHECK (from_user_id <> to_user_id)
);

-- Transfers are facts: never changed, never deleted.
CREATE FUNCTION transfers_guard_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'transfers are immutable' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER transfers_immutable
    BEFORE UPDATE OR DELETE ON transfers
    FOR EACH ROW EXECUTE FUNCTION transfers_guard_immutable();

-- The ledger rows of a transfer. The immutability trigger needs no change: transfer rows
-- are not PAYMENTs, so it refuses any update of them, and the shape below keeps a PAYMENT's
-- transfer_id NULL, so its one allowed status move cannot set one either.
--
-- The foreign key and the widened checks are added NOT VALID: that takes the table's lock
-- only for a moment, instead of for a scan of the whole ledger. They hold for every row
-- written from now on; migration 0017 validates the existing rows (under a lock that lets
-- the apps read and write), and the index on the legs is built CONCURRENTLY by 0016.
ALTER TABLE transactions ADD COLUMN transfer_id uuid;
ALTER TABLE transactions ADD CONSTRAINT transactions_transfer_id_fkey
    FOREIGN KEY (transfer_id) REFERENCES transfers (id) NOT VALID;

ALTER TABLE transactions DROP CONSTRAINT transactions_type_valid;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_valid
    CHECK (type IN ('DEPOSIT', 'PAYMENT', 'REFUND', 'HOLD', 'HOLD_RELEASE', 'TRANSFER_OUT', 'TRANSFER_IN')) NOT VALID;

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
) NOT VALID;
