-- Two-phase movements: holds (reserve now, capture or release later) and pending deposits
-- (announced now, spendable once completed).
--
-- A hold's money leaves `balance` at once, like a PENDING payment's, and is kept in
-- `pending_debit` until the hold settles; a pending deposit's money is not yet the
-- wallet's: it is kept in `pending_credit` and joins `balance` only when completed. The
-- row constraint bounds balance + pending_debit + pending_credit, so money coming back
-- from a hold and money a pending deposit brings always fit when they arrive.

ALTER TABLE wallet_balances
    ADD COLUMN pending_credit bigint NOT NULL DEFAULT 0
        CONSTRAINT wallet_balances_pending_credit_non_negative CHECK (pending_credit >= 0);

-- Same name as before, wider bound. Written as subtractions so checking it never
-- overflows (each column is between 0 and the bigint maximum).
ALTER TABLE wallet_balances DROP CONSTRAINT wallet_balances_total_within_limit;
ALTER TABLE wallet_balances
    ADD CONSTRAINT wallet_balances_total_within_limit
        CHECK (pending_debit <= 9223372036854775807 - balance
               AND pending_credit <= 9223372036854775807 - balance - pending_debit);

CREATE TABLE holds (
    id         uuid        PRIMARY KEY,
    user_id    text        NOT NULL REFERENCES wallets (user_id),
    currency   char(3)     NOT NULL CONSTRAINT holds_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    amount     bigint      NOT NULL CONSTRAINT holds_amount_positive CHECK (amount > 0),
    captured   bigint,
    status     text        NOT NULL
        CONSTRAINT holds_status_valid CHECK (status IN ('PENDING', 'COMPLETED', 'REVERTED', 'EXPIRED')),
    reference  text        CHECK (char_length(reference) BETWEEN 1 AND 128),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- A capture never exceeds the hold; only a completed hold has captured anything.
    CONSTRAINT holds_capture_within_hold CHECK (
        (status = 'COMPLETED' AND captured BETWEEN 1 AND amount)
        OR (status <> 'COMPLETED' AND captured IS NULL)
    ),
    CONSTRAINT holds_expiry_after_creation CHECK (expires_at > created_at)
);

-- Keyset pages of a wallet's holds, newest first (ids are UUIDv7).
CREATE INDEX holds_user_id_id_idx ON holds (user_id, id DESC);
-- The expiry worker's scan: open holds by deadline.
CREATE INDEX holds_pending_expiry_idx ON holds (expires_at) WHERE status = 'PENDING';

-- A hold leaves PENDING exactly once and never changes after; it is never deleted.
CREATE FUNCTION holds_guard_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'holds are never deleted' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> 'PENDING'
       OR NEW.status NOT IN ('COMPLETED', 'REVERTED', 'EXPIRED')
       OR (NEW.id, NEW.user_id, NEW.currency, NEW.amount, NEW.reference, NEW.expires_at,
           NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.user_id, OLD.currency, OLD.amount, OLD.reference, OLD.expires_at,
           OLD.created_at) THEN
        RAISE EXCEPTION 'a hold moves out of PENDING once and is immutable after'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER holds_transition_once
    BEFORE UPDATE OR DELETE ON holds
    FOR EACH ROW EXECUTE FUNCTION holds_guard_transition();

-- Ledger: HOLD (the held amount, counted out of the balance at once) and HOLD_RELEASE
-- (what comes back on revert, expiry or a partial capture), both naming their hold; each
-- at most once per hold. A DEPOSIT may be PENDING (not counted in the balance) and then
-- COMPLETED (counted) or REVERTED (never counted).
ALTER TABLE transactions ADD COLUMN hold_id uuid CONSTRAINT transactions_hold_id_fkey REFERENCES holds (id);
CREATE UNIQUE INDEX transactions_hold_step_once ON transactions (hold_id, type) WHERE hold_id IS NOT NULL;

ALTER TABLE transactions DROP CONSTRAINT transactions_type_valid;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_valid
    CHECK (type IN ('DEPOSIT', 'PAYMENT', 'REFUND', 'HOLD', 'HOLD_RELEASE'));

ALTER TABLE transactions DROP CONSTRAINT transactions_shape;
ALTER TABLE transactions ADD CONSTRAINT transactions_shape CHECK (
    (type = 'DEPOSIT' AND amount > 0 AND status IN ('PENDING', 'COMPLETED', 'REVERTED')
        AND provider_id IS NULL AND refund_of IS NULL AND hold_id IS NULL)
    OR (type = 'PAYMENT' AND amount < 0 AND status IN ('PENDING', 'APPROVED', 'DECLINED', 'FAILED')
        AND provider_id IS NOT NULL AND external_reference IS NOT NULL AND refund_of IS NULL
        AND hold_id IS NULL)
    OR (type = 'REFUND' AND amount > 0 AND status = 'COMPLETED' AND refund_of IS NOT NULL
        AND hold_id IS NULL)
    OR (type = 'HOLD' AND amount < 0 AND status = 'COMPLETED' AND hold_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL)
    OR (type = 'HOLD_RELEASE' AND amount > 0 AND status = 'COMPLETED' AND hold_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL)
);

-- Ledger rows are immutable; the only changes allowed are a PENDING payment's status and
-- a PENDING deposit's status, each once.
CREATE OR REPLACE FUNCTION transactions_guard_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger rows are immutable' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status <> 'PENDING'
       OR NOT ((OLD.type = 'PAYMENT' AND NEW.status IN ('APPROVED', 'DECLINED', 'FAILED'))
               OR (OLD.type = 'DEPOSIT' AND NEW.status IN ('COMPLETED', 'REVERTED')))
       OR (NEW.id, NEW.user_id, NEW.type, NEW.amount, NEW.currency, NEW.provider_id,
           NEW.external_reference, NEW.reference, NEW.refund_of, NEW.hold_id, NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.user_id, OLD.type, OLD.amount, OLD.currency, OLD.provider_id,
           OLD.external_reference, OLD.reference, OLD.refund_of, OLD.hold_id, OLD.created_at) THEN
        RAISE EXCEPTION 'ledger rows are immutable except a PENDING payment''s or deposit''s status'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
