DROP INDEX disputes_filing_key_idx;
ALTER TABLE disputes
    DROP COLUMN filing_attempts,
    DROP COLUMN filing_retry_at,
    DROP COLUMN filing_key;
