-- The log and its checkpoints are append-only for the audit's own role:
-- it may INSERT and SELECT, nothing else (its subscriber offsets, in
-- consumer_offset, are the only rows it updates). A trigger refuses the
-- same for anyone else short of dropping it, so that a rewrite needs a
-- superuser and leaves the chain and the signed checkpoints to tell.

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

REVOKE ALL ON event_log, checkpoint FROM CURRENT_USER;
GRANT SELECT, INSERT ON event_log, checkpoint TO CURRENT_USER;
