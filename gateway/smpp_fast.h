/**
 * smpp_fast.h - a hand-written codec for the PDUs of every USSD turn:
 * deliver_sm, submit_sm and their responses.
 *
 * Same structs, same accepted inputs, same statuses and same bytes as the
 * reference codec in smpp_pdu.h (libsmpp34 underneath), without its cost:
 * no allocation, no printf-style trace, one bounded pass over the bytes.
 * tests/fuzz/fuzz_smpp_diff.c holds the two to each other on every input.
 * Binds, control traffic and every other PDU stay with smpp_pdu.h; the
 * responses' encoder (smpp_encode_sm_resp) and the header-only PDUs
 * (smpp_header_parse, smpp_encode_header_only) are hand-written there
 * already and need no second copy.
 * Pure functions: no I/O, no logging, no libevent.
 */
#ifndef RAIA_SMPP_FAST_H
#define RAIA_SMPP_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_pdu.h"

/**
 * Decodes one submit_sm or deliver_sm (len == its command_length), as
 * smpp_decode_sm() does: 0, or -RAIA_EPROTO with *esme_status (when not NULL)
 * set to the status to answer with.
 *
 * Unlike smpp_decode_sm(), out is not cleared as a whole: payload[] holds
 * meaning only up to payload_len when has_payload is set, and short_message
 * only up to sm_length. Every other field, string tails included, is set as
 * smpp_decode_sm() sets it. pdu is only read, during the call.
 */
int smpp_fast_decode_sm(const uint8_t *pdu, size_t len, struct smpp_sm *out, uint32_t *esme_status);

/**
 * Encodes sm as a submit_sm or deliver_sm into buf, byte for byte what
 * smpp_encode_sm() writes: the PDU length, or -RAIA_EINVAL (a field does not
 * fit, a TON / NPI outside SMPP 3.4, a command id that is neither) /
 * -RAIA_EFULL (buf too small). Every -RAIA_EINVAL case wins over -RAIA_EFULL.
 * One difference: a short_message of 254 octets is written (SMPP 3.4
 * allows 0..254), where smpp_encode_sm() stops at SMPP_SM_SEND_MAX (253).
 * sm is borrowed for the call.
 */
long smpp_fast_encode_sm(uint32_t command_id, uint32_t seq, const struct smpp_sm *sm, uint8_t *buf,
                         size_t size);

/**
 * Decodes submit_sm_resp / deliver_sm_resp as smpp_decode_sm_resp() does:
 * error responses with any body and body-less ones give message_id "".
 */
int smpp_fast_decode_sm_resp(const uint8_t *pdu, size_t len, char message_id[SMPP_MSG_ID_MAX]);

#endif
