-- Security review N12: a companion's access to a case ends 6 hours after
-- the visit completed, an agency's 6 hours after its referral closed.
ALTER TABLE cases ADD COLUMN visit_done_at timestamptz;
ALTER TABLE case_agency ADD COLUMN closed_at timestamptz;
