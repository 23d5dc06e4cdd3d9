-- Transactional outbox: written in the same transaction as the change; the relay publishes
-- unsent rows (claimed with FOR UPDATE SKIP LOCKED) and marks them sent after the broker confirms.
CREATE TABLE outbox (
    event_id       uuid        PRIMARY KEY,
    event_type     text        NOT NULL,
    aggregate_id   uuid        NOT NULL,
    user_id        text        NOT NULL,
    occurred_at    timestamptz NOT NULL,
    schema_version integer     NOT NULL DEFAULT 1,
    payload        jsonb       NOT NULL,
    traceparent    text,
    sent_at        timestamptz,
    attempts       integer     NOT NULL DEFAULT 0
);

CREATE INDEX outbox_unsent_idx ON outbox (event_id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
