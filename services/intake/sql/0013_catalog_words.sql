-- The code lists in words people use (the reporter's app, GET /v1/catalog):
-- an English label beside the Indonesian one, and for the kinds of
-- violence a plain description, so that nobody has to know the legal term.
-- Sundanese lives in the app's message catalogues.
-- `position` is the order the apps list them in (this file's order).
ALTER TABLE category ADD COLUMN label_en text, ADD COLUMN plain_id text, ADD COLUMN plain_en text,
    ADD COLUMN position int NOT NULL DEFAULT 0;
UPDATE category c SET label_en = w.label_en, plain_id = w.plain_id, plain_en = w.plain_en, position = w.n
FROM (SELECT v.*, row_number() OVER () AS n FROM (VALUES
    ('violence_form', 'fisik', 'Physical', 'Dipukul, ditendang, didorong, dilukai', 'Hit, kicked, pushed or hurt'),
    ('violence_form', 'psikis', 'Psychological', 'Dihina, diancam, ditakut-takuti, dikekang',
     'Insulted, threatened, frightened or controlled'),
    ('violence_form', 'seksual', 'Sexual', 'Disentuh, dipaksa, atau dilecehkan secara seksual',
     'Touched, forced or harassed sexually'),
    ('violence_form', 'eksploitasi', 'Exploitation', 'Dipaksa bekerja atau menghasilkan uang untuk orang lain',
     'Made to work or earn money for someone else'),
    ('violence_form', 'trafficking', 'Trafficking', 'Dibawa, dijual, atau dipindahkan dengan tipu daya atau paksaan',
     'Taken, sold or moved by deceit or force'),
    ('violence_form', 'penelantaran', 'Neglect', 'Tidak diberi makan, dirawat, atau dibiarkan sendiri',
     'Not fed, not cared for, or left alone'),
    ('violence_form', 'lainnya', 'Other', 'Hal lain yang menyakiti atau membahayakan', 'Something else that hurts or endangers'),
    ('place_type', 'rumah_tangga', 'Home', NULL, NULL),
    ('place_type', 'tempat_kerja', 'Workplace', NULL, NULL),
    ('place_type', 'sekolah', 'School', NULL, NULL),
    ('place_type', 'fasilitas_umum', 'Public place', NULL, NULL),
    ('place_type', 'lembaga_pendidikan_kilat', 'Short course or boarding school', NULL, NULL),
    ('place_type', 'lainnya', 'Other', NULL, NULL),
    ('relation', 'orang_tua', 'Parent', NULL, NULL),
    ('relation', 'keluarga', 'Family or relative', NULL, NULL),
    ('relation', 'suami_istri', 'Husband or wife', NULL, NULL),
    ('relation', 'pacar_teman', 'Partner or friend', NULL, NULL),
    ('relation', 'guru', 'Teacher', NULL, NULL),
    ('relation', 'majikan', 'Employer', NULL, NULL),
    ('relation', 'rekan_kerja', 'Colleague', NULL, NULL),
    ('relation', 'tetangga', 'Neighbour', NULL, NULL),
    ('relation', 'lainnya', 'Other', NULL, NULL),
    ('age_band', '0-5', '0-5', NULL, NULL), ('age_band', '6-12', '6-12', NULL, NULL),
    ('age_band', '13-17', '13-17', NULL, NULL), ('age_band', '18-24', '18-24', NULL, NULL),
    ('age_band', '25-44', '25-44', NULL, NULL), ('age_band', '45-59', '45-59', NULL, NULL),
    ('age_band', '60+', '60+', NULL, NULL),
    ('safe_channel', 'call', 'Phone call', NULL, NULL),
    ('safe_channel', 'sms', 'SMS', NULL, NULL),
    ('safe_channel', 'whatsapp', 'WhatsApp', NULL, NULL),
    ('safe_channel', 'in_app', 'Only in the app', NULL, NULL)
) AS v(kind, code, label_en, plain_id, plain_en)) w WHERE c.kind = w.kind AND c.code = w.code;
-- What a victim may need (the identification report's codes).
INSERT INTO category (kind, code, label_id, label_en, position) VALUES
    ('need', 'medical', 'Perawatan kesehatan', 'Medical care', 1),
    ('need', 'legal', 'Bantuan hukum', 'Legal help', 2),
    ('need', 'psychological', 'Pendampingan psikologis', 'Psychological support', 3),
    ('need', 'shelter', 'Tempat aman', 'A safe place to stay', 4),
    ('need', 'economic', 'Bantuan ekonomi', 'Economic help', 5);
UPDATE category SET label_en = label_id WHERE label_en IS NULL;
ALTER TABLE category ALTER COLUMN label_en SET NOT NULL;
