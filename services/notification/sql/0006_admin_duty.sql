-- Admins on duty (issue 22 §1): kept from intake's StaffAccountChanged
-- (ON_DUTY, OFF_DUTY; a disabled account leaves it). An urgent report is
-- texted to each of them as well as mailed to every admin, one text per
-- admin per PELUKAN_NOTIFICATION_URGENT_COALESCE_S with a count, never
-- anything personal: the kecamatan's name and how many.
CREATE TABLE admin_on_duty (
    staff_id    text PRIMARY KEY,
    since       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO template (code, locale, audience, subject, body) VALUES
    ('urgent_report_sms', 'id', 'staff', '',
     'PELUKAN: {count} laporan DARURAT baru, Kec. {kecamatan}. Buka konsol admin sekarang.'),
    ('urgent_report_sms', 'en', 'staff', '',
     'PELUKAN: {count} new URGENT report(s), Kec. {kecamatan}. Open the admin console now.');
UPDATE template SET body =
    '{count} laporan mendesak baru masuk (Kec. {kecamatan}). Buka konsol admin untuk menindaklanjuti dalam hari ini.'
    WHERE code = 'urgent_report' AND locale = 'id';
UPDATE template SET body =
    '{count} new urgent report(s) arrived (Kec. {kecamatan}). Open the admin console to act on them today.'
    WHERE code = 'urgent_report' AND locale = 'en';
-- A companion given a visit is texted too, where she has given her mobile
-- (issue 22 §3): no case, no place, the app says the rest.
INSERT INTO template (code, locale, audience, subject, body) VALUES
    ('companion_assigned_sms', 'id', 'staff', '', 'PELUKAN: ada tugas kunjungan baru untuk Anda. Buka aplikasi pendamping.'),
    ('companion_assigned_sms', 'en', 'staff', '', 'PELUKAN: you have a new visit. Open the companion app.');
