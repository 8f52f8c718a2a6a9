/*
 * pg_lookup.c - reads for the "my data" menu on their own PostgreSQL
 * connection (see pg_lookup.h). Requests form a FIFO; the head is sent when
 * the connection is idle; a timer fails requests past their deadline. A
 * request that timed out while its query ran is only marked: its result is
 * dropped when it arrives.
 */
#include "pg_lookup.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock_ms.h"
#include "pg_async.h"
#include "raia_err.h"
#include "str_copy.h"

#define QUEUE_MAX 64
#define TICK_MS 100

static const char flows_sql[] = "SELECT flow_id, count(*) FROM sessions WHERE pseudonym = $1"
                                " GROUP BY flow_id ORDER BY max(started_at) DESC LIMIT 8";

struct request {
    struct request *next;
    char pseudonym[65];
    pg_lookup_flows_cb cb; /* NULL once answered (a timed-out request whose query still runs) */
    void *ctx;
    long long deadline_ms;
};

struct pg_lookup {
    struct pg_async *pg;
    struct event *tick;
    struct request *head, *tail; /* waiting, oldest first */
    struct request *running;     /* its query is in flight */
    size_t queued;
    int deadline_ms;
};

static void answer(struct request *req, int status, const struct pg_lookup_flows *flows)
{
    pg_lookup_flows_cb cb = req->cb;
    req->cb = NULL;
    if (cb)
        cb(req->ctx, status, flows);
}

static void on_result(void *ctx, const PGresult *res)
{
    struct pg_lookup *l = ctx;
    struct request *req = l->running;
    l->running = NULL;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        struct pg_lookup_flows flows = {0};
        for (int i = 0; i < PQntuples(res) && flows.n < PG_LOOKUP_FLOWS_MAX; i++, flows.n++) {
            str_copy(flows.flow_id[flows.n], PG_LOOKUP_FLOW_ID_MAX, PQgetvalue(res, i, 0));
            flows.sessions[flows.n] = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        }
        answer(req, 0, &flows);
    } else {
        answer(req, -RAIA_EIO, NULL);
    }
    free(req);
}

/* Sends the oldest waiting request when the connection is free. */
static void send_next(struct pg_lookup *l)
{
    if (l->running || !l->head || !pg_async_idle(l->pg))
        return;
    struct request *req = l->head;
    l->head = req->next;
    if (!l->head)
        l->tail = NULL;
    l->queued--;
    l->running = req; /* before sending: a result may come back inside pg_async_query */
    if (pg_async_query(l->pg, flows_sql, req->pseudonym, on_result, l) < 0) {
        l->running = NULL; /* the connection just broke: back to the head of the queue */
        req->next = l->head;
        l->head = req;
        if (!l->tail)
            l->tail = req;
        l->queued++;
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct pg_lookup *l = arg;
    (void)fd;
    (void)what;
    long long now = clock_ms(CLOCK_MONOTONIC);
    while (l->head && l->head->deadline_ms <= now) {
        struct request *req = l->head;
        l->head = req->next;
        if (!l->head)
            l->tail = NULL;
        l->queued--;
        answer(req, -RAIA_ETIMEOUT, NULL);
        free(req);
    }
    if (l->running && l->running->deadline_ms <= now)
        answer(l->running, -RAIA_ETIMEOUT, NULL);
    send_next(l);
}

static void on_up(void *ctx)
{
    send_next(ctx);
}

struct pg_lookup *pg_lookup_new(struct event_base *base, const char *conninfo, int deadline_ms)
{
    struct pg_lookup *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->deadline_ms = deadline_ms;
    l->tick = event_new(base, -1, EV_PERSIST, on_tick, l);
    l->pg = pg_async_new(base, conninfo, on_up, l);
    struct timeval tv = {0, TICK_MS * 1000};
    if (!l->tick || !l->pg || event_add(l->tick, &tv) < 0) {
        pg_lookup_free(l);
        return NULL;
    }
    return l;
}

void pg_lookup_free(struct pg_lookup *l)
{
    if (!l)
        return;
    if (l->tick)
        event_free(l->tick);
    pg_async_free(l->pg); /* the query in flight gets no callback */
    if (l->running) {
        answer(l->running, -RAIA_EIO, NULL);
        free(l->running);
    }
    while (l->head) {
        struct request *req = l->head;
        l->head = req->next;
        answer(req, -RAIA_EIO, NULL);
        free(req);
    }
    free(l);
}

int pg_lookup_flows(struct pg_lookup *l, const char *pseudonym, pg_lookup_flows_cb cb, void *ctx)
{
    if (l->queued >= QUEUE_MAX)
        return -RAIA_EFULL;
    struct request *req = calloc(1, sizeof *req);
    if (!req)
        return -RAIA_ENOMEM;
    str_copy(req->pseudonym, sizeof req->pseudonym, pseudonym);
    req->cb = cb;
    req->ctx = ctx;
    req->deadline_ms = clock_ms(CLOCK_MONOTONIC) + l->deadline_ms;
    if (l->tail)
        l->tail->next = req;
    else
        l->head = req;
    l->tail = req;
    l->queued++;
    send_next(l);
    return 0;
}
