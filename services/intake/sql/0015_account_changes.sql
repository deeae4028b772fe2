-- Security review N1: who last created, reset or unlocked an account
-- through the API, and when (an erasure approval is refused from an account
-- changed lately, or changed by the asking supervisor); an operator's
-- pelukanctl leaves them empty. A reset password must be changed by its
-- owner at the next login.
ALTER TABLE staff ADD COLUMN changed_at timestamptz;
ALTER TABLE staff ADD COLUMN changed_by text;
ALTER TABLE staff ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;
