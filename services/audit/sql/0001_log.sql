-- The global event log: one row per event of any producer, hash-chained.
CREATE TABLE event_log (
    gseq        bigint PRIMARY KEY,
    producer    text NOT NULL,
    epoch       bigint NOT NULL,
    seq         bigint NOT NULL,
    event_type  text NOT NULL,
    case_id     text,
    envelope    bytea NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    logged_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (producer, epoch, seq)
);
