-- sweep_timeouts: marks 'timed_out' the sessions whose Redis state has
-- expired without an end event (004_timeouts.sql): last_seen_at + ttl_s +
-- $1 seconds of grace in the past. ended_at becomes the session's last
-- known moment: last_seen_at, or its last answer if later (write_batch.sql
-- moves last_seen_at only in steps of 30 s). A later
-- event of such a session, still waiting in the stream, replaces the mark
-- when write_batch.sql stores it. Returns how many sessions it marked.
-- Each writer runs it on its own, at most every 30 s (storage/pg_writer.c),
-- not with every batch: it reads every open session, and at a campaign's
-- peak (people hang up) those are tens of thousands.
WITH timed_out AS (
    UPDATE sessions s SET outcome = 'timed_out',
        ended_at = greatest(last_seen_at, (SELECT max(answered_at) FROM answers a
                                           WHERE a.session_id = s.session_id))
    WHERE outcome IS NULL
      AND last_seen_at < now() - make_interval(secs => COALESCE(ttl_s, 600) + $1::integer)
    RETURNING 1
)
SELECT count(*) FROM timed_out
