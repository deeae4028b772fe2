-- Admins on duty (issue 22 §1): an urgent report reaches every admin on
-- duty by SMS as well as by e-mail. An admin says she is on duty with her
-- mobile number; the number is the staff member's own (not a reporter's)
-- and is given only to notification, for these alerts.
ALTER TABLE staff
    ADD COLUMN phone_e164 text CHECK (phone_e164 ~ '^\+628[0-9]{7,11}$'),
    ADD COLUMN on_duty boolean NOT NULL DEFAULT false;
