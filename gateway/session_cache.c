/*
 * session_cache.c - the last saved session state per pseudonym (see
 * session_cache.h): a chained hash table for lookups plus a doubly linked
 * list in order of use, so that get, put, drop and eviction are all O(1).
 */
#include "session_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pseudonym.h"
#include "raia_err.h"

#define SLACK 32 /* bytes an entry can grow in place */

struct entry {
    struct entry *chain;         /* next in the same bucket */
    struct entry *older, *newer; /* order of use; the oldest is evicted first */
    long long at_ms;             /* when it was put */
    size_t len, cap;             /* blob bytes used, and room for (a turn reuses the entry) */
    char pseudonym[PSEUDONYM_HEX_LEN + 1];
    char blob[]; /* len bytes and a NUL */
};

struct session_cache {
    struct entry **buckets;
    size_t mask; /* buckets - 1, a power of two minus one */
    struct entry *newest, *oldest;
    size_t count, capacity;
    long long ttl_ms;
};

struct session_cache *session_cache_new(size_t capacity, long long ttl_ms)
{
    if (capacity < 1 || capacity > ((size_t)1 << 30))
        return NULL;
    struct session_cache *c = calloc(1, sizeof *c);
    size_t n = 16;
    while (n < capacity)
        n <<= 1;
    if (c)
        c->buckets = calloc(n, sizeof *c->buckets);
    if (!c || !c->buckets) {
        free(c);
        return NULL;
    }
    c->mask = n - 1;
    c->capacity = capacity;
    c->ttl_ms = ttl_ms;
    return c;
}

void session_cache_free(struct session_cache *c)
{
    if (!c)
        return;
    for (struct entry *e = c->newest, *next; e; e = next) {
        next = e->older;
        free(e);
    }
    free(c->buckets);
    free(c);
}

/* FNV-1a: pseudonyms are HMAC output in hex, already uniform. */
static size_t bucket_of(const struct session_cache *c, const char *pseudonym)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)pseudonym; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)h & c->mask;
}

static struct entry **find(struct session_cache *c, const char *pseudonym)
{
    struct entry **at = &c->buckets[bucket_of(c, pseudonym)];
    while (*at && strcmp((*at)->pseudonym, pseudonym) != 0)
        at = &(*at)->chain;
    return at;
}

static void unlink_use(struct session_cache *c, struct entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
}

/* Removes the entry *at points to from both the bucket and the use list. */
static void remove_at(struct session_cache *c, struct entry **at)
{
    struct entry *e = *at;
    *at = e->chain;
    unlink_use(c, e);
    c->count--;
    free(e);
}

const char *session_cache_get(struct session_cache *c, const char *pseudonym, long long now_ms,
                              size_t *len)
{
    struct entry **at = find(c, pseudonym);
    if (!*at)
        return NULL;
    if (now_ms - (*at)->at_ms >= c->ttl_ms) {
        remove_at(c, at);
        return NULL;
    }
    *len = (*at)->len;
    return (*at)->blob;
}

void session_cache_drop(struct session_cache *c, const char *pseudonym)
{
    struct entry **at = find(c, pseudonym);
    if (*at)
        remove_at(c, at);
}

/* Puts e (in no list yet) first in the order of use. */
static void link_newest(struct session_cache *c, struct entry *e)
{
    e->newer = NULL;
    e->older = c->newest;
    if (c->newest)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
}

int session_cache_put(struct session_cache *c, const char *pseudonym, const char *blob, size_t len,
                      long long now_ms)
{
    struct entry **at = find(c, pseudonym);
    if (*at && (*at)->cap >= len) { /* the session's next state: no allocation on a turn */
        struct entry *e = *at;
        memcpy(e->blob, blob, len);
        e->blob[len] = '\0';
        e->len = len;
        e->at_ms = now_ms;
        unlink_use(c, e);
        link_newest(c, e);
        return 0;
    }
    if (*at)
        remove_at(c, at);
    if (strlen(pseudonym) > PSEUDONYM_HEX_LEN)
        return -RAIA_EINVAL;
    if (c->count == c->capacity)
        session_cache_drop(c, c->oldest->pseudonym);
    /* Room for a somewhat longer state: states grow a little as answers are marked. */
    size_t cap = len + SLACK;
    struct entry *e = malloc(sizeof *e + cap + 1);
    if (!e)
        return -RAIA_ENOMEM;
    e->at_ms = now_ms;
    e->len = len;
    e->cap = cap;
    memcpy(e->pseudonym, pseudonym, strlen(pseudonym) + 1);
    memcpy(e->blob, blob, len);
    e->blob[len] = '\0';
    struct entry **bucket = &c->buckets[bucket_of(c, pseudonym)];
    e->chain = *bucket;
    *bucket = e;
    link_newest(c, e);
    c->count++;
    return 0;
}

size_t session_cache_count(const struct session_cache *c)
{
    return c->count;
}
