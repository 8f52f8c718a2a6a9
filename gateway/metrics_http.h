/**
 * metrics_http.h - the gateway's `GET /metrics` endpoint (Prometheus text
 * format) on libevent's evhttp, in the gateway's own event loop. Anything
 * else gets a JSON error: 404 for another path, 405 for another method.
 * Listens where the config says (metrics.listen / metrics.port), loopback
 * by default. Called by gateway/main.c.
 */
#ifndef RAIA_METRICS_HTTP_H
#define RAIA_METRICS_HTTP_H

#include "metrics.h"
#include "raia_err.h"

struct event_base;
struct metrics_http;

/** Fills src (borrowed pointers, valid for the scrape) with the modules to read. */
typedef void (*metrics_http_sources_cb)(void *ctx, struct metrics_sources *src);

/**
 * Listen on addr:port (port 0: the kernel picks one; see metrics_http_port).
 * m is borrowed and outlives the server. NULL with err filled if the
 * address cannot be bound.
 */
struct metrics_http *metrics_http_new(struct event_base *base, const char *addr, int port,
                                      struct metrics *m, metrics_http_sources_cb sources, void *ctx,
                                      struct raia_err *err);
/** The port it listens on. */
int metrics_http_port(const struct metrics_http *h);
/** NULL is a no-op. */
void metrics_http_free(struct metrics_http *h);

#endif
