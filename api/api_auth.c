/*
 * api_auth.c - token lookup and per-token rate buckets (see api_auth.h).
 *
 * Called by api_server.c for every request that needs a token, and when a
 * reload of partner_tokens arrives. The set is small (one row per partner),
 * so a linear scan that never stops early is both simple and the right
 * thing for timing.
 */
#include "api_auth.h"

#include <math.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "raia_err.h"

struct bucket {
    char name[API_TOKEN_NAME_MAX];
    double level, at; /* requests available at time at */
};

struct api_auth {
    double per_second, capacity;
    struct api_token *tokens;
    struct bucket *buckets;
    size_t n;
    int ready;
};

struct api_auth *api_auth_new(long requests_per_minute)
{
    struct api_auth *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->capacity = (double)requests_per_minute;
    a->per_second = (double)requests_per_minute / 60.0;
    return a;
}

void api_auth_free(struct api_auth *a)
{
    if (!a)
        return;
    OPENSSL_cleanse(a->tokens, a->n * sizeof *a->tokens);
    free(a->tokens);
    free(a->buckets);
    free(a);
}

int api_auth_replace(struct api_auth *a, const struct api_token *tokens, size_t n)
{
    struct api_token *t = n ? malloc(n * sizeof *t) : NULL;
    struct bucket *b = n ? calloc(n, sizeof *b) : NULL;
    if (n && (!t || !b)) {
        free(t);
        free(b);
        return -RAIA_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        t[i] = tokens[i];
        memcpy(b[i].name, tokens[i].name, sizeof b[i].name);
        b[i].level = -1; /* a new token starts full */
        for (size_t k = 0; k < a->n; k++)
            if (strcmp(a->buckets[k].name, b[i].name) == 0)
                b[i] = a->buckets[k];
    }
    OPENSSL_cleanse(a->tokens, a->n * sizeof *a->tokens);
    free(a->tokens);
    free(a->buckets);
    a->tokens = t;
    a->buckets = b;
    a->n = n;
    a->ready = 1;
    return 0;
}

int api_auth_ready(const struct api_auth *a)
{
    return a->ready;
}

void api_token_hash(const char *token, unsigned char out[32])
{
    SHA256((const unsigned char *)token, strlen(token), out);
}

int api_auth_check(const struct api_auth *a, const char *authorization, struct api_token *out)
{
    static const char scheme[] = "Bearer ";
    if (!authorization || strncmp(authorization, scheme, sizeof scheme - 1) != 0)
        return -1;
    const char *token = authorization + sizeof scheme - 1;
    if (!*token || strlen(token) > 256)
        return -1;
    unsigned char h[32];
    api_token_hash(token, h);
    size_t found = a->n;
    for (size_t i = 0; i < a->n; i++)
        if (CRYPTO_memcmp(h, a->tokens[i].hash, sizeof h) == 0)
            found = i;
    if (found == a->n)
        return -1;
    *out = a->tokens[found];
    return 0;
}

long api_auth_take(struct api_auth *a, const char *name, double now)
{
    for (size_t i = 0; i < a->n; i++) {
        struct bucket *b = &a->buckets[i];
        if (strcmp(b->name, name) != 0)
            continue;
        if (b->level < 0)
            b->level = a->capacity;
        else
            b->level = fmin(a->capacity, b->level + (now - b->at) * a->per_second);
        b->at = now;
        if (b->level >= 1) {
            b->level -= 1;
            return 0;
        }
        return (long)ceil((1 - b->level) / a->per_second);
    }
    return 0;
}

int api_token_allows(const struct api_token *t, const char *flow)
{
    size_t n = strlen(flow);
    for (const char *p = t->flows; *p;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l == n && memcmp(p, flow, n) == 0)
            return 1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}
