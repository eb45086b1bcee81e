-- Placeholder for migration 0006, which another branch adds (the fallback branch was given 0007):
-- it keeps the numbers contiguous on this branch.  Drop this file when merging with the real 0006.
SELECT 1;
