/**
 * partner_store.h - the partner_tokens table as `raia partners` changes it.
 *
 * Blocking libpq for the CLI (never inside an event loop). Each change and
 * its audit_log row are one statement, so neither lands without the other.
 * Only the token's SHA-256 is stored; the token itself never reaches this
 * module. Used by cli/partners_cmd.c; raia-api reads the table through
 * api_query.c.
 */
#ifndef RAIA_PARTNER_STORE_H
#define RAIA_PARTNER_STORE_H

#include <stdio.h>

#include "raia_err.h"

/** A new partner token (every field borrowed). */
struct partner_new {
    const char *name;
    const char *flows;              /* "a,b" */
    const char *scope;              /* per-token | stable-pseudonym */
    const char *token_sha256_hex;   /* 64 hex */
    const char *respondent_key_hex; /* 64 hex */
};

/** Insert p; actor is the audit log's actor. 0, or -RAIA_E* with err (a used name: -RAIA_EINVAL).
 */
int partner_store_add(const char *conninfo, const struct partner_new *p, const char *actor,
                      struct raia_err *err);
/** Mark name's token revoked now. 0, -RAIA_ENOTFOUND (no active token of that name), -RAIA_EIO. */
int partner_store_revoke(const char *conninfo, const char *name, const char *actor,
                         struct raia_err *err);
/** Print every token (name, flows, scope, created, revoked) to out, one per line. */
int partner_store_list(const char *conninfo, FILE *out, struct raia_err *err);
/** What a partner may have, for `raia export --partner`. */
struct partner_scope {
    int has_flow;                /* the flow asked for is one of the partner's */
    int stable_pseudonym;        /* scope stable-pseudonym: the pseudonym, not a per-partner id */
    char respondent_key_hex[65]; /* the partner's key for respondent ids (as raia-api's) */
};
/** The active (unrevoked) token of partner name, asked about flow. 0, -RAIA_ENOTFOUND, -RAIA_EIO.
 */
int partner_store_scope(const char *conninfo, const char *name, const char *flow,
                        struct partner_scope *out, struct raia_err *err);
/** How many of the flows in "a,b" are not in the flows registry; -RAIA_EIO on failure. */
int partner_store_unknown_flows(const char *conninfo, const char *flows, struct raia_err *err);

#endif
