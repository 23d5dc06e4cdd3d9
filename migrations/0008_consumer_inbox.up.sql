-- Events each consumer has already acted on, shared by all its instances: the metrics
-- consumer inserts (consumer, event_id) in the transaction that decides to count an event,
-- so a redelivery, to any instance, finds the row and counts nothing.
CREATE TABLE consumer_inbox (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT consumer_inbox_pkey PRIMARY KEY (consumer, event_id)
);
