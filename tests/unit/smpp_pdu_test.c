/*
 * smpp_pdu_test.c - unit tests for gateway/smpp_pdu.c: a round trip through
 * every encoder and decoder, byte-exact wire checks against hand-written
 * PDUs, the malformed-input table X1-X15 of research/smpp-ussd.md with the
 * exact status each one is answered with, and the sloppy-SMSC fallbacks.
 */
#include <stdint.h>
#include <string.h>

#include "raia_err.h"
#include "smpp_pdu.h"
#include "test_help.h"

/* ---- a tiny PDU builder for hand-made (and broken) PDUs ---- */

struct pb {
    uint8_t b[SMPP_PDU_MAX + 64];
    size_t n;
};

static void pb_u8(struct pb *p, unsigned v)
{
    p->b[p->n++] = (uint8_t)v;
}

static void pb_u16(struct pb *p, unsigned v)
{
    pb_u8(p, v >> 8);
    pb_u8(p, v & 0xFF);
}

static void pb_u32(struct pb *p, uint32_t v)
{
    pb_u16(p, v >> 16);
    pb_u16(p, v & 0xFFFF);
}

static void pb_bytes(struct pb *p, const void *d, size_t n)
{
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void pb_cstr(struct pb *p, const char *s)
{
    pb_bytes(p, s, strlen(s) + 1);
}

static void pb_header(struct pb *p, uint32_t id, uint32_t status, uint32_t seq)
{
    p->n = 0;
    pb_u32(p, 0); /* patched by pb_done */
    pb_u32(p, id);
    pb_u32(p, status);
    pb_u32(p, seq);
}

static void pb_done(struct pb *p)
{
    uint32_t n = (uint32_t)p->n;
    p->b[0] = (uint8_t)(n >> 24);
    p->b[1] = (uint8_t)(n >> 16);
    p->b[2] = (uint8_t)(n >> 8);
    p->b[3] = (uint8_t)n;
}

/* Options for the deliver_sm builder, so each malformed case changes one thing. */
struct sm_spec {
    const char *service_type, *src, *dst, *sched, *validity;
    unsigned src_ton, src_npi, esm_class, data_coding;
    const uint8_t *msg;
    unsigned sm_length; /* as written on the wire */
    size_t msg_bytes;   /* bytes actually present */
};

static void sm_defaults(struct sm_spec *s)
{
    static const uint8_t hello[] = "1";
    memset(s, 0, sizeof *s);
    s->service_type = "USSD";
    s->src = "256700000001";
    s->dst = "384";
    s->sched = "";
    s->validity = "";
    s->src_ton = 1;
    s->src_npi = 1;
    s->msg = hello;
    s->sm_length = 1;
    s->msg_bytes = 1;
}

static void pb_sm(struct pb *p, uint32_t id, uint32_t seq, const struct sm_spec *s)
{
    pb_header(p, id, 0, seq);
    pb_cstr(p, s->service_type);
    pb_u8(p, s->src_ton);
    pb_u8(p, s->src_npi);
    pb_cstr(p, s->src);
    pb_u8(p, 0);
    pb_u8(p, 1);
    pb_cstr(p, s->dst);
    pb_u8(p, s->esm_class);
    pb_u8(p, 0); /* protocol_id */
    pb_u8(p, 0); /* priority_flag */
    pb_cstr(p, s->sched);
    pb_cstr(p, s->validity);
    pb_u8(p, 0); /* registered_delivery */
    pb_u8(p, 0); /* replace_if_present */
    pb_u8(p, s->data_coding);
    pb_u8(p, 0); /* sm_default_msg_id */
    pb_u8(p, s->sm_length);
    pb_bytes(p, s->msg, s->msg_bytes);
}

static void pb_tlv(struct pb *p, unsigned tag, const void *v, unsigned len)
{
    pb_u16(p, tag);
    pb_u16(p, len);
    pb_bytes(p, v, len);
}

/* Decodes p as an sm and returns the status (0 when it decoded). */
static uint32_t sm_status(struct pb *p)
{
    struct smpp_sm sm;
    uint32_t st = 0xDEAD;
    pb_done(p);
    int rc = smpp_decode_sm(p->b, p->n, &sm, &st);
    if (rc == 0)
        return 0;
    return rc == -RAIA_EPROTO ? st : 0xBAD;
}

static struct smpp_sm ussd_mt(void)
{
    struct smpp_sm sm;
    memset(&sm, 0, sizeof sm);
    strcpy(sm.service_type, "USSD");
    sm.source_addr_ton = 0;
    sm.source_addr_npi = 1;
    strcpy(sm.source_addr, "384");
    sm.dest_addr_ton = 1;
    sm.dest_addr_npi = 1;
    strcpy(sm.destination_addr, "256700000001");
    sm.data_coding = SMPP_DC_DEFAULT;
    static const uint8_t text[] = {'1', ' ', 0x00, ' ', 'Y', 'e', 's'}; /* 0x00 is GSM '@' */
    memcpy(sm.short_message, text, sizeof text);
    sm.sm_length = sizeof text;
    sm.ussd_service_op = SMPP_USSD_USSR_REQ;
    sm.its_session_info = 0x0A10;
    return sm;
}

/* ---- tests ---- */

static void test_header(void)
{
    struct smpp_header h;
    uint8_t b[16] = {0, 0, 0, 16, 0x80, 0, 0, 0x15, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF};
    test_cond("header parses", smpp_header_parse(b, 16, &h) == 0);
    test_cond("header length", h.command_length == 16);
    test_cond("header id", h.command_id == SMPP_ENQUIRE_LINK_RESP);
    test_cond("header seq", h.sequence_number == 0x7FFFFFFF);
    test_cond("header short buffer", smpp_header_parse(b, 15, &h) == -RAIA_EPROTO);
    b[3] = 15; /* X1 */
    test_cond("X1 command_length < 16", smpp_header_parse(b, 16, &h) == -RAIA_EPROTO);
    b[2] = 0x10;
    b[3] = 0x01; /* 4097: X2 */
    test_cond("X2 command_length > max", smpp_header_parse(b, 16, &h) == -RAIA_EPROTO);
    b[0] = 0xFF;
    test_cond("X2 command_length huge", smpp_header_parse(b, 16, &h) == -RAIA_EPROTO);
    b[0] = 0;
    b[2] = 0x10;
    b[3] = 0x00;
    test_cond("command_length == max ok", smpp_header_parse(b, 16, &h) == 0);

    test_cond("X3 unknown id", !smpp_cmd_known(0x00000099));
    test_cond("X3 query_sm not ours", !smpp_cmd_known(0x00000003));
    test_cond("known deliver_sm", smpp_cmd_known(SMPP_DELIVER_SM));
    test_cond("known generic_nack", smpp_cmd_known(SMPP_GENERIC_NACK));
    test_cond("name", strcmp(smpp_cmd_name(SMPP_SUBMIT_SM_RESP), "submit_sm_resp") == 0);
    test_cond("name unknown", strcmp(smpp_cmd_name(0x12345), "unknown") == 0);

    test_cond("seq 1 -> 2", smpp_seq_next(1) == 2);
    test_cond("seq 0 -> 1", smpp_seq_next(0) == 1);
    test_cond("seq wraps to 1", smpp_seq_next(0x7FFFFFFF) == 1);
}

static void test_header_only(void)
{
    uint8_t b[32];
    struct smpp_header h;
    long n = smpp_encode_header_only(SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, 0, b, sizeof b);
    static const uint8_t want[] = {0, 0, 0, 16, 0x80, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0};
    test_cond("gnack 16 bytes", n == 16);
    test_cond("gnack bytes with seq 0", memcmp(b, want, 16) == 0);
    n = smpp_encode_header_only(SMPP_ENQUIRE_LINK, 0, 0x7FFFFFFF, b, sizeof b);
    test_cond("enquire_link seq max",
              n == 16 && smpp_header_parse(b, 16, &h) == 0 && h.sequence_number == 0x7FFFFFFF);
    test_cond("header-only buffer too small",
              smpp_encode_header_only(SMPP_UNBIND, 0, 1, b, 15) == -RAIA_EFULL);
}

static void test_bind(void)
{
    struct smpp_bind b, d;
    memset(&b, 0, sizeof b);
    strcpy(b.system_id, "raia");
    strcpy(b.password, "secret");
    strcpy(b.system_type, "USSD");
    b.interface_version = 0x34;
    uint8_t buf[256];
    long n = smpp_encode_bind(SMPP_BIND_TRANSCEIVER, 0x7FFFFFFF, &b, buf, sizeof buf);
    static const uint8_t want[] = {0,   0,   0,    37,   0,    0,    0,   9,   0,   0,
                                   0,   0,   0x7F, 0xFF, 0xFF, 0xFF, 'r', 'a', 'i', 'a',
                                   0,   's', 'e',  'c',  'r',  'e',  't', 0,   'U', 'S',
                                   'S', 'D', 0,    0x34, 0,    0,    0};
    test_cond("bind length", n == 37 && n == (long)sizeof want);
    test_cond("bind bytes", memcmp(buf, want, sizeof want) == 0);
    uint32_t st = 0;
    test_cond("bind decodes", smpp_decode_bind(buf, (size_t)n, &d, &st) == 0);
    test_cond("bind system_id", strcmp(d.system_id, "raia") == 0);
    test_cond("bind password", strcmp(d.password, "secret") == 0);
    test_cond("bind system_type", strcmp(d.system_type, "USSD") == 0);
    test_cond("bind version", d.interface_version == 0x34);
    test_cond("bind buffer too small",
              smpp_encode_bind(SMPP_BIND_TRANSCEIVER, 1, &b, buf, 20) == -RAIA_EFULL);
    test_cond("bind wrong id",
              smpp_encode_bind(SMPP_SUBMIT_SM, 1, &b, buf, sizeof buf) == -RAIA_EINVAL);
    memset(b.password, 'x', sizeof b.password); /* no NUL: does not fit */
    test_cond("bind password too long",
              smpp_encode_bind(SMPP_BIND_TRANSCEIVER, 1, &b, buf, sizeof buf) == -RAIA_EINVAL);

    struct pb p;
    pb_header(&p, SMPP_BIND_TRANSMITTER, 0, 2);
    pb_cstr(&p, "system_id_is_too_long");
    pb_done(&p);
    st = 0;
    test_cond("bind long system_id",
              smpp_decode_bind(p.b, p.n, &d, &st) == -RAIA_EPROTO && st == SMPP_ESME_RINVSYSID);
    pb_header(&p, SMPP_BIND_TRANSMITTER, 0, 2);
    pb_cstr(&p, "raia");
    pb_cstr(&p, "password10");
    pb_done(&p);
    test_cond("bind long password",
              smpp_decode_bind(p.b, p.n, &d, &st) == -RAIA_EPROTO && st == SMPP_ESME_RINVPASWD);
    pb_header(&p, SMPP_BIND_TRANSMITTER, 0, 2);
    pb_cstr(&p, "raia");
    pb_cstr(&p, "pw");
    pb_cstr(&p, "");
    pb_u8(&p, 0x50); /* interface_version libsmpp34 refuses */
    pb_u8(&p, 0);
    pb_u8(&p, 0);
    pb_cstr(&p, "");
    pb_done(&p);
    test_cond("bind version 0x50 refused",
              smpp_decode_bind(p.b, p.n, &d, &st) == -RAIA_EPROTO && st == SMPP_ESME_RBINDFAIL);
}

static void test_bind_resp(void)
{
    uint8_t buf[64];
    char sid[16];
    long n = smpp_encode_bind_resp(SMPP_BIND_TRANSCEIVER_RESP, 0, 1, "smsc", buf, sizeof buf);
    test_cond("bind_resp length", n == 21);
    test_cond("bind_resp decodes", smpp_decode_bind_resp(buf, (size_t)n, sid) == 0);
    test_cond("bind_resp system_id", strcmp(sid, "smsc") == 0);
    n = smpp_encode_bind_resp(SMPP_BIND_TRANSCEIVER_RESP, SMPP_ESME_RINVPASWD, 1, "smsc", buf,
                              sizeof buf);
    test_cond("bind_resp error has no body", n == 16);
    test_cond("bind_resp 16-byte error", smpp_decode_bind_resp(buf, 16, sid) == 0 && !sid[0]);

    struct pb p;
    pb_header(&p, SMPP_BIND_TRANSCEIVER_RESP, SMPP_ESME_RINVSYSTYP, 3);
    pb_u8(&p, 0);
    pb_done(&p);
    test_cond("bind_resp 17-byte error", smpp_decode_bind_resp(p.b, p.n, sid) == 0 && !sid[0]);
    pb_header(&p, SMPP_BIND_TRANSCEIVER_RESP, 0, 3);
    pb_cstr(&p, "smsc");
    pb_tlv(&p, 0x0210, "\x34", 1); /* sc_interface_version */
    pb_done(&p);
    test_cond("bind_resp with sc_interface_version",
              smpp_decode_bind_resp(p.b, p.n, sid) == 0 && strcmp(sid, "smsc") == 0);
    pb_header(&p, SMPP_BIND_TRANSCEIVER_RESP, 0, 3);
    pb_done(&p);
    test_cond("bind_resp ok without system_id", smpp_decode_bind_resp(p.b, p.n, sid) < 0);
    test_cond("bind_resp wrong id",
              smpp_encode_bind_resp(SMPP_SUBMIT_SM_RESP, 0, 1, "x", buf, sizeof buf) < 0);
}

static void test_sm_round_trip(void)
{
    uint32_t ids[2] = {SMPP_SUBMIT_SM, SMPP_DELIVER_SM};
    for (int i = 0; i < 2; i++) {
        struct smpp_sm sm = ussd_mt(), d;
        uint8_t buf[512];
        uint32_t st = 0;
        long n = smpp_encode_sm(ids[i], 0x7FFFFFFF, &sm, buf, sizeof buf);
        /* 16 header + 5+2+4+2+13+3+1+1+4+1+7 body + 5+6 TLVs */
        test_cond("sm length", n == 16 + 43 + 11);
        test_cond("sm decodes", smpp_decode_sm(buf, (size_t)n, &d, &st) == 0);
        test_cond("sm service_type", strcmp(d.service_type, "USSD") == 0);
        test_cond("sm source", strcmp(d.source_addr, "384") == 0 && d.source_addr_npi == 1);
        test_cond("sm dest",
                  strcmp(d.destination_addr, "256700000001") == 0 && d.dest_addr_ton == 1);
        test_cond("sm '@' survives",
                  d.sm_length == 7 && memcmp(d.short_message, sm.short_message, 7) == 0);
        test_cond("sm ussd_service_op", d.ussd_service_op == SMPP_USSD_USSR_REQ);
        test_cond("sm its_session_info", d.its_session_info == 0x0A10);
        /* TLV wire order and bytes: ussd_service_op then its_session_info */
        static const uint8_t tlvs[] = {0x05, 0x01, 0, 1, 2, 0x13, 0x83, 0, 2, 0x0A, 0x10};
        test_cond("sm TLV bytes", memcmp(buf + n - 11, tlvs, 11) == 0);
        test_cond("sm seq on the wire", buf[12] == 0x7F && buf[15] == 0xFF);

        sm.ussd_service_op = -1;
        sm.its_session_info = -1;
        n = smpp_encode_sm(ids[i], 1, &sm, buf, sizeof buf);
        test_cond("sm without TLVs", n == 16 + 43);
        test_cond("sm without TLVs decodes", smpp_decode_sm(buf, (size_t)n, &d, &st) == 0 &&
                                                 d.ussd_service_op == -1 &&
                                                 d.its_session_info == -1);
    }
    struct smpp_sm sm = ussd_mt();
    uint8_t buf[512];
    memset(sm.short_message, 'a', 254);
    sm.sm_length = 253;
    long n = smpp_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, sizeof buf);
    struct smpp_sm d;
    uint32_t st;
    test_cond("sm 253 octets",
              n > 0 && smpp_decode_sm(buf, (size_t)n, &d, &st) == 0 && d.sm_length == 253);
    sm.sm_length = 254; /* libsmpp34 packs at most 253 */
    test_cond("sm 254 octets refused",
              smpp_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, sizeof buf) == -RAIA_EINVAL);
    struct pb p;
    struct sm_spec s;
    sm_defaults(&s);
    s.msg = sm.short_message;
    s.sm_length = s.msg_bytes = 254;
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_done(&p);
    test_cond("sm 254 octets decode", smpp_decode_sm(p.b, p.n, &d, &st) == 0 && d.sm_length == 254);
    sm = ussd_mt();
    memset(sm.destination_addr, '1', sizeof sm.destination_addr);
    test_cond("sm dest too long",
              smpp_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, sizeof buf) == -RAIA_EINVAL);
    sm = ussd_mt();
    test_cond("sm buffer too small",
              smpp_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, 40) == -RAIA_EFULL);
    test_cond("sm wrong id", smpp_encode_sm(SMPP_UNBIND, 1, &sm, buf, sizeof buf) == -RAIA_EINVAL);
    sm.dest_addr_ton = 7;
    test_cond("sm TON 7 refused by pack",
              smpp_encode_sm(SMPP_SUBMIT_SM, 1, &sm, buf, sizeof buf) == -RAIA_EINVAL);
}

static void test_sm_resp(void)
{
    uint8_t buf[128];
    char id[65];
    long n = smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, 0, 42, "abc-123", buf, sizeof buf);
    test_cond("submit_sm_resp length", n == 24);
    test_cond("submit_sm_resp decodes",
              smpp_decode_sm_resp(buf, (size_t)n, id) == 0 && strcmp(id, "abc-123") == 0);
    char long_id[66];
    memset(long_id, '9', 64);
    long_id[64] = 0;
    n = smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, 0, 42, long_id, buf, sizeof buf);
    test_cond("submit_sm_resp 64-char id",
              n == 16 + 65 && smpp_decode_sm_resp(buf, (size_t)n, id) == 0 && strlen(id) == 64);
    long_id[64] = '9';
    long_id[65] = 0;
    test_cond("submit_sm_resp 65-char id refused",
              smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, 0, 1, long_id, buf, sizeof buf) ==
                  -RAIA_EINVAL);
    n = smpp_encode_sm_resp(SMPP_DELIVER_SM_RESP, 0, 0, NULL, buf, sizeof buf);
    test_cond("deliver_sm_resp 17 bytes, seq 0", n == 17 && buf[16] == 0 && buf[15] == 0);
    test_cond("deliver_sm_resp decodes", smpp_decode_sm_resp(buf, 17, id) == 0 && !id[0]);
    test_cond("deliver_sm_resp with id refused",
              smpp_encode_sm_resp(SMPP_DELIVER_SM_RESP, 0, 1, "x", buf, sizeof buf) ==
                  -RAIA_EINVAL);
    n = smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, 0x58, 7, "ignored", buf, sizeof buf);
    test_cond("error resp is 16 bytes", n == 16);
    test_cond("16-byte error resp", smpp_decode_sm_resp(buf, 16, id) == 0 && !id[0]);
    n = smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, 0x400, 7, NULL, buf, sizeof buf);
    test_cond("vendor status encodes", n == 16 && buf[10] == 0x04);
    test_cond("vendor status decodes", smpp_decode_sm_resp(buf, 16, id) == 0);

    struct pb p;
    pb_header(&p, SMPP_SUBMIT_SM_RESP, SMPP_ESME_RTHROTTLED, 9);
    pb_u8(&p, 0);
    pb_done(&p);
    test_cond("17-byte error resp", smpp_decode_sm_resp(p.b, p.n, id) == 0 && !id[0]);
    pb_header(&p, SMPP_SUBMIT_SM_RESP, 0, 9);
    pb_bytes(&p, "abc", 3); /* no NUL */
    pb_done(&p);
    test_cond("message_id without NUL", smpp_decode_sm_resp(p.b, p.n, id) == -RAIA_EPROTO);
    pb_header(&p, SMPP_SUBMIT_SM_RESP, 0, 9);
    pb_cstr(&p, "abc");
    pb_u8(&p, 7);
    pb_done(&p);
    test_cond("message_id trailing byte", smpp_decode_sm_resp(p.b, p.n, id) == -RAIA_EPROTO);
    test_cond("length mismatch", smpp_decode_sm_resp(buf, 15, id) == -RAIA_EPROTO);
    test_cond("not a resp", smpp_decode_sm_resp(p.b, 0, id) == -RAIA_EPROTO);
}

/* The malformed table of research/smpp-ussd.md §5, decoder side. */
static void test_malformed(void)
{
    struct pb p;
    struct sm_spec s;

    sm_defaults(&s);
    pb_sm(&p, SMPP_DELIVER_SM, 0, &s);
    test_cond("X4 request with seq 0 decodes", sm_status(&p) == 0);

    uint8_t op = 1;
    sm_defaults(&s);
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_u16(&p, 0x0501);
    pb_u16(&p, 1); /* value missing */
    test_cond("X5 TLV value past end", sm_status(&p) == SMPP_ESME_RINVOPTPARSTREAM);
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_tlv(&p, 0x0501, &op, 1);
    pb_u16(&p, 0x1383);
    pb_u8(&p, 0); /* TLV header cut */
    test_cond("X5 TLV header cut", sm_status(&p) == SMPP_ESME_RINVOPTPARSTREAM);
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_tlv(&p, 0x0501, "\x01\x02", 2);
    test_cond("X6 ussd_service_op length 2", sm_status(&p) == SMPP_ESME_RINVPARLEN);
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_tlv(&p, 0x1383, "\x01", 1);
    test_cond("X6 its_session_info length 1", sm_status(&p) == SMPP_ESME_RINVPARLEN);
    pb_sm(&p, SMPP_SUBMIT_SM, 5, &s);
    pb_tlv(&p, 0x0501, "", 0);
    test_cond("X6 ussd_service_op length 0", sm_status(&p) == SMPP_ESME_RINVPARLEN);

    sm_defaults(&s);
    s.src = "2567000000012345678901"; /* 22 + NUL > 21 */
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    test_cond("X7 source_addr too long", sm_status(&p) == SMPP_ESME_RINVSRCADR);
    sm_defaults(&s);
    s.dst = "1234567890123456789012";
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    test_cond("X7 destination_addr too long", sm_status(&p) == SMPP_ESME_RINVDSTADR);
    sm_defaults(&s);
    s.service_type = "USSDXX";
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    test_cond("X7 service_type too long", sm_status(&p) == SMPP_ESME_RINVSERTYP);
    pb_header(&p, SMPP_DELIVER_SM, 0, 5);
    pb_cstr(&p, "USSD");
    pb_u8(&p, 1);
    pb_u8(&p, 1);
    pb_bytes(&p, "2567", 4); /* source_addr runs into the end, no NUL */
    test_cond("X7 source_addr without NUL", sm_status(&p) == SMPP_ESME_RINVSRCADR);
    pb_header(&p, SMPP_DELIVER_SM, 0, 5);
    pb_cstr(&p, "USSD");
    pb_u8(&p, 1);
    test_cond("mandatory part cut", sm_status(&p) == SMPP_ESME_RINVCMDLEN);

    sm_defaults(&s);
    s.sm_length = 9; /* only 1 byte follows */
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    test_cond("X8 sm_length > remaining", sm_status(&p) == SMPP_ESME_RINVMSGLEN);
    static uint8_t big[255];
    memset(big, 'a', sizeof big);
    s.msg = big;
    s.sm_length = 255;
    s.msg_bytes = 255;
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    test_cond("X8 sm_length 255", sm_status(&p) == SMPP_ESME_RINVMSGLEN);

    sm_defaults(&s);
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_tlv(&p, 0x0424, "hello", 5);
    test_cond("X9 short_message and message_payload", sm_status(&p) == 0xC4);
    s.sm_length = 0;
    s.msg_bytes = 0;
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_tlv(&p, 0x0424, "hello", 5);
    struct smpp_sm d;
    uint32_t st;
    pb_done(&p);
    test_cond("message_payload alone becomes the text",
              smpp_decode_sm(p.b, p.n, &d, &st) == 0 && d.sm_length == 5 &&
                  memcmp(d.short_message, "hello", 5) == 0);

    static const uint8_t udh_bad[] = {5, 0, 3, 1, 2}; /* UDHL 5 + 1 > 5 */
    static const uint8_t udh_ok[] = {5, 0, 3, 1, 2, 1, 'h', 'i'};
    sm_defaults(&s);
    s.esm_class = 0x40;
    s.msg = udh_bad;
    s.sm_length = s.msg_bytes = sizeof udh_bad;
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    test_cond("X10 UDHL beyond sm_length", sm_status(&p) == SMPP_ESME_RINVESMCLASS);
    s.msg = udh_ok;
    s.sm_length = s.msg_bytes = sizeof udh_ok;
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    test_cond("UDHI with a whole UDH decodes", sm_status(&p) == 0);
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_tlv(&p, 0x020E, "\x02", 1); /* sar_total_segments */
    test_cond("X11 SAR with UDHI", sm_status(&p) == 0xC4);

    sm_defaults(&s);
    s.data_coding = 0x0C; /* reserved */
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    test_cond("X12 reserved data_coding passes to the charset layer", sm_status(&p) == 0);
    static const uint8_t ucs2_odd[] = {0, 'a', 0};
    sm_defaults(&s);
    s.data_coding = SMPP_DC_UCS2;
    s.msg = ucs2_odd;
    s.sm_length = s.msg_bytes = 3;
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    test_cond("X13 odd UCS2", sm_status(&p) == SMPP_ESME_RINVMSGLEN);
    static const uint8_t gsm_bad[] = {0x80, 0xFF, 0x1B};
    sm_defaults(&s);
    s.msg = gsm_bad;
    s.sm_length = s.msg_bytes = 3;
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_done(&p);
    test_cond("X14 bad GSM7 bytes kept as they are", smpp_decode_sm(p.b, p.n, &d, &st) == 0 &&
                                                         d.sm_length == 3 &&
                                                         memcmp(d.short_message, gsm_bad, 3) == 0);

    sm_defaults(&s);
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_tlv(&p, 0x0501, &op, 1);
    pb_u8(&p, 0);
    pb_u8(&p, 0); /* 2 stray bytes */
    test_cond("X15 trailing bytes after the last TLV", sm_status(&p) == SMPP_ESME_RINVOPTPARSTREAM);

    sm_defaults(&s);
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_done(&p);
    test_cond("command_length != buffer length",
              smpp_decode_sm(p.b, p.n - 1, &d, &st) == -RAIA_EPROTO);
    pb_header(&p, SMPP_ENQUIRE_LINK, 0, 1);
    test_cond("enquire_link is not an sm", sm_status(&p) == SMPP_ESME_RSYSERR);
}

/* What libsmpp34 refuses and raia still takes from an SMSC (research X16, X17). */
static void test_sloppy_smsc(void)
{
    struct pb p;
    struct sm_spec s;
    struct smpp_sm d;
    uint32_t st = 0;
    uint8_t op = 18;
    uint8_t its[2] = {0x0A, 0x11};

    sm_defaults(&s);
    s.validity = "000001000000000R"; /* X16 */
    s.src_ton = 7;                   /* X17 */
    s.src_npi = 5;
    pb_sm(&p, SMPP_DELIVER_SM, 5, &s);
    pb_tlv(&p, 0x0501, &op, 1);
    pb_tlv(&p, 0x1383, its, 2);
    pb_tlv(&p, 0x1401, "vendor", 6); /* unknown TLV: skipped */
    pb_tlv(&p, 0x020C, "\x01", 1);   /* sar_msg_ref_num with a wrong length */
    pb_done(&p);
    test_cond("sloppy deliver_sm accepted", smpp_decode_sm(p.b, p.n, &d, &st) == 0);
    test_cond("sloppy deliver_sm fields", d.source_addr_ton == 7 && d.source_addr_npi == 5 &&
                                              strcmp(d.source_addr, "256700000001") == 0 &&
                                              d.sm_length == 1 && d.short_message[0] == '1');
    test_cond("sloppy deliver_sm TLVs", d.ussd_service_op == 18 && d.its_session_info == 0x0A11);

    sm_defaults(&s);
    s.src_ton = 7;
    pb_sm(&p, SMPP_SUBMIT_SM, 5, &s);
    test_cond("submit_sm source TON 7", sm_status(&p) == SMPP_ESME_RINVSRCADR);
    sm_defaults(&s);
    pb_header(&p, SMPP_SUBMIT_SM, 0, 5);
    pb_cstr(&p, "");
    pb_u8(&p, 1);
    pb_u8(&p, 1);
    pb_cstr(&p, "384");
    pb_u8(&p, 1);
    pb_u8(&p, 2); /* NPI 2 is not in libsmpp34's list */
    pb_cstr(&p, "256700000001");
    for (int i = 0; i < 3; i++)
        pb_u8(&p, 0);
    pb_cstr(&p, "");
    pb_cstr(&p, "");
    for (int i = 0; i < 4; i++)
        pb_u8(&p, 0);
    pb_u8(&p, 0); /* sm_length */
    test_cond("submit_sm dest NPI 2", sm_status(&p) == SMPP_ESME_RINVDSTADR);
}

/* Optional parameters raia reads may come once; concatenation numbers 1..total. */
static void test_duplicates_and_parts(void)
{
    struct pb p;
    struct sm_spec s;
    static const uint8_t op18[] = {18}, its[] = {0x0A, 0x00}, its_end[] = {0x0A, 0x01};
    sm_defaults(&s);
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    pb_tlv(&p, 0x0501, op18, 1);
    pb_tlv(&p, 0x1383, its, 2);
    test_cond("one of each USSD TLV decodes", sm_status(&p) == 0);
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    pb_tlv(&p, 0x0501, op18, 1);
    pb_tlv(&p, 0x0501, op18, 1);
    test_cond("ussd_service_op twice: RINVOPTPARSTREAM",
              sm_status(&p) == SMPP_ESME_RINVOPTPARSTREAM);
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    pb_tlv(&p, 0x1383, its, 2);
    pb_tlv(&p, 0x1383, its_end, 2);
    test_cond("its_session_info twice: RINVOPTPARSTREAM",
              sm_status(&p) == SMPP_ESME_RINVOPTPARSTREAM);
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    pb_tlv(&p, 0x1400, op18, 1);
    pb_tlv(&p, 0x1400, op18, 1);
    test_cond("an unknown tag may repeat", sm_status(&p) == 0);

    /* UDH 05 00 03 ref total seq */
    uint8_t udh[8] = {5, 0, 3, 7, 2, 1, 'h', 'i'};
    s.esm_class = 0x40;
    s.msg = udh;
    s.sm_length = s.msg_bytes = sizeof udh;
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    test_cond("concatenated part 1 of 2 decodes", sm_status(&p) == 0);
    udh[5] = 0;
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    test_cond("part 0: RINVESMCLASS", sm_status(&p) == SMPP_ESME_RINVESMCLASS);
    udh[5] = 3;
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    test_cond("part 3 of 2: RINVESMCLASS", sm_status(&p) == SMPP_ESME_RINVESMCLASS);
    udh[4] = 0;
    udh[5] = 0;
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    test_cond("total 0: RINVESMCLASS", sm_status(&p) == SMPP_ESME_RINVESMCLASS);
    udh[0] = 0x20;
    udh[4] = 2;
    udh[5] = 1;
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    test_cond("UDHL past the message: RINVESMCLASS", sm_status(&p) == SMPP_ESME_RINVESMCLASS);

    /* sar_msg_ref_num, sar_total_segments, sar_segment_seqnum */
    static const uint8_t ref[] = {0, 9}, two[] = {2}, one[] = {1}, zero[] = {0}, three[] = {3};
    sm_defaults(&s);
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    pb_tlv(&p, 0x020C, ref, 2);
    pb_tlv(&p, 0x020E, two, 1);
    pb_tlv(&p, 0x020F, one, 1);
    test_cond("SAR part 1 of 2 decodes", sm_status(&p) == 0);
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    pb_tlv(&p, 0x020C, ref, 2);
    pb_tlv(&p, 0x020E, two, 1);
    pb_tlv(&p, 0x020F, zero, 1);
    test_cond("SAR part 0: RINVOPTPARAMVAL", sm_status(&p) == SMPP_ESME_RINVOPTPARAMVAL);
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    pb_tlv(&p, 0x020C, ref, 2);
    pb_tlv(&p, 0x020E, two, 1);
    pb_tlv(&p, 0x020F, three, 1);
    test_cond("SAR part 3 of 2: RINVOPTPARAMVAL", sm_status(&p) == SMPP_ESME_RINVOPTPARAMVAL);
    pb_sm(&p, SMPP_DELIVER_SM, 1, &s);
    pb_tlv(&p, 0x020E, two, 1);
    pb_tlv(&p, 0x020E, two, 1);
    test_cond("sar_total_segments twice: RINVOPTPARSTREAM",
              sm_status(&p) == SMPP_ESME_RINVOPTPARSTREAM);
}

int main(void)
{
    test_header();
    test_header_only();
    test_bind();
    test_bind_resp();
    test_sm_round_trip();
    test_sm_resp();
    test_malformed();
    test_sloppy_smsc();
    test_duplicates_and_parts();
    TEST_REPORT();
}
