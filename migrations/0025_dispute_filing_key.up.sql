-- The Idempotency-Key of a dispute whose filing with the provider has no stored reply yet:
-- set when the dispute opens, cleared in the transaction that stores the reply under the
-- key. A dispute still holding one past the recovery window either got no answer from the
-- provider or lost its request (the process stopped between filing and storing the
-- reply); the recovery worker asks the provider about it and stores the reply, so the key
-- is not IN_PROGRESS forever.
ALTER TABLE disputes
    ADD COLUMN filing_key text,
    -- When the recovery worker may ask about it again (NULL: never asked), and how many
    -- times it asked without an answer: the delay doubles, so filings the provider never
    -- answers do not keep the worker from younger ones.
    ADD COLUMN filing_retry_at timestamptz,
    ADD COLUMN filing_attempts integer NOT NULL DEFAULT 0
        CONSTRAINT disputes_filing_attempts_not_negative CHECK (filing_attempts >= 0);

-- Only the disputes awaiting their reply: a handful at any time.
CREATE INDEX disputes_filing_key_idx ON disputes (created_at) WHERE filing_key IS NOT NULL;
