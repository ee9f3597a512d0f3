-- Issue #10: a patrol position is the phone's fix (GPS) or a pin the walker
-- set by hand on the map (manual). Only GPS positions make the patrolled
-- track (its length, and coverage); manual pins are kept and shown apart.
ALTER TABLE patrol_points ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patrols ADD COLUMN manual_points INTEGER NOT NULL DEFAULT 0;
