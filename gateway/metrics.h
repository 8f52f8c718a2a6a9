/**
 * metrics.h - what the gateway counts, in Prometheus text format for
 * `GET /metrics` (gateway/metrics_http.c; docs/operations.md).
 *
 * The counters that belong to one module stay in it (PDUs per bind in
 * smpp_conn, the stream backlog in pg_writer); this module keeps the
 * turn-level ones (turns, their latency, how sessions ended) and renders
 * everything, reading the other modules through their accessors at scrape
 * time. One object, owned by main.c and passed to whoever counts.
 */
#ifndef RAIA_METRICS_H
#define RAIA_METRICS_H

#include <stddef.h>

#include "strbuf.h"

struct metrics;
struct outbox;
struct pg_writer;
struct smpp_conn;

/** How a session ended, as counted by the gateway (timed_out is PostgreSQL's to see). */
enum metrics_outcome {
    METRICS_COMPLETED,
    METRICS_ABANDONED,
    METRICS_STOPPED,
    METRICS_REFUSED,
    METRICS_OUTCOMES
};

/** NULL on OOM. */
struct metrics *metrics_new(void);
/** NULL is a no-op. */
void metrics_free(struct metrics *m);

/** One turn answered: from its deliver_sm to its reply, in microseconds. */
void metrics_turn(struct metrics *m, long long latency_us);
/** A session ended. */
void metrics_outcome(struct metrics *m, enum metrics_outcome outcome);
/** A turn the gateway could not store (Redis down or full, flood limit): the citizen was told. */
void metrics_turn_failed(struct metrics *m);
/** An HTTP request to the metrics server ended with status. */
void metrics_http(struct metrics *m, int status);

/** What the render reads from the other modules (all borrowed for the call). */
struct metrics_sources {
    struct smpp_conn *const *conns;
    size_t n_conns;
    const struct pg_writer *const *writers; /* all drain one stream */
    size_t n_writers;
    const struct outbox *outbox; /* NULL: no broadcasts */
    size_t turns_in_flight;
    size_t sessions_cached;
};

/** Append the whole exposition (text format 0.0.4) to out. */
void metrics_render(const struct metrics *m, const struct metrics_sources *src, struct strbuf *out);

#endif
