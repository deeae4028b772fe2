-- The staff's live feed: timeline entries numbered densely in the order
-- they are numbered, after they commit (as the relay numbers the outbox),
-- so that a reader resuming after feed_seq N misses nothing.
ALTER TABLE case_event ADD COLUMN feed_seq bigint UNIQUE;
CREATE INDEX case_event_unnumbered ON case_event (id) WHERE feed_seq IS NULL;
