/**
 * redis_store.h - session state and the answer stream in Redis (hot path).
 *
 * One hiredis async connection attached to the gateway's event_base.
 * A session is one key per pseudonym with a TTL; checking that a session is
 * still what a turn started from, saving it and appending its answer events
 * to the stream happen in one Lua script (one round trip), so a turn's state
 * and its answers are stored together or not at all. The key
 * layout is documented in docs/storage.md. Reconnects by itself with backoff;
 * while disconnected every call fails fast with -RAIA_EIO.
 * Called by gateway/session.c only.
 */
#ifndef RAIA_REDIS_STORE_H
#define RAIA_REDIS_STORE_H

#include <stddef.h>

#include "raia_err.h"

struct event_base;
struct redis_store;

struct redis_store_opts {
    const char *url;      /* redis://host:port/db or unix:/path; borrowed during _new */
    int session_ttl_s;    /* TTL of a session key, refreshed on every save */
    const char *prefix;   /* key prefix, e.g. "raia:"; borrowed during _new */
    int turns_per_minute; /* most saves per pseudonym per minute (a flood guard); 0 = no limit */
};

/** Connect (asynchronously). NULL with err filled on a bad url or OOM. */
struct redis_store *redis_store_new(struct event_base *base, const struct redis_store_opts *opts,
                                    struct raia_err *err);
/** The session TTL in seconds, as configured. */
int redis_store_session_ttl(const struct redis_store *rs);
/** Disconnects; pending callbacks run with -RAIA_EIO first. NULL is a no-op. */
void redis_store_free(struct redis_store *rs);

/**
 * status 0: found, blob/len valid; -RAIA_ENOTFOUND: no session; other <0: error.
 * blob is borrowed until the callback returns.
 */
typedef void (*redis_store_load_cb)(void *ctx, int status, const char *blob, size_t len);
typedef void (*redis_store_done_cb)(void *ctx, int status);

/** Load the session blob of pseudonym. Returns 0 if the request was sent (cb will run once). */
int redis_store_load(struct redis_store *rs, const char *pseudonym, redis_store_load_cb cb,
                     void *ctx);

/**
 * Append one event that belongs to no person (a flow definition) to the
 * answer stream. cb gets 0 once Redis confirmed it. Returns 0 if sent.
 */
int redis_store_append(struct redis_store *rs, const char *event, redis_store_done_cb cb,
                       void *ctx);

/**
 * What redis_store_save found. status 0: saved. -RAIA_EFULL: the pseudonym
 * went over turns_per_minute; nothing written. -RAIA_ESTALE: the session was
 * not what the caller expected (another turn, another gateway instance or the
 * TTL changed it); nothing written, and current/len is the session as it is
 * now (NULL: there is none), borrowed until the callback returns. Other < 0:
 * an error (Redis down, a bad reply).
 */
typedef void (*redis_store_save_cb)(void *ctx, int status, const char *current, size_t len);

/** One turn's writes. Every pointer is borrowed for the call only. */
struct redis_store_write {
    const char *expect; /* the session as the caller last knew it; NULL: see expect_absent */
    size_t expect_len;
    int expect_absent; /* with expect NULL: 1 = there must be no session, 0 = do not check */
    const char *blob;  /* the new session; NULL deletes it */
    size_t len;
    int ttl_s;                 /* the new session's TTL; 0: the configured one */
    const char *const *events; /* JSON documents from store_event_json, XADDed in order */
    size_t n_events;
    /* SMS reminders (docs/flows.md "Sessions"): remind_at_ms > 0 schedules
     * remind_job for then, unless session_id was reminded already; < 0
     * cancels what is scheduled; 0 leaves it. */
    long long remind_at_ms;
    const char *remind_job;
    const char *session_id;
};

/**
 * Due reminders, taken off the schedule (so one gateway instance sends
 * each): for each, the pseudonym, its job (as saved) and its session now
 * (NULL: gone), all borrowed until the callback returns; n 0 on error.
 */
typedef void (*redis_store_reminders_cb)(void *ctx, size_t n, const char *const *pseudonyms,
                                         const char *const *jobs, const char *const *sessions);
/** Take at most 16 reminders due at now_ms. Returns 0 if sent (cb runs once). */
int redis_store_take_reminders(struct redis_store *rs, long long now_ms,
                               redis_store_reminders_cb cb, void *ctx);
/** Remember that session_id got its reminder (for the session's TTL): never another. */
int redis_store_reminded(struct redis_store *rs, const char *session_id, int ttl_s);

/**
 * Atomically, in a Lua script: check that the session of pseudonym is still
 * w->expect (compare-and-set, so a turn computed from a cached or stale state
 * never overwrites a newer one), store or delete it with its TTL, and XADD
 * w->events to the answer stream. The turns saved in one pass of the event
 * loop go in one call, when the loop comes round (a turn with a STOP, an
 * erasure or a reminder goes alone), each with its own outcome. cb runs once
 * with it (see redis_store_save_cb), never before this returns. Returns 0 if
 * queued or sent, < 0 (cb will not run) otherwise.
 */
int redis_store_save(struct redis_store *rs, const char *pseudonym,
                     const struct redis_store_write *w, redis_store_save_cb cb, void *ctx);

/** Name of the answer stream key, e.g. "raia:answers" (for the writer and tests). */
const char *redis_store_stream_key(const struct redis_store *rs);

#endif
