/*
 * erase.c - erasure of one person and the retention purge (see erase.h).
 *
 * Forgetting works from Redis towards PostgreSQL, the way the data flows:
 * first the session state, the events still in the stream (so the writer
 * cannot bring them back) and the results still queued for the person
 * (outbox_store.h), then the rows, contacts included. The rows go under the
 * writers' person locks (sql/person_locks.sql), so a batch already writing
 * commits first and its rows are deleted too. A batch a writer had read
 * from the stream but not started can still land afterwards; running the
 * command again removes it (docs/storage.md "Known limits").
 */
#include "erase.h"

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "outbox_store.h"
#include "person_locks.h"
#include "redis_url.h"
#include "sql_text.h"
#include "strbuf.h"

#define SCAN_COUNT "500"

static long long redis_integer(redisContext *c, redisReply *r, struct raia_err *err)
{
    long long n = -1;
    if (r && r->type == REDIS_REPLY_INTEGER)
        n = r->integer;
    else
        raia_err_set(err, RAIA_EIO, "redis: %s",
                     r && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
    freeReplyObject(r);
    return n;
}

/* Does stream entry item ([id, [field, value, ...]]) carry this pseudonym? */
static int entry_matches(const redisReply *item, const char *needle)
{
    if (item->type != REDIS_REPLY_ARRAY || item->elements < 2 ||
        item->element[1]->type != REDIS_REPLY_ARRAY)
        return 0;
    const redisReply *fields = item->element[1];
    for (size_t i = 1; i < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING &&
            strstr(fields->element[i]->str, needle))
            return 1;
    return 0;
}

/* XDELs every entry of stream with a value containing needle, scanning it in pages. */
static long long drop_stream_entries(redisContext *c, const char *stream, const char *needle,
                                     struct raia_err *err)
{
    char start[64] = "-";
    long long dropped = 0;
    for (;;) {
        redisReply *page = redisCommand(c, "XRANGE %s %s + COUNT " SCAN_COUNT, stream, start);
        if (!page || page->type != REDIS_REPLY_ARRAY) {
            redis_integer(c, page, err);
            return -1;
        }
        size_t n = page->elements;
        for (size_t i = 0; i < n; i++) {
            if (!entry_matches(page->element[i], needle))
                continue;
            long long d = redis_integer(
                c, redisCommand(c, "XDEL %s %s", stream, page->element[i]->element[0]->str), err);
            if (d < 0) {
                freeReplyObject(page);
                return -1;
            }
            dropped += d;
        }
        if (n > 0)
            snprintf(start, sizeof start, "(%s", page->element[n - 1]->element[0]->str);
        freeReplyObject(page);
        if (n == 0)
            return dropped;
    }
}

static int erase_redis(const struct erase_target *t, const char *pseudonym,
                       struct erase_counts *out, struct raia_err *err)
{
    redisContext *c = redis_url_connect(t->redis_url, err);
    if (!c)
        return -RAIA_EIO;
    char session[256], counter[256], stream[256], outbox[256], nocontact[256], needle[128];
    snprintf(session, sizeof session, "%ss:%s", t->prefix, pseudonym);
    snprintf(counter, sizeof counter, "%srl:%s", t->prefix, pseudonym);
    snprintf(stream, sizeof stream, "%sanswers", t->prefix);
    snprintf(outbox, sizeof outbox, "%s" OUTBOX_KEY, t->prefix);
    snprintf(nocontact, sizeof nocontact, "%s" OUTBOX_NOCONTACT_KEY, t->prefix);
    snprintf(needle, sizeof needle, "\"pseudonym\":\"%s\"", pseudonym);
    /* First the tombstone, so a message the gateway takes meanwhile is not sent;
     * then the queued messages themselves (they hold the sealed number). */
    long long added = redis_integer(
        c, redisCommand(c, "ZADD %s %lld %s", nocontact, (long long)time(NULL) * 1000, pseudonym),
        err);
    out->state_keys =
        added < 0 ? -1 : redis_integer(c, redisCommand(c, "DEL %s %s", session, counter), err);
    if (out->state_keys >= 0)
        out->stream_entries = drop_stream_entries(c, stream, needle, err);
    if (out->stream_entries >= 0)
        out->outbox_entries = drop_stream_entries(c, outbox, pseudonym, err);
    redisFree(c);
    return out->state_keys < 0 || out->stream_entries < 0 || out->outbox_entries < 0 ? -RAIA_EIO
                                                                                     : 0;
}

/* In one transaction: the person locks (sql/person_locks.sql), exclusive,
 * so that a batch in flight commits first and none starts meanwhile; then
 * sql, which returns one row of counts into cols, with a snapshot taken
 * after the wait. */
static int pg_counts(const char *conninfo, const struct person_locks *locks, const char *sql,
                     int n_params, const char *const *params, long long *cols[], int n_cols,
                     struct raia_err *err)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        raia_err_set(err, RAIA_EIO, "postgres: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return -RAIA_EIO;
    }
    struct strbuf buckets = {0};
    person_locks_param(locks, &buckets);
    const char *lock_params[1] = {strbuf_cstr(&buckets)};
    PGresult *res = PQexec(conn, "BEGIN");
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        PQclear(res);
        res = PQexecParams(conn, sql_person_locks, 1, NULL, lock_params, NULL, NULL, 0);
    }
    strbuf_free(&buckets);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        PQclear(res);
        res = PQexecParams(conn, sql, n_params, NULL, params, NULL, NULL, 0);
    }
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        rc = raia_err_set(err, RAIA_EIO, "postgres: %s", PQresultErrorMessage(res));
    } else {
        for (int i = 0; i < n_cols; i++)
            *cols[i] = strtoll(PQgetvalue(res, 0, i), NULL, 10);
        PQclear(res);
        res = PQexec(conn, "COMMIT");
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = raia_err_set(err, RAIA_EIO, "postgres: %s", PQresultErrorMessage(res));
    }
    PQclear(res);
    PQfinish(conn); /* rolls back what did not commit */
    return rc;
}

static const char forget_sql[] =
    "WITH gone AS (SELECT session_id FROM sessions WHERE pseudonym = $1),"
    " a AS (DELETE FROM answers WHERE session_id IN (SELECT session_id FROM gone) RETURNING 1),"
    " s AS (DELETE FROM sessions WHERE pseudonym = $1 RETURNING 1),"
    " o AS (DELETE FROM opt_outs WHERE pseudonym = $1 RETURNING 1),"
    " c AS (DELETE FROM contacts WHERE pseudonym = $1 RETURNING 1),"
    " log AS (INSERT INTO audit_log (actor, action, detail)"
    "  SELECT $2, 'forget', jsonb_build_object('sessions', (SELECT count(*) FROM s),"
    "   'answers', (SELECT count(*) FROM a), 'stream_entries', $3::bigint,"
    "   'state_keys', $4::bigint, 'opt_outs', (SELECT count(*) FROM o),"
    "   'contacts', (SELECT count(*) FROM c), 'outbox_entries', $5::bigint) RETURNING 1)"
    " SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM a), (SELECT count(*) FROM c),"
    "  (SELECT count(*) FROM log)";

int erase_person(const struct erase_target *t, const char *pseudonym, struct erase_counts *out,
                 struct raia_err *err)
{
    memset(out, 0, sizeof *out);
    if (erase_redis(t, pseudonym, out, err) < 0)
        return -RAIA_EIO;
    char stream_n[32], keys_n[32], outbox_n[32];
    snprintf(stream_n, sizeof stream_n, "%lld", out->stream_entries);
    snprintf(keys_n, sizeof keys_n, "%lld", out->state_keys);
    snprintf(outbox_n, sizeof outbox_n, "%lld", out->outbox_entries);
    const char *params[5] = {pseudonym, t->actor, stream_n, keys_n, outbox_n};
    long long logged = 0;
    long long *cols[4] = {&out->sessions, &out->answers, &out->contacts, &logged};
    struct person_locks locks = {{0}};
    person_locks_add(&locks, pseudonym, strlen(pseudonym), 1);
    return pg_counts(t->conninfo, &locks, forget_sql, 5, params, cols, 4, err);
}

static const char purge_sql[] =
    "WITH old AS (SELECT session_id FROM sessions"
    "  WHERE started_at < now() - make_interval(days => $1::int)),"
    " a AS (DELETE FROM answers WHERE session_id IN (SELECT session_id FROM old) RETURNING 1),"
    " s AS (DELETE FROM sessions WHERE session_id IN (SELECT session_id FROM old) RETURNING 1),"
    " r AS (DELETE FROM consent_refusals"
    "  WHERE refused_on < (now() - make_interval(days => $1::int))::date RETURNING 1),"
    " c AS (DELETE FROM contacts"
    "  WHERE created_at < now() - make_interval(days => $1::int) RETURNING 1),"
    " log AS (INSERT INTO audit_log (actor, action, detail)"
    "  SELECT $2, 'purge', jsonb_build_object('older_than_days', $1::int,"
    "   'sessions', (SELECT count(*) FROM s), 'answers', (SELECT count(*) FROM a),"
    "   'refusals', (SELECT count(*) FROM r), 'contacts', (SELECT count(*) FROM c)) RETURNING 1)"
    " SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM a), (SELECT count(*) FROM r),"
    "  (SELECT count(*) FROM c), (SELECT count(*) FROM log)";

int erase_older_than(const struct erase_target *t, int days, struct erase_counts *out,
                     struct raia_err *err)
{
    memset(out, 0, sizeof *out);
    if (days < 1)
        return raia_err_set(err, RAIA_EINVAL, "retention must be at least 1 day");
    char days_s[16];
    snprintf(days_s, sizeof days_s, "%d", days);
    const char *params[2] = {days_s, t->actor};
    long long logged = 0;
    long long *cols[5] = {&out->sessions, &out->answers, &out->refusals, &out->contacts, &logged};
    struct person_locks every = {{0}};
    person_locks_all(&every); /* the purge may delete anyone's sessions */
    return pg_counts(t->conninfo, &every, purge_sql, 2, params, cols, 5, err);
}
