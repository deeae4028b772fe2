-- The sender waits for due messages on this channel (LISTEN
-- notification_due, notify_worker.c) as well as on its poll: PostgreSQL
-- delivers the notice when the inserting transaction commits, the moment
-- the new rows can be claimed. One notice per statement, and the notices
-- of one transaction are merged; it carries no data.
CREATE FUNCTION message_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notification_due', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER message_due AFTER INSERT ON message FOR EACH STATEMENT EXECUTE FUNCTION message_due();
