/*
 * backoff.c - exponential retry delays (see backoff.h).
 */
#include "backoff.h"

#include <event2/event.h>

int backoff_arm(struct backoff *b, struct event *timer)
{
    int delay = b->next_ms;
    struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
    event_add(timer, &tv);
    b->next_ms = delay * 2 > b->max_ms ? b->max_ms : delay * 2;
    return delay;
}

void backoff_reset(struct backoff *b)
{
    b->next_ms = b->min_ms;
}
