-- Disputes: a wallet's owner contests an approved payment; the provider decides, and a won
-- dispute gives the payment's amount back (a CHARGEBACK ledger row).
--
-- The state graph lives here as well as in the code, so no statement (the app's or one
-- typed by hand) can move a dispute off it:
--   OPEN -> UNDER_REVIEW -> SUBMITTED -> WON | LOST | CLOSED
--   OPEN | UNDER_REVIEW -> CANCELED
-- At most one dispute per payment is in a non-final state (OPEN, UNDER_REVIEW, SUBMITTED).
CREATE TABLE disputes (
    id         uuid        PRIMARY KEY,
    payment_id uuid        NOT NULL CONSTRAINT disputes_payment_id_fkey REFERENCES transactions (id),
    user_id    text        NOT NULL CONSTRAINT disputes_user_id_fkey REFERENCES wallets (user_id),
    amount     bigint      NOT NULL CONSTRAINT disputes_amount_positive CHECK (amount > 0),
    currency   char(3)     NOT NULL CONSTRAINT disputes_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    reason     text        NOT NULL CONSTRAINT disputes_reason_length CHECK (char_length(reason) BETWEEN 1 AND 500),
    status     text        NOT NULL CONSTRAINT disputes_status_valid
        CHECK (status IN ('OPEN', 'UNDER_REVIEW', 'SUBMITTED', 'WON', 'LOST', 'CLOSED', 'CANCELED')),
    -- Evidence texts in the order they were added; only ever appended to.
    evidence   jsonb       NOT NULL DEFAULT '[]'
        CONSTRAINT disputes_evidence_array CHECK (jsonb_typeof(evidence) = 'array'),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE UNIQUE INDEX disputes_one_open_per_payment ON disputes (payment_id)
    WHERE status IN ('OPEN', 'UNDER_REVIEW', 'SUBMITTED');
-- Keyset pages of a wallet's disputes, newest first (ids are UUIDv7).
CREATE INDEX disputes_user_id_id_idx ON disputes (user_id, id DESC);

-- A dispute starts OPEN, on an APPROVED payment of its own wallet, for the payment's
-- amount and currency.
CREATE FUNCTION disputes_guard_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'OPEN' OR NEW.evidence IS NULL OR NOT EXISTS (
        SELECT FROM transactions t
        WHERE t.id = NEW.payment_id AND t.type = 'PAYMENT' AND t.status = 'APPROVED'
          AND t.user_id = NEW.user_id AND t.amount = -NEW.amount AND t.currency = NEW.currency
    ) THEN
        RAISE EXCEPTION 'a dispute opens OPEN on an APPROVED payment of its wallet, for its amount'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER disputes_open_on_approved_payment
    BEFORE INSERT ON disputes
    FOR EACH ROW EXECUTE FUNCTION disputes_guard_insert();

-- Only moves along the graph; evidence only grows (appended) and only while OPEN or
-- UNDER_REVIEW; what the dispute is about never changes; disputes are never deleted.
CREATE FUNCTION disputes_guard_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'disputes are never deleted' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.id, NEW.payment_id, NEW.user_id, NEW.amount, NEW.currency, NEW.reason, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.payment_id, OLD.user_id, OLD.amount, OLD.currency, OLD.reason, OLD.created_at) THEN
        RAISE EXCEPTION 'what a dispute is about never changes'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND (OLD.status, NEW.status) NOT IN (
        ('OPEN', 'UNDER_REVIEW'), ('UNDER_REVIEW', 'SUBMITTED'),
        ('SUBMITTED', 'WON'), ('SUBMITTED', 'LOST'), ('SUBMITTED', 'CLOSED'),
        ('OPEN', 'CANCELED'), ('UNDER_REVIEW', 'CANCELED')
    ) THEN
        RAISE EXCEPTION 'a dispute cannot move from % to %', OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.evidence IS DISTINCT FROM OLD.evidence AND (
        OLD.status NOT IN ('OPEN', 'UNDER_REVIEW')
        OR jsonb_typeof(NEW.evidence) <> 'array'
        OR jsonb_array_length(NEW.evidence) <= jsonb_array_length(OLD.evidence)
        OR (SELECT coalesce(jsonb_agg(e ORDER BY i), '[]') FROM jsonb_array_elements(NEW.evidence)
                WITH ORDINALITY AS x (e, i) WHERE i <= jsonb_array_length(OLD.evidence))
           IS DISTINCT FROM OLD.evidence
    ) THEN
        RAISE EXCEPTION 'evidence is only appended, while the dispute is OPEN or UNDER_REVIEW'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER disputes_transition_on_graph
    BEFORE UPDATE OR DELETE ON disputes
    FOR EACH ROW EXECUTE FUNCTION disputes_guard_transition();

-- Every transition of a dispute (its opening included), one immutable row each, written by
-- the trigger below so no change of status can skip it. Partitioned by month on
-- created_at: a time-window query reads only its months, and an old month is detached
-- (and archived or dropped) without touching the rest. The partitions are made ahead by
-- dispute_events_make_partitions(), which the API's maintenance job calls; the DEFAULT
-- partition takes a row whose month has none yet, and the next run moves such rows into
-- the month's new partition.
CREATE TABLE dispute_events (
    id          uuid        NOT NULL,
    dispute_id  uuid        NOT NULL CONSTRAINT dispute_events_dispute_id_fkey REFERENCES disputes (id),
    user_id     text        NOT NULL,
    from_status text,
    to_status   text        NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT dispute_events_pkey PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

CREATE INDEX dispute_events_dispute_id_idx ON dispute_events (dispute_id, created_at);

CREATE TABLE dispute_events_default PARTITION OF dispute_events DEFAULT;

-- A time-ordered (version 7) UUID, as the app's ids are.
CREATE FUNCTION dispute_events_new_id(at timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS $$
    SELECT encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM at) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

CREATE FUNCTION disputes_record_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO dispute_events (id, dispute_id, user_id, from_status, to_status, created_at)
        VALUES (dispute_events_new_id(NEW.updated_at), NEW.id, NEW.user_id,
                CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status, NEW.updated_at);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER disputes_record_transition
    AFTER INSERT OR UPDATE ON disputes
    FOR EACH ROW EXECUTE FUNCTION disputes_record_transition();

-- Rows are facts: never changed, never deleted. The one exception is the partition
-- maintenance moving rows out of the DEFAULT partition into their month's new partition,
-- which it announces with a transaction-local setting.
CREATE FUNCTION dispute_events_guard_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('wallet.dispute_events_moving', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'dispute events are immutable' USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER dispute_events_immutable
    BEFORE UPDATE OR DELETE ON dispute_events
    FOR EACH ROW EXECUTE FUNCTION dispute_events_guard_immutable();

-- Makes sure the month of `around` and the `ahead` months after it each have a partition
-- (named dispute_events_pYYYY_MM); idempotent, so any number of API instances may call it.
-- Rows the DEFAULT partition caught for a month that gets its partition now are moved into
-- it. Returns the partitions it created.
CREATE FUNCTION dispute_events_make_partitions(around timestamptz, ahead integer)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    first_month timestamptz := date_trunc('month', around AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    month_start timestamptz;
    month_end   timestamptz;
    name        text;
BEGIN
    IF ahead < 0 OR ahead > 120 THEN
        RAISE EXCEPTION 'ahead must be between 0 and 120 months' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- One maintainer at a time: two would race to create the same table.
    PERFORM pg_advisory_xact_lock(hashtext('dispute_events_make_partitions'));
    FOR step IN 0 .. ahead LOOP
        month_start := first_month + make_interval(months => step);
        month_end := month_start + interval '1 month';
        name := 'dispute_events_p' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
        CONTINUE WHEN to_regclass(name) IS NOT NULL;
        EXECUTE format('CREATE TABLE %I (LIKE dispute_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
        PERFORM set_config('wallet.dispute_events_moving', 'on', true);
        EXECUTE format(
            'WITH moved AS (DELETE FROM dispute_events_default WHERE created_at >= $1 AND created_at < $2 RETURNING *)'
            ' INSERT INTO %I SELECT * FROM moved', name)
            USING month_start, month_end;
        PERFORM set_config('wallet.dispute_events_moving', 'off', true);
        EXECUTE format(
            'ALTER TABLE dispute_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
            name, month_start, month_end);
        RETURN NEXT name;
    END LOOP;
END;
$$;

-- The month this runs in and the next three exist from the start; the job keeps it so.
SELECT dispute_events_make_partitions(now(), 3);

-- Ledger: CHARGEBACK, the credit of a won dispute, naming its dispute (at most one per
-- dispute: the unique index of migration 0022). Every other row names no dispute. As in
-- migration 0015, the column, its foreign key and the widened checks are added NOT VALID,
-- so adding them takes the ledger's lock only for a moment instead of a scan of the
-- whole table; they hold for every row written from now on. The immutability trigger
-- needs no change: a CHARGEBACK is not a PAYMENT or a pending DEPOSIT, so it refuses any
-- update of one, and the shape keeps a PAYMENT's or DEPOSIT's dispute_id NULL.
ALTER TABLE transactions ADD COLUMN dispute_id uuid;
ALTER TABLE transactions ADD CONSTRAINT transactions_dispute_id_fkey
    FOREIGN KEY (dispute_id) REFERENCES disputes (id) NOT VALID;

ALTER TABLE transactions DROP CONSTRAINT transactions_type_valid;
ALTER TABLE transactions ADD CONSTRAINT transactions_type_valid
    CHECK (type IN ('DEPOSIT', 'PAYMENT', 'REFUND', 'HOLD', 'HOLD_RELEASE', 'TRANSFER_OUT',
                    'TRANSFER_IN', 'PROVIDER_REFUND', 'CHARGEBACK')) NOT VALID;

ALTER TABLE transactions DROP CONSTRAINT transactions_shape;
ALTER TABLE transactions ADD CONSTRAINT transactions_shape CHECK (
    (type = 'DEPOSIT' AND amount > 0 AND status IN ('PENDING', 'COMPLETED', 'REVERTED')
        AND provider_id IS NULL AND refund_of IS NULL AND hold_id IS NULL AND transfer_id IS NULL
        AND dispute_id IS NULL)
    OR (type = 'PAYMENT' AND amount < 0 AND status IN ('PENDING', 'APPROVED', 'DECLINED', 'FAILED')
        AND provider_id IS NOT NULL AND external_reference IS NOT NULL AND refund_of IS NULL
        AND hold_id IS NULL AND transfer_id IS NULL AND dispute_id IS NULL)
    OR (type = 'REFUND' AND amount > 0 AND status = 'COMPLETED' AND refund_of IS NOT NULL
        AND hold_id IS NULL AND transfer_id IS NULL AND dispute_id IS NULL)
    OR (type = 'HOLD' AND amount < 0 AND status = 'COMPLETED' AND hold_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL AND transfer_id IS NULL
        AND dispute_id IS NULL)
    OR (type = 'HOLD_RELEASE' AND amount > 0 AND status = 'COMPLETED' AND hold_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL AND transfer_id IS NULL
        AND dispute_id IS NULL)
    OR (type = 'TRANSFER_OUT' AND amount < 0 AND status = 'COMPLETED' AND provider_id IS NULL
        AND external_reference IS NULL AND refund_of IS NULL AND hold_id IS NULL
        AND transfer_id IS NOT NULL AND dispute_id IS NULL)
    OR (type = 'TRANSFER_IN' AND amount > 0 AND status = 'COMPLETED' AND provider_id IS NULL
        AND external_reference IS NULL AND refund_of IS NULL AND hold_id IS NULL
        AND transfer_id IS NOT NULL AND dispute_id IS NULL)
    OR (type = 'PROVIDER_REFUND' AND amount > 0 AND status = 'COMPLETED'
        AND provider_id IS NOT NULL AND external_reference IS NOT NULL AND refund_of IS NULL
        AND hold_id IS NULL AND transfer_id IS NULL AND dispute_id IS NULL)
    OR (type = 'CHARGEBACK' AND amount > 0 AND status = 'COMPLETED' AND dispute_id IS NOT NULL
        AND provider_id IS NULL AND refund_of IS NULL AND hold_id IS NULL AND transfer_id IS NULL)
) NOT VALID;
