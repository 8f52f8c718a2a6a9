-- 002_audit: a record of every operation on people's data (erasure,
-- retention purges). Details hold counts and parameters only: never a phone
-- number or a pseudonym, so the log cannot re-identify an erased person.
CREATE TABLE audit_log (
    audit_id bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,   -- the operating-system user who ran the command
    action   text NOT NULL,   -- forget | purge
    detail   jsonb NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
