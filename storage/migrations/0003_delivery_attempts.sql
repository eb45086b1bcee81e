-- Delivery retries get their own counter: a job that needed download retries keeps its full delivery budget.
ALTER TABLE jobs ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
