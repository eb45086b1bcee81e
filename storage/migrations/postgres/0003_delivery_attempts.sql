-- PostgreSQL twin of ../0003_delivery_attempts.sql.
ALTER TABLE jobs ADD COLUMN delivery_attempts BIGINT NOT NULL DEFAULT 0;
