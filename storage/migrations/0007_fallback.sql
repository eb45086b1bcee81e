-- Fallback when a provider is down: a job remembers the model it was asked for (fallback_from) and why it
-- moved (fallback_reason, shown to the user), and each provider has a circuit breaker that every process
-- sees: consecutive provider-side failures, and until when new jobs skip it (open_until).
ALTER TABLE jobs ADD COLUMN fallback_from TEXT;
ALTER TABLE jobs ADD COLUMN fallback_reason TEXT;
CREATE TABLE provider_breakers (
    provider TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    opened_at REAL,
    open_until REAL,
    last_failure_at REAL,
    last_reason TEXT,
    updated_at REAL NOT NULL
);
