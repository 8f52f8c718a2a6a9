-- 005_opt_outs: STOP is a standing opt-out, per person (pseudonym) and flow,
-- until the person consents to that flow again (lifted_at). Whatever sends
-- messages on its own initiative (reminders, results fed back) must skip a
-- pseudonym with an open opt-out. Written by the writer from the answer
-- stream (sql/write_batch.sql); erased with the person by `raia forget`.
CREATE TABLE opt_outs (
    pseudonym    text NOT NULL CHECK (pseudonym ~ '^[0-9a-f]{64}$'),
    flow_id      text NOT NULL,
    opted_out_at timestamptz NOT NULL,
    lifted_at    timestamptz,
    PRIMARY KEY (pseudonym, flow_id)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON opt_outs TO raia_gateway;
