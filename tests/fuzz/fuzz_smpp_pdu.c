/*
 * fuzz_smpp_pdu.c - libFuzzer target for the SMPP codec (gateway/smpp_pdu.c).
 *
 * Any bytes go through the header parser and every decoder, twice: as they
 * are, and with command_length rewritten to the input size so the decoders
 * get past the length check and into the bodies. A decoder must return 0 or
 * -RAIA_EPROTO with a status, never crash, over-read or leak (libsmpp34 is
 * in the path, so this covers its unpack as raia calls it). What decodes is
 * encoded again and must decode to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raia_err.h"
#include "smpp_pdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A decoded submit_sm / deliver_sm must survive an encode / decode round
 * trip unchanged, when it is something the encoder takes. */
static void check_round_trip(uint32_t id, const struct smpp_sm *sm)
{
    uint8_t buf[SMPP_PDU_MAX];
    struct smpp_sm again;
    uint32_t st;
    long n = smpp_encode_sm(id, 1, sm, buf, sizeof buf);
    if (n < 0)
        return;
    if (smpp_decode_sm(buf, (size_t)n, &again, &st) != 0 || again.sm_length != sm->sm_length ||
        memcmp(again.short_message, sm->short_message, sm->sm_length) != 0 ||
        strcmp(again.destination_addr, sm->destination_addr) != 0 ||
        again.ussd_service_op != sm->ussd_service_op ||
        again.its_session_info != sm->its_session_info)
        abort();
}

static void decode_all(const uint8_t *pdu, size_t len)
{
    struct smpp_header h;
    struct smpp_bind b;
    struct smpp_sm sm;
    char system_id[16], message_id[65];
    uint32_t status = 0;

    if (smpp_header_parse(pdu, len, &h) == 0)
        (void)smpp_cmd_name(h.command_id);
    if (smpp_decode_bind(pdu, len, &b, &status) < 0 && status == 0)
        abort(); /* a failure always names a status */
    status = 0;
    if (smpp_decode_sm(pdu, len, &sm, &status) == 0) {
        if (sm.sm_length > 254)
            abort();
        check_round_trip(h.command_id, &sm);
    } else if (status == 0) {
        abort();
    }
    if (smpp_decode_bind_resp(pdu, len, system_id) == 0 && !memchr(system_id, 0, 16))
        abort();
    if (smpp_decode_sm_resp(pdu, len, message_id) == 0 && !memchr(message_id, 0, 65))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_all(data, size);
    if (size < 4 || size > SMPP_PDU_MAX)
        return 0;
    uint8_t *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[0] = (uint8_t)(size >> 24);
    copy[1] = (uint8_t)(size >> 16);
    copy[2] = (uint8_t)(size >> 8);
    copy[3] = (uint8_t)size;
    decode_all(copy, size);
    free(copy);
    return 0;
}
