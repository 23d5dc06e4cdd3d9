-- Wake the outbox relays as soon as events commit: NOTIFY is delivered at commit (never for
-- a rolled-back insert) and identical notifications of one transaction collapse into one,
-- so a statement-level trigger costs one notification per writing transaction at most.
-- The relays still poll on a timer, so a missed notification only delays, never loses.
CREATE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_inserted', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify_after_insert
AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
