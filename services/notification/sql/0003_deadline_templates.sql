-- The case-level promises (referral's DeadlineEvent): the admins hear when
-- one is at risk and when it was breached.
INSERT INTO template (code, locale, audience, subject, body) VALUES
    ('deadline_at_risk', 'id', 'staff', '[PELUKAN] Tenggat kasus hampir lewat',
     'Tenggat "{deadline}" untuk kasus {case} akan lewat pada {due} WIB. Segera rujuk atau tindak lanjuti.'),
    ('deadline_at_risk', 'en', 'staff', '[PELUKAN] A case deadline is close',
     'The "{deadline}" deadline of case {case} passes at {due} WIB. Refer or act on it now.'),
    ('deadline_breached', 'id', 'staff', '[PELUKAN] Tenggat kasus terlewat',
     'Tenggat "{deadline}" untuk kasus {case} terlewat pada {due} WIB. Catat alasannya dan tindak lanjuti hari ini.'),
    ('deadline_breached', 'en', 'staff', '[PELUKAN] A case deadline was missed',
     'The "{deadline}" deadline of case {case} passed at {due} WIB. Record why and act on it today.');
