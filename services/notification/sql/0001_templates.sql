-- Message templates, kept as data: Bahasa Indonesia first, English second.
-- Texts to reporters are short and neutral and never name the case.
CREATE TABLE template (
    code        text NOT NULL,
    locale      text NOT NULL CHECK (locale IN ('id', 'en')),
    audience    text NOT NULL CHECK (audience IN ('reporter', 'staff')),
    body        text NOT NULL,
    PRIMARY KEY (code, locale)
);

INSERT INTO template (code, locale, audience, body) VALUES
    ('otp', 'id', 'reporter', 'Kode Anda: {code}. Berlaku 5 menit. Jangan berikan kode ini kepada siapa pun.'),
    ('otp', 'en', 'reporter', 'Your code: {code}. Valid for 5 minutes. Do not share it with anyone.');
