/**
 * api_server.h - raia-api's HTTP server: evhttp on the loop main() owns,
 * partner tokens, routing, and the asynchronous requests to PostgreSQL.
 *
 * One request is one job: checked (route, method, token, rate, parameters,
 * scope), then one to three queries through storage/api_query.c, then one
 * reply. Every pull of data (responses, tables, timeline, funnel) is in
 * audit_log before its reply leaves. docs/api.md describes the endpoints;
 * api/openapi.json is served as /v1/openapi.json, and the dashboard's
 * compiled-in files (api_dashboard.h) under /dashboard without a token.
 */
#ifndef RAIA_API_SERVER_H
#define RAIA_API_SERVER_H

#include "config.h"
#include "raia_err.h"

struct event_base;
struct api_server;

/**
 * Listen on cfg->api.listen:port and connect to cfg->api.conninfo. cfg is
 * borrowed for the server's life. NULL with err set on failure.
 */
struct api_server *api_server_new(struct event_base *base, const struct raia_config *cfg,
                                  struct raia_err *err);
/** Stop listening; requests in flight get no reply. NULL is a no-op. */
void api_server_free(struct api_server *srv);

#endif
