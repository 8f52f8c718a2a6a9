-- 009_partners: what the partner HTTP API (raia-api, docs/api.md) needs.
--
-- partner_tokens: one row per partner token. Only the SHA-256 of the token
-- is kept; the token itself is printed once by `raia partners add`. Each
-- token has its own random respondent key, so the respondent ids one
-- partner sees cannot be joined with another partner's or with an export.
--
-- sessions.feed_xid: the position of a session in the responses feed. It is
-- set (to the writing transaction's id) when the session ends, and again if
-- its outcome changes. The API serves only sessions whose feed_xid is below
-- the oldest transaction still running, so a transaction that commits later
-- can never add a row before a position already served: a cursor misses
-- nothing and repeats nothing while the writer keeps inserting.
--
-- raia_api: the role the API logs in with. It reads what partners read
-- (raia_partner), the token table, and the feed view below (which carries
-- the pseudonym, turned into a per-token id before it leaves the API), and
-- appends to the audit log. It writes nothing else.

CREATE TABLE partner_tokens (
    name           text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    token_sha256   bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    flows          text[] NOT NULL CHECK (cardinality(flows) > 0),
    scope          text NOT NULL DEFAULT 'per-token'
                   CHECK (scope IN ('per-token', 'stable-pseudonym')),
    respondent_key bytea NOT NULL CHECK (length(respondent_key) = 32),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);
GRANT SELECT, INSERT, UPDATE ON partner_tokens TO raia_gateway;

ALTER TABLE sessions ADD COLUMN feed_xid xid8;
UPDATE sessions SET feed_xid = pg_current_xact_id() WHERE outcome IS NOT NULL;

CREATE FUNCTION sessions_feed_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.outcome IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.outcome IS DISTINCT FROM OLD.outcome) THEN
        NEW.feed_xid := pg_current_xact_id();
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER sessions_feed BEFORE INSERT OR UPDATE OF outcome ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_feed_mark();
CREATE INDEX sessions_feed ON sessions (flow_id, flow_version, feed_xid, session_id)
    WHERE feed_xid IS NOT NULL;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'raia_api') THEN
        CREATE ROLE raia_api NOLOGIN;
    END IF;
END
$$;
GRANT raia_partner TO raia_api;

CREATE SCHEMA api;
COMMENT ON SCHEMA api IS 'What raia-api reads beyond the partner views';
CREATE VIEW api.feed AS
    SELECT session_id, pseudonym, flow_id, flow_version, language, channel, operator,
           (started_at AT TIME ZONE 'UTC')::date AS started_on,
           (ended_at AT TIME ZONE 'UTC')::date AS ended_on,
           outcome, feed_xid
    FROM public.sessions
    WHERE feed_xid IS NOT NULL;
GRANT USAGE ON SCHEMA api TO raia_api;
GRANT SELECT ON api.feed TO raia_api;
GRANT USAGE ON SCHEMA public TO raia_api;
GRANT SELECT ON partner_tokens TO raia_api;
GRANT INSERT ON audit_log TO raia_api;
GRANT USAGE ON SEQUENCE audit_log_audit_id_seq TO raia_api;
