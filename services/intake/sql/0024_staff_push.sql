-- Web Push (issue 22 §3): the browser a staff member subscribed on (her
-- latest: one per account), so that a new visit or an urgent report
-- reaches her phone or desk by push where the browser has it, SMS
-- otherwise. The endpoint is the push service's and the keys encrypt for
-- her browser; nothing of a case. Forgotten when she unsubscribes, and
-- with the account.
CREATE TABLE staff_push (
    staff_id    text PRIMARY KEY REFERENCES staff (id) ON DELETE CASCADE,
    endpoint    text NOT NULL CHECK (endpoint ~ '^https?://' AND length(endpoint) <= 1024),
    p256dh      text NOT NULL CHECK (p256dh ~ '^[A-Za-z0-9_-]{87}$'),
    auth        text NOT NULL CHECK (auth ~ '^[A-Za-z0-9_-]{22}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
