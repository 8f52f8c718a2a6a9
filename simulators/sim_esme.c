/*
 * sim_esme.c - one struct sim_esme per TCP connection from a gateway on the
 * SMPP port. Frames PDUs off a bufferevent, answers them as an SMSC would
 * (bind check, enquire_link, unbind, submit_sm with a message id,
 * generic_nack for what it does not know) and passes each decoded submit_sm
 * to sim_phones_mt(). Called from the event loop; smsc_sim.c creates the
 * listener through sim_esme_listen().
 *
 * It also plays the faults sim_faults.c asks for: a submit_sm answered with
 * ESME_RTHROTTLED, late (SLOW: the answer waits on a timer and the message
 * reaches its phone only then, so a link dropped meanwhile loses it as an
 * SMSC would) or not at all, connections dropped, raw PDUs
 * from a REPLAY file whose answers are reported to the control client, and
 * MO sent twice. A submit_sm that asks for a delivery receipt gets one a
 * moment later (RECEIPT_DELAY_MS), from a per-connection queue and timer,
 * so the receipt never overtakes the submit_sm_resp.
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
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "raia_err.h"
#include "sim_control.h"
#include "sim_net.h"
#include "sim_phones.h"
#include "sim_record.h"
#include "sim_script.h"
#include "sim_sm.h"

enum sim_esme_state {
    SIM_ESME_OPEN,     /* connected, not bound */
    SIM_ESME_BOUND_TX, /* bind_transmitter: may submit, gets no deliver_sm */
    SIM_ESME_BOUND_RX, /* bind_receiver: gets deliver_sm, may not submit */
    SIM_ESME_BOUND_TRX,
    SIM_ESME_CLOSING /* last answer queued; freed when it is flushed */
};

#define RECEIPT_DELAY_MS 50
#define REPLAY_WATCH_MAX 64 /* replayed requests whose answers are still awaited */

/* A delivery receipt waiting for its timer. */
struct receipt {
    struct smpp_sm sm;
    struct receipt *next;
};

/* SLOW: a submit_sm_resp waiting for its timer, with the message it accepts. */
struct slow_answer {
    struct sim_esme *e;
    struct event *timer;
    uint32_t seq, status;
    char id[24];
    struct smpp_sm sm; /* delivered to its phone when the answer leaves (status 0) */
    struct slow_answer *next;
};

struct sim_esme {
    struct sim *sim;
    struct bufferevent *bev;
    enum sim_esme_state state;
    uint32_t seq; /* last sequence number we used for our own requests */
    int id;       /* connection number, for the log */
    struct event *receipt_timer;
    struct receipt *receipts, **receipts_tail; /* oldest first */
    /* REPLAY: answers to these sequence numbers go to replay_to as PDU lines */
    struct sim_client *replay_to;
    uint32_t replay_seq[REPLAY_WATCH_MAX];
    int replay_n;
    struct slow_answer *slow; /* SLOW answers not sent yet */
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
    if (e->replay_to && e->replay_n > 0)
        sim_client_send(e->replay_to, "REPLAY closed unanswered=%d", e->replay_n);
    while (e->slow) { /* a dropped link loses its unanswered submit_sm, as an SMSC's does */
        struct slow_answer *a = e->slow;
        e->slow = a->next;
        log_at(LOG_INFO, "sim", "op=slow_lost conn=%d seq=%lu", e->id, (unsigned long)a->seq);
        event_free(a->timer);
        free(a);
    }
    while (e->receipts) {
        struct receipt *r = e->receipts;
        e->receipts = r->next;
        free(r);
    }
    if (e->receipt_timer)
        event_free(e->receipt_timer);
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
    sim_record_pdu(e->sim->record, "out", e->id, &h, sm);
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
    uint32_t status = sim_net_bind_status(h, pdu, esme_bound(e), o->system_id, o->password);
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

/* "YYMMDDhhmm" of t in UTC, the date form of a receipt's text. */
static void receipt_date(time_t t, char out[11])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, 11, "%02u%02u%02u%02u%02u", (unsigned)tm.tm_year % 100u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u);
}

/*
 * Queues the receipt an SMSC sends for a delivered submit_sm (SMPP 3.4
 * appendix B text, plus receipted_message_id and message_state). The text:
 * field quotes the first 20 characters, kept to letters, digits and spaces
 * so the receipt itself is plain GSM.
 */
static void receipt_queue(struct sim_esme *e, const struct smpp_sm *mt, const char *msg_id)
{
    struct receipt *r = calloc(1, sizeof *r);
    if (!r) {
        log_at(LOG_ERROR, "sim", "op=receipt conn=%d err=nomem", e->id);
        return;
    }
    struct smpp_sm *sm = &r->sm;
    char text[SIM_SM_TEXT_MAX], quote[21], date[11];
    sim_sm_text(mt, text);
    size_t q = 0;
    for (const char *t = text; *t && q < 20; t++)
        quote[q++] = (strchr(" .,", *t) || (*t >= 'A' && *t <= 'Z') || (*t >= 'a' && *t <= 'z') ||
                      (*t >= '0' && *t <= '9'))
                         ? *t
                         : '.';
    quote[q] = '\0';
    receipt_date(time(NULL), date);
    sm->source_addr_ton = mt->dest_addr_ton;
    sm->source_addr_npi = mt->dest_addr_npi;
    snprintf(sm->source_addr, sizeof sm->source_addr, "%s", mt->destination_addr);
    snprintf(sm->destination_addr, sizeof sm->destination_addr, "%s", mt->source_addr);
    sm->esm_class = 0x04; /* SMSC delivery receipt */
    sm->ussd_service_op = sm->its_session_info = -1;
    int n = snprintf((char *)sm->short_message, sizeof sm->short_message,
                     "id:%s sub:001 dlvrd:001 submit date:%s done date:%s stat:DELIVRD err:000 "
                     "text:%s",
                     msg_id, date, date, quote);
    sm->sm_length = n < (int)sizeof sm->short_message ? (size_t)n : sizeof sm->short_message - 1;
    snprintf(sm->receipted_message_id, sizeof sm->receipted_message_id, "%s", msg_id);
    sm->has_message_state = 1;
    sm->message_state = SMPP_MSG_STATE_DELIVERED;
    *e->receipts_tail = r;
    e->receipts_tail = &r->next;
    struct timeval tv = {0, RECEIPT_DELAY_MS * 1000};
    if (!evtimer_pending(e->receipt_timer, NULL))
        evtimer_add(e->receipt_timer, &tv);
}

/* One of the faults sim_faults.c armed, if any: 1 when the submit_sm is
 * handled (throttled, or left without an answer). */
static int submit_fault(struct sim_esme *e, const struct smpp_header *h)
{
    struct sim *s = e->sim;
    if (s->noresp_left > 0) {
        s->noresp_left--;
        log_at(LOG_INFO, "sim", "op=fault conn=%d fault=noresp seq=%lu left=%d", e->id,
               (unsigned long)h->sequence_number, s->noresp_left);
        return 1;
    }
    if (s->throttle_left > 0) {
        s->throttle_left--;
        log_at(LOG_INFO, "sim", "op=fault conn=%d fault=throttle seq=%lu left=%d", e->id,
               (unsigned long)h->sequence_number, s->throttle_left);
        uint8_t out[64];
        esme_send(e, out,
                  smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, SMPP_ESME_RTHROTTLED, h->sequence_number,
                                      NULL, out, sizeof out),
                  NULL);
        return 1;
    }
    return 0;
}

/* Answers one submit_sm; an accepted one (sm != NULL) gets its receipt and
 * goes to its phone. */
static void submit_answer(struct sim_esme *e, uint32_t seq, uint32_t status, const char *id,
                          const struct smpp_sm *sm)
{
    uint8_t out[128];
    esme_send(e, out, smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, status, seq, id, out, sizeof out),
              NULL);
    if (status != SMPP_ESME_ROK) {
        log_at(LOG_WARN, "sim", "op=submit conn=%d status=0x%02x", e->id, (unsigned)status);
        return;
    }
    if (sm->registered_delivery & 1)
        receipt_queue(e, sm, id);
    sim_phones_mt(e->sim, sm);
}

static void on_slow_timer(evutil_socket_t fd, short what, void *ctx)
{
    struct slow_answer *a = ctx;
    struct sim_esme *e = a->e;
    (void)fd;
    (void)what;
    struct slow_answer **pp = &e->slow;
    while (*pp != a)
        pp = &(*pp)->next;
    *pp = a->next;
    submit_answer(e, a->seq, a->status, a->id, &a->sm);
    event_free(a->timer);
    free(a);
}

/* SLOW armed: 1 when the answer to this accepted submit_sm was put off. */
static int submit_slow(struct sim_esme *e, uint32_t seq, const char *id, const struct smpp_sm *sm)
{
    struct sim *s = e->sim;
    if (s->slow_ms <= 0 || s->slow_left == 0)
        return 0;
    struct slow_answer *a = calloc(1, sizeof *a);
    struct event *timer = a ? evtimer_new(s->base, on_slow_timer, a) : NULL;
    if (!timer) {
        log_at(LOG_ERROR, "sim", "op=slow conn=%d err=nomem", e->id);
        free(a);
        return 0;
    }
    *a = (struct slow_answer){.e = e, .timer = timer, .seq = seq, .next = e->slow};
    snprintf(a->id, sizeof a->id, "%s", id);
    a->sm = *sm;
    e->slow = a;
    if (s->slow_left > 0)
        s->slow_left--;
    struct timeval tv = {s->slow_ms / 1000, (s->slow_ms % 1000) * 1000};
    evtimer_add(timer, &tv);
    log_at(LOG_INFO, "sim", "op=fault conn=%d fault=slow seq=%lu ms=%d left=%d", e->id,
           (unsigned long)seq, s->slow_ms, s->slow_left);
    return 1;
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
    sim_record_pdu(e->sim->record, "in", e->id, h, ok ? &sm : NULL);
    if (status == SMPP_ESME_ROK && submit_fault(e, h))
        return;
    char id[24] = "";
    if (status == SMPP_ESME_ROK)
        snprintf(id, sizeof id, "%lu", ++e->sim->next_msg_id);
    if (status == SMPP_ESME_ROK && submit_slow(e, h->sequence_number, id, &sm))
        return;
    submit_answer(e, h->sequence_number, status, id, ok ? &sm : NULL);
}

/* The connection a deliver_sm goes to: e itself when it may receive, else
 * the newest connection that may. */
static int esme_receiving(const struct sim_esme *e)
{
    return e->state == SIM_ESME_BOUND_RX || e->state == SIM_ESME_BOUND_TRX;
}

static struct sim_esme *esme_receiver(struct sim *s, struct sim_esme *e)
{
    if (e && esme_receiving(e))
        return e;
    for (e = s->esmes; e; e = e->next)
        if (esme_receiving(e))
            return e;
    return NULL;
}

static int esme_deliver_on(struct sim_esme *e, const struct smpp_sm *sm)
{
    uint8_t out[SMPP_PDU_MAX];
    uint32_t seq = smpp_seq_next(e->seq);
    long n = smpp_encode_sm(SMPP_DELIVER_SM, seq, sm, out, sizeof out);
    if (n < 0)
        return -RAIA_EINVAL;
    e->seq = seq;
    esme_send(e, out, n, sm);
    return 0;
}

/* The receipt timer: sends every queued receipt on its bind. */
static void on_receipt_timer(evutil_socket_t fd, short what, void *ctx)
{
    struct sim_esme *e = ctx;
    (void)fd;
    (void)what;
    while (e->receipts) {
        struct receipt *r = e->receipts;
        e->receipts = r->next;
        struct sim_esme *to = esme_receiver(e->sim, e);
        if (!to || esme_deliver_on(to, &r->sm) < 0)
            log_at(LOG_WARN, "sim", "op=receipt conn=%d err=%s", e->id, to ? "encode" : "no_bind");
        free(r);
    }
    e->receipts_tail = &e->receipts;
}

/* REPLAY: 1 (and the PDU line sent) if h answers a replayed request. */
static int replay_answer(struct sim_esme *e, const struct smpp_header *h)
{
    if (!e->replay_to || !(h->command_id & SMPP_GENERIC_NACK))
        return 0;
    for (int i = 0; i < e->replay_n; i++) {
        if (e->replay_seq[i] != h->sequence_number)
            continue;
        e->replay_seq[i] = e->replay_seq[--e->replay_n];
        sim_client_send(e->replay_to, "PDU %s 0x%02lx %lu", smpp_cmd_name(h->command_id),
                        (unsigned long)h->command_status, (unsigned long)h->sequence_number);
        if (e->replay_n == 0)
            sim_client_send(e->replay_to, "REPLAY done");
        return 1;
    }
    return 0;
}

/* Dispatches one complete PDU of h->command_length bytes. */
static void esme_pdu(struct sim_esme *e, const struct smpp_header *h, const uint8_t *pdu)
{
    if (h->command_id != SMPP_SUBMIT_SM)
        sim_record_pdu(e->sim->record, "in", e->id, h, NULL);
    if (replay_answer(e, h))
        return;
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
    while (e->state != SIM_ESME_CLOSING) {
        uint8_t pdu[SMPP_PDU_MAX];
        struct smpp_header h;
        int r = sim_net_take_pdu(in, pdu, &h);
        if (r == 0)
            return;
        if (r < 0) {
            log_at(LOG_WARN, "sim", "op=frame conn=%d len=%lu err=bad_length", e->id,
                   (unsigned long)h.command_length);
            esme_close_after(e, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, h.sequence_number);
            return;
        }
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
    struct event *timer = e ? evtimer_new(s->base, on_receipt_timer, e) : NULL;
    if (!e || !bev || !timer) {
        log_at(LOG_ERROR, "sim", "op=accept err=nomem");
        free(e);
        if (timer)
            event_free(timer);
        if (bev)
            bufferevent_free(bev);
        else
            evutil_closesocket(fd);
        return;
    }
    e->receipt_timer = timer;
    e->receipts_tail = &e->receipts;
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
    s->smpp_lis = sim_net_listen(s->base, s->opt->bind_addr, s->opt->port, esme_accept, s);
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

int sim_esme_deliver(struct sim *s, const struct smpp_sm *sm, int *conn)
{
    struct sim_esme *e = s->esmes;
    while (e && !(e->id == *conn && esme_receiving(e)))
        e = e->next;
    if (!e)
        e = esme_receiver(s, NULL);
    if (!e)
        return -RAIA_ENOTFOUND;
    *conn = e->id;
    int rc = esme_deliver_on(e, sm);
    if (rc == 0 && s->dup) /* DUP on: the same MO again, with the next sequence number */
        rc = esme_deliver_on(e, sm);
    return rc;
}

int sim_esme_other_receiver(struct sim *s, int not_conn)
{
    for (struct sim_esme *e = s->esmes; e; e = e->next)
        if (e->id != not_conn && esme_receiving(e))
            return e->id;
    return -1;
}

int sim_esme_drop_all(struct sim *s)
{
    int n = 0;
    while (s->esmes) {
        log_at(LOG_INFO, "sim", "op=fault fault=drop conn=%d", s->esmes->id);
        esme_free(s->esmes);
        n++;
    }
    return n;
}

int sim_esme_send_raw(struct sim *s, struct sim_client *reply_to, const uint8_t *pdu, size_t len)
{
    struct sim_esme *e = esme_receiver(s, NULL);
    if (!e)
        return -RAIA_ENOTFOUND;
    struct smpp_header h = {0};
    if (len >= SMPP_HEADER_LEN) { /* read by hand: the header may be the broken part */
        uint32_t f[4];
        memcpy(f, pdu, sizeof f);
        h.command_length = ntohl(f[0]);
        h.command_id = ntohl(f[1]);
        h.command_status = ntohl(f[2]);
        h.sequence_number = ntohl(f[3]);
        if (e->replay_n == REPLAY_WATCH_MAX)
            return -RAIA_EFULL;
        e->replay_to = reply_to;
        e->replay_seq[e->replay_n++] = h.sequence_number;
    }
    bufferevent_write(e->bev, pdu, len);
    sim_record_pdu(s->record, "out", e->id, &h, NULL);
    return 0;
}

void sim_esme_forget_client(struct sim *s, const struct sim_client *c)
{
    for (struct sim_esme *e = s->esmes; e; e = e->next) {
        if (e->replay_to == c) {
            e->replay_to = NULL;
            e->replay_n = 0;
        }
    }
}
