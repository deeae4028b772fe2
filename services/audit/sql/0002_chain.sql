-- The event log as a hash chain, and signed checkpoints.
--
-- hash(n) = SHA-256( hash(n-1) || int8(gseq) || producer || 0x00 ||
--                    int8(epoch) || int8(seq) || envelope )
-- with hash(0) = 32 zero bytes. The envelope holds everything about the
-- event; the other columns are derived from it for queries, and the
-- verifier checks them against it.
ALTER TABLE event_log ADD COLUMN actor_id text;
ALTER TABLE event_log ADD COLUMN occurred_at timestamptz;
CREATE INDEX event_log_case ON event_log (case_id, gseq) WHERE case_id IS NOT NULL;

-- A checkpoint signs the head of the chain with the audit's Ed25519 key:
-- message = "pelukan-audit-checkpoint-v1" || int8(gseq) || head_hash || int8(signed_at_us).
CREATE TABLE checkpoint (
    gseq        bigint PRIMARY KEY,
    head_hash   bytea NOT NULL,
    signed_at_us bigint NOT NULL,
    public_key  bytea NOT NULL,
    signature   bytea NOT NULL
);
