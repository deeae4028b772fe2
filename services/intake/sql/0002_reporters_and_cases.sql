-- Reporters, one-time codes, sessions, cases and their timeline.
--
-- Personal data is never stored in the clear: phones are found by a keyed
-- hash (blind index) and kept sealed with the reporter's data key; a case's
-- personal fields (names, address, exact coordinates, the account) are one
-- sealed blob under the case's data key. Destroying a wrapped key erases the
-- person (crypto-shredding).

-- Category codes, kept as data so they can be corrected (shared/domain.md).
CREATE TABLE category (
    kind        text NOT NULL,
    code        text NOT NULL,
    label_id    text NOT NULL,
    PRIMARY KEY (kind, code)
);
INSERT INTO category (kind, code, label_id) VALUES
    ('violence_form', 'fisik', 'Fisik'), ('violence_form', 'psikis', 'Psikis'),
    ('violence_form', 'seksual', 'Seksual'), ('violence_form', 'eksploitasi', 'Eksploitasi'),
    ('violence_form', 'trafficking', 'Trafficking'), ('violence_form', 'penelantaran', 'Penelantaran'),
    ('violence_form', 'lainnya', 'Lainnya'),
    ('place_type', 'rumah_tangga', 'Rumah Tangga'), ('place_type', 'tempat_kerja', 'Tempat Kerja'),
    ('place_type', 'sekolah', 'Sekolah'), ('place_type', 'fasilitas_umum', 'Fasilitas Umum'),
    ('place_type', 'lembaga_pendidikan_kilat', 'Lembaga Pendidikan Kilat'), ('place_type', 'lainnya', 'Lainnya'),
    ('relation', 'orang_tua', 'Orang tua'), ('relation', 'keluarga', 'Keluarga/Saudara'),
    ('relation', 'suami_istri', 'Suami/Istri'), ('relation', 'pacar_teman', 'Pacar/Teman'),
    ('relation', 'guru', 'Guru'), ('relation', 'majikan', 'Majikan'), ('relation', 'rekan_kerja', 'Rekan kerja'),
    ('relation', 'tetangga', 'Tetangga'), ('relation', 'lainnya', 'Lainnya'),
    ('age_band', '0-5', '0-5'), ('age_band', '6-12', '6-12'), ('age_band', '13-17', '13-17'),
    ('age_band', '18-24', '18-24'), ('age_band', '25-44', '25-44'), ('age_band', '45-59', '45-59'),
    ('age_band', '60+', '60+'),
    ('safe_channel', 'call', 'Telepon'), ('safe_channel', 'sms', 'SMS'), ('safe_channel', 'whatsapp', 'WhatsApp'),
    ('safe_channel', 'in_app', 'Hanya di aplikasi');

CREATE TABLE reporter (
    id              text PRIMARY KEY,
    phone_index     text NOT NULL UNIQUE,
    wrapped_key     bytea NOT NULL,
    phone_sealed    bytea NOT NULL,
    safety_sealed   bytea,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One pending code per phone; the code itself is stored as a keyed hash.
CREATE TABLE otp (
    phone_index     text PRIMARY KEY,
    code_hash       text NOT NULL,
    expires_at      timestamptz NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Requests for codes, for rate limits. The client address is a keyed hash.
CREATE TABLE otp_request (
    phone_index     text NOT NULL,
    client_index    text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_request_phone ON otp_request (phone_index, at);
CREATE INDEX otp_request_client ON otp_request (client_index, at);

CREATE TABLE session (
    token_hash      text PRIMARY KEY,
    reporter_id     text NOT NULL REFERENCES reporter (id),
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE ticket_seq;

CREATE TABLE cases (
    id                  text PRIMARY KEY,
    ticket              text NOT NULL UNIQUE,
    reporter_id         text NOT NULL REFERENCES reporter (id),
    state               text NOT NULL,
    wrapped_key         bytea,                -- NULL once erased
    personal_sealed     bytea,
    reporter_kind       text NOT NULL,
    witness_relation    text,
    victim_sex          text,
    victim_age_band     text,
    child               boolean NOT NULL,
    disability          boolean NOT NULL DEFAULT false,
    violence_forms      text[] NOT NULL,
    place_type          text,
    perpetrator_relation text,
    incident_at         timestamptz,
    incident_approx     boolean NOT NULL DEFAULT false,
    kecamatan_code      text REFERENCES region (code),
    desa_code           text,
    urgent              boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_reporter ON cases (reporter_id, created_at DESC);

-- Every step of a case, from intake and (later) from the other services.
CREATE TABLE case_event (
    id              bigserial PRIMARY KEY,
    case_id         text NOT NULL REFERENCES cases (id),
    at              timestamptz NOT NULL DEFAULT now(),
    state           text NOT NULL,
    reason_code     text,
    actor_kind      text NOT NULL
);
CREATE INDEX case_event_case ON case_event (case_id, id);

-- First answers to creates, by Idempotency-Key: a retry gets the same one.
CREATE TABLE idempotency (
    reporter_id     text NOT NULL,
    key             text NOT NULL,
    case_id         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (reporter_id, key)
);
