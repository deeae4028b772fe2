-- Security review N1: the owner of a staff account hears of every reset,
-- unlock and lock-out of it, whoever made it (so that a takeover is not
-- silent). Nothing secret in them: no password, no link.
INSERT INTO template (code, locale, audience, subject, body) VALUES
    ('account_reset', 'id', 'staff', '[PELUKAN] Kata sandi Anda diatur ulang',
     'Kata sandi akun PELUKAN Anda diatur ulang oleh {by} pada {at} WIB. Jika Anda tidak memintanya, segera hubungi supervisor.'),
    ('account_reset', 'en', 'staff', '[PELUKAN] Your password was reset',
     'Your PELUKAN password was reset by {by} at {at} WIB. If you did not ask for it, tell a supervisor now.'),
    ('account_unlocked', 'id', 'staff', '[PELUKAN] Akun Anda dibuka kembali',
     'Akun PELUKAN Anda dibuka kembali oleh {by} pada {at} WIB. Jika Anda tidak memintanya, segera hubungi supervisor.'),
    ('account_unlocked', 'en', 'staff', '[PELUKAN] Your account was unlocked',
     'Your PELUKAN account was unlocked by {by} at {at} WIB. If you did not ask for it, tell a supervisor now.'),
    ('account_locked', 'id', 'staff', '[PELUKAN] Akun Anda terkunci',
     'Akun PELUKAN Anda terkunci sementara pada {at} WIB setelah beberapa kata sandi salah. Jika itu bukan Anda, segera hubungi supervisor.'),
    ('account_locked', 'en', 'staff', '[PELUKAN] Your account is locked',
     'Your PELUKAN account was locked for a while at {at} WIB after wrong passwords. If that was not you, tell a supervisor now.');

-- An erasure approved and waiting its cooling-off time: every supervisor
-- hears, and any of them can stop it before it runs.
INSERT INTO template (code, locale, audience, subject, body) VALUES
    ('erasure_scheduled', 'id', 'staff', '[PELUKAN] Penghapusan kasus dijadwalkan',
     'Penghapusan kasus {case} (alasan: {reason}) disetujui dan akan dijalankan pada {at} WIB. Jika tidak semestinya, hentikan di konsol supervisor sebelum waktu itu (permintaan {erasure}).'),
    ('erasure_scheduled', 'en', 'staff', '[PELUKAN] A case erasure is scheduled',
     'The erasure of case {case} (reason: {reason}) was approved and runs at {at} WIB. If it should not, stop it in the supervisor console before then (request {erasure}).');

-- A lock-out, told to the supervisors as well (review N6: many of them at
-- once may be someone keeping the staff out).
INSERT INTO template (code, locale, audience, subject, body) VALUES
    ('account_locked_supervisors', 'id', 'staff', '[PELUKAN] Akun petugas terkunci',
     'Akun {who} terkunci sementara pada {at} WIB setelah beberapa kata sandi salah. Jika pemiliknya tidak mencoba masuk, mungkin ada yang mencoba menebak kata sandinya.'),
    ('account_locked_supervisors', 'en', 'staff', '[PELUKAN] A staff account is locked',
     'Account {who} was locked for a while at {at} WIB after wrong passwords. If its owner was not signing in, someone may be guessing its password.');
