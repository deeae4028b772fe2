-- Erasure of a case (security review, issue 14): asked by one supervisor
-- with a reason, carried out when a second one approves, or by the
-- retention of closed cases. The case's rows go; this record of who
-- erased which case and why stays (ids and codes, nothing of the person).
CREATE TABLE erasure_request (
    id            text PRIMARY KEY,
    case_id       text NOT NULL,
    reason_code   text NOT NULL,
    requested_by  text NOT NULL,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    approved_by   text,
    approved_at   timestamptz,
    CHECK (approved_by IS NULL OR approved_by <> requested_by OR requested_by = 'retention')
);
-- One erasure waits per case.
CREATE UNIQUE INDEX erasure_pending ON erasure_request (case_id) WHERE approved_at IS NULL;
-- Closed cases are found by age for the retention.
CREATE INDEX cases_ended ON cases (updated_at) WHERE state IN ('closed', 'rejected', 'duplicate', 'withdrawn');
