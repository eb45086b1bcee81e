-- PostgreSQL twin of ../0009_model_timings.sql.
CREATE TABLE model_timings (
    model TEXT PRIMARY KEY,
    samples INTEGER NOT NULL,
    mean_seconds DOUBLE PRECISION NOT NULL,
    spread_seconds DOUBLE PRECISION NOT NULL,
    last_seconds DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
