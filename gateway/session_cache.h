/**
 * session_cache.h - the last session state this gateway saved, per pseudonym,
 * so that a continuing turn costs one Redis round trip instead of two.
 *
 * Redis stays the only authority: a turn steps the flow on the cached state
 * and saves with a compare-and-set against it (redis_store_write.expect). If
 * another instance, a second MO or the TTL changed the session meanwhile, the
 * save is refused with the session as it is now and the turn is stepped
 * again on that. A miss just means one GET first. So the cache may forget
 * anything at any time; it never makes a turn wrong.
 *
 * Bounded in entries (the least recently used makes room) and in time
 * (an entry older than ttl_ms is a miss). Keys are pseudonyms, never numbers.
 * Called by gateway/session.c only.
 */
#ifndef RAIA_SESSION_CACHE_H
#define RAIA_SESSION_CACHE_H

#include <stddef.h>

struct session_cache;

/** At most capacity (>= 1) entries, each valid for ttl_ms after its put. NULL on OOM. */
struct session_cache *session_cache_new(size_t capacity, long long ttl_ms);
/** NULL is a no-op. */
void session_cache_free(struct session_cache *c);

/**
 * The blob last put for pseudonym and not older than ttl_ms at now_ms, with
 * its length in *len; NULL on a miss. Borrowed until the next put or drop.
 */
const char *session_cache_get(struct session_cache *c, const char *pseudonym, long long now_ms,
                              size_t *len);
/** Remember blob (len bytes, copied) for pseudonym. Returns 0, or -RAIA_ENOMEM (entry dropped). */
int session_cache_put(struct session_cache *c, const char *pseudonym, const char *blob, size_t len,
                      long long now_ms);
/** Forget pseudonym (its session ended or its state is unknown). */
void session_cache_drop(struct session_cache *c, const char *pseudonym);
/** Entries held now, for tests and metrics. */
size_t session_cache_count(const struct session_cache *c);

#endif
