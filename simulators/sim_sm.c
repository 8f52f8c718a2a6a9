/*
 * sim_sm.c - a short_message's text for the simulators (see sim_sm.h).
 */
#include "sim_sm.h"

#include "smpp_text.h"

void sim_sm_text(const struct smpp_sm *sm, char out[SIM_SM_TEXT_MAX])
{
    size_t n = sm->sm_length <= sizeof sm->short_message ? sm->sm_length : 0;
    smpp_text_decode(sm->data_coding, sm->short_message, n, out, SIM_SM_TEXT_MAX);
}
