-- Evidence a client adds to a dispute after it was filed is sent on to the provider by the
-- recovery worker. `evidence_forwarded` counts the dispute's first texts the provider has
-- confirmed it holds (evidence is only appended, so what it holds is always the first N);
-- the worker sends a dispute whose count is short of its texts, and `evidence_due_at` is
-- when it may do so again (NULL: now): a lease while one worker asks, a delay after no
-- clear answer or the provider's refusal. Existing disputes start at 0: their evidence is
-- sent once in full, and the provider adds only what it lacks.
--
-- Quick under its ACCESS EXCLUSIVE lock: the columns' constant default is not written
-- into existing rows, and the check is NOT VALID (new and updated rows are held to it at
-- once; 0032 validates the existing ones without blocking writes, 0033 builds the index
-- CONCURRENTLY).
ALTER TABLE disputes
    ADD COLUMN evidence_forwarded integer NOT NULL DEFAULT 0,
    ADD COLUMN evidence_due_at timestamptz,
    ADD CONSTRAINT disputes_evidence_forwarded_within_evidence
        CHECK (evidence_forwarded BETWEEN 0 AND jsonb_array_length(evidence)) NOT VALID;
