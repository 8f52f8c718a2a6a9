/**
 * sim_net.h - the SMSC side of an SMPP connection that both simulators
 * need: the listener, PDU framing off a bufferevent's input, and the bind
 * check. Shared by raia-smsc-sim (sim_esme.c) and raia-load (raia_load.c),
 * which differ in what they do with a PDU, not in how they read one.
 */
#ifndef RAIA_SIM_NET_H
#define RAIA_SIM_NET_H

#include <stdint.h>

#include <event2/listener.h>

#include "smpp_pdu.h"

struct evbuffer;

/**
 * Listen on addr:port (IPv4 text form, borrowed) with SO_REUSEADDR; cb gets
 * ctx. Returns the listener (free with evconnlistener_free), or NULL.
 */
struct evconnlistener *sim_net_listen(struct event_base *base, const char *addr, int port,
                                      evconnlistener_cb cb, void *ctx);

/**
 * Take the next complete PDU off in into pdu (SMPP_PDU_MAX bytes) and its
 * header into h. Returns 1 for a PDU, 0 when the PDU is not complete yet,
 * -1 when command_length is out of range (h->sequence_number is then set:
 * answer generic_nack ESME_RINVCMDLEN and close, framing is lost).
 */
int sim_net_take_pdu(struct evbuffer *in, uint8_t pdu[SMPP_PDU_MAX], struct smpp_header *h);

/**
 * The status a bind_* PDU (borrowed, h->command_length bytes) gets from an
 * SMSC that accepts system_id/password: ESME_ROK, ESME_RALYBND when bound
 * is set, ESME_RINVSYSID, ESME_RINVPASWD or the decoder's status.
 */
uint32_t sim_net_bind_status(const struct smpp_header *h, const uint8_t *pdu, int bound,
                             const char *system_id, const char *password);

/** Set TCP_NODELAY on fd, so each answer leaves without waiting for an ACK. 0 or -1. */
int sim_net_nodelay(evutil_socket_t fd);

#endif
