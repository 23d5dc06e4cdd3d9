-- Check the rows written before migration 0015 against its widened constraints (they
-- pass: they satisfied the narrower ones). VALIDATE scans the ledger under a SHARE UPDATE
-- EXCLUSIVE lock, which lets the apps keep reading and writing meanwhile.
ALTER TABLE transactions VALIDATE CONSTRAINT transactions_transfer_id_fkey;
ALTER TABLE transactions VALIDATE CONSTRAINT transactions_type_valid;
ALTER TABLE transactions VALIDATE CONSTRAINT transactions_shape;
