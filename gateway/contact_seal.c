/*
 * contact_seal.c - seals and opens the phone numbers of people who asked to
 * hear back (see contact_seal.h for the format and why).
 *
 * AES-256-GCM through OpenSSL's EVP interface, a fresh random 96-bit nonce
 * per seal (RAND_bytes), the number padded with NULs to 16 bytes so the
 * sealed length says nothing about it. Called by gateway/session.c (seal, in
 * the turn that heard "yes") and gateway/outbox.c (open, to send).
 */
#include "contact_seal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "key_file.h"
#include "store_event.h"

#define KEY_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16
#define PLAIN_LEN (E164_MAX - 1) /* '+' and up to 15 digits, NUL-padded */
#define RAW_LEN (NONCE_LEN + PLAIN_LEN + TAG_LEN)
#define B64_LEN (4 * ((RAW_LEN + 2) / 3))
#define AAD_MAX (64 + 1 + PSEUDONYM_HEX_LEN + 1 + 128)

static const char prefix_v1[] = "v1:";

struct contact_seal {
    unsigned char key[KEY_LEN];
    char project[64];
};

static int parse_key(struct contact_seal *s, unsigned char *text, size_t len)
{
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len != 2 * KEY_LEN)
        return -1;
    for (size_t i = 0; i < KEY_LEN; i++) {
        int hi = OPENSSL_hexchar2int(text[2 * i]), lo = OPENSSL_hexchar2int(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        s->key[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

struct contact_seal *contact_seal_new(const char *key_file, const char *project,
                                      struct raia_err *err)
{
    struct contact_seal *s = calloc(1, sizeof *s);
    if (!s) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    if (strlen(project) >= sizeof s->project) {
        raia_err_set(err, RAIA_EINVAL, "privacy.project too long");
        free(s);
        return NULL;
    }
    memcpy(s->project, project, strlen(project) + 1);
    unsigned char text[2 * KEY_LEN + 2];
    size_t len = 0;
    int rc = key_file_read("privacy.contact_key_file", key_file, text, sizeof text, &len, err);
    if (rc == 0 && parse_key(s, text, len) < 0)
        rc = raia_err_set(err, RAIA_ECONFIG,
                          "privacy.contact_key_file %s: need 64 hex characters "
                          "(openssl rand -hex 32)",
                          key_file);
    OPENSSL_cleanse(text, sizeof text);
    if (rc < 0) {
        contact_seal_free(s);
        return NULL;
    }
    return s;
}

void contact_seal_free(struct contact_seal *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s->key, sizeof s->key);
    free(s);
}

/* project ‖ 0 ‖ pseudonym ‖ 0 ‖ flow: the NULs keep the three parts apart. */
static int make_aad(const struct contact_seal *s, const char *pseudonym, const char *flow_id,
                    unsigned char aad[AAD_MAX])
{
    size_t p = strlen(s->project), q = strlen(pseudonym), f = strlen(flow_id);
    if (q != PSEUDONYM_HEX_LEN || f == 0 || p + q + f + 2 > AAD_MAX)
        return -RAIA_EINVAL;
    memcpy(aad, s->project, p);
    aad[p] = 0;
    memcpy(aad + p + 1, pseudonym, q);
    aad[p + 1 + q] = 0;
    memcpy(aad + p + q + 2, flow_id, f);
    return (int)(p + q + f + 2);
}

/*
 * One GCM pass: encrypt (enc 1) in -> out and write the tag, or decrypt
 * (enc 0) and check the tag. Returns 0 or -RAIA_EPROTO (a failed check) or
 * -RAIA_EIO (OpenSSL itself failed).
 */
static int gcm(const struct contact_seal *s, int enc, const unsigned char *nonce,
               const unsigned char *aad, int aad_len, const unsigned char *in, unsigned char *out,
               unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, rc = -RAIA_EIO;
    if (ctx && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
        EVP_CipherInit_ex(ctx, NULL, NULL, s->key, nonce, enc) == 1 &&
        EVP_CipherUpdate(ctx, NULL, &n, aad, aad_len) == 1 &&
        EVP_CipherUpdate(ctx, out, &n, in, PLAIN_LEN) == 1 &&
        (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1)) {
        rc = EVP_CipherFinal_ex(ctx, out + n, &n) == 1 ? 0 : -RAIA_EPROTO;
        if (rc == 0 && enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
            rc = -RAIA_EIO;
    }
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int contact_seal_close(const struct contact_seal *s, const char *pseudonym, const char *flow_id,
                       const char *e164, char out[CONTACT_SEALED_MAX])
{
    unsigned char aad[AAD_MAX], plain[PLAIN_LEN] = {0}, raw[RAW_LEN];
    size_t elen = strlen(e164);
    int aad_len = make_aad(s, pseudonym, flow_id, aad);
    if (aad_len < 0 || e164[0] != '+' || elen > PLAIN_LEN)
        return -RAIA_EINVAL;
    memcpy(plain, e164, elen);
    int rc = RAND_bytes(raw, NONCE_LEN) == 1 ? 0 : -RAIA_EIO;
    if (rc == 0)
        rc = gcm(s, 1, raw, aad, aad_len, plain, raw + NONCE_LEN, raw + NONCE_LEN + PLAIN_LEN);
    OPENSSL_cleanse(plain, sizeof plain);
    if (rc < 0)
        return rc;
    memcpy(out, prefix_v1, sizeof prefix_v1 - 1);
    EVP_EncodeBlock((unsigned char *)out + sizeof prefix_v1 - 1, raw, RAW_LEN);
    return 0;
}

int contact_seal_open(const struct contact_seal *s, const char *pseudonym, const char *flow_id,
                      const char *sealed, char e164[E164_MAX])
{
    unsigned char aad[AAD_MAX], raw[B64_LEN], plain[PLAIN_LEN + 1];
    int aad_len = make_aad(s, pseudonym, flow_id, aad);
    if (aad_len < 0)
        return -RAIA_EINVAL;
    if (strncmp(sealed, prefix_v1, sizeof prefix_v1 - 1) != 0 ||
        strlen(sealed) != sizeof prefix_v1 - 1 + B64_LEN)
        return -RAIA_EPROTO;
    /* EVP_DecodeBlock counts the padding's zero bytes and ignores unused
     * bits; only the one canonical text of RAW_LEN bytes is accepted. */
    const unsigned char *b64 = (const unsigned char *)sealed + sizeof prefix_v1 - 1;
    unsigned char canon[B64_LEN + 1];
    if (EVP_DecodeBlock(raw, b64, B64_LEN) != B64_LEN / 4 * 3 ||
        EVP_EncodeBlock(canon, raw, RAW_LEN) != B64_LEN || memcmp(canon, b64, B64_LEN) != 0)
        return -RAIA_EPROTO;
    int rc = gcm(s, 0, raw, aad, aad_len, raw + NONCE_LEN, plain, raw + NONCE_LEN + PLAIN_LEN);
    plain[PLAIN_LEN] = 0;
    size_t n = strlen((const char *)plain);
    if (rc == 0 && (plain[0] != '+' || n < 2 || strspn((char *)plain + 1, "0123456789") != n - 1))
        rc = -RAIA_EPROTO;
    if (rc == 0)
        memcpy(e164, plain, n + 1);
    OPENSSL_cleanse(plain, sizeof plain);
    return rc;
}

int contact_event_json(const struct contact_seal *s, const char *pseudonym, const char *flow_id,
                       const char *operator_name, const char *e164, int64_t at_ms,
                       struct strbuf *out)
{
    char sealed[CONTACT_SEALED_MAX];
    if (e164) {
        int rc = contact_seal_close(s, pseudonym, flow_id, e164, sealed);
        if (rc < 0)
            return rc;
    }
    struct store_event ev = {.kind = STORE_EVENT_CONTACT,
                             .at_ms = at_ms,
                             .pseudonym = pseudonym,
                             .flow_id = flow_id,
                             .operator_name = operator_name,
                             .sealed = e164 ? sealed : NULL};
    return store_event_json(&ev, out);
}
