/*
 * sms_concat_test.c - unit tests for gateway/sms_concat.c (MT split, UDH
 * parsing, MO reassembly with timeouts and the eviction bound) and for the
 * long-message and delivery-receipt TLVs of gateway/smpp_pdu.c.
 */
#include <stdint.h>
#include <string.h>

#include "raia_err.h"
#include "smpp_pdu.h"
#include "sms_concat.h"
#include "test_help.h"

static const char ZHE[] = "\xD0\x96";                  /* Ж: no GSM form, 1 UCS-2 unit */
static const char EMOJI[] = "\xF0\x9F\x98\x80";        /* U+1F600: a surrogate pair */
static const char EURO[] = "\xE2\x82\xAC";             /* €: GSM extension, ESC 0x65 */
static const uint8_t UDH_HEAD[3] = {0x05, 0x00, 0x03}; /* 8-bit reference IE */

/* Writes n copies of s after the len bytes already in buf; returns the new length. */
static size_t rep(char *buf, size_t len, const char *s, size_t n)
{
    size_t k = strlen(s);
    for (size_t i = 0; i < n; i++, len += k)
        memcpy(buf + len, s, k);
    buf[len] = 0;
    return len;
}

static int udh_is(const struct sms_part *p, uint8_t ref, uint8_t total, uint8_t seq)
{
    return p->esm_class == 0x40 && memcmp(p->short_message, UDH_HEAD, 3) == 0 &&
           p->short_message[3] == ref && p->short_message[4] == total && p->short_message[5] == seq;
}

/* ---- MT split ---- */

static void test_split_gsm(void)
{
    static char text[2000];
    struct sms_part parts[SMS_CONCAT_MAX_PARTS];

    size_t n = rep(text, 0, "a", 160);
    test_cond("160 GSM: one part", sms_concat_split(text, n, 7, parts) == 1);
    test_cond("160 GSM: no UDH", parts[0].esm_class == 0 && parts[0].sm_length == 160 &&
                                     parts[0].data_coding == SMPP_DC_DEFAULT);
    n = rep(text, 0, "a", 161);
    test_cond("161 GSM: two parts", sms_concat_split(text, n, 7, parts) == 2);
    test_cond("161 GSM: part 1 is 6 + 153",
              parts[0].sm_length == 159 && udh_is(&parts[0], 7, 2, 1));
    test_cond("161 GSM: part 2 is 6 + 8", parts[1].sm_length == 14 && udh_is(&parts[1], 7, 2, 2));
    test_cond("161 GSM: text after the UDH", parts[1].short_message[6] == 'a');
    n = rep(text, 0, "a", 306);
    test_cond("306 GSM: two full parts",
              sms_concat_split(text, n, 1, parts) == 2 && parts[1].sm_length == 159);
    n = rep(text, 0, "a", 307);
    test_cond("307 GSM: three parts", sms_concat_split(text, n, 1, parts) == 3);

    /* 152 + € (2 septets) would end part 1 with a lone ESC */
    n = rep(text, 0, "a", 152);
    n = rep(text, n, EURO, 1);
    n = rep(text, n, "b", 10);
    test_cond("ext at boundary: two parts", sms_concat_split(text, n, 1, parts) == 2);
    test_cond("ext at boundary: part 1 keeps 152",
              parts[0].sm_length == 6 + 152 && parts[0].short_message[6 + 151] == 'a');
    test_cond("ext at boundary: pair starts part 2", parts[1].sm_length == 6 + 12 &&
                                                         parts[1].short_message[6] == 0x1B &&
                                                         parts[1].short_message[7] == 0x65);
    /* 159 + € is 161 septets: too long for one part although 160 characters */
    n = rep(text, 0, "a", 159);
    n = rep(text, n, EURO, 1);
    test_cond("ext counts 2 septets", sms_concat_split(text, n, 1, parts) == 2);

    n = rep(text, 0, "a", 1530);
    test_cond("1530 GSM: ten parts",
              sms_concat_split(text, n, 1, parts) == 10 && udh_is(&parts[9], 1, 10, 10));
    n = rep(text, 0, "a", 1531);
    test_cond("1531 GSM: too many parts", sms_concat_split(text, n, 1, parts) == -RAIA_EFULL);
    n = rep(text, 0, "a", 1599);
    test_cond("1599 GSM: too many parts", sms_concat_split(text, n, 1, parts) == -RAIA_EFULL);
    n = rep(text, 0, "a", 1700);
    test_cond("1700 GSM: too many parts", sms_concat_split(text, n, 1, parts) == -RAIA_EFULL);
    test_cond("empty text: one empty part",
              sms_concat_split("", 0, 1, parts) == 1 && parts[0].sm_length == 0);
    test_cond("invalid UTF-8", sms_concat_split("\xFF", 1, 1, parts) == -RAIA_EINVAL);
}

static void test_split_ucs2(void)
{
    static char text[4000];
    struct sms_part parts[SMS_CONCAT_MAX_PARTS];

    size_t n = rep(text, 0, ZHE, 70);
    test_cond("70 UCS-2: one part", sms_concat_split(text, n, 3, parts) == 1);
    test_cond("70 UCS-2: 140 octets", parts[0].sm_length == 140 && parts[0].esm_class == 0 &&
                                          parts[0].data_coding == SMPP_DC_UCS2 &&
                                          parts[0].short_message[0] == 0x04 &&
                                          parts[0].short_message[1] == 0x16);
    n = rep(text, 0, ZHE, 71);
    test_cond("71 UCS-2: two parts", sms_concat_split(text, n, 3, parts) == 2);
    test_cond("71 UCS-2: 67 + 4 units", parts[0].sm_length == 6 + 134 &&
                                            parts[1].sm_length == 6 + 8 &&
                                            udh_is(&parts[1], 3, 2, 2));
    n = rep(text, 0, "a", 100);
    n = rep(text, n, ZHE, 1);
    test_cond("one non-GSM char makes it UCS-2",
              sms_concat_split(text, n, 3, parts) == 2 && parts[0].data_coding == SMPP_DC_UCS2);

    /* 66 units + a surrogate pair: part 1 would end on the high surrogate */
    n = rep(text, 0, ZHE, 66);
    n = rep(text, n, EMOJI, 1);
    n = rep(text, n, ZHE, 5);
    test_cond("emoji at boundary: two parts", sms_concat_split(text, n, 1, parts) == 2);
    test_cond("emoji at boundary: part 1 keeps 66 units", parts[0].sm_length == 6 + 132);
    test_cond("emoji at boundary: pair starts part 2",
              parts[1].sm_length == 6 + 14 && parts[1].short_message[6] == 0xD8 &&
                  parts[1].short_message[7] == 0x3D && parts[1].short_message[8] == 0xDE);
    n = rep(text, 0, EMOJI, 35);
    test_cond("35 emoji = 70 units: one part",
              sms_concat_split(text, n, 1, parts) == 1 && parts[0].sm_length == 140);

    n = rep(text, 0, ZHE, 670);
    test_cond("670 UCS-2: ten parts", sms_concat_split(text, n, 1, parts) == 10);
    n = rep(text, 0, ZHE, 671);
    test_cond("671 UCS-2: too many parts", sms_concat_split(text, n, 1, parts) == -RAIA_EFULL);
}

/* ---- UDH ---- */

static void test_udh(void)
{
    struct sms_udh u;
    static const uint8_t plain[] = {5, 0, 3, 1, 2};
    test_cond("no UDHI: offset 0", sms_concat_udh(0, plain, sizeof plain, &u) == 0 &&
                                       u.payload_off == 0 && !u.has_concat);
    test_cond("UDHL + 1 > length", sms_concat_udh(0x40, plain, sizeof plain, &u) == -RAIA_EPROTO);
    test_cond("empty with UDHI", sms_concat_udh(0x40, plain, 0, &u) == -RAIA_EPROTO);
    static const uint8_t ok8[] = {5, 0, 3, 9, 2, 1, 'h', 'i'};
    test_cond("8-bit IE", sms_concat_udh(0x40, ok8, sizeof ok8, &u) == 0 && u.payload_off == 6 &&
                              u.has_concat && !u.ref16 && u.ref == 9 && u.total == 2 && u.seq == 1);
    static const uint8_t ok16[] = {6, 8, 4, 0x12, 0x34, 3, 2, 'x'};
    test_cond("16-bit IE", sms_concat_udh(0x43, ok16, sizeof ok16, &u) == 0 && u.payload_off == 7 &&
                               u.ref16 && u.ref == 0x1234 && u.total == 3 && u.seq == 2);
    /* application port IE (0x05, 4 octets) skipped by its length, then 0x00 */
    static const uint8_t ports[] = {11, 5, 4, 0x0B, 0x84, 0x23, 0xF0, 0, 3, 7, 2, 2, 'z'};
    test_cond("other IE skipped", sms_concat_udh(0x40, ports, sizeof ports, &u) == 0 &&
                                      u.payload_off == 12 && u.ref == 7 && u.seq == 2);
    static const uint8_t overrun[] = {3, 0, 3, 1, 'a', 'b'};
    test_cond("IE past UDHL", sms_concat_udh(0x40, overrun, sizeof overrun, &u) == -RAIA_EPROTO);
    static const uint8_t half[] = {1, 0, 'a'};
    test_cond("half an IE header", sms_concat_udh(0x40, half, sizeof half, &u) == -RAIA_EPROTO);
    static const uint8_t badlen[] = {4, 0, 2, 1, 2, 'a'};
    test_cond("8-bit IE length 2", sms_concat_udh(0x40, badlen, sizeof badlen, &u) == -RAIA_EPROTO);
    static const uint8_t empty[] = {0, 'a'};
    test_cond("UDHL 0", sms_concat_udh(0x40, empty, sizeof empty, &u) == 0 && u.payload_off == 1 &&
                            !u.has_concat);
}

/* ---- MO reassembly ---- */

static struct smpp_sm mo(const char *src, uint8_t esm, const void *msg, size_t len)
{
    struct smpp_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.ussd_service_op = -1;
    sm.its_session_info = -1;
    strcpy(sm.source_addr, src);
    strcpy(sm.destination_addr, "384");
    sm.esm_class = esm;
    memcpy(sm.short_message, msg, len);
    sm.sm_length = len;
    return sm;
}

/* Part seq of total, 8-bit ref, text "<seq>" twice ("11", "22", ...). */
static struct smpp_sm part8(const char *src, uint8_t ref, uint8_t total, uint8_t seq)
{
    uint8_t b[8] = {5, 0, 3, ref, total, seq, (uint8_t)('0' + seq), (uint8_t)('0' + seq)};
    return mo(src, 0x40, b, sizeof b);
}

static int feed(struct sms_concat *t, struct smpp_sm sm, uint64_t now, struct sms_concat_msg *out)
{
    return sms_concat_mo(t, &sm, now, out);
}

static int msg_is(const struct sms_concat_msg *m, const char *s)
{
    return m->len == strlen(s) && memcmp(m->data, s, m->len) == 0;
}

static void test_reassembly(void)
{
    static struct sms_concat_msg out;
    struct sms_concat *t = sms_concat_new(8, 1000);
    const char *a = "256700000001", *b = "256700000002";

    test_cond("in order 1", feed(t, part8(a, 1, 3, 1), 0, &out) == 0);
    test_cond("in order 2", feed(t, part8(a, 1, 3, 2), 1, &out) == 0);
    test_cond("in order pending", sms_concat_pending(t) == 1);
    test_cond("in order 3 done", feed(t, part8(a, 1, 3, 3), 2, &out) == SMS_CONCAT_DONE &&
                                     msg_is(&out, "112233") && sms_concat_pending(t) == 0);

    test_cond("out of order 3", feed(t, part8(a, 2, 3, 3), 0, &out) == 0);
    test_cond("out of order 1", feed(t, part8(a, 2, 3, 1), 0, &out) == 0);
    test_cond("out of order 2 done",
              feed(t, part8(a, 2, 3, 2), 0, &out) == SMS_CONCAT_DONE && msg_is(&out, "112233"));

    test_cond("duplicate 1", feed(t, part8(a, 3, 2, 1), 0, &out) == 0);
    test_cond("duplicate 1 again ignored", feed(t, part8(a, 3, 2, 1), 0, &out) == 0);
    test_cond("duplicate then 2 done",
              feed(t, part8(a, 3, 2, 2), 0, &out) == SMS_CONCAT_DONE && msg_is(&out, "1122"));

    /* same ref from two phones, and 8-bit vs 16-bit refs, never mix */
    feed(t, part8(a, 4, 2, 1), 0, &out);
    test_cond("other source separate", feed(t, part8(b, 4, 2, 2), 0, &out) == 0);
    static const uint8_t p16[] = {6, 8, 4, 0, 4, 2, 2, 'q'};
    test_cond("16-bit ref separate from 8-bit",
              feed(t, mo(a, 0x40, p16, sizeof p16), 0, &out) == 0);
    static const uint8_t p16a[] = {6, 8, 4, 0, 4, 2, 1, 'p'};
    test_cond("16-bit ref done",
              feed(t, mo(a, 0x40, p16a, sizeof p16a), 0, &out) == SMS_CONCAT_DONE &&
                  msg_is(&out, "pq"));
    test_cond("first phone done",
              feed(t, part8(a, 4, 2, 2), 0, &out) == SMS_CONCAT_DONE && msg_is(&out, "1122"));
    test_cond("second phone still pending", sms_concat_pending(t) == 1);
    sms_concat_free(t);

    /* out of range and too many parts */
    t = sms_concat_new(8, 1000);
    test_cond("seq 0", feed(t, part8(a, 5, 2, 0), 0, &out) == -RAIA_EPROTO);
    test_cond("seq > total", feed(t, part8(a, 5, 2, 3), 0, &out) == -RAIA_EPROTO);
    test_cond("total 0", feed(t, part8(a, 5, 0, 0), 0, &out) == -RAIA_EPROTO);
    test_cond("total 17", feed(t, part8(a, 5, 17, 1), 0, &out) == -RAIA_EFULL);
    test_cond("total 1 is a message",
              feed(t, part8(a, 5, 1, 1), 0, &out) == SMS_CONCAT_DONE && msg_is(&out, "11"));
    test_cond("nothing stored", sms_concat_pending(t) == 0);

    /* malformed UDH and UDHI without a concatenation IE */
    static const uint8_t bad[] = {5, 0, 3, 1};
    test_cond("malformed UDH", feed(t, mo(a, 0x40, bad, sizeof bad), 0, &out) == -RAIA_EPROTO);
    static const uint8_t shift[] = {3, 0x24, 1, 1, 'h', 'i'};
    test_cond("UDH without concat IE",
              feed(t, mo(a, 0x40, shift, sizeof shift), 0, &out) == SMS_CONCAT_DONE &&
                  msg_is(&out, "hi"));
    test_cond("plain MO", feed(t, mo(a, 0, "yes", 3), 0, &out) == SMS_CONCAT_DONE &&
                              msg_is(&out, "yes") && out.data_coding == 0);

    /* a missing part times out */
    test_cond("timeout part 1", feed(t, part8(a, 6, 2, 1), 100, &out) == 0);
    test_cond("not expired before", sms_concat_expire(t, 1099) == 0);
    test_cond("expired at timeout", sms_concat_expire(t, 1100) == 1 && sms_concat_pending(t) == 0);
    feed(t, part8(a, 7, 2, 1), 2000, &out);
    test_cond("late part 2 starts over",
              feed(t, part8(a, 7, 2, 2), 3000, &out) == 0 && sms_concat_pending(t) == 1);
    sms_concat_free(t);

    /* SAR TLVs, with message_payload text and a UCS-2 data_coding */
    t = sms_concat_new(8, 1000);
    struct smpp_sm s1 = mo(a, 0, "", 0), s2;
    s1.data_coding = SMPP_DC_UCS2;
    s1.has_sar = 1;
    s1.sar_msg_ref_num = 0xBEEF;
    s1.sar_total_segments = 2;
    s1.sar_segment_seqnum = 2;
    s1.has_payload = 1;
    s1.payload_len = 300;
    memset(s1.payload, 'B', 300);
    s2 = s1;
    s2.sar_segment_seqnum = 1;
    s2.has_payload = 0;
    memcpy(s2.short_message, "\0A", 2);
    s2.sm_length = 2;
    test_cond("SAR part 2", sms_concat_mo(t, &s1, 0, &out) == 0);
    test_cond("SAR part 1 done", sms_concat_mo(t, &s2, 0, &out) == SMS_CONCAT_DONE &&
                                     out.len == 302 && out.data[1] == 'A' && out.data[2] == 'B' &&
                                     out.data[301] == 'B' && out.data_coding == SMPP_DC_UCS2);
    sms_concat_free(t);
    sms_concat_free(NULL);
}

static void test_bounds(void)
{
    static struct sms_concat_msg out;
    struct sms_concat *t = sms_concat_new(4, 60000);
    char src[21];
    for (int i = 0; i < 10; i++) {
        strcpy(src, "2567000000xx");
        src[10] = (char)('0' + i);
        feed(t, part8(src, 1, 2, 1), (uint64_t)i, &out);
    }
    test_cond("eviction keeps the bound", sms_concat_pending(t) == 4);
    test_cond("newest kept", feed(t, part8("25670000009x", 1, 2, 2), 10, &out) == SMS_CONCAT_DONE);
    test_cond("oldest evicted", feed(t, part8("25670000000x", 1, 2, 2), 11, &out) == 0);

    /* the octet bound: 16 parts of 300 octets are more than SMS_CONCAT_MSG_MAX */
    struct smpp_sm s = mo("256700000001", 0, "", 0);
    s.has_sar = 1;
    s.sar_total_segments = 16;
    s.has_payload = 1;
    s.payload_len = 300;
    int rc = 0;
    for (int i = 1; i <= 16 && rc == 0; i++) {
        s.sar_segment_seqnum = (uint8_t)i;
        rc = sms_concat_mo(t, &s, 20, &out);
    }
    test_cond("octet bound", rc == -RAIA_EFULL);
    test_cond("max_pending 0 refused", sms_concat_new(0, 1) == NULL);
    sms_concat_free(t);
}

/* ---- the TLVs in the codec ---- */

static struct smpp_sm base_sm(void)
{
    struct smpp_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.ussd_service_op = -1;
    sm.its_session_info = -1;
    strcpy(sm.source_addr, "256700000001");
    strcpy(sm.destination_addr, "384");
    sm.source_addr_ton = 1;
    sm.source_addr_npi = 1;
    return sm;
}

/* Encodes sm without TLVs, then appends raw TLV bytes and fixes command_length. */
static size_t with_tlvs(uint8_t *buf, const void *tlvs, size_t n)
{
    struct smpp_sm sm = base_sm();
    long len = smpp_encode_sm(SMPP_DELIVER_SM, 1, &sm, buf, SMPP_PDU_MAX);
    memcpy(buf + len, tlvs, n);
    size_t total = (size_t)len + n;
    buf[0] = (uint8_t)(total >> 24);
    buf[1] = (uint8_t)(total >> 16);
    buf[2] = (uint8_t)(total >> 8);
    buf[3] = (uint8_t)total;
    return total;
}

static void test_codec_tlvs(void)
{
    static uint8_t buf[SMPP_PDU_MAX + 64];
    static struct smpp_sm sm, d;
    uint32_t st = 0;

    sm = base_sm();
    long plain = smpp_encode_sm(SMPP_DELIVER_SM, 1, &sm, buf, SMPP_PDU_MAX);
    test_cond("memset sm has no TLVs", plain == 16 + 32);
    test_cond("memset sm decodes absent", smpp_decode_sm(buf, (size_t)plain, &d, &st) == 0 &&
                                              !d.has_sar && !d.has_payload &&
                                              !d.has_message_state && !d.receipted_message_id[0]);

    sm.esm_class = 0x04; /* a delivery receipt */
    sm.has_sar = 1;
    sm.sar_msg_ref_num = 0x0102;
    sm.sar_total_segments = 3;
    sm.sar_segment_seqnum = 2;
    strcpy(sm.receipted_message_id, "abc123");
    sm.has_message_state = 1;
    sm.message_state = SMPP_MSG_STATE_DELIVERED;
    long n = smpp_encode_sm(SMPP_DELIVER_SM, 1, &sm, buf, SMPP_PDU_MAX);
    static const uint8_t want[] = {0x02, 0x0C, 0,   2,   1, 2,    0x02, 0x0E, 0, 1,   3,
                                   0x02, 0x0F, 0,   1,   2, 0x00, 0x1E, 0,    7, 'a', 'b',
                                   'c',  '1',  '2', '3', 0, 0x04, 0x27, 0,    1, 2};
    test_cond("TLV length", n == plain + (long)sizeof want);
    test_cond("TLV bytes", memcmp(buf + plain, want, sizeof want) == 0);
    test_cond("TLV round trip", smpp_decode_sm(buf, (size_t)n, &d, &st) == 0 && d.has_sar &&
                                    d.sar_msg_ref_num == 0x0102 && d.sar_total_segments == 3 &&
                                    d.sar_segment_seqnum == 2 &&
                                    strcmp(d.receipted_message_id, "abc123") == 0 &&
                                    d.has_message_state && d.message_state == 2);
    sm.esm_class = 0x40;
    test_cond("SAR with UDHI refused",
              smpp_encode_sm(SMPP_DELIVER_SM, 1, &sm, buf, SMPP_PDU_MAX) == -RAIA_EINVAL);
    sm = base_sm();
    memset(sm.receipted_message_id, 'x', sizeof sm.receipted_message_id);
    test_cond("receipted_message_id too long",
              smpp_encode_sm(SMPP_DELIVER_SM, 1, &sm, buf, SMPP_PDU_MAX) == -RAIA_EINVAL);

    /* message_payload */
    sm = base_sm();
    sm.has_payload = 1;
    sm.payload_len = SMPP_PAYLOAD_MAX;
    memset(sm.payload, 'p', SMPP_PAYLOAD_MAX);
    n = smpp_encode_sm(SMPP_SUBMIT_SM, 9, &sm, buf, SMPP_PDU_MAX);
    test_cond("payload max encodes", n == plain + 4 + SMPP_PAYLOAD_MAX);
    test_cond("payload round trip", smpp_decode_sm(buf, (size_t)n, &d, &st) == 0 && d.has_payload &&
                                        d.sm_length == 0 && d.payload_len == SMPP_PAYLOAD_MAX &&
                                        memcmp(d.payload, sm.payload, SMPP_PAYLOAD_MAX) == 0);
    test_cond("payload buffer too small",
              smpp_encode_sm(SMPP_SUBMIT_SM, 9, &sm, buf, 200) == -RAIA_EFULL);
    sm.payload_len = 200;
    n = smpp_encode_sm(SMPP_SUBMIT_SM, 9, &sm, buf, SMPP_PDU_MAX);
    test_cond("short payload becomes short_message", smpp_decode_sm(buf, (size_t)n, &d, &st) == 0 &&
                                                         !d.has_payload && d.sm_length == 200 &&
                                                         d.short_message[199] == 'p');
    sm.payload_len = SMPP_PAYLOAD_MAX + 1;
    test_cond("payload too long refused",
              smpp_encode_sm(SMPP_SUBMIT_SM, 9, &sm, buf, SMPP_PDU_MAX) == -RAIA_EINVAL);
    sm.payload_len = 10;
    sm.sm_length = 1;
    test_cond("payload with short_message refused",
              smpp_encode_sm(SMPP_SUBMIT_SM, 9, &sm, buf, SMPP_PDU_MAX) == -RAIA_EINVAL);

    static uint8_t tl[SMPP_PAYLOAD_MAX + 8];
    tl[0] = 0x04;
    tl[1] = 0x24;
    tl[2] = (SMPP_PAYLOAD_MAX + 1) >> 8;
    tl[3] = (SMPP_PAYLOAD_MAX + 1) & 0xFF;
    size_t len = with_tlvs(buf, tl, 4 + SMPP_PAYLOAD_MAX + 1);
    st = 0;
    test_cond("payload over max: RINVMSGLEN",
              smpp_decode_sm(buf, len, &d, &st) == -RAIA_EPROTO && st == SMPP_ESME_RINVMSGLEN);
    /* a long payload with UDHI is checked against the payload */
    memset(tl + 4, 0, 300);
    tl[2] = 300 >> 8;
    tl[3] = 300 & 0xFF;
    tl[4] = 0xFF; /* UDHL 255 + 1 <= 300: fine */
    len = with_tlvs(buf, tl, 4 + 300);
    buf[16 + 1 + 2 + 13 + 2 + 4] = 0x40; /* esm_class */
    test_cond("long payload with UDHI",
              smpp_decode_sm(buf, len, &d, &st) == 0 && d.has_payload && d.esm_class == 0x40);

    /* sloppy lengths are skipped, SAR needs all three */
    static const uint8_t sloppy[] = {0x02, 0x0C, 0,    1, 5, 0x02, 0x0E, 0,  1, 2,
                                     0x02, 0x0F, 0,    1, 1, 0x04, 0x27, 0,  2, 0,
                                     2,    0x00, 0x1E, 0, 3, 'i',  'd',  '9'};
    len = with_tlvs(buf, sloppy, sizeof sloppy);
    test_cond("sloppy TLVs decode", smpp_decode_sm(buf, len, &d, &st) == 0);
    test_cond("SAR with a bad ref length unused", !d.has_sar);
    test_cond("message_state length 2 skipped", !d.has_message_state);
    test_cond("receipted_message_id without NUL", strcmp(d.receipted_message_id, "id9") == 0);
}

int main(void)
{
    test_split_gsm();
    test_split_ucs2();
    test_udh();
    test_reassembly();
    test_bounds();
    test_codec_tlvs();
    TEST_REPORT();
}
