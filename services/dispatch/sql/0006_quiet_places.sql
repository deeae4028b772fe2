-- The place of an ended visit, kept sealed (with the case key, so erasure
-- shreds it) for PELUKAN_DISPATCH_QUIET_S after the visit ends: a ping
-- taken near it is neither stored as the companion's position, nor logged,
-- nor shown to anyone (security review N2: the next reporter saw the last
-- victim's home as the start of the approach). Wiped by the retention.
ALTER TABLE visit ADD COLUMN quiet_sealed bytea;
CREATE INDEX visit_quiet ON visit (companion_id) WHERE quiet_sealed IS NOT NULL;
