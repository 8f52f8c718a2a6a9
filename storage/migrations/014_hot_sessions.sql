-- 014_hot_sessions: a session row updated by a later event of the same
-- session (an answer moves last_seen_at) without touching its indexes.
--
-- PostgreSQL can update a row in place ("heap-only tuple", HOT) only when
-- no indexed column changes and the page has room. Every event moved
-- last_seen_at, the key of sessions_open, so every answer rewrote all five
-- session indexes. The sweep (sql/sweep_timeouts.sql) only needs the set of
-- open sessions: the partial index now keys them by started_at, which never
-- changes, and last_seen_at is filtered on the few open rows it returns.
DROP INDEX sessions_open;
CREATE INDEX sessions_open ON sessions (started_at) WHERE outcome IS NULL;

-- The feed mark ran its PL/pgSQL function on every update, since the
-- writer's upsert names outcome in every SET; the WHEN conditions below
-- skip the call unless the outcome really changes.
DROP TRIGGER sessions_feed ON sessions;
CREATE TRIGGER sessions_feed_insert BEFORE INSERT ON sessions
    FOR EACH ROW WHEN (NEW.outcome IS NOT NULL)
    EXECUTE FUNCTION sessions_feed_mark();
CREATE TRIGGER sessions_feed_update BEFORE UPDATE OF outcome ON sessions
    FOR EACH ROW WHEN (NEW.outcome IS NOT NULL AND NEW.outcome IS DISTINCT FROM OLD.outcome)
    EXECUTE FUNCTION sessions_feed_mark();
