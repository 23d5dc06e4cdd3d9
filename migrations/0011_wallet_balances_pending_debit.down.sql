ALTER TABLE wallet_balances DROP CONSTRAINT wallet_balances_total_within_limit;
ALTER TABLE wallet_balances DROP COLUMN pending_debit;
