/*
 * batch_params_test.c - the writer's reading of stream documents
 * (storage/flat_json.c) and the binary arrays it builds from them
 * (storage/batch_params.c), byte by byte. storage_test runs the same
 * arrays through PostgreSQL.
 */
#include <stdint.h>

#include "batch_params.h"
#include "byte_order.h"
#include "flat_json.h"
#include "test_help.h"

/* ---- flat_json ---- */

struct members {
    char text[8][64]; /* "key=value" per member; value "<type>" for literals */
    int n;
};

static int collect(void *ctx, const struct flat_json_member *m, const char **why)
{
    struct members *ms = ctx;
    (void)why;
    static const char *const literal[] = {
        [FLAT_JSON_TRUE] = "<true>", [FLAT_JSON_FALSE] = "<false>", [FLAT_JSON_NULL] = "<null>"};
    if (ms->n == 8)
        return -1;
    if (m->type == FLAT_JSON_STRING || m->type == FLAT_JSON_NUMBER)
        snprintf(ms->text[ms->n++], 64, "%.*s=%.*s", (int)m->key_len, m->key, (int)m->value_len,
                 m->value);
    else
        snprintf(ms->text[ms->n++], 64, "%.*s=%s", (int)m->key_len, m->key, literal[m->type]);
    return 0;
}

/* Reads text; 0 and the members in ms, or -1 with *why. */
static int read_text(const char *text, struct members *ms, const char **why)
{
    char scratch[256];
    memset(ms, 0, sizeof *ms);
    return flat_json_read(text, strlen(text), scratch, collect, ms, why);
}

static void test_reads(void)
{
    struct members ms;
    const char *why = NULL;
    test_cond("a flat object is read",
              read_text(" {\"kind\" : \"answer\",\"at\":1764000000123,\"final\":true,"
                        "\"x\":false,\"code\":null, \"n\":-0.5e+3}\n",
                        &ms, &why) == 0 &&
                  ms.n == 6 && strcmp(ms.text[0], "kind=answer") == 0 &&
                  strcmp(ms.text[1], "at=1764000000123") == 0 &&
                  strcmp(ms.text[2], "final=<true>") == 0 && strcmp(ms.text[3], "x=<false>") == 0 &&
                  strcmp(ms.text[4], "code=<null>") == 0 && strcmp(ms.text[5], "n=-0.5e+3") == 0);
    test_cond("the empty object is read", read_text("{}", &ms, &why) == 0 && ms.n == 0);
    test_cond("escapes are unescaped",
              read_text("{\"v\":\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\"}", &ms, &why) == 0 &&
                  strcmp(ms.text[0], "v=q\"b\\s/\b\f\n\r\t") == 0);
    test_cond("\\u escapes become UTF-8, a surrogate pair one character",
              read_text("{\"v\":\"\\u00e9\\u20AC\\ud83d\\ude00\\u0041\"}", &ms, &why) == 0 &&
                  strcmp(ms.text[0], "v=\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                                     "A") == 0);
    test_cond("an escaped key is unescaped",
              read_text("{\"\\u006bind\":\"end\"}", &ms, &why) == 0 &&
                  strcmp(ms.text[0], "kind=end") == 0);
    test_cond("UTF-8 passes as it is", read_text("{\"v\":\"Kampala \xc3\xa9\"}", &ms, &why) == 0 &&
                                           strcmp(ms.text[0], "v=Kampala \xc3\xa9") == 0);

    static const struct {
        const char *text, *why;
    } bad[] = {
        {"", "not an object"},
        {"[1]", "not an object"},
        {"{\"a\":1} x", "text after the object"},
        {"{\"a\":1}{}", "text after the object"},
        {"{\"a\":{}}", "nested value"},
        {"{\"a\":[1]}", "nested value"},
        {"{\"a\":\"x\ny\"}", "control character in a string"},
        {"{\"a\":\"\\x\"}", "bad escape"},
        {"{\"a\":\"\\u00\"}", "bad \\u escape"},
        {"{\"a\":\"\\u0000\"}", "escaped NUL"},
        {"{\"a\":\"\\udc00\"}", "unpaired surrogate"},
        {"{\"a\":\"\\ud800x\"}", "unpaired surrogate"},
        {"{\"a\":\"\\ud800\\u0041\"}", "unpaired surrogate"},
        {"{\"a\":01}", "expected ',' or '}'"},
        {"{\"a\":1.}", "bad number"},
        {"{\"a\":-}", "bad number"},
        {"{\"a\":1e}", "bad number"},
        {"{\"a\":tru}", "bad value"},
        {"{\"a\":}", "bad number"},
        {"{\"a\":1,}", "expected a string"},
        {"{\"a\" 1}", "expected ':'"},
        {"{a:1}", "expected a string"},
        {"{\"a\":\"x", "unterminated string"},
        {"{\"a\":1", "expected ',' or '}'"},
        {"{\"a\":", "missing value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        int rc = read_text(bad[i].text, &ms, &why);
        if (rc != -1 || !why || strcmp(why, bad[i].why) != 0)
            printf("  %s: rc %d, why %s\n", bad[i].text, rc, why ? why : "(none)");
        test_cond("a malformed object is refused with its reason",
                  rc == -1 && why && strcmp(why, bad[i].why) == 0);
    }
    char nul[] = "{\"a\":\"x\0y\"}";
    test_cond("a raw NUL in a string is refused",
              flat_json_read(nul, sizeof nul - 1, (char[sizeof nul]){0}, collect, &ms, &why) == -1);
}

/* ---- batch_params ---- */

/* Column col's element row (0-based) of finished params: its length (-1:
 * NULL) and bytes; walks the elements as PostgreSQL's array_recv does. */
static int32_t element(const struct pg_params *p, int col, int row, const char **bytes)
{
    const char *at = p->values[col] + 20;
    for (int r = 0;; r++) {
        int32_t len = (int32_t)be32_get(at);
        at += 4;
        if (r == row) {
            *bytes = at;
            return len;
        }
        at += len > 0 ? len : 0;
    }
}

static int text_is(const struct pg_params *p, int col, int row, const char *want)
{
    const char *bytes;
    int32_t len = element(p, col, row, &bytes);
    return len == (int32_t)strlen(want) && memcmp(bytes, want, (size_t)len) == 0;
}

static int is_null(const struct pg_params *p, int col, int row)
{
    const char *bytes;
    return element(p, col, row, &bytes) == -1;
}

#define COL_STREAM_ID 0
#define COL_KIND 1
#define COL_AT 2
#define COL_FLOW_VERSION 4
#define COL_FLOW_CHECKSUM 5
#define COL_VALUE 16
#define COL_ATTEMPTS 17
#define COL_OUTCOME 18
#define COL_FINAL 21

static void test_arrays(void)
{
    struct batch_params bp = {0};
    batch_params_reset(&bp);
    const char *why = NULL;
    test_cond("an answer is added",
              batch_params_add(&bp, "1764000000123-0",
                               "{\"v\":1,\"kind\":\"answer\",\"at\":1764000000123,"
                               "\"flow\":\"community-report\",\"flow_version\":2,"
                               "\"value\":\"Pump \\\"broken\\\"\",\"attempts\":-3,"
                               "\"outcome\":null}",
                               &why) == 0);
    test_cond("a receipt is added",
              batch_params_add(&bp, "1764000000124-7",
                               "{\"kind\":\"receipt\",\"at\":-9223372036854775808,\"final\":false,"
                               "\"value\":1.5e3,\"outcome\":true,\"kind\":\"receipt2\"}",
                               &why) == 0);
    size_t len_before[BATCH_PARAMS_N];
    for (int i = 0; i < BATCH_PARAMS_N; i++)
        len_before[i] = bp.col[i].len;
    static const char *const refused[] = {
        "{\"kind\":\"x\",\"flow_version\":2147483648}",
        "{\"kind\":\"x\",\"flow_version\":\"2\"}",
        "{\"kind\":\"x\",\"at\":9223372036854775808}",
        "{\"kind\":\"x\",\"at\":1.5}",
        "{\"kind\":\"x\",\"started\":1e3}",
        "{\"kind\":\"x\",\"final\":\"yes\"}",
        "{\"kind\":\"x\",\"final\":1}",
        "{\"kind\":\"x\",\"at\":1",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        why = NULL;
        test_cond("a document whose fields do not fit is refused, with a reason",
                  batch_params_add(&bp, "9-9", refused[i], &why) == -1 && why && *why);
    }
    int unchanged = bp.rows == 2;
    for (int i = 0; i < BATCH_PARAMS_N; i++)
        unchanged &= bp.col[i].len == len_before[i];
    test_cond("and leaves the arrays as they were", unchanged);

    struct pg_params p = batch_params_finish(&bp);
    test_cond("the batch is 25 binary parameters", p.n == BATCH_PARAMS_N);
    int headers = 1;
    for (int i = 0; i < BATCH_PARAMS_N; i++)
        headers &= p.formats[i] == 1 && p.lengths[i] == (int)bp.col[i].len &&
                   be32_get(p.values[i]) == 1 && be32_get(p.values[i] + 12) == 2 &&
                   be32_get(p.values[i] + 16) == 1;
    test_cond("each a one-dimensional array of two elements from 1", headers);
    test_cond("with the element types' OIDs", be32_get(p.values[COL_KIND] + 8) == 25 &&
                                                  be32_get(p.values[COL_AT] + 8) == 20 &&
                                                  be32_get(p.values[COL_FLOW_VERSION] + 8) == 23 &&
                                                  be32_get(p.values[COL_FINAL] + 8) == 16);
    test_cond("and the has-nulls flag where a NULL is",
              be32_get(p.values[COL_STREAM_ID] + 4) == 0 && be32_get(p.values[COL_KIND] + 4) == 0 &&
                  be32_get(p.values[COL_FLOW_CHECKSUM] + 4) == 1);
    test_cond("stream ids", text_is(&p, COL_STREAM_ID, 0, "1764000000123-0") &&
                                text_is(&p, COL_STREAM_ID, 1, "1764000000124-7"));
    test_cond("a repeated key: the last one counts", text_is(&p, COL_KIND, 1, "receipt2"));
    test_cond("text unescaped", text_is(&p, COL_VALUE, 0, "Pump \"broken\""));
    test_cond("a number or a literal in a text field as written",
              text_is(&p, COL_VALUE, 1, "1.5e3") && text_is(&p, COL_OUTCOME, 1, "true"));
    test_cond("null and missing fields are NULL",
              is_null(&p, COL_OUTCOME, 0) && is_null(&p, COL_FLOW_CHECKSUM, 0) &&
                  is_null(&p, COL_FINAL, 0) && is_null(&p, COL_FLOW_VERSION, 1));
    const char *b;
    test_cond("a bigint in 8 big-endian bytes",
              element(&p, COL_AT, 0, &b) == 8 && memcmp(b, "\0\0\x01\x9a\xb6\x97\xe8\x7b", 8) == 0);
    test_cond("the smallest bigint",
              element(&p, COL_AT, 1, &b) == 8 && memcmp(b, "\x80\0\0\0\0\0\0\0", 8) == 0);
    test_cond("an integer in 4",
              element(&p, COL_FLOW_VERSION, 0, &b) == 4 && memcmp(b, "\0\0\0\x02", 4) == 0 &&
                  element(&p, COL_ATTEMPTS, 0, &b) == 4 && memcmp(b, "\xff\xff\xff\xfd", 4) == 0);
    test_cond("a boolean in 1", element(&p, COL_FINAL, 1, &b) == 1 && b[0] == 0);

    batch_params_reset(&bp);
    p = batch_params_finish(&bp);
    test_cond("an empty batch is empty arrays", p.n == BATCH_PARAMS_N &&
                                                    be32_get(p.values[COL_KIND] + 12) == 0 &&
                                                    p.lengths[COL_KIND] == 20);
    batch_params_free(&bp);
}

int main(void)
{
    test_reads();
    test_arrays();
    TEST_REPORT();
}
