/**
 * outbox_store.h - the queue of messages raia sends on its own initiative
 * (results fed back, `raia broadcast`, docs/broadcast.md), and the record of
 * who must no longer get them.
 *
 * Redis keys (docs/storage.md):
 *   <prefix>outbox     stream; one entry per message to send, fields sealed,
 *                      pseudonym, flow, operator, from, text, broadcast. The
 *                      number exists only sealed (gateway/contact_seal.h).
 *   <prefix>nocontact  sorted set of people who must get nothing more: member
 *                      "<pseudonym>/<flow>" (STOP or withdrawal from a flow)
 *                      or "<pseudonym>" (erased from everything), score the
 *                      time in ms. Written in the same atomic call as the
 *                      STOP or erase event (redis_store.c's save script) and
 *                      by `raia forget`; checked when a job is queued and
 *                      again, atomically with taking it, when it is sent.
 *
 * outbox_broadcast() is synchronous (the `raia` CLI); outbox_store_new() /
 * _pop() run on the gateway's event loop (gateway/outbox.c).
 */
#ifndef RAIA_OUTBOX_STORE_H
#define RAIA_OUTBOX_STORE_H

#include "raia_err.h"

#define OUTBOX_KEY "outbox"
#define OUTBOX_NOCONTACT_KEY "nocontact"
/* A tombstone is kept this long once the outbox is empty: longer than any
 * answer-stream backlog that still holds the STOP it stands for. */
#define OUTBOX_NOCONTACT_KEEP_MS (7LL * 86400 * 1000)

/** One `raia broadcast`. Every pointer is borrowed for the call. */
struct outbox_request {
    const char *redis_url, *prefix, *conninfo;
    const char *actor;   /* who runs it, for broadcasts.created_by and the audit log */
    const char *flow_id; /* whose contacts */
    const char *message; /* UTF-8, already checked to fit (cli/broadcast_cmd.c) */
    const char *from;    /* the sender address of the SMS */
    int dry_run;         /* count only; write nothing */
};

struct outbox_result {
    long long recipients; /* messages queued (or, dry run, that would be) */
    long long stopped;    /* contacts left out by a tombstone not yet in PostgreSQL */
    long long broadcast_id;
};

/**
 * Select the flow's contacts with no open opt-out and no erasure, leave out
 * those with a tombstone, then, in this order: commit the `broadcasts` row
 * and an `audit_log` row (action broadcast, counts only), and queue one
 * outbox entry per recipient in one MULTI/EXEC. A crash in between leaves
 * an audit row for messages never queued, never a message without one; a
 * failed queue adds an audit row `broadcast_failed`. 0 or -RAIA_E* with err.
 */
int outbox_broadcast(const struct outbox_request *rq, struct outbox_result *res,
                     struct raia_err *err);

struct event_base;
struct outbox_store;

/** One job as the gateway takes it; strings borrowed until the callback returns. */
struct outbox_job {
    const char *sealed, *pseudonym, *flow, *operator_name, *from, *text, *broadcast;
    int stopped; /* a tombstone covers the person: send nothing */
};

/** Connect (asynchronously, reconnecting by itself). NULL with err on a bad url. */
struct outbox_store *outbox_store_new(struct event_base *base, const char *url, const char *prefix,
                                      struct raia_err *err);
/** NULL is a no-op; a pop in flight gets its callback with -RAIA_EIO first. */
void outbox_store_free(struct outbox_store *os);

/** status 0: job taken off the queue; -RAIA_ENOTFOUND: queue empty; other < 0: error. */
typedef void (*outbox_store_pop_cb)(void *ctx, int status, const struct outbox_job *job);

/**
 * Atomically take the oldest job off the queue and look up its tombstones
 * (one Lua call). An empty queue also drops tombstones older than
 * OUTBOX_NOCONTACT_KEEP_MS. Returns 0 if sent (cb runs once), < 0 otherwise.
 */
int outbox_store_pop(struct outbox_store *os, long long now_ms, outbox_store_pop_cb cb, void *ctx);

#endif
