/**
 * clock_ms.h - milliseconds on a POSIX clock: CLOCK_MONOTONIC for timeouts
 * and intervals, CLOCK_REALTIME for times that are stored or sent.
 */
#ifndef RAIA_CLOCK_MS_H
#define RAIA_CLOCK_MS_H

#include <time.h>

static inline long long clock_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
