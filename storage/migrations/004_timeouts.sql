-- 004_timeouts: a session that stops getting turns (a dropped USSD dialogue,
-- an SMS conversation abandoned) ends as 'timed_out' once its state has
-- expired in Redis: last_seen_at + ttl_s, plus a minute of margin. The writer
-- marks such sessions with each batch it writes (sql/write_batch.sql); an
-- event of the session that arrives later (a writer backlog) wins over the
-- mark.
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz, ADD COLUMN ttl_s integer;
UPDATE sessions SET last_seen_at = COALESCE(ended_at, started_at);
ALTER TABLE sessions ALTER COLUMN last_seen_at SET NOT NULL;
CREATE INDEX sessions_open ON sessions (last_seen_at) WHERE outcome IS NULL;
