/**
 * sim_sm.h - the text of a deliver_sm / submit_sm body, in and out.
 *
 * The simulator sends phone text as GSM 7-bit when it can and UCS-2
 * otherwise, and reads the gateway's text in any data_coding raia uses.
 * Called by sim_phones.c (building MO, reading MT) and sim_record.c.
 * Pure functions, no I/O.
 */
#ifndef RAIA_SIM_SM_H
#define RAIA_SIM_SM_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_pdu.h"

/** Worst-case UTF-8 size of a decoded short_message, NUL included. */
#define SIM_SM_TEXT_MAX (3 * 255 + 1)

/**
 * Put the UTF-8 text into sm->short_message: GSM 7-bit (data_coding 0) if
 * every character has a GSM form, else UCS-2 (data_coding 8). Returns 0,
 * -RAIA_EINVAL for invalid UTF-8, or -RAIA_EFULL if it is longer than
 * SMPP_SM_SEND_MAX octets.
 */
int sim_sm_set_text(struct smpp_sm *sm, const char *utf8);

/**
 * Decode sm's short_message to UTF-8 in out (SIM_SM_TEXT_MAX bytes)
 * according to its data_coding: 0 GSM 7-bit, 3 Latin-1, 8 UCS-2; any other
 * coding is read as Latin-1, so the bytes still show.
 */
void sim_sm_text(const struct smpp_sm *sm, char out[SIM_SM_TEXT_MAX]);

/**
 * Decode len octets of in (borrowed), written in data_coding, to UTF-8 in
 * out (size bytes, NUL-terminated), as sim_sm_text() does; for reassembled
 * long messages. Returns the length, or < 0 with out "" when it does not fit.
 */
long sim_sm_decode(uint8_t data_coding, const uint8_t *in, size_t len, char *out, size_t size);

#endif
