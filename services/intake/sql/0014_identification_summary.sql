-- What the companion's identification report says about referring the case,
-- as codes (never the victim's words): the admin's referral form shows the
-- consent recorded for each agency and asks for a legal basis where there is
-- none. NULL until the report is in (intake_readmodel.c).
ALTER TABLE cases
    ADD COLUMN referral_consent boolean,
    ADD COLUMN consented_agencies text[],
    ADD COLUMN recommended_agencies text[],
    ADD COLUMN needs text[];
