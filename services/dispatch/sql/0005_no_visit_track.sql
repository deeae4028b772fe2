-- A ping taken during a visit may locate the victim's place (the arrival
-- ping is within the arrival radius of it), and a track linked to its
-- visit links that place to the case in plaintext (security review H1).
-- Pings during visits are no longer logged; those already kept go, and a
-- companion on site keeps no position.
DELETE FROM position_log WHERE visit_id IS NOT NULL;
ALTER TABLE position_log DROP COLUMN visit_id;
CREATE INDEX position_log_at ON position_log (at);
UPDATE companion c SET position = NULL
 WHERE EXISTS (SELECT 1 FROM visit v WHERE v.companion_id = c.id AND v.state = 'on_site');
