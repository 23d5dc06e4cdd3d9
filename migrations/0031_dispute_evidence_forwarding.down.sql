-- The counts go: after a re-up every open dispute's evidence is sent once more in full,
-- which the provider takes as a repeat (it adds only what it lacks).
DROP INDEX disputes_evidence_to_forward_idx;
ALTER TABLE disputes
    DROP COLUMN evidence_due_at,
    DROP COLUMN evidence_forwarded;
