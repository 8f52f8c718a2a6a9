/**
 * sim_esme.h - the SMPP server side of raia-smsc-sim: accepts gateway
 * (ESME) connections, checks their bind, answers every PDU and sends them
 * the phones' deliver_sm. Set up and torn down by smsc_sim.c; sim_phones.c
 * hands MO messages to sim_esme_deliver(); sim_faults.c drops connections
 * and replays raw PDUs through it.
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
 * Send sm as deliver_sm to connection *conn when *conn > 0 and it is bound
 * as receiver or transceiver, else to the newest connection that is; *conn
 * gets the number of the one used. sm is borrowed. Returns 0,
 * -RAIA_ENOTFOUND when no gateway is bound, or -RAIA_EINVAL if sm cannot
 * be encoded.
 */
int sim_esme_deliver(struct sim *s, const struct smpp_sm *sm, int *conn);

/** The number of a connection bound for receiving other than not_conn; -1 if none. */
int sim_esme_other_receiver(struct sim *s, int not_conn);

/** DROP: close every gateway connection at once, without unbind. Returns how many. */
int sim_esme_drop_all(struct sim *s);

/**
 * REPLAY: write len raw bytes of pdu (borrowed; not checked, may be
 * malformed) to the newest connection bound for receiving. When pdu has a
 * full header, the gateway's answer to its sequence number is sent to
 * reply_to as `PDU cmd status seq`, and `REPLAY done` once every replayed
 * request is answered (`REPLAY closed unanswered=N` if the connection goes
 * first). Returns 0, -RAIA_ENOTFOUND (no bind) or -RAIA_EFULL (too many
 * answers awaited).
 */
int sim_esme_send_raw(struct sim *s, struct sim_client *reply_to, const uint8_t *pdu, size_t len);

/** c is going away: no more PDU lines for it. */
void sim_esme_forget_client(struct sim *s, const struct sim_client *c);

#endif
