-- Companions as dispatch knows them: duty, load, what matters for matching.
-- A row appears when a companion first reports for duty (SetCompanion).
CREATE SEQUENCE badge_seq;
ALTER TABLE companion ADD COLUMN first_name text NOT NULL DEFAULT '';
ALTER TABLE companion ADD COLUMN sex text CHECK (sex IN ('F', 'M'));
ALTER TABLE companion ADD COLUMN languages text[] NOT NULL DEFAULT '{}';
ALTER TABLE companion ADD COLUMN kecamatan_codes text[] NOT NULL DEFAULT '{}';
ALTER TABLE companion ADD COLUMN load integer NOT NULL DEFAULT 0 CHECK (load >= 0);
ALTER TABLE companion ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- Suggestions scan only companions on duty (KNN over the GiST index).
CREATE INDEX companion_on_duty_position ON companion USING gist (position) WHERE on_duty;

-- Each case's data key, wrapped by the master key: the visit's target and
-- the identification notes are sealed with it. Erasing the case (intake's
-- CaseErased) deletes the row, and with it everything sealed.
CREATE TABLE case_key (
    case_id     text PRIMARY KEY,
    wrapped_key bytea NOT NULL
);

CREATE TABLE visit (
    id              text PRIMARY KEY,
    case_id         text NOT NULL,
    companion_id    text NOT NULL REFERENCES companion (id),
    state           text NOT NULL CHECK (state IN ('assigned', 'accepted', 'en_route', 'on_site',
                                                   'completed', 'declined', 'cancelled')),
    target_sealed   bytea,                -- the case's place; wiped when the visit ends
    kecamatan_code  text,
    reason_code     text,
    arrival_method  text CHECK (arrival_method IN ('radius', 'confirmed')),
    assigned_by     text NOT NULL,
    assigned_at     timestamptz NOT NULL DEFAULT now(),
    accepted_at     timestamptz,
    en_route_at     timestamptz,
    arrived_at      timestamptz,
    ended_at        timestamptz
);
-- One active visit per case: a second assignment finds it and is refused.
CREATE UNIQUE INDEX visit_active_case ON visit (case_id)
    WHERE state IN ('assigned', 'accepted', 'en_route', 'on_site');
CREATE INDEX visit_active_companion ON visit (companion_id)
    WHERE state IN ('assigned', 'accepted', 'en_route', 'on_site');
CREATE INDEX visit_case ON visit (case_id, assigned_at DESC);

-- Pings. Those outside an active visit are deleted after
-- PELUKAN_DISPATCH_POSITION_RETENTION_S; a visit's track stays with it.
CREATE TABLE position_log (
    companion_id    text NOT NULL,
    at              timestamptz NOT NULL,
    position        public.geography(Point, 4326) NOT NULL,
    accuracy_m      real,
    visit_id        text
);
CREATE INDEX position_log_loose ON position_log (at) WHERE visit_id IS NULL;

-- The companion's identification report (step 6): codes, and the free
-- text sealed with the case key.
CREATE TABLE identification (
    id                   text PRIMARY KEY,
    visit_id             text NOT NULL UNIQUE REFERENCES visit (id),
    case_id              text NOT NULL,
    companion_id         text NOT NULL,
    situation_confirmed  boolean NOT NULL,
    immediate_danger     boolean NOT NULL,
    needs                text[] NOT NULL,
    recommended_services text[] NOT NULL,
    recommended_agencies text[] NOT NULL,
    referral_consent     boolean NOT NULL,
    consented_agencies   text[] NOT NULL,
    guardian_situation   text NOT NULL,
    notes_sealed         bytea,
    submitted_at         timestamptz NOT NULL DEFAULT now()
);
