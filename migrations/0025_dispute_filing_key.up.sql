-- The Idempotency-Key of a dispute whose filing with the provider has no stored reply yet:
-- set when the dispute opens, cleared in the transaction that stores the reply under the
-- key. A dispute still holding one past the recovery window lost its request (the process
-- stopped between filing and storing the reply); the recovery worker answers it as a
-- filing the provider never confirmed, so the key is not IN_PROGRESS forever.
ALTER TABLE disputes ADD COLUMN filing_key text;

-- Only the disputes awaiting their reply: a handful at any time.
CREATE INDEX disputes_filing_key_idx ON disputes (created_at) WHERE filing_key IS NOT NULL;
