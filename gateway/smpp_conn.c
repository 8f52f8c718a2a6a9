/*
 * smpp_conn.c - one ESME transceiver bind to one operator's SMSC.
 *
 * Owns the TCP link (a libevent bufferevent), the bind state machine, the
 * outgoing sequence numbers, the window of submit_sm awaiting a response, the
 * FIFO of submits waiting for room in that window, enquire_link, and the
 * reconnect backoff. Everything runs on the caller's event_base, one thread.
 * Created and started by gateway/main.c; gateway/session.c submits MT and
 * acknowledges MO. PDUs are encoded and decoded by smpp_pdu.c.
 *
 * One cron timer per connection (every CRON_MS) does the periodic work:
 * reconnecting when the backoff is over, the connect / bind / unbind
 * deadlines, the response timeout of the oldest request, and enquire_link on
 * an idle link. Every state change goes through conn_set_state(), which logs
 * it and tells the owner.
 *
 * A link that is lost (EOF, error, timeout, bad framing, unbind) is dropped
 * in one place, link_down(): every submit still waiting gets -RAIA_EIO, the
 * link generation moves on so acks for MO of the old link are dropped, and
 * the cron reconnects after min * 2^n seconds (capped, with jitter).
 */
#include "smpp_conn.h"

#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "clock_ms.h"
#include "log.h"
#include "smpp_fast.h"
#include "smpp_outq.h"
#include "str_copy.h"

#define CRON_MS 250
#define QUEUE_MAX 10000        /* submits waiting for window room */
#define UNBIND_WAIT_MS 5000    /* graceful stop: wait this long for unbind_resp */
#define FLUSH_WAIT_MS 2000     /* a last PDU (nack, unbind_resp) gets this long to leave */
#define BACKOFF_RESET_MS 60000 /* bound this long: the next loss starts from min again */
#define WINDOW_MAX 1024
#define SEND_ATTEMPTS_MAX 3     /* writes of one submit_sm across timeouts and lost links */
#define RESEND_MAX_AGE_MS 60000 /* older than this, an MT is stale (the USSD dialogue is gone) */
#define WARN_SLOTS 16           /* kinds of bad input whose log lines are rate-limited apart */
#define WARN_WINDOW_MS 60000    /* one line per kind of bad input per window */

/* Runs the block once every ms milliseconds of cron ticks (Redis serverCron). */
#define RUN_EVERY(c, ms) if ((c)->cron_loops % ((ms) / CRON_MS) == 0)

/* One kind of bad input from the SMSC (event name and status) and its log window. */
struct warn_slot {
    const char *event; /* a string literal; NULL = free slot */
    uint32_t status;
    uint64_t since;      /* when the window of the last line logged began */
    unsigned suppressed; /* lines left out in that window */
};

/* One window slot: a submit_sm sent and not answered yet (out == NULL: free). */
struct pending {
    struct smpp_out *out;
    uint32_t seq;
    uint64_t sent_ms;
};

struct smpp_conn {
    struct smpp_conn_stats stats; /* PDUs by command, for /metrics */
    struct event_base *base;
    char *name, *operator_name;
    enum smpp_bind_type bind_type;
    enum smpp_charset charset;
    struct smpp_bind bind;
    struct sockaddr_storage addr;
    ev_socklen_t addr_len;
    uint64_t enquire_ms, timeout_ms, reconnect_min_ms, reconnect_max_ms;
    int window;
    smpp_conn_mo_cb on_mo;
    smpp_conn_state_cb on_state;
    void *ctx;

    enum smpp_conn_state state;
    uint64_t state_since; /* when the current state began (its deadline starts there) */
    int started, stopping;
    struct bufferevent *bev;
    struct event *cron;
    uint64_t cron_loops;
    uint64_t generation; /* the link's number, for smpp_mo_ref */
    uint32_t seq;        /* last sequence number sent */

    uint64_t last_rx, last_tx, bound_at, reconnect_at;
    unsigned binds;    /* successful binds since start: more than 1 means a rebind */
    unsigned attempts; /* consecutive losses: the backoff exponent */
    int auth_failed;   /* the last bind was refused for system_id / password */
    uint64_t rng;

    uint32_t bind_seq, enquire_seq, unbind_seq; /* 0 = none outstanding */
    uint64_t enquire_sent;

    struct pending *win;
    int in_flight;
    struct smpp_outq queue; /* waiting for window room, the send pace, or a link */
    struct smpp_rate rate;
    struct event *pump_timer; /* wakes the queue when the pace allows the next send */

    int closing; /* a last PDU is being flushed, then the link drops */
    uint64_t closing_since;
    const char *closing_reason;

    struct warn_slot warns[WARN_SLOTS];

    int depth;   /* > 0 while inside our own callbacks */
    int freeing; /* smpp_conn_free() was called at depth > 0 */
};

static void link_down(struct smpp_conn *c, const char *reason);

/* ---- small helpers ---- */

static uint64_t now_ms(void)
{
    return (uint64_t)clock_ms(CLOCK_MONOTONIC);
}

static const char *state_name(enum smpp_conn_state s)
{
    switch (s) {
    case SMPP_CONN_DISCONNECTED:
        return "disconnected";
    case SMPP_CONN_CONNECTING:
        return "connecting";
    case SMPP_CONN_BINDING:
        return "binding";
    case SMPP_CONN_BOUND:
        return "bound";
    case SMPP_CONN_UNBINDING:
        return "unbinding";
    case SMPP_CONN_CLOSED:
        return "closed";
    }
    return "?";
}

static uint32_t next_seq(struct smpp_conn *c)
{
    c->seq = smpp_seq_next(c->seq);
    return c->seq;
}

static void set_seq(uint8_t *pdu, uint32_t seq)
{
    pdu[12] = (uint8_t)(seq >> 24);
    pdu[13] = (uint8_t)(seq >> 16);
    pdu[14] = (uint8_t)(seq >> 8);
    pdu[15] = (uint8_t)seq;
}

static uint64_t rng_next(struct smpp_conn *c)
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    return c->rng;
}

/* An SMSC status as the int the submit callback takes (negative values are ours). */
static int status_int(uint32_t status)
{
    return status > INT_MAX ? SMPP_ESME_RUNKNOWNERR : (int)status;
}

/*
 * Callback bracketing (STYLE rule 10): every entry from libevent or from a
 * public call that may run the owner's callbacks is wrapped in enter/leave.
 * smpp_conn_free() at depth > 0 only sets `freeing`; the outermost leave
 * frees. Code that runs callbacks in a loop stops once `freeing` is set.
 */
static void conn_destroy(struct smpp_conn *c);

static void conn_enter(struct smpp_conn *c)
{
    c->depth++;
}

static void conn_leave(struct smpp_conn *c)
{
    if (--c->depth == 0 && c->freeing)
        conn_destroy(c);
}

static void conn_set_state(struct smpp_conn *c, enum smpp_conn_state state)
{
    if (c->state == state)
        return;
    c->state = state;
    c->state_since = now_ms();
    log_at(LOG_INFO, "smpp", "op=%s state=%s", c->name, state_name(state));
    if (c->on_state)
        c->on_state(c->ctx, c, state);
}

/*
 * Rate limit for warnings about what the SMSC sent (STYLE rule 7): each kind
 * (event, status) is logged once per WARN_WINDOW_MS, and the first line of
 * the next window says how many were left out. A peer that floods broken
 * PDUs costs a few lines a minute, and each kind of error is still named.
 * When every slot is taken the oldest window is reused.
 */
static int warn_pass(struct smpp_conn *c, const char *event, uint32_t status, unsigned *suppressed)
{
    uint64_t now = now_ms();
    struct warn_slot *w = NULL, *oldest = &c->warns[0];
    for (int i = 0; i < WARN_SLOTS && !w; i++) {
        struct warn_slot *x = &c->warns[i];
        if (!x->event || (x->event == event && x->status == status))
            w = x;
        else if (x->since < oldest->since)
            oldest = x;
    }
    if (!w) {
        w = oldest;
        w->event = NULL;
    }
    if (w->event && now - w->since < WARN_WINDOW_MS) {
        w->suppressed++;
        return 0;
    }
    *suppressed = w->event ? w->suppressed : 0;
    *w = (struct warn_slot){event, status, now, 0};
    return 1;
}

/* A rate-limited warning about input from the SMSC: `op=NAME event=EVENT ... suppressed=N`. */
#define conn_warn(c, event, status, fmt, ...)                                                      \
    do {                                                                                           \
        unsigned sup_ = 0;                                                                         \
        if (LOG_WARN >= log_min_level && warn_pass((c), (event), (status), &sup_))                 \
            log_write(LOG_WARN, "smpp", "op=%s event=%s " fmt " suppressed=%u", (c)->name,         \
                      (event), __VA_ARGS__, sup_);                                                 \
    } while (0)

/* One more PDU of command id in or out; ids SMPP 3.4 does not define count as 0. */
static void count_pdu(struct smpp_conn *c, uint32_t id, int out)
{
    struct smpp_conn_stats *st = &c->stats;
    if (!smpp_cmd_known(id))
        id = 0;
    size_t k = 0;
    while (k < st->n_cmds && st->cmds[k].id != id)
        k++;
    if (k == st->n_cmds) {
        if (k == SMPP_CONN_STAT_CMDS)
            return;
        st->cmds[st->n_cmds++].id = id;
    }
    if (out)
        st->cmds[k].out++;
    else
        st->cmds[k].in++;
}

const struct smpp_conn_stats *smpp_conn_stats(const struct smpp_conn *c)
{
    return &c->stats;
}

static void send_pdu(struct smpp_conn *c, const uint8_t *pdu, long len)
{
    if (!c->bev || len < SMPP_HEADER_LEN)
        return;
    count_pdu(c, (uint32_t)pdu[4] << 24 | (uint32_t)pdu[5] << 16 | (uint32_t)pdu[6] << 8 | pdu[7],
              1);
    bufferevent_write(c->bev, pdu, (size_t)len);
    c->last_tx = now_ms();
}

static void send_header_only(struct smpp_conn *c, uint32_t id, uint32_t status, uint32_t seq)
{
    uint8_t buf[SMPP_HEADER_LEN];
    send_pdu(c, buf, smpp_encode_header_only(id, status, seq, buf, sizeof buf));
}

/*
 * Sends a last PDU's worth of output, then drops the link: reading stops now,
 * on_write drops the link once the output buffer is empty, and the cron
 * drops it anyway after FLUSH_WAIT_MS. Used after a framing error (generic
 * nack first) and after answering the SMSC's unbind.
 */
static void close_after_flush(struct smpp_conn *c, const char *reason)
{
    c->closing = 1;
    c->closing_since = now_ms();
    c->closing_reason = reason;
    bufferevent_disable(c->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        link_down(c, reason);
}

/* ---- the window and the queue ---- */

/* Runs the submit's callback once and frees it. */
static void out_finish(struct smpp_out *o, int status, const char *message_id)
{
    smpp_conn_submit_cb cb = o->cb;
    void *ctx = o->ctx;
    free(o);
    if (cb)
        cb(ctx, status, message_id);
}

/* Back into the queue to be sent again, unless it was written too often. */
static void out_requeue(struct smpp_conn *c, struct smpp_out *o, int status_if_spent)
{
    if (o->attempts >= SEND_ATTEMPTS_MAX)
        out_finish(o, status_if_spent, NULL);
    else
        smpp_outq_insert(&c->queue, o);
}

static void send_submit(struct smpp_conn *c, struct smpp_out *o)
{
    for (int i = 0; i < c->window; i++) {
        struct pending *p = &c->win[i];
        if (p->out)
            continue;
        p->out = o;
        p->seq = next_seq(c);
        p->sent_ms = now_ms();
        c->in_flight++;
        o->attempts++;
        set_seq(o->pdu, p->seq);
        send_pdu(c, o->pdu, (long)o->len);
        smpp_rate_spend(&c->rate);
        return;
    }
}

/* Moves queued submits into the window while it has room and the pace allows;
 * never runs a callback, so smpp_conn_submit() may call it. */
static void pump_queue(struct smpp_conn *c)
{
    while (c->state == SMPP_CONN_BOUND && !c->closing && c->queue.head &&
           c->in_flight < c->window) {
        uint64_t wait = smpp_rate_wait(&c->rate, now_ms());
        if (wait) {
            struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
            event_add(c->pump_timer, &tv);
            return;
        }
        send_submit(c, smpp_outq_pop(&c->queue));
    }
}

static void on_pump_timer(evutil_socket_t fd, short what, void *ctx)
{
    (void)fd;
    (void)what;
    pump_queue(ctx);
}

/* Frees window slot i and returns what it held. */
static struct pending slot_take(struct smpp_conn *c, int i)
{
    struct pending p = c->win[i];
    c->win[i].out = NULL;
    c->in_flight--;
    return p;
}

/* Takes the pending submit with sequence seq out of the window; 0 if none. */
static int take_pending(struct smpp_conn *c, uint32_t seq, struct pending *out)
{
    for (int i = 0; i < c->window; i++) {
        if (c->win[i].out && c->win[i].seq == seq) {
            *out = slot_take(c, i);
            return 1;
        }
    }
    return 0;
}

/* Queued submits older than max_age_ms (all of them with 0) get status. */
static void fail_queue(struct smpp_conn *c, int status, uint64_t max_age_ms)
{
    uint64_t now = now_ms();
    while (c->queue.head && !c->freeing &&
           (max_age_ms == 0 || now - c->queue.head->created_ms > max_age_ms))
        out_finish(smpp_outq_pop(&c->queue), status, NULL);
}

/* The link is gone: what it had in flight goes back into the queue for the
 * next link (or fails, when stopping or written too often). */
static void requeue_window(struct smpp_conn *c)
{
    for (int i = 0; i < c->window && !c->freeing; i++) {
        if (!c->win[i].out)
            continue;
        struct pending p = slot_take(c, i);
        if (c->stopping)
            out_finish(p.out, -RAIA_EIO, NULL);
        else
            out_requeue(c, p.out, -RAIA_EIO);
    }
    if (c->stopping)
        fail_queue(c, -RAIA_EIO, 0);
}

/* ---- connecting, binding, losing the link ---- */

/*
 * The next reconnect delay: min * 2^attempts, capped at max, minus up to a
 * quarter of it at random so that several gateways do not reconnect in step.
 * A bind refused for its credentials waits the maximum at once: retrying a
 * wrong password quickly only fills the SMSC's logs.
 */
static uint64_t backoff_ms(struct smpp_conn *c)
{
    uint64_t base = c->reconnect_max_ms;
    if (c->auth_failed) {
        c->auth_failed = 0;
    } else {
        unsigned shift = c->attempts < 20 ? c->attempts : 20;
        if ((c->reconnect_min_ms << shift) < base)
            base = c->reconnect_min_ms << shift;
        c->attempts++;
    }
    return base - rng_next(c) % (base / 4 + 1);
}

/*
 * The one place a link ends. Why this order: the link and its counters are
 * reset and the new state is set first, so a submit callback that submits
 * again gets -RAIA_EIO at once instead of landing on a dead link. What was in
 * flight is sent again on the next link (research S9).
 */
static void link_down(struct smpp_conn *c, const char *reason)
{
    log_at(c->stopping ? LOG_INFO : LOG_WARN, "smpp",
           "op=%s event=link_down reason=%s in_flight=%d queued=%zu", c->name, reason, c->in_flight,
           c->queue.len);
    if (c->bev) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
    c->generation++;
    c->closing = 0;
    c->bind_seq = c->enquire_seq = c->unbind_seq = 0;
    c->enquire_sent = 0;
    if (c->stopping) {
        event_del(c->cron);
        conn_set_state(c, SMPP_CONN_CLOSED);
    } else {
        uint64_t delay = backoff_ms(c);
        c->reconnect_at = now_ms() + delay;
        log_at(LOG_INFO, "smpp", "op=%s event=reconnect_in ms=%llu", c->name,
               (unsigned long long)delay);
        conn_set_state(c, SMPP_CONN_DISCONNECTED);
    }
    requeue_window(c);
}

static void on_read(struct bufferevent *bev, void *ctx);
static void on_write(struct bufferevent *bev, void *ctx);
static void on_event(struct bufferevent *bev, short what, void *ctx);

static void link_open(struct smpp_conn *c)
{
    c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        link_down(c, "no_memory");
        return;
    }
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    conn_set_state(c, SMPP_CONN_CONNECTING);
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&c->addr, (int)c->addr_len) < 0)
        link_down(c, "connect_failed");
}

static void send_bind(struct smpp_conn *c)
{
    uint8_t buf[128];
    c->bind_seq = next_seq(c);
    static const uint32_t bind_ids[] = {SMPP_BIND_TRANSCEIVER, SMPP_BIND_TRANSMITTER,
                                        SMPP_BIND_RECEIVER};
    long n = smpp_encode_bind(bind_ids[c->bind_type], c->bind_seq, &c->bind, buf, sizeof buf);
    send_pdu(c, buf, n);
}

static void on_connected(struct smpp_conn *c)
{
    int one = 1;
    evutil_socket_t fd = bufferevent_getfd(c->bev);
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0)
        log_at(LOG_WARN, "smpp", "op=%s event=nodelay_failed", c->name);
    c->last_rx = now_ms();
    send_bind(c);
    conn_set_state(c, SMPP_CONN_BINDING);
}

/* The bind's answer: a bind_*_resp, or a generic_nack with the bind's seq. */
static void on_bind_result(struct smpp_conn *c, uint32_t status)
{
    c->bind_seq = 0;
    if (status == SMPP_ESME_ROK) {
        c->bound_at = now_ms();
        c->binds++;
        conn_set_state(c, SMPP_CONN_BOUND);
        pump_queue(c);
        return;
    }
    if (status == SMPP_ESME_RINVPASWD || status == SMPP_ESME_RINVSYSID) {
        c->auth_failed = 1;
        log_at(LOG_ERROR, "smpp",
               "op=%s event=bind_refused status=0x%02x hint=check_system_id_and_password", c->name,
               status);
    } else {
        log_at(LOG_WARN, "smpp", "op=%s event=bind_refused status=0x%02x", c->name, status);
    }
    link_down(c, "bind_refused");
}

/* ---- incoming PDUs ---- */

static void on_submit_result(struct smpp_conn *c, uint32_t seq, uint32_t status,
                             const char *message_id)
{
    struct pending p;
    if (!take_pending(c, seq, &p)) {
        conn_warn(c, "resp_unknown_seq", 0, "seq=%u status=0x%02x", seq, status);
        return;
    }
    if (status == SMPP_ESME_RTHROTTLED || status == SMPP_ESME_RMSGQFUL) {
        /* Not an error with the message: pause, then send it again. */
        smpp_rate_throttled(&c->rate, now_ms());
        log_at(LOG_WARN, "smpp", "op=%s event=throttled status=0x%02x pause_ms=%llu", c->name,
               status, (unsigned long long)c->rate.pause_ms);
        smpp_outq_insert(&c->queue, p.out);
        pump_queue(c);
        return;
    }
    if (status == SMPP_ESME_RINVBNDSTS) { /* the SMSC no longer sees us bound: rebind, resend */
        out_requeue(c, p.out, status_int(status));
        if (!c->freeing && c->bev)
            link_down(c, "smsc_says_not_bound");
        return;
    }
    smpp_rate_accepted(&c->rate);
    out_finish(p.out, status_int(status), message_id);
    if (!c->freeing)
        pump_queue(c);
}

static void on_generic_nack(struct smpp_conn *c, const struct smpp_header *h)
{
    uint32_t seq = h->sequence_number;
    conn_warn(c, "generic_nack", h->command_status, "seq=%u status=0x%02x", seq, h->command_status);
    if (seq != 0 && seq == c->bind_seq && c->state == SMPP_CONN_BINDING) {
        on_bind_result(c, h->command_status ? h->command_status : SMPP_ESME_RBINDFAIL);
    } else if (seq != 0 && seq == c->enquire_seq) {
        c->enquire_seq = 0; /* the SMSC answered: the link is alive */
        c->enquire_sent = 0;
    } else if (seq != 0 && seq == c->unbind_seq) {
        link_down(c, "unbind_nacked");
    } else {
        on_submit_result(c, seq, h->command_status, NULL);
    }
}

/*
 * A deliver_sm: decoded and handed up, or answered at once with the status
 * the decoder names when it is malformed. The deliver_sm_resp for a good one
 * is sent by smpp_conn_ack_mo(), after the turn is stored (research S11).
 */
static void on_deliver_sm(struct smpp_conn *c, const struct smpp_header *h, const uint8_t *pdu,
                          size_t len)
{
    uint8_t buf[32];
    if ((c->state != SMPP_CONN_BOUND && c->state != SMPP_CONN_UNBINDING) ||
        c->bind_type == SMPP_BIND_TX) {
        send_pdu(c, buf,
                 smpp_encode_sm_resp(SMPP_DELIVER_SM_RESP, SMPP_ESME_RINVBNDSTS, h->sequence_number,
                                     NULL, buf, sizeof buf));
        return;
    }
    struct smpp_sm mo;
    uint32_t status = SMPP_ESME_RSYSERR;
    if (smpp_fast_decode_sm(pdu, len, &mo, &status) < 0) {
        conn_warn(c, "bad_deliver_sm", status, "seq=%u status=0x%02x", h->sequence_number, status);
        send_pdu(c, buf,
                 smpp_encode_sm_resp(SMPP_DELIVER_SM_RESP, status, h->sequence_number, NULL, buf,
                                     sizeof buf));
        return;
    }
    struct smpp_mo_ref ref = {c->generation, h->sequence_number};
    c->on_mo(c->ctx, c, &mo, ref);
}

/*
 * A request an ESME does not serve, from the SMSC: a bind (we are the ones
 * who bind; while our bind is up that is ESME_RALYBND, before it
 * ESME_RINVBNDSTS) or a submit_sm (an SMSC sends deliver_sm: ESME_RINVCMDID,
 * the command is not valid in this direction). Answered with its own _resp.
 */
static void on_foreign_request(struct smpp_conn *c, uint32_t id, uint32_t seq)
{
    uint32_t status = SMPP_ESME_RINVCMDID;
    if (id == SMPP_BIND_TRANSCEIVER || id == SMPP_BIND_TRANSMITTER || id == SMPP_BIND_RECEIVER)
        status = c->state == SMPP_CONN_BOUND ? SMPP_ESME_RALYBND : SMPP_ESME_RINVBNDSTS;
    conn_warn(c, "unexpected_request", id, "id=%s seq=%u status=0x%02x", smpp_cmd_name(id), seq,
              status);
    send_header_only(c, id | SMPP_GENERIC_NACK, status, seq);
}

/*
 * Dispatches one complete PDU by command_id. Unknown request ids get
 * generic_nack ESME_RINVCMDID and the link stays up (research S9); an
 * unknown id with the response bit is logged and dropped (a response is
 * never answered, so two peers never nack each other's nacks). enquire_link
 * and unbind carry no body: with one they get their _resp with
 * ESME_RINVCMDLEN and do nothing else. Requests an ESME does not serve get
 * their own response (on_foreign_request); responses nobody waits for are
 * logged and dropped.
 */
static void dispatch(struct smpp_conn *c, const struct smpp_header *h, const uint8_t *pdu,
                     size_t len)
{
    uint32_t id = h->command_id, seq = h->sequence_number;
    char message_id[65];
    count_pdu(c, id, 0);
    if (!smpp_cmd_known(id)) {
        if (id & SMPP_GENERIC_NACK) {
            conn_warn(c, "unknown_resp", 0, "id=0x%08x seq=%u", id, seq);
            return;
        }
        conn_warn(c, "unknown_command", 0, "id=0x%08x seq=%u", id, seq);
        send_header_only(c, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, seq);
        return;
    }
    if ((id == SMPP_ENQUIRE_LINK || id == SMPP_UNBIND) && len != SMPP_HEADER_LEN) {
        conn_warn(c, "body_on_header_only", id, "id=%s seq=%u len=%zu", smpp_cmd_name(id), seq,
                  len);
        send_header_only(c, id | SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, seq);
        return;
    }
    switch (id) {
    case SMPP_DELIVER_SM:
        on_deliver_sm(c, h, pdu, len);
        break;
    case SMPP_SUBMIT_SM_RESP:
        if (smpp_fast_decode_sm_resp(pdu, len, message_id) < 0)
            conn_warn(c, "bad_submit_sm_resp", 0, "seq=%u", seq);
        on_submit_result(c, seq, h->command_status, message_id);
        break;
    case SMPP_ENQUIRE_LINK:
        send_header_only(c, SMPP_ENQUIRE_LINK_RESP, SMPP_ESME_ROK, seq);
        break;
    case SMPP_ENQUIRE_LINK_RESP:
        if (seq == c->enquire_seq) {
            c->enquire_seq = 0;
            c->enquire_sent = 0;
        }
        break;
    case SMPP_BIND_TRANSCEIVER_RESP:
    case SMPP_BIND_TRANSMITTER_RESP:
    case SMPP_BIND_RECEIVER_RESP:
        if (c->state != SMPP_CONN_BINDING || seq != c->bind_seq) {
            conn_warn(c, "unexpected_bind_resp", 0, "seq=%u", seq);
        } else if (smpp_decode_bind_resp(pdu, len, message_id) < 0) {
            link_down(c, "bad_bind_resp");
        } else {
            on_bind_result(c, h->command_status);
        }
        break;
    case SMPP_GENERIC_NACK:
        on_generic_nack(c, h);
        break;
    case SMPP_UNBIND:
        log_at(LOG_INFO, "smpp", "op=%s event=unbind_from_smsc", c->name);
        send_header_only(c, SMPP_UNBIND_RESP, SMPP_ESME_ROK, seq);
        close_after_flush(c, "unbind_from_smsc");
        break;
    case SMPP_UNBIND_RESP:
        if (c->state == SMPP_CONN_UNBINDING)
            link_down(c, "unbound");
        break;
    default:
        if (id & SMPP_GENERIC_NACK)
            conn_warn(c, "unexpected_resp", id, "id=%s seq=%u", smpp_cmd_name(id), seq);
        else
            on_foreign_request(c, id, seq);
        break;
    }
}

/*
 * Framing: a PDU is taken off the input once all command_length bytes are
 * there; several PDUs that arrived in one read are handled in one go. A
 * command_length outside [16, SMPP_PDU_MAX] means the byte stream can no
 * longer be split into PDUs: generic_nack ESME_RINVCMDLEN and drop the link.
 */
static void on_read(struct bufferevent *bev, void *ctx)
{
    struct smpp_conn *c = ctx;
    conn_enter(c);
    while (c->bev == bev && !c->closing && !c->freeing) {
        struct evbuffer *in = bufferevent_get_input(bev);
        size_t avail = evbuffer_get_length(in);
        uint8_t pdu[SMPP_PDU_MAX];
        struct smpp_header h;
        if (avail < SMPP_HEADER_LEN)
            break;
        evbuffer_copyout(in, pdu, SMPP_HEADER_LEN);
        if (smpp_header_parse(pdu, SMPP_HEADER_LEN, &h) < 0) {
            log_at(LOG_WARN, "smpp", "op=%s event=bad_command_length len=%u", c->name,
                   h.command_length);
            send_header_only(c, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, h.sequence_number);
            close_after_flush(c, "bad_command_length");
            break;
        }
        if (avail < h.command_length)
            break;
        evbuffer_remove(in, pdu, h.command_length);
        c->last_rx = now_ms();
        dispatch(c, &h, pdu, h.command_length);
    }
    conn_leave(c);
}

static void on_write(struct bufferevent *bev, void *ctx)
{
    struct smpp_conn *c = ctx;
    conn_enter(c);
    if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        link_down(c, c->closing_reason);
    conn_leave(c);
}

static void on_event(struct bufferevent *bev, short what, void *ctx)
{
    struct smpp_conn *c = ctx;
    (void)bev;
    conn_enter(c);
    if (what & BEV_EVENT_CONNECTED) {
        on_connected(c);
    } else if (what & BEV_EVENT_EOF) {
        link_down(c, c->closing ? c->closing_reason : "eof");
    } else if (what & BEV_EVENT_ERROR) {
        link_down(c, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    }
    conn_leave(c);
}

/* ---- the cron ---- */

/* BOUND: the oldest submit's deadline, the enquire_link deadline, and
 * enquire_link when nothing moved for enquire_link_s. */
static void cron_bound(struct smpp_conn *c, uint64_t now)
{
    int oldest = -1;
    for (int i = 0; i < c->window; i++)
        if (c->win[i].out && (oldest < 0 || c->win[i].sent_ms < c->win[oldest].sent_ms))
            oldest = i;
    if (oldest >= 0 && now - c->win[oldest].sent_ms >= c->timeout_ms) {
        /* A link that leaves a request unanswered is suspect: replace it and
         * send the request again on the new one, a bounded number of times. */
        struct pending p = slot_take(c, oldest);
        log_at(LOG_WARN, "smpp", "op=%s event=response_timeout seq=%u attempts=%d", c->name, p.seq,
               p.out->attempts);
        out_requeue(c, p.out, -RAIA_ETIMEOUT);
        if (!c->freeing && c->bev)
            link_down(c, "response_timeout");
        return;
    }
    if (c->enquire_sent && now - c->enquire_sent >= c->timeout_ms) {
        link_down(c, "enquire_link_timeout");
        return;
    }
    RUN_EVERY(c, 1000)
    {
        uint64_t last = c->last_rx > c->last_tx ? c->last_rx : c->last_tx;
        if (!c->enquire_sent && !c->closing && now - last >= c->enquire_ms) {
            c->enquire_seq = next_seq(c);
            c->enquire_sent = now;
            send_header_only(c, SMPP_ENQUIRE_LINK, SMPP_ESME_ROK, c->enquire_seq);
        }
        if (c->attempts && now - c->bound_at >= BACKOFF_RESET_MS)
            c->attempts = 0;
    }
}

/* The periodic dispatcher: what is due depends on the state. */
static void on_cron(evutil_socket_t fd, short what, void *ctx)
{
    struct smpp_conn *c = ctx;
    (void)fd;
    (void)what;
    conn_enter(c);
    uint64_t now = now_ms();
    c->cron_loops++;
    fail_queue(c, -RAIA_ETIMEOUT, RESEND_MAX_AGE_MS);
    if (c->closing && now - c->closing_since >= FLUSH_WAIT_MS) {
        link_down(c, c->closing_reason);
    } else {
        switch (c->state) {
        case SMPP_CONN_DISCONNECTED:
            if (c->started && now >= c->reconnect_at)
                link_open(c);
            break;
        case SMPP_CONN_CONNECTING:
            if (now - c->state_since >= c->timeout_ms)
                link_down(c, "connect_timeout");
            break;
        case SMPP_CONN_BINDING:
            if (now - c->state_since >= c->timeout_ms)
                link_down(c, "bind_timeout");
            break;
        case SMPP_CONN_BOUND:
            cron_bound(c, now);
            break;
        case SMPP_CONN_UNBINDING:
            if (now - c->state_since >= UNBIND_WAIT_MS)
                link_down(c, "unbind_timeout");
            break;
        case SMPP_CONN_CLOSED:
            break;
        }
    }
    conn_leave(c);
}

/* ---- public API ---- */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/*
 * Resolves host once. Numeric IPv4 / IPv6 addresses never touch DNS;
 * "localhost" and other names go through getaddrinfo, which blocks, so this
 * runs here, at start-up, before the loop does anything else (STYLE rule
 * 12). A name whose address changes needs a restart.
 */
static int resolve(struct smpp_conn *c, const char *host, int port, struct raia_err *err)
{
    struct evutil_addrinfo hints, *res = NULL;
    char port_s[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    snprintf(port_s, sizeof port_s, "%d", port);
    int rc = evutil_getaddrinfo(host, port_s, &hints, &res);
    if (rc != 0 || !res)
        return raia_err_set(err, RAIA_ECONFIG, "smsc %s: cannot resolve host %s: %s", c->name, host,
                            evutil_gai_strerror(rc));
    memcpy(&c->addr, res->ai_addr, res->ai_addrlen);
    c->addr_len = (ev_socklen_t)res->ai_addrlen;
    evutil_freeaddrinfo(res);
    return 0;
}

static int check_opts(const struct smpp_conn_opts *o, struct raia_err *err)
{
    if (!o->name || !o->host || !o->system_id || !o->password)
        return raia_err_set(err, RAIA_EINVAL, "smsc: name, host, system_id, password needed");
    if (o->port < 1 || o->port > 65535)
        return raia_err_set(err, RAIA_ECONFIG, "smsc %s: port %d not in [1,65535]", o->name,
                            o->port);
    if (o->window < 1 || o->window > WINDOW_MAX)
        return raia_err_set(err, RAIA_ECONFIG, "smsc %s: window %d not in [1,%d]", o->name,
                            o->window, WINDOW_MAX);
    if (o->enquire_link_s < 1 || o->response_timeout_s < 1 || o->reconnect_min_s < 1 ||
        o->reconnect_max_s < o->reconnect_min_s)
        return raia_err_set(err, RAIA_ECONFIG,
                            "smsc %s: timers must be >= 1 s and reconnect_max >= reconnect_min",
                            o->name);
    if (strlen(o->system_id) >= sizeof((struct smpp_bind *)0)->system_id ||
        strlen(o->password) >= sizeof((struct smpp_bind *)0)->password ||
        (o->system_type && strlen(o->system_type) >= sizeof((struct smpp_bind *)0)->system_type) ||
        (o->address_range &&
         strlen(o->address_range) >= sizeof((struct smpp_bind *)0)->address_range))
        return raia_err_set(err, RAIA_ECONFIG,
                            "smsc %s: system_id <= 15, password <= 8, system_type <= 12, "
                            "address_range <= 40 chars",
                            o->name);
    enum smpp_charset cs;
    if (o->sms_charset && smpp_charset_parse(o->sms_charset, &cs) < 0)
        return raia_err_set(err, RAIA_ECONFIG,
                            "smsc %s: sms_charset '%s' is not gsm7, latin1 or ucs2", o->name,
                            o->sms_charset);
    if ((unsigned)o->bind_type > SMPP_BIND_RX || o->addr_ton < 0 || o->addr_ton > 255 ||
        o->addr_npi < 0 || o->addr_npi > 255)
        return raia_err_set(err, RAIA_ECONFIG, "smsc %s: bad bind type or TON/NPI", o->name);
    return 0;
}

struct smpp_conn *smpp_conn_new(struct event_base *base, const struct smpp_conn_opts *opts,
                                smpp_conn_mo_cb on_mo, smpp_conn_state_cb on_state, void *ctx,
                                struct raia_err *err)
{
    if (!on_mo) {
        raia_err_set(err, RAIA_EINVAL, "smsc: an MO callback is needed");
        return NULL;
    }
    if (check_opts(opts, err) < 0)
        return NULL;
    struct smpp_conn *c = calloc(1, sizeof *c);
    if (!c) {
        raia_err_set(err, RAIA_ENOMEM, "smsc %s: out of memory", opts->name);
        return NULL;
    }
    c->base = base;
    c->name = dup_str(opts->name);
    c->operator_name = dup_str(opts->operator_name ? opts->operator_name : opts->name);
    c->win = calloc((size_t)opts->window, sizeof *c->win);
    c->cron = event_new(base, -1, EV_PERSIST, on_cron, c);
    c->pump_timer = evtimer_new(base, on_pump_timer, c);
    if (!c->name || !c->operator_name || !c->win || !c->cron || !c->pump_timer) {
        raia_err_set(err, RAIA_ENOMEM, "smsc %s: out of memory", opts->name);
        conn_destroy(c);
        return NULL;
    }
    if (resolve(c, opts->host, opts->port, err) < 0) {
        conn_destroy(c);
        return NULL;
    }
    str_copy(c->bind.system_id, sizeof c->bind.system_id, opts->system_id);
    str_copy(c->bind.password, sizeof c->bind.password, opts->password);
    str_copy(c->bind.system_type, sizeof c->bind.system_type,
             opts->system_type ? opts->system_type : "");
    c->bind.interface_version = 0x34;
    c->bind.addr_ton = (uint8_t)opts->addr_ton;
    c->bind.addr_npi = (uint8_t)opts->addr_npi;
    str_copy(c->bind.address_range, sizeof c->bind.address_range,
             opts->address_range ? opts->address_range : "");
    c->bind_type = opts->bind_type;
    c->charset = SMPP_CHARSET_GSM7;
    if (opts->sms_charset)
        smpp_charset_parse(opts->sms_charset, &c->charset);
    c->enquire_ms = (uint64_t)opts->enquire_link_s * 1000;
    c->timeout_ms = (uint64_t)opts->response_timeout_s * 1000;
    c->reconnect_min_ms = (uint64_t)opts->reconnect_min_s * 1000;
    c->reconnect_max_ms = (uint64_t)opts->reconnect_max_s * 1000;
    c->window = opts->window;
    c->rate.max_tps = opts->max_tps;
    c->rate.credit = 1000;
    c->rate.credit_at = now_ms();
    c->on_mo = on_mo;
    c->on_state = on_state;
    c->ctx = ctx;
    c->state = SMPP_CONN_DISCONNECTED;
    c->rng = now_ms() ^ (uint64_t)(uintptr_t)c ^ 0x9E3779B97F4A7C15ull;
    return c;
}

int smpp_conn_start(struct smpp_conn *c)
{
    if (c->started || c->stopping)
        return -RAIA_EINVAL;
    struct timeval tick = {0, CRON_MS * 1000};
    if (event_add(c->cron, &tick) < 0)
        return -RAIA_EIO;
    c->started = 1;
    conn_enter(c);
    link_open(c);
    conn_leave(c);
    return 0;
}

int smpp_conn_submit(struct smpp_conn *c, const struct smpp_sm *mt, smpp_conn_submit_cb cb,
                     void *ctx)
{
    if (c->bind_type == SMPP_BIND_RX)
        return -RAIA_EINVAL;
    if (c->state != SMPP_CONN_BOUND || c->stopping || c->closing)
        return -RAIA_EIO;
    if (c->queue.len >= QUEUE_MAX)
        return -RAIA_EFULL;
    uint8_t buf[SMPP_PDU_MAX];
    long n = smpp_fast_encode_sm(SMPP_SUBMIT_SM, 1, mt, buf, sizeof buf);
    if (n < 0)
        return (int)n;
    struct smpp_out *o = smpp_out_new(buf, (size_t)n, cb, ctx, now_ms());
    if (!o)
        return -RAIA_ENOMEM;
    smpp_outq_insert(&c->queue, o);
    pump_queue(c);
    return 0;
}

void smpp_conn_ack_mo(struct smpp_conn *c, struct smpp_mo_ref ref, uint32_t status)
{
    if (!c->bev || c->closing || ref.link != c->generation ||
        (c->state != SMPP_CONN_BOUND && c->state != SMPP_CONN_UNBINDING)) {
        log_at(LOG_DEBUG, "smpp", "op=%s event=ack_dropped seq=%u reason=old_link", c->name,
               ref.seq);
        return;
    }
    uint8_t buf[32];
    send_pdu(c, buf,
             smpp_encode_sm_resp(SMPP_DELIVER_SM_RESP, status, ref.seq, NULL, buf, sizeof buf));
}

/*
 * Graceful stop (research S8): no new submits; queued ones fail now; a bound
 * link sends unbind and keeps answering deliver_sm and taking submit_sm_resp
 * until unbind_resp or UNBIND_WAIT_MS; any other state closes at once.
 */
void smpp_conn_stop(struct smpp_conn *c)
{
    if (c->stopping || c->state == SMPP_CONN_CLOSED)
        return;
    c->stopping = 1;
    conn_enter(c);
    log_at(LOG_INFO, "smpp", "op=%s event=stop", c->name);
    switch (c->state) {
    case SMPP_CONN_BOUND:
        if (!c->closing) {
            c->unbind_seq = next_seq(c);
            send_header_only(c, SMPP_UNBIND, SMPP_ESME_ROK, c->unbind_seq);
            conn_set_state(c, SMPP_CONN_UNBINDING);
            fail_queue(c, -RAIA_EIO, 0);
        }
        break;
    case SMPP_CONN_CONNECTING:
    case SMPP_CONN_BINDING:
        link_down(c, "stopped");
        break;
    case SMPP_CONN_DISCONNECTED:
        event_del(c->cron);
        conn_set_state(c, SMPP_CONN_CLOSED);
        fail_queue(c, -RAIA_EIO, 0); /* waited for a link that will not come */
        break;
    case SMPP_CONN_UNBINDING:
    case SMPP_CONN_CLOSED:
        break;
    }
    conn_leave(c);
}

enum smpp_conn_state smpp_conn_get_state(const struct smpp_conn *c)
{
    return c->state;
}

const char *smpp_conn_operator(const struct smpp_conn *c)
{
    return c->operator_name;
}

enum smpp_charset smpp_conn_charset(const struct smpp_conn *c)
{
    return c->charset;
}

int smpp_conn_can_submit(const struct smpp_conn *c)
{
    return c->bind_type != SMPP_BIND_RX;
}

int smpp_conn_rebound_at(const struct smpp_conn *c, uint64_t *bound_at_ms)
{
    *bound_at_ms = c->bound_at;
    return c->state == SMPP_CONN_BOUND && c->binds > 1;
}

const char *smpp_conn_name(const struct smpp_conn *c)
{
    return c->name;
}

/* Frees everything; pending and queued submits are dropped without their
 * callbacks (the owner is tearing down). */
static void conn_destroy(struct smpp_conn *c)
{
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->cron)
        event_free(c->cron);
    if (c->pump_timer)
        event_free(c->pump_timer);
    while (c->queue.head)
        free(smpp_outq_pop(&c->queue));
    for (int i = 0; c->win && i < c->window; i++)
        free(c->win[i].out);
    free(c->win);
    free(c->name);
    free(c->operator_name);
    free(c);
}

void smpp_conn_free(struct smpp_conn *c)
{
    if (!c)
        return;
    if (c->depth > 0) {
        c->freeing = 1;
        return;
    }
    conn_destroy(c);
}
