-- What a balance holds for payments whose outcome is not known yet (their PENDING debits),
-- kept on the balance row by the same statements that debit and settle, so that what a
-- wallet owns in a currency (balance + pending_debit) is bounded by one row constraint.
--
-- Why: a PENDING payment's money has left `balance` but may have to come back (a decline,
-- a failure). If deposits could fill `balance` up to the bigint maximum meanwhile, the
-- refund would overflow and the payment could never be settled. With the total bounded,
-- every refund of held money fits by construction: a deposit that would push the total past
-- the maximum is refused instead, before it changes anything.
--
-- The API must run the code that maintains this column once it is applied (the API's
-- readiness check refuses any schema version but its own, so an old API goes unready).
ALTER TABLE wallet_balances
    ADD COLUMN pending_debit bigint NOT NULL DEFAULT 0
        CONSTRAINT wallet_balances_pending_debit_non_negative CHECK (pending_debit >= 0);

UPDATE wallet_balances AS b
SET pending_debit = p.held
FROM (
    SELECT user_id, currency, -sum(amount) AS held
    FROM transactions
    WHERE type = 'PAYMENT' AND status = 'PENDING'
    GROUP BY user_id, currency
) AS p
WHERE b.user_id = p.user_id AND b.currency = p.currency;

-- Written as a subtraction so that checking it can never overflow (balance >= 0).
ALTER TABLE wallet_balances
    ADD CONSTRAINT wallet_balances_total_within_limit
        CHECK (pending_debit <= 9223372036854775807 - balance);
