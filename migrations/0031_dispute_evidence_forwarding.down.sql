-- The counts go: after a re-up every open dispute's evidence is sent once more in full,
-- which the provider takes as a repeat (it adds only what it lacks).
ALTER TABLE disputes
    DROP CONSTRAINT disputes_evidence_forwarded_within_evidence,
    DROP COLUMN evidence_due_at,
    DROP COLUMN evidence_forwarded;
