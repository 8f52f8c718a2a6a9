/*
 * smpp_fast.c - the hot-path SMPP codec: deliver_sm, submit_sm and the
 * decoding of their responses, by hand.
 *
 * Owns nothing but the code: the wire format is owned by smpp_pdu.c, whose
 * behaviour this file reproduces exactly (accepted inputs, the ESME status of
 * every reject, decoded fields, encoded bytes), except one libsmpp34 limit
 * where it follows SMPP 3.4 instead (254 message octets, quirk Q1 in
 * docs/smpp.md). smpp_pdu.c runs libsmpp34, which formats a trace of every
 * field with vsnprintf on every call: about 10 µs and 97,000 instructions a
 * pack + unpack (docs/performance.md). Here a PDU costs one bounded pass
 * over its bytes, no allocation, no formatting.
 *
 * Called from the per-turn path (gateway/smpp_conn.c for MO deliver_sm, MT
 * submit_sm and submit_sm_resp; simulators/raia_load.c for the other side)
 * once they are switched over, and by tests/fuzz/fuzz_smpp_diff.c, which
 * holds it to smpp_pdu.c on every input. Pure functions, no logging.
 *
 * Where smpp_pdu.c defers to libsmpp34, this file spells out what libsmpp34
 * decides: a submit_sm whose TON or NPI is outside the SMPP 3.4 tables is
 * refused (ESME_RINVSRCADR / ESME_RINVDSTADR), and the encoder refuses such
 * a TON / NPI in either PDU. Bytes come from the network: every read is
 * checked against the end of the PDU first, and nothing asserts on them.
 */
#include "smpp_fast.h"

#include <stddef.h>
#include <string.h>

#include "byte_order.h"
#include "raia_err.h"
#include "sms_concat.h"

#define SM_MAX 254        /* largest sm_length (SMPP 3.4 §5.2.21), both ways */
#define TIME_MAX 17       /* schedule_delivery_time, validity_period, NUL included */
#define UDHI 0x40         /* esm_class: short_message starts with a UDH */
#define ST_RINVSCHED 0x61 /* not in enum smpp_status: only the decoders name them */
#define ST_RINVEXPIRY 0x62

/* Optional parameter tags (SMPP 3.4 §5.3.2) raia reads and writes. */
enum {
    TAG_RECEIPTED_MESSAGE_ID = 0x001E,
    TAG_SAR_MSG_REF_NUM = 0x020C,
    TAG_SAR_TOTAL_SEGMENTS = 0x020E,
    TAG_SAR_SEGMENT_SEQNUM = 0x020F,
    TAG_MESSAGE_PAYLOAD = 0x0424,
    TAG_MESSAGE_STATE = 0x0427,
    TAG_USSD_SERVICE_OP = 0x0501,
    TAG_ITS_SESSION_INFO = 0x1383
};

/* One bit per tag above: each may come once (a second copy is refused). */
enum {
    SEEN_USSD_OP = 1 << 0,
    SEEN_ITS_SESSION = 1 << 1,
    SEEN_PAYLOAD = 1 << 2,
    SEEN_SAR_REF = 1 << 3,
    SEEN_SAR_TOTAL = 1 << 4,
    SEEN_SAR_SEQ = 1 << 5,
    SEEN_RECEIPT_ID = 1 << 6,
    SEEN_STATE = 1 << 7,
    SEEN_SAR_ALL = SEEN_SAR_REF | SEEN_SAR_TOTAL | SEEN_SAR_SEQ
};

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint8_t *put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
    be32_put(p, v);
    return p + 4;
}

static int reject(uint32_t *esme_status, uint32_t status)
{
    if (esme_status)
        *esme_status = status;
    return -RAIA_EPROTO;
}

/*
 * The C-Octet String at p: at most max octets including its NUL, which must
 * come before end. Returns the octet after the NUL, or NULL; out (room for
 * max) gets the string when out is not NULL.
 */
static const uint8_t *take_cstr(const uint8_t *p, const uint8_t *end, size_t max, char *out)
{
    size_t avail = (size_t)(end - p);
    const uint8_t *nul = memchr(p, 0, avail < max ? avail : max);
    if (!nul)
        return NULL;
    if (out)
        memcpy(out, p, (size_t)(nul - p) + 1);
    return nul + 1;
}

/* The TON / NPI values of SMPP 3.4 §5.2.5-6, the ones libsmpp34 accepts. */
static int ton_npi_ok(uint8_t ton, uint8_t npi)
{
    return ton <= 6 && npi <= 18 && ((1u << npi) & 0x4475Bu) != 0; /* 0 1 3 4 6 8 9 10 14 18 */
}

/* A concatenated part's numbers: 1 <= seq <= total. */
static int part_ok(uint8_t total, uint8_t seq)
{
    return total > 0 && seq > 0 && seq <= total;
}

/* What the TLV pass found; the values raia keeps go straight into out. */
struct tlvs {
    unsigned seen;   /* SEEN_* of every tag read */
    unsigned sar_ok; /* SEEN_SAR_* of the sar_* tags that had the right length */
    const uint8_t *payload;
    size_t payload_len;
    uint16_t sar_ref;
    uint8_t sar_total, sar_seq;
};

/* The SEEN_* bit of tag, 0 for a tag raia does not read. */
static unsigned seen_bit(uint16_t tag)
{
    switch (tag) {
    case TAG_USSD_SERVICE_OP:
        return SEEN_USSD_OP;
    case TAG_ITS_SESSION_INFO:
        return SEEN_ITS_SESSION;
    case TAG_MESSAGE_PAYLOAD:
        return SEEN_PAYLOAD;
    case TAG_SAR_MSG_REF_NUM:
        return SEEN_SAR_REF;
    case TAG_SAR_TOTAL_SEGMENTS:
        return SEEN_SAR_TOTAL;
    case TAG_SAR_SEGMENT_SEQNUM:
        return SEEN_SAR_SEQ;
    case TAG_RECEIPTED_MESSAGE_ID:
        return SEEN_RECEIPT_ID;
    case TAG_MESSAGE_STATE:
        return SEEN_STATE;
    default:
        return 0;
    }
}

/*
 * The TLVs from p to end, with smpp_pdu.c's rules: a cut header or value
 * (and 1..3 stray octets) is ESME_RINVOPTPARSTREAM, as is a second copy of a
 * tag raia reads; the USSD TLVs need their fixed length (ESME_RINVPARLEN);
 * sar_*, message_state and receipted_message_id of the wrong length are
 * skipped like unknown tags. receipted_message_id may lack its NUL and is
 * kept only when it fits. The payload is only pointed at here.
 */
static int take_tlvs(const uint8_t *p, const uint8_t *end, struct smpp_sm *out, struct tlvs *t,
                     uint32_t *esme_status)
{
    while (p < end) {
        if (end - p < 4)
            return reject(esme_status, SMPP_ESME_RINVOPTPARSTREAM);
        uint16_t tag = get_u16(p);
        size_t vlen = get_u16(p + 2);
        const uint8_t *v = p + 4;
        if ((size_t)(end - v) < vlen)
            return reject(esme_status, SMPP_ESME_RINVOPTPARSTREAM);
        unsigned bit = seen_bit(tag);
        if (t->seen & bit)
            return reject(esme_status, SMPP_ESME_RINVOPTPARSTREAM);
        t->seen |= bit;
        switch (tag) {
        case TAG_USSD_SERVICE_OP:
            if (vlen != 1)
                return reject(esme_status, SMPP_ESME_RINVPARLEN);
            out->ussd_service_op = v[0];
            break;
        case TAG_ITS_SESSION_INFO:
            if (vlen != 2)
                return reject(esme_status, SMPP_ESME_RINVPARLEN);
            out->its_session_info = get_u16(v);
            break;
        case TAG_MESSAGE_PAYLOAD:
            t->payload = v;
            t->payload_len = vlen;
            break;
        case TAG_SAR_MSG_REF_NUM:
            if (vlen == 2) {
                t->sar_ref = get_u16(v);
                t->sar_ok |= bit;
            }
            break;
        case TAG_SAR_TOTAL_SEGMENTS:
        case TAG_SAR_SEGMENT_SEQNUM:
            if (vlen == 1) {
                *(tag == TAG_SAR_TOTAL_SEGMENTS ? &t->sar_total : &t->sar_seq) = v[0];
                t->sar_ok |= bit;
            }
            break;
        case TAG_RECEIPTED_MESSAGE_ID: {
            const uint8_t *nul = memchr(v, 0, vlen);
            size_t n = nul ? (size_t)(nul - v) : vlen;
            if (n < SMPP_MSG_ID_MAX) {
                memcpy(out->receipted_message_id, v, n);
                out->receipted_message_id[n] = 0;
            }
            break;
        }
        case TAG_MESSAGE_STATE:
            if (vlen == 1) {
                out->message_state = v[0];
                out->has_message_state = 1;
            }
            break;
        default:
            break;
        }
        p = v + vlen;
    }
    return 0;
}

/*
 * The checks that need the whole message, in smpp_pdu.c's order: payload
 * next to short_message (ESME_RINVOPTPARAMVAL) or too long
 * (ESME_RINVMSGLEN), a broken UDH or concatenation IE (ESME_RINVESMCLASS),
 * SAR with UDHI or SAR part numbers out of range (ESME_RINVOPTPARAMVAL), odd
 * UCS2 (ESME_RINVMSGLEN). A payload of up to 254 octets becomes the text.
 */
static int check_message(struct smpp_sm *out, const struct tlvs *t, uint32_t *esme_status)
{
    const uint8_t *text = out->short_message;
    size_t text_len = out->sm_length;
    if (t->seen & SEEN_PAYLOAD) {
        if (out->sm_length > 0)
            return reject(esme_status, SMPP_ESME_RINVOPTPARAMVAL);
        if (t->payload_len > SMPP_PAYLOAD_MAX)
            return reject(esme_status, SMPP_ESME_RINVMSGLEN);
        if (t->payload_len <= SM_MAX) {
            memcpy(out->short_message, t->payload, t->payload_len);
            out->sm_length = t->payload_len;
        } else {
            memcpy(out->payload, t->payload, t->payload_len);
            out->payload_len = t->payload_len;
            out->has_payload = 1;
            text = out->payload;
        }
        text_len = t->payload_len;
    }
    if (out->esm_class & UDHI) {
        struct sms_udh udh;
        if (text_len == 0 || (size_t)text[0] + 1 > text_len)
            return reject(esme_status, SMPP_ESME_RINVESMCLASS);
        if (sms_concat_udh(out->esm_class, text, text_len, &udh) == 0 && udh.has_concat &&
            !part_ok(udh.total, udh.seq))
            return reject(esme_status, SMPP_ESME_RINVESMCLASS);
        if (t->seen & SEEN_SAR_ALL)
            return reject(esme_status, SMPP_ESME_RINVOPTPARAMVAL);
    }
    if (t->sar_ok == SEEN_SAR_ALL) {
        if (!part_ok(t->sar_total, t->sar_seq))
            return reject(esme_status, SMPP_ESME_RINVOPTPARAMVAL);
        out->has_sar = 1;
        out->sar_msg_ref_num = t->sar_ref;
        out->sar_total_segments = t->sar_total;
        out->sar_segment_seqnum = t->sar_seq;
    }
    if (out->data_coding == SMPP_DC_UCS2 && text_len % 2 != 0)
        return reject(esme_status, SMPP_ESME_RINVMSGLEN);
    return 0;
}

/* The decoder clears struct smpp_sm around payload[], in two pieces. */
_Static_assert(offsetof(struct smpp_sm, receipted_message_id) ==
                   offsetof(struct smpp_sm, payload) + SMPP_PAYLOAD_MAX,
               "struct smpp_sm: payload[] must sit right before receipted_message_id");

/*
 * One pass: header, mandatory fields (each broken one with its own status),
 * TLVs, then the TON / NPI rule for submit_sm and the whole-message checks,
 * in the order smpp_decode_sm() applies them so both name the same status.
 * Only the bytes that carry meaning are cleared, not the 1,600-octet
 * payload[] (see smpp_fast.h).
 */
int smpp_fast_decode_sm(const uint8_t *pdu, size_t len, struct smpp_sm *out, uint32_t *esme_status)
{
    struct smpp_header h;
    struct tlvs t;
    memset(out, 0, offsetof(struct smpp_sm, payload));
    memset(out->receipted_message_id, 0,
           sizeof *out - offsetof(struct smpp_sm, receipted_message_id));
    out->ussd_service_op = -1;
    out->its_session_info = -1;
    memset(&t, 0, sizeof t);
    if (smpp_header_parse(pdu, len, &h) < 0 || h.command_length != len ||
        (h.command_id != SMPP_SUBMIT_SM && h.command_id != SMPP_DELIVER_SM))
        return reject(esme_status, SMPP_ESME_RSYSERR);

    const uint8_t *p = pdu + SMPP_HEADER_LEN, *end = pdu + len;
    if (!(p = take_cstr(p, end, sizeof out->service_type, out->service_type)))
        return reject(esme_status, SMPP_ESME_RINVSERTYP);
    if (end - p < 2)
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);
    out->source_addr_ton = *p++;
    out->source_addr_npi = *p++;
    if (!(p = take_cstr(p, end, sizeof out->source_addr, out->source_addr)))
        return reject(esme_status, SMPP_ESME_RINVSRCADR);
    if (end - p < 2)
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);
    out->dest_addr_ton = *p++;
    out->dest_addr_npi = *p++;
    if (!(p = take_cstr(p, end, sizeof out->destination_addr, out->destination_addr)))
        return reject(esme_status, SMPP_ESME_RINVDSTADR);
    if (end - p < 3)
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);
    out->esm_class = *p++;
    out->protocol_id = *p++;
    out->priority_flag = *p++;
    if (!(p = take_cstr(p, end, TIME_MAX, NULL)))
        return reject(esme_status, ST_RINVSCHED);
    if (!(p = take_cstr(p, end, TIME_MAX, NULL)))
        return reject(esme_status, ST_RINVEXPIRY);
    if (end - p < 5) /* registered_delivery .. sm_length */
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);
    out->registered_delivery = p[0];
    out->data_coding = p[2];
    size_t sm_len = p[4];
    p += 5;
    if (sm_len > SM_MAX || (size_t)(end - p) < sm_len)
        return reject(esme_status, SMPP_ESME_RINVMSGLEN);
    memcpy(out->short_message, p, sm_len);
    out->sm_length = sm_len;
    p += sm_len;

    if (take_tlvs(p, end, out, &t, esme_status) < 0)
        return -RAIA_EPROTO;
    if (h.command_id == SMPP_SUBMIT_SM) {
        if (!ton_npi_ok(out->source_addr_ton, out->source_addr_npi))
            return reject(esme_status, SMPP_ESME_RINVSRCADR);
        if (!ton_npi_ok(out->dest_addr_ton, out->dest_addr_npi))
            return reject(esme_status, SMPP_ESME_RINVDSTADR);
    }
    return check_message(out, &t, esme_status);
}

/* The largest PDU the encoder writes stays within SMPP_PDU_MAX, where the
 * reference would answer -RAIA_EFULL whatever the buffer: header, mandatory
 * part with 254 message octets, all TLVs with the longest payload. */
_Static_assert(SMPP_HEADER_LEN + 6 + 2 + 21 + 2 + 21 + 3 + 2 + 5 + SM_MAX + 5 + 6 + 16 + 4 +
                       SMPP_PAYLOAD_MAX + 4 + SMPP_MSG_ID_MAX + 5 <=
                   SMPP_PDU_MAX,
               "smpp_fast_encode_sm() would need an SMPP_PDU_MAX check");

/* strlen(s) + 1 when s has its NUL within cap octets, else 0. */
static size_t cstr_size(const char *s, size_t cap)
{
    const char *nul = memchr(s, 0, cap);
    return nul ? (size_t)(nul - s) + 1 : 0;
}

static uint8_t *put_bytes(uint8_t *p, const void *v, size_t n)
{
    memcpy(p, v, n);
    return p + n;
}

static uint8_t *put_tlv(uint8_t *p, uint16_t tag, const void *v, size_t vlen)
{
    p = put_u16(p, tag);
    p = put_u16(p, (uint16_t)vlen);
    return put_bytes(p, v, vlen);
}

/*
 * Checks everything first (so -RAIA_EINVAL wins over -RAIA_EFULL, as in
 * smpp_encode_sm), sizes the PDU, then writes it front to back. The limits
 * are smpp_encode_sm()'s but one: up to 254 message octets, as SMPP 3.4
 * §5.2.21 allows, where libsmpp34 packs at most 253 (SMPP_SM_SEND_MAX; the
 * one difference fuzz_smpp_diff.c tolerates). No payload next to
 * short_message, no SAR with UDHI, TON / NPI from the SMPP 3.4 tables
 * (libsmpp34's pack refuses the others too). TLV order: ussd_service_op,
 * its_session_info, sar_*, message_payload, receipted_message_id,
 * message_state.
 */
long smpp_fast_encode_sm(uint32_t command_id, uint32_t seq, const struct smpp_sm *sm, uint8_t *buf,
                         size_t size)
{
    size_t st_n = cstr_size(sm->service_type, sizeof sm->service_type);
    size_t src_n = cstr_size(sm->source_addr, sizeof sm->source_addr);
    size_t dst_n = cstr_size(sm->destination_addr, sizeof sm->destination_addr);
    size_t rid_n = cstr_size(sm->receipted_message_id, sizeof sm->receipted_message_id);
    if (!st_n || !src_n || !dst_n || !rid_n || sm->sm_length > SM_MAX ||
        sm->ussd_service_op > 255 || sm->its_session_info > 65535)
        return -RAIA_EINVAL;
    if (sm->has_payload && (sm->sm_length > 0 || sm->payload_len > SMPP_PAYLOAD_MAX))
        return -RAIA_EINVAL;
    if (sm->has_sar && (sm->esm_class & UDHI))
        return -RAIA_EINVAL;
    if (command_id != SMPP_SUBMIT_SM && command_id != SMPP_DELIVER_SM)
        return -RAIA_EINVAL;
    if (!ton_npi_ok(sm->source_addr_ton, sm->source_addr_npi) ||
        !ton_npi_ok(sm->dest_addr_ton, sm->dest_addr_npi))
        return -RAIA_EINVAL;

    size_t total = SMPP_HEADER_LEN + st_n + 2 + src_n + 2 + dst_n + 3 + 2 + 5 + sm->sm_length;
    total += (sm->ussd_service_op >= 0 ? 5 : 0) + (sm->its_session_info >= 0 ? 6 : 0);
    total += (sm->has_sar ? 6 + 5 + 5 : 0) + (sm->has_payload ? 4 + sm->payload_len : 0);
    total += (rid_n > 1 ? 4 + rid_n : 0) + (sm->has_message_state ? 5 : 0);
    if (total > size)
        return -RAIA_EFULL;

    uint8_t *p = put_u32(buf, (uint32_t)total);
    p = put_u32(p, command_id);
    p = put_u32(p, 0);
    p = put_u32(p, seq);
    p = put_bytes(p, sm->service_type, st_n);
    *p++ = sm->source_addr_ton;
    *p++ = sm->source_addr_npi;
    p = put_bytes(p, sm->source_addr, src_n);
    *p++ = sm->dest_addr_ton;
    *p++ = sm->dest_addr_npi;
    p = put_bytes(p, sm->destination_addr, dst_n);
    *p++ = sm->esm_class;
    *p++ = sm->protocol_id;
    *p++ = sm->priority_flag;
    *p++ = 0; /* schedule_delivery_time "" */
    *p++ = 0; /* validity_period "" */
    *p++ = sm->registered_delivery;
    *p++ = 0; /* replace_if_present_flag */
    *p++ = sm->data_coding;
    *p++ = 0; /* sm_default_msg_id */
    *p++ = (uint8_t)sm->sm_length;
    p = put_bytes(p, sm->short_message, sm->sm_length);
    if (sm->ussd_service_op >= 0) {
        uint8_t op = (uint8_t)sm->ussd_service_op;
        p = put_tlv(p, TAG_USSD_SERVICE_OP, &op, 1);
    }
    if (sm->its_session_info >= 0) {
        uint8_t its[2];
        put_u16(its, (uint16_t)sm->its_session_info);
        p = put_tlv(p, TAG_ITS_SESSION_INFO, its, 2);
    }
    if (sm->has_sar) {
        uint8_t ref[2];
        put_u16(ref, sm->sar_msg_ref_num);
        p = put_tlv(p, TAG_SAR_MSG_REF_NUM, ref, 2);
        p = put_tlv(p, TAG_SAR_TOTAL_SEGMENTS, &sm->sar_total_segments, 1);
        p = put_tlv(p, TAG_SAR_SEGMENT_SEQNUM, &sm->sar_segment_seqnum, 1);
    }
    if (sm->has_payload)
        p = put_tlv(p, TAG_MESSAGE_PAYLOAD, sm->payload, sm->payload_len);
    if (rid_n > 1)
        p = put_tlv(p, TAG_RECEIPTED_MESSAGE_ID, sm->receipted_message_id, rid_n);
    if (sm->has_message_state)
        p = put_tlv(p, TAG_MESSAGE_STATE, &sm->message_state, 1);
    return (long)(p - buf);
}

/*
 * A response is an error (any body, id "") or a status-0 one whose body is
 * nothing or exactly one message_id of at most 65 octets with its NUL.
 */
int smpp_fast_decode_sm_resp(const uint8_t *pdu, size_t len, char message_id[SMPP_MSG_ID_MAX])
{
    struct smpp_header h;
    message_id[0] = 0;
    if (smpp_header_parse(pdu, len, &h) < 0 || h.command_length != len ||
        (h.command_id != SMPP_SUBMIT_SM_RESP && h.command_id != SMPP_DELIVER_SM_RESP))
        return -RAIA_EPROTO;
    if (h.command_status != 0 || len == SMPP_HEADER_LEN)
        return 0;
    const uint8_t *end = pdu + len;
    const uint8_t *after = take_cstr(pdu + SMPP_HEADER_LEN, end, SMPP_MSG_ID_MAX, NULL);
    if (after != end)
        return -RAIA_EPROTO;
    memcpy(message_id, pdu + SMPP_HEADER_LEN, len - SMPP_HEADER_LEN);
    return 0;
}
