-- /sequence: a film is a parent job (kind 'sequence') whose shots are child jobs (kind 'shot', parent_job_id
-- the film, inputs_json "shot": n).  The film holds the one quota reservation for every shot; this table holds
-- what happened to a shot that failed after its fallback and its one retry: when the member was asked, the
-- answer ('finish' without it, 'cancel' the rest, 'timeout'), and the seconds given back for it (once).
CREATE TABLE sequence_shots (
    sequence_id INTEGER NOT NULL,
    shot INTEGER NOT NULL,
    asked_at REAL NOT NULL,
    answer TEXT,
    answered_at REAL,
    dropped_at REAL,
    refunded REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (sequence_id, shot)
);
