-- Result pages and the gallery: who asked (display name only, shown on the page), when a result was
-- removed (❌; its pages then answer 410), the result's frame size and length (player and unfurl tags),
-- and an index for the gallery's keyset pages (newest first per server).
ALTER TABLE jobs ADD COLUMN owner_name TEXT;
ALTER TABLE jobs ADD COLUMN removed_at REAL;
ALTER TABLE jobs ADD COLUMN result_width INTEGER;
ALTER TABLE jobs ADD COLUMN result_height INTEGER;
ALTER TABLE jobs ADD COLUMN result_seconds REAL;
CREATE INDEX jobs_gallery ON jobs(guild_id, state, created_at, id);
CREATE INDEX jobs_parent ON jobs(parent_job_id);
