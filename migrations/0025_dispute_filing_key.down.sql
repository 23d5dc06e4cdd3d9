-- Refuses while a dispute's filing awaits its reply (filing_key set): the key is the only
-- thing that brings it to the recovery worker, which stores the reply under the client's
-- Idempotency-Key. Dropped, and added back empty by the up, that key would stay
-- IN_PROGRESS for good (every retry 409). Let recovery clear them first.
-- The table locked first, so no dispute opens between the check and the drop.
LOCK TABLE disputes IN SHARE MODE;
DO $$
BEGIN
    IF EXISTS (SELECT FROM disputes WHERE filing_key IS NOT NULL) THEN
        RAISE EXCEPTION 'disputes await their filing''s reply (filing_key set): the recovery worker must store those replies before filing_key can go'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END;
$$;
DROP INDEX disputes_filing_key_idx;
ALTER TABLE disputes
    DROP COLUMN filing_attempts,
    DROP COLUMN filing_retry_at,
    DROP COLUMN filing_key;
