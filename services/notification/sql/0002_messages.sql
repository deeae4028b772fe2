-- Templates: a subject for e-mails; the texts for reporters come in two
-- forms, discreet (never naming violence, a case or the service) and, for
-- a reporter who chose a safe channel, plain.
ALTER TABLE template ADD COLUMN subject text NOT NULL DEFAULT '';
INSERT INTO template (code, locale, audience, subject, body) VALUES
    ('case_update', 'id', 'reporter', '', 'Ada kabar baru untuk Anda. Silakan buka aplikasi.'),
    ('case_update', 'en', 'reporter', '', 'There is news for you. Please open the app.'),
    ('case_update_safe', 'id', 'reporter', '',
     'PELUKAN: laporan Anda kini berstatus {state}. Buka aplikasi untuk rinciannya.'),
    ('case_update_safe', 'en', 'reporter', '', 'PELUKAN: your report is now {state}. Open the app for details.'),
    ('urgent_report', 'id', 'staff', '[PELUKAN] Laporan mendesak baru',
     'Laporan mendesak baru masuk (kecamatan {kecamatan}). Buka konsol admin untuk menindaklanjuti dalam hari ini.'),
    ('urgent_report', 'en', 'staff', '[PELUKAN] New urgent report',
     'A new urgent report arrived (kecamatan {kecamatan}). Open the admin console to act on it today.'),
    ('companion_assigned', 'id', 'staff', '[PELUKAN] Tugas kunjungan baru',
     'Anda ditugaskan untuk kunjungan {visit}. Buka aplikasi pendamping untuk melihat lokasinya.'),
    ('companion_assigned', 'en', 'staff', '[PELUKAN] New visit',
     'You are assigned to visit {visit}. Open the companion app to see where.'),
    ('referral_received', 'id', 'staff', '[PELUKAN] Rujukan baru',
     'Lembaga Anda menerima rujukan baru {referral}. Mohon terima atau tolak dalam 4 jam.'),
    ('referral_received', 'en', 'staff', '[PELUKAN] New referral',
     'Your agency received referral {referral}. Please accept or decline within 4 hours.'),
    ('referral_overdue', 'id', 'staff', '[PELUKAN] Rujukan belum diterima',
     'Rujukan {referral} belum diterima lembaga tujuan. Hubungi lembaga atau rujuk ke lembaga lain.'),
    ('referral_overdue', 'en', 'staff', '[PELUKAN] Referral not accepted',
     'Referral {referral} was not accepted in time. Contact the agency or refer elsewhere.');

-- Each message is a row, written in the transaction that consumed its
-- event (or took the OTP command). Personal data is not stored: the
-- contact is asked of its owner at send time, except an OTP's phone and
-- code, sealed and wiped once sent or dead.
CREATE TABLE message (
    id              text PRIMARY KEY,
    source          text UNIQUE,               -- event id + recipient: one message per event and recipient
    audience        text NOT NULL CHECK (audience IN ('otp', 'reporter', 'staff', 'role')),
    recipient       text NOT NULL DEFAULT '',  -- staff id, role, or '' (reporter: the case's)
    case_id         text,
    template_code   text NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('auto', 'sms', 'whatsapp', 'email', 'push', 'in_app')),
    params          jsonb NOT NULL DEFAULT '{}', -- codes only
    wrapped_key     bytea,
    secret_sealed   bytea,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_error      text,
    sent_channel    text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX message_due ON message (next_attempt_at) WHERE state = 'pending';
CREATE INDEX message_leased ON message (lease_until) WHERE state = 'sending';

CREATE TABLE attempt (
    message_id  text NOT NULL REFERENCES message (id),
    n           integer NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    outcome     text NOT NULL CHECK (outcome IN ('sent', 'retry', 'dead')),
    detail      text,                        -- "http_503", "smtp_550", "timeout": never a value
    PRIMARY KEY (message_id, n)
);
