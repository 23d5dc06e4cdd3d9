DROP TRIGGER IF EXISTS transactions_immutable ON transactions;
DROP FUNCTION IF EXISTS transactions_guard_immutable();
DROP TABLE IF EXISTS transactions;
