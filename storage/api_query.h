/**
 * api_query.h - what raia-api reads from and appends to PostgreSQL.
 *
 * A small pool of non-blocking connections (pg_async.c) logged in as the
 * raia_api role (storage/migrations/009_partners.sql), with a bounded FIFO
 * of queries waiting for a free connection, so the API's event loop never
 * waits on the database. Every statement takes one JSON parameter; the SQL
 * texts live in api_query.c next to each other, and docs/api.md says what
 * each returns. Used by api/api_server.c only.
 */
#ifndef RAIA_API_QUERY_H
#define RAIA_API_QUERY_H

#include "pg_async.h"

struct event_base;
struct api_db;

enum api_sql {
    API_SQL_TOKENS, /* {} -> name, token_sha256 hex, flows "a,b", scope, respondent_key hex */
    API_SQL_FLOWS,  /* {"flows":[..]} -> flow_id, version, title, first_seen_on, sessions, ended */
    API_SQL_FLOW,   /* {"flow","version"} -> version, checksum, definition, first_seen_on */
    API_SQL_RESPONSES, /* {"flow","version","after_xid","after_session","limit"} -> see .c */
    API_SQL_TABLE,     /* {"flow","version","q1","q2"} -> code1, code2, count */
    API_SQL_TIMELINE,  /* {"flow","version"} -> day, channel, count (every day first..last) */
    API_SQL_FUNNEL,    /* {"flow","version","questions":[ids]} -> pos, channel, answered, left */
    API_SQL_AUDIT      /* {"actor","action","detail":{..}} -> nothing */
};

/**
 * Open n connections with conninfo (copied). A query that finds every
 * connection busy waits in a queue of at most queue_max. NULL on failure.
 */
struct api_db *api_db_new(struct event_base *base, const char *conninfo, int n, int queue_max);
/**
 * Run statement which with the JSON text param (copied). cb gets the result
 * (borrowed until it returns), or NULL when the connection failed. Returns
 * 0, or -RAIA_EFULL when the queue is full (cb is then not called).
 */
int api_db_query(struct api_db *db, enum api_sql which, const char *param, pg_async_result_cb cb,
                 void *ctx);
/** Close every connection; queued queries get no callback. NULL is a no-op. */
void api_db_free(struct api_db *db);

#endif
