-- Placeholder for a migration of another branch (this branch's own is 0008): the lead renumbers at merge.
SELECT 1;
