/**
 * load_stats.h - counters and a latency histogram for raia-load.
 *
 * Latencies are kept in microseconds in a log-linear histogram (64 buckets
 * per power of two, so a reported percentile is within 1.6 % of the true
 * value) that never allocates after load_stats_init(), and the exact
 * maximum is kept beside it. raia_load.c records one value per turn and
 * prints the result once, as a single JSON line. Pure code, no I/O but the
 * final print.
 */
#ifndef RAIA_LOAD_STATS_H
#define RAIA_LOAD_STATS_H

#include <stdint.h>
#include <stdio.h>

#define LOAD_STATS_BUCKETS 2048

struct load_stats {
    uint64_t sessions_started, sessions_completed, sessions_failed;
    uint64_t turns, throttled, timed_out;
    uint64_t max_us;
    uint64_t hist[LOAD_STATS_BUCKETS];
};

/** Clears every counter. */
void load_stats_init(struct load_stats *st);

/** Adds one turn latency of us microseconds (turns is counted too). */
void load_stats_turn(struct load_stats *st, uint64_t us);

/** The latency at quantile q (0 < q <= 1) in microseconds, 0 with no turn. */
uint64_t load_stats_quantile(const struct load_stats *st, double q);

/**
 * Writes the one-line JSON result to out (borrowed): mode (borrowed,
 * "ussd" or "sms"), counters, seconds (the measured span) and turns_per_s,
 * and latency_ms p50/p90/p99/p999/max. In SMS mode a turn is one MO and
 * its whole reply.
 */
void load_stats_print(const struct load_stats *st, const char *mode, double seconds, FILE *out);

#endif
