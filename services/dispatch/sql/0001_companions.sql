-- Companions (pendamping) and their last known position (PostGIS).
CREATE TABLE companion (
    id          text PRIMARY KEY,           -- the staff id from intake
    badge       text NOT NULL UNIQUE,
    on_duty     boolean NOT NULL DEFAULT false,
    position    public.geography(Point, 4326),
    position_at timestamptz
);
CREATE INDEX companion_position ON companion USING gist (position);
