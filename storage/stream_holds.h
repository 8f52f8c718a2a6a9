/**
 * stream_holds.h - what each writer may still hold unwritten, kept in Redis
 * beside the answer stream (docs/storage.md "The writer").
 *
 * Writers read the stream with XREADGROUP ... NOACK: Redis keeps no pending
 * list and appends no XCLAIM to its append-only file for them. With them,
 * reading and acknowledging cost Redis 1.5 us an entry, against 3.9 for a
 * turn's whole save script; now 0.4 (docs/performance.md, 2026-11-27).
 * What the pending list said is kept instead in one hash,
 * <prefix>answers:held: a writer's field says "every entry I may hold
 * unwritten has an id >= this one" and when it last said so (Redis's clock,
 * ms): "<id> <ms>". A writer sets its hold before each read, moves it up
 * once a batch is in PostgreSQL, and deletes it when it holds nothing. The
 * stream is trimmed below the lowest hold, or up to the last delivered entry
 * when there is none, so an entry stays in Redis until it is in PostgreSQL;
 * a restarted writer reads again everything from its hold up to what the
 * group had delivered, and the unique stream ids make what was already
 * written a no-op. Each call sends one Lua script (EVAL; they run once a
 * batch) with its reply to cb.
 */
#ifndef RAIA_STREAM_HOLDS_H
#define RAIA_STREAM_HOLDS_H

#include <hiredis/async.h>

struct stream_names {
    const char *stream, *holds, *group, *consumer;
};

/** Creates the group, reading from the stream's start (and the stream),
 * unless it exists: then the reply is a BUSYGROUP error. Works at Redis's
 * memory limit, unlike XGROUP CREATE itself. */
int stream_holds_join(redisAsyncContext *ac, const struct stream_names *n, redisCallbackFn *cb,
                      void *priv);

/** Before a read: sets the consumer's hold to the id right after the
 * group's last delivered entry unless it has one (which stays). Replies
 * with the hold's id. */
int stream_holds_mark(redisAsyncContext *ac, const struct stream_names *n, redisCallbackFn *cb,
                      void *priv);

/** After a batch is in PostgreSQL: keep "" deletes the consumer's hold, "="
 * leaves it where it is, an id moves it there. Then trims the stream below
 * the lowest hold, or, with none, up to and including the group's last
 * delivered entry. Replies with the entries trimmed. */
int stream_holds_release(redisAsyncContext *ac, const struct stream_names *n, const char *keep,
                         redisCallbackFn *cb, void *priv);

/** The consumer's own entries to write again (after a restart or a failure):
 * XRANGE from `from` ("" = its hold; "(id" after id) to `to` ("" = the
 * group's last delivered entry now), at most count. Replies [to, entries]
 * with entries as XRANGE gives them; none when the consumer holds nothing. */
int stream_holds_recover(redisAsyncContext *ac, const struct stream_names *n, const char *from,
                         const char *to, int count, redisCallbackFn *cb, void *priv);

/** Takes over the holds of writers silent for idle_ms (a gateway that died):
 * the consumer's hold moves down to the lowest of them, so it writes their
 * entries again. Also adopts the group's pending list, which writers before
 * NOACK left (an upgrade): its oldest entry bounds the hold, and the list is
 * acknowledged. Replies with how many holds and pending entries it took. */
int stream_holds_claim(redisAsyncContext *ac, const struct stream_names *n, const char *idle_ms,
                       redisCallbackFn *cb, void *priv);

#endif
