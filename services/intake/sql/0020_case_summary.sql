-- The whole case on the desk (issue 22 §4): what the companion found, as
-- codes beside the referral side of her report (0014), so the admin and the
-- agency see the danger, whether the situation was confirmed and the
-- guardian's situation in words; the services she recommended are what the
-- referral form ticks first. NULL until the report is in.
ALTER TABLE cases
    ADD COLUMN immediate_danger boolean,
    ADD COLUMN situation_confirmed boolean,
    ADD COLUMN guardian_situation text,
    ADD COLUMN recommended_services text[];
