-- Checkpoints also sign the root of the Merkle tree over entries 1..gseq
-- (RFC 9162: leaf = SHA-256(0x00 || entry hash), node = SHA-256(0x01 ||
-- left || right)), so that an auditor can be handed an inclusion proof for
-- one case's entries or a consistency proof between two checkpoints.
-- message v2 = "pelukan-audit-checkpoint-v2" || int8(gseq) || head_hash ||
--              tree_root || int8(signed_at_us)
-- tree_state is the compact state of the tree at gseq (int8(n) and the
-- roots of its perfect subtrees), from which the service continues; it is
-- not trusted by the verifier, which recomputes the root. Rows written
-- before this migration have neither and are v1 checkpoints.
ALTER TABLE checkpoint ADD COLUMN tree_root bytea;
ALTER TABLE checkpoint ADD COLUMN tree_state bytea;

-- Who opened whose data: the access log is served from these entries.
CREATE INDEX event_log_access ON event_log (actor_id, gseq) WHERE event_type = 'case_data_accessed';
