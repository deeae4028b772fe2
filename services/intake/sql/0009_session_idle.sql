-- A reporter's session also ends after PELUKAN_INTAKE_SESSION_IDLE_S
-- without use (sliding), not only at its fixed end (security review M6: a
-- seized or shared phone should not open the reporter's cases for a month).
ALTER TABLE session ADD COLUMN idle_until timestamptz NOT NULL DEFAULT now() + interval '3 days';
