/*
 * mo_dedup.c - the in-memory window of recently seen MO, by keyed hash.
 *
 * Two structures over the same entries: a ring in insertion order, so the
 * oldest entry is found in O(1) when it ages out or must make room, and an
 * open-addressing table (linear probing, at most half full) of ring
 * positions, so a lookup is O(1) on average. Removal from the table shifts
 * later entries back instead of leaving tombstones, so the table never
 * fills up with dead slots however long the process runs. Called by the
 * SMPP receive path for every MO; see mo_dedup.h for what the key is.
 */
#include "mo_dedup.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define DIGEST_LEN 16 /* 128 bits: no accidental collision in any window */
#define SALT_LEN 32
#define CAPACITY_MAX ((size_t)1 << 30)

struct entry {
    uint8_t digest[DIGEST_LEN];
    long long seen_ms;
};

struct mo_dedup {
    struct entry *ring; /* oldest at head, count entries in a row (wrapping) */
    size_t cap, head, count;
    uint32_t *table; /* ring position + 1; 0 is an empty slot */
    size_t mask;     /* table size - 1; the size is a power of two >= 2 * cap */
    long long window_ms;
    EVP_MD *sha256; /* fetched once: EVP_sha256() would fetch it again on every MO */
    EVP_MD_CTX *md;
    /* Why a salt although nothing leaves memory: digests of phone numbers
     * that cannot be recomputed elsewhere, and table positions an SMSC (or
     * whoever writes MO text) cannot aim at to slow lookups down. */
    unsigned char salt[SALT_LEN];
};

struct mo_dedup *mo_dedup_new(size_t capacity, long long window_ms)
{
    if (capacity == 0 || capacity > CAPACITY_MAX || window_ms <= 0)
        return NULL;
    struct mo_dedup *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    size_t slots = 2;
    while (slots < 2 * capacity)
        slots *= 2;
    d->cap = capacity;
    d->mask = slots - 1;
    d->window_ms = window_ms;
    d->ring = calloc(capacity, sizeof *d->ring);
    d->table = calloc(slots, sizeof *d->table);
    d->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    d->md = EVP_MD_CTX_new();
    if (!d->ring || !d->table || !d->sha256 || !d->md || RAND_bytes(d->salt, SALT_LEN) != 1) {
        mo_dedup_free(d);
        return NULL;
    }
    return d;
}

void mo_dedup_free(struct mo_dedup *d)
{
    if (!d)
        return;
    OPENSSL_cleanse(d->salt, sizeof d->salt);
    EVP_MD_CTX_free(d->md);
    EVP_MD_free(d->sha256);
    free(d->table);
    free(d->ring);
    free(d);
}

size_t mo_dedup_count(const struct mo_dedup *d)
{
    return d->count;
}

/* SHA-256(salt ‖ operator ‖ NUL ‖ key), first 16 bytes. The NUL keeps
 * ("op", "1…") and ("op1", "…") apart. */
static int digest_of(struct mo_dedup *d, const char *op, const uint8_t *key, size_t key_len,
                     uint8_t out[DIGEST_LEN])
{
    unsigned char full[EVP_MAX_MD_SIZE];
    unsigned int full_len = 0;
    if (EVP_DigestInit_ex(d->md, d->sha256, NULL) != 1 ||
        EVP_DigestUpdate(d->md, d->salt, SALT_LEN) != 1 ||
        EVP_DigestUpdate(d->md, op, strlen(op) + 1) != 1 ||
        (key_len && EVP_DigestUpdate(d->md, key, key_len) != 1) ||
        EVP_DigestFinal_ex(d->md, full, &full_len) != 1 || full_len < DIGEST_LEN)
        return -RAIA_EIO;
    memcpy(out, full, DIGEST_LEN);
    return 0;
}

/* The digest is already uniformly random: its first bytes are the hash. */
static size_t home_slot(const struct mo_dedup *d, const uint8_t *digest)
{
    uint64_t h;
    memcpy(&h, digest, sizeof h);
    return (size_t)h & d->mask;
}

/* The slot holding digest, or the empty slot where it would go. */
static size_t probe(const struct mo_dedup *d, const uint8_t *digest)
{
    size_t i = home_slot(d, digest);
    while (d->table[i] && memcmp(d->ring[d->table[i] - 1].digest, digest, DIGEST_LEN) != 0)
        i = (i + 1) & d->mask;
    return i;
}

/* h lies in the cyclic interval (i, j]. */
static int cyclic_between(size_t i, size_t h, size_t j)
{
    return i <= j ? (i < h && h <= j) : (i < h || h <= j);
}

/*
 * Empty slot i, then move back every later entry of the same probe run that
 * could no longer be reached past the hole (backward-shift deletion).
 */
static void table_remove(struct mo_dedup *d, size_t i)
{
    d->table[i] = 0;
    for (size_t j = (i + 1) & d->mask; d->table[j]; j = (j + 1) & d->mask) {
        size_t h = home_slot(d, d->ring[d->table[j] - 1].digest);
        if (!cyclic_between(i, h, j)) {
            d->table[i] = d->table[j];
            d->table[j] = 0;
            i = j;
        }
    }
}

static void evict_oldest(struct mo_dedup *d)
{
    table_remove(d, probe(d, d->ring[d->head].digest));
    d->head = (d->head + 1) % d->cap;
    d->count--;
}

int mo_dedup_seen(struct mo_dedup *d, const char *operator_name, const uint8_t *key, size_t key_len,
                  long long now_ms, long long *first_ms)
{
    uint8_t digest[DIGEST_LEN];
    if (digest_of(d, operator_name, key, key_len, digest) < 0)
        return -RAIA_EIO;
    while (d->count && now_ms - d->ring[d->head].seen_ms >= d->window_ms)
        evict_oldest(d);
    size_t slot = probe(d, digest);
    if (d->table[slot]) {
        if (first_ms)
            *first_ms = d->ring[d->table[slot] - 1].seen_ms;
        return 1;
    }
    if (d->count == d->cap)
        evict_oldest(d);
    size_t pos = (d->head + d->count) % d->cap;
    memcpy(d->ring[pos].digest, digest, DIGEST_LEN);
    d->ring[pos].seen_ms = now_ms;
    d->table[probe(d, digest)] = (uint32_t)(pos + 1); /* probed again: eviction moves entries */
    d->count++;
    return 0;
}
