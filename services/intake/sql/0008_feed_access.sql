-- An agency sees in the staff feed only what happened to a case after
-- its referral was made (security review M2).
ALTER TABLE case_agency ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
