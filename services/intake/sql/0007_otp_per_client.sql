-- One-time codes that are no oracle and no lock (security review H2, M9).
-- A code belongs to the phone and to the client that asked for it, so a
-- stranger asking for or guessing codes of the same phone neither
-- replaces nor locks the reporter's own. Every wrong code is a row of
-- otp_failure, counted per day, per client and per phone, so the guesses
-- at one phone are bounded over days, not only per window.
DELETE FROM otp;
ALTER TABLE otp DROP CONSTRAINT otp_pkey;
ALTER TABLE otp ADD COLUMN client_index text NOT NULL;
ALTER TABLE otp ADD PRIMARY KEY (phone_index, client_index);
CREATE INDEX otp_expires ON otp (expires_at);

CREATE TABLE otp_failure (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone_index     text NOT NULL,
    client_index    text NOT NULL,
    foreign_client  boolean NOT NULL,     -- not the client the code was sent for
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_failure_phone ON otp_failure (phone_index, at);

-- The global budget and the purge read requests by time.
CREATE INDEX otp_request_at ON otp_request (at);
CREATE INDEX session_expires ON session (expires_at);
