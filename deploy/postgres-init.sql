-- Bootstrap of the PostgreSQL that docker-compose starts: PostGIS, and one
-- role and schema per service. No password is written here: the next
-- script (postgres-passwords.sh) sets each from its secret file.
CREATE EXTENSION IF NOT EXISTS postgis;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
DECLARE s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['intake', 'notification', 'dispatch', 'referral', 'audit', 'audit_owner'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = s) THEN
            EXECUTE format('CREATE ROLE %I LOGIN', s); -- passwords: postgres-passwords.sh, from secrets
        END IF;
        CONTINUE WHEN s LIKE 'audit%'; -- its schema: audit-roles.sql, run next
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', s, s);
        EXECUTE format('ALTER ROLE %I SET search_path = %I, public', s, s);
    END LOOP;
END $$;
