/**
 * backoff.h - exponential retry delays for storage's reconnects and retries.
 *
 * backoff_arm() arms a libevent timer with the current delay and doubles the
 * delay for next time, up to max_ms; backoff_reset() goes back to min_ms
 * after a success. Used by redis_link.c, pg_async.c and pg_writer.c.
 */
#ifndef RAIA_BACKOFF_H
#define RAIA_BACKOFF_H

struct event;

struct backoff {
    int min_ms, max_ms;
    int next_ms; /* the delay the next backoff_arm() uses */
};

#define BACKOFF_INIT(min, max)                                                                     \
    {                                                                                              \
        (min), (max), (min)                                                                        \
    }

/** Arms timer to fire after the current delay and returns that delay in ms. */
int backoff_arm(struct backoff *b, struct event *timer);
void backoff_reset(struct backoff *b);

#endif
