-- PostgreSQL twin of ../0011_sequence.sql.
CREATE TABLE sequence_shots (
    sequence_id BIGINT NOT NULL,
    shot INTEGER NOT NULL,
    asked_at DOUBLE PRECISION NOT NULL,
    answer TEXT,
    answered_at DOUBLE PRECISION,
    dropped_at DOUBLE PRECISION,
    refunded DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (sequence_id, shot)
);
