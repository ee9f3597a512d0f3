-- Issue #11: the staff's notes on case events (note and data) are sealed
-- at rest like the case's free texts. seal_key is the id of the data key
-- an event is sealed under ('' = written in clear before this migration, or
-- by a store without keys); the re-seal job seals those rows and re-seals
-- the rows under older keys after a rotation.
ALTER TABLE events ADD COLUMN seal_key TEXT NOT NULL DEFAULT '';
CREATE INDEX events_seal ON events(seal_key, id);
