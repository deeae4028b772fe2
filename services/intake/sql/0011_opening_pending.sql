-- The case's place handed to dispatch for an assignment is an opening only
-- if dispatch takes it (issue 15: a refused assignment recorded one). The
-- hand-over is noted here before the command leaves; dispatch's answer
-- turns it into an opening (taken) or removes it (refused). One that no
-- answer settled (intake stopped, dispatch silent) becomes an opening after
-- a minute: when in doubt, the place is counted as opened.
CREATE TABLE opening_pending (
    id bigserial PRIMARY KEY,
    case_id text NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    purpose text NOT NULL,
    staff_id text NOT NULL,
    staff_role text NOT NULL,
    correlation_id text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX opening_pending_created ON opening_pending (created_at);
