DROP TRIGGER wallet_balances_version ON wallet_balances;
DROP FUNCTION wallet_balances_bump_version();
ALTER TABLE wallet_balances DROP COLUMN version;
