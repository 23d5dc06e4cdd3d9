-- Drops the backstop only: no row is written or lost (the use case keeps its own check).
DROP TRIGGER reconciliation_corrections_not_refunded_there ON reconciliation_corrections;
DROP FUNCTION reconciliation_corrections_guard_refunded_there();
