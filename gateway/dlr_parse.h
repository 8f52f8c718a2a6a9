/**
 * dlr_parse.h - reads an SMSC delivery receipt (a deliver_sm that reports on
 * an MT we sent) into a struct dlr.
 *
 * Pure: no I/O, no logs, no allocation. The SMPP layer decodes the deliver_sm,
 * asks dlr_is_receipt() about its esm_class and, for a receipt, hands the
 * short_message bytes and the receipted_message_id / message_state TLVs to
 * dlr_parse(). Formats and precedence are described in docs/receipts.md
 * (research/smpp-ussd.md M3, M12).
 */
#ifndef RAIA_DLR_PARSE_H
#define RAIA_DLR_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "raia_err.h"

#define DLR_ID_MAX 65 /* characters of a message id, without the NUL */

/**
 * SMPP 3.4 message_state values, except that the unknown state is 0 (so a
 * zeroed struct dlr says "unknown"): message_state 7 (UNKNOWN) and values
 * SMPP 3.4 does not define both map to DLR_UNKNOWN.
 */
enum dlr_state {
    DLR_UNKNOWN = 0,
    DLR_ENROUTE = 1,
    DLR_DELIVERED = 2,
    DLR_EXPIRED = 3,
    DLR_DELETED = 4,
    DLR_UNDELIVERABLE = 5,
    DLR_ACCEPTED = 6,
    DLR_REJECTED = 8
};

struct dlr {
    char message_id[DLR_ID_MAX + 1]; /* as the SMSC wrote it: decimal or hex, never empty */
    enum dlr_state state;
    int final;           /* 1 for delivered/expired/deleted/undeliverable/rejected */
    char err[4];         /* the text's err: field (up to 3 characters), "" if absent */
    long long submit_ms; /* ms since the epoch (UTC); -1 if absent or not a valid date */
    long long done_ms;   /* likewise */
};

/**
 * 1 when esm_class marks a deliver_sm as a receipt: message type (bits 2-5)
 * 0x04 SMSC delivery receipt or 0x20 intermediate delivery notification. SME
 * acks (0x08, 0x10) come from the handset's application, not the SMSC, and
 * are not receipts.
 */
int dlr_is_receipt(uint8_t esm_class);

/**
 * Fill out from the TLVs and from the text body of a receipt; a TLV wins over
 * the same field in the text. text is borrowed and need not be NUL-terminated;
 * no byte at or past text + len is read. tlv_message_id is a NUL-terminated
 * string or NULL when the TLV is absent; tlv_message_state is -1 when absent.
 * Returns 0, or -RAIA_EPROTO when neither source gives both a message id (1 to
 * DLR_ID_MAX printable characters) and a state; out is then unspecified.
 */
int dlr_parse(const uint8_t *text, size_t len, const char *tlv_message_id, int tlv_message_state,
              struct dlr *out);

/** Static name of a state ("delivered", ...), for logs and exports. */
const char *dlr_state_name(enum dlr_state s);

/**
 * 1 when two message ids name the same message: equal ignoring case, or equal
 * as numbers where one is read as decimal and the other as hex (or both alike),
 * because some SMSCs give the id in hex in submit_sm_resp and in decimal in
 * the receipt, or the other way round (jasmin#1129). The price: ids "100"
 * (decimal) and "256" (hex 0x100) also compare equal, so compare only ids of
 * one SMSC. NULL equals nothing.
 */
int dlr_id_equal(const char *a, const char *b);

#endif
