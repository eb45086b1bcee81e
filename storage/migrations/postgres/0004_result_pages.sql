-- PostgreSQL twin of ../0004_result_pages.sql.
ALTER TABLE jobs ADD COLUMN owner_name TEXT;
ALTER TABLE jobs ADD COLUMN removed_at DOUBLE PRECISION;
ALTER TABLE jobs ADD COLUMN result_width BIGINT;
ALTER TABLE jobs ADD COLUMN result_height BIGINT;
ALTER TABLE jobs ADD COLUMN result_seconds DOUBLE PRECISION;
CREATE INDEX jobs_gallery ON jobs(guild_id, state, created_at, id);
CREATE INDEX jobs_parent ON jobs(parent_job_id);
