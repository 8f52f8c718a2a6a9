/*
 * api_params.c - request targets of raia-api into struct api_request (see
 * api_params.h).
 *
 * The path is matched segment by segment against the routes; ids are
 * taken as they stand (no percent-decoding: a flow id is [a-z0-9_-], so an
 * escaped one cannot be valid). The query string is decoded by libevent;
 * each route lists the parameters it takes, and any other one is an error,
 * so a misspelt parameter is never silently ignored. Called by
 * api_server.c for every request and by the fuzz target.
 */
#include "api_params.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURSOR_TAG "c1."

__attribute__((format(printf, 3, 4))) static int bad(struct api_param_error *err, const char *param,
                                                     const char *fmt, ...)
{
    err->status = param ? 400 : 404;
    err->param = param;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* [a-z0-9_-]{1,63}, the flow loader's rule for flow and step ids. */
static int valid_id(const char *s, size_t n)
{
    if (n == 0 || n >= API_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", s[i]) || s[i] == '\0')
            return 0;
    return 1;
}

/* Whole decimal number in [lo, hi]; 0 or -1. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 9)
        return -1;
    long v = strtol(s, NULL, 10);
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Splits path into at most 5 segments after the leading '/'; returns the count or -1. */
static int split_path(const char *path, const char *seg[5], size_t len[5])
{
    if (path[0] != '/')
        return -1;
    int n = 0;
    const char *p = path + 1;
    while (1) {
        const char *slash = strchr(p, '/');
        size_t l = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 5)
            return -1;
        seg[n] = p;
        len[n++] = l;
        if (!slash)
            return n;
        p = slash + 1;
    }
}

static int seg_is(const char *seg, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(seg, word, len) == 0;
}

/* A dashboard file name: [a-z0-9_-] words joined by single dots, no leading dot. */
static int valid_asset(const char *s, size_t n)
{
    if (n == 0 || n >= API_ASSET_MAX || s[0] == '.' || s[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-.", s[i]) || s[i] == '\0' ||
            (s[i] == '.' && s[i + 1] == '.'))
            return 0;
    return 1;
}

static int route_of(const char *path, struct api_request *req, struct api_param_error *err)
{
    const char *seg[5];
    size_t len[5];
    int n = split_path(path, seg, len);
    if (n == 1 && seg_is(seg[0], len[0], "healthz")) {
        req->route = API_ROUTE_HEALTHZ;
        return 0;
    }
    if (n == 1 && seg_is(seg[0], len[0], "metrics")) {
        req->route = API_ROUTE_METRICS;
        return 0;
    }
    if (n >= 1 && seg_is(seg[0], len[0], "dashboard")) {
        req->route = API_ROUTE_DASHBOARD;
        if (n == 1 || (n == 2 && len[1] == 0)) {
            snprintf(req->asset, sizeof req->asset, "index.html");
            return 0;
        }
        if (n != 3 || !seg_is(seg[1], len[1], "assets") || !valid_asset(seg[2], len[2]))
            return bad(err, NULL, "no such path");
        memcpy(req->asset, seg[2], len[2]);
        req->asset[len[2]] = '\0';
        return 0;
    }
    if (n < 2 || !seg_is(seg[0], len[0], "v1"))
        return bad(err, NULL, "no such path");
    if (n == 2 && seg_is(seg[1], len[1], "openapi.json")) {
        req->route = API_ROUTE_OPENAPI;
        return 0;
    }
    if (!seg_is(seg[1], len[1], "flows"))
        return bad(err, NULL, "no such path");
    if (n == 2) {
        req->route = API_ROUTE_FLOWS;
        return 0;
    }
    if (!valid_id(seg[2], len[2]))
        return bad(err, NULL, "no such flow: flow ids are [a-z0-9_-]");
    memcpy(req->flow, seg[2], len[2]);
    req->flow[len[2]] = '\0';
    if (n == 3)
        req->route = API_ROUTE_FLOW;
    else if (n == 4 && seg_is(seg[3], len[3], "responses"))
        req->route = API_ROUTE_RESPONSES;
    else if (n == 4 && seg_is(seg[3], len[3], "tables"))
        req->route = API_ROUTE_TABLES;
    else if (n == 4 && seg_is(seg[3], len[3], "timeline"))
        req->route = API_ROUTE_TIMELINE;
    else if (n == 4 && seg_is(seg[3], len[3], "funnel"))
        req->route = API_ROUTE_FUNNEL;
    else
        return bad(err, NULL, "no such path");
    return 0;
}

/* by=a or by=a,b: one or two distinct question ids. */
static int parse_by(const char *v, struct api_request *req, struct api_param_error *err)
{
    const char *comma = strchr(v, ',');
    size_t l1 = comma ? (size_t)(comma - v) : strlen(v);
    if (!valid_id(v, l1) || (comma && !valid_id(comma + 1, strlen(comma + 1))))
        return bad(err, "by", "by: one or two question ids, comma-separated ([a-z0-9_-])");
    memcpy(req->by[0], v, l1);
    req->by[0][l1] = '\0';
    req->n_by = 1;
    if (comma) {
        snprintf(req->by[1], sizeof req->by[1], "%s", comma + 1);
        req->n_by = 2;
        if (strcmp(req->by[0], req->by[1]) == 0)
            return bad(err, "by", "by: the two questions must differ");
    }
    return 0;
}

/* One decoded query parameter against what the route accepts. */
static int apply_param(const char *key, const char *v, long limit_max, struct api_request *req,
                       struct api_param_error *err)
{
    static const char *const allowed[API_ROUTE_COUNT][5] = {
        [API_ROUTE_HEALTHZ] = {NULL},
        [API_ROUTE_OPENAPI] = {NULL},
        [API_ROUTE_FLOWS] = {NULL},
        [API_ROUTE_FLOW] = {"version", NULL},
        [API_ROUTE_RESPONSES] = {"version", "cursor", "format", "limit", NULL},
        [API_ROUTE_TABLES] = {"version", "by", NULL},
        [API_ROUTE_TIMELINE] = {"version", NULL},
        [API_ROUTE_FUNNEL] = {"version", NULL},
        [API_ROUTE_DASHBOARD] = {NULL},
        [API_ROUTE_METRICS] = {NULL},
    };
    const char *name = NULL;
    for (const char *const *a = allowed[req->route]; *a && !name; a++)
        if (strcmp(*a, key) == 0)
            name = *a;
    if (!name)
        return bad(err, "query", "unknown parameter '%.40s' for this path", key);
    long n;
    if (strcmp(name, "version") == 0) {
        if (parse_long(v, 1, 1000000, &n) < 0)
            return bad(err, "version", "version: a whole number from 1 to 1000000");
        req->version = (int)n;
    } else if (strcmp(name, "limit") == 0) {
        if (parse_long(v, 1, limit_max, &n) < 0)
            return bad(err, "limit", "limit: a whole number from 1 to %ld", limit_max);
        req->limit = n;
    } else if (strcmp(name, "format") == 0) {
        if (strcmp(v, "jsonl") == 0)
            req->format = API_FORMAT_JSONL;
        else if (strcmp(v, "csv") == 0)
            req->format = API_FORMAT_CSV;
        else
            return bad(err, "format", "format: jsonl or csv");
    } else if (strcmp(name, "cursor") == 0) {
        if (api_cursor_decode(v, &req->cursor) < 0)
            return bad(err, "cursor", "cursor: not a cursor this API gave out");
    } else {
        return parse_by(v, req, err);
    }
    return 0;
}

int api_params_parse(const char *uri, long limit_default, long limit_max, struct api_request *req,
                     struct api_param_error *err)
{
    memset(req, 0, sizeof *req);
    req->limit = limit_default;
    struct evhttp_uri *u = evhttp_uri_parse_with_flags(uri, 0);
    if (!u)
        return bad(err, NULL, "no such path");
    const char *path = evhttp_uri_get_path(u), *query = evhttp_uri_get_query(u);
    int rc = route_of(path ? path : "", req, err);
    struct evkeyvalq params;
    params.tqh_first = NULL;
    params.tqh_last = &params.tqh_first;
    if (rc == 0 && query && evhttp_parse_query_str(query, &params) < 0)
        rc = bad(err, "query", "query string is not well-formed");
    const char *seen[8];
    size_t n_seen = 0;
    for (struct evkeyval *kv = params.tqh_first; rc == 0 && kv; kv = kv->next.tqe_next) {
        for (size_t i = 0; i < n_seen && rc == 0; i++)
            if (strcmp(seen[i], kv->key) == 0)
                rc = bad(err, "query", "parameter '%.40s' given twice", kv->key);
        if (rc == 0 && n_seen == 8)
            rc = bad(err, "query", "too many parameters");
        if (rc == 0)
            rc = apply_param(kv->key, kv->value, limit_max, req, err);
        if (rc == 0)
            seen[n_seen++] = kv->key;
    }
    if (rc == 0 && req->route == API_ROUTE_TABLES && req->n_by == 0)
        rc = bad(err, "by", "by: required (one or two question ids)");
    evhttp_clear_headers(&params);
    evhttp_uri_free(u);
    return rc;
}

void api_cursor_encode(const struct api_cursor *c, char *buf)
{
    char plain[64];
    int n = snprintf(plain, sizeof plain, CURSOR_TAG "%llu.%s", c->xid, c->session);
    int m = EVP_EncodeBlock((unsigned char *)buf, (const unsigned char *)plain, n);
    while (m > 0 && buf[m - 1] == '=')
        m--;
    buf[m] = '\0';
    for (char *p = buf; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
}

int api_cursor_decode(const char *s, struct api_cursor *c)
{
    size_t n = strlen(s);
    if (n == 0 || n > 80 || n % 4 == 1)
        return -1;
    char b64[84];
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", ch) ||
            ch == '\0')
            return -1;
        b64[i] = ch == '-' ? '+' : ch == '_' ? '/' : ch;
    }
    int pads = 0;
    while (n % 4) {
        b64[n++] = '=';
        pads++;
    }
    b64[n] = '\0';
    unsigned char plain[64];
    int m = EVP_DecodeBlock(plain, (const unsigned char *)b64, (int)n);
    if (m < pads)
        return -1;
    m -= pads; /* EVP_DecodeBlock counts padding as zero bytes */
    plain[m] = '\0';
    if (strlen((char *)plain) != (size_t)m || strncmp((char *)plain, CURSOR_TAG, 3) != 0)
        return -1;
    const char *p = (char *)plain + 3, *dot = strchr(p, '.');
    size_t digits = dot ? (size_t)(dot - p) : 0;
    if (!dot || digits == 0 || digits > 19 || strspn(p, "0123456789") != digits)
        return -1;
    const char *sid = dot + 1;
    size_t sl = strlen(sid);
    if ((sl != API_SESSION_HEX && sl != 0) || strspn(sid, "0123456789abcdef") != sl)
        return -1;
    c->xid = strtoull(p, NULL, 10);
    memcpy(c->session, sid, sl + 1);
    return 0;
}
