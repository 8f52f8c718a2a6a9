/*
 * pg_async.c - non-blocking libpq connection on libevent (see pg_async.h).
 */
#include "pg_async.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "log.h"
#include "raia_err.h"
#include "str_copy.h"

enum pg_phase { PG_DOWN, PG_CONNECTING, PG_IDLE, PG_BUSY };

#define PG_PREPARED_MAX 8

struct pg_async {
    struct event_base *base;
    char *conninfo;
    void (*on_up)(void *ctx);
    void *ctx;
    PGconn *conn;
    enum pg_phase phase;
    struct event *io; /* re-created per wait: the socket may change while connecting */
    struct event *retry;
    struct backoff backoff;
    pg_async_result_cb cb;
    void *cb_ctx;
    PGresult *result; /* first result of the query in flight */
    /* Statements prepared on this connection, by their (static) text:
     * pg_async_query prepares a text on first use and runs it by name
     * afterwards, so PostgreSQL plans it once per connection. */
    const char *prepared[PG_PREPARED_MAX];
    size_t n_prepared;
    /* Every query is a libpq pipeline closed by one sync, a new text's
     * PREPARE sent ahead of its run in the same round trip. What each of
     * the pipeline's steps is, 'p' PREPARE or 'e' execute, in the order
     * sent, and which one the results now coming belong to. */
    char steps[5];
    size_t step;
};

static void pg_connect(struct pg_async *pg);
static void on_io(evutil_socket_t fd, short what, void *arg);

static void wait_socket(struct pg_async *pg, short what)
{
    if (pg->io)
        event_free(pg->io);
    pg->io = event_new(pg->base, PQsocket(pg->conn), what, on_io, pg);
    if (pg->io)
        event_add(pg->io, NULL);
}

static void drop_connection(struct pg_async *pg)
{
    if (pg->io) {
        event_free(pg->io);
        pg->io = NULL;
    }
    PQfinish(pg->conn);
    pg->conn = NULL;
    PQclear(pg->result);
    pg->result = NULL;
    pg->n_prepared = 0; /* prepared statements die with their session */
    pg->phase = PG_DOWN;
    backoff_arm(&pg->backoff, pg->retry);
}

/* The connection broke: the query in flight (if any) fails, then we retry. */
static void fail(struct pg_async *pg, const char *op)
{
    char msg[200];
    pg_async_error_text(pg, NULL, msg, sizeof msg);
    log_at(LOG_WARN, "postgres", "op=%s err=\"%s\" retry_ms=%d", op, msg, pg->backoff.next_ms);
    pg_async_result_cb cb = pg->phase == PG_BUSY ? pg->cb : NULL;
    drop_connection(pg);
    if (cb)
        cb(pg->cb_ctx, NULL);
}

static void continue_connect(struct pg_async *pg)
{
    switch (PQconnectPoll(pg->conn)) {
    case PGRES_POLLING_READING:
        wait_socket(pg, EV_READ);
        return;
    case PGRES_POLLING_WRITING:
        wait_socket(pg, EV_WRITE);
        return;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(pg->conn, 1) != 0) {
            fail(pg, "connect");
            return;
        }
        pg->phase = PG_IDLE;
        backoff_reset(&pg->backoff);
        log_at(LOG_INFO, "postgres", "op=connect status=up");
        if (pg->on_up)
            pg->on_up(pg->ctx);
        return;
    default:
        fail(pg, "connect");
    }
}

static void finish_query(struct pg_async *pg)
{
    PGresult *res = pg->result;
    pg->result = NULL;
    pg->phase = PG_IDLE;
    pg_async_result_cb cb = pg->cb;
    pg->cb = NULL;
    cb(pg->cb_ctx, res);
    PQclear(res);
}

/* Keeps res as the pipeline's outcome when it is the first failure, or the
 * last statement's result; 1 when the pipeline is over (the sync came). */
static int pipeline_result(struct pg_async *pg, PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_PIPELINE_SYNC) {
        PQclear(res);
        PQexitPipelineMode(pg->conn);
        return 1;
    }
    int failed = status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE;
    int last = pg->steps[pg->step] == 'e' && pg->steps[pg->step + 1] == '\0';
    if (pg->steps[pg->step] == 'p' && status == PGRES_COMMAND_OK)
        pg->n_prepared++; /* prepares are sent in index order */
    if (!pg->result && (failed || last)) {
        PQclear(pg->result);
        pg->result = res;
    } else {
        PQclear(res); /* a PREPARE, the first statement, or skipped after a failure */
    }
    return 0;
}

static void read_results(struct pg_async *pg)
{
    if (!PQconsumeInput(pg->conn)) {
        fail(pg, "read");
        return;
    }
    while (!PQisBusy(pg->conn)) {
        PGresult *res = PQgetResult(pg->conn);
        if (!res) { /* in a pipeline a NULL ends one step's results */
            pg->step++;
        } else if (pipeline_result(pg, res)) {
            finish_query(pg);
            return;
        }
    }
    wait_socket(pg, EV_READ);
}

static void flush_query(struct pg_async *pg)
{
    int rc = PQflush(pg->conn);
    if (rc < 0)
        fail(pg, "send");
    else if (rc == 1)
        wait_socket(pg, EV_READ | EV_WRITE); /* libpq: read too, the server may be talking */
    else
        read_results(pg);
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    struct pg_async *pg = arg;
    (void)fd;
    if (pg->phase == PG_CONNECTING)
        continue_connect(pg);
    else if (pg->phase == PG_BUSY && (what & EV_WRITE))
        flush_query(pg);
    else if (pg->phase == PG_BUSY)
        read_results(pg);
}

static void pg_connect(struct pg_async *pg)
{
    pg->conn = PQconnectStart(pg->conninfo);
    if (!pg->conn || PQstatus(pg->conn) == CONNECTION_BAD) {
        fail(pg, "connect");
        return;
    }
    pg->phase = PG_CONNECTING;
    continue_connect(pg);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pg_connect(arg);
}

struct pg_async *pg_async_new(struct event_base *base, const char *conninfo,
                              void (*on_up)(void *ctx), void *ctx)
{
    struct pg_async *pg = calloc(1, sizeof *pg);
    if (!pg)
        return NULL;
    pg->conninfo = strdup(conninfo);
    pg->retry = evtimer_new(base, on_retry, pg);
    if (!pg->conninfo || !pg->retry) {
        pg_async_free(pg);
        return NULL;
    }
    pg->base = base;
    pg->on_up = on_up;
    pg->ctx = ctx;
    pg->backoff = (struct backoff)BACKOFF_INIT(250, 10000);
    pg_connect(pg);
    return pg;
}

int pg_async_idle(const struct pg_async *pg)
{
    return pg->phase == PG_IDLE;
}

static void statement_name(size_t i, char name[16])
{
    snprintf(name, 16, "raia_%zu", i);
}

/* Where sql is prepared on this connection; n_prepared when it is not. */
static size_t prepared_index(const struct pg_async *pg, const char *sql)
{
    size_t i = 0;
    while (i < pg->n_prepared && pg->prepared[i] != sql)
        i++;
    return i;
}

/* After sending: waits for the results, or fails the connection if sent is 0. */
static int started(struct pg_async *pg, int sent, pg_async_result_cb cb, void *ctx)
{
    if (!sent) {
        fail(pg, "send"); /* leaves pipeline mode too */
        return -RAIA_EIO;
    }
    pg->phase = PG_BUSY;
    pg->cb = cb;
    pg->cb_ctx = ctx;
    flush_query(pg);
    return 0;
}

/* Queues sql (prepared first if it is new) in the pipeline being built. */
static int pipeline_add(struct pg_async *pg, const char *sql, const struct pg_params *p,
                        size_t *next_new)
{
    size_t i = prepared_index(pg, sql);
    size_t n = strlen(pg->steps);
    int sent;
    if (i == pg->n_prepared && *next_new >= PG_PREPARED_MAX) {
        sent = PQsendQueryParams(pg->conn, sql, p->n, NULL, p->values, p->lengths, p->formats,
                                 0); /* no slot */
    } else {
        char name[16];
        if (i == pg->n_prepared) {
            /* a text new to this connection: the second of two new ones gets the next slot */
            i = (*next_new)++;
            statement_name(i, name);
            if (!PQsendPrepare(pg->conn, name, sql, p->n, NULL))
                return 0;
            pg->prepared[i] = sql;
            pg->steps[n++] = 'p';
        }
        statement_name(i, name);
        sent = PQsendQueryPrepared(pg->conn, name, p->n, p->values, p->lengths, p->formats, 0);
    }
    if (!sent)
        return 0;
    pg->steps[n++] = 'e';
    pg->steps[n] = '\0';
    return 1;
}

/* One text parameter, as every statement but the writer's batch takes. */
static struct pg_params one_text(const char *const *param)
{
    return (struct pg_params){.n = 1, .values = param};
}

/* first_sql NULL: sql alone (pg_async_query). */
int pg_async_query_after(struct pg_async *pg, const char *first_sql, const char *first_param,
                         const char *sql, const struct pg_params *params, pg_async_result_cb cb,
                         void *ctx)
{
    if (pg->phase != PG_IDLE || first_sql == sql)
        return -RAIA_EIO;
    size_t next_new = pg->n_prepared;
    pg->step = 0;
    pg->steps[0] = '\0';
    struct pg_params first = one_text(&first_param);
    int sent = PQenterPipelineMode(pg->conn) &&
               (!first_sql || pipeline_add(pg, first_sql, &first, &next_new)) &&
               pipeline_add(pg, sql, params, &next_new) && PQpipelineSync(pg->conn);
    return started(pg, sent, cb, ctx);
}

int pg_async_query(struct pg_async *pg, const char *sql, const char *param, pg_async_result_cb cb,
                   void *ctx)
{
    struct pg_params params = one_text(&param);
    return pg_async_query_after(pg, NULL, NULL, sql, &params, cb, ctx);
}

void pg_async_free(struct pg_async *pg)
{
    if (!pg)
        return;
    if (pg->io)
        event_free(pg->io);
    if (pg->retry)
        event_free(pg->retry);
    PQclear(pg->result);
    PQfinish(pg->conn);
    free(pg->conninfo);
    free(pg);
}

void pg_async_error_text(const struct pg_async *pg, const PGresult *res, char *buf, size_t size)
{
    const char *msg = res ? PQresultErrorMessage(res) : NULL;
    if (!msg || !*msg)
        msg = pg->conn ? PQerrorMessage(pg->conn) : "connection failed";
    str_copy(buf, size, msg);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\t' || *p == '"')
            *p = (*p == '"') ? '\'' : ' ';
    size_t n = strlen(buf);
    while (n && buf[n - 1] == ' ')
        buf[--n] = '\0';
}
