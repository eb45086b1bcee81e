-- PostgreSQL twin of ../0006_job_costs.sql.
CREATE TABLE job_costs (
    job_id         BIGINT           PRIMARY KEY REFERENCES jobs(id),
    user_id        BIGINT           NOT NULL,
    guild_id       BIGINT,
    model          TEXT             NOT NULL,
    unit           TEXT             NOT NULL,
    reserved_units DOUBLE PRECISION NOT NULL DEFAULT 0,
    reserved_usd   DOUBLE PRECISION NOT NULL DEFAULT 0,
    actual_units   DOUBLE PRECISION,
    actual_usd     DOUBLE PRECISION,
    earlier_usd    DOUBLE PRECISION NOT NULL DEFAULT 0,
    spent_units    DOUBLE PRECISION,
    spent_usd      DOUBLE PRECISION,
    state          TEXT             NOT NULL,
    created_at     DOUBLE PRECISION NOT NULL,
    settled_at     DOUBLE PRECISION
);
CREATE INDEX job_costs_guild ON job_costs(guild_id, created_at);
CREATE INDEX job_costs_created ON job_costs(created_at);

CREATE TABLE spend_caps (
    guild_id    BIGINT           PRIMARY KEY,
    monthly_usd DOUBLE PRECISION NOT NULL,
    updated_at  DOUBLE PRECISION NOT NULL
);
