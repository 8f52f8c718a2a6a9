/**
 * api_params.h - what a raia-api request asks for: its route, path
 * arguments and query parameters, checked, and the opaque responses cursor.
 *
 * Everything a client sends in the request line passes through here and
 * nothing else reads it: a value out of range, an unknown or repeated
 * parameter, a cursor not made by raia-api gives a 400 naming the
 * parameter. Pure parsing (libevent's URI and query-string decoders, no
 * I/O), so tests/fuzz/fuzz_api_params.c drives it directly. Used by
 * api/api_server.c.
 */
#ifndef RAIA_API_PARAMS_H
#define RAIA_API_PARAMS_H

#include <stddef.h>

#define API_ID_MAX 64 /* flow and question ids, NUL included (FLOW_ID_MAX) */
#define API_SESSION_HEX 32
#define API_CURSOR_MAX 96
#define API_ASSET_MAX 64 /* a dashboard file name, NUL included */

enum api_route {
    API_ROUTE_HEALTHZ,
    API_ROUTE_OPENAPI,
    API_ROUTE_FLOWS,
    API_ROUTE_FLOW,
    API_ROUTE_RESPONSES,
    API_ROUTE_TABLES,
    API_ROUTE_TIMELINE,  /* ended sessions per day and channel */
    API_ROUTE_FUNNEL,    /* per question: reached and answered, by channel */
    API_ROUTE_DASHBOARD, /* the dashboard's static files (no token) */
    API_ROUTE_METRICS,   /* requests by route and status, Prometheus text (no token) */
    API_ROUTE_COUNT      /* not a route: the number of routes, for tables indexed by route */
};

enum api_format { API_FORMAT_JSONL, API_FORMAT_CSV };

/** A position in a flow's responses feed: after (xid, session); (0, "") is the start. */
struct api_cursor {
    unsigned long long xid;
    char session[API_SESSION_HEX + 1];
};

struct api_request {
    enum api_route route;
    char flow[API_ID_MAX];     /* FLOW, RESPONSES, TABLES, TIMELINE, FUNNEL */
    char asset[API_ASSET_MAX]; /* DASHBOARD: "index.html" for /dashboard, else the file name */
    int version;               /* 0: the highest registered */
    enum api_format format;
    long limit;
    struct api_cursor cursor;
    char by[2][API_ID_MAX];
    int n_by;
};

/** Why a request was refused: 404 (no such path) or 400 with the parameter at fault. */
struct api_param_error {
    int status;
    const char *param; /* static; NULL for a 404 */
    char message[160];
};

/**
 * Parse uri (the request target, "/v1/flows/x/responses?limit=10",
 * "/dashboard", "/dashboard/assets/dashboard.js").
 * limit_default and limit_max bound `limit`. Returns 0 and fills req, or
 * -1 with err filled.
 */
int api_params_parse(const char *uri, long limit_default, long limit_max, struct api_request *req,
                     struct api_param_error *err);

/** Write c as an opaque cursor (base64url, no padding) into buf of API_CURSOR_MAX. */
void api_cursor_encode(const struct api_cursor *c, char *buf);
/** Read a cursor made by api_cursor_encode; 0, or -1 when s is not one. */
int api_cursor_decode(const char *s, struct api_cursor *c);

#endif
