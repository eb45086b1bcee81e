-- Quota limits set by server admins.  user_id 0 is the guild's default row; guild_id 0 is global.
CREATE TABLE quota_limits (
    guild_id           INTEGER NOT NULL DEFAULT 0,
    user_id            INTEGER NOT NULL DEFAULT 0,
    user_daily_seconds REAL,
    guild_daily_budget REAL,
    updated_at         REAL    NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

-- Finished results by fingerprint of the normalised request: a repeat costs nothing.
CREATE TABLE result_cache (
    fingerprint TEXT    PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES jobs(id),
    result_path TEXT    NOT NULL,
    created_at  REAL    NOT NULL
);
ALTER TABLE jobs ADD COLUMN fingerprint TEXT;
