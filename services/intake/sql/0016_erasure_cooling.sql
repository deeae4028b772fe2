-- Security review N1: an approved erasure waits a cooling-off time
-- (PELUKAN_INTAKE_ERASURE_COOLING_S) during which every supervisor is told
-- and any of them can stop it; it runs at run_at. Erasures approved before
-- ran at once.
ALTER TABLE erasure_request ADD COLUMN run_at timestamptz;
ALTER TABLE erasure_request ADD COLUMN done_at timestamptz;
ALTER TABLE erasure_request ADD COLUMN stopped_by text;
ALTER TABLE erasure_request ADD COLUMN stopped_at timestamptz;
UPDATE erasure_request SET run_at = approved_at, done_at = approved_at WHERE approved_at IS NOT NULL;
-- One erasure open (asked, or approved and waiting) per case.
DROP INDEX erasure_pending;
CREATE UNIQUE INDEX erasure_open ON erasure_request (case_id) WHERE done_at IS NULL AND stopped_at IS NULL;
CREATE INDEX erasure_due ON erasure_request (run_at)
    WHERE approved_at IS NOT NULL AND done_at IS NULL AND stopped_at IS NULL;
