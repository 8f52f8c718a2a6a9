-- 003_roles: least privilege. Two group roles; a DBA grants them to login
-- users (docs/privacy.md):
--   raia_gateway  the gateway and the `raia` CLI: reads and writes the data
--                 tables, appends to the audit log, cannot read partner views
--   raia_partner  partners: read the views in schema `partner` only; no
--                 pseudonym, dates to the day, nothing writable
-- The roles are cluster-wide, so they are created only when missing (this
-- needs CREATEROLE once; a DBA may create them beforehand instead).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'raia_gateway') THEN
        CREATE ROLE raia_gateway NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'raia_partner') THEN
        CREATE ROLE raia_partner NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO raia_gateway;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions, answers, consent_refusals TO raia_gateway;
GRANT INSERT ON audit_log TO raia_gateway;
GRANT SELECT ON schema_migrations TO raia_gateway;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO raia_gateway;

CREATE SCHEMA partner;
COMMENT ON SCHEMA partner IS 'What data partners may read: pseudonym-free, day precision';

CREATE VIEW partner.sessions AS
    SELECT session_id, flow_id, flow_version, consent_version, channel, operator, language,
           (started_at AT TIME ZONE 'UTC')::date AS started_on,
           (ended_at AT TIME ZONE 'UTC')::date AS ended_on,
           outcome
    FROM public.sessions;

-- Free text can name people and places: it is withheld here (value NULL,
-- free_text_withheld true); an export that is allowed free text reads it
-- with the gateway's role.
CREATE VIEW partner.answers AS
    SELECT a.session_id, a.question_id, a.code,
           CASE WHEN a.code IS NOT NULL OR a.value ~ '^[+-]?[0-9]+$' THEN a.value END AS value,
           a.code IS NULL AND a.value !~ '^[+-]?[0-9]+$' AS free_text_withheld,
           (a.answered_at AT TIME ZONE 'UTC')::date AS answered_on
    FROM public.answers a;

CREATE VIEW partner.consent_refusals AS
    SELECT flow_id, flow_version, consent_version, channel, operator, refused_on,
           count(*) AS refusals
    FROM public.consent_refusals
    GROUP BY flow_id, flow_version, consent_version, channel, operator, refused_on;

GRANT USAGE ON SCHEMA partner TO raia_partner;
GRANT SELECT ON ALL TABLES IN SCHEMA partner TO raia_partner;
REVOKE ALL ON SCHEMA partner FROM raia_gateway;
