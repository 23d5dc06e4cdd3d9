-- Provider webhooks applied here, one row per provider event id: the statement that
-- applies an event inserts its row in the same transaction, ON CONFLICT DO NOTHING, so a
-- repeat (the provider retrying, a redelivery through the broker, two deliveries at once)
-- finds the row and changes nothing. Events that changed nothing (unknown payment, bad
-- signature, malformed body) are not stored.
CREATE TABLE provider_events (
    provider_event_id text        PRIMARY KEY
        CONSTRAINT provider_events_id_length CHECK (char_length(provider_event_id) BETWEEN 1 AND 255),
    type              text        NOT NULL,
    -- what the event acted on (a payment or a dispute id), for operators tracing an effect
    subject_id        uuid,
    outcome           text        NOT NULL,
    created_at        timestamptz NOT NULL,  -- the provider's timestamp
    applied_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX provider_events_subject_idx ON provider_events (subject_id) WHERE subject_id IS NOT NULL;
