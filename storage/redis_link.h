/**
 * redis_link.h - one hiredis async connection on the gateway's event_base
 * that reconnects by itself.
 *
 * After a lost or refused connection it retries with exponential backoff
 * (100 ms doubling to 5 s). While it is down, redis_link_ctx() returns NULL
 * so callers fail fast instead of queueing behind a dead socket; commands in
 * flight when it drops get a NULL reply from hiredis. Used by redis_store.c
 * and pg_writer.c, each with its own link (the writer's blocking XREADGROUP
 * must not stall the hot path).
 */
#ifndef RAIA_REDIS_LINK_H
#define RAIA_REDIS_LINK_H

#include <hiredis/async.h>

#include "raia_err.h"

struct event_base;
struct redis_link;

/** Called every time the link (re)connects and is ready for commands. */
typedef void (*redis_link_up_cb)(void *ctx);

/** name labels log lines ("store", "writer"). NULL with err on a bad url. */
struct redis_link *redis_link_new(struct event_base *base, const char *url, const char *name,
                                  redis_link_up_cb on_up, void *ctx, struct raia_err *err);
/** The connected context, or NULL while down. */
redisAsyncContext *redis_link_ctx(const struct redis_link *link);
/** Closes the connection; replies still pending are delivered as NULL first. NULL is a no-op. */
void redis_link_free(struct redis_link *link);

#endif
