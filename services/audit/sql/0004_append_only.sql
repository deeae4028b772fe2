-- The log and its checkpoints are append-only for the audit service's
-- role "audit": it may INSERT and SELECT, nothing else. The schema and its
-- tables belong to "audit_owner", which runs these migrations, so the
-- service cannot give itself more (its subscriber offsets and its outbox,
-- in other tables, it may update). A trigger also refuses changes by
-- anyone short of a superuser switching triggers off, and what a
-- superuser rewrites the chain and the signed checkpoints tell.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER event_log_append_only BEFORE UPDATE OR DELETE ON event_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoint_append_only BEFORE UPDATE OR DELETE ON checkpoint
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER checkpoint_no_truncate BEFORE TRUNCATE ON checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

REVOKE ALL ON event_log, checkpoint FROM audit;
GRANT SELECT, INSERT ON event_log, checkpoint TO audit;
