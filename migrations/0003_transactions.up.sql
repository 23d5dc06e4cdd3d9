-- The ledger. amount is signed (PAYMENT < 0, DEPOSIT/REFUND > 0) so that for every wallet and
-- currency: wallet_balances.balance = SUM(transactions.amount).
CREATE TABLE transactions (
    id                 uuid        PRIMARY KEY,
    user_id            text        NOT NULL REFERENCES wallets (user_id),
    type               text        NOT NULL CONSTRAINT transactions_type_valid CHECK (type IN ('DEPOSIT', 'PAYMENT', 'REFUND')),
    status             text        NOT NULL,
    amount             bigint      NOT NULL,
    currency           char(3)     NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    provider_id        uuid        REFERENCES service_providers (id),
    external_reference text        CHECK (char_length(external_reference) BETWEEN 1 AND 128),
    reference          text        CHECK (char_length(reference) BETWEEN 1 AND 128),
    -- A refund compensates exactly one payment; UNIQUE makes "refunded at most once" a DB fact.
    refund_of          uuid        CONSTRAINT transactions_refund_once UNIQUE REFERENCES transactions (id),
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CONSTRAINT transactions_shape CHECK (
        (type = 'DEPOSIT' AND amount > 0 AND status = 'COMPLETED'
            AND provider_id IS NULL AND refund_of IS NULL)
        OR (type = 'PAYMENT' AND amount < 0 AND status IN ('PENDING', 'APPROVED', 'DECLINED', 'FAILED')
            AND provider_id IS NOT NULL AND external_reference IS NOT NULL AND refund_of IS NULL)
        OR (type = 'REFUND' AND amount > 0 AND status = 'COMPLETED' AND refund_of IS NOT NULL)
    )
);

-- Keyset pagination: newest first per wallet (ids are UUIDv7, time-ordered).
CREATE INDEX transactions_user_id_id_idx ON transactions (user_id, id DESC);
-- The recovery worker's scan for stale PENDING payments, oldest first.
CREATE INDEX transactions_pending_idx ON transactions (created_at) WHERE status = 'PENDING';
-- A wallet's held funds (balance "pending"), independent of the length of its history.
CREATE INDEX transactions_user_pending_idx ON transactions (user_id, currency) WHERE status = 'PENDING';

-- Ledger rows are immutable; the only change allowed is a PENDING payment's status, once.
CREATE FUNCTION transactions_guard_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER transactions_immutable
    BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW EXECUTE FUNCTION transactions_guard_immutable();
