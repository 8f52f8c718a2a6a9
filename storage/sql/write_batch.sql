-- write_batch: stores one batch of answer-stream entries in one statement,
-- so the batch lands whole or not at all.
-- $1-$25: the batch by column, one array each, an element per stream entry
-- (storage/batch_params.c fills them, in the binary format, from the event
-- documents that storage/store_event.c writes): $1 the stream entry id,
-- the others the documents' fields of the same names ("at" as at_ms), NULL
-- where a document has none. Returns the entries seen.
-- Rerunning a batch changes nothing: answers and refusals are unique by
-- stream id, and a session row only ever gains an outcome (a 'timed_out'
-- mark excepted: a later event of that session replaces it).
-- A session ends with an end event, or with its last answer when that
-- completed it (the answer then carries the outcome).
-- STOP opens a standing opt-out (005_opt_outs.sql); flow events fill the
-- flows registry (007_flows.sql); receipts go to message_receipts
-- (008_receipts.sql); erase events delete a person's earlier sessions
-- (010_erasures.sql).
-- Sessions whose Redis state expired are marked 'timed_out' apart, by
-- sweep_timeouts.sql.
-- Times travel as Unix milliseconds and become timestamps by float8
-- division (x / 1000::float8): the same value as numeric division, since a
-- millisecond count is exact in a float8 and the quotient correctly rounded,
-- at 3.5 % less of the statement (bench/sql-ab, docs/performance.md).
-- The arrays are unnested in select lists, not in FROM: unnest(a, b, ...)
-- in FROM first copies each array into a tuplestore of its own, where in
-- a select list the elements stream out row by row (bench/sql-ab,
-- docs/performance.md). `batch` has the few columns the erasures need;
-- `entries` has them all and is stored once for its seven readers.
WITH batch AS (
    SELECT unnest($1::text[]) AS stream_id, unnest($2::text[]) AS kind,
           unnest($3::bigint[]) AS at_ms, unnest($4::text[]) AS flow,
           unnest($11::text[]) AS pseudonym
),
-- A citizen's erasure (010_erasures.sql): of one flow, or all (flow null),
-- of the sessions that began before it. Those in this batch, and any that
-- an earlier erasure covers, are not stored; those already stored are
-- deleted below.
new_erasures AS (
    SELECT stream_id, pseudonym, flow AS flow_id,
           to_timestamp(at_ms / 1000::float8) AS erased_at
    FROM batch
    WHERE kind = 'erase'
),
all_erasures AS (
    SELECT pseudonym, flow_id, erased_at FROM new_erasures
    UNION ALL
    SELECT pseudonym, flow_id, erased_at FROM erasures
    WHERE pseudonym IN (SELECT pseudonym FROM batch)
),
entries AS (
    SELECT * FROM (
        SELECT unnest($1::text[]) AS stream_id,
               unnest($2::text[]) AS kind,
               unnest($3::bigint[]) AS at_ms,
               unnest($4::text[]) AS flow,
               unnest($5::integer[]) AS flow_version,
               unnest($6::text[]) AS flow_checksum,
               unnest($7::text[]) AS consent_version,
               unnest($8::text[]) AS channel,
               unnest($9::text[]) AS operator,
               unnest($10::text[]) AS session,
               unnest($11::text[]) AS pseudonym,
               unnest($12::text[]) AS language,
               unnest($13::bigint[]) AS started,
               unnest($14::integer[]) AS ttl,
               unnest($15::text[]) AS question,
               unnest($16::text[]) AS code,
               unnest($17::text[]) AS value,
               unnest($18::integer[]) AS attempts,
               unnest($19::text[]) AS outcome,
               unnest($20::text[]) AS message_id,
               unnest($21::text[]) AS state,
               unnest($22::boolean[]) AS final,
               unnest($23::text[]) AS sealed,
               unnest($24::text[]) AS title,
               unnest($25::text[]) AS definition
    ) b
    WHERE kind <> 'erase'
      AND NOT EXISTS (SELECT FROM all_erasures r
                      WHERE r.pseudonym = b.pseudonym
                        AND (r.flow_id IS NULL OR r.flow_id = b.flow)
                        AND to_timestamp(b.started / 1000::float8) < r.erased_at)
),
erased_sessions AS (
    SELECT s.session_id, r.stream_id AS erasure
    FROM sessions s JOIN new_erasures r ON s.pseudonym = r.pseudonym
    WHERE (r.flow_id IS NULL OR s.flow_id = r.flow_id) AND s.started_at < r.erased_at
),
erased_answers AS (
    DELETE FROM answers WHERE session_id IN (SELECT session_id FROM erased_sessions)
    RETURNING 1
),
deleted_sessions AS (
    DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM erased_sessions)
    RETURNING 1
),
recorded_erasures AS (
    INSERT INTO erasures (stream_id, pseudonym, flow_id, erased_at)
    SELECT stream_id, pseudonym, flow_id, erased_at FROM new_erasures
    ON CONFLICT (stream_id) DO NOTHING
    RETURNING stream_id, flow_id
),
-- Withdrawing from one flow is also a standing opt-out from it.
withdrawn AS (
    INSERT INTO opt_outs (pseudonym, flow_id, opted_out_at)
    SELECT pseudonym, flow_id, erased_at FROM new_erasures WHERE flow_id IS NOT NULL
    ON CONFLICT (pseudonym, flow_id) DO UPDATE
        SET opted_out_at = greatest(opt_outs.opted_out_at, EXCLUDED.opted_out_at),
            lifted_at = NULL
    RETURNING 1
),
audited_erasures AS (
    INSERT INTO audit_log (actor, action, detail)
    SELECT 'citizen', CASE WHEN flow_id IS NULL THEN 'erase' ELSE 'withdraw' END,
           jsonb_build_object('via', 'my_data_menu', 'flow', flow_id, 'stream_id', stream_id,
                              'sessions', (SELECT count(*) FROM erased_sessions x
                                           WHERE x.erasure = r.stream_id),
                              'answers', (SELECT count(*) FROM answers a
                                          JOIN erased_sessions x USING (session_id)
                                          WHERE x.erasure = r.stream_id))
    FROM recorded_erasures r
    RETURNING 1
),
session_events AS (
    SELECT session AS session_id,
           min(pseudonym) AS pseudonym,
           min(flow) AS flow_id,
           min(flow_version) AS flow_version,
           min(consent_version) AS consent_version,
           min(channel) AS channel,
           min(operator) AS operator,
           min(language) AS language,
           to_timestamp(min(started) / 1000::float8) AS started_at,
           -- An end event, or the answer that completed the session
           -- (store_event.c): the events that carry an outcome.
           to_timestamp(max(at_ms) FILTER (WHERE outcome IS NOT NULL) / 1000::float8)
               AS ended_at,
           max(outcome) AS outcome,
           to_timestamp(max(at_ms) / 1000::float8) AS last_seen_at,
           max(ttl) AS ttl_s,
           min(flow_checksum) AS flow_checksum
    FROM entries
    WHERE kind IN ('session', 'answer', 'end')
    GROUP BY session
),
upserted_sessions AS (
    INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version, consent_version,
                          channel, operator, language, started_at, ended_at, outcome,
                          last_seen_at, ttl_s, flow_checksum)
    SELECT * FROM session_events
    ORDER BY session_id -- one lock order for writers running side by side
    ON CONFLICT (session_id) DO UPDATE
        SET ended_at = CASE WHEN sessions.outcome IS NULL OR sessions.outcome = 'timed_out'
                            THEN EXCLUDED.ended_at ELSE sessions.ended_at END,
            outcome = CASE WHEN sessions.outcome IS NULL OR sessions.outcome = 'timed_out'
                           THEN EXCLUDED.outcome ELSE sessions.outcome END,
            last_seen_at = greatest(sessions.last_seen_at, EXCLUDED.last_seen_at),
            ttl_s = COALESCE(EXCLUDED.ttl_s, sessions.ttl_s),
            flow_checksum = COALESCE(sessions.flow_checksum, EXCLUDED.flow_checksum)
        -- Rewrite the row only when something the sweep or a reader needs
        -- changed: an end, a reopened 'timed_out', a TTL or checksum first
        -- known, or last_seen_at 30 s on (the sweep allows 60 s of grace).
        -- Most answers change none of these, and a row not rewritten costs
        -- no new version and no index entries.
        WHERE sessions.outcome = 'timed_out'
           OR (sessions.outcome IS NULL AND EXCLUDED.outcome IS NOT NULL)
           OR EXCLUDED.last_seen_at > sessions.last_seen_at + interval '30 seconds'
           OR COALESCE(EXCLUDED.ttl_s, sessions.ttl_s) IS DISTINCT FROM sessions.ttl_s
           OR COALESCE(sessions.flow_checksum, EXCLUDED.flow_checksum)
              IS DISTINCT FROM sessions.flow_checksum
    RETURNING 1
),
-- STOP opens an opt-out; a later consent to the same flow lifts it. The two
-- statements below touch disjoint (pseudonym, flow) pairs of the batch.
opt_events AS (
    SELECT pseudonym, flow AS flow_id,
           to_timestamp(max(at_ms)
               FILTER (WHERE kind = 'end' AND outcome = 'stopped') / 1000::float8)
               AS stopped_at,
           to_timestamp(max(started) FILTER (WHERE kind = 'session')
               / 1000::float8) AS consented_at
    FROM entries
    WHERE kind IN ('session', 'end')
    GROUP BY 1, 2
),
opened_opt_outs AS (
    INSERT INTO opt_outs (pseudonym, flow_id, opted_out_at, lifted_at)
    SELECT pseudonym, flow_id, stopped_at,
           CASE WHEN consented_at > stopped_at THEN consented_at END
    FROM opt_events
    WHERE stopped_at IS NOT NULL
    ON CONFLICT (pseudonym, flow_id) DO UPDATE
        SET opted_out_at = greatest(opt_outs.opted_out_at, EXCLUDED.opted_out_at),
            lifted_at = CASE WHEN greatest(opt_outs.lifted_at, EXCLUDED.lifted_at)
                                  > greatest(opt_outs.opted_out_at, EXCLUDED.opted_out_at)
                             THEN greatest(opt_outs.lifted_at, EXCLUDED.lifted_at) END
    RETURNING 1
),
lifted_opt_outs AS (
    UPDATE opt_outs o SET lifted_at = v.consented_at
    FROM opt_events v
    WHERE v.stopped_at IS NULL AND v.consented_at IS NOT NULL
      AND o.pseudonym = v.pseudonym AND o.flow_id = v.flow_id
      AND o.opted_out_at < v.consented_at AND o.lifted_at IS NULL
    RETURNING 1
),
-- Contacts (011_contacts.sql): per person and flow the latest decision
-- wins: a contact event ("yes" with the sealed number, "no" with null) or a
-- STOP (null). A null keeps the row without a number, so that a late copy
-- of an earlier "yes" (claimed from a crashed writer) cannot bring the
-- number back. Decisions an erasure came after are dropped; an erasure
-- deletes the rows it covers (unless a newer decision replaces them).
contact_decisions AS (
    SELECT DISTINCT ON (pseudonym, flow_id) * FROM (
        SELECT pseudonym, flow AS flow_id, operator,
               sealed, at_ms, stream_id
        FROM entries
        WHERE kind = 'contact'
           OR (kind = 'end' AND outcome = 'stopped')
    ) d
    WHERE NOT EXISTS (SELECT FROM all_erasures r
                      WHERE r.pseudonym = d.pseudonym
                        AND (r.flow_id IS NULL OR r.flow_id = d.flow_id)
                        AND r.erased_at > to_timestamp(d.at_ms / 1000::float8))
    ORDER BY pseudonym, flow_id, at_ms DESC, sealed NULLS FIRST, stream_id DESC
),
kept_contacts AS (
    INSERT INTO contacts (pseudonym, flow_id, operator, sealed, created_at)
    SELECT pseudonym, flow_id, operator, sealed, to_timestamp(at_ms / 1000::float8)
    FROM contact_decisions
    ON CONFLICT (pseudonym, flow_id) DO UPDATE
        SET operator = EXCLUDED.operator, sealed = EXCLUDED.sealed,
            created_at = EXCLUDED.created_at
        WHERE contacts.created_at <= EXCLUDED.created_at
    RETURNING pseudonym, flow_id
),
erased_contacts AS (
    DELETE FROM contacts k
    USING new_erasures r
    WHERE r.pseudonym = k.pseudonym AND (r.flow_id IS NULL OR r.flow_id = k.flow_id)
      AND r.erased_at > k.created_at
      AND NOT EXISTS (SELECT FROM kept_contacts x
                      WHERE x.pseudonym = k.pseudonym AND x.flow_id = k.flow_id)
    RETURNING 1
),
registered_flows AS (
    INSERT INTO flows (flow_id, flow_version, flow_checksum, title, definition, first_seen_at)
    SELECT DISTINCT ON (flow, flow_version, flow_checksum)
           flow, flow_version, flow_checksum, title,
           definition, to_timestamp(at_ms / 1000::float8)
    FROM entries
    WHERE kind = 'flow'
    ON CONFLICT (flow_id, flow_version, flow_checksum) DO NOTHING
    RETURNING 1
),
inserted_receipts AS (
    INSERT INTO message_receipts (stream_id, operator, message_id, state, final, received_at)
    SELECT stream_id, operator, message_id, state, final,
           to_timestamp(at_ms / 1000::float8)
    FROM entries
    WHERE kind = 'receipt'
    ON CONFLICT (stream_id) DO NOTHING
    RETURNING 1
),
-- Answers already stored (a batch written again after a crash) are left
-- out with NOT EXISTS rather than ON CONFLICT DO NOTHING: 4 % of the
-- statement (bench/sql-ab, docs/performance.md). The one case ON CONFLICT
-- handled better, the same entry in two writers' batches at once (a claim
-- from a consumer that was still writing), now ends in a unique violation,
-- which the writer retries like a lost connection; the retry finds the
-- answer (storage_test, test_duplicate_entry_in_flight).
inserted_answers AS (
    INSERT INTO answers (stream_id, session_id, question_id, code, value, answered_at, attempts)
    SELECT stream_id, session, question, code, value,
           to_timestamp(at_ms / 1000::float8), attempts
    FROM entries e
    WHERE kind = 'answer'
      AND NOT EXISTS (SELECT FROM answers a WHERE a.stream_id = e.stream_id)
    RETURNING 1
),
inserted_refusals AS (
    INSERT INTO consent_refusals (stream_id, flow_id, flow_version, consent_version, channel,
                                  operator, refused_on)
    SELECT stream_id, flow, flow_version, consent_version,
           channel, operator,
           (to_timestamp(at_ms / 1000::float8) AT TIME ZONE 'UTC')::date
    FROM entries
    WHERE kind = 'refusal'
    ON CONFLICT (stream_id) DO NOTHING
    RETURNING 1
)
SELECT cardinality($1::text[]),
       (SELECT count(*) FROM inserted_answers),
       (SELECT count(*) FROM inserted_refusals),
       (SELECT count(*) FROM upserted_sessions),
       (SELECT count(*) FROM opened_opt_outs) + (SELECT count(*) FROM lifted_opt_outs),
       (SELECT count(*) FROM registered_flows),
       (SELECT count(*) FROM inserted_receipts),
       (SELECT count(*) FROM audited_erasures)
