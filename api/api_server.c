/*
 * api_server.c - raia-api's requests, from evhttp to the reply (see
 * api_server.h).
 *
 * Checks run in a fixed order so that a client learns only what its token
 * entitles it to (the public routes, /healthz, /v1/openapi.json and the
 * dashboard's files, stop after the method): unknown path (404), wrong
 * method (405), no valid token (401), over the rate (429), bad parameter
 * (400), flow outside the token's scope (403), then the database: unknown
 * flow or version (404). A job holds a copy of the token, so a reload of
 * the token set in between changes nothing for it. If the client goes away while a query runs, the
 * connection's close callback clears job->req and the reply is dropped when
 * the query returns. Flow definitions come from the registry text, areas
 * files included (flow_def_load_source).
 */
#include "api_server.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "api_auth.h"
#include "api_dashboard.h"
#include "api_params.h"
#include "api_query.h"
#include "api_render.h"
#include "flow.h"
#include "log.h"
#include "safe_table.h"
#include "strbuf.h"

#define QUEUE_MAX 256
#define LIMIT_DEFAULT 100
#define MAX_TOKENS 10000

extern const char api_openapi_json[];

#define STATUS_SLOTS 8 /* 200, 400, 401, 403, 404, 405, 429, other */
static const int status_codes[STATUS_SLOTS - 1] = {200, 400, 401, 403, 404, 405, 429};

struct api_server {
    /* Requests by route (API_ROUTE_*, one more for paths that match none) and status. */
    unsigned long long requests[API_ROUTE_COUNT + 1][STATUS_SLOTS];
    struct event_base *base;
    const struct raia_config *cfg;
    struct evhttp *http;
    struct api_db *db;
    struct api_auth *auth;
    struct event *refresh;
    int refreshing;
};

struct job {
    struct api_server *srv;
    struct evhttp_request *req; /* NULL once the client has gone */
    struct api_request rq;
    struct api_token tok;
    struct flow_def *def;
    int version;
    struct strbuf body;
    char next_cursor[API_CURSOR_MAX];
    long long rows;
    struct api_table_var vars[2];
    int transposed;
    struct strbuf audit;
};

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

static const char *route_name(enum api_route r)
{
    static const char *const names[API_ROUTE_COUNT] = {"healthz",   "openapi", "flows",    "flow",
                                                       "responses", "tables",  "timeline", "funnel",
                                                       "dashboard", "metrics"};
    return names[r];
}

/* Sends body with status; the request is finished afterwards. */
static void send_reply(struct evhttp_request *req, int status, const char *content_type,
                       const struct strbuf *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", content_type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (body->oom) {
        status = 500;
        evhttp_add_header(h, "Content-Type", "application/json");
    }
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    if (body->oom)
        evbuffer_add_printf(out, "{\"error\":{\"status\":500,\"code\":\"internal\","
                                 "\"message\":\"out of memory\"}}\n");
    else
        evbuffer_add(out, body->data ? body->data : "", body->len);
    evhttp_send_reply(req, status, reason(status), NULL);
}

static void send_error(struct evhttp_request *req, int status, const char *code,
                       const char *message, const char *parameter)
{
    struct strbuf sb = {0};
    api_render_error(&sb, status, code, message, parameter);
    send_reply(req, status, "application/json", &sb);
    strbuf_free(&sb);
    log_at(status >= 500 ? LOG_WARN : LOG_DEBUG, "api", "op=reply status=%d code=%s", status, code);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    struct job *job = arg;
    (void)evcon;
    job->req = NULL;
}

static void job_free(struct job *job)
{
    if (job->req)
        evhttp_connection_set_closecb(evhttp_request_get_connection(job->req), NULL, NULL);
    flow_def_unref(job->def);
    strbuf_free(&job->body);
    strbuf_free(&job->audit);
    OPENSSL_cleanse(&job->tok, sizeof job->tok);
    free(job);
}

/* Finishes a job with an error reply (if the client is still there). */
static void job_fail(struct job *job, int status, const char *code, const char *message,
                     const char *parameter)
{
    if (job->req) {
        evhttp_connection_set_closecb(evhttp_request_get_connection(job->req), NULL, NULL);
        send_error(job->req, status, code, message, parameter);
        job->req = NULL;
    }
    job_free(job);
}

static void job_reply(struct job *job, const char *content_type)
{
    if (job->req) {
        evhttp_connection_set_closecb(evhttp_request_get_connection(job->req), NULL, NULL);
        if (job->next_cursor[0]) {
            struct evkeyvalq *h = evhttp_request_get_output_headers(job->req);
            char link[API_CURSOR_MAX + 128];
            evhttp_add_header(h, "Next-Cursor", job->next_cursor);
            snprintf(link, sizeof link, "</v1/flows/%s/responses?cursor=%s>; rel=\"next\"",
                     job->rq.flow, job->next_cursor);
            evhttp_add_header(h, "Link", link);
        }
        send_reply(job->req, 200, content_type, &job->body);
        log_at(LOG_INFO, "api", "op=reply status=200 route=%s partner=%s flow=%s rows=%lld",
               route_name(job->rq.route), job->tok.name, job->rq.flow, job->rows);
        job->req = NULL;
    }
    job_free(job);
}

/* Queue a query for job; on a full queue the job fails with 503. */
static void job_query(struct job *job, enum api_sql which, const struct strbuf *param,
                      pg_async_result_cb cb)
{
    if (param->oom) {
        job_fail(job, 500, "internal", "out of memory", NULL);
        return;
    }
    if (api_db_query(job->srv->db, which, strbuf_cstr(param), cb, job) < 0)
        job_fail(job, 503, "unavailable", "too many requests waiting for the database", NULL);
}

/*
 * A query that failed: 503 when the connection is gone (try again later),
 * 500 when PostgreSQL refused the statement; logged once either way.
 */
static int query_failed(struct job *job, const PGresult *res, ExecStatusType want)
{
    if (res && PQresultStatus(res) == want)
        return 0;
    log_at(LOG_WARN, "api", "op=query route=%s err=\"%s\"", route_name(job->rq.route),
           res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "connection lost");
    if (res)
        job_fail(job, 500, "internal", "the database refused the query", NULL);
    else
        job_fail(job, 503, "unavailable", "the database is not available; try again later", NULL);
    return 1;
}

static const char *nullable(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* ---- the audit row, then the reply ---- */

static void on_audited(void *ctx, const PGresult *res)
{
    struct job *job = ctx;
    if (query_failed(job, res, PGRES_COMMAND_OK))
        return;
    job_reply(job, job->rq.route != API_ROUTE_RESPONSES ? "application/json"
                   : job->rq.format == API_FORMAT_CSV   ? "text/csv; charset=utf-8"
                                                        : "application/x-ndjson");
}

/* Records the pull (who, what, how many rows) before any of it leaves. */
static void audit_then_reply(struct job *job, const char *action, const struct strbuf *detail)
{
    struct strbuf p = {0};
    strbuf_puts(&p, "{\"actor\":");
    strbuf_json_str(&p, job->tok.name);
    strbuf_printf(&p, ",\"action\":\"%s\",\"detail\":%s}", action, strbuf_cstr(detail));
    p.oom |= detail->oom;
    job_query(job, API_SQL_AUDIT, &p, on_audited);
    strbuf_free(&p);
}

/* ---- GET /v1/flows/{id}/responses ---- */

static void on_responses(void *ctx, const PGresult *res)
{
    struct job *job = ctx;
    if (query_failed(job, res, PGRES_TUPLES_OK))
        return;
    api_render_header(&job->body, job->def, job->rq.format);
    struct api_cursor last = job->rq.cursor;
    int n = PQntuples(res);
    for (int r = 0; r < n;) {
        struct api_session s = {
            .session_id = PQgetvalue(res, r, 0),
            .pseudonym = PQgetvalue(res, r, 1),
            .language = nullable(res, r, 2),
            .channel = nullable(res, r, 3),
            .operator_name = nullable(res, r, 4),
            .started_on = nullable(res, r, 5),
            .ended_on = nullable(res, r, 6),
            .outcome = nullable(res, r, 7),
            .flow_version = job->version,
        };
        int first = r;
        for (; r < n && strcmp(PQgetvalue(res, r, 0), s.session_id) == 0; r++) {
            const char *q = nullable(res, r, 9);
            const char **slot = q ? api_session_slot(job->def, &s, q) : NULL;
            if (slot)
                *slot = nullable(res, r, 10) ? nullable(res, r, 10) : nullable(res, r, 11);
        }
        api_render_session(&job->body, job->def, job->rq.format, &job->tok, &s);
        last.xid = strtoull(PQgetvalue(res, first, 8), NULL, 10);
        snprintf(last.session, sizeof last.session, "%s", s.session_id);
        job->rows++;
    }
    api_cursor_encode(&last, job->next_cursor);
    struct strbuf d = {0};
    strbuf_puts(&d, "{\"flow\":");
    strbuf_json_str(&d, job->rq.flow);
    strbuf_printf(&d, ",\"version\":%d,\"rows\":%lld,\"format\":\"%s\",\"limit\":%ld}",
                  job->version, job->rows, job->rq.format == API_FORMAT_CSV ? "csv" : "jsonl",
                  job->rq.limit);
    audit_then_reply(job, "api_responses", &d);
    strbuf_free(&d);
}

static void start_responses(struct job *job)
{
    struct strbuf p = {0};
    strbuf_puts(&p, "{\"flow\":");
    strbuf_json_str(&p, job->rq.flow);
    strbuf_printf(&p,
                  ",\"version\":%d,\"after_xid\":\"%llu\",\"after_session\":\"%s\","
                  "\"limit\":%ld}",
                  job->version, job->rq.cursor.xid, job->rq.cursor.session, job->rq.limit);
    job_query(job, API_SQL_RESPONSES, &p, on_responses);
    strbuf_free(&p);
}

/* ---- GET /v1/flows/{id}/tables ---- */

static void on_table(void *ctx, const PGresult *res)
{
    struct job *job = ctx;
    if (query_failed(job, res, PGRES_TUPLES_OK))
        return;
    /* a location variable's categories: the coarsest areas that were answered */
    for (int r = 0; r < PQntuples(res); r++) {
        for (int c = 0; c < job->rq.n_by; c++) { /* column c holds vars[c], or vars[1 - c] */
            struct api_table_var *v = &job->vars[job->transposed ? 1 - c : c];
            if (api_table_learn(job->def, v, nullable(res, r, c)) < 0) {
                job_fail(job, 400, "bad_parameter", "by: too many areas to tabulate", "by");
                return;
            }
        }
    }
    /* computed with the alphabetically first question as rows, whatever the order asked */
    const struct api_table_var *rv = &job->vars[job->transposed ? 1 : 0];
    const struct api_table_var *cv = job->rq.n_by == 2 ? &job->vars[job->transposed ? 0 : 1] : NULL;
    size_t rows = rv->n, cols = cv ? cv->n : 0;
    /* no category on one side (nobody answered a location question): all zero, t NULL */
    int empty = rows == 0 || (cv && cols == 0);
    long long *counts = empty ? NULL : calloc(rows * (cols ? cols : 1), sizeof *counts);
    if (!empty && !counts) {
        job_fail(job, 500, "internal", "out of memory", NULL);
        return;
    }
    for (int r = 0; !empty && r < PQntuples(res); r++) {
        int i = api_table_var_index(job->def, rv, nullable(res, r, 0));
        int j = cv ? api_table_var_index(job->def, cv, nullable(res, r, 1)) : 0;
        if (i >= 0 && j >= 0)
            counts[(size_t)i * (cols ? cols : 1) + (size_t)j] +=
                strtoll(PQgetvalue(res, r, 2), NULL, 10);
    }
    struct safe_table *t =
        empty ? NULL : safe_table_protect(rows, cols, counts, job->srv->cfg->privacy.min_cell);
    free(counts);
    if (!empty && !t) {
        job_fail(job, 500, "internal", "out of memory", NULL);
        return;
    }
    api_render_table(&job->body, job->def, job->version, job->srv->cfg->privacy.min_cell, job->vars,
                     job->rq.n_by, t, job->transposed);
    long long hidden = safe_table_hidden(t);
    job->rows = (long long)((rows + 1) * (cv ? cols + 1 : 1));
    safe_table_free(t);
    struct strbuf d = {0};
    strbuf_puts(&d, "{\"flow\":");
    strbuf_json_str(&d, job->rq.flow);
    strbuf_printf(&d, ",\"version\":%d,\"by\":[", job->version);
    for (int k = 0; k < job->rq.n_by; k++) {
        strbuf_puts(&d, k ? "," : "");
        strbuf_json_str(&d, job->rq.by[k]);
    }
    strbuf_printf(&d, "],\"rows\":%lld,\"suppressed\":%lld,\"min_cell\":%lld}", job->rows, hidden,
                  job->srv->cfg->privacy.min_cell);
    audit_then_reply(job, "api_tables", &d);
    strbuf_free(&d);
}

static void start_table(struct job *job)
{
    for (int k = 0; k < job->rq.n_by; k++) {
        const char *why;
        if (api_table_var(job->def, job->rq.by[k], &job->vars[k], &why) < 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "by: '%s': %s", job->rq.by[k], why);
            job_fail(job, 400, "bad_parameter", msg, "by");
            return;
        }
    }
    job->transposed = job->rq.n_by == 2 && strcmp(job->rq.by[0], job->rq.by[1]) > 0;
    const char *q1 = job->rq.by[job->transposed ? 1 : 0];
    const char *q2 = job->rq.n_by == 2 ? job->rq.by[job->transposed ? 0 : 1] : NULL;
    struct strbuf p = {0};
    strbuf_puts(&p, "{\"flow\":");
    strbuf_json_str(&p, job->rq.flow);
    strbuf_printf(&p, ",\"version\":%d,\"q1\":", job->version);
    strbuf_json_str(&p, q1);
    strbuf_puts(&p, ",\"q2\":");
    if (q2)
        strbuf_json_str(&p, q2);
    else
        strbuf_puts(&p, "null");
    strbuf_append(&p, "}", 1);
    job_query(job, API_SQL_TABLE, &p, on_table);
    strbuf_free(&p);
}

/* ---- GET /v1/flows/{id}/timeline and /funnel ---- */

/* The audit row of an aggregate (timeline, funnel): what was sent and how much was hidden. */
static void audit_aggregate(struct job *job, const char *action, long long hidden)
{
    struct strbuf d = {0};
    strbuf_puts(&d, "{\"flow\":");
    strbuf_json_str(&d, job->rq.flow);
    strbuf_printf(&d, ",\"version\":%d,\"rows\":%lld,\"suppressed\":%lld,\"min_cell\":%lld}",
                  job->version, job->rows, hidden, job->srv->cfg->privacy.min_cell);
    audit_then_reply(job, action, &d);
    strbuf_free(&d);
}

/*
 * Rows (day, channel, count), one day after another with no gap: the days
 * x channels table, protected as any two-way table (margins: each day's
 * total, each channel's total, the grand total).
 */
static void on_timeline(void *ctx, const PGresult *res)
{
    struct job *job = ctx;
    if (query_failed(job, res, PGRES_TUPLES_OK))
        return;
    int n = PQntuples(res);
    size_t n_days = 0;
    for (int r = 0; r < n; r++)
        n_days += r == 0 || strcmp(PQgetvalue(res, r, 0), PQgetvalue(res, r - 1, 0)) != 0;
    char(*days)[16] = n_days ? calloc(n_days, sizeof *days) : NULL;
    long long *counts = n_days ? calloc(n_days * API_N_CHANNELS, sizeof *counts) : NULL;
    if (n_days && (!days || !counts)) {
        free(days);
        free(counts);
        job_fail(job, 500, "internal", "out of memory", NULL);
        return;
    }
    for (int r = 0, d = -1; r < n; r++) {
        if (r == 0 || strcmp(PQgetvalue(res, r, 0), PQgetvalue(res, r - 1, 0)) != 0)
            snprintf(days[++d], sizeof days[0], "%s", PQgetvalue(res, r, 0));
        int c = api_channel_index(nullable(res, r, 1));
        if (c >= 0)
            counts[(size_t)d * API_N_CHANNELS + (size_t)c] +=
                strtoll(PQgetvalue(res, r, 2), NULL, 10);
    }
    struct safe_table *t =
        n_days ? safe_table_protect(n_days, API_N_CHANNELS, counts, job->srv->cfg->privacy.min_cell)
               : NULL;
    free(counts);
    if (n_days && !t) {
        free(days);
        job_fail(job, 500, "internal", "out of memory", NULL);
        return;
    }
    api_render_timeline(&job->body, job->def, job->version, job->srv->cfg->privacy.min_cell,
                        (const char(*)[16])days, n_days, t);
    job->rows = t ? (long long)safe_table_size(t) : 0;
    long long hidden = safe_table_hidden(t);
    safe_table_free(t);
    free(days);
    audit_aggregate(job, "api_timeline", hidden);
}

/*
 * Rows (position, channel, answered, left): per question, reached =
 * answered + left (those who stopped there). Each count is protected per
 * question and measure as a one-way table over the channels with its total.
 */
static void on_funnel(void *ctx, const PGresult *res)
{
    struct job *job = ctx;
    if (query_failed(job, res, PGRES_TUPLES_OK))
        return;
    size_t steps = flow_def_step_count(job->def);
    long long(*answered)[API_N_CHANNELS] = calloc(steps, sizeof *answered);
    long long(*reached)[API_N_CHANNELS] = calloc(steps, sizeof *reached);
    struct safe_table **tables = calloc(2 * steps, sizeof *tables);
    int ok = answered && reached && tables;
    for (int r = 0; ok && r < PQntuples(res); r++) {
        long pos = strtol(PQgetvalue(res, r, 0), NULL, 10);
        int c = api_channel_index(nullable(res, r, 1));
        if (pos < 1 || (size_t)pos > steps || c < 0)
            continue;
        long long a = strtoll(PQgetvalue(res, r, 2), NULL, 10);
        answered[pos - 1][c] += a;
        reached[pos - 1][c] += a + strtoll(PQgetvalue(res, r, 3), NULL, 10);
    }
    long long min_cell = job->srv->cfg->privacy.min_cell, hidden = 0;
    for (size_t s = 0; ok && s < steps; s++) {
        tables[s] = safe_table_protect(API_N_CHANNELS, 0, reached[s], min_cell);
        tables[steps + s] = safe_table_protect(API_N_CHANNELS, 0, answered[s], min_cell);
        ok = tables[s] && tables[steps + s];
        if (ok) {
            hidden += safe_table_hidden(tables[s]) + safe_table_hidden(tables[steps + s]);
            job->rows +=
                (long long)(safe_table_size(tables[s]) + safe_table_size(tables[steps + s]));
        }
    }
    if (ok)
        api_render_funnel(&job->body, job->def, job->version, min_cell, tables, tables + steps);
    for (size_t s = 0; tables && s < 2 * steps; s++)
        safe_table_free(tables[s]);
    free(tables);
    free(answered);
    free(reached);
    if (!ok) {
        job_fail(job, 500, "internal", "out of memory", NULL);
        return;
    }
    audit_aggregate(job, "api_funnel", hidden);
}

static void start_aggregate(struct job *job)
{
    struct strbuf p = {0};
    strbuf_puts(&p, "{\"flow\":");
    strbuf_json_str(&p, job->rq.flow);
    strbuf_printf(&p, ",\"version\":%d,\"questions\":[", job->version);
    for (size_t s = 0; s < flow_def_step_count(job->def); s++) {
        strbuf_puts(&p, s ? "," : "");
        strbuf_json_str(&p, flow_def_step_id(job->def, s));
    }
    strbuf_puts(&p, "]}");
    if (job->rq.route == API_ROUTE_TIMELINE)
        job_query(job, API_SQL_TIMELINE, &p, on_timeline);
    else
        job_query(job, API_SQL_FUNNEL, &p, on_funnel);
    strbuf_free(&p);
}

/* ---- the flow's definition, first step of /v1/flows/{id}[/...] ---- */

static void on_flow(void *ctx, const PGresult *res)
{
    struct job *job = ctx;
    if (query_failed(job, res, PGRES_TUPLES_OK))
        return;
    int n = PQntuples(res);
    if (n == 0) {
        job_fail(job, 404, "not_found", job->rq.version ? "no such flow version" : "no such flow",
                 NULL);
        return;
    }
    job->version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    struct raia_errlist errs = {0};
    const char *text = PQgetvalue(res, 0, 2);
    job->def = flow_def_load_source(job->rq.flow, text, strlen(text), &errs);
    if (!job->def) {
        log_at(LOG_WARN, "api", "op=load flow=%s err=\"%s\"", job->rq.flow,
               errs.n ? errs.items[0].msg : "unknown");
        raia_errlist_free(&errs);
        job_fail(job, 500, "internal", "the registered flow definition does not load", NULL);
        return;
    }
    raia_errlist_free(&errs);
    if (job->rq.route == API_ROUTE_RESPONSES) {
        start_responses(job);
    } else if (job->rq.route == API_ROUTE_TABLES) {
        start_table(job);
    } else if (job->rq.route == API_ROUTE_TIMELINE || job->rq.route == API_ROUTE_FUNNEL) {
        start_aggregate(job);
    } else {
        struct api_flow_rev revs[32];
        size_t nr = 0;
        for (int r = 0; r < n && nr < 32; r++)
            revs[nr++] = (struct api_flow_rev){PQgetvalue(res, r, 1), PQgetvalue(res, r, 3)};
        api_render_flow(&job->body, job->def, job->version, revs, nr);
        job_reply(job, "application/json");
    }
}

/* ---- GET /v1/flows ---- */

static void on_flows(void *ctx, const PGresult *res)
{
    struct job *job = ctx;
    if (query_failed(job, res, PGRES_TUPLES_OK))
        return;
    struct strbuf *sb = &job->body;
    strbuf_puts(sb, "{\"flows\":[");
    int n = PQntuples(res);
    for (int r = 0; r < n; r++) {
        const char *id = PQgetvalue(res, r, 0);
        int new_flow = r == 0 || strcmp(id, PQgetvalue(res, r - 1, 0)) != 0;
        int last_of_flow = r + 1 == n || strcmp(id, PQgetvalue(res, r + 1, 0)) != 0;
        if (new_flow) {
            strbuf_puts(sb, r ? ",{\"id\":" : "{\"id\":");
            strbuf_json_str(sb, id);
            strbuf_puts(sb, ",\"versions\":[");
        } else {
            strbuf_append(sb, ",", 1);
        }
        strbuf_printf(sb, "{\"version\":%s,\"title\":", PQgetvalue(res, r, 1));
        strbuf_json_str(sb, PQgetvalue(res, r, 2));
        strbuf_printf(sb, ",\"first_seen_on\":\"%s\",\"sessions\":%s,\"ended_sessions\":%s}",
                      PQgetvalue(res, r, 3), PQgetvalue(res, r, 4), PQgetvalue(res, r, 5));
        if (last_of_flow) {
            strbuf_puts(sb, "],\"title\":");
            strbuf_json_str(sb, PQgetvalue(res, r, 2));
            strbuf_append(sb, "}", 1);
            job->rows++;
        }
    }
    strbuf_puts(sb, "]}\n");
    job_reply(job, "application/json");
}

static void start_flows(struct job *job)
{
    struct strbuf p = {0};
    strbuf_puts(&p, "{\"flows\":[");
    const char *f = job->tok.flows;
    for (int first = 1; *f; first = 0) {
        const char *comma = strchr(f, ',');
        size_t l = comma ? (size_t)(comma - f) : strlen(f);
        char id[API_ID_MAX];
        snprintf(id, sizeof id, "%.*s", (int)(l < API_ID_MAX ? l : API_ID_MAX - 1), f);
        strbuf_puts(&p, first ? "" : ",");
        strbuf_json_str(&p, id);
        f = comma ? comma + 1 : f + l;
    }
    strbuf_puts(&p, "]}");
    job_query(job, API_SQL_FLOWS, &p, on_flows);
    strbuf_free(&p);
}

/* ---- requests ---- */

/*
 * A finished request, counted by route and status for GET /metrics. The
 * route is read from the URI again (cheap), so nothing is allocated per
 * request for it.
 */
static void on_complete(struct evhttp_request *req, void *arg)
{
    struct api_server *srv = arg;
    struct api_request rq;
    struct api_param_error perr = {0};
    int rc = api_params_parse(evhttp_request_get_uri(req), 1, 1, &rq, &perr);
    int route = rc < 0 && perr.status == 404 ? API_ROUTE_COUNT : (int)rq.route;
    int status = evhttp_request_get_response_code(req);
    size_t s = 0;
    while (s < STATUS_SLOTS - 1 && status_codes[s] != status)
        s++;
    srv->requests[route][s]++;
}

/* GET /metrics: every request so far by route and status; no token, no person. */
static void render_metrics(const struct api_server *srv, struct strbuf *sb)
{
    strbuf_puts(sb, "# HELP raia_api_requests_total Requests by route and status.\n"
                    "# TYPE raia_api_requests_total counter\n");
    for (int r = 0; r <= API_ROUTE_COUNT; r++)
        for (size_t s = 0; s < STATUS_SLOTS; s++) {
            char status[8] = "other";
            if (s < STATUS_SLOTS - 1)
                snprintf(status, sizeof status, "%d", status_codes[s]);
            if (srv->requests[r][s])
                strbuf_printf(sb, "raia_api_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
                              r < API_ROUTE_COUNT ? route_name((enum api_route)r) : "none", status,
                              srv->requests[r][s]);
        }
}

static void public_route(struct evhttp_request *req, struct api_server *srv, enum api_route route)
{
    struct strbuf sb = {0};
    if (route == API_ROUTE_METRICS) {
        render_metrics(srv, &sb);
        send_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", &sb);
        strbuf_free(&sb);
        return;
    }
    if (route == API_ROUTE_OPENAPI) {
        strbuf_puts(&sb, api_openapi_json);
    } else {
        strbuf_printf(&sb, "{\"status\":\"%s\",\"tokens_loaded\":%s}\n",
                      api_auth_ready(srv->auth) ? "ok" : "starting",
                      api_auth_ready(srv->auth) ? "true" : "false");
    }
    send_reply(req, route == API_ROUTE_HEALTHZ && !api_auth_ready(srv->auth) ? 503 : 200,
               "application/json", &sb);
    strbuf_free(&sb);
}

/*
 * GET /dashboard[/assets/NAME]: a compiled-in file, no token (the page asks
 * for one and sends it with each data call), under a strict CSP.
 */
static void dashboard_route(struct evhttp_request *req, const char *name)
{
    const struct api_asset *a = api_dashboard_asset(name);
    if (!a) {
        send_error(req, 404, "not_found", "no such dashboard file", NULL);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Security-Policy", api_dashboard_csp);
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "X-Frame-Options", "DENY");
    struct strbuf sb = {0};
    strbuf_append(&sb, a->data, a->len);
    send_reply(req, 200, a->content_type, &sb);
    strbuf_free(&sb);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct api_server *srv = arg;
    struct api_request rq;
    struct api_param_error perr = {0};
    long limit_max = (long)srv->cfg->api.page_max;
    int rc = api_params_parse(evhttp_request_get_uri(req),
                              LIMIT_DEFAULT < limit_max ? LIMIT_DEFAULT : limit_max, limit_max, &rq,
                              &perr);
    evhttp_request_set_on_complete_cb(req, on_complete, srv);
    if (rc < 0 && perr.status == 404) {
        send_error(req, 404, "not_found", perr.message, NULL);
        return;
    }
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        send_error(req, 405, "method_not_allowed", "only GET (and HEAD) are served", NULL);
        return;
    }
    if (rq.route == API_ROUTE_HEALTHZ || rq.route == API_ROUTE_OPENAPI ||
        rq.route == API_ROUTE_DASHBOARD || rq.route == API_ROUTE_METRICS) {
        if (rc < 0)
            send_error(req, 400, "bad_parameter", perr.message, perr.param);
        else if (rq.route == API_ROUTE_DASHBOARD)
            dashboard_route(req, rq.asset);
        else
            public_route(req, srv, rq.route);
        return;
    }
    if (!api_auth_ready(srv->auth)) {
        send_error(req, 503, "unavailable", "starting: tokens not loaded yet", NULL);
        return;
    }
    struct api_token tok;
    const char *authz = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (api_auth_check(srv->auth, authz, &tok) < 0) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
                          "Bearer realm=\"raia\"");
        send_error(req, 401, "unauthorized",
                   authz ? "unknown or revoked token"
                         : "missing token: send Authorization: Bearer TOKEN",
                   NULL);
        return;
    }
    struct timeval now;
    event_base_gettimeofday_cached(srv->base, &now);
    long wait = api_auth_take(srv->auth, tok.name, (double)now.tv_sec + now.tv_usec / 1e6);
    if (wait > 0) {
        char secs[24];
        snprintf(secs, sizeof secs, "%ld", wait);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", secs);
        send_error(req, 429, "rate_limited", "too many requests for this token; see Retry-After",
                   NULL);
        return;
    }
    if (rc < 0) {
        send_error(req, 400, "bad_parameter", perr.message, perr.param);
        return;
    }
    if (rq.route != API_ROUTE_FLOWS && !api_token_allows(&tok, rq.flow)) {
        send_error(req, 403, "forbidden", "this token is not scoped to that flow", NULL);
        return;
    }
    struct job *job = calloc(1, sizeof *job);
    if (!job) {
        send_error(req, 500, "internal", "out of memory", NULL);
        return;
    }
    *job = (struct job){.srv = srv, .req = req, .rq = rq, .tok = tok};
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, job);
    if (rq.route == API_ROUTE_FLOWS) {
        start_flows(job);
        return;
    }
    struct strbuf p = {0};
    strbuf_puts(&p, "{\"flow\":");
    strbuf_json_str(&p, rq.flow);
    strbuf_printf(&p, ",\"version\":%d}", rq.version);
    job_query(job, API_SQL_FLOW, &p, on_flow);
    strbuf_free(&p);
}

/* ---- the token set ---- */

static int unhex(const char *hex, unsigned char *out, size_t n)
{
    if (strlen(hex) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned int b;
        if (sscanf(hex + 2 * i, "%2x", &b) != 1)
            return -1;
        out[i] = (unsigned char)b;
    }
    return 0;
}

static void on_tokens(void *ctx, const PGresult *res)
{
    struct api_server *srv = ctx;
    srv->refreshing = 0;
    if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_at(LOG_WARN, "api", "op=tokens err=\"%s\"",
               res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : "connection lost");
        return;
    }
    int n = PQntuples(res);
    if (n > MAX_TOKENS)
        n = MAX_TOKENS;
    struct api_token *t = n ? calloc((size_t)n, sizeof *t) : NULL;
    if (n && !t)
        return;
    int ok = 0;
    for (int r = 0; r < n; r++) {
        struct api_token *k = &t[ok];
        snprintf(k->name, sizeof k->name, "%s", PQgetvalue(res, r, 0));
        snprintf(k->flows, sizeof k->flows, "%s", PQgetvalue(res, r, 2));
        k->stable_pseudonym = strcmp(PQgetvalue(res, r, 3), "stable-pseudonym") == 0;
        if (unhex(PQgetvalue(res, r, 1), k->hash, sizeof k->hash) == 0 &&
            unhex(PQgetvalue(res, r, 4), k->respondent_key, sizeof k->respondent_key) == 0)
            ok++;
    }
    int was_ready = api_auth_ready(srv->auth);
    if (api_auth_replace(srv->auth, t, (size_t)ok) == 0 && !was_ready)
        log_at(LOG_INFO, "api", "op=tokens status=loaded tokens=%d", ok);
    OPENSSL_cleanse(t, (size_t)n * sizeof *t);
    free(t);
}

static void on_refresh(evutil_socket_t fd, short what, void *arg)
{
    struct api_server *srv = arg;
    (void)fd;
    (void)what;
    if (srv->refreshing)
        return;
    /* set first: on a fast local server the result (and on_tokens, which clears
     * it) can arrive before api_db_query returns */
    srv->refreshing = 1;
    if (api_db_query(srv->db, API_SQL_TOKENS, "{}", on_tokens, srv) < 0)
        srv->refreshing = 0;
}

struct api_server *api_server_new(struct event_base *base, const struct raia_config *cfg,
                                  struct raia_err *err)
{
    struct api_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    srv->base = base;
    srv->cfg = cfg;
    srv->auth = api_auth_new((long)cfg->api.requests_per_minute);
    srv->db = api_db_new(base, cfg->api.conninfo, (int)cfg->api.db_connections, QUEUE_MAX);
    srv->http = evhttp_new(base);
    srv->refresh = event_new(base, -1, EV_PERSIST, on_refresh, srv);
    if (!srv->auth || !srv->db || !srv->http || !srv->refresh) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        api_server_free(srv);
        return NULL;
    }
    evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                              EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                              EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_max_headers_size(srv->http, (ev_ssize_t)cfg->api.max_request_bytes);
    evhttp_set_max_body_size(srv->http, (ev_ssize_t)cfg->api.max_request_bytes);
    evhttp_set_timeout(srv->http, (int)cfg->api.timeout_s);
    evhttp_set_gencb(srv->http, on_request, srv);
    if (evhttp_bind_socket(srv->http, cfg->api.listen, (ev_uint16_t)cfg->api.port) < 0) {
        raia_err_set(err, RAIA_EIO, "api: cannot listen on %s:%lld", cfg->api.listen,
                     cfg->api.port);
        api_server_free(srv);
        return NULL;
    }
    struct timeval every = {(time_t)cfg->api.token_refresh_s, 0};
    event_add(srv->refresh, &every);
    on_refresh(-1, 0, srv);
    log_at(LOG_INFO, "api", "op=listen addr=%s port=%lld", cfg->api.listen, cfg->api.port);
    return srv;
}

void api_server_free(struct api_server *srv)
{
    if (!srv)
        return;
    if (srv->http)
        evhttp_free(srv->http);
    if (srv->refresh)
        event_free(srv->refresh);
    api_db_free(srv->db);
    api_auth_free(srv->auth);
    free(srv);
}
