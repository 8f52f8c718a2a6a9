/*
 * sim_esme.c - one struct sim_esme per TCP connection from a gateway on the
 * SMPP port. Frames PDUs off a bufferevent, answers them as an SMSC would
 * (bind check, enquire_link, unbind, submit_sm with a message id,
 * generic_nack for what it does not know) and passes each decoded submit_sm
 * to sim_phones_mt(). Called from the event loop; smsc_sim.c creates the
 * listener through sim_esme_listen().
 *
 * A connection that must close after a last answer (unbind_resp, or the
 * generic_nack for a broken frame) is marked closing and freed from its
 * write callback once the answer is flushed, never from inside the read
 * callback that is still looping over its input.
 */
#include "sim_esme.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "raia_err.h"
#include "sim_phones.h"
#include "sim_record.h"
#include "sim_script.h"

enum sim_esme_state {
    SIM_ESME_OPEN,     /* connected, not bound */
    SIM_ESME_BOUND_TX, /* bind_transmitter: may submit, gets no deliver_sm */
    SIM_ESME_BOUND_RX, /* bind_receiver: gets deliver_sm, may not submit */
    SIM_ESME_BOUND_TRX,
    SIM_ESME_CLOSING /* last answer queued; freed when it is flushed */
};

struct sim_esme {
    struct sim *sim;
    struct bufferevent *bev;
    enum sim_esme_state state;
    uint32_t seq; /* last sequence number we used for our own requests */
    int id;       /* connection number, for the log */
    struct sim_esme *next;
};

static const char *const state_names[] = {"open", "bound_tx", "bound_rx", "bound_trx", "closing"};

static void esme_set_state(struct sim_esme *e, enum sim_esme_state st)
{
    log_at(LOG_INFO, "sim", "op=esme_state conn=%d from=%s to=%s", e->id, state_names[e->state],
           state_names[st]);
    e->state = st;
}

static void esme_free(struct sim_esme *e)
{
    struct sim_esme **pp = &e->sim->esmes;
    while (*pp && *pp != e)
        pp = &(*pp)->next;
    if (*pp)
        *pp = e->next;
    bufferevent_free(e->bev);
    free(e);
}

/* Queues one encoded PDU and records it; sm is the body for the record. */
static void esme_send(struct sim_esme *e, const uint8_t *pdu, long n, const struct smpp_sm *sm)
{
    struct smpp_header h;
    if (n < SMPP_HEADER_LEN || smpp_header_parse(pdu, (size_t)n, &h) < 0) {
        log_at(LOG_ERROR, "sim", "op=encode conn=%d err=%ld", e->id, n);
        return;
    }
    bufferevent_write(e->bev, pdu, (size_t)n);
    sim_record_pdu(e->sim->record, "out", &h, sm);
}

static void esme_header_only(struct sim_esme *e, uint32_t id, uint32_t status, uint32_t seq)
{
    uint8_t b[SMPP_HEADER_LEN];
    esme_send(e, b, smpp_encode_header_only(id, status, seq, b, sizeof b), NULL);
}

/* Queue a last answer and close once it is written (see the file comment). */
static void esme_close_after(struct sim_esme *e, uint32_t id, uint32_t status, uint32_t seq)
{
    esme_header_only(e, id, status, seq);
    esme_set_state(e, SIM_ESME_CLOSING);
    bufferevent_disable(e->bev, EV_READ);
}

static int esme_bound(const struct sim_esme *e)
{
    return e->state == SIM_ESME_BOUND_TX || e->state == SIM_ESME_BOUND_RX ||
           e->state == SIM_ESME_BOUND_TRX;
}

static void on_bind(struct sim_esme *e, const struct smpp_header *h, const uint8_t *pdu)
{
    const struct sim_options *o = e->sim->opt;
    uint32_t resp = h->command_id | SMPP_GENERIC_NACK; /* the _resp id sets bit 31 */
    struct smpp_bind b;
    uint32_t status = SMPP_ESME_ROK;
    if (esme_bound(e))
        status = SMPP_ESME_RALYBND;
    else if (smpp_decode_bind(pdu, h->command_length, &b, &status) < 0)
        ; /* status set by the decoder */
    else if (strcmp(b.system_id, o->system_id) != 0)
        status = SMPP_ESME_RINVSYSID;
    else if (strcmp(b.password, o->password) != 0)
        status = SMPP_ESME_RINVPASWD;
    uint8_t out[64];
    esme_send(e, out,
              smpp_encode_bind_resp(resp, status, h->sequence_number, "raia-sim", out, sizeof out),
              NULL);
    log_at(status ? LOG_WARN : LOG_INFO, "sim", "op=bind conn=%d cmd=%s status=0x%02x", e->id,
           smpp_cmd_name(h->command_id), (unsigned)status);
    if (status != SMPP_ESME_ROK)
        return;
    esme_set_state(e, h->command_id == SMPP_BIND_TRANSMITTER ? SIM_ESME_BOUND_TX
                      : h->command_id == SMPP_BIND_RECEIVER  ? SIM_ESME_BOUND_RX
                                                             : SIM_ESME_BOUND_TRX);
    if (e->state != SIM_ESME_BOUND_TX)
        sim_script_start(e->sim->script);
}

static void on_submit(struct sim_esme *e, const struct smpp_header *h, const uint8_t *pdu)
{
    struct smpp_sm sm;
    uint32_t status = SMPP_ESME_ROK;
    int ok = 0;
    /* Like a real SMSC: the bind state is checked before the body is read. */
    if (e->state != SIM_ESME_BOUND_TX && e->state != SIM_ESME_BOUND_TRX)
        status = SMPP_ESME_RINVBNDSTS;
    else
        ok = smpp_decode_sm(pdu, h->command_length, &sm, &status) == 0;
    sim_record_pdu(e->sim->record, "in", h, ok ? &sm : NULL);
    char id[24] = "";
    if (status == SMPP_ESME_ROK)
        snprintf(id, sizeof id, "%lu", ++e->sim->next_msg_id);
    uint8_t out[128];
    esme_send(
        e, out,
        smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, status, h->sequence_number, id, out, sizeof out),
        NULL);
    if (status != SMPP_ESME_ROK) {
        log_at(LOG_WARN, "sim", "op=submit conn=%d status=0x%02x", e->id, (unsigned)status);
        return;
    }
    sim_phones_mt(e->sim, &sm);
}

/* Dispatches one complete PDU of h->command_length bytes. */
static void esme_pdu(struct sim_esme *e, const struct smpp_header *h, const uint8_t *pdu)
{
    if (h->command_id != SMPP_SUBMIT_SM)
        sim_record_pdu(e->sim->record, "in", h, NULL);
    if (!smpp_cmd_known(h->command_id)) {
        esme_header_only(e, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, h->sequence_number);
        return;
    }
    switch (h->command_id) {
    case SMPP_BIND_TRANSCEIVER:
    case SMPP_BIND_TRANSMITTER:
    case SMPP_BIND_RECEIVER:
        on_bind(e, h, pdu);
        break;
    case SMPP_SUBMIT_SM:
        on_submit(e, h, pdu);
        break;
    case SMPP_ENQUIRE_LINK:
        esme_header_only(e, SMPP_ENQUIRE_LINK_RESP, SMPP_ESME_ROK, h->sequence_number);
        break;
    case SMPP_UNBIND:
        esme_close_after(e, SMPP_UNBIND_RESP, SMPP_ESME_ROK, h->sequence_number);
        break;
    case SMPP_DELIVER_SM_RESP:
        if (h->command_status != SMPP_ESME_ROK)
            log_at(LOG_WARN, "sim", "op=deliver_sm_resp conn=%d seq=%lu status=0x%02lx", e->id,
                   (unsigned long)h->sequence_number, (unsigned long)h->command_status);
        break;
    case SMPP_ENQUIRE_LINK_RESP:
    case SMPP_UNBIND_RESP:
    case SMPP_GENERIC_NACK:
        break;
    default: /* known, but an SMSC never receives it (a _resp we did not ask for, deliver_sm) */
        if (!(h->command_id & SMPP_GENERIC_NACK))
            esme_header_only(e, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, h->sequence_number);
        break;
    }
}

static void esme_read(struct bufferevent *bev, void *ctx)
{
    struct sim_esme *e = ctx;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (e->state != SIM_ESME_CLOSING && evbuffer_get_length(in) >= SMPP_HEADER_LEN) {
        uint8_t pdu[SMPP_PDU_MAX];
        struct smpp_header h;
        evbuffer_copyout(in, pdu, SMPP_HEADER_LEN);
        if (smpp_header_parse(pdu, SMPP_HEADER_LEN, &h) < 0) {
            log_at(LOG_WARN, "sim", "op=frame conn=%d len=%lu err=bad_length", e->id,
                   (unsigned long)h.command_length);
            esme_close_after(e, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, h.sequence_number);
            return;
        }
        if (evbuffer_get_length(in) < h.command_length)
            return;
        evbuffer_remove(in, pdu, h.command_length);
        esme_pdu(e, &h, pdu);
    }
}

static void esme_write(struct bufferevent *bev, void *ctx)
{
    struct sim_esme *e = ctx;
    if (e->state == SIM_ESME_CLOSING && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        log_at(LOG_INFO, "sim", "op=close conn=%d", e->id);
        esme_free(e);
    }
}

static void esme_event(struct bufferevent *bev, short what, void *ctx)
{
    struct sim_esme *e = ctx;
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        log_at(LOG_INFO, "sim", "op=disconnect conn=%d state=%s", e->id, state_names[e->state]);
        esme_free(e);
    }
}

static void esme_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                        int salen, void *ctx)
{
    struct sim *s = ctx;
    (void)l;
    (void)sa;
    (void)salen;
    struct sim_esme *e = calloc(1, sizeof *e);
    struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!e || !bev) {
        log_at(LOG_ERROR, "sim", "op=accept err=nomem");
        free(e);
        if (bev)
            bufferevent_free(bev);
        else
            evutil_closesocket(fd);
        return;
    }
    e->sim = s;
    e->bev = bev;
    e->state = SIM_ESME_OPEN;
    e->id = ++s->last_conn_id;
    e->next = s->esmes;
    s->esmes = e;
    bufferevent_setcb(bev, esme_read, esme_write, esme_event, e);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    log_at(LOG_INFO, "sim", "op=accept conn=%d", e->id);
}

int sim_esme_listen(struct sim *s)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)s->opt->port);
    if (inet_pton(AF_INET, s->opt->bind_addr, &sin.sin_addr) != 1)
        return -RAIA_EINVAL;
    s->smpp_lis =
        evconnlistener_new_bind(s->base, esme_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                16, (struct sockaddr *)&sin, sizeof sin);
    return s->smpp_lis ? 0 : -RAIA_EIO;
}

void sim_esme_close_all(struct sim *s)
{
    if (s->smpp_lis)
        evconnlistener_free(s->smpp_lis);
    s->smpp_lis = NULL;
    while (s->esmes)
        esme_free(s->esmes);
}

int sim_esme_deliver(struct sim *s, const struct smpp_sm *sm)
{
    struct sim_esme *e = s->esmes;
    while (e && e->state != SIM_ESME_BOUND_RX && e->state != SIM_ESME_BOUND_TRX)
        e = e->next;
    if (!e)
        return -RAIA_ENOTFOUND;
    uint8_t out[SMPP_PDU_MAX];
    uint32_t seq = smpp_seq_next(e->seq);
    long n = smpp_encode_sm(SMPP_DELIVER_SM, seq, sm, out, sizeof out);
    if (n < 0)
        return -RAIA_EINVAL;
    e->seq = seq;
    esme_send(e, out, n, sm);
    return 0;
}
