-- Sound: whether a job's result has a sound track (1), is silent (0) or was made before this was recorded
-- (NULL); written when the result is made.  The 🔊 Add sound button, the result pages' "with sound" and the
-- gallery's sound filter read it.
ALTER TABLE jobs ADD COLUMN result_audio INTEGER;
