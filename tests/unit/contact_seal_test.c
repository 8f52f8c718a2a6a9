/*
 * contact_seal_test.c - sealing the number of a person who asked to hear
 * back: it opens with the right key for the right row only, and the key file
 * is refused unless only its owner can read it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "contact_seal.h"
#include "test_help.h"

static char tmpdir[] = "/tmp/raia-sealtest-XXXXXX";

static const char key_a[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
static const char key_b[] = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
static const char pseud[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char other[] = "2222222222222222222222222222222222222222222222222222222222222222";

static void test_key_file(void)
{
    struct raia_err err = {0};
    struct contact_seal *s =
        contact_seal_new(test_write_file(tmpdir, "loose", key_b, 0640), "proj", &err);
    test_cond("group-readable key refused", !s && strstr(err.msg, "chmod 600"));
    s = contact_seal_new(test_write_file(tmpdir, "short", "abcd", 0600), "proj", &err);
    test_cond("short key refused", !s && strstr(err.msg, "64 hex"));
    s = contact_seal_new(
        test_write_file(tmpdir, "nothex",
                        "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 0600),
        "proj", &err);
    test_cond("non-hex key refused", !s && strstr(err.msg, "64 hex"));
    s = contact_seal_new("/nonexistent/contact.key", "proj", &err);
    test_cond("missing key refused", !s && strstr(err.msg, "privacy.contact_key_file"));
}

static void test_round_trip(struct contact_seal *a, struct contact_seal *b,
                            struct contact_seal *other_project)
{
    char sealed[CONTACT_SEALED_MAX], again[CONTACT_SEALED_MAX], e164[E164_MAX] = "";
    test_cond("seal", contact_seal_close(a, pseud, "poll", "+256700000001", sealed) == 0);
    test_cond("versioned, fixed length", strncmp(sealed, "v1:", 3) == 0 && strlen(sealed) == 63);
    test_cond("number not visible", !strstr(sealed, "256700000001"));
    test_cond("opens", contact_seal_open(a, pseud, "poll", sealed, e164) == 0 &&
                           strcmp(e164, "+256700000001") == 0);
    test_cond("fresh nonce each time",
              contact_seal_close(a, pseud, "poll", "+256700000001", again) == 0 &&
                  strcmp(sealed, again) != 0);
    char longest[CONTACT_SEALED_MAX];
    test_cond("15 digits fit",
              contact_seal_close(a, pseud, "poll", "+123456789012345", longest) == 0 &&
                  contact_seal_open(a, pseud, "poll", longest, e164) == 0 &&
                  strcmp(e164, "+123456789012345") == 0);
    test_cond("same length for a short number", strlen(longest) == strlen(sealed));

    test_cond("wrong key fails", contact_seal_open(b, pseud, "poll", sealed, e164) == -RAIA_EPROTO);
    test_cond("other project fails",
              contact_seal_open(other_project, pseud, "poll", sealed, e164) == -RAIA_EPROTO);
    test_cond("other person fails",
              contact_seal_open(a, other, "poll", sealed, e164) == -RAIA_EPROTO);
    test_cond("other flow fails", contact_seal_open(a, pseud, "pol", sealed, e164) == -RAIA_EPROTO);
    for (size_t i = 3; i < strlen(sealed); i++) {
        char tampered[CONTACT_SEALED_MAX];
        memcpy(tampered, sealed, sizeof tampered);
        tampered[i] = tampered[i] == 'A' ? 'B' : 'A';
        if (contact_seal_open(a, pseud, "poll", tampered, e164) != -RAIA_EPROTO) {
            test_cond("every changed character fails", 0);
            return;
        }
    }
    test_cond("every changed character fails", 1);
    test_cond("truncated fails",
              contact_seal_open(a, pseud, "poll", "v1:AAAA", e164) == -RAIA_EPROTO);
    sealed[1] = '2';
    test_cond("unknown version fails",
              contact_seal_open(a, pseud, "poll", sealed, e164) == -RAIA_EPROTO);
    test_cond("not E.164 refused",
              contact_seal_close(a, pseud, "poll", "256700000001", sealed) == -RAIA_EINVAL);
    test_cond("bad pseudonym refused",
              contact_seal_close(a, "abc", "poll", "+256700000001", sealed) == -RAIA_EINVAL);
}

static void test_event(struct contact_seal *a)
{
    struct strbuf out = {0};
    test_cond("yes event", contact_event_json(a, pseud, "poll", "mtn", "+256700000001",
                                              1700000000000, &out) == 0);
    const char *j = strbuf_cstr(&out);
    test_cond("yes event fields",
              strstr(j, "\"kind\":\"contact\"") && strstr(j, "\"flow\":\"poll\"") &&
                  strstr(j, "\"operator\":\"mtn\"") && strstr(j, "\"sealed\":\"v1:") &&
                  strstr(j, "\"at\":1700000000000") && strstr(j, pseud));
    test_cond("yes event holds no number", !strstr(j, "700000001"));
    strbuf_reset(&out);
    test_cond("no event",
              contact_event_json(a, pseud, "poll", "mtn", NULL, 1700000000000, &out) == 0 &&
                  strstr(strbuf_cstr(&out), "\"sealed\":null"));
    strbuf_reset(&out);
    test_cond("operator required", contact_event_json(a, pseud, "poll", NULL, NULL, 1700000000000,
                                                      &out) == -RAIA_EINVAL);
    strbuf_free(&out);
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    test_key_file();
    struct raia_err err = {0};
    struct contact_seal *a =
        contact_seal_new(test_write_file(tmpdir, "a", key_a, 0600), "proj", &err);
    struct contact_seal *b =
        contact_seal_new(test_write_file(tmpdir, "b", key_b, 0400), "proj", &err);
    struct contact_seal *c =
        contact_seal_new(test_write_file(tmpdir, "c", key_a, 0600), "proj2", &err);
    test_cond("good keys accepted", a && b && c);
    if (a && b && c) {
        test_round_trip(a, b, c);
        test_event(a);
    }
    contact_seal_free(a);
    contact_seal_free(b);
    contact_seal_free(c);
    contact_seal_free(NULL);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 1;
    TEST_REPORT();
}
