/*
 * sim_net.c - listener, framing and bind check for the simulators' SMPP
 * server side (see sim_net.h). Moved out of sim_esme.c when raia-load
 * needed the same; called from the read and bind paths of sim_esme.c and
 * raia_load.c, inside the event loop.
 */
#include "sim_net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>

struct evconnlistener *sim_net_listen(struct event_base *base, const char *addr, int port,
                                      evconnlistener_cb cb, void *ctx)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
        return NULL;
    return evconnlistener_new_bind(base, cb, ctx, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
                                   (struct sockaddr *)&sin, sizeof sin);
}

int sim_net_take_pdu(struct evbuffer *in, uint8_t pdu[SMPP_PDU_MAX], struct smpp_header *h)
{
    if (evbuffer_get_length(in) < SMPP_HEADER_LEN)
        return 0;
    evbuffer_copyout(in, pdu, SMPP_HEADER_LEN);
    if (smpp_header_parse(pdu, SMPP_HEADER_LEN, h) < 0)
        return -1;
    if (evbuffer_get_length(in) < h->command_length)
        return 0;
    evbuffer_remove(in, pdu, h->command_length);
    return 1;
}

uint32_t sim_net_bind_status(const struct smpp_header *h, const uint8_t *pdu, int bound,
                             const char *system_id, const char *password)
{
    struct smpp_bind b;
    uint32_t status = SMPP_ESME_ROK;
    if (bound)
        return SMPP_ESME_RALYBND;
    if (smpp_decode_bind(pdu, h->command_length, &b, &status) < 0)
        return status;
    if (strcmp(b.system_id, system_id) != 0)
        return SMPP_ESME_RINVSYSID;
    if (strcmp(b.password, password) != 0)
        return SMPP_ESME_RINVPASWD;
    return SMPP_ESME_ROK;
}

int sim_net_nodelay(evutil_socket_t fd)
{
    int one = 1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
