-- Idempotency: one record per (user_id, key). IN_PROGRESS while a payment is between its two
-- transactions; COMPLETED with the exact reply once it has one.
CREATE TABLE idempotency_keys (
    user_id         text        NOT NULL,
    key             text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    fingerprint     text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('IN_PROGRESS', 'COMPLETED')),
    -- The id reserved for the payment this request creates. No FK: the key is claimed
    -- before the ledger row exists, and a refused request (insufficient funds) never writes one.
    payment_id      uuid,
    response_status smallint,
    response_body   bytea,
    created_at      timestamptz NOT NULL,
    completed_at    timestamptz,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (user_id, key),
    CONSTRAINT idempotency_keys_completed_has_reply CHECK (
        state = 'IN_PROGRESS' OR (response_status IS NOT NULL AND response_body IS NOT NULL)
    )
);

CREATE UNIQUE INDEX idempotency_keys_payment_id_idx ON idempotency_keys (payment_id)
    WHERE payment_id IS NOT NULL;
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
