-- 007_flows: the registry of every flow definition the gateway has run,
-- exactly as loaded (its file text and SHA-256), so that any answer can be
-- read against the question, choices and consent text that produced it.
-- The gateway adds its flows at start through the answer stream; sessions
-- point here with (flow_id, flow_version, flow_checksum).
CREATE TABLE flows (
    flow_id       text NOT NULL,
    flow_version  integer NOT NULL CHECK (flow_version > 0),
    flow_checksum text NOT NULL CHECK (flow_checksum ~ '^[0-9a-f]{64}$'),
    title         text NOT NULL,
    definition    text NOT NULL,
    first_seen_at timestamptz NOT NULL,
    PRIMARY KEY (flow_id, flow_version, flow_checksum)
);
GRANT SELECT, INSERT ON flows TO raia_gateway;

-- Questionnaires are public documentation: partners read them whole.
CREATE VIEW partner.flows AS
    SELECT flow_id, flow_version, flow_checksum, title, definition,
           (first_seen_at AT TIME ZONE 'UTC')::date AS first_seen_on
    FROM public.flows;
GRANT SELECT ON partner.flows TO raia_partner;
