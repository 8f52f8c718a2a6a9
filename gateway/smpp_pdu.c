/*
 * smpp_pdu.c - SMPP 3.4 PDU encoders and decoders (the codec).
 *
 * Owns the wire format: the 16-byte header, the bind / submit_sm / deliver_sm
 * bodies, the responses and the TLVs raia uses: the two USSD ones
 * (ussd_service_op, its_session_info), the long-message ones (sar_*,
 * message_payload) and the delivery-receipt ones (receipted_message_id,
 * message_state). Called by gateway/smpp_conn.c, by the simulators in
 * simulators/ and by the fuzz target; pure functions, no I/O, no logging.
 *
 * How decoding works, and why it is not a bare smpp34_unpack():
 *  1. The header is read by hand (network order). Its command_length must equal
 *     the length of the buffer we were given.
 *  2. A hand "walker" reads the body field by field with bounded scans. It is
 *     authoritative for the layout and it names the status a broken PDU is
 *     answered with (ESME_RINVMSGLEN, ESME_RINVOPTPARSTREAM, ...): libsmpp34
 *     only says -1. The walker also reads the TLVs, because libsmpp34 leaks a
 *     1040-byte node per malformed TLV, reads typed TLVs by their type instead
 *     of their length field, and refuses tags it does not know (research L5, L7).
 *  3. libsmpp34 then unpacks the mandatory part (the PDU cut before its TLVs,
 *     copied into a buffer with a NUL sentinel) and its fields are copied out.
 *     libsmpp34 is stricter than the specification's users: it refuses TON 7,
 *     some NPIs, a deliver_sm with a validity period, a bind with
 *     interface_version 0x33. For PDUs raia itself sends (submit_sm, bind: the
 *     simulators decode these) such a refusal is a reject with a named status;
 *     for PDUs SMSCs send to raia (deliver_sm, responses) the walker's values
 *     are used instead, so a sloppy SMSC's MO still reaches the citizen's flow.
 *
 * Encoders pack bind, submit_sm and deliver_sm with libsmpp34 (after checking
 * every field fits, because its pack silently truncates). Responses and
 * header-only PDUs are written by hand: libsmpp34 refuses sequence number 0
 * and statuses outside the 3.4 list, which real peers and the simulator need.
 * The TLVs after the USSD ones are appended by hand too: libsmpp34 caps a TLV
 * value at 1024 octets, less than a message_payload may hold.
 */
#include "smpp_pdu.h"

/* libsmpp34's headers need this order (research L1) */
/* clang-format off */
#include <stdint.h>
#include <smpp34.h>
#include <smpp34_structs.h>
#include <smpp34_params.h>
/* clang-format on */

#include <string.h>

#include "byte_order.h"
#include "raia_err.h"
#include "sms_concat.h"

#define SM_MAX 254 /* largest sm_length (SMPP 3.4 §5.2.21) */
#define SEQ_MAX 0x7FFFFFFFu

/* ---- byte helpers ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_header(uint8_t *p, uint32_t len, uint32_t id, uint32_t status, uint32_t seq)
{
    be32_put(p, len);
    be32_put(p + 4, id);
    be32_put(p + 8, status);
    be32_put(p + 12, seq);
}

/* A bounded cursor over one PDU body. */
struct rd {
    const uint8_t *p, *end;
};

/*
 * Reads a C-Octet String of at most max bytes including its NUL into out
 * (which has room for max bytes). Fails when no NUL comes within max bytes or
 * before the end of the body: the scan never passes either bound.
 */
static int rd_cstr(struct rd *r, size_t max, char *out)
{
    size_t avail = (size_t)(r->end - r->p);
    size_t lim = avail < max ? avail : max;
    const uint8_t *nul = memchr(r->p, 0, lim);
    if (!nul)
        return -1;
    size_t n = (size_t)(nul - r->p) + 1;
    memcpy(out, r->p, n);
    r->p += n;
    return 0;
}

static int rd_u8(struct rd *r, uint8_t *out)
{
    if (r->p >= r->end)
        return -1;
    *out = *r->p++;
    return 0;
}

static int fits(const char *s, size_t cap)
{
    return memchr(s, 0, cap) != NULL;
}

/* ---- header and command table ---- */

static const struct {
    uint32_t id;
    const char *name;
} cmd_names[] = {
    {SMPP_GENERIC_NACK, "generic_nack"},
    {SMPP_BIND_RECEIVER, "bind_receiver"},
    {SMPP_BIND_RECEIVER_RESP, "bind_receiver_resp"},
    {SMPP_BIND_TRANSMITTER, "bind_transmitter"},
    {SMPP_BIND_TRANSMITTER_RESP, "bind_transmitter_resp"},
    {SMPP_SUBMIT_SM, "submit_sm"},
    {SMPP_SUBMIT_SM_RESP, "submit_sm_resp"},
    {SMPP_DELIVER_SM, "deliver_sm"},
    {SMPP_DELIVER_SM_RESP, "deliver_sm_resp"},
    {SMPP_UNBIND, "unbind"},
    {SMPP_UNBIND_RESP, "unbind_resp"},
    {SMPP_BIND_TRANSCEIVER, "bind_transceiver"},
    {SMPP_BIND_TRANSCEIVER_RESP, "bind_transceiver_resp"},
    {SMPP_ENQUIRE_LINK, "enquire_link"},
    {SMPP_ENQUIRE_LINK_RESP, "enquire_link_resp"},
};

static const char *cmd_lookup(uint32_t command_id)
{
    for (size_t i = 0; i < sizeof cmd_names / sizeof cmd_names[0]; i++)
        if (cmd_names[i].id == command_id)
            return cmd_names[i].name;
    return NULL;
}

int smpp_cmd_known(uint32_t command_id)
{
    return cmd_lookup(command_id) != NULL;
}

const char *smpp_cmd_name(uint32_t command_id)
{
    const char *name = cmd_lookup(command_id);
    return name ? name : "unknown";
}

int smpp_header_parse(const uint8_t *buf, size_t n, struct smpp_header *h)
{
    if (n < SMPP_HEADER_LEN)
        return -RAIA_EPROTO;
    h->command_length = be32_get(buf);
    h->command_id = be32_get(buf + 4);
    h->command_status = be32_get(buf + 8);
    h->sequence_number = be32_get(buf + 12);
    if (h->command_length < SMPP_HEADER_LEN || h->command_length > SMPP_PDU_MAX)
        return -RAIA_EPROTO;
    return 0;
}

uint32_t smpp_seq_next(uint32_t seq)
{
    return seq >= SEQ_MAX ? 1 : seq + 1;
}

/* ---- encoders ---- */

/*
 * libsmpp34 needs one spare byte in its output buffer and refuses sequence
 * number 0, so every packed PDU goes through a local buffer with sequence 1
 * and gets its real sequence number written afterwards.
 */
static long pack_out(uint32_t type, void *pdu, uint32_t seq, uint8_t *buf, size_t size)
{
    uint8_t tmp[SMPP_PDU_MAX + 1];
    int len = 0;
    if (smpp34_pack(type, tmp, (int)sizeof tmp, &len, pdu) != 0 || len < SMPP_HEADER_LEN)
        return -RAIA_EINVAL;
    if ((size_t)len > size)
        return -RAIA_EFULL;
    be32_put(tmp + 12, seq);
    memcpy(buf, tmp, (size_t)len);
    return len;
}

long smpp_encode_header_only(uint32_t command_id, uint32_t status, uint32_t seq, uint8_t *buf,
                             size_t size)
{
    if (size < SMPP_HEADER_LEN)
        return -RAIA_EFULL;
    put_header(buf, SMPP_HEADER_LEN, command_id, status, seq);
    return SMPP_HEADER_LEN;
}

/* A response whose body is one C-Octet String (system_id or message_id), or
 * nothing at all when status != 0. */
static long encode_cstr_resp(uint32_t command_id, uint32_t status, uint32_t seq, const char *s,
                             size_t cap, uint8_t *buf, size_t size)
{
    if (status != 0)
        return smpp_encode_header_only(command_id, status, seq, buf, size);
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    if (n > cap)
        return -RAIA_EINVAL;
    if (size < SMPP_HEADER_LEN + n)
        return -RAIA_EFULL;
    put_header(buf, (uint32_t)(SMPP_HEADER_LEN + n), command_id, 0, seq);
    memcpy(buf + SMPP_HEADER_LEN, s, n);
    return (long)(SMPP_HEADER_LEN + n);
}

long smpp_encode_bind(uint32_t command_id, uint32_t seq, const struct smpp_bind *b, uint8_t *buf,
                      size_t size)
{
    if (command_id != SMPP_BIND_TRANSCEIVER && command_id != SMPP_BIND_TRANSMITTER &&
        command_id != SMPP_BIND_RECEIVER)
        return -RAIA_EINVAL;
    if (!fits(b->system_id, sizeof b->system_id) || !fits(b->password, sizeof b->password) ||
        !fits(b->system_type, sizeof b->system_type) ||
        !fits(b->address_range, sizeof b->address_range))
        return -RAIA_EINVAL;
    bind_transceiver_t p; /* the three bind bodies have the same layout */
    memset(&p, 0, sizeof p);
    p.command_id = command_id;
    p.sequence_number = 1;
    memcpy(p.system_id, b->system_id, sizeof b->system_id);
    memcpy(p.password, b->password, sizeof b->password);
    memcpy(p.system_type, b->system_type, sizeof b->system_type);
    p.interface_version = b->interface_version;
    p.addr_ton = b->addr_ton;
    p.addr_npi = b->addr_npi;
    memcpy(p.address_range, b->address_range, sizeof b->address_range);
    return pack_out(command_id, &p, seq, buf, size);
}

long smpp_encode_bind_resp(uint32_t command_id, uint32_t status, uint32_t seq,
                           const char *system_id, uint8_t *buf, size_t size)
{
    if (command_id != SMPP_BIND_TRANSCEIVER_RESP && command_id != SMPP_BIND_TRANSMITTER_RESP &&
        command_id != SMPP_BIND_RECEIVER_RESP)
        return -RAIA_EINVAL;
    return encode_cstr_resp(command_id, status, seq, system_id, 16, buf, size);
}

long smpp_encode_sm_resp(uint32_t command_id, uint32_t status, uint32_t seq, const char *message_id,
                         uint8_t *buf, size_t size)
{
    if (command_id == SMPP_SUBMIT_SM_RESP)
        return encode_cstr_resp(command_id, status, seq, message_id, 65, buf, size);
    if (command_id == SMPP_DELIVER_SM_RESP) /* its message_id is always empty (§4.6.2) */
        return encode_cstr_resp(command_id, status, seq, message_id, 1, buf, size);
    return -RAIA_EINVAL;
}

/* Fills the fields submit_sm_t and deliver_sm_t share (same names, same
 * order); a macro because they are two distinct struct types. */
#define SM_FILL(p, sm)                                                                             \
    do {                                                                                           \
        memcpy((p).service_type, (sm)->service_type, sizeof(sm)->service_type);                    \
        (p).source_addr_ton = (sm)->source_addr_ton;                                               \
        (p).source_addr_npi = (sm)->source_addr_npi;                                               \
        memcpy((p).source_addr, (sm)->source_addr, sizeof(sm)->source_addr);                       \
        (p).dest_addr_ton = (sm)->dest_addr_ton;                                                   \
        (p).dest_addr_npi = (sm)->dest_addr_npi;                                                   \
        memcpy((p).destination_addr, (sm)->destination_addr, sizeof(sm)->destination_addr);        \
        (p).esm_class = (sm)->esm_class;                                                           \
        (p).protocol_id = (sm)->protocol_id;                                                       \
        (p).priority_flag = (sm)->priority_flag;                                                   \
        (p).registered_delivery = (sm)->registered_delivery;                                       \
        (p).data_coding = (sm)->data_coding;                                                       \
        (p).sm_length = (uint8_t)(sm)->sm_length;                                                  \
        memcpy((p).short_message, (sm)->short_message, (sm)->sm_length);                           \
    } while (0)

/* The reverse of SM_FILL, after a successful unpack. */
#define SM_COPY_OUT(sm, p)                                                                         \
    do {                                                                                           \
        memcpy((sm)->service_type, (p).service_type, sizeof(sm)->service_type);                    \
        (sm)->source_addr_ton = (p).source_addr_ton;                                               \
        (sm)->source_addr_npi = (p).source_addr_npi;                                               \
        memcpy((sm)->source_addr, (p).source_addr, sizeof(sm)->source_addr);                       \
        (sm)->dest_addr_ton = (p).dest_addr_ton;                                                   \
        (sm)->dest_addr_npi = (p).dest_addr_npi;                                                   \
        memcpy((sm)->destination_addr, (p).destination_addr, sizeof(sm)->destination_addr);        \
        (sm)->esm_class = (p).esm_class;                                                           \
        (sm)->protocol_id = (p).protocol_id;                                                       \
        (sm)->priority_flag = (p).priority_flag;                                                   \
        (sm)->registered_delivery = (p).registered_delivery;                                       \
        (sm)->data_coding = (p).data_coding;                                                       \
        (sm)->sm_length = (p).sm_length;                                                           \
        memcpy((sm)->short_message, (p).short_message, (p).sm_length);                             \
    } while (0)

/* Prepends the USSD TLVs that are set (>= 0) to *list; destroy_tlv frees it. */
static int add_ussd_tlvs(tlv_t **list, const struct smpp_sm *sm)
{
    tlv_t t;
    if (sm->its_session_info >= 0) {
        memset(&t, 0, sizeof t);
        t.tag = TLVID_its_session_info;
        t.length = 2;
        t.value.val16 = (uint16_t)sm->its_session_info;
        if (build_tlv(list, &t) != 0)
            return -RAIA_ENOMEM;
    }
    if (sm->ussd_service_op >= 0) {
        memset(&t, 0, sizeof t);
        t.tag = TLVID_ussd_service_op;
        t.length = 1;
        t.value.octet[0] = (uint8_t)sm->ussd_service_op;
        if (build_tlv(list, &t) != 0)
            return -RAIA_ENOMEM;
    }
    return 0;
}

/* Packs sm as a libsmpp34 struct of type T (submit_sm_t or deliver_sm_t)
 * into buf, setting rc; the TLV list is freed whatever happens. */
#define PACK_SM(T, command_id, sm, seq, buf, size, rc)                                             \
    do {                                                                                           \
        T p_;                                                                                      \
        memset(&p_, 0, sizeof p_);                                                                 \
        p_.command_id = (command_id);                                                              \
        p_.sequence_number = 1;                                                                    \
        SM_FILL(p_, sm);                                                                           \
        (rc) = add_ussd_tlvs(&p_.tlv, sm);                                                         \
        if ((rc) == 0)                                                                             \
            (rc) = pack_out((command_id), &p_, (seq), (buf), (size));                              \
        destroy_tlv(p_.tlv);                                                                       \
    } while (0)

/* A bounded writer for the TLVs appended by hand. */
struct wr {
    uint8_t *p, *end;
    int full;
};

static void wr_tlv(struct wr *w, uint16_t tag, const void *v, size_t vlen)
{
    if (w->full || (size_t)(w->end - w->p) < 4 + vlen) {
        w->full = 1;
        return;
    }
    put_u16(w->p, tag);
    put_u16(w->p + 2, (uint16_t)vlen);
    if (vlen > 0)
        memcpy(w->p + 4, v, vlen);
    w->p += 4 + vlen;
}

/*
 * Appends the SAR, message_payload and delivery-receipt TLVs that are set
 * to the PDU of length len in buf and patches its command_length. Returns
 * the new length, or -RAIA_EFULL when buf (or SMPP_PDU_MAX) has no room.
 */
static long append_tlvs(const struct smpp_sm *sm, uint8_t *buf, size_t size, long len)
{
    size_t cap = size < SMPP_PDU_MAX ? size : SMPP_PDU_MAX;
    if ((size_t)len > cap)
        return -RAIA_EFULL;
    struct wr w = {buf + len, buf + cap, 0};
    if (sm->has_sar) {
        uint8_t ref[2];
        put_u16(ref, sm->sar_msg_ref_num);
        wr_tlv(&w, TLVID_sar_msg_ref_num, ref, 2);
        wr_tlv(&w, TLVID_sar_total_segments, &sm->sar_total_segments, 1);
        wr_tlv(&w, TLVID_sar_segment_seqnum, &sm->sar_segment_seqnum, 1);
    }
    if (sm->has_payload)
        wr_tlv(&w, TLVID_message_payload, sm->payload, sm->payload_len);
    if (sm->receipted_message_id[0])
        wr_tlv(&w, TLVID_receipted_message_id, sm->receipted_message_id,
               strlen(sm->receipted_message_id) + 1);
    if (sm->has_message_state)
        wr_tlv(&w, TLVID_message_state, &sm->message_state, 1);
    if (w.full)
        return -RAIA_EFULL;
    len = (long)(w.p - buf);
    be32_put(buf, (uint32_t)len);
    return len;
}

/*
 * Why the explicit checks: libsmpp34's pack truncates an over-long C-string
 * without saying so (research L7), and it packs at most 253 message octets
 * (one less than it unpacks). USSD screens (<= 182) and single SMS (<= 160)
 * are far below; longer text goes in parts (sms_concat.c) or message_payload.
 * The wire order of the TLVs is ussd_service_op, then its_session_info
 * (build_tlv prepends), then the ones append_tlvs() writes.
 * SAR with UDHI and a payload next to short_message are refused because the
 * decoder refuses them (research X9, X11).
 */
long smpp_encode_sm(uint32_t command_id, uint32_t seq, const struct smpp_sm *sm, uint8_t *buf,
                    size_t size)
{
    if (!fits(sm->service_type, sizeof sm->service_type) ||
        !fits(sm->source_addr, sizeof sm->source_addr) ||
        !fits(sm->destination_addr, sizeof sm->destination_addr) ||
        sm->sm_length > SMPP_SM_SEND_MAX || sm->ussd_service_op > 255 ||
        sm->its_session_info > 65535 ||
        !fits(sm->receipted_message_id, sizeof sm->receipted_message_id))
        return -RAIA_EINVAL;
    if (sm->has_payload && (sm->sm_length > 0 || sm->payload_len > SMPP_PAYLOAD_MAX))
        return -RAIA_EINVAL;
    if (sm->has_sar && (sm->esm_class & 0x40))
        return -RAIA_EINVAL;
    long rc = -RAIA_EINVAL;
    if (command_id == SMPP_SUBMIT_SM)
        PACK_SM(submit_sm_t, command_id, sm, seq, buf, size, rc);
    else if (command_id == SMPP_DELIVER_SM)
        PACK_SM(deliver_sm_t, command_id, sm, seq, buf, size, rc);
    if (rc < 0)
        return rc;
    return append_tlvs(sm, buf, size, rc);
}

/* ---- decoders ---- */

/* Sets *status (if the caller wants one) and returns -RAIA_EPROTO. */
static int reject(uint32_t *esme_status, uint32_t status)
{
    if (esme_status)
        *esme_status = status;
    return -RAIA_EPROTO;
}

/*
 * Checks that buf holds exactly one PDU with one of the wanted command ids
 * and reads its header.
 */
static int pdu_open(const uint8_t *pdu, size_t len, uint32_t id_a, uint32_t id_b, uint32_t id_c,
                    struct smpp_header *h)
{
    if (smpp_header_parse(pdu, len, h) < 0 || h->command_length != len)
        return -1;
    if (h->command_id != id_a && h->command_id != id_b && h->command_id != id_c)
        return -1;
    return 0;
}

/*
 * Runs smpp34_unpack over the first mand_len bytes of pdu, which the walker
 * has already checked. The copy gets a NUL sentinel (older libsmpp34 builds
 * strlen() past the end, research L8), a command_length cut before the TLVs,
 * and sequence 1 / status 0 where the header has values libsmpp34 refuses but
 * we accept (seq 0, vendor status): the header was read by hand already.
 * The caller passes the struct's TLV list to destroy_tlv whatever happens.
 */
static int unpack_prefix(uint32_t type, void *dst, const uint8_t *pdu, size_t mand_len,
                         int keep_status)
{
    uint8_t tmp[SMPP_PDU_MAX + 1];
    memcpy(tmp, pdu, mand_len);
    tmp[mand_len] = 0;
    be32_put(tmp, (uint32_t)mand_len);
    if (!keep_status)
        be32_put(tmp + 8, 0);
    be32_put(tmp + 12, 1);
    return smpp34_unpack(type, dst, tmp, (int)mand_len);
}

/* What the TLV walker found. */
struct tlv_seen {
    int ussd_service_op, its_session_info;
    const uint8_t *payload;
    size_t payload_len;
    int has_payload;
    int sar_seen;      /* any sar_* tag, whatever its length (for X11) */
    unsigned sar_mask; /* 1, 2, 4: which sar_* came with the right length */
    uint16_t sar_ref;
    uint8_t sar_total, sar_seq;
    char receipted_id[SMPP_MSG_ID_MAX];
    int has_state;
    uint8_t state;
    unsigned tags; /* TLV_SEEN_* of the tags read so far: a second one is refused */
};

/* The tags raia reads; each may come once (a second copy leaves its meaning
 * open: which ussd_service_op holds?). Unknown tags may repeat. */
enum {
    TLV_SEEN_USSD_OP = 1 << 0,
    TLV_SEEN_ITS_SESSION = 1 << 1,
    TLV_SEEN_PAYLOAD = 1 << 2,
    TLV_SEEN_SAR_REF = 1 << 3,
    TLV_SEEN_SAR_TOTAL = 1 << 4,
    TLV_SEEN_SAR_SEQ = 1 << 5,
    TLV_SEEN_RECEIPT_ID = 1 << 6,
    TLV_SEEN_STATE = 1 << 7
};

/* The TLV_SEEN_* bit of tag, 0 for a tag raia does not read. */
static unsigned tlv_seen_bit(uint16_t tag)
{
    switch (tag) {
    case TLVID_ussd_service_op:
        return TLV_SEEN_USSD_OP;
    case TLVID_its_session_info:
        return TLV_SEEN_ITS_SESSION;
    case TLVID_message_payload:
        return TLV_SEEN_PAYLOAD;
    case TLVID_sar_msg_ref_num:
        return TLV_SEEN_SAR_REF;
    case TLVID_sar_total_segments:
        return TLV_SEEN_SAR_TOTAL;
    case TLVID_sar_segment_seqnum:
        return TLV_SEEN_SAR_SEQ;
    case TLVID_receipted_message_id:
        return TLV_SEEN_RECEIPT_ID;
    case TLVID_message_state:
        return TLV_SEEN_STATE;
    default:
        return 0;
    }
}

/*
 * receipted_message_id: a C-string of at most 65 octets. Some SMSCs leave the
 * NUL out, so the value is copied up to its first NUL or its end; a value
 * that does not fit is ignored (the DLR text still carries the id).
 */
static void tlv_msg_id(const uint8_t *v, size_t vlen, char out[SMPP_MSG_ID_MAX])
{
    const uint8_t *nul = memchr(v, 0, vlen);
    size_t n = nul ? (size_t)(nul - v) : vlen;
    if (n >= SMPP_MSG_ID_MAX)
        return;
    memcpy(out, v, n);
    out[n] = 0;
}

/* One of the three sar_* TLVs; a value of the wrong length is not used. */
static void tlv_sar(struct tlv_seen *s, uint16_t tag, const uint8_t *v, size_t vlen)
{
    s->sar_seen = 1;
    if (tag == TLVID_sar_msg_ref_num && vlen == 2) {
        s->sar_ref = (uint16_t)(v[0] << 8 | v[1]);
        s->sar_mask |= 1;
    } else if (tag == TLVID_sar_total_segments && vlen == 1) {
        s->sar_total = v[0];
        s->sar_mask |= 2;
    } else if (tag == TLVID_sar_segment_seqnum && vlen == 1) {
        s->sar_seq = v[0];
        s->sar_mask |= 4;
    }
}

/*
 * Walks the TLVs from r->p to r->end: every header must be whole and every
 * value must fit (else ESME_RINVOPTPARSTREAM, which also covers 1..3 stray
 * bytes after the last TLV); the two USSD TLVs must have their fixed length
 * (else ESME_RINVPARLEN). Unknown tags are skipped, as the spec asks.
 * The SAR and delivery-receipt TLVs with a wrong length are skipped like
 * unknown tags (research L7: SMSCs get them wrong), so a sloppy SMSC's MO or
 * receipt still gets through; only whole, well-formed values are used.
 * message_payload may be longer than SMPP_PAYLOAD_MAX here: sm_check() says so.
 * A tag raia reads that comes twice is ESME_RINVOPTPARSTREAM: the PDU does
 * not say which copy holds, and taking either would guess.
 */
static int tlv_walk(struct rd *r, struct tlv_seen *s, uint32_t *esme_status)
{
    memset(s, 0, sizeof *s);
    s->ussd_service_op = -1;
    s->its_session_info = -1;
    while (r->p < r->end) {
        if (r->end - r->p < 4)
            return reject(esme_status, SMPP_ESME_RINVOPTPARSTREAM);
        uint16_t tag = (uint16_t)(r->p[0] << 8 | r->p[1]);
        size_t vlen = (size_t)(r->p[2] << 8 | r->p[3]);
        const uint8_t *v = r->p + 4;
        if ((size_t)(r->end - v) < vlen)
            return reject(esme_status, SMPP_ESME_RINVOPTPARSTREAM);
        unsigned bit = tlv_seen_bit(tag);
        if (s->tags & bit)
            return reject(esme_status, SMPP_ESME_RINVOPTPARSTREAM);
        s->tags |= bit;
        switch (tag) {
        case TLVID_ussd_service_op:
            if (vlen != 1)
                return reject(esme_status, SMPP_ESME_RINVPARLEN);
            s->ussd_service_op = v[0];
            break;
        case TLVID_its_session_info:
            if (vlen != 2)
                return reject(esme_status, SMPP_ESME_RINVPARLEN);
            s->its_session_info = v[0] << 8 | v[1];
            break;
        case TLVID_message_payload:
            s->has_payload = 1;
            s->payload = v;
            s->payload_len = vlen;
            break;
        case TLVID_sar_msg_ref_num:
        case TLVID_sar_total_segments:
        case TLVID_sar_segment_seqnum:
            tlv_sar(s, tag, v, vlen);
            break;
        case TLVID_receipted_message_id:
            tlv_msg_id(v, vlen, s->receipted_id);
            break;
        case TLVID_message_state:
            if (vlen == 1) {
                s->state = v[0];
                s->has_state = 1;
            }
            break;
        default:
            break;
        }
        r->p = v + vlen;
    }
    return 0;
}

/* The TON/NPI values libsmpp34 accepts (research L7). */
static int ton_npi_ok(uint8_t ton, uint8_t npi)
{
    static const uint8_t npis[] = {0, 1, 3, 4, 6, 8, 9, 10, 14, 18};
    if (ton > 6)
        return 0;
    return memchr(npis, npi, sizeof npis) != NULL;
}

/*
 * Reads the mandatory part of submit_sm / deliver_sm (research M1) into out,
 * leaving r at the first TLV. Each broken field gets its own status (X7, X8).
 */
static int sm_walk(struct rd *r, struct smpp_sm *out, uint32_t *esme_status)
{
    char time_field[17];
    uint8_t skip, sm_len;
    if (rd_cstr(r, sizeof out->service_type, out->service_type) < 0)
        return reject(esme_status, SMPP_ESME_RINVSERTYP);
    if (rd_u8(r, &out->source_addr_ton) < 0 || rd_u8(r, &out->source_addr_npi) < 0)
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);
    if (rd_cstr(r, sizeof out->source_addr, out->source_addr) < 0)
        return reject(esme_status, SMPP_ESME_RINVSRCADR);
    if (rd_u8(r, &out->dest_addr_ton) < 0 || rd_u8(r, &out->dest_addr_npi) < 0)
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);
    if (rd_cstr(r, sizeof out->destination_addr, out->destination_addr) < 0)
        return reject(esme_status, SMPP_ESME_RINVDSTADR);
    if (rd_u8(r, &out->esm_class) < 0 || rd_u8(r, &out->protocol_id) < 0 ||
        rd_u8(r, &out->priority_flag) < 0)
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);
    if (rd_cstr(r, sizeof time_field, time_field) < 0)
        return reject(esme_status, ESME_RINVSCHED);
    if (rd_cstr(r, sizeof time_field, time_field) < 0)
        return reject(esme_status, ESME_RINVEXPIRY);
    if (rd_u8(r, &out->registered_delivery) < 0 || rd_u8(r, &skip) < 0 ||
        rd_u8(r, &out->data_coding) < 0 || rd_u8(r, &skip) < 0 || rd_u8(r, &sm_len) < 0)
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);
    if (sm_len > SM_MAX || (size_t)(r->end - r->p) < sm_len)
        return reject(esme_status, SMPP_ESME_RINVMSGLEN);
    memcpy(out->short_message, r->p, sm_len);
    out->sm_length = sm_len;
    r->p += sm_len;
    return 0;
}

/* A concatenated part's numbers: 1 <= seq <= total (research M11). */
static int part_ok(uint8_t total, uint8_t seq)
{
    return total > 0 && seq > 0 && seq <= total;
}

/*
 * Checks that need the whole message: message_payload (research M10, X9),
 * the UDH (X10: its length; a concatenation IE with part 0 or a part
 * beyond the total; other IE damage is sms_concat_mo()'s to report), SAR
 * with UDHI (X11), SAR numbers out of range and odd-length UCS2 (X13).
 * A payload that fits short_message is moved there, so an SMSC that sends MO
 * text as message_payload still works; a longer one (up to SMPP_PAYLOAD_MAX)
 * stays in payload[] with sm_length 0. The checks run on whichever holds the
 * text.
 */
static int sm_check(struct smpp_sm *out, const struct tlv_seen *s, uint32_t *esme_status)
{
    const uint8_t *text = out->short_message;
    size_t text_len = out->sm_length;
    if (s->has_payload) {
        if (out->sm_length > 0)
            return reject(esme_status, ESME_RINVOPTPARAMVAL);
        if (s->payload_len > SMPP_PAYLOAD_MAX)
            return reject(esme_status, SMPP_ESME_RINVMSGLEN);
        if (s->payload_len <= SM_MAX) {
            memcpy(out->short_message, s->payload, s->payload_len);
            out->sm_length = s->payload_len;
        } else {
            memcpy(out->payload, s->payload, s->payload_len);
            out->payload_len = s->payload_len;
            out->has_payload = 1;
            text = out->payload;
        }
        text_len = s->payload_len;
    }
    if (out->esm_class & 0x40) {
        struct sms_udh udh;
        if (text_len == 0 || (size_t)text[0] + 1 > text_len)
            return reject(esme_status, SMPP_ESME_RINVESMCLASS);
        if (sms_concat_udh(out->esm_class, text, text_len, &udh) == 0 && udh.has_concat &&
            !part_ok(udh.total, udh.seq))
            return reject(esme_status, SMPP_ESME_RINVESMCLASS);
        if (s->sar_seen)
            return reject(esme_status, ESME_RINVOPTPARAMVAL);
    }
    if (s->sar_mask == 7 && !part_ok(s->sar_total, s->sar_seq))
        return reject(esme_status, ESME_RINVOPTPARAMVAL);
    if (out->data_coding == SMPP_DC_UCS2 && text_len % 2 != 0)
        return reject(esme_status, SMPP_ESME_RINVMSGLEN);
    out->ussd_service_op = s->ussd_service_op;
    out->its_session_info = s->its_session_info;
    if (s->sar_mask == 7) {
        out->has_sar = 1;
        out->sar_msg_ref_num = s->sar_ref;
        out->sar_total_segments = s->sar_total;
        out->sar_segment_seqnum = s->sar_seq;
    }
    memcpy(out->receipted_message_id, s->receipted_id, sizeof out->receipted_message_id);
    out->has_message_state = s->has_state;
    out->message_state = s->state;
    return 0;
}

/*
 * Decodes submit_sm and deliver_sm (see the file comment for the walker /
 * libsmpp34 split). A submit_sm that libsmpp34 refuses is rejected with the
 * address status its TON/NPI points at; a deliver_sm is kept.
 */
int smpp_decode_sm(const uint8_t *pdu, size_t len, struct smpp_sm *out, uint32_t *esme_status)
{
    struct smpp_header h;
    struct tlv_seen seen;
    memset(out, 0, sizeof *out);
    out->ussd_service_op = -1;
    out->its_session_info = -1;
    if (pdu_open(pdu, len, SMPP_SUBMIT_SM, SMPP_DELIVER_SM, SMPP_DELIVER_SM, &h) < 0)
        return reject(esme_status, SMPP_ESME_RSYSERR);
    struct rd r = {pdu + SMPP_HEADER_LEN, pdu + len};
    if (sm_walk(&r, out, esme_status) < 0)
        return -RAIA_EPROTO;
    size_t mand_len = (size_t)(r.p - pdu);
    if (tlv_walk(&r, &seen, esme_status) < 0)
        return -RAIA_EPROTO;

    int rc;
    if (h.command_id == SMPP_SUBMIT_SM) {
        submit_sm_t p;
        memset(&p, 0, sizeof p);
        rc = unpack_prefix(SMPP_SUBMIT_SM, &p, pdu, mand_len, 0);
        destroy_tlv(p.tlv);
        if (rc == 0) {
            SM_COPY_OUT(out, p);
        } else if (!ton_npi_ok(out->source_addr_ton, out->source_addr_npi)) {
            return reject(esme_status, SMPP_ESME_RINVSRCADR);
        } else if (!ton_npi_ok(out->dest_addr_ton, out->dest_addr_npi)) {
            return reject(esme_status, SMPP_ESME_RINVDSTADR);
        } else {
            return reject(esme_status, SMPP_ESME_RSYSERR);
        }
    } else {
        deliver_sm_t p;
        memset(&p, 0, sizeof p);
        rc = unpack_prefix(SMPP_DELIVER_SM, &p, pdu, mand_len, 0);
        destroy_tlv(p.tlv);
        if (rc == 0)
            SM_COPY_OUT(out, p);
    }
    return sm_check(out, &seen, esme_status);
}

/*
 * Decodes bind_transmitter / _receiver / _transceiver (the simulator's side).
 * A bind libsmpp34 refuses after the walker accepted it has a field value
 * outside 3.4 (interface_version, TON, NPI): ESME_RBINDFAIL.
 */
int smpp_decode_bind(const uint8_t *pdu, size_t len, struct smpp_bind *out, uint32_t *esme_status)
{
    struct smpp_header h;
    memset(out, 0, sizeof *out);
    if (pdu_open(pdu, len, SMPP_BIND_TRANSCEIVER, SMPP_BIND_TRANSMITTER, SMPP_BIND_RECEIVER, &h) <
        0)
        return reject(esme_status, SMPP_ESME_RSYSERR);
    struct rd r = {pdu + SMPP_HEADER_LEN, pdu + len};
    if (rd_cstr(&r, sizeof out->system_id, out->system_id) < 0)
        return reject(esme_status, SMPP_ESME_RINVSYSID);
    if (rd_cstr(&r, sizeof out->password, out->password) < 0)
        return reject(esme_status, SMPP_ESME_RINVPASWD);
    if (rd_cstr(&r, sizeof out->system_type, out->system_type) < 0)
        return reject(esme_status, SMPP_ESME_RINVSYSTYP);
    if (rd_u8(&r, &out->interface_version) < 0 || rd_u8(&r, &out->addr_ton) < 0 ||
        rd_u8(&r, &out->addr_npi) < 0)
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);
    if (rd_cstr(&r, sizeof out->address_range, out->address_range) < 0)
        return reject(esme_status, SMPP_ESME_RBINDFAIL);
    if (r.p != r.end) /* SMPP 3.4 binds carry no TLVs */
        return reject(esme_status, SMPP_ESME_RINVCMDLEN);

    bind_transceiver_t p; /* same layout for the three bind types */
    memset(&p, 0, sizeof p);
    if (unpack_prefix(h.command_id, &p, pdu, len, 0) != 0)
        return reject(esme_status, SMPP_ESME_RBINDFAIL);
    memcpy(out->system_id, p.system_id, sizeof out->system_id);
    memcpy(out->password, p.password, sizeof out->password);
    memcpy(out->system_type, p.system_type, sizeof out->system_type);
    out->interface_version = p.interface_version;
    out->addr_ton = p.addr_ton;
    out->addr_npi = p.addr_npi;
    memcpy(out->address_range, p.address_range, sizeof out->address_range);
    return 0;
}

/*
 * Decodes bind_*_resp. An error resp is accepted with any body (SMSCs send
 * none, a lone NUL (jasmin#124), or a system_id): the status in the header
 * is what counts, and system_id is "" then. A status-0 resp needs a
 * system_id, optionally followed by TLVs (sc_interface_version).
 */
int smpp_decode_bind_resp(const uint8_t *pdu, size_t len, char system_id[16])
{
    struct smpp_header h;
    struct tlv_seen seen;
    system_id[0] = 0;
    if (pdu_open(pdu, len, SMPP_BIND_TRANSCEIVER_RESP, SMPP_BIND_TRANSMITTER_RESP,
                 SMPP_BIND_RECEIVER_RESP, &h) < 0)
        return -RAIA_EPROTO;
    if (h.command_status != 0)
        return 0;
    struct rd r = {pdu + SMPP_HEADER_LEN, pdu + len};
    if (rd_cstr(&r, 16, system_id) < 0) {
        system_id[0] = 0;
        return -RAIA_EPROTO;
    }
    size_t mand_len = (size_t)(r.p - pdu);
    if (tlv_walk(&r, &seen, NULL) < 0)
        return -RAIA_EPROTO;
    bind_transceiver_resp_t p;
    memset(&p, 0, sizeof p);
    int rc = unpack_prefix(h.command_id, &p, pdu, mand_len, 1);
    destroy_tlv(p.tlv);
    if (rc == 0)
        memcpy(system_id, p.system_id, 16);
    return 0;
}

/*
 * Decodes submit_sm_resp / deliver_sm_resp. Error resps are accepted with any
 * body (none, a lone NUL, an id) and give message_id "". A status-0 resp is
 * the message_id alone; a body-less one (some SMSCs) gives "".
 */
int smpp_decode_sm_resp(const uint8_t *pdu, size_t len, char message_id[65])
{
    struct smpp_header h;
    message_id[0] = 0;
    if (pdu_open(pdu, len, SMPP_SUBMIT_SM_RESP, SMPP_DELIVER_SM_RESP, SMPP_DELIVER_SM_RESP, &h) < 0)
        return -RAIA_EPROTO;
    if (h.command_status != 0 || len == SMPP_HEADER_LEN)
        return 0;
    struct rd r = {pdu + SMPP_HEADER_LEN, pdu + len};
    if (rd_cstr(&r, 65, message_id) < 0 || r.p != r.end) {
        message_id[0] = 0;
        return -RAIA_EPROTO;
    }
    if (h.command_id == SMPP_SUBMIT_SM_RESP) {
        submit_sm_resp_t p;
        memset(&p, 0, sizeof p);
        if (unpack_prefix(SMPP_SUBMIT_SM_RESP, &p, pdu, len, 1) == 0)
            memcpy(message_id, p.message_id, 65);
    }
    return 0;
}
