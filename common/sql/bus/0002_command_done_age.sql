-- Replies of done commands are purged after a day by the relay's retention:
-- found by age.
CREATE INDEX command_done_at ON command_done (done_at);
