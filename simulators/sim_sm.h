/**
 * sim_sm.h - the text of a gateway's short_message, for the simulators'
 * screens and records. Encoding and decoding by data_coding are shared with
 * the gateway (gateway/smpp_text.h).
 */
#ifndef RAIA_SIM_SM_H
#define RAIA_SIM_SM_H

#include "smpp_pdu.h"

/** Worst-case UTF-8 size of a decoded short_message, NUL included. */
#define SIM_SM_TEXT_MAX (3 * 255 + 1)

/** Decode sm's short_message to UTF-8 in out (smpp_text_decode() rules). */
void sim_sm_text(const struct smpp_sm *sm, char out[SIM_SM_TEXT_MAX]);

#endif
