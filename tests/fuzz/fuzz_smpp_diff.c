/*
 * fuzz_smpp_diff.c - differential libFuzzer target: gateway/smpp_fast.c
 * against the reference codec gateway/smpp_pdu.c (libsmpp34 underneath).
 *
 * Every input is one PDU, header included; it is tried as it is and with
 * command_length rewritten to its size, so the bodies get decoded. Both
 * codecs must then:
 *  - accept or reject it alike as a submit_sm / deliver_sm, with the same
 *    ESME status, and decode the same fields (scalars, strings with their
 *    tails, short_message and payload up to their lengths);
 *  - accept or reject it alike as a submit_sm_resp / deliver_sm_resp, with
 *    the same message_id;
 *  - encode what was decoded (and variants of it the input picks: lengths
 *    at and over the limits, strings without NUL, TLV flags, TON / NPI,
 *    short buffers) to the same return value and the same bytes, whose
 *    decoding must agree again.
 * Any difference aborts, but one: quirk_254() below. Seeds in
 * tests/assets/fuzz_smpp_diff/ are named after what they hold: each PDU
 * type, each TLV, each malformed case of docs/smpp.md; quirk-encode-254 is
 * the reproducer of the tolerated quirk.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raia_err.h"
#include "smpp_fast.h"
#include "smpp_pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void diff_decode(const uint8_t *pdu, size_t len, const uint8_t *knobs, size_t nknobs,
                        int depth);

#define SAME(field) (a->field == b->field)

/* Field-by-field equality of two decoded messages. */
static int same_sm(const struct smpp_sm *a, const struct smpp_sm *b)
{
    return memcmp(a->service_type, b->service_type, sizeof a->service_type) == 0 &&
           SAME(source_addr_ton) && SAME(source_addr_npi) &&
           memcmp(a->source_addr, b->source_addr, sizeof a->source_addr) == 0 &&
           SAME(dest_addr_ton) && SAME(dest_addr_npi) &&
           memcmp(a->destination_addr, b->destination_addr, sizeof a->destination_addr) == 0 &&
           SAME(esm_class) && SAME(protocol_id) && SAME(priority_flag) &&
           SAME(registered_delivery) && SAME(data_coding) && SAME(sm_length) &&
           a->sm_length <= sizeof a->short_message &&
           memcmp(a->short_message, b->short_message, a->sm_length) == 0 && SAME(ussd_service_op) &&
           SAME(its_session_info) && SAME(has_sar) && SAME(sar_msg_ref_num) &&
           SAME(sar_total_segments) && SAME(sar_segment_seqnum) && SAME(has_payload) &&
           SAME(payload_len) && a->payload_len <= sizeof a->payload &&
           (!a->has_payload || memcmp(a->payload, b->payload, a->payload_len) == 0) &&
           memcmp(a->receipted_message_id, b->receipted_message_id,
                  sizeof a->receipted_message_id) == 0 &&
           SAME(has_message_state) && SAME(message_state);
}

/*
 * A variant of a decoded message, chosen by one input byte, that walks the
 * encoders' refusal paths: each limit at and one past its edge. knob % 10
 * picks the field; bit 4 (free of that choice) picks the side of the edge.
 */
static void vary(struct smpp_sm *sm, uint8_t knob)
{
    unsigned edge = (knob >> 4) & 1;
    switch (knob % 10) {
    case 1:
        sm->sm_length = SMPP_SM_SEND_MAX + 1 + edge; /* 254: quirk Q1; 255: refused */
        break;
    case 2:
        sm->has_sar = 1;
        sm->sar_total_segments = knob;
        break;
    case 3:
        sm->has_payload = 1;
        sm->payload_len = (size_t)knob * 7; /* 0 .. 1785: over SMPP_PAYLOAD_MAX too */
        if (edge)
            sm->sm_length = 0;
        break;
    case 4:
        if (edge)
            sm->ussd_service_op = 255 + (knob >> 5 & 1);
        else
            sm->its_session_info = 65535 + (knob >> 5 & 1);
        break;
    case 5:
        memset(sm->service_type, 'S', sizeof sm->service_type - edge);
        break;
    case 6:
        memset(sm->receipted_message_id, 'r', sizeof sm->receipted_message_id - edge);
        break;
    case 7:
        sm->dest_addr_ton = knob & 7;
        sm->source_addr_npi = knob >> 3;
        break;
    case 8:
        sm->has_message_state = 1;
        sm->message_state = knob;
        sm->ussd_service_op = -2 - (int)edge; /* negatives other than -1: no TLV */
        break;
    case 9:
        memset(sm->destination_addr, '9', sizeof sm->destination_addr - edge);
        memset(sm->source_addr, '8', sizeof sm->source_addr - (knob >> 5 & 1));
        break;
    default:
        break;
    }
}

/*
 * The one tolerated difference (quirk Q1, docs/smpp.md "The hot-path
 * codec"; reproducer tests/assets/fuzz_smpp_diff/quirk-encode-254):
 * libsmpp34 packs at most 253 short_message octets, so smpp_encode_sm()
 * refuses 254 with -RAIA_EINVAL, while SMPP 3.4 §5.2.21 allows 254 and
 * smpp_fast_encode_sm() writes them. Tolerated only when the reference
 * takes the same message cut to 253 octets and the fast bytes are exactly
 * those plus the 254th octet (length fields one more).
 */
static int quirk_254(uint32_t id, uint32_t seq, const struct smpp_sm *sm, long na, const uint8_t *b,
                     long nb)
{
    static uint8_t r[SMPP_PDU_MAX];
    struct smpp_sm cut;
    if (sm->sm_length != 254 || na != -RAIA_EINVAL || nb <= 0)
        return 0;
    cut = *sm;
    cut.sm_length = 253;
    long nr = smpp_encode_sm(id, seq, &cut, r, sizeof r);
    if (nr <= 0 || nb != nr + 1)
        return 0;
    /* the sm_length octet: header, three C-strings, 2+2 TON/NPI, 3 flags,
     * two empty time fields, 4 more flags */
    size_t off = SMPP_HEADER_LEN + strlen(sm->service_type) + 1 + 2 + strlen(sm->source_addr) + 1 +
                 2 + strlen(sm->destination_addr) + 1 + 3 + 2 + 4;
    uint32_t len_b = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return len_b == (uint32_t)nb && memcmp(b + 4, r + 4, off - 4) == 0 && r[off] == 253 &&
           b[off] == 254 && memcmp(b + off + 1, sm->short_message, 254) == 0 &&
           memcmp(r + off + 1, sm->short_message, 253) == 0 &&
           memcmp(b + off + 1 + 254, r + off + 1 + 253, (size_t)nr - off - 1 - 253) == 0;
}

/* Both encoders on sm, with buffers of every interesting size. */
static void diff_encode(uint32_t id, uint32_t seq, const struct smpp_sm *sm, const uint8_t *knobs,
                        size_t nknobs, int depth)
{
    static uint8_t a[SMPP_PDU_MAX + 16], b[SMPP_PDU_MAX + 16];
    long na = smpp_encode_sm(id, seq, sm, a, sizeof a);
    long nb = smpp_fast_encode_sm(id, seq, sm, b, sizeof b);
    if (quirk_254(id, seq, sm, na, b, nb)) {
        if (smpp_fast_encode_sm(id, seq, sm, a, (size_t)nb - 1) != -RAIA_EFULL)
            abort();
        if (depth == 0)
            diff_decode(b, (size_t)nb, NULL, 0, depth + 1);
        return;
    }
    if (na != nb || (na > 0 && memcmp(a, b, (size_t)na) != 0))
        abort();
    if (na <= 0)
        return;
    size_t sizes[3] = {(size_t)na, (size_t)na - 1, nknobs ? knobs[0] % (size_t)na : 0};
    for (int i = 0; i < 3; i++) {
        long ra = smpp_encode_sm(id, seq, sm, a, sizes[i]);
        long rb = smpp_fast_encode_sm(id, seq, sm, b, sizes[i]);
        if (ra != rb || (ra > 0 && memcmp(a, b, (size_t)ra) != 0))
            abort();
    }
    if (depth == 0)
        diff_decode(b, (size_t)nb, NULL, 0, depth + 1);
}

/* Both decoders on one PDU; what they accept goes on to the encoders. */
static void diff_decode(const uint8_t *pdu, size_t len, const uint8_t *knobs, size_t nknobs,
                        int depth)
{
    struct smpp_sm ref, fast; /* not static: the re-decode of an encoding nests */
    uint32_t st_ref = 0x12345678, st_fast = 0x12345678;
    memset(&fast, 0xA5, sizeof fast); /* a field the fast decoder forgets shows */
    int rc_ref = smpp_decode_sm(pdu, len, &ref, &st_ref);
    int rc_fast = smpp_fast_decode_sm(pdu, len, &fast, &st_fast);
    if (rc_ref != rc_fast || st_ref != st_fast)
        abort();
    if (rc_ref == 0 && !same_sm(&ref, &fast))
        abort();

    char id_ref[SMPP_MSG_ID_MAX], id_fast[SMPP_MSG_ID_MAX];
    memset(id_fast, 0xA5, sizeof id_fast);
    if (smpp_decode_sm_resp(pdu, len, id_ref) != smpp_fast_decode_sm_resp(pdu, len, id_fast) ||
        strcmp(id_ref, id_fast) != 0)
        abort();

    if (rc_ref != 0 || depth > 0)
        return;
    uint32_t seq =
        (uint32_t)pdu[12] << 24 | (uint32_t)pdu[13] << 16 | (uint32_t)pdu[14] << 8 | pdu[15];
    static const uint32_t ids[2] = {SMPP_SUBMIT_SM, SMPP_DELIVER_SM};
    for (int i = 0; i < 2; i++)
        diff_encode(ids[i], seq, &ref, knobs, nknobs, depth);
    diff_encode(SMPP_ENQUIRE_LINK, seq, &ref, knobs, nknobs, depth);
    for (size_t k = 0; k < nknobs && k < 3; k++) {
        struct smpp_sm *v = &fast; /* reused as scratch: ref stays as decoded */
        *v = ref;
        vary(v, knobs[k]);
        diff_encode(ids[knobs[k] & 1], seq, v, knobs + k, nknobs - k, depth);
    }
}

/*
 * The input as it is, then with command_length set to its size. The last
 * three octets also serve as knobs for the encoder variants (vary()).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t copy[SMPP_PDU_MAX];
    size_t nknobs = size < 3 ? size : 3;
    const uint8_t *knobs = data + size - nknobs;
    diff_decode(data, size, knobs, nknobs, 0);
    if (size < 4 || size > SMPP_PDU_MAX)
        return 0;
    memcpy(copy, data, size);
    copy[0] = (uint8_t)(size >> 24);
    copy[1] = (uint8_t)(size >> 16);
    copy[2] = (uint8_t)(size >> 8);
    copy[3] = (uint8_t)size;
    diff_decode(copy, size, knobs, nknobs, 0);
    return 0;
}
