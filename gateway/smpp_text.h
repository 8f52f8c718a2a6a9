/**
 * smpp_text.h - the text of a short_message: UTF-8 in, UTF-8 out, by the
 * SMPP data_coding. Shared by the gateway and the simulators (part of
 * raia_smpp, like the codec): both sides pick the encoding and read it the
 * same way.
 */
#ifndef RAIA_SMPP_TEXT_H
#define RAIA_SMPP_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_pdu.h"

/**
 * The alphabet an operator wants for MT SMS (the smsc key `sms_charset`,
 * docs/operators.md). The encoder still chooses per message: text that the
 * preferred alphabet cannot hold goes out as UCS-2.
 */
enum smpp_charset {
    SMPP_CHARSET_GSM7 = 0, /* GSM 03.38 7-bit (data_coding 0), else UCS-2: the default */
    SMPP_CHARSET_LATIN1,   /* ISO-8859-1 (data_coding 3), else UCS-2 */
    SMPP_CHARSET_UCS2      /* always UCS-2 (data_coding 8) */
};

/** "gsm7", "latin1" or "ucs2" into *out; -RAIA_EINVAL for any other name. */
int smpp_charset_parse(const char *name, enum smpp_charset *out);

/**
 * Put utf8 into sm->short_message: GSM 7-bit (data_coding 0) when every
 * character has a GSM form, else UCS-2 (data_coding 8). Returns 0,
 * -RAIA_EINVAL for invalid UTF-8, or -RAIA_EFULL when it is longer than
 * SMPP_SM_SEND_MAX octets.
 */
int smpp_text_set(struct smpp_sm *sm, const char *utf8);

/**
 * Decode len octets of in, written in data_coding, to UTF-8 in out (size
 * bytes, NUL-terminated): 8 UCS-2, 3 Latin-1, 0 and any other coding GSM
 * 7-bit (as Kannel reads them). Returns the length, or < 0 with out ""
 * when it does not fit.
 */
long smpp_text_decode(uint8_t data_coding, const uint8_t *in, size_t len, char *out, size_t size);

#endif
