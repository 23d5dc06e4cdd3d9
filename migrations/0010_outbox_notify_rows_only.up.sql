-- Notify the relays only when a statement really inserted outbox rows. 0007's trigger
-- notified after every INSERT statement, so one that inserts nothing (an INSERT ... SELECT
-- or a CTE whose guard matched no row: a refused payment, an idempotent replay) still woke
-- every relay for an empty claim. The transition table holds the statement's inserted
-- rows: PostgreSQL keeps them for the trigger (memory up to work_mem, then a temp file),
-- a copy of rows the statement writes anyway.
--
-- Several statements, so golang-migrate runs the file as one implicit transaction: the
-- trigger is never missing, and inserts wait on its lock only for that short moment.
DROP TRIGGER outbox_notify_after_insert ON outbox;

CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT FROM inserted_rows) THEN
        PERFORM pg_notify('outbox_inserted', '');
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_notify_after_insert
AFTER INSERT ON outbox
REFERENCING NEW TABLE AS inserted_rows
FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
