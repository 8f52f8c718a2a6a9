-- 006_flow_checksum: which exact flow file a session ran (SHA-256 of its
-- bytes, as `raia flows check` loads it). Two files with the same id and
-- version but different checksums mean a flow was edited without raising
-- its version: the checksum keeps such sessions apart.
ALTER TABLE sessions ADD COLUMN flow_checksum text CHECK (flow_checksum ~ '^[0-9a-f]{64}$');
CREATE OR REPLACE VIEW partner.sessions AS
    SELECT session_id, flow_id, flow_version, consent_version, channel, operator, language,
           (started_at AT TIME ZONE 'UTC')::date AS started_on,
           (ended_at AT TIME ZONE 'UTC')::date AS ended_on,
           outcome, flow_checksum
    FROM public.sessions;
