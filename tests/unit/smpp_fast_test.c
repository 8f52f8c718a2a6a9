/*
 * smpp_fast_test.c - unit tests for gateway/smpp_fast.c, the hot-path codec:
 * exact wire bytes of deliver_sm, submit_sm and their responses, every TLV
 * raia reads or writes, every malformed case with the status it is answered
 * with, and the encoder's refusals. Each decode also runs through the
 * reference codec (smpp_pdu.c) and must agree with it; each PDU is decoded
 * from a heap copy of exactly its length, so a read past the end shows under
 * ASan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raia_err.h"
#include "smpp_fast.h"
#include "smpp_pdu.h"
#include "test_help.h"

/* ---- PDUs from byte literals: a header, then pieces appended ---- */

struct pdu {
    uint8_t b[SMPP_PDU_MAX + 64];
    size_t n;
};

static void add(struct pdu *p, const void *bytes, size_t n)
{
    memcpy(p->b + p->n, bytes, n);
    p->n += n;
}

/* Appends a string literal with its embedded NULs (not its final one). */
#define ADD(p, lit) add((p), (lit), sizeof(lit) - 1)

/* A byte string literal and its length, for tables of PDU pieces. */
struct lit {
    const char *b;
    size_t n;
};
#define LIT(x)                                                                                     \
    {                                                                                              \
        (x), sizeof(x) - 1                                                                         \
    }

static void start(struct pdu *p, uint32_t id, uint32_t status, uint32_t seq)
{
    uint8_t h[16] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++) {
        h[4 + i] = (uint8_t)(id >> (24 - 8 * i));
        h[8 + i] = (uint8_t)(status >> (24 - 8 * i));
        h[12 + i] = (uint8_t)(seq >> (24 - 8 * i));
    }
    p->n = 0;
    add(p, h, 16);
}

/* Sets command_length to the bytes written. */
static void finish(struct pdu *p)
{
    for (int i = 0; i < 4; i++)
        p->b[i] = (uint8_t)(p->n >> (24 - 8 * i));
}

/* The mandatory part of an MO deliver_sm: "USSD", +256700000001 -> 384, text "1". */
#define MO_HEAD                                                                                    \
    "USSD\0\x01\x01"                                                                               \
    "256700000001\0\x00\x01"                                                                       \
    "384\0\x00\x00\x00\0\0\x00\x00\x00\x00"
#define MO_BODY                                                                                    \
    MO_HEAD "\x01"                                                                                 \
            "1"

static void mo(struct pdu *p, uint32_t id)
{
    start(p, id, 0, 5);
    ADD(p, MO_BODY);
}

/*
 * Decodes p (finished) with the fast codec from an exact-size heap copy;
 * returns 0 or the status. The reference codec must give the same status
 * and, on success, the same fields, which land in *out.
 */
static int agree_sm(const struct smpp_sm *a, const struct smpp_sm *b)
{
    return strcmp(a->service_type, b->service_type) == 0 &&
           strcmp(a->source_addr, b->source_addr) == 0 &&
           strcmp(a->destination_addr, b->destination_addr) == 0 &&
           a->source_addr_ton == b->source_addr_ton && a->source_addr_npi == b->source_addr_npi &&
           a->dest_addr_ton == b->dest_addr_ton && a->dest_addr_npi == b->dest_addr_npi &&
           a->esm_class == b->esm_class && a->data_coding == b->data_coding &&
           a->registered_delivery == b->registered_delivery && a->sm_length == b->sm_length &&
           memcmp(a->short_message, b->short_message, a->sm_length) == 0 &&
           a->ussd_service_op == b->ussd_service_op && a->its_session_info == b->its_session_info &&
           a->has_sar == b->has_sar && a->sar_msg_ref_num == b->sar_msg_ref_num &&
           a->sar_total_segments == b->sar_total_segments &&
           a->sar_segment_seqnum == b->sar_segment_seqnum && a->has_payload == b->has_payload &&
           a->payload_len == b->payload_len &&
           memcmp(a->payload, b->payload, a->has_payload ? a->payload_len : 0) == 0 &&
           strcmp(a->receipted_message_id, b->receipted_message_id) == 0 &&
           a->has_message_state == b->has_message_state && a->message_state == b->message_state;
}

static int ref_disagreed;

static uint32_t decode(struct pdu *p, struct smpp_sm *out)
{
    static struct smpp_sm ref;
    uint32_t st = 0xDEAD, st_ref = 0xBEEF;
    uint8_t *copy = malloc(p->n ? p->n : 1);
    if (!copy)
        abort();
    memcpy(copy, p->b, p->n);
    int rc = smpp_fast_decode_sm(copy, p->n, out, &st);
    int rc_ref = smpp_decode_sm(copy, p->n, &ref, &st_ref);
    free(copy);
    if (rc != rc_ref || (rc == 0 && !agree_sm(out, &ref)) || (rc != 0 && st != st_ref))
        ref_disagreed++;
    if (rc == 0)
        return 0;
    return rc == -RAIA_EPROTO ? st : 0xBAD;
}

static uint32_t status_of(struct pdu *p)
{
    static struct smpp_sm sm;
    finish(p);
    return decode(p, &sm);
}

/* The fast decoder on p as a response; the reference must agree. */
static int decode_resp(struct pdu *p, char id[SMPP_MSG_ID_MAX])
{
    char ref[SMPP_MSG_ID_MAX];
    uint8_t *copy = malloc(p->n ? p->n : 1);
    if (!copy)
        abort();
    memcpy(copy, p->b, p->n);
    int rc = smpp_fast_decode_sm_resp(copy, p->n, id);
    if (rc != smpp_decode_sm_resp(copy, p->n, ref) || strcmp(ref, id) != 0)
        ref_disagreed++;
    free(copy);
    return rc;
}

/* The USSD MT raia sends: 384 -> +256700000001, "1 @ Yes", USSR request. */
static struct smpp_sm ussd_mt(void)
{
    struct smpp_sm sm;
    memset(&sm, 0, sizeof sm);
    strcpy(sm.service_type, "USSD");
    sm.source_addr_npi = 1;
    strcpy(sm.source_addr, "384");
    sm.dest_addr_ton = 1;
    sm.dest_addr_npi = 1;
    strcpy(sm.destination_addr, "256700000001");
    static const uint8_t text[] = {'1', ' ', 0x00, ' ', 'Y', 'e', 's'}; /* 0x00 is GSM '@' */
    memcpy(sm.short_message, text, sizeof text);
    sm.sm_length = sizeof text;
    sm.ussd_service_op = SMPP_USSD_USSR_REQ;
    sm.its_session_info = 0x0A10;
    return sm;
}

/* Both encoders on sm into fresh buffers of size; 1 when they agree. */
static int encoders_agree(uint32_t id, const struct smpp_sm *sm, size_t size)
{
    static uint8_t a[SMPP_PDU_MAX], b[SMPP_PDU_MAX];
    long na = smpp_encode_sm(id, 9, sm, a, size);
    long nb = smpp_fast_encode_sm(id, 9, sm, b, size);
    return na == nb && (na <= 0 || memcmp(a, b, (size_t)na) == 0);
}

/* ---- tests ---- */

static void test_deliver_sm_bytes(void)
{
    static const uint8_t wire[] = {
        0,    0,    0,    0x41, 0,    0,   0,   5,   0,   0,   0,   0,   0,
        0,    0,    0x2A,                     /* header, seq 42 */
        'U',  'S',  'S',  'D',  0,    1,   1, /* service_type, TON, NPI */
        '2',  '5',  '6',  '7',  '0',  '0', '0', '0', '0', '0', '0', '1', 0, /* source_addr */
        0,    1,    '3',  '8',  '4',  0,                                    /* dest TON/NPI, addr */
        0,    0,    0,    0,    0,    1,   0,   0,   0, /* esm..sm_default_msg_id */
        2,    '*',  '1',                                /* sm_length, text */
        0x05, 0x01, 0,    1,    0x12,                   /* ussd_service_op USSR conf */
        0x13, 0x83, 0,    2,    0x0A, 0x11};            /* its_session_info */
    struct pdu p;
    struct smpp_sm d;
    p.n = sizeof wire;
    memcpy(p.b, wire, sizeof wire);
    test_cond("deliver_sm decodes", decode(&p, &d) == 0);
    test_cond("deliver_sm service_type", strcmp(d.service_type, "USSD") == 0);
    test_cond("deliver_sm source", strcmp(d.source_addr, "256700000001") == 0 &&
                                       d.source_addr_ton == 1 && d.source_addr_npi == 1);
    test_cond("deliver_sm dest", strcmp(d.destination_addr, "384") == 0 && d.dest_addr_ton == 0 &&
                                     d.dest_addr_npi == 1);
    test_cond("deliver_sm registered_delivery", d.registered_delivery == 1);
    test_cond("deliver_sm text", d.sm_length == 2 && memcmp(d.short_message, "*1", 2) == 0);
    test_cond("deliver_sm USSD TLVs", d.ussd_service_op == 0x12 && d.its_session_info == 0x0A11);
    test_cond("deliver_sm no other TLV",
              !d.has_sar && !d.has_payload && !d.receipted_message_id[0] && !d.has_message_state);
    test_cond("deliver_sm string tails cleared", d.service_type[5] == 0 && d.source_addr[20] == 0);

    uint8_t buf[128];
    long n = smpp_fast_encode_sm(SMPP_DELIVER_SM, 42, &d, buf, sizeof buf);
    test_cond("deliver_sm re-encodes to the same bytes",
              n == (long)sizeof wire && memcmp(buf, wire, sizeof wire) == 0);
    test_cond("deliver_sm encoders agree", encoders_agree(SMPP_DELIVER_SM, &d, sizeof buf));
}

static void test_submit_sm_bytes(void)
{
    static const uint8_t wire[] = {
        0,    0,    0,    0x46, 0,    0,    0,    4,   0,   0,    0,
        0,    0x7F, 0xFF, 0xFF, 0xFF,                                /* seq max */
        'U',  'S',  'S',  'D',  0,    0,    1,    '3', '8', '4',  0, /* from 384 */
        1,    1,    '2',  '5',  '6',  '7',  '0',  '0', '0', '0',  '0',
        '0',  '0',  '1',  0,    0,    0,    0,    0,   0,   0,    0,
        0,    0,    7,    '1',  ' ',  0x00, ' ',  'Y', 'e', 's', /* '@' is 0x00 */
        0x05, 0x01, 0,    1,    2,    0x13, 0x83, 0,   2,   0x0A, 0x10};
    struct smpp_sm sm = ussd_mt(), d;
    uint8_t buf[128];
    long n = smpp_fast_encode_sm(SMPP_SUBMIT_SM, 0x7FFFFFFF, &sm, buf, sizeof buf);
    test_cond("submit_sm bytes", n == (long)sizeof wire && memcmp(buf, wire, sizeof wire) == 0);
    test_cond("submit_sm encoders agree", encoders_agree(SMPP_SUBMIT_SM, &sm, sizeof buf));
    struct pdu p;
    p.n = sizeof wire;
    memcpy(p.b, wire, sizeof wire);
    test_cond("submit_sm decodes", decode(&p, &d) == 0);
    test_cond("submit_sm '@' survives",
              d.sm_length == 7 && memcmp(d.short_message, sm.short_message, 7) == 0);
    test_cond("submit_sm USSD TLVs", d.ussd_service_op == 2 && d.its_session_info == 0x0A10);

    sm.ussd_service_op = -1;
    sm.its_session_info = -1;
    n = smpp_fast_encode_sm(SMPP_SUBMIT_SM, 0x7FFFFFFF, &sm, buf, sizeof buf);
    test_cond("submit_sm without TLVs", n == (long)sizeof wire - 11 && buf[3] == sizeof wire - 11 &&
                                            memcmp(buf + 4, wire + 4, (size_t)n - 4) == 0);
    sm.ussd_service_op = -7; /* any negative: absent */
    test_cond("negative ussd_service_op writes nothing",
              smpp_fast_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, sizeof buf) == n);
}

static void test_resp_bytes(void)
{
    struct pdu p;
    char id[SMPP_MSG_ID_MAX];
    static const uint8_t submit_resp[] = {0, 0, 0, 24, 0x80, 0,   0,   4,   0,   0,   0,   0,
                                          0, 0, 0, 42, 'a',  'b', 'c', '-', '1', '2', '3', 0};
    p.n = sizeof submit_resp;
    memcpy(p.b, submit_resp, p.n);
    test_cond("submit_sm_resp id", decode_resp(&p, id) == 0 && strcmp(id, "abc-123") == 0);
    start(&p, SMPP_DELIVER_SM_RESP, 0, 0);
    ADD(&p, "\0");
    finish(&p);
    test_cond("deliver_sm_resp 17 bytes", p.n == 17 && decode_resp(&p, id) == 0 && !id[0]);
    start(&p, SMPP_DELIVER_SM_RESP, 0, 3);
    finish(&p);
    test_cond("body-less deliver_sm_resp", decode_resp(&p, id) == 0 && !id[0]);
    start(&p, SMPP_SUBMIT_SM_RESP, 0, 3);
    finish(&p);
    test_cond("body-less submit_sm_resp", decode_resp(&p, id) == 0 && !id[0]);
    start(&p, SMPP_SUBMIT_SM_RESP, SMPP_ESME_RTHROTTLED, 9);
    finish(&p);
    test_cond("16-byte error resp", decode_resp(&p, id) == 0 && !id[0]);
    ADD(&p, "\0");
    finish(&p);
    test_cond("lone-NUL error resp", decode_resp(&p, id) == 0 && !id[0]);
    start(&p, SMPP_SUBMIT_SM_RESP, 0x400, 9); /* vendor status, junk body */
    ADD(&p, "\xff\xff");
    finish(&p);
    test_cond("vendor error resp with junk", decode_resp(&p, id) == 0 && !id[0]);

    char want[SMPP_MSG_ID_MAX];
    memset(want, '9', 64);
    want[64] = 0;
    start(&p, SMPP_SUBMIT_SM_RESP, 0, 9);
    add(&p, want, 65);
    finish(&p);
    test_cond("64-char message_id", decode_resp(&p, id) == 0 && strcmp(id, want) == 0);
    start(&p, SMPP_SUBMIT_SM_RESP, 0, 9);
    add(&p, want, 64);
    ADD(&p, "9\0");
    finish(&p);
    test_cond("65-char message_id refused", decode_resp(&p, id) == -RAIA_EPROTO && !id[0]);
    start(&p, SMPP_SUBMIT_SM_RESP, 0, 9);
    ADD(&p, "abc");
    finish(&p);
    test_cond("message_id without NUL", decode_resp(&p, id) == -RAIA_EPROTO && !id[0]);
    start(&p, SMPP_SUBMIT_SM_RESP, 0, 9);
    ADD(&p, "abc\0\x07");
    finish(&p);
    test_cond("byte after message_id", decode_resp(&p, id) == -RAIA_EPROTO && !id[0]);
    p.n--; /* command_length now says one more than we pass */
    test_cond("length mismatch", decode_resp(&p, id) == -RAIA_EPROTO);
    start(&p, SMPP_ENQUIRE_LINK_RESP, 0, 9);
    finish(&p);
    test_cond("enquire_link_resp is not an sm resp", decode_resp(&p, id) == -RAIA_EPROTO);
    p.n = 4;
    test_cond("4 bytes", decode_resp(&p, id) == -RAIA_EPROTO);
}

/* Every optional parameter raia reads, and what each wrong length does. */
static void test_tlvs(void)
{
    struct pdu p;
    struct smpp_sm d;
    mo(&p, SMPP_DELIVER_SM);
    ADD(&p, "\x02\x0C\x00\x02\x01\x09" /* sar_msg_ref_num 0x0109 */
            "\x02\x0E\x00\x01\x03"     /* sar_total_segments 3 */
            "\x02\x0F\x00\x01\x02");   /* sar_segment_seqnum 2 */
    finish(&p);
    test_cond("SAR decodes", decode(&p, &d) == 0 && d.has_sar && d.sar_msg_ref_num == 0x0109 &&
                                 d.sar_total_segments == 3 && d.sar_segment_seqnum == 2);
    mo(&p, SMPP_DELIVER_SM);
    ADD(&p, "\x02\x0C\x00\x01\x09\x02\x0E\x00\x01\x03\x02\x0F\x00\x01\x02");
    finish(&p);
    test_cond("SAR ref of length 1: no SAR", decode(&p, &d) == 0 && !d.has_sar);
    mo(&p, SMPP_DELIVER_SM);
    ADD(&p, "\x02\x0E\x00\x01\x03\x02\x0F\x00\x01\x02");
    finish(&p);
    test_cond("two SAR TLVs of three: no SAR", decode(&p, &d) == 0 && !d.has_sar);

    start(&p, SMPP_DELIVER_SM, 0, 5);
    ADD(&p, MO_HEAD "\x00"
                    "\x04\x24\x00\x05hello");
    finish(&p);
    test_cond("short message_payload becomes the text",
              decode(&p, &d) == 0 && !d.has_payload && d.sm_length == 5 &&
                  memcmp(d.short_message, "hello", 5) == 0);
    static uint8_t big[SMPP_PAYLOAD_MAX + 1];
    memset(big, 'p', sizeof big);
    for (size_t len = 254; len <= 255; len++) {
        start(&p, SMPP_DELIVER_SM, 0, 5);
        ADD(&p, MO_HEAD "\x00\x04\x24");
        uint8_t l[2] = {(uint8_t)(len >> 8), (uint8_t)len};
        add(&p, l, 2);
        add(&p, big, len);
        finish(&p);
        int rc = (int)decode(&p, &d);
        test_cond(len == 254 ? "payload of 254 octets is the text"
                             : "payload of 255 octets stays a payload",
                  rc == 0 && (len == 254 ? (!d.has_payload && d.sm_length == 254)
                                         : (d.has_payload && d.payload_len == 255 &&
                                            d.sm_length == 0 && d.payload[254] == 'p')));
    }
    start(&p, SMPP_DELIVER_SM, 0, 5);
    ADD(&p, MO_HEAD "\x00\x04\x24\x06\x40"); /* 1600 */
    add(&p, big, SMPP_PAYLOAD_MAX);
    finish(&p);
    test_cond("payload of 1600 octets", decode(&p, &d) == 0 && d.payload_len == 1600);
    start(&p, SMPP_DELIVER_SM, 0, 5);
    ADD(&p, MO_HEAD "\x00\x04\x24\x06\x41"); /* 1601 */
    add(&p, big, SMPP_PAYLOAD_MAX + 1);
    test_cond("payload of 1601 octets: RINVMSGLEN", status_of(&p) == SMPP_ESME_RINVMSGLEN);

    mo(&p, SMPP_DELIVER_SM);
    ADD(&p, "\x00\x1E\x00\x04"
            "abc\0"
            "\x04\x27\x00\x01\x02");
    finish(&p);
    test_cond("receipt TLVs", decode(&p, &d) == 0 && strcmp(d.receipted_message_id, "abc") == 0 &&
                                  d.has_message_state && d.message_state == 2);
    mo(&p, SMPP_DELIVER_SM);
    ADD(&p, "\x00\x1E\x00\x03"
            "abc"
            "\x04\x27\x00\x02\x02\x00");
    finish(&p);
    test_cond("receipt id without NUL kept, message_state of length 2 skipped",
              decode(&p, &d) == 0 && strcmp(d.receipted_message_id, "abc") == 0 &&
                  !d.has_message_state);
    mo(&p, SMPP_DELIVER_SM);
    ADD(&p, "\x00\x1E\x00\x06"
            "ab\0cd\0");
    finish(&p);
    test_cond("receipt id up to its first NUL",
              decode(&p, &d) == 0 && strcmp(d.receipted_message_id, "ab") == 0);
    mo(&p, SMPP_DELIVER_SM);
    ADD(&p, "\x00\x1E\x00\x41");
    add(&p, big, 65);
    finish(&p);
    test_cond("receipt id of 65 characters ignored",
              decode(&p, &d) == 0 && !d.receipted_message_id[0]);

    mo(&p, SMPP_DELIVER_SM);
    ADD(&p, "\x14\x01\x00\x06vendor\x14\x01\x00\x00\x05\x01\x00\x01\x11");
    finish(&p);
    test_cond("unknown tags skipped, may repeat, may be empty",
              decode(&p, &d) == 0 && d.ussd_service_op == 0x11 && d.its_session_info == -1);
}

/* Encoding of the TLVs after the USSD ones, byte for byte. */
static void test_encode_tlvs(void)
{
    struct smpp_sm sm = ussd_mt();
    uint8_t buf[SMPP_PDU_MAX];
    sm.ussd_service_op = -1;
    sm.its_session_info = -1;
    sm.has_sar = 1;
    sm.sar_msg_ref_num = 0x0102;
    sm.sar_total_segments = 2;
    sm.sar_segment_seqnum = 1;
    strcpy(sm.receipted_message_id, "id7");
    sm.has_message_state = 1;
    sm.message_state = SMPP_MSG_STATE_DELIVERED;
    long n = smpp_fast_encode_sm(SMPP_DELIVER_SM, 1, &sm, buf, sizeof buf);
    static const uint8_t tail[] = {0x02, 0x0C, 0,    2, 1,    2,    0x02, 0x0E, 0, 1,
                                   2,    0x02, 0x0F, 0, 1,    1,    0x00, 0x1E, 0, 4,
                                   'i',  'd',  '7',  0, 0x04, 0x27, 0,    1,    2};
    test_cond("SAR, receipt id and state bytes",
              n == 59 + (long)sizeof tail && memcmp(buf + 59, tail, sizeof tail) == 0);
    test_cond("... as the reference writes them", encoders_agree(SMPP_DELIVER_SM, &sm, sizeof buf));

    sm = ussd_mt();
    sm.sm_length = 0;
    sm.has_payload = 1;
    sm.payload_len = 300;
    memset(sm.payload, 'q', 300);
    n = smpp_fast_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, sizeof buf);
    test_cond("payload TLV after the USSD ones",
              n == 52 + 11 + 4 + 300 && buf[63] == 0x04 && buf[64] == 0x24 && buf[65] == 0x01 &&
                  buf[66] == 0x2C && buf[67] == 'q' && buf[n - 1] == 'q');
    test_cond("payload as the reference writes it",
              encoders_agree(SMPP_SUBMIT_SM, &sm, sizeof buf));
    struct pdu p;
    memcpy(p.b, buf, (size_t)n);
    p.n = (size_t)n;
    struct smpp_sm d;
    test_cond("payload decodes back",
              decode(&p, &d) == 0 && d.has_payload && d.payload_len == 300 && d.sm_length == 0);
}

/* What the encoder refuses, and that -RAIA_EINVAL wins over -RAIA_EFULL. */
static void test_encode_refusals(void)
{
    uint8_t buf[SMPP_PDU_MAX];
    struct smpp_sm sm = ussd_mt();
    long full = smpp_fast_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, sizeof buf);
    test_cond("exact buffer",
              smpp_fast_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, (size_t)full) == full);
    test_cond("one octet short: EFULL",
              smpp_fast_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, (size_t)full - 1) == -RAIA_EFULL);
    test_cond("EFULL as the reference", encoders_agree(SMPP_SUBMIT_SM, &sm, (size_t)full - 1));
    test_cond("not an sm: EINVAL",
              smpp_fast_encode_sm(SMPP_SUBMIT_SM_RESP, 1, &sm, buf, sizeof buf) == -RAIA_EINVAL);

#define CASE(text, body)                                                                           \
    do {                                                                                           \
        struct smpp_sm c = ussd_mt();                                                              \
        body;                                                                                      \
        test_cond(text,                                                                            \
                  smpp_fast_encode_sm(SMPP_SUBMIT_SM, 1, &c, buf, sizeof buf) == -RAIA_EINVAL &&   \
                      smpp_fast_encode_sm(SMPP_SUBMIT_SM, 1, &c, buf, 10) == -RAIA_EINVAL &&       \
                      encoders_agree(SMPP_SUBMIT_SM, &c, sizeof buf));                             \
    } while (0)
    CASE("service_type without NUL", memset(c.service_type, 'S', sizeof c.service_type));
    CASE("source_addr without NUL", memset(c.source_addr, '1', sizeof c.source_addr));
    CASE("destination_addr without NUL",
         memset(c.destination_addr, '1', sizeof c.destination_addr));
    CASE("receipted_message_id without NUL",
         memset(c.receipted_message_id, 'r', sizeof c.receipted_message_id));
    CASE("255 message octets", c.sm_length = 255);
    CASE("ussd_service_op 256", c.ussd_service_op = 256);
    CASE("its_session_info 65536", c.its_session_info = 65536);
    CASE("payload next to short_message", c.has_payload = 1);
    CASE("payload over 1600", (c.sm_length = 0, c.has_payload = 1, c.payload_len = 1601));
    CASE("SAR with UDHI", (c.has_sar = 1, c.esm_class = 0x40));
    CASE("dest TON 7", c.dest_addr_ton = 7);
    CASE("source NPI 2", c.source_addr_npi = 2);
    CASE("source NPI 19", c.source_addr_npi = 19);
#undef CASE
    sm.sm_length = 253;
    memset(sm.short_message, 'a', 253);
    test_cond("253 message octets",
              smpp_fast_encode_sm(SMPP_DELIVER_SM, 1, &sm, buf, sizeof buf) == 52 + 11 + 253 &&
                  encoders_agree(SMPP_DELIVER_SM, &sm, sizeof buf));
    /* SMPP 3.4 allows 254; libsmpp34 (so smpp_encode_sm) stops at 253 (quirk Q1) */
    sm.sm_length = 254;
    sm.short_message[253] = 'z';
    long n = smpp_fast_encode_sm(SMPP_DELIVER_SM, 1, &sm, buf, sizeof buf);
    struct pdu p;
    memcpy(p.b, buf, n > 0 ? (size_t)n : 0);
    p.n = n > 0 ? (size_t)n : 0;
    struct smpp_sm d;
    test_cond("254 message octets", n == 52 + 11 + 254 && buf[51] == 254 && buf[51 + 254] == 'z' &&
                                        decode(&p, &d) == 0 && d.sm_length == 254 &&
                                        d.short_message[253] == 'z');
    test_cond("... which the reference refuses",
              smpp_encode_sm(SMPP_DELIVER_SM, 1, &sm, buf, sizeof buf) == -RAIA_EINVAL);
    sm = ussd_mt();
    strcpy(sm.service_type, "12345"); /* longest fields that fit */
    strcpy(sm.source_addr, "12345678901234567890");
    strcpy(sm.destination_addr, "12345678901234567890");
    memset(sm.receipted_message_id, 'r', 64);
    sm.source_addr_ton = 6;
    sm.source_addr_npi = 18;
    sm.dest_addr_npi = 14;
    test_cond("longest fields, TON 6, NPI 18 and 14",
              smpp_fast_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, sizeof buf) > 0 &&
                  encoders_agree(SMPP_SUBMIT_SM, &sm, sizeof buf));
}

/*
 * A PDU up to (not including) sm_length: "USSD", 1 -> 2, with the given
 * source TON / NPI, destination NPI, esm_class and data_coding.
 */
static void head(struct pdu *p, uint32_t id, const uint8_t ton_npi[3], uint8_t esm_class,
                 uint8_t data_coding)
{
    const uint8_t dest[2] = {0, ton_npi[2]}, mid[3] = {esm_class, 0, 0};
    const uint8_t flags[4] = {0, 0, data_coding, 0};
    start(p, id, 0, 5);
    ADD(p, "USSD\0");
    add(p, ton_npi, 2);
    ADD(p, "1\0");
    add(p, dest, 2);
    ADD(p, "2\0");
    add(p, mid, 3);
    ADD(p, "\0\0");
    add(p, flags, 4);
}

static const uint8_t intl[3] = {1, 1, 1}; /* source TON / NPI, destination NPI */

/* head() for a deliver_sm from an international number. */
static void msg_head(struct pdu *p, uint8_t esm_class, uint8_t data_coding)
{
    head(p, SMPP_DELIVER_SM, intl, esm_class, data_coding);
}

/* The malformed-input table of docs/smpp.md, with the status of each row. */
static void test_malformed(void)
{
    struct pdu p;
    struct smpp_sm d;

    /* TLVs after a good MO deliver_sm */
    static const struct {
        struct lit tlvs;
        uint32_t status;
    } bad_tlvs[] = {
        {LIT("\x05\x01\x00\x01"), SMPP_ESME_RINVOPTPARSTREAM},                 /* value cut */
        {LIT("\x05\x01\x00\x01\x12\x13\x83\x00"), SMPP_ESME_RINVOPTPARSTREAM}, /* header cut */
        {LIT("\x05\x01\x00\x01\x12\x00"), SMPP_ESME_RINVOPTPARSTREAM},         /* stray byte */
        {LIT("\x05\x01\x00\x02\x12\x00"), SMPP_ESME_RINVPARLEN}, /* ussd_service_op 2 */
        {LIT("\x05\x01\x00\x00"), SMPP_ESME_RINVPARLEN},         /* ussd_service_op 0 */
        {LIT("\x13\x83\x00\x01\x0A"), SMPP_ESME_RINVPARLEN},     /* its_session_info 1 */
        {LIT("\x13\x83\x00\x03\x0A\x00\x00"), SMPP_ESME_RINVPARLEN}};
    for (size_t i = 0; i < sizeof bad_tlvs / sizeof bad_tlvs[0]; i++) {
        mo(&p, i % 2 ? SMPP_SUBMIT_SM : SMPP_DELIVER_SM);
        add(&p, bad_tlvs[i].tlvs.b, bad_tlvs[i].tlvs.n);
        test_cond("a broken TLV gets its status", status_of(&p) == bad_tlvs[i].status);
    }

    static const struct lit twice[] = {
        LIT("\x05\x01\x00\x01\x12"),     LIT("\x13\x83\x00\x02\x0A\x00"),
        LIT("\x04\x24\x00\x00"),         LIT("\x02\x0C\x00\x02\x00\x01"),
        LIT("\x02\x0E\x00\x01\x02"),     LIT("\x02\x0F\x00\x01\x01"),
        LIT("\x00\x1E\x00\x02\x61\x00"), LIT("\x04\x27\x00\x01\x02")};
    for (size_t i = 0; i < sizeof twice / sizeof twice[0]; i++) {
        start(&p, SMPP_DELIVER_SM, 0, 5);
        ADD(&p, MO_HEAD "\x00"); /* no short_message: the payload alone is valid */
        add(&p, twice[i].b, twice[i].n);
        add(&p, twice[i].b, twice[i].n);
        test_cond("a tag raia reads, twice: RINVOPTPARSTREAM",
                  status_of(&p) == SMPP_ESME_RINVOPTPARSTREAM);
    }

    /* broken mandatory parts, each with its own status */
    static const struct {
        struct lit body;
        uint32_t status;
    } bad_bodies[] = {{LIT("USSDXX\0"), SMPP_ESME_RINVSERTYP},
                      {LIT("USSD\0\x01\x01"
                           "2567000000012345678901\0"),
                       SMPP_ESME_RINVSRCADR}, /* 22 characters */
                      {LIT("USSD\0\x01\x01"
                           "2567"),
                       SMPP_ESME_RINVSRCADR}, /* runs into the end */
                      {LIT("USSD\0\x01\x01"
                           "1\0\x00\x01"
                           "123456789012345678901\0"),
                       SMPP_ESME_RINVDSTADR},
                      {LIT("USSD\0\x01\x01"
                           "1\0\x00\x01"
                           "2\0\x00\x00\x00"
                           "12345678901234567\0"),
                       0x61}, /* schedule_delivery_time */
                      {LIT("USSD\0\x01\x01"
                           "1\0\x00\x01"
                           "2\0\x00\x00\x00\0"
                           "12345678901234567\0"),
                       0x62}, /* validity_period */
                      /* cut inside the fixed fields */
                      {LIT("USSD\0\x01"), SMPP_ESME_RINVCMDLEN},
                      {LIT("USSD\0\x01\x01"
                           "1\0\x00"),
                       SMPP_ESME_RINVCMDLEN},
                      {LIT("USSD\0\x01\x01"
                           "1\0\x00\x01"
                           "2\0\x00\x00"),
                       SMPP_ESME_RINVCMDLEN},
                      {LIT("USSD\0\x01\x01"
                           "1\0\x00\x01"
                           "2\0\x00\x00\x00\0\0\x00\x00\x00\x00"),
                       SMPP_ESME_RINVCMDLEN}, /* 4 of the last 5 */
                      {LIT(MO_HEAD "\x09"
                                   "1"),
                       SMPP_ESME_RINVMSGLEN}}; /* sm_length past the end */
    for (size_t i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
        start(&p, SMPP_DELIVER_SM, 0, 5);
        add(&p, bad_bodies[i].body.b, bad_bodies[i].body.n);
        test_cond("a broken mandatory part gets its status", status_of(&p) == bad_bodies[i].status);
    }
    static uint8_t text[255];
    memset(text, 'a', sizeof text);
    start(&p, SMPP_DELIVER_SM, 0, 5);
    ADD(&p, MO_HEAD "\xFF");
    add(&p, text, 255);
    test_cond("sm_length 255", status_of(&p) == SMPP_ESME_RINVMSGLEN);
    start(&p, SMPP_DELIVER_SM, 0, 5);
    ADD(&p, MO_HEAD "\xFE");
    add(&p, text, 254);
    finish(&p);
    test_cond("sm_length 254", decode(&p, &d) == 0 && d.sm_length == 254);

    mo(&p, SMPP_DELIVER_SM);
    ADD(&p, "\x04\x24\x00\x02hi");
    test_cond("short_message and message_payload", status_of(&p) == SMPP_ESME_RINVOPTPARAMVAL);

    msg_head(&p, 0x40, 0);
    ADD(&p, "\x05"
            "\x05\x00\x03\x01\x02");
    test_cond("UDHL past the message", status_of(&p) == SMPP_ESME_RINVESMCLASS);
    msg_head(&p, 0x40, 0);
    ADD(&p, "\x00");
    test_cond("UDHI on an empty message", status_of(&p) == SMPP_ESME_RINVESMCLASS);
    static const struct lit parts[] = {
        LIT("\x05\x00\x03\x07\x02\x00"), LIT("\x05\x00\x03\x07\x02\x03"),
        LIT("\x05\x00\x03\x07\x00\x00"), LIT("\x06\x08\x04\x00\x07\x02\x03")};
    for (size_t i = 0; i < 4; i++) {
        msg_head(&p, 0x40, 0);
        uint8_t l = (uint8_t)(parts[i].n + 2);
        add(&p, &l, 1);
        add(&p, parts[i].b, parts[i].n);
        ADD(&p, "hi");
        test_cond("concatenation part 0, over the total or total 0",
                  status_of(&p) == SMPP_ESME_RINVESMCLASS);
    }
    msg_head(&p, 0x40, 0);
    ADD(&p, "\x08"
            "\x05\x00\x03\x07\x02\x02hi");
    finish(&p);
    test_cond("concatenated part 2 of 2", decode(&p, &d) == 0 && d.esm_class == 0x40);
    ADD(&p, "\x02\x0E\x00\x02\x00\x02"); /* even a SAR TLV of the wrong length */
    test_cond("SAR with UDHI", status_of(&p) == SMPP_ESME_RINVOPTPARAMVAL);

    static const char *sar_bad[] = {"\x00\x00", "\x02\x03", "\x00\x01"}; /* total, seq */
    for (size_t i = 0; i < 3; i++) {
        mo(&p, SMPP_DELIVER_SM);
        ADD(&p, "\x02\x0C\x00\x02\x00\x09\x02\x0E\x00\x01");
        add(&p, sar_bad[i], 1);
        ADD(&p, "\x02\x0F\x00\x01");
        add(&p, sar_bad[i] + 1, 1);
        test_cond("SAR part 0, over the total or total 0",
                  status_of(&p) == SMPP_ESME_RINVOPTPARAMVAL);
    }

    msg_head(&p, 0, SMPP_DC_UCS2);
    ADD(&p, "\x03"
            "\x00\x61\x00");
    test_cond("odd UCS2", status_of(&p) == SMPP_ESME_RINVMSGLEN);
    msg_head(&p, 0, SMPP_DC_UCS2);
    ADD(&p, "\x00"
            "\x04\x24\x00\x03\x00\x61\x00");
    test_cond("odd UCS2 in the payload", status_of(&p) == SMPP_ESME_RINVMSGLEN);

    mo(&p, SMPP_DELIVER_SM);
    finish(&p);
    p.n--;
    test_cond("command_length != buffer length", decode(&p, &d) == SMPP_ESME_RSYSERR);
    start(&p, SMPP_ENQUIRE_LINK, 0, 1);
    test_cond("enquire_link is not an sm", status_of(&p) == SMPP_ESME_RSYSERR);
    p.n = 15;
    test_cond("15 bytes", decode(&p, &d) == SMPP_ESME_RSYSERR);
    mo(&p, SMPP_DELIVER_SM);
    finish(&p);
    test_cond("NULL status pointer", smpp_fast_decode_sm(p.b, p.n - 1, &d, NULL) == -RAIA_EPROTO);
}

/* A PDU with the given TON / NPI (as head()) and data_coding, text "1". */
static void addressed(struct pdu *p, uint32_t id, uint8_t ston, uint8_t snpi, uint8_t dnpi,
                      uint8_t dc)
{
    const uint8_t ton_npi[3] = {ston, snpi, dnpi};
    head(p, id, ton_npi, 0, dc);
    ADD(p, "\x01"
           "1");
}

/* What a sloppy SMSC sends is taken in a deliver_sm, refused in a submit_sm. */
static void test_ton_npi(void)
{
    struct pdu p;
    struct smpp_sm d;
    start(&p, SMPP_DELIVER_SM, 0, 5);
    ADD(&p, "USSD\0\x07\x05"
            "256700000001\0\x00\x01"
            "384\0\x00\x00\x00\0"
            "000001000000000R\0\x00\x00\x00\x00\x01"
            "1");
    finish(&p);
    test_cond("deliver_sm: TON 7, NPI 5, a validity period",
              decode(&p, &d) == 0 && d.source_addr_ton == 7 && d.source_addr_npi == 5);
    addressed(&p, SMPP_DELIVER_SM, 1, 1, 1, 0);
    finish(&p);
    test_cond("the builder's PDU decodes", decode(&p, &d) == 0 && d.sm_length == 1 &&
                                               strcmp(d.destination_addr, "2") == 0 &&
                                               d.dest_addr_npi == 1 && d.data_coding == 0);
    addressed(&p, SMPP_SUBMIT_SM, 7, 1, 1, 0);
    test_cond("submit_sm source TON 7", status_of(&p) == SMPP_ESME_RINVSRCADR);
    addressed(&p, SMPP_SUBMIT_SM, 1, 1, 2, 0);
    test_cond("submit_sm dest NPI 2", status_of(&p) == SMPP_ESME_RINVDSTADR);
    ADD(&p, "\x05\x01\x00\x02\x00\x00");
    test_cond("a TLV error comes before the TON / NPI one", status_of(&p) == SMPP_ESME_RINVPARLEN);
    addressed(&p, SMPP_SUBMIT_SM, 1, 1, 2, SMPP_DC_UCS2); /* odd UCS2 too */
    test_cond("the TON / NPI error before the message checks",
              status_of(&p) == SMPP_ESME_RINVDSTADR);
    for (unsigned v = 0; v < 256; v++) {
        addressed(&p, SMPP_SUBMIT_SM, (uint8_t)(v & 7), (uint8_t)v, (uint8_t)(255 - v), 0);
        status_of(&p); /* agreement with libsmpp34's tables is what is checked */
    }
    test_cond("every TON / NPI as libsmpp34 takes it", ref_disagreed == 0);
}

int main(void)
{
    test_deliver_sm_bytes();
    test_submit_sm_bytes();
    test_resp_bytes();
    test_tlvs();
    test_encode_tlvs();
    test_encode_refusals();
    test_malformed();
    test_ton_npi();
    test_cond("the reference codec agreed on every PDU", ref_disagreed == 0);
    TEST_REPORT();
}
