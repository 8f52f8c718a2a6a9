/**
 * pg_async.h - one non-blocking libpq connection driven by libevent.
 *
 * Connects with PQconnectStart/PQconnectPoll, sends in pipeline mode
 * and reads with PQconsumeInput as the socket becomes ready: the event loop
 * never waits on PostgreSQL. Reconnects with backoff (250 ms doubling to
 * 10 s) after a failure. One query at a time. Each SQL text (a static
 * string, told apart by its address) is prepared on its first use on a
 * connection, in the same round trip as its first run (a libpq pipeline),
 * and run by name afterwards, so it is planned once, not per call; past 8
 * texts a connection runs the others unprepared. Used by pg_writer.c,
 * pg_lookup.c and api_query.c.
 */
#ifndef RAIA_PG_ASYNC_H
#define RAIA_PG_ASYNC_H

#include <libpq-fe.h>

struct event_base;
struct pg_async;

/**
 * The query's result (borrowed; cleared after the callback), or NULL when
 * the connection failed before a result arrived.
 */
typedef void (*pg_async_result_cb)(void *ctx, const PGresult *res);

/**
 * A statement's parameters, as PQexecParams takes them: n values, with
 * their lengths and formats (0 text, 1 binary; NULL arrays: all text, with
 * NUL-terminated values). The types come from the statement's casts.
 */
struct pg_params {
    int n;
    const char *const *values;
    const int *lengths, *formats;
};

/** Starts connecting at once; on_up runs after each successful (re)connect. */
struct pg_async *pg_async_new(struct event_base *base, const char *conninfo,
                              void (*on_up)(void *ctx), void *ctx);
/** 1 when connected and no query is in flight. */
int pg_async_idle(const struct pg_async *pg);
/**
 * Send sql (a string that outlives pg: statements are cached by address)
 * with one text parameter ($1, not NULL). Returns 0, or -RAIA_EIO when not
 * idle or sending failed.
 */
int pg_async_query(struct pg_async *pg, const char *sql, const char *param, pg_async_result_cb cb,
                   void *ctx);
/**
 * Runs first_sql with first_param, then sql with params, in one transaction
 * and one round trip (a libpq pipeline closed by one sync). Under READ
 * COMMITTED the second statement takes its snapshot after the first one
 * has finished, so it sees what committed while the first waited (for a
 * lock, say). cb gets sql's result, or the first failure; on a failure
 * PostgreSQL rolls the whole transaction back. Both texts are prepared on
 * first use, as with pg_async_query; they must differ. first_sql NULL runs
 * sql alone: that is pg_async_query.
 */
int pg_async_query_after(struct pg_async *pg, const char *first_sql, const char *first_param,
                         const char *sql, const struct pg_params *params, pg_async_result_cb cb,
                         void *ctx);
/** Closes the connection; a query in flight gets no callback. NULL is a no-op. */
void pg_async_free(struct pg_async *pg);

/** The server's message of a failed result (or of the connection) on one line, for logs. */
void pg_async_error_text(const struct pg_async *pg, const PGresult *res, char *buf, size_t size);

#endif
