-- Security review N4: a code is also bound to the request that asked for
-- it (a random id only the asking app holds), so that the app can verify
-- it from another address (mobile data changes it) with its own tries,
-- whatever strangers guessed from elsewhere.
ALTER TABLE otp ADD COLUMN request_index text;
CREATE INDEX otp_request_index ON otp (request_index) WHERE request_index IS NOT NULL;
