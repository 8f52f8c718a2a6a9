/**
 * sim_esme.h - the SMPP server side of raia-smsc-sim: accepts gateway
 * (ESME) connections, checks their bind, answers every PDU and sends them
 * the phones' deliver_sm. Set up and torn down by smsc_sim.c; sim_phones.c
 * hands MO messages to sim_esme_deliver().
 */
#ifndef RAIA_SIM_ESME_H
#define RAIA_SIM_ESME_H

#include "sim_internal.h"
#include "smpp_pdu.h"

/** Listen on opt->bind_addr:opt->port. Returns 0 or -RAIA_EIO. */
int sim_esme_listen(struct sim *s);

/** Close the listener and every gateway connection (shutdown only). */
void sim_esme_close_all(struct sim *s);

/**
 * Send sm as deliver_sm to the first connection bound as receiver or
 * transceiver. sm is borrowed. Returns 0, -RAIA_ENOTFOUND when no gateway
 * is bound, or -RAIA_EINVAL if sm cannot be encoded.
 */
int sim_esme_deliver(struct sim *s, const struct smpp_sm *sm);

#endif
