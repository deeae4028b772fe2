-- The code lists in the reporter's words (issue 22 §5; apps review 12, 10):
-- Sundanese labels and plain descriptions beside the Indonesian and English
-- ones, and plain Indonesian for the official categories that read as
-- bureaucratic ("Perdagangan orang", not "Trafficking"; "Pesantren /
-- asrama" for what the category means in Tasikmalaya; "Rumah", not "Rumah
-- Tangga"). The codes (SIMFONI's) do not change. The Sundanese is in the
-- polite register (lemes) and awaits a native reviewer at the office, who
-- corrects a word with one UPDATE on intake.category and a restart of
-- intake, no build (README, "The catalogue's words").
ALTER TABLE category ADD COLUMN label_su text, ADD COLUMN plain_su text;
UPDATE category c SET label_su = w.label_su, plain_su = w.plain_su FROM (VALUES
    ('violence_form', 'fisik', 'Fisik', 'Digebugan, ditajong, didorong, atawa dilukaan'),
    ('violence_form', 'psikis', 'Psikis', 'Dihina, diancam, dipikasieun, atawa dikekang'),
    ('violence_form', 'seksual', 'Seksual', 'Dirampa, dipaksa, atawa dilecehkeun sacara seksual'),
    ('violence_form', 'eksploitasi', 'Eksploitasi', 'Dipaksa damel atawa milarian artos kanggo batur'),
    ('violence_form', 'trafficking', 'Perdagangan jalma', 'Dibawa, dijual, atawa dipindahkeun ku cara ditipu atawa dipaksa'),
    ('violence_form', 'penelantaran', 'Ditelantarkeun', 'Henteu dipasihan tuang, henteu dirawat, atawa ditilar nyalira'),
    ('violence_form', 'lainnya', 'Sanésna', 'Hal sanés anu nganyenyeri atawa ngabahayakeun'),
    ('place_type', 'rumah_tangga', 'Bumi', NULL),
    ('place_type', 'tempat_kerja', 'Tempat damel', NULL),
    ('place_type', 'sekolah', 'Sakola', NULL),
    ('place_type', 'fasilitas_umum', 'Tempat umum', NULL),
    ('place_type', 'lembaga_pendidikan_kilat', 'Pasantrén / asrama', NULL),
    ('place_type', 'lainnya', 'Sanésna', NULL),
    ('relation', 'orang_tua', 'Sepuh (bapa atawa ibu)', NULL),
    ('relation', 'keluarga', 'Kulawarga atawa dulur', NULL),
    ('relation', 'suami_istri', 'Carogé atawa istri', NULL),
    ('relation', 'pacar_teman', 'Kabogoh atawa réréncangan', NULL),
    ('relation', 'guru', 'Guru', NULL),
    ('relation', 'majikan', 'Dunungan', NULL),
    ('relation', 'rekan_kerja', 'Rerencangan damel', NULL),
    ('relation', 'tetangga', 'Tatangga', NULL),
    ('relation', 'lainnya', 'Sanésna', NULL),
    ('safe_channel', 'call', 'Ditelepon', NULL),
    ('safe_channel', 'sms', 'SMS', NULL),
    ('safe_channel', 'whatsapp', 'WhatsApp', NULL),
    ('safe_channel', 'in_app', 'Ngan dina aplikasi', NULL),
    ('need', 'medical', 'Perawatan kaséhatan', NULL),
    ('need', 'legal', 'Bantuan hukum', NULL),
    ('need', 'psychological', 'Pendampingan psikologis', NULL),
    ('need', 'shelter', 'Tempat anu aman', NULL),
    ('need', 'economic', 'Bantuan ékonomi', NULL)
) AS w(kind, code, label_su, plain_su) WHERE c.kind = w.kind AND c.code = w.code;
UPDATE category SET label_su = label_id WHERE label_su IS NULL; -- the age bands: numbers
ALTER TABLE category ALTER COLUMN label_su SET NOT NULL;
UPDATE category SET label_id = 'Perdagangan orang' WHERE kind = 'violence_form' AND code = 'trafficking';
UPDATE category SET label_id = 'Penelantaran' WHERE kind = 'violence_form' AND code = 'penelantaran';
UPDATE category SET label_id = 'Rumah' WHERE kind = 'place_type' AND code = 'rumah_tangga';
UPDATE category SET label_id = 'Pesantren / asrama', label_en = 'Islamic boarding school or dormitory'
    WHERE kind = 'place_type' AND code = 'lembaga_pendidikan_kilat';
