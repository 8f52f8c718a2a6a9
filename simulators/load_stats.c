/*
 * load_stats.c - the latency histogram and the JSON result of raia-load
 * (see load_stats.h). Called from raia_load.c for every matched turn, and
 * once at exit.
 *
 * Bucket layout: values below 128 us have a bucket each; above, a value
 * with its top bit at position m falls into one of 64 buckets for [2^m,
 * 2^(m+1)), indexed by its 6 bits below the top one. Percentiles report
 * the middle of their bucket, clamped to the exact maximum.
 */
#include "load_stats.h"

#include <string.h>

#define SUB_BITS 6
#define SUB (1u << SUB_BITS)

static unsigned bucket_of(uint64_t v)
{
    if (v < 2 * SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - SUB_BITS;
    unsigned idx = SUB * (shift + 1) + (unsigned)((v >> shift) - SUB);
    return idx < LOAD_STATS_BUCKETS ? idx : LOAD_STATS_BUCKETS - 1;
}

/* The middle of bucket idx: the inverse of bucket_of(). */
static uint64_t bucket_value(unsigned idx)
{
    if (idx < 2 * SUB)
        return idx;
    unsigned shift = idx / SUB - 1;
    uint64_t low = (uint64_t)(SUB + idx % SUB) << shift;
    return low + ((1ull << shift) >> 1);
}

void load_stats_init(struct load_stats *st)
{
    memset(st, 0, sizeof *st);
}

void load_stats_turn(struct load_stats *st, uint64_t us)
{
    st->turns++;
    st->hist[bucket_of(us)]++;
    if (us > st->max_us)
        st->max_us = us;
}

uint64_t load_stats_quantile(const struct load_stats *st, double q)
{
    if (st->turns == 0)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)st->turns + 0.999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LOAD_STATS_BUCKETS; i++) {
        seen += st->hist[i];
        if (seen >= rank) {
            uint64_t v = bucket_value(i);
            return v < st->max_us ? v : st->max_us;
        }
    }
    return st->max_us;
}

void load_stats_print(const struct load_stats *st, const char *mode, double seconds, FILE *out)
{
    double tps = seconds > 0 ? (double)st->turns / seconds : 0.0;
    fprintf(out,
            "{\"mode\":\"%s\",\"sessions_started\":%llu,\"sessions_completed\":%llu,\"sessions_"
            "failed\":%llu,"
            "\"turns\":%llu,\"seconds\":%.3f,\"turns_per_s\":%.1f,\"latency_ms\":{\"p50\":%.3f,"
            "\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},\"throttled\":%llu,"
            "\"timed_out\":%llu}\n",
            mode, (unsigned long long)st->sessions_started,
            (unsigned long long)st->sessions_completed, (unsigned long long)st->sessions_failed,
            (unsigned long long)st->turns, seconds, tps,
            (double)load_stats_quantile(st, 0.50) / 1000.0,
            (double)load_stats_quantile(st, 0.90) / 1000.0,
            (double)load_stats_quantile(st, 0.99) / 1000.0,
            (double)load_stats_quantile(st, 0.999) / 1000.0, (double)st->max_us / 1000.0,
            (unsigned long long)st->throttled, (unsigned long long)st->timed_out);
    fflush(out);
}
