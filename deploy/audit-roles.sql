-- The audit's two roles (run by a superuser in the database "pelukan",
-- idempotently, by deploy/local/pgcluster.sh and by the compose bootstrap):
--   audit_owner  owns the schema, runs the migrations (PELUKAN_AUDIT_OWNER_DB_URL)
--   audit        the service: what the migrations grant it, and no more;
--                on its log and checkpoints INSERT and SELECT only
-- A role that owns a table can always give itself rights on it again, so
-- the service must not own the log it appends to.
DO $$ BEGIN CREATE ROLE audit_owner LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE audit LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
GRANT CONNECT ON DATABASE pelukan TO audit, audit_owner;
CREATE SCHEMA IF NOT EXISTS audit AUTHORIZATION audit_owner;

-- A schema made before the owner role existed belonged to audit: hand it
-- over with everything in it, keeping the service's rights as they were.
DO $$
BEGIN
    IF (SELECT nspowner FROM pg_namespace WHERE nspname = 'audit') = 'audit'::regrole THEN
        REASSIGN OWNED BY audit TO audit_owner;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA audit TO audit;
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA audit TO audit;
        IF to_regclass('audit.event_log') IS NOT NULL THEN
            REVOKE UPDATE, DELETE ON audit.event_log, audit.checkpoint FROM audit;
        END IF;
    END IF;
END $$;

REVOKE ALL ON SCHEMA audit FROM PUBLIC;
GRANT USAGE ON SCHEMA audit TO audit;
ALTER DEFAULT PRIVILEGES FOR ROLE audit_owner IN SCHEMA audit
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO audit;
ALTER DEFAULT PRIVILEGES FOR ROLE audit_owner IN SCHEMA audit GRANT USAGE, SELECT ON SEQUENCES TO audit;
ALTER ROLE audit SET search_path = audit, public;
ALTER ROLE audit_owner SET search_path = audit, public;
