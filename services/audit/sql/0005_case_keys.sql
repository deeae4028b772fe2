-- Entries of a case are sealed under that case's key (audit_seal.h);
-- erasing the case replaces the key here with an empty tombstone and the
-- log keeps only noise for it, its chain intact (security review M10). The log itself stays
-- append-only; its keys the service may delete.
CREATE TABLE case_key (
    case_id     text PRIMARY KEY,
    wrapped_key bytea NOT NULL
);
REVOKE ALL ON case_key FROM audit;
GRANT SELECT, INSERT, UPDATE, DELETE ON case_key TO audit;
