-- A companion asks the office to reach the reporter (issue 22 §3): every
-- admin is mailed, each admin on duty texted. The why in words, nothing
-- personal, no case named: the desk marks the case until a call is made.
INSERT INTO template (code, locale, audience, subject, body) VALUES
    ('reach_requested', 'id', 'staff', '[PELUKAN] Pendamping minta pelapor dihubungi',
     'Seorang pendamping meminta admin menghubungi pelapor ({alasan}). Kasusnya ditandai di konsol admin; telepon dalam jam aman pelapor.'),
    ('reach_requested', 'en', 'staff', '[PELUKAN] A companion asks you to reach a reporter',
     'A companion asks an admin to reach the reporter ({reason}). The case is marked on the admin console; call within the reporter''s safe hours.'),
    ('reach_requested_sms', 'id', 'staff', '',
     'PELUKAN: pendamping minta pelapor dihubungi ({alasan}). Buka konsol admin: kasus ditandai.'),
    ('reach_requested_sms', 'en', 'staff', '',
     'PELUKAN: a companion asks you to reach a reporter ({reason}). Open the admin console: the case is marked.');
