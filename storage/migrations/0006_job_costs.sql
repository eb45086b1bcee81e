-- Money per job: the estimate reserved when the job is created (re-priced when a provider task is created for
-- another model), the provider's own figure at the end, and what was spent once settled.  ``unit`` says what
-- ``*_units`` count: credits (Runway), GPU s (Replicate hardware seconds), output s, videos.
CREATE TABLE job_costs (
    job_id         INTEGER PRIMARY KEY REFERENCES jobs(id),
    user_id        INTEGER NOT NULL,
    guild_id       INTEGER,
    model          TEXT    NOT NULL,
    unit           TEXT    NOT NULL,
    reserved_units REAL    NOT NULL DEFAULT 0,
    reserved_usd   REAL    NOT NULL DEFAULT 0,
    actual_units   REAL,                             -- the provider's own figure (NULL: not reported yet)
    actual_usd     REAL,
    earlier_usd    REAL    NOT NULL DEFAULT 0,       -- billed for earlier tasks of the job (before a fallback)
    spent_units    REAL,                             -- set when settled
    spent_usd      REAL,
    state          TEXT    NOT NULL,                 -- reserved | settled | cached (a cache hit: what it saved)
    created_at     REAL    NOT NULL,
    settled_at     REAL
);
CREATE INDEX job_costs_guild ON job_costs(guild_id, created_at);
CREATE INDEX job_costs_created ON job_costs(created_at);

-- A server's spend cap in US dollars per calendar month (UTC); no row: no cap.
CREATE TABLE spend_caps (
    guild_id    INTEGER PRIMARY KEY,
    monthly_usd REAL    NOT NULL,
    updated_at  REAL    NOT NULL
);
