-- The directory of agencies cases are referred to. Seed data.
CREATE TABLE agency (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL
);

INSERT INTO agency (code, name, kind) VALUES
    ('uptd_ppa', 'UPTD PPA Kabupaten Tasikmalaya', 'uptd_ppa'),
    ('puspaga', 'Puspaga Kabupaten Tasikmalaya', 'puspaga');
