-- Placeholder for migration 0007, which another branch adds: this branch's migration is 0009.  The lead drops
-- this file at merge (it does nothing).
SELECT 1;
