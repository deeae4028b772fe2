-- The bus tables every service has in its own schema (see common/src/bus*.c).

-- Events written by business transactions. `id` only orders insertion and
-- has holes; `seq` is the dense per-producer sequence the relay assigns in
-- its own transaction, in `id` order, after the writers have committed.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    seq         bigint UNIQUE,
    topic       text NOT NULL,
    case_id     text,
    envelope    bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sequenced_at timestamptz
);
CREATE INDEX outbox_unsequenced ON outbox (id) WHERE seq IS NULL;

-- The relay's position. `epoch` identifies this outbox's numbering: it is
-- chosen once, and a consumer that sees another epoch starts over.
CREATE TABLE relay_state (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch       bigint NOT NULL,
    last_seq    bigint NOT NULL DEFAULT 0
);
INSERT INTO relay_state (epoch) VALUES ((extract(epoch FROM clock_timestamp()) * 1000000)::bigint);

-- What this service has applied of each producer's stream; advanced in the
-- same transaction as the effects of the events.
CREATE TABLE consumer_offset (
    producer    text PRIMARY KEY,
    epoch       bigint NOT NULL,
    last_seq    bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Commands already executed, with their reply, written in the same
-- transaction as the command's effect: a retry gets the first reply.
CREATE TABLE command_done (
    command_id  bytea PRIMARY KEY,
    reply       bytea NOT NULL,
    done_at     timestamptz NOT NULL DEFAULT now()
);
