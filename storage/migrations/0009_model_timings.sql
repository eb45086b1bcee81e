-- How long each model's provider tasks take (task created -> the provider reports it finished), learned from
-- the jobs done: an exponentially weighted mean and mean absolute deviation (as TCP estimates round trips),
-- the number of samples and the last one.  The poll schedule sleeps until just before the expected finish.
CREATE TABLE model_timings (
    model TEXT PRIMARY KEY,
    samples INTEGER NOT NULL,
    mean_seconds REAL NOT NULL,
    spread_seconds REAL NOT NULL,
    last_seconds REAL NOT NULL,
    updated_at REAL NOT NULL
);
