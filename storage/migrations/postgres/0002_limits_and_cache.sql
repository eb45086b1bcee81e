-- PostgreSQL twin of ../0002_limits_and_cache.sql.
CREATE TABLE quota_limits (
    guild_id           BIGINT           NOT NULL DEFAULT 0,
    user_id            BIGINT           NOT NULL DEFAULT 0,
    user_daily_seconds DOUBLE PRECISION,
    guild_daily_budget DOUBLE PRECISION,
    updated_at         DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE result_cache (
    fingerprint TEXT             PRIMARY KEY,
    job_id      BIGINT           NOT NULL REFERENCES jobs(id),
    result_path TEXT             NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL
);
ALTER TABLE jobs ADD COLUMN fingerprint TEXT;
-- Claims count a provider's and a user's leased jobs (the running caps): index what they filter on.
CREATE INDEX jobs_lease ON jobs(lease_owner, lease_expires);
