/*
 * gateway_test.c - unit tests for gateway/config.c and gateway/pseudonym.c:
 * config errors with positions, the shipped config, key-file permissions,
 * E.164 normalization and the HMAC pseudonym against an independent value.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "pseudonym.h"
#include "test_help.h"
#include "ussd_profile.h"

static char tmpdir[] = "/tmp/raia-gwtest-XXXXXX";

static int has_error(const struct raia_errlist *errs, const char *want)
{
    char line[512];
    for (size_t i = 0; i < errs->n; i++) {
        raia_err_format(&errs->items[i], line, sizeof line);
        if (strstr(line, want))
            return 1;
    }
    return 0;
}

static void test_shipped_config(void)
{
    struct raia_errlist errs = {0};
    struct raia_config *cfg = config_load("config/raia.yaml", &errs);
    test_cond("shipped config loads", cfg != NULL && errs.n == 0);
    if (cfg) {
        test_cond("smsc entry", cfg->n_smsc == 1 && strcmp(cfg->smsc[0].name, "operator-a") == 0);
        test_cond("defaults applied", cfg->smsc[0].response_timeout_s == 30 &&
                                          cfg->postgres.batch_max == 1000 &&
                                          strcmp(cfg->redis.prefix, "raia:") == 0);
        test_cond("explicit values", cfg->smsc[0].port == 2775 && cfg->redis.session_ttl_s == 600);
    }
    config_free(cfg);
    raia_errlist_free(&errs);
}

static void test_config_errors(void)
{
    struct raia_errlist errs = {0};
    const char *path = test_write_file(tmpdir, "bad.yaml",
                                       "smsc:\n"
                                       "  - name: a\n"
                                       "    host: 127.0.0.1\n"
                                       "    system_id: raia\n"
                                       "    password: pw\n"
                                       "    window: 0\n"
                                       "    colour: blue\n"
                                       "postgres: { conninfo: \"dbname=raia\" }\n"
                                       "privacy: { key_file: k, country_code: \"0x1\" }\n"
                                       "extra: 1\n",
                                       0600);
    struct raia_config *cfg = config_load(path, &errs);
    test_cond("bad config refused", cfg == NULL);
    test_cond("range error at line:col",
              has_error(&errs, "bad.yaml:6:13: smsc[0].window: 0 not in [1,256]"));
    test_cond("unknown key in smsc",
              has_error(&errs, "bad.yaml:7:5: unknown key 'colour' in smsc[0]"));
    test_cond("unknown top-level key",
              has_error(&errs, "bad.yaml:10:1: unknown key 'extra' in the top level"));
    raia_errlist_free(&errs);

    path = test_write_file(tmpdir, "missing.yaml", "redis: { url: x }\n", 0600);
    cfg = config_load(path, &errs);
    test_cond("missing sections refused", cfg == NULL);
    test_cond("missing smsc named", has_error(&errs, "smsc: missing"));
    test_cond("missing postgres named", has_error(&errs, "postgres: missing section"));
    raia_errlist_free(&errs);

    path = test_write_file(tmpdir, "cc.yaml",
                           "smsc: [{name: a, host: h, system_id: s, password: p}]\n"
                           "postgres: { conninfo: \"dbname=raia\" }\n"
                           "privacy: { key_file: k, country_code: \"0256\" }\n",
                           0600);
    cfg = config_load(path, &errs);
    test_cond("bad country code refused",
              cfg == NULL && has_error(&errs, "cc.yaml:3:39: privacy.country_code"));
    raia_errlist_free(&errs);
}

static void test_key_file(void)
{
    struct raia_err err = {0};
    const char *key = "0123456789abcdef0123456789abcdef";
    const char *loose = test_write_file(tmpdir, "loose.key", key, 0644);
    struct pseudonymizer *p = pseudonymizer_new(loose, "proj", "256", "0", &err);
    test_cond("world-readable key refused", p == NULL && strstr(err.msg, "chmod 600") != NULL);
    const char *shortk = test_write_file(tmpdir, "short.key", "tooshort", 0600);
    p = pseudonymizer_new(shortk, "proj", "256", "0", &err);
    test_cond("short key refused", p == NULL && strstr(err.msg, "at least 32") != NULL);
    p = pseudonymizer_new("/nonexistent/key", "proj", "256", "0", &err);
    test_cond("missing key refused", p == NULL);
}

static void test_pseudonym(void)
{
    struct raia_err err = {0};
    const char *path =
        test_write_file(tmpdir, "good.key", "0123456789abcdef0123456789abcdef", 0600);
    struct pseudonymizer *p = pseudonymizer_new(path, "proj", "256", "0", &err);
    test_cond("good key accepted", p != NULL);
    if (!p)
        return;
    char a[E164_MAX], b[E164_MAX], c[E164_MAX], d[E164_MAX];
    test_cond("international TON",
              pseudonym_normalize(p, "256700000001", 1, a) == 0 && strcmp(a, "+256700000001") == 0);
    test_cond("national TON",
              pseudonym_normalize(p, "0700000001", 2, b) == 0 && strcmp(b, "+256700000001") == 0);
    test_cond("plus form", pseudonym_normalize(p, "+256700000001", 0, c) == 0 &&
                               strcmp(c, "+256700000001") == 0);
    test_cond("00 form", pseudonym_normalize(p, "00256700000001", 0, d) == 0 &&
                             strcmp(d, "+256700000001") == 0);
    test_cond("trunk prefix with unknown TON",
              pseudonym_normalize(p, "0700000001", 0, d) == 0 && strcmp(d, "+256700000001") == 0);
    test_cond("letters refused", pseudonym_normalize(p, "2567abc", 1, d) < 0);
    test_cond("too long refused", pseudonym_normalize(p, "2567000000011234", 1, d) < 0);
    test_cond("too short refused", pseudonym_normalize(p, "123", 1, d) < 0);
    test_cond("empty refused", pseudonym_normalize(p, "", 1, d) < 0);

    char h1[PSEUDONYM_HEX_LEN + 1], h2[PSEUDONYM_HEX_LEN + 1];
    test_cond("pseudonym computed", pseudonym_of(p, a, h1) == 0 && strlen(h1) == 64);
    /* Independent value: printf 'proj+256700000001' | openssl dgst -sha256 -hmac <key> */
    test_cond("pseudonym matches openssl",
              strcmp(h1, "71f5fad6ae7a4a4aac23cd9135cc50c9114da2cd4a3c99ba574372b6db92b022") == 0);
    struct pseudonymizer *q = pseudonymizer_new(path, "other", "256", "0", &err);
    test_cond("other project gives another pseudonym",
              q && pseudonym_of(q, a, h2) == 0 && strcmp(h1, h2) != 0);
    pseudonymizer_free(q);
    q = pseudonymizer_new(path, "proj", "", "0", &err);
    test_cond("without a country code, international numbers still work",
              q && pseudonym_normalize(q, "+256700000001", 0, d) == 0 &&
                  strcmp(d, "+256700000001") == 0);
    test_cond("without a country code, a national number is refused",
              q && pseudonym_normalize(q, "0700000001", 2, d) < 0 &&
                  pseudonym_normalize(q, "0700000001", 0, d) < 0);
    pseudonymizer_free(q);
    pseudonymizer_free(p);
}

/*
 * A key longer than SHA-256's 64-byte block is hashed before use (RFC 2104);
 * the key is RFC 4231's test cases 6 and 7 (131 bytes of 0xaa). Its own
 * messages cannot go through pseudonym_of (the message always holds a
 * '+'), so the expected values are independent ones: printf
 * 'proj+256700000001' | openssl dgst -sha256 -mac HMAC -macopt hexkey:aa...aa
 * (and the same with python3's hmac module). Also: the keyed context gives
 * the same answer call after call, and two pseudonymizers do not mix.
 */
static void test_pseudonym_long_key(void)
{
    struct raia_err err = {0};
    char rfc4231_key[132];
    memset(rfc4231_key, 0xaa, 131);
    rfc4231_key[131] = '\0';
    const char *path = test_write_file(tmpdir, "long.key", rfc4231_key, 0600);
    struct pseudonymizer *p = pseudonymizer_new(path, "proj", "256", "0", &err);
    path = test_write_file(tmpdir, "good2.key", "0123456789abcdef0123456789abcdef", 0600);
    struct pseudonymizer *q = pseudonymizer_new(path, "proj", "256", "0", &err);
    test_cond("131-byte key accepted", p != NULL && q != NULL);
    if (!p || !q) {
        pseudonymizer_free(p);
        pseudonymizer_free(q);
        return;
    }
    static const char want_long[] =
        "cfed55bde63f2296eeb39fb32ed09e1a72de6422c6f9f75cf3ff09523ebda697";
    static const char want_short[] =
        "71f5fad6ae7a4a4aac23cd9135cc50c9114da2cd4a3c99ba574372b6db92b022";
    char h[PSEUDONYM_HEX_LEN + 1];
    int same = 1;
    for (int i = 0; i < 3; i++) {
        same &= pseudonym_of(p, "+256700000001", h) == 0 && strcmp(h, want_long) == 0;
        same &= pseudonym_of(q, "+256700000001", h) == 0 && strcmp(h, want_short) == 0;
    }
    test_cond("long key hashed first, as openssl does, on every call", same);
    test_cond("a number without '+' refused, and the context still works",
              pseudonym_of(p, "256700000001", h) == -RAIA_EINVAL &&
                  pseudonym_of(p, "+256700000001", h) == 0 && strcmp(h, want_long) == 0);
    pseudonymizer_free(q);
    pseudonymizer_free(p);
}

/* Each USSD dialect: what an MO means and what a reply carries. */
static void test_ussd_profiles(void)
{
    struct ussd_profile p;
    int op, its;
    test_cond("unknown preset refused", ussd_profile_preset("acme", &p) == -RAIA_EINVAL);

    ussd_profile_preset("smpp34", &p);
    test_cond("smpp34: PSSR indication begins",
              ussd_profile_classify(&p, 1, 0x0100) == USSD_MO_BEGIN);
    test_cond("smpp34: USSR confirm continues",
              ussd_profile_classify(&p, 18, 0x0100) == USSD_MO_CONTINUE);
    test_cond("smpp34: no op TLV (service_type only) begins",
              ussd_profile_classify(&p, -1, -1) == USSD_MO_BEGIN);
    test_cond("smpp34: end bit aborts", ussd_profile_classify(&p, 18, 0x0101) == USSD_MO_ABORT);
    ussd_profile_reply(&p, 0x0100, 0, &op, &its);
    test_cond("smpp34: continue = USSR request, bit 0 clear", op == 2 && its == 0x0100);
    ussd_profile_reply(&p, 0x0100, 1, &op, &its);
    test_cond("smpp34: end = PSSR response, bit 0 set", op == 17 && its == 0x0101);
    ussd_profile_reply(&p, -1, 1, &op, &its);
    test_cond("no its_session_info received: none sent", its == -1);

    ussd_profile_preset("tata", &p);
    test_cond("tata: PSSR response from the network aborts",
              ussd_profile_classify(&p, 17, 0x0200) == USSD_MO_ABORT);
    ussd_profile_reply(&p, 0x0200, 1, &op, &its);
    test_cond("tata: the end is a USSR request with bit 0 set", op == 2 && its == 0x0201);

    ussd_profile_preset("sixdee", &p);
    test_cond("sixdee: vendor 0x81 aborts",
              ussd_profile_classify(&p, 0x81, 0x0300) == USSD_MO_ABORT);
    test_cond("unknown op continues", ussd_profile_classify(&p, 99, 0x0300) == USSD_MO_CONTINUE);

    test_cond("overrides", ussd_profile_from_config("smpp34", 3, 16, 0x90, 0, &p) == 0 &&
                               p.mt_continue_op == 3 && p.mt_end_op == 16 && !p.end_bit &&
                               ussd_profile_classify(&p, 0x90, 0x0400) == USSD_MO_ABORT &&
                               ussd_profile_classify(&p, 18, 0x0401) == USSD_MO_CONTINUE);
}

/* The keys the foundation issue promises stay stable load on their own. */
static void test_minimal_config(void)
{
    struct raia_errlist errs = {0};
    const char *path =
        test_write_file(tmpdir, "minimal.yaml",
                        "smsc:\n"
                        "  - name: operator-a\n"
                        "    host: 127.0.0.1\n"
                        "    port: 2775\n"
                        "    system_id: raia\n"
                        "    password: secret\n"
                        "redis:    { url: \"redis://127.0.0.1:6379/0\" }\n"
                        "postgres: { conninfo: \"host=127.0.0.1 port=5432 dbname=raia "
                        "user=raia\" }\n"
                        "privacy:  { key_file: config/dev-pseudonym.key }\n"
                        "flows:    { dir: config/flows }\n",
                        0600);
    struct raia_config *cfg = config_load(path, &errs);
    test_cond("minimal config loads", cfg != NULL && errs.n == 0);
    test_cond("defaults applied", cfg && strcmp(cfg->smsc[0].bind, "transceiver") == 0 &&
                                      cfg->smsc[0].window == 10 && cfg->redis.session_ttl_s == 600);
    config_free(cfg);
    raia_errlist_free(&errs);
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    test_shipped_config();
    test_config_errors();
    test_key_file();
    test_pseudonym();
    test_pseudonym_long_key();
    test_minimal_config();
    test_ussd_profiles();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    TEST_REPORT();
}
