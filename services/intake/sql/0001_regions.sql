-- Regions of Kabupaten Tasikmalaya (Kemendagri codes), used to validate
-- report locations. Seed data: correct it here, in a new migration.
CREATE TABLE region (
    code        text PRIMARY KEY,           -- 32.06.xx or 32.06.xx.xxxx
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('kabupaten', 'kecamatan', 'desa')),
    parent_code text REFERENCES region (code)
);

INSERT INTO region (code, name, level, parent_code) VALUES ('32.06', 'Kabupaten Tasikmalaya', 'kabupaten', NULL);
INSERT INTO region (code, name, level, parent_code)
SELECT '32.06.' || lpad(n::text, 2, '0'), name, 'kecamatan', '32.06'
FROM unnest(ARRAY[
    'Cipatujah', 'Karangnunggal', 'Cikalong', 'Pancatengah', 'Cikatomas', 'Cibalong', 'Parungponteng',
    'Bantarkalong', 'Bojongasih', 'Culamega', 'Bojonggambir', 'Sodonghilir', 'Taraju', 'Salawu', 'Puspahiang',
    'Tanjungjaya', 'Sukaraja', 'Salopa', 'Jatiwaras', 'Cineam', 'Karangjaya', 'Manonjaya', 'Gunungtanjung',
    'Singaparna', 'Mangunreja', 'Sukarame', 'Cigalontang', 'Leuwisari', 'Padakembang', 'Sariwangi', 'Sukaratu',
    'Cisayong', 'Sukahening', 'Rajapolah', 'Jamanis', 'Ciawi', 'Kadipaten', 'Pagerageung', 'Sukaresik'
]) WITH ORDINALITY AS k(name, n);
