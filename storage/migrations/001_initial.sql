-- 001_initial: the tables partners read (documented in docs/storage.md).
-- No column holds a phone number: a person appears only as the pseudonym,
-- HMAC-SHA256 under a key that never leaves the gateway.

CREATE TABLE sessions (
    session_id      text PRIMARY KEY CHECK (session_id ~ '^[0-9a-f]{32}$'),
    pseudonym       text NOT NULL CHECK (pseudonym ~ '^[0-9a-f]{64}$'),
    flow_id         text NOT NULL,
    flow_version    integer NOT NULL CHECK (flow_version > 0),
    consent_version text NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('ussd', 'sms')),
    operator        text NOT NULL,
    language        text NOT NULL,
    started_at      timestamptz NOT NULL,
    ended_at        timestamptz,
    outcome         text CHECK (outcome IN ('completed', 'abandoned', 'stopped', 'timed_out'))
);
CREATE INDEX sessions_flow_started ON sessions (flow_id, flow_version, started_at);
CREATE INDEX sessions_pseudonym ON sessions (pseudonym);

CREATE TABLE answers (
    answer_id   bigserial PRIMARY KEY,
    stream_id   text NOT NULL UNIQUE,  -- Redis stream entry id: replays insert nothing twice
    session_id  text NOT NULL REFERENCES sessions (session_id),
    question_id text NOT NULL,
    code        text,                  -- choice code; NULL for numbers and text
    value       text,                  -- number or text as typed; the label for a choice
    answered_at timestamptz NOT NULL,
    CHECK (code IS NOT NULL OR value IS NOT NULL)
);
CREATE INDEX answers_session ON answers (session_id);
CREATE INDEX answers_question ON answers (question_id, answered_at);

-- A refusal keeps nothing about the person: no pseudonym, day precision only.
CREATE TABLE consent_refusals (
    refusal_id      bigserial PRIMARY KEY,
    stream_id       text NOT NULL UNIQUE,
    flow_id         text NOT NULL,
    flow_version    integer NOT NULL,
    consent_version text NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('ussd', 'sms')),
    operator        text NOT NULL,
    refused_on      date NOT NULL
);
