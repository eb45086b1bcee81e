-- Push (webhooks): when a provider's completion call for this job last arrived.  A worker napping between
-- polls in another process notices the change and polls at once.
ALTER TABLE jobs ADD COLUMN pushed_at REAL;
