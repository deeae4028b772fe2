-- Suggestions use the planar index of 0003; the partial geography index of
-- 0002 only slowed every position update. The full geography index of
-- 0001 stays for queries by true distance.
DROP INDEX companion_on_duty_position;
