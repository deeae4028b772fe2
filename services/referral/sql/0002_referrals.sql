-- The directory: what each agency offers and its public contact point.
ALTER TABLE agency ADD COLUMN services text[] NOT NULL DEFAULT '{}';
ALTER TABLE agency ADD COLUMN contact text NOT NULL DEFAULT '';
ALTER TABLE agency ADD COLUMN active boolean NOT NULL DEFAULT true;
UPDATE agency SET services = '{pengaduan,kesehatan,bantuan_hukum,penegakan_hukum,rehabilitasi_sosial,reintegrasi_sosial,pemulangan}',
    contact = 'UPTD PPA, Dinas Sosial PPKBP3A Kabupaten Tasikmalaya' WHERE code = 'uptd_ppa';
UPDATE agency SET services = '{pengaduan,rehabilitasi_sosial,pendampingan_tokoh_agama}',
    contact = 'Puspaga, Dinas Sosial PPKBP3A Kabupaten Tasikmalaya' WHERE code = 'puspaga';
INSERT INTO agency (code, name, kind, services, contact) VALUES
    ('faskes', 'RSUD SMC Kabupaten Tasikmalaya', 'health', '{kesehatan}', 'Instalasi Gawat Darurat'),
    ('polres_ppa', 'Unit PPA Satreskrim Polres Tasikmalaya', 'police', '{penegakan_hukum}', 'Unit PPA'),
    ('lbh', 'Lembaga Bantuan Hukum', 'legal_aid', '{bantuan_hukum}', 'Pos pengaduan');

-- Consent as the companion recorded it (IdentificationReportSubmitted):
-- codes only, per case.
CREATE TABLE consent (
    case_id             text PRIMARY KEY,
    identification_id   text NOT NULL,
    referral_consent    boolean NOT NULL,
    consented_agencies  text[] NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now()
);

-- Each case's data key (follow-up notes are sealed with it); deleted when
-- intake erases the case.
CREATE TABLE case_key (
    case_id     text PRIMARY KEY,
    wrapped_key bytea NOT NULL
);

CREATE TABLE referral (
    id                  text PRIMARY KEY,
    case_id             text NOT NULL,
    agency_code         text NOT NULL REFERENCES agency (code),
    services            text[] NOT NULL,
    urgent              boolean NOT NULL,
    reason_code         text NOT NULL,
    legal_basis_code    text,               -- set when referring without consent
    state               text NOT NULL CHECK (state IN ('sent', 'accepted', 'declined', 'in_service', 'closed')),
    decline_reason_code text,
    outcome_code        text,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    due_at              timestamptz NOT NULL,  -- to be accepted by
    overdue_raised_at   timestamptz,
    accepted_at         timestamptz,
    accepted_by         text,
    ended_at            timestamptz
);
-- One open referral of a case per agency.
CREATE UNIQUE INDEX referral_open ON referral (case_id, agency_code)
    WHERE state IN ('sent', 'accepted', 'in_service');
CREATE INDEX referral_agency ON referral (agency_code, created_at DESC);
CREATE INDEX referral_case ON referral (case_id, created_at);
CREATE INDEX referral_due ON referral (due_at) WHERE state = 'sent' AND overdue_raised_at IS NULL;

CREATE TABLE follow_up (
    id              text PRIMARY KEY,
    referral_id     text NOT NULL REFERENCES referral (id),
    service_code    text NOT NULL,
    next_step_code  text,
    notes_sealed    bytea,
    recorded_by     text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX follow_up_referral ON follow_up (referral_id, recorded_at);

-- The case-level promises: referred within one day of the report (the
-- service standard), and for sexual violence reported to the police within
-- 3x24 hours (UU 12/2022 Art. 41).
CREATE TABLE case_deadline (
    case_id     text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('service_one_day', 'tpks_police_72h')),
    started_at  timestamptz NOT NULL,
    at_risk_at  timestamptz NOT NULL,
    due_at      timestamptz NOT NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'at_risk', 'breached', 'met', 'cancelled')),
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX case_deadline_watch ON case_deadline (at_risk_at) WHERE status IN ('open', 'at_risk');
