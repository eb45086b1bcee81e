-- PostgreSQL twin of ../0006_reserved.sql (a placeholder; drop it when merging with the real 0006).
SELECT 1;
