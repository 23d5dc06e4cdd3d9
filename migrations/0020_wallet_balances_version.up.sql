-- A version per balance row, for conditional requests (ETag / If-Match on a wallet).
-- It grows with every change of what a client sees of the row (balance, pending debit,
-- pending credit), in the statement that makes the change. A new row starts at 1, so a
-- wallet's version (the sum over its rows) grows with every change of any of its
-- balances and never repeats. A constant default adds the column without rewriting the
-- table.
ALTER TABLE wallet_balances ADD COLUMN version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION wallet_balances_bump_version() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

-- The BEFORE UPDATE trigger makes it a rule no writer can forget (holds, deposits,
-- transfers, expiry, recovery, operator tools, whatever comes later). The payment's two
-- statements, the hot path, bump the version themselves: the WHEN clause, evaluated
-- without calling the function, then skips it (that call was ~15-25 us of server time per
-- update). An update that changes none of the three amounts (a bare updated_at) keeps
-- the version; one that changes them without moving the version forward gets it moved.
CREATE TRIGGER wallet_balances_version
    BEFORE UPDATE ON wallet_balances
    FOR EACH ROW
    WHEN (
        NEW.version <= OLD.version
        AND (OLD.balance, OLD.pending_debit, OLD.pending_credit)
        IS DISTINCT FROM (NEW.balance, NEW.pending_debit, NEW.pending_credit)
    )
    EXECUTE FUNCTION wallet_balances_bump_version();
