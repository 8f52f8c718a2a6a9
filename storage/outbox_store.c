/*
 * outbox_store.c - queueing results for the people who asked for them, and
 * taking them off the queue to send (see outbox_store.h for the keys).
 *
 * Why a Redis stream and not a PostgreSQL table: the gateway's hot path
 * touches only Redis (DESIGN rule 4), and the outbox must be checked against
 * STOP and erasure events that are still in Redis, not yet in PostgreSQL.
 * The broadcast itself is recorded in PostgreSQL first, then queued, so the
 * audit log never misses a message that went out. Called by
 * cli/broadcast_cmd.c (outbox_broadcast) and gateway/outbox.c (pop).
 */
#include "outbox_store.h"

#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redis_link.h"
#include "redis_url.h"

#define KEY_MAX 256

/* Contacts of $1 who said yes last, with no open opt-out from it and no
 * erasure that came after they said yes. */
static const char recipients_sql[] =
    "SELECT c.pseudonym, c.operator, c.sealed FROM contacts c"
    " WHERE c.flow_id = $1 AND c.sealed IS NOT NULL"
    "  AND NOT EXISTS (SELECT FROM opt_outs o WHERE o.pseudonym = c.pseudonym"
    "                  AND o.flow_id = c.flow_id AND o.lifted_at IS NULL)"
    "  AND NOT EXISTS (SELECT FROM erasures r WHERE r.pseudonym = c.pseudonym"
    "                  AND (r.flow_id IS NULL OR r.flow_id = c.flow_id)"
    "                  AND r.erased_at > c.created_at)"
    " ORDER BY c.created_at, c.pseudonym";

static const char record_sql[] =
    "WITH b AS (INSERT INTO broadcasts (flow_id, message_sha256, message, recipients, created_by)"
    "  VALUES ($1, sha256(convert_to($2, 'UTF8')), $2, $3::integer, $4) RETURNING broadcast_id),"
    " log AS (INSERT INTO audit_log (actor, action, detail)"
    "  SELECT $4, 'broadcast', jsonb_build_object('flow', $1::text, 'broadcast_id', broadcast_id,"
    "   'recipients', $3::integer, 'left_out_stopped', $5::integer) FROM b RETURNING 1)"
    " SELECT broadcast_id, (SELECT count(*) FROM log) FROM b";

static const char failed_sql[] =
    "INSERT INTO audit_log (actor, action, detail) SELECT $1, 'broadcast_failed',"
    " jsonb_build_object('flow', $2::text, 'broadcast_id', $3::bigint, 'queued', 0)";

static void keys_of(const char *prefix, char outbox[KEY_MAX], char nocontact[KEY_MAX])
{
    snprintf(outbox, KEY_MAX, "%s" OUTBOX_KEY, prefix);
    snprintf(nocontact, KEY_MAX, "%s" OUTBOX_NOCONTACT_KEY, prefix);
}

static int pg_fail(PGconn *pg, PGresult *res, struct raia_err *err)
{
    raia_err_set(err, RAIA_EIO, "postgres: %s",
                 res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
    PQclear(res);
    return -RAIA_EIO;
}

static int pg_command(PGconn *pg, const char *sql, struct raia_err *err)
{
    PGresult *res = PQexec(pg, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return pg_fail(pg, res, err);
    PQclear(res);
    return 0;
}

/* 1 for each row of rows whose person a tombstone covers (one pipelined ZMSCORE each). */
static int mark_stopped(redisContext *c, const char *nocontact, const char *flow,
                        const PGresult *rows, char *stopped, struct raia_err *err)
{
    int n = PQntuples(rows), rc = 0;
    for (int i = 0; i < n; i++) {
        char per_flow[KEY_MAX];
        snprintf(per_flow, sizeof per_flow, "%s/%s", PQgetvalue(rows, i, 0), flow);
        redisAppendCommand(c, "ZMSCORE %s %s %s", nocontact, PQgetvalue(rows, i, 0), per_flow);
    }
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type != REDIS_REPLY_ARRAY ||
            r->elements != 2) {
            if (rc == 0)
                rc = raia_err_set(err, RAIA_EIO, "redis: %s",
                                  r && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
        } else {
            stopped[i] =
                r->element[0]->type != REDIS_REPLY_NIL || r->element[1]->type != REDIS_REPLY_NIL;
        }
        freeReplyObject(r);
        if (!r && c->err)
            return rc; /* the connection is gone: no more replies will come */
    }
    return rc;
}

/* One MULTI ... EXEC of an XADD per recipient: all are queued or none. */
static int enqueue(redisContext *c, const char *outbox, const struct outbox_request *rq,
                   const PGresult *rows, const char *stopped, long long broadcast_id,
                   struct raia_err *err)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", broadcast_id);
    int n = PQntuples(rows), sent = 2;
    redisAppendCommand(c, "MULTI");
    for (int i = 0; i < n; i++) {
        if (stopped[i])
            continue;
        redisAppendCommand(c,
                           "XADD %s * sealed %s pseudonym %s flow %s operator %s from %s "
                           "text %s broadcast %s",
                           outbox, PQgetvalue(rows, i, 2), PQgetvalue(rows, i, 0), rq->flow_id,
                           PQgetvalue(rows, i, 1), rq->from, rq->message, id);
        sent++;
    }
    redisAppendCommand(c, "EXEC");
    int rc = 0;
    for (int i = 0; i < sent; i++) {
        redisReply *r = NULL;
        int ok = redisGetReply(c, (void **)&r) == REDIS_OK && r;
        if (i == sent - 1 && (!ok || r->type != REDIS_REPLY_ARRAY))
            rc = raia_err_set(err, RAIA_EIO, "redis: %s",
                              ok && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
        freeReplyObject(r);
        if (!ok && rc == 0)
            rc = raia_err_set(err, RAIA_EIO, "redis: %s", c->errstr);
        if (!ok)
            break;
    }
    return rc;
}

/* After a failed queue: the audit log says nothing went out for this broadcast. */
static void record_failure(PGconn *pg, const struct outbox_request *rq, long long broadcast_id)
{
    char id[32];
    snprintf(id, sizeof id, "%lld", broadcast_id);
    const char *params[3] = {rq->actor, rq->flow_id, id};
    PQclear(PQexecParams(pg, failed_sql, 3, NULL, params, NULL, NULL, 0));
}

static int record(PGconn *pg, const struct outbox_request *rq, struct outbox_result *res,
                  struct raia_err *err)
{
    char n[32], left[32];
    snprintf(n, sizeof n, "%lld", res->recipients);
    snprintf(left, sizeof left, "%lld", res->stopped);
    const char *params[5] = {rq->flow_id, rq->message, n, rq->actor, left};
    PGresult *r = PQexecParams(pg, record_sql, 5, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        return pg_fail(pg, r, err);
    res->broadcast_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return pg_command(pg, "COMMIT", err);
}

int outbox_broadcast(const struct outbox_request *rq, struct outbox_result *res,
                     struct raia_err *err)
{
    memset(res, 0, sizeof *res);
    char outbox[KEY_MAX], nocontact[KEY_MAX];
    keys_of(rq->prefix, outbox, nocontact);
    PGconn *pg = PQconnectdb(rq->conninfo);
    redisContext *c = NULL;
    PGresult *rows = NULL;
    char *stopped = NULL;
    int rc = PQstatus(pg) == CONNECTION_OK ? 0 : pg_fail(pg, NULL, err);
    if (rc == 0)
        rc = pg_command(pg, "BEGIN", err);
    if (rc == 0) {
        const char *params[1] = {rq->flow_id};
        rows = PQexecParams(pg, recipients_sql, 1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
            rc = pg_fail(pg, rows, err);
            rows = NULL;
        }
    }
    if (rc == 0 && !(c = redis_url_connect(rq->redis_url, err)))
        rc = -RAIA_EIO;
    if (rc == 0 && !(stopped = calloc((size_t)PQntuples(rows) + 1, 1)))
        rc = raia_err_set(err, RAIA_ENOMEM, "out of memory");
    if (rc == 0)
        rc = mark_stopped(c, nocontact, rq->flow_id, rows, stopped, err);
    if (rc == 0) {
        for (int i = 0; i < PQntuples(rows); i++)
            stopped[i] ? res->stopped++ : res->recipients++;
        if (rq->dry_run || res->recipients == 0)
            rc = pg_command(pg, "ROLLBACK", err);
        else if ((rc = record(pg, rq, res, err)) == 0 &&
                 (rc = enqueue(c, outbox, rq, rows, stopped, res->broadcast_id, err)) < 0)
            record_failure(pg, rq, res->broadcast_id);
    }
    free(stopped);
    PQclear(rows);
    if (c)
        redisFree(c);
    PQfinish(pg);
    return rc;
}

/* ---- the gateway's side: taking jobs off the queue ---- */

/*
 * KEYS[1] outbox, KEYS[2] nocontact; ARGV[1] now (ms), ARGV[2] how long an
 * idle tombstone is kept. Returns nil when the outbox is empty, else
 * {stopped (0|1), {field, value, ...}} of the oldest entry, now deleted.
 */
static const char pop_script[] =
    "local e = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1) "
    "if #e == 0 then "
    "  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', "
    "             '(' .. (tonumber(ARGV[1]) - tonumber(ARGV[2]))) "
    "  return nil "
    "end "
    "redis.call('XDEL', KEYS[1], e[1][1]) "
    "local f, p, fl = e[1][2], '', '' "
    "for i = 1, #f, 2 do "
    "  if f[i] == 'pseudonym' then p = f[i + 1] elseif f[i] == 'flow' then fl = f[i + 1] end "
    "end "
    "local stopped = 0 "
    "if redis.call('ZSCORE', KEYS[2], p) or redis.call('ZSCORE', KEYS[2], p .. '/' .. fl) then "
    "  stopped = 1 "
    "end "
    "return {stopped, f}";

struct outbox_store {
    struct redis_link *link;
    char outbox[KEY_MAX], nocontact[KEY_MAX];
};

struct pop_request {
    outbox_store_pop_cb cb;
    void *ctx;
};

struct outbox_store *outbox_store_new(struct event_base *base, const char *url, const char *prefix,
                                      struct raia_err *err)
{
    struct outbox_store *os = calloc(1, sizeof *os);
    if (!os) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    keys_of(prefix, os->outbox, os->nocontact);
    os->link = redis_link_new(base, url, "outbox", NULL, NULL, err);
    if (!os->link) {
        free(os);
        return NULL;
    }
    return os;
}

void outbox_store_free(struct outbox_store *os)
{
    if (!os)
        return;
    redis_link_free(os->link);
    free(os);
}

/* Reads one field of an entry's field/value array; NULL if it is missing. */
static const char *field(const redisReply *f, const char *name)
{
    for (size_t i = 0; i + 1 < f->elements; i += 2)
        if (f->element[i]->type == REDIS_REPLY_STRING && strcmp(f->element[i]->str, name) == 0 &&
            f->element[i + 1]->type == REDIS_REPLY_STRING)
            return f->element[i + 1]->str;
    return NULL;
}

static void on_pop_reply(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct pop_request *req = priv;
    (void)ac;
    if (reply && reply->type == REDIS_REPLY_NIL) {
        req->cb(req->ctx, -RAIA_ENOTFOUND, NULL);
    } else if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
               reply->element[0]->type == REDIS_REPLY_INTEGER &&
               reply->element[1]->type == REDIS_REPLY_ARRAY) {
        const redisReply *f = reply->element[1];
        struct outbox_job job = {
            .sealed = field(f, "sealed"),
            .pseudonym = field(f, "pseudonym"),
            .flow = field(f, "flow"),
            .operator_name = field(f, "operator"),
            .from = field(f, "from"),
            .text = field(f, "text"),
            .broadcast = field(f, "broadcast"),
            .stopped = reply->element[0]->integer != 0,
        };
        int complete = job.sealed && job.pseudonym && job.flow && job.operator_name && job.from &&
                       job.text && job.broadcast;
        req->cb(req->ctx, complete ? 0 : -RAIA_EPROTO, complete ? &job : NULL);
    } else {
        log_at(LOG_ERROR, "redis", "op=outbox_pop err=\"%s\"",
               reply ? (reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply")
                     : "connection lost");
        req->cb(req->ctx, -RAIA_EIO, NULL);
    }
    free(req);
}

int outbox_store_pop(struct outbox_store *os, long long now_ms, outbox_store_pop_cb cb, void *ctx)
{
    redisAsyncContext *ac = redis_link_ctx(os->link);
    if (!ac)
        return -RAIA_EIO;
    struct pop_request *req = malloc(sizeof *req);
    if (!req)
        return -RAIA_ENOMEM;
    *req = (struct pop_request){cb, ctx};
    if (redisAsyncCommand(ac, on_pop_reply, req, "EVAL %s 2 %s %s %lld %lld", pop_script,
                          os->outbox, os->nocontact, now_ms,
                          OUTBOX_NOCONTACT_KEEP_MS) != REDIS_OK) {
        free(req);
        return -RAIA_EIO;
    }
    return 0;
}
