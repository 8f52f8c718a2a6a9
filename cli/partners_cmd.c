/*
 * partners_cmd.c - `raia partners` (see partners_cmd.h and docs/api.md).
 *
 *   raia partners add --config FILE NAME --flows a,b [--scope per-token|stable-pseudonym]
 *   raia partners list --config FILE
 *   raia partners revoke --config FILE NAME
 *
 * add draws 32 random bytes (OpenSSL's RAND_bytes), prints the token once
 * as "raia_" + base64url, and stores only its SHA-256 with a second random
 * key for the partner's respondent ids. Whoever loses the token asks for a
 * new one: it cannot be shown again.
 */
#include "partners_cmd.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "partner_store.h"

#define TOKEN_BYTES 32

static int usage(void)
{
    fprintf(stderr, "usage:\n"
                    "  raia partners add --config FILE NAME --flows ID[,ID...] "
                    "[--scope per-token|stable-pseudonym]\n"
                    "  raia partners list --config FILE\n"
                    "  raia partners revoke --config FILE NAME\n");
    return 2;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* NAME: [a-z0-9][a-z0-9_.-]{0,62} (the table's check). */
static int valid_name(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 63 && strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* ID[,ID...] with flow ids [a-z0-9_-]{1,63}, no empty item. */
static int valid_flows(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 1000 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-,") != n ||
        s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,"))
        return 0;
    for (const char *p = s; *p;) {
        size_t l = strcspn(p, ",");
        if (l > 63)
            return 0;
        p += l + (p[l] == ',');
    }
    return 1;
}

static int add(const char *conninfo, const char *name, const char *flows, const char *scope,
               const char *actor)
{
    unsigned char raw[TOKEN_BYTES], key[32], digest[SHA256_DIGEST_LENGTH];
    char token[8 + 4 * TOKEN_BYTES / 3 + 4] = "raia_", hash_hex[65], key_hex[65];
    if (RAND_bytes(raw, sizeof raw) != 1 || RAND_bytes(key, sizeof key) != 1) {
        fprintf(stderr, "raia partners add: no randomness available\n");
        return 1;
    }
    int n = EVP_EncodeBlock((unsigned char *)token + 5, raw, sizeof raw);
    while (n > 0 && token[5 + n - 1] == '=')
        token[5 + --n] = '\0';
    for (char *p = token + 5; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    SHA256((const unsigned char *)token, strlen(token), digest);
    hex(digest, sizeof digest, hash_hex);
    hex(key, sizeof key, key_hex);
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(key, sizeof key);

    struct raia_err err = {0};
    int unknown = partner_store_unknown_flows(conninfo, flows, &err);
    struct partner_new p = {name, flows, scope, hash_hex, key_hex};
    int rc = unknown < 0 ? unknown : partner_store_add(conninfo, &p, actor, &err);
    OPENSSL_cleanse(key_hex, sizeof key_hex);
    if (rc == -RAIA_EINVAL) {
        fprintf(stderr, "raia partners add: the name '%s' is taken (revoked tokens keep theirs)\n",
                name);
    } else if (rc < 0) {
        fprintf(stderr, "raia partners add: %s\n", err.msg);
    } else {
        if (unknown > 0)
            fprintf(stderr,
                    "raia partners add: note: %d of the flows are not in the flows "
                    "registry yet\n",
                    unknown);
        printf("partner %s: flows %s, scope %s\n"
               "token (shown once, keep it secret; raia stores only its SHA-256):\n%s\n",
               name, flows, scope, token);
    }
    OPENSSL_cleanse(token, sizeof token);
    return rc < 0 ? 1 : 0;
}

int partners_cmd(int argc, char **argv, const char *actor)
{
    if (argc < 3 || strcmp(argv[1], "--config") != 0)
        return usage();
    const char *verb = argv[0], *config = argv[2];
    const char *name = NULL, *flows = NULL, *scope = "per-token";
    int is_add = strcmp(verb, "add") == 0, is_list = strcmp(verb, "list") == 0;
    int is_revoke = strcmp(verb, "revoke") == 0;
    for (int i = 3; i < argc; i++) {
        if (is_add && strcmp(argv[i], "--flows") == 0 && i + 1 < argc)
            flows = argv[++i];
        else if (is_add && strcmp(argv[i], "--scope") == 0 && i + 1 < argc)
            scope = argv[++i];
        else if ((is_add || is_revoke) && !name && argv[i][0] != '-')
            name = argv[i];
        else
            return usage();
    }
    if ((!is_add && !is_list && !is_revoke) || (is_list && name) || (!is_list && !name) ||
        (is_add && !flows))
        return usage();
    if (name && !valid_name(name)) {
        fprintf(stderr, "raia partners: NAME is [a-z0-9][a-z0-9_.-]{0,62}\n");
        return 2;
    }
    if (is_add && !valid_flows(flows)) {
        fprintf(stderr, "raia partners add: --flows takes flow ids ([a-z0-9_-]) separated by "
                        "commas\n");
        return 2;
    }
    if (is_add && strcmp(scope, "per-token") != 0 && strcmp(scope, "stable-pseudonym") != 0) {
        fprintf(stderr, "raia partners add: --scope is per-token or stable-pseudonym\n");
        return 2;
    }
    struct raia_config *cfg = config_load_print(config, stderr);
    if (!cfg)
        return 1;
    struct raia_err err = {0};
    int rc = 0;
    if (is_add) {
        rc = add(cfg->postgres.conninfo, name, flows, scope, actor);
    } else if (is_list) {
        if (partner_store_list(cfg->postgres.conninfo, stdout, &err) < 0) {
            fprintf(stderr, "raia partners list: %s\n", err.msg);
            rc = 1;
        }
    } else if (partner_store_revoke(cfg->postgres.conninfo, name, actor, &err) < 0) {
        fprintf(stderr, "raia partners revoke: %s\n", err.msg);
        rc = 1;
    } else {
        printf("partner %s: token revoked\n", name);
    }
    config_free(cfg);
    return rc;
}
