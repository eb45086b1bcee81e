-- Push safety net: when a job's result was found by a poll although its provider was to call back (push on)
-- and no completion call had come.  /admin status counts them: many mean the calls do not reach /hooks/.
ALTER TABLE jobs ADD COLUMN push_missed_at REAL;
