/*
 * person_locks.c - the buckets of sql/person_locks.sql (see person_locks.h).
 */
#include "person_locks.h"

/* FNV-1a: any stable hash spreads hex pseudonyms evenly. */
static unsigned bucket_of(const char *pseudonym, size_t n)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)pseudonym[i]) * 16777619u;
    return h % PERSON_LOCK_BUCKETS;
}

void person_locks_add(struct person_locks *locks, const char *pseudonym, size_t n, int erases)
{
    unsigned char *mode = &locks->mode[bucket_of(pseudonym, n)];
    if (*mode < (erases ? 2 : 1))
        *mode = erases ? 2 : 1;
}

void person_locks_all(struct person_locks *locks)
{
    for (size_t b = 0; b < PERSON_LOCK_BUCKETS; b++)
        locks->mode[b] = 2;
}

void person_locks_param(const struct person_locks *locks, struct strbuf *out)
{
    int first = 1;
    for (size_t b = 0; b < PERSON_LOCK_BUCKETS; b++) {
        if (!locks->mode[b])
            continue;
        if (!first)
            strbuf_append(out, ",", 1);
        if (locks->mode[b] == 2)
            strbuf_append(out, "!", 1);
        strbuf_put_ll(out, (long long)b);
        first = 0;
    }
}
