-- Jobs: one row per requested clip, written before every step so a restart can resume it.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind             TEXT    NOT NULL,               -- generate | extend | reroll
    state            TEXT    NOT NULL,               -- see storage.models.JobState
    owner_id         INTEGER NOT NULL,
    guild_id         INTEGER,
    channel_id       INTEGER,
    model            TEXT    NOT NULL,               -- provider:model
    spec_json        TEXT    NOT NULL,               -- the prompt parts
    inputs_json      TEXT    NOT NULL DEFAULT '{}',  -- image/video paths, extend mode
    delivery_json    TEXT    NOT NULL DEFAULT '{}',  -- where the result goes
    parent_job_id    INTEGER REFERENCES jobs(id),
    provider_task_id TEXT,
    progress         REAL    NOT NULL DEFAULT 0,
    cost_seconds     REAL    NOT NULL DEFAULT 0,
    raw_path         TEXT,
    result_path      TEXT,
    result_url       TEXT,
    error            TEXT,
    error_detail     TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    message_id       INTEGER,
    delivered_at     REAL,
    lease_owner      TEXT,
    lease_expires    REAL,
    next_attempt_at  REAL,
    created_at       REAL    NOT NULL,
    updated_at       REAL    NOT NULL,
    started_at       REAL,
    finished_at      REAL
);
CREATE INDEX jobs_state ON jobs(state, id);
CREATE INDEX jobs_owner ON jobs(owner_id, id);

-- Quota ledger: a reservation per charged job; committed on success, refunded on failure.
CREATE TABLE quota_ledger (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id     INTEGER NOT NULL UNIQUE REFERENCES jobs(id),
    user_id    INTEGER NOT NULL,
    guild_id   INTEGER,
    seconds    REAL    NOT NULL,
    state      TEXT    NOT NULL,                     -- reserved | committed | refunded
    created_at REAL    NOT NULL,
    settled_at REAL
);
CREATE INDEX ledger_user ON quota_ledger(user_id, created_at);
CREATE INDEX ledger_guild ON quota_ledger(guild_id, created_at);
