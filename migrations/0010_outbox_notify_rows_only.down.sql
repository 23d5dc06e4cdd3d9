-- Back to 0007: notify after every INSERT statement, whether or not it inserted rows.
DROP TRIGGER outbox_notify_after_insert ON outbox;

CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_inserted', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify_after_insert
AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
