-- Back to the check as 0031 left it: enforced on new and updated rows, NOT VALID.
ALTER TABLE disputes
    DROP CONSTRAINT disputes_evidence_forwarded_within_evidence,
    ADD CONSTRAINT disputes_evidence_forwarded_within_evidence
        CHECK (evidence_forwarded BETWEEN 0 AND jsonb_array_length(evidence)) NOT VALID;
