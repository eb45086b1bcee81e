-- PostgreSQL twin of ../0005_presets.sql.
CREATE TABLE presets (
    user_id BIGINT NOT NULL,
    guild_id BIGINT NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (user_id, guild_id, name)
);
