-- Staff accounts and the admin's workflow on cases.
CREATE TABLE staff (
    id                  text PRIMARY KEY,
    login               text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9._-]{3,64}$'),
    display_name        text NOT NULL,
    role                text NOT NULL CHECK (role IN ('admin', 'companion', 'agency', 'supervisor', 'auditor')),
    agency_code         text CHECK ((role = 'agency') = (agency_code IS NOT NULL)),
    password_hash       text NOT NULL,        -- Argon2id, computed off the event loop
    disabled            boolean NOT NULL DEFAULT false,
    failed_logins       integer NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_session (
    token_hash  text PRIMARY KEY,
    staff_id    text NOT NULL REFERENCES staff (id),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_session_staff ON staff_session (staff_id);

-- Who a case is with: set from dispatch's and referral's events.
ALTER TABLE cases ADD COLUMN call_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN call_reached boolean NOT NULL DEFAULT false;
ALTER TABLE cases ADD COLUMN duplicate_of text REFERENCES cases (id);
ALTER TABLE cases ADD COLUMN companion_id text;
ALTER TABLE cases ADD COLUMN agency_code text;
CREATE INDEX cases_queue ON cases (state, urgent DESC, created_at DESC);

-- The timeline holds state changes (shown to the reporter) and the staff's
-- steps (calls, notes, openings of personal data), by whom.
ALTER TABLE case_event ADD COLUMN kind text NOT NULL DEFAULT 'state';
ALTER TABLE case_event ADD COLUMN actor_id text;

-- Calls and internal notes: free text may hold personal data, so it is
-- sealed with the case's key.
CREATE TABLE case_note (
    id          bigserial PRIMARY KEY,
    case_id     text NOT NULL REFERENCES cases (id),
    staff_id    text NOT NULL REFERENCES staff (id),
    kind        text NOT NULL CHECK (kind IN ('note', 'call')),
    outcome     text,
    body_sealed bytea,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_note_case ON case_note (case_id, id);
