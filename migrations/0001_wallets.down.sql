DROP TABLE IF EXISTS wallet_balances;
DROP TABLE IF EXISTS wallets;
