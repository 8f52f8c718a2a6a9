/**
 * pg_writer.h - moves answer events from the Redis stream into PostgreSQL.
 *
 * Runs inside the gateway's event loop with its own hiredis connection
 * (XREADGROUP ... NOACK BLOCK) and a non-blocking libpq connection (PQsendQuery*,
 * PQsocket watched by an event; never PQexec). Each batch is written by one
 * SQL statement (atomic), and the writer's hold on the stream
 * (stream_holds.h) moves past the entries only after PostgreSQL confirmed
 * it. Entries carry their stream id into a unique column, so writing a
 * batch again after a crash inserts nothing twice. The holds of dead
 * writers are taken over after a minute. While PostgreSQL is
 * down the writer retries with backoff and the backlog waits in Redis: the
 * citizen's hot path never waits on it (DESIGN rule 4).
 * Called by gateway/main.c.
 */
#ifndef RAIA_PG_WRITER_H
#define RAIA_PG_WRITER_H

#include "raia_err.h"

struct event_base;
struct pg_writer;

/**
 * Shared by the writers of one process (zeroed by the caller). A batch that
 * holds an erasure is written alone: it waits until the other writers'
 * statements have committed, and none starts until it has. Otherwise a
 * writer could store a person's last answers in a statement whose snapshot
 * predates the erasure another writer was committing, and the erased
 * answers would stay (PostgreSQL's READ COMMITTED lets two statements run
 * side by side without seeing each other).
 */
struct pg_writer_gate {
    int writing;      /* batch statements in flight */
    int erasing;      /* a batch with an erasure is in flight */
    int erase_queued; /* batches with an erasure waiting for the others */
};

struct pg_writer_opts {
    const char *conninfo;        /* libpq connection string */
    const char *redis_url;       /* same Redis as redis_store */
    const char *prefix;          /* same key prefix as redis_store */
    const char *consumer;        /* consumer name in the group, unique per instance */
    int batch_max;               /* entries per SQL batch */
    struct pg_writer_gate *gate; /* shared with the process's other writers; NULL: alone */
};

struct pg_writer *pg_writer_new(struct event_base *base, const struct pg_writer_opts *opts,
                                struct raia_err *err);

/** What the writer did so far, for /metrics. */
struct pg_writer_stats {
    long long batches, entries, answers; /* committed to PostgreSQL */
    long long failures;                  /* batches that failed and wait to be retried */
    long long read_ahead;   /* batches read while the one before them was written (a backlog) */
    long long pending, lag; /* stream entries read (XLEN - lag), and not yet read (XINFO) */
    int backlog_seen;       /* pending and lag were read at least once */
};
/** Borrowed from w, updated as it works. */
const struct pg_writer_stats *pg_writer_stats(const struct pg_writer *w);

/** Stop reading; when the batch in flight (if any) is committed and acked, call cb once. */
void pg_writer_drain(struct pg_writer *w, void (*cb)(void *ctx), void *ctx);
void pg_writer_free(struct pg_writer *w);

#endif
