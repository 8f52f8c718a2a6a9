/*
 * api_query.c - the SQL of raia-api and the connection pool it runs on
 * (see api_query.h).
 *
 * Called from raia-api's event loop. A query goes to the first idle
 * connection, else waits in a FIFO; each connection that comes up or
 * finishes a query takes the next waiting one. Every statement reads what
 * partners may read (schema partner), plus api.feed (the pseudonym, which
 * raia-api turns into a per-token id) and partner_tokens; the only write is
 * the audit row of a pull.
 */
#include "api_query.h"

#include <stdlib.h>
#include <string.h>

#include "raia_err.h"

/* Active tokens; revoked ones are never loaded, so they fail like unknown ones. */
static const char tokens_sql[] =
    "SELECT name, encode(token_sha256, 'hex'), array_to_string(flows, ','), scope,"
    "       encode(respondent_key, 'hex')"
    " FROM partner_tokens, (SELECT $1::jsonb AS j) p"
    " WHERE revoked_at IS NULL ORDER BY name";

/* Every registered version of the token's flows with its session counts. */
static const char flows_sql[] =
    "WITH p AS (SELECT ARRAY(SELECT jsonb_array_elements_text($1::jsonb->'flows')) AS ids)"
    " SELECT f.flow_id, f.flow_version, (array_agg(f.title ORDER BY f.first_seen_on DESC))[1],"
    "        min(f.first_seen_on)::text,"
    "        (SELECT count(*) FROM partner.sessions s"
    "          WHERE s.flow_id = f.flow_id AND s.flow_version = f.flow_version),"
    "        (SELECT count(*) FROM partner.sessions s WHERE s.flow_id = f.flow_id"
    "          AND s.flow_version = f.flow_version AND s.outcome IS NOT NULL)"
    " FROM partner.flows f, p WHERE f.flow_id = ANY (p.ids)"
    " GROUP BY f.flow_id, f.flow_version ORDER BY f.flow_id, f.flow_version";

/* The definitions of one version (0: the highest), newest first, as export_query.c. */
static const char flow_sql[] =
    "WITH p AS (SELECT $1::jsonb->>'flow' AS id, ($1::jsonb->>'version')::int AS version),"
    " v AS (SELECT CASE WHEN p.version > 0 THEN p.version ELSE max(f.flow_version) END AS version"
    "       FROM partner.flows f, p WHERE f.flow_id = p.id GROUP BY p.version)"
    " SELECT f.flow_version, f.flow_checksum, f.definition, f.first_seen_on::text"
    " FROM partner.flows f, p, v WHERE f.flow_id = p.id AND f.flow_version = v.version"
    " ORDER BY f.first_seen_on DESC, f.flow_checksum";

/*
 * One page of ended sessions after the cursor, with their answers (free
 * text already withheld by partner.answers). A session is served only once
 * every transaction that could still commit before its feed position has
 * finished (feed_xid below the snapshot's xmin): see 009_partners.sql.
 * Columns: session_id, pseudonym, language, channel, operator, started_on,
 * ended_on, outcome, feed_xid, question_id, code, value.
 */
static const char responses_sql[] =
    "WITH p AS (SELECT $1::jsonb AS j),"
    " page AS (SELECT f.* FROM api.feed f, p"
    "   WHERE f.flow_id = p.j->>'flow' AND f.flow_version = (p.j->>'version')::int"
    "     AND f.feed_xid < pg_snapshot_xmin(pg_current_snapshot())"
    "     AND (f.feed_xid, f.session_id) > ((p.j->>'after_xid')::xid8, p.j->>'after_session')"
    "   ORDER BY f.feed_xid, f.session_id LIMIT ($1::jsonb->>'limit')::int)"
    " SELECT pg.session_id, pg.pseudonym, pg.language, pg.channel, pg.operator,"
    "        pg.started_on::text, pg.ended_on::text, pg.outcome, pg.feed_xid::text,"
    "        a.question_id, a.code, a.value"
    " FROM page pg LEFT JOIN partner.answers a USING (session_id)"
    " ORDER BY pg.feed_xid, pg.session_id, a.question_id";

/*
 * Ended sessions of one version by their answer codes to one or two
 * questions (a number's value stands for its code). Sessions that did not
 * answer are not counted.
 */
static const char table_sql[] =
    "WITH p AS (SELECT $1::jsonb AS j)"
    " SELECT coalesce(a1.code, a1.value), coalesce(a2.code, a2.value),"
    "        count(DISTINCT s.session_id)"
    " FROM p JOIN partner.sessions s ON s.flow_id = p.j->>'flow'"
    "        AND s.flow_version = (p.j->>'version')::int AND s.outcome IS NOT NULL"
    " JOIN partner.answers a1 ON a1.session_id = s.session_id AND a1.question_id = p.j->>'q1'"
    " LEFT JOIN partner.answers a2 ON a2.session_id = s.session_id"
    "        AND a2.question_id = p.j->>'q2'"
    " WHERE p.j->>'q2' IS NULL OR a2.session_id IS NOT NULL"
    " GROUP BY 1, 2";

/*
 * Ended sessions of one version per day they ended (UTC) and channel, one
 * row per day from the first to the last such day (days with none have
 * channel NULL and count 0), so a chart of the rows has no gaps.
 */
static const char timeline_sql[] =
    "WITH p AS (SELECT $1::jsonb AS j),"
    " s AS (SELECT s.ended_on, s.channel FROM partner.sessions s, p"
    "       WHERE s.flow_id = p.j->>'flow' AND s.flow_version = (p.j->>'version')::int"
    "         AND s.outcome IS NOT NULL AND s.ended_on IS NOT NULL),"
    " d AS (SELECT generate_series(min(ended_on), max(ended_on), interval '1 day')::date AS day"
    "       FROM s)"
    " SELECT d.day::text, s.channel, count(s.channel)"
    " FROM d LEFT JOIN s ON s.ended_on = d.day GROUP BY 1, 2 ORDER BY 1, 2";

/*
 * The completion funnel of one version. $1.questions lists the question
 * ids in flow order; a session's furthest point is the position (1-based)
 * of the last of them it answered (0: none). Rows: position, channel,
 * answered (ended sessions with an answer to that question) and left
 * (ended sessions that did not complete and whose furthest point is the
 * position before: they stopped at this question). docs/api.md.
 */
static const char funnel_sql[] =
    "WITH p AS (SELECT $1::jsonb AS j),"
    " q AS (SELECT e.id, e.n::int AS pos"
    "       FROM p, jsonb_array_elements_text(p.j->'questions') WITH ORDINALITY e(id, n)),"
    " s AS (SELECT s.session_id, s.channel, s.outcome FROM partner.sessions s, p"
    "       WHERE s.flow_id = p.j->>'flow' AND s.flow_version = (p.j->>'version')::int"
    "         AND s.outcome IS NOT NULL),"
    " a AS (SELECT DISTINCT a.session_id, q.pos FROM partner.answers a"
    "       JOIN s USING (session_id) JOIN q ON q.id = a.question_id),"
    " f AS (SELECT s.channel, s.outcome, coalesce(max(a.pos), 0) AS pos"
    "       FROM s LEFT JOIN a USING (session_id) GROUP BY s.session_id, s.channel, s.outcome)"
    " SELECT pos, channel, sum(answered)::bigint, sum(left_here)::bigint FROM ("
    "   SELECT a.pos, s.channel, 1 AS answered, 0 AS left_here FROM a JOIN s USING (session_id)"
    "   UNION ALL SELECT f.pos + 1, f.channel, 0, 1 FROM f"
    "     WHERE f.outcome <> 'completed' AND f.pos < (SELECT count(*) FROM q)) x"
    " GROUP BY 1, 2 ORDER BY 1, 2";

static const char audit_sql[] =
    "INSERT INTO audit_log (actor, action, detail)"
    " SELECT j->>'actor', j->>'action', j->'detail' FROM (SELECT $1::jsonb AS j) p";

static const char *const sql_of[] = {tokens_sql, flows_sql,    flow_sql,   responses_sql,
                                     table_sql,  timeline_sql, funnel_sql, audit_sql};

struct waiting {
    enum api_sql which;
    char *param;
    pg_async_result_cb cb;
    void *ctx;
};

struct api_conn {
    struct api_db *db;
    struct pg_async *pg;
    pg_async_result_cb cb; /* the query in flight's caller */
    void *ctx;
};

struct api_db {
    struct api_conn *conns;
    int n;
    struct waiting *queue; /* ring of queue_max */
    int queue_max, head, len;
};

static void drain(struct api_db *db);

/* A query finished: hand the result over, then the connection takes the next one. */
static void on_result(void *ctx, const PGresult *res)
{
    struct api_conn *c = ctx;
    pg_async_result_cb cb = c->cb;
    void *cb_ctx = c->ctx;
    c->cb = NULL;
    cb(cb_ctx, res);
    drain(c->db);
}

/* Start waiting queries on every idle connection. */
static void drain(struct api_db *db)
{
    for (int i = 0; i < db->n && db->len > 0; i++) {
        struct api_conn *c = &db->conns[i];
        if (!c->pg || c->cb || !pg_async_idle(c->pg))
            continue;
        struct waiting w = db->queue[db->head];
        db->head = (db->head + 1) % db->queue_max;
        db->len--;
        c->cb = w.cb;
        c->ctx = w.ctx;
        if (pg_async_query(c->pg, sql_of[w.which], w.param, on_result, c) < 0) {
            c->cb = NULL;
            w.cb(w.ctx, NULL);
        }
        free(w.param);
    }
}

static void on_up(void *ctx)
{
    struct api_conn *c = ctx;
    drain(c->db);
}

struct api_db *api_db_new(struct event_base *base, const char *conninfo, int n, int queue_max)
{
    struct api_db *db = calloc(1, sizeof *db);
    if (!db || n < 1 || queue_max < 1) {
        free(db);
        return NULL;
    }
    db->n = n;
    db->queue_max = queue_max;
    db->conns = calloc((size_t)n, sizeof *db->conns);
    db->queue = calloc((size_t)queue_max, sizeof *db->queue);
    if (!db->conns || !db->queue) {
        api_db_free(db);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        db->conns[i].db = db;
        db->conns[i].pg = pg_async_new(base, conninfo, on_up, &db->conns[i]);
        if (!db->conns[i].pg) {
            api_db_free(db);
            return NULL;
        }
    }
    return db;
}

int api_db_query(struct api_db *db, enum api_sql which, const char *param, pg_async_result_cb cb,
                 void *ctx)
{
    if (db->len == db->queue_max)
        return -RAIA_EFULL;
    char *copy = strdup(param);
    if (!copy)
        return -RAIA_ENOMEM;
    db->queue[(db->head + db->len) % db->queue_max] = (struct waiting){which, copy, cb, ctx};
    db->len++;
    drain(db);
    return 0;
}

void api_db_free(struct api_db *db)
{
    if (!db)
        return;
    for (int i = 0; db->conns && i < db->n; i++)
        pg_async_free(db->conns[i].pg);
    for (int k = 0; db->queue && k < db->len; k++)
        free(db->queue[(db->head + k) % db->queue_max].param);
    free(db->conns);
    free(db->queue);
    free(db);
}
