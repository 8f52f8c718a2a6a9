/**
 * api_auth.h - partner tokens as raia-api holds them, and their rate limits.
 *
 * The active rows of partner_tokens (009_partners.sql), reloaded every
 * api.token_refresh_s; a revoked token is simply no longer there. A
 * presented token is hashed (SHA-256) and compared with every stored hash
 * with CRYPTO_memcmp, all of them every time, so neither the comparison nor
 * the number of comparisons depends on how much of a guess was right. Each
 * token has a bucket of api.requests_per_minute requests that refills
 * continuously. Used by api/api_server.c.
 */
#ifndef RAIA_API_AUTH_H
#define RAIA_API_AUTH_H

#include <stddef.h>

#define API_TOKEN_NAME_MAX 64
#define API_TOKEN_FLOWS_MAX 1024

/** One partner token; plain data, copied by value into a request in flight. */
struct api_token {
    char name[API_TOKEN_NAME_MAX];
    unsigned char hash[32];           /* SHA-256 of the token text */
    char flows[API_TOKEN_FLOWS_MAX];  /* "a,b": the flows it may read */
    int stable_pseudonym;             /* scope stable-pseudonym */
    unsigned char respondent_key[32]; /* per-token respondent and response ids */
};

struct api_auth;

struct api_auth *api_auth_new(long requests_per_minute);
void api_auth_free(struct api_auth *a);

/** Replace the token set with tokens[0..n) (copied); buckets carry over by name. 0 or -RAIA_ENOMEM.
 */
int api_auth_replace(struct api_auth *a, const struct api_token *tokens, size_t n);
/** 1 once a token set has been loaded (requests before that get 503). */
int api_auth_ready(const struct api_auth *a);

/**
 * The token whose hash matches the Authorization header value ("Bearer
 * TOKEN"), copied into *out; 0, or -1 when the header is missing,
 * malformed or matches no active token.
 */
int api_auth_check(const struct api_auth *a, const char *authorization, struct api_token *out);

/**
 * Take one request from the bucket of token name at time now (seconds).
 * Returns 0, or the whole seconds until one is available (for Retry-After).
 */
long api_auth_take(struct api_auth *a, const char *name, double now);

/** Does the token's flow list hold flow? */
int api_token_allows(const struct api_token *t, const char *flow);

/** SHA-256 of the token text, as stored in partner_tokens.token_sha256. */
void api_token_hash(const char *token, unsigned char out[32]);

#endif
