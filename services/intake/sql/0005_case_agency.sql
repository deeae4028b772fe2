-- The referrals of each case as referral's events tell them: which agency,
-- and whether it accepted. An agency user sees a case (and may open its
-- personal data, recorded) only through an accepted referral of their
-- agency.
CREATE TABLE case_agency (
    referral_id text PRIMARY KEY,
    case_id     text NOT NULL REFERENCES cases (id),
    agency_code text NOT NULL,
    state       text NOT NULL CHECK (state IN ('sent', 'accepted', 'declined', 'closed'))
);
CREATE INDEX case_agency_case ON case_agency (case_id, agency_code);
