/*
 * dlr_dedup_test.c - unit tests for gateway/dlr_parse.c (delivery receipts)
 * and gateway/mo_dedup.c (the MO duplicate window). Run by ctest (label
 * unit); both modules are pure, so no server is needed.
 */
#include <stdlib.h>
#include <string.h>

#include "dlr_parse.h"
#include "mo_dedup.h"
#include "test_help.h"

#define STD_RECEIPT                                                                                \
    "id:1234567890 sub:001 dlvrd:001 submit date:2501151230 done date:2501151231 stat:DELIVRD "    \
    "err:000 text:Hello"
#define MS_2501151230 1736944200000LL
#define MS_2501151231 1736944260000LL

/* Parse a NUL-terminated receipt text with no TLVs. */
static int parse_str(const char *text, struct dlr *out)
{
    return dlr_parse((const uint8_t *)text, strlen(text), NULL, -1, out);
}

static void test_is_receipt(void)
{
    test_cond("0x04 is a receipt", dlr_is_receipt(0x04));
    test_cond("0x20 intermediate notification is a receipt", dlr_is_receipt(0x20));
    test_cond("UDHI does not hide a receipt", dlr_is_receipt(0x44));
    test_cond("a plain MO is not", !dlr_is_receipt(0x00));
    test_cond("an SME ack is not", !dlr_is_receipt(0x08) && !dlr_is_receipt(0x10));
}

static void test_standard(void)
{
    struct dlr d;
    test_cond("standard receipt parses", parse_str(STD_RECEIPT, &d) == 0);
    test_cond("id kept as given", strcmp(d.message_id, "1234567890") == 0);
    test_cond("delivered and final", d.state == DLR_DELIVERED && d.final);
    test_cond("err", strcmp(d.err, "000") == 0);
    test_cond("submit date in UTC", d.submit_ms == MS_2501151230);
    test_cond("done date in UTC", d.done_ms == MS_2501151231);
    test_cond("state name", strcmp(dlr_state_name(d.state), "DELIVERED") == 0);
}

static void test_variants(void)
{
    struct dlr d;
    test_cond("12-digit dates",
              parse_str("id:7 submit date:240229235958 done date:240229235958 stat:UNDELIV", &d) ==
                      0 &&
                  d.submit_ms == 1709251198000LL && d.state == DLR_UNDELIVERABLE && d.final);
    test_cond("no sub / dlvrd, no err", parse_str("id:abc123 stat:EXPIRED", &d) == 0 &&
                                            d.state == DLR_EXPIRED && d.err[0] == '\0' &&
                                            d.submit_ms == -1 && d.done_ms == -1);
    test_cond("lowercase keys and stat, Text:",
              parse_str("ID:9 Stat:delivrd ERR:1 Text:x", &d) == 0 && d.state == DLR_DELIVERED &&
                  strcmp(d.err, "1") == 0);
    test_cond("submit_date / done_date",
              parse_str("id:5 submit_date:2501151230 done_date:2501151231 stat:ACCEPTD", &d) == 0 &&
                  d.submit_ms == MS_2501151230 && d.done_ms == MS_2501151231 &&
                  d.state == DLR_ACCEPTED && !d.final);
    test_cond("fields in any order, full stat name",
              parse_str("stat:REJECTED err:009 id:FF01", &d) == 0 && d.state == DLR_REJECTED &&
                  d.final && strcmp(d.message_id, "FF01") == 0);
    test_cond("an unknown stat word is DLR_UNKNOWN",
              parse_str("id:1 stat:WHATEVER", &d) == 0 && d.state == DLR_UNKNOWN && !d.final);
    test_cond("an invalid date is absent",
              parse_str("id:1 submit date:2502301200 done date:25013 stat:ENROUTE", &d) == 0 &&
                  d.submit_ms == -1 && d.done_ms == -1 && d.state == DLR_ENROUTE);
    test_cond("text: hides what follows it",
              parse_str("id:1 stat:ENROUTE text:stat:DELIVRD id:2", &d) == 0 &&
                  d.state == DLR_ENROUTE && strcmp(d.message_id, "1") == 0);
    test_cond("a long err is dropped, the receipt kept",
              parse_str("id:1 stat:DELIVRD err:12345", &d) == 0 && d.err[0] == '\0');
}

static void test_tlvs(void)
{
    struct dlr d;
    test_cond("TLV-only receipt", dlr_parse(NULL, 0, "abc", 2, &d) == 0 &&
                                      strcmp(d.message_id, "abc") == 0 && d.state == DLR_DELIVERED);
    test_cond("TLV-only with empty text",
              dlr_parse((const uint8_t *)"", 0, "77", 5, &d) == 0 && d.state == DLR_UNDELIVERABLE);
    test_cond("TLVs win over the text",
              dlr_parse((const uint8_t *)STD_RECEIPT, strlen(STD_RECEIPT), "4d2", 8, &d) == 0 &&
                  strcmp(d.message_id, "4d2") == 0 && d.state == DLR_REJECTED &&
                  d.submit_ms == MS_2501151230);
    test_cond("message_state 7 is unknown",
              dlr_parse(NULL, 0, "1", 7, &d) == 0 && d.state == DLR_UNKNOWN && !d.final);
    test_cond("TLV id alone is not enough", dlr_parse(NULL, 0, "1", -1, &d) == -RAIA_EPROTO);
    test_cond("text id plus TLV state",
              dlr_parse((const uint8_t *)"id:42", 5, NULL, 1, &d) == 0 && d.state == DLR_ENROUTE);
}

static void test_garbage(void)
{
    struct dlr d;
    char long_id[100];
    test_cond("garbage", parse_str("hello there: this is not a receipt", &d) == -RAIA_EPROTO);
    test_cond("no state", parse_str("id:123 err:000", &d) == -RAIA_EPROTO);
    test_cond("no id", parse_str("stat:DELIVRD", &d) == -RAIA_EPROTO);
    test_cond("empty id", parse_str("id: stat:DELIVRD", &d) == -RAIA_EPROTO);
    memset(long_id, '7', sizeof long_id);
    memcpy(long_id, "id:", 3);
    memcpy(long_id + 3 + 66, " stat:DELIVRD", 14);
    test_cond("a 66-char id is refused", parse_str(long_id, &d) == -RAIA_EPROTO);
    test_cond("a too long TLV id is refused", dlr_parse(NULL, 0, long_id, 2, &d) == -RAIA_EPROTO);
    test_cond("a control byte in an id", dlr_parse((const uint8_t *)"id:1\x01 stat:DELIVRD", 18,
                                                   NULL, -1, &d) == -RAIA_EPROTO);
}

/* Every prefix is parsed from an exact-size heap copy, so ASan sees any read
 * past len. */
static void test_truncated(void)
{
    const char *full = STD_RECEIPT;
    size_t n = strlen(full);
    int ok = 1;
    for (size_t len = 0; len <= n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, full, len);
        struct dlr d;
        int rc = dlr_parse(copy, len, NULL, -1, &d);
        if (rc != 0 && rc != -RAIA_EPROTO)
            ok = 0;
        if (rc == 0 && (!d.message_id[0] || strlen(d.message_id) > DLR_ID_MAX))
            ok = 0;
        free(copy);
    }
    test_cond("every prefix returns 0 or -RAIA_EPROTO", ok);
}

static void test_id_equal(void)
{
    test_cond("decimal 255 == hex ff", dlr_id_equal("255", "ff") == 1);
    test_cond("hex ff == decimal 255", dlr_id_equal("FF", "255") == 1);
    test_cond("case", dlr_id_equal("abc", "ABC") == 1);
    test_cond("leading zeros", dlr_id_equal("00042", "42") == 1);
    test_cond("different", dlr_id_equal("255", "fe") == 0);
    test_cond("not numbers", dlr_id_equal("msg-1", "msg-2") == 0);
    test_cond("overflow is not a number",
              dlr_id_equal("99999999999999999999999", "99999999999999999999998") == 0);
    test_cond("NULL", dlr_id_equal(NULL, "1") == 0);
}

static void test_dedup_basic(void)
{
    struct mo_dedup *d = mo_dedup_new(8, 60000);
    const uint8_t k[] = "msgid-1";
    test_cond("first is new", mo_dedup_seen(d, "op-a", k, sizeof k, 1000, NULL) == 0);
    test_cond("second is a duplicate", mo_dedup_seen(d, "op-a", k, sizeof k, 2000, NULL) == 1);
    test_cond("other operator is new", mo_dedup_seen(d, "op-b", k, sizeof k, 2000, NULL) == 0);
    /* Without the NUL between them, "op-a" + "mx" and "op-am" + "x" would hash alike. */
    test_cond("operator/key boundary",
              mo_dedup_seen(d, "op-a", (const uint8_t *)"mx", 2, 2000, NULL) == 0 &&
                  mo_dedup_seen(d, "op-am", (const uint8_t *)"x", 1, 2000, NULL) == 0);
    test_cond("just inside the window", mo_dedup_seen(d, "op-a", k, sizeof k, 60999, NULL) == 1);
    test_cond("after the window it is new",
              mo_dedup_seen(d, "op-a", k, sizeof k, 61000, NULL) == 0);
    test_cond("and recorded again", mo_dedup_seen(d, "op-a", k, sizeof k, 61001, NULL) == 1);
    test_cond("empty key", mo_dedup_seen(d, "op-a", NULL, 0, 61001, NULL) == 0 &&
                               mo_dedup_seen(d, "op-a", NULL, 0, 61002, NULL) == 1);
    mo_dedup_free(d);
    mo_dedup_free(NULL);
    test_cond("bad arguments", !mo_dedup_new(0, 1) && !mo_dedup_new(1, 0));
}

static void test_dedup_capacity(void)
{
    struct mo_dedup *d = mo_dedup_new(4, 1000000);
    uint32_t k;
    for (k = 0; k < 5; k++)
        mo_dedup_seen(d, "op", (const uint8_t *)&k, sizeof k, 10, NULL);
    test_cond("capacity respected", mo_dedup_count(d) == 4);
    k = 4;
    test_cond("newest still known",
              mo_dedup_seen(d, "op", (const uint8_t *)&k, sizeof k, 11, NULL) == 1);
    k = 1;
    test_cond("second oldest still known",
              mo_dedup_seen(d, "op", (const uint8_t *)&k, sizeof k, 11, NULL) == 1);
    k = 0;
    test_cond("oldest was evicted",
              mo_dedup_seen(d, "op", (const uint8_t *)&k, sizeof k, 11, NULL) == 0);
    mo_dedup_free(d);
}

/* Many keys through a small window: the count stays at the capacity, and
 * every key still inside is found (the table stays consistent across
 * backward-shift removals). */
static void test_dedup_bounded(void)
{
    enum { CAP = 1000, KEYS = 100000 };
    struct mo_dedup *d = mo_dedup_new(CAP, 1000000);
    int bounded = 1, found = 1;
    srand(42);
    for (uint32_t i = 0; i < KEYS; i++) {
        uint32_t key[2] = {i, (uint32_t)rand()};
        if (mo_dedup_seen(d, "op", (const uint8_t *)key, sizeof key, i, NULL) != 0)
            found = 0; /* every key is new */
        if (mo_dedup_count(d) > CAP)
            bounded = 0;
        if (mo_dedup_seen(d, "op", (const uint8_t *)key, sizeof key, i, NULL) != 1)
            found = 0;
    }
    test_cond("100000 keys: count never above capacity", bounded && mo_dedup_count(d) == CAP);
    test_cond("each new, then a duplicate", found);
    mo_dedup_free(d);

    d = mo_dedup_new(CAP, 50);
    for (uint32_t i = 0; i < KEYS; i++)
        mo_dedup_seen(d, "op", (const uint8_t *)&i, sizeof i, i, NULL);
    test_cond("time-bounded: only the window's keys are held", mo_dedup_count(d) == 50);
    mo_dedup_free(d);
}

int main(void)
{
    test_is_receipt();
    test_standard();
    test_variants();
    test_tlvs();
    test_garbage();
    test_truncated();
    test_id_equal();
    test_dedup_basic();
    test_dedup_capacity();
    test_dedup_bounded();
    TEST_REPORT();
}
