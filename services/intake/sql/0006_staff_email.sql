-- Where staff alerts go (notification asks intake for it at send time).
ALTER TABLE staff ADD COLUMN email text CHECK (email ~ '^[^@\s]+@[^@\s]+$');
