DROP TRIGGER IF EXISTS outbox_notify_after_insert ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
