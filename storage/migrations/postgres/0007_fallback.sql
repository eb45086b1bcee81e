-- PostgreSQL twin of ../0007_fallback.sql.
ALTER TABLE jobs ADD COLUMN fallback_from TEXT;
ALTER TABLE jobs ADD COLUMN fallback_reason TEXT;
CREATE TABLE provider_breakers (
    provider TEXT PRIMARY KEY,
    failures BIGINT NOT NULL DEFAULT 0,
    opened_at DOUBLE PRECISION,
    open_until DOUBLE PRECISION,
    last_failure_at DOUBLE PRECISION,
    last_reason TEXT,
    updated_at DOUBLE PRECISION NOT NULL
);
