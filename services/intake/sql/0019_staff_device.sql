-- Security review N6: anyone who knows a login can lock its account with
-- wrong passwords. A device that signed in to the account before holds a
-- token (given at its first login; one per browser, naming no one) and gets through the
-- lock-out with its own budget of wrong tries (`failures`), so that a
-- stranger's guesses keep the stranger out, not the owner. Only the
-- token's hash is kept; the five most recent devices of an account.
CREATE TABLE staff_device (
    staff_id    text NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    token_hash  text NOT NULL,
    failures    int NOT NULL DEFAULT 0,
    last_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, token_hash)
);
