/*
 * pseudonym.c - E.164 normalization and the keyed hash of phone numbers.
 *
 * Why a keyed hash: phone numbers have so little entropy that a plain hash
 * is reversed by trying every number (research/citizen-data.md §3); with
 * HMAC-SHA256 and a key kept outside Redis and PostgreSQL, the stored value
 * says nothing without the key. Called for every MO by gateway/session.c and
 * by `raia forget`.
 */
#include "pseudonym.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "key_file.h"
#include "str_copy.h"

#define KEY_MIN 32
#define KEY_MAX 4096

/*
 * Why a keyed MAC context rather than HMAC() per call: HMAC() fetches the
 * algorithm and hashes the key every time, which was a tenth of the
 * gateway's CPU under load. The context is keyed once; EVP_MAC_init()
 * without a key restarts it from the keyed state, and freeing it wipes
 * that state. The raw key itself is not kept.
 */
struct pseudonymizer {
    EVP_MAC_CTX *mac; /* HMAC-SHA256, keyed */
    char project[64];
    char country_code[4];
    char trunk_prefix[4];
};

static int read_key(struct pseudonymizer *p, const char *key_file, struct raia_err *err)
{
    unsigned char key[KEY_MAX];
    size_t got = 0;
    int rc = key_file_read("privacy.key_file", key_file, key, sizeof key, &got, err);
    if (rc == 0 && got < KEY_MIN)
        rc = raia_err_set(err, RAIA_ECONFIG,
                          "privacy.key_file %s: %zu bytes, need at least %d random bytes", key_file,
                          got, KEY_MIN);
    if (rc == 0) {
        EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                               OSSL_PARAM_construct_end()};
        p->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
        EVP_MAC_free(hmac); /* the context holds its own reference */
        if (!p->mac || EVP_MAC_init(p->mac, key, got, params) != 1)
            rc = raia_err_set(err, RAIA_EIO, "privacy: HMAC-SHA256 unavailable in OpenSSL");
    }
    OPENSSL_cleanse(key, sizeof key); /* also what a refused file left in it */
    return rc;
}

static int copy_field(char *dst, size_t size, const char *src)
{
    if (strlen(src) >= size)
        return -1;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

struct pseudonymizer *pseudonymizer_new(const char *key_file, const char *project,
                                        const char *country_code, const char *trunk_prefix,
                                        struct raia_err *err)
{
    struct pseudonymizer *p = calloc(1, sizeof *p);
    if (!p) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    if (copy_field(p->project, sizeof p->project, project) < 0 ||
        copy_field(p->country_code, sizeof p->country_code, country_code) < 0 ||
        copy_field(p->trunk_prefix, sizeof p->trunk_prefix, trunk_prefix) < 0) {
        raia_err_set(err, RAIA_EINVAL, "privacy: project, country_code or trunk_prefix too long");
        free(p);
        return NULL;
    }
    if (read_key(p, key_file, err) < 0) {
        pseudonymizer_free(p);
        return NULL;
    }
    return p;
}

void pseudonymizer_free(struct pseudonymizer *p)
{
    if (!p)
        return;
    EVP_MAC_CTX_free(p->mac); /* wipes the keyed state */
    free(p);
}

static int all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

/*
 * Why TON matters: an SMSC may send "256700000001" as international (TON 1)
 * or "0700000001" as national (TON 2); both must give one pseudonym, or one
 * person would look like two and `raia forget` would miss half their data.
 */
int pseudonym_normalize(const struct pseudonymizer *p, const char *number, int ton,
                        char out[E164_MAX])
{
    char digits[E164_MAX + 8];
    const char *s = number;
    int international = ton == 1;

    if (s[0] == '+') {
        s++;
        international = 1;
    } else if (ton != 2 && strncmp(s, "00", 2) == 0) {
        s += 2;
        international = 1;
    }
    if (!all_digits(s) || strlen(s) > 15)
        return -RAIA_EINVAL;
    size_t trunk = strlen(p->trunk_prefix);
    if (!international && (ton == 2 || (trunk && strncmp(s, p->trunk_prefix, trunk) == 0))) {
        if (!p->country_code[0])
            return -RAIA_EINVAL; /* a national number, and no country to read it in */
        if (trunk && strncmp(s, p->trunk_prefix, trunk) == 0)
            s += trunk;
        snprintf(digits, sizeof digits, "%s%s", p->country_code, s);
    } else {
        str_copy(digits, sizeof digits, s);
    }
    size_t n = strlen(digits);
    if (n < 7 || n > 15 || digits[0] == '0')
        return -RAIA_EINVAL;
    out[0] = '+';
    memcpy(out + 1, digits, n + 1);
    return 0;
}

int pseudonym_of(const struct pseudonymizer *p, const char *e164, char out[PSEUDONYM_HEX_LEN + 1])
{
    size_t elen = strlen(e164);
    if (e164[0] != '+' || elen >= E164_MAX)
        return -RAIA_EINVAL;
    unsigned char mac[32];
    size_t mac_len = 0;
    if (EVP_MAC_init(p->mac, NULL, 0, NULL) != 1 ||
        EVP_MAC_update(p->mac, (const unsigned char *)p->project, strlen(p->project)) != 1 ||
        EVP_MAC_update(p->mac, (const unsigned char *)e164, elen) != 1 ||
        EVP_MAC_final(p->mac, mac, &mac_len, sizeof mac) != 1 || mac_len != sizeof mac)
        return -RAIA_EIO;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < mac_len; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[PSEUDONYM_HEX_LEN] = '\0';
    return 0;
}
