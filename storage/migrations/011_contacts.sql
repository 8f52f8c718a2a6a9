-- 011_contacts: the people who asked to hear back, and what was sent to them
-- (docs/broadcast.md, docs/privacy.md).
--
-- contacts: per person (pseudonym) and flow, their latest decision about
-- being texted the results. `sealed` is their number, for a "yes" to the
-- flow's contact question (flows.md, `contact: true`), under AES-256-GCM with
-- the contact key (privacy.contact_key_file), bound to (project, pseudonym,
-- flow): without that key it is not a phone number, and moved to another row
-- it does not open. A later "no" or a STOP sets it NULL (the row stays, with
-- no number, so that a delayed copy of the earlier "yes" cannot restore it);
-- a withdrawal or erasure deletes the row. Written by the writer
-- (sql/write_batch.sql); `raia forget` and `raia purge` delete rows too.
CREATE TABLE contacts (
    pseudonym  text NOT NULL CHECK (pseudonym ~ '^[0-9a-f]{64}$'),
    flow_id    text NOT NULL,
    operator   text NOT NULL, -- the operator whose network the number was reached on
    sealed     text CHECK (sealed ~ '^v1:[A-Za-z0-9+/=]+$'), -- NULL: declined or stopped
    created_at timestamptz NOT NULL, -- when that decision was made
    PRIMARY KEY (pseudonym, flow_id)
);
CREATE INDEX contacts_flow ON contacts (flow_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON contacts TO raia_gateway;

-- broadcasts: every `raia broadcast` that queued messages: the text (as
-- written by the operator from published, suppressed tables), its SHA-256,
-- how many people it was queued for, who ran it. No recipient is listed.
CREATE TABLE broadcasts (
    broadcast_id   bigserial PRIMARY KEY,
    flow_id        text NOT NULL,
    message_sha256 bytea NOT NULL CHECK (length(message_sha256) = 32),
    message        text NOT NULL,
    recipients     integer NOT NULL CHECK (recipients >= 0),
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON broadcasts TO raia_gateway;
GRANT USAGE ON SEQUENCE broadcasts_broadcast_id_seq TO raia_gateway;
