-- 010_erasures: what a citizen erased from their own phone (the "my data"
-- USSD menu, docs/privacy.md). The gateway puts an 'erase' event into the
-- answer stream behind everything that person said before, and the writer
-- (sql/write_batch.sql) deletes their sessions and answers (of one flow, or
-- all) that began before `erased_at`. The row stays so that an event of an
-- erased session that reaches PostgreSQL late (claimed from a crashed
-- writer's pending list) is dropped too, never stored again. Withdrawing
-- from one flow also opens an opt-out for it (005_opt_outs.sql).
CREATE TABLE erasures (
    stream_id text PRIMARY KEY, -- the erase event's stream entry: a replay adds nothing
    pseudonym text NOT NULL CHECK (pseudonym ~ '^[0-9a-f]{64}$'),
    flow_id   text,             -- NULL: every flow
    erased_at timestamptz NOT NULL
);
CREATE INDEX erasures_pseudonym ON erasures (pseudonym);
GRANT SELECT, INSERT ON erasures TO raia_gateway;
GRANT SELECT ON opt_outs TO raia_gateway;
