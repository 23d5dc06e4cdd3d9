-- A version per balance row, for conditional requests (ETag / If-Match on a wallet).
-- It grows by one with every change of what a client sees of the row (balance, pending
-- debit, pending credit), in the statement that makes the change: a BEFORE UPDATE
-- trigger, so every writer (payments, holds, deposits, transfers, expiry, recovery,
-- operator tools, and whatever comes later) keeps it without knowing about it. A new row
-- starts at 1, so a wallet's version (the sum over its rows) grows with every change of
-- any of its balances and never repeats. A constant default adds the column without
-- rewriting the table.
ALTER TABLE wallet_balances ADD COLUMN version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION wallet_balances_bump_version() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

-- The WHEN clause is evaluated without calling the function: an update that changes none
-- of the three (a bare updated_at) costs nothing and keeps the version.
CREATE TRIGGER wallet_balances_version
    BEFORE UPDATE ON wallet_balances
    FOR EACH ROW
    WHEN (
        (OLD.balance, OLD.pending_debit, OLD.pending_credit)
        IS DISTINCT FROM (NEW.balance, NEW.pending_debit, NEW.pending_credit)
    )
    EXECUTE FUNCTION wallet_balances_bump_version();
