/*
 * session_cache_test.c - the per-pseudonym cache of saved session state:
 * hits, misses by age, eviction of the oldest when full, drop, and a large
 * random workload checked against a plain array model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_cache.h"
#include "test_help.h"

static void pseud(int i, char out[65])
{
    snprintf(out, 65, "%064x", i);
}

static int holds(struct session_cache *c, int i, long long now, const char *want)
{
    char p[65];
    size_t len = 0;
    pseud(i, p);
    const char *blob = session_cache_get(c, p, now, &len);
    if (!want)
        return blob == NULL;
    return blob && len == strlen(want) && memcmp(blob, want, len) == 0;
}

static void test_basics(void)
{
    struct session_cache *c = session_cache_new(3, 1000);
    char p[65];
    test_cond("created", c != NULL);
    test_cond("empty is a miss", holds(c, 1, 0, NULL));
    pseud(1, p);
    session_cache_put(c, p, "state-a", 7, 0);
    test_cond("a put is a hit", holds(c, 1, 10, "state-a"));
    session_cache_put(c, p, "state-bb", 8, 20);
    test_cond("a second put replaces", holds(c, 1, 30, "state-bb") && session_cache_count(c) == 1);
    test_cond("older than the TTL is a miss", holds(c, 1, 1020, NULL));
    test_cond("and is gone", session_cache_count(c) == 0);
    for (int i = 1; i <= 4; i++) {
        pseud(i, p);
        session_cache_put(c, p, "x", 1, 100 + i);
    }
    test_cond("full: the oldest made room", holds(c, 1, 200, NULL) && holds(c, 2, 200, "x") &&
                                                holds(c, 4, 200, "x") &&
                                                session_cache_count(c) == 3);
    pseud(3, p);
    session_cache_drop(c, p);
    test_cond("drop forgets", holds(c, 3, 200, NULL) && session_cache_count(c) == 2);
    session_cache_drop(c, p);
    test_cond("drop of an absent key is harmless", session_cache_count(c) == 2);
    session_cache_free(c);
    session_cache_free(NULL);
    test_cond("capacity 0 refused", session_cache_new(0, 1000) == NULL);
}

/* Random puts and drops on 500 keys in a cache of 200, against a model that
 * tracks the put order: a hit must return the last blob put for the key. */
static void test_random(void)
{
    enum { KEYS = 500, CAP = 200, OPS = 200000 };
    struct session_cache *c = session_cache_new(CAP, 1LL << 40);
    static long long put_at[KEYS];
    static int value[KEYS];
    int wrong = 0, hits = 0;
    srand(7);
    for (long long op = 1; op <= OPS; op++) {
        int k = rand() % KEYS;
        char p[65], blob[16];
        pseud(k, p);
        int what = rand() % 10;
        if (what < 5) {
            value[k] = rand();
            snprintf(blob, sizeof blob, "%d", value[k]);
            session_cache_put(c, p, blob, strlen(blob), op);
            put_at[k] = op;
        } else if (what < 6) {
            session_cache_drop(c, p);
            put_at[k] = 0;
        } else {
            size_t len;
            const char *got = session_cache_get(c, p, op, &len);
            if (got) {
                hits++;
                snprintf(blob, sizeof blob, "%d", value[k]);
                wrong += put_at[k] == 0 || len != strlen(blob) || memcmp(got, blob, len) != 0;
            }
        }
        wrong += session_cache_count(c) > CAP;
    }
    test_cond("random workload: every hit is the last put, never above capacity", wrong == 0);
    test_cond("random workload: hits happen", hits > 1000);
    session_cache_free(c);
}

int main(void)
{
    test_basics();
    test_random();
    TEST_REPORT();
}
