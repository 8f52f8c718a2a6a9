/**
 * pg_lookup.h - the gateway's few reads from PostgreSQL, for a citizen's
 * "my data" menu: which flows hold sessions of a pseudonym.
 *
 * Not the survey hot path (DESIGN rule 4 still holds there: a turn never
 * waits for PostgreSQL). A my-data screen may: the question is answered on
 * its own connection (pg_async, so the loop never blocks), requests wait
 * their turn in a short queue, and each one that is not answered within
 * its deadline fails with -RAIA_ETIMEOUT, so the citizen gets a polite
 * "try later" screen instead of a dead menu. Called by gateway/session.c.
 */
#ifndef RAIA_PG_LOOKUP_H
#define RAIA_PG_LOOKUP_H

#include <stddef.h>

#define PG_LOOKUP_FLOWS_MAX 8 /* flows listed for one person, most recent first */
#define PG_LOOKUP_FLOW_ID_MAX 64

struct event_base;
struct pg_lookup;

/** What a person's data holds: flow ids and how many sessions each. */
struct pg_lookup_flows {
    size_t n;
    char flow_id[PG_LOOKUP_FLOWS_MAX][PG_LOOKUP_FLOW_ID_MAX];
    long long sessions[PG_LOOKUP_FLOWS_MAX];
};

/** status 0 with flows filled (borrowed until the callback returns), or < 0 with flows NULL. */
typedef void (*pg_lookup_flows_cb)(void *ctx, int status, const struct pg_lookup_flows *flows);

/** Connects at once (conninfo copied); each request gets deadline_ms. NULL on OOM. */
struct pg_lookup *pg_lookup_new(struct event_base *base, const char *conninfo, int deadline_ms);
/** Requests still waiting get -RAIA_EIO first. NULL is a no-op. */
void pg_lookup_free(struct pg_lookup *l);

/**
 * Ask which flows hold sessions of pseudonym (copied). cb runs exactly once,
 * later, from the event loop. Returns 0, or -RAIA_EFULL when too many
 * requests wait (cb will not run).
 */
int pg_lookup_flows(struct pg_lookup *l, const char *pseudonym, pg_lookup_flows_cb cb, void *ctx);

#endif
