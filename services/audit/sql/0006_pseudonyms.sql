-- Security review N3: once a case is erased, nothing in the log may say
-- what happened to whom. An entry of a case now keeps in clear only what
-- `verify` and `prove` need (gseq, producer, epoch, seq, the sealed bytes
-- and the chain) and the case's pseudonym; its type, actor and times are
-- inside the seal (NULL here). The pseudonym (`case_key.ref`, random) is
-- deleted with the key, and the erasure leaves only the case id's keyed
-- hash in `case_erased` (services/audit/audit_keys.h). Entries written
-- before this migration keep the case id in `case_ref` (sealed version 1).
ALTER TABLE event_log RENAME COLUMN case_id TO case_ref;
ALTER TABLE event_log ALTER COLUMN event_type DROP NOT NULL;
ALTER TABLE event_log ALTER COLUMN logged_at DROP NOT NULL;

ALTER TABLE case_key ADD COLUMN ref text UNIQUE;
UPDATE case_key SET ref = replace(gen_random_uuid()::text, '-', '') WHERE length(wrapped_key) > 0;

CREATE TABLE case_erased (
    tomb text PRIMARY KEY
);
REVOKE ALL ON case_erased FROM audit;
GRANT SELECT, INSERT ON case_erased TO audit;
