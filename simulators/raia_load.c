/*
 * raia_load.c - raia-load, an SMSC-side load generator for raia-gateway
 * (docs/performance.md). It listens on the SMPP port like raia-smsc-sim,
 * accepts the gateway's bind, and plays many virtual phones through the
 * community report (load_script.c) as fast as the gateway answers: closed
 * loop with C sessions in flight, or open loop at R new sessions a second.
 * At the end it prints one JSON line (load_stats.c) and exits 0.
 *
 * Two modes: USSD (the default; a dialogue on the USSD code) and SMS
 * (--sms: the same turns as SMS to a short code, the first one the
 * keyword). In SMS mode a turn ends when the whole reply is in: every
 * part of a concatenated submit_sm. --static-reply checks each reply
 * against one fixed text instead of the flow's screens, so the same
 * traffic can drive any SMS gateway with a static reply service
 * (bench/compare-kannel drives Kannel with it). Any ESME that binds with
 * the right credentials is served alike.
 *
 * Everything runs in one event loop: the listener, the gateway
 * connections (struct load_conn), a cron (every 5 ms; every 1 ms in open
 * loop, which starts sessions from it) for session starts, turn timeouts
 * and the stop check, and the signal events. Phones live in a fixed
 * pool allocated once; a phone's msisdn encodes its slot (base + gen *
 * pool + slot), so the submit_sm that answers a turn is matched to its
 * phone by destination_addr with one division and no lookup table, and
 * every session still has a msisdn of its own. The deliver_sm template is
 * filled once and patched per turn, so a turn allocates nothing here
 * (libevent may still allocate buffer chains).
 *
 * Links only the codec (raia_smpp), raia_common and libevent, like the
 * other simulators; never the gateway's logic.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "load_script.h"
#include "load_stats.h"
#include "log.h"
#include "raia_err.h"
#include "sim_net.h"
#include "sim_sm.h"
#include "smpp_fast.h"
#include "smpp_pdu.h"
#include "smpp_text.h"
#include "sms_concat.h"

#define EXIT_USAGE 64
#define CRON_MS 5
#define BIND_WAIT_S 30
#define POOL_MAX (1u << 20)
#define TURN_TEXT_MAX 160 /* the text of one turn, NUL included */

struct load_options {
    const char *system_id, *password, *code;
    const char *keyword;      /* SMS mode: turn 0's text */
    const char *static_reply; /* every reply must start with this; NULL: the flow's screens */
    int sms;
    unsigned long long port, sessions, msisdn_base, concurrency, rate, turns, duration_s,
        timeout_ms, seed;
};

enum load_conn_state { LOAD_CONN_OPEN, LOAD_CONN_BOUND_TX, LOAD_CONN_BOUND_RX, LOAD_CONN_CLOSING };

/* One gateway connection on the SMPP port. */
struct load_conn {
    struct load *l;
    struct bufferevent *bev;
    enum load_conn_state state;
    uint32_t seq; /* our last deliver_sm sequence number */
    struct load_conn *next;
};

/* One virtual phone slot; number 0 means free. */
struct phone {
    uint64_t number;  /* msisdn as a number */
    uint64_t sent_us; /* when the pending turn's deliver_sm was queued; 0 = none */
    uint32_t gen;     /* sessions this slot has played, to make msisdns unique */
    uint32_t next_free;
    uint16_t its_session; /* (n % 255 + 1) << 8 */
    uint8_t turn;         /* the turn awaiting its screen */
    uint8_t parts;        /* SMS: parts of the pending reply seen so far */
    uint8_t screen;       /* SMS: enum load_screen of the pending reply's first part */
    uint8_t area;         /* the "Prefer not to say" number of the area screen */
    char msisdn[21];
};

struct load {
    struct event_base *base;
    const struct load_options *opt;
    struct evconnlistener *lis;
    struct load_conn *conns; /* newest first */
    struct event *cron, *sig_int, *sig_term;
    struct phone *phones;
    uint32_t pool, free_head, active;
    uint32_t rng;
    int begun, stopping;
    uint64_t t0_us, deadline_us, bind_deadline_us, end_us, next_timeout_scan_us;
    unsigned long next_msg_id;
    struct smpp_sm mo; /* deliver_sm template, patched per turn */
    struct smpp_sm mt; /* decoded submit_sm, reused */
    struct load_stats st;
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void load_stop(struct load *l)
{
    if (l->stopping)
        return;
    l->stopping = 1;
    l->end_us = now_us();
    event_base_loopexit(l->base, NULL);
}

static void conn_free(struct load_conn *c)
{
    struct load_conn **pp = &c->l->conns;
    while (*pp && *pp != c)
        pp = &(*pp)->next;
    if (*pp)
        *pp = c->next;
    bufferevent_free(c->bev);
    free(c);
}

/* The newest connection bound for receiving: where deliver_sm go. */
static struct load_conn *conn_receiver(struct load *l)
{
    for (struct load_conn *c = l->conns; c; c = c->next)
        if (c->state == LOAD_CONN_BOUND_RX)
            return c;
    return NULL;
}

static void conn_send(struct load_conn *c, const uint8_t *pdu, long n)
{
    if (n < SMPP_HEADER_LEN) {
        log_at(LOG_ERROR, "load", "op=encode err=%ld", n);
        return;
    }
    bufferevent_write(c->bev, pdu, (size_t)n);
}

static void conn_header_only(struct load_conn *c, uint32_t id, uint32_t status, uint32_t seq)
{
    uint8_t b[SMPP_HEADER_LEN];
    conn_send(c, b, smpp_encode_header_only(id, status, seq, b, sizeof b));
}

/* ---- phones ---------------------------------------------------------- */

static void phone_release(struct load *l, struct phone *p)
{
    p->number = 0;
    p->sent_us = 0;
    p->next_free = l->free_head;
    l->free_head = (uint32_t)(p - l->phones);
    l->active--;
}

static void session_failed(struct load *l, struct phone *p)
{
    l->st.sessions_failed++;
    phone_release(l, p);
}

/* Sends the phone's current turn as a deliver_sm. 0, or -1 when the session
 * could not go on (no bound gateway, text that cannot be encoded). */
static int phone_send(struct load *l, struct phone *p)
{
    struct load_conn *c = conn_receiver(l);
    char text[TURN_TEXT_MAX];
    const char *first = l->opt->sms ? l->opt->keyword : l->opt->code;
    int n = p->turn == LOAD_SCRIPT_TURNS /* the area screen's answer */
                ? snprintf(text, sizeof text, "%u", (unsigned)p->area)
                : load_script_text(p->turn, first, &l->rng, text, sizeof text);
    if (!c || n < 0)
        return -1;
    struct smpp_sm *mo = &l->mo;
    if (smpp_text_set(mo, text) < 0)
        return -1;
    memcpy(mo->source_addr, p->msisdn, sizeof mo->source_addr);
    if (!l->opt->sms) {
        mo->ussd_service_op = p->turn == 0 ? SMPP_USSD_PSSR_IND : SMPP_USSD_USSR_CONF;
        mo->its_session_info = p->its_session;
    }
    uint8_t out[512];
    uint32_t seq = smpp_seq_next(c->seq);
    long len = smpp_fast_encode_sm(SMPP_DELIVER_SM, seq, mo, out, sizeof out);
    if (len < 0)
        return -1;
    c->seq = seq;
    p->sent_us = now_us();
    p->parts = 0;
    p->screen = LOAD_SCREEN_WRONG; /* until its first part is in */
    conn_send(c, out, len);
    return 0;
}

static void session_start(struct load *l)
{
    if (l->free_head == UINT32_MAX) {
        log_at(LOG_WARN, "load", "op=start err=pool_full pool=%u", l->pool);
        return;
    }
    struct phone *p = &l->phones[l->free_head];
    l->free_head = p->next_free;
    l->active++;
    uint32_t slot = (uint32_t)(p - l->phones);
    p->gen++;
    p->number = l->opt->msisdn_base + (uint64_t)p->gen * l->pool + slot;
    snprintf(p->msisdn, sizeof p->msisdn, "%" PRIu64, p->number);
    p->its_session = (uint16_t)((l->st.sessions_started % 255 + 1) << 8);
    p->turn = 0;
    l->st.sessions_started++;
    if (phone_send(l, p) < 0)
        session_failed(l, p);
}

/* Starts what the mode allows now, and stops when all is done. Called after
 * every finished session and from the cron. */
static void load_pump(struct load *l, uint64_t now)
{
    const struct load_options *o = l->opt;
    if (!l->begun || l->stopping)
        return;
    if (now >= l->deadline_us) {
        load_stop(l);
        return;
    }
    if (!conn_receiver(l)) /* the gateway is away: wait for it, do not fail every session */
        return;
    if (o->rate) {
        uint64_t due = (now - l->t0_us) * o->rate / 1000000u + 1;
        while (l->st.sessions_started < due && l->st.sessions_started < o->sessions &&
               l->free_head != UINT32_MAX)
            session_start(l);
    } else {
        while (l->active < o->concurrency && l->st.sessions_started < o->sessions)
            session_start(l);
    }
    if (l->st.sessions_started >= o->sessions && l->active == 0)
        load_stop(l);
}

/* Turns older than timeout_ms fail their session (checked every 100 ms). */
static void scan_timeouts(struct load *l, uint64_t now)
{
    uint64_t limit = (uint64_t)l->opt->timeout_ms * 1000u;
    for (uint32_t i = 0; i < l->pool; i++) {
        struct phone *p = &l->phones[i];
        if (p->number && p->sent_us && now - p->sent_us > limit) {
            l->st.timed_out++;
            session_failed(l, p);
        }
    }
}

/* The phone a submit_sm is for, or NULL (a late answer to a finished session).
 * A leading '+' (Kannel writes international numbers so) is skipped. */
static struct phone *phone_of(struct load *l, const char *addr)
{
    char *end;
    addr += *addr == '+';
    unsigned long long n = strtoull(addr, &end, 10);
    if (end == addr || *end || n < l->opt->msisdn_base)
        return NULL;
    struct phone *p = &l->phones[(n - l->opt->msisdn_base) % l->pool];
    return p->number == n && p->sent_us ? p : NULL;
}

/*
 * What screen means after p's turn: the flow's next screen or end screen,
 * or with --static-reply the fixed text (the session ends after the
 * report's five turns). Keeps the "Prefer not to say" number of an area
 * screen for the next turn. A refusal counts in throttled.
 */
static enum load_screen screen_check(struct load *l, struct phone *p, const char *screen)
{
    const char *want = l->opt->static_reply;
    enum load_screen r;
    if (want)
        r = strncmp(screen, want, strlen(want)) != 0 ? LOAD_SCREEN_WRONG
            : p->turn + 1 >= LOAD_SCRIPT_TURNS       ? LOAD_SCREEN_END
                                                     : LOAD_SCREEN_NEXT;
    else
        r = load_script_screen(p->turn, screen);
    if (r == LOAD_SCREEN_NEXT && !want && p->turn == LOAD_SCRIPT_TURNS - 1)
        p->area = (uint8_t)load_script_prefer_not(screen);
    if (r != LOAD_SCREEN_WRONG)
        return r;
    enum load_refusal why = load_script_refusal(screen);
    if (why == LOAD_REFUSAL_SLOW_DOWN || why == LOAD_REFUSAL_BUSY)
        l->st.throttled++;
    log_at(LOG_DEBUG, "load", "op=screen turn=%d refusal=%d", p->turn, (int)why);
    return LOAD_SCREEN_WRONG;
}

/* USSD: the screen must also echo the session and end the dialogue exactly at the end. */
static enum load_screen ussd_screen(struct load *l, struct phone *p, const struct smpp_sm *mt)
{
    char screen[SIM_SM_TEXT_MAX];
    sim_sm_text(mt, screen);
    enum load_screen r = screen_check(l, p, screen);
    int end = mt->ussd_service_op == SMPP_USSD_PSSR_RESP;
    if (end != (r == LOAD_SCREEN_END) || (mt->its_session_info & 0xFF00) != p->its_session)
        return LOAD_SCREEN_WRONG;
    return r;
}

/*
 * SMS: one part of the reply to p's turn. The text is checked on the first
 * part (the screen's start) into p->screen. 1 when the reply is complete
 * (a single message, or as many parts as its header announced), 0 while
 * parts are missing. A part with a bad header makes the reply wrong.
 */
static int sms_part_in(struct load *l, struct phone *p, const struct smpp_sm *mt)
{
    struct sms_udh u;
    size_t len = mt->sm_length <= sizeof mt->short_message ? mt->sm_length : 0;
    if (sms_concat_udh(mt->esm_class, mt->short_message, len, &u) < 0) {
        p->screen = LOAD_SCREEN_WRONG;
        return 1;
    }
    int total = u.has_concat ? u.total : 1, seq = u.has_concat ? u.seq : 1;
    if (seq == 1) {
        char screen[SIM_SM_TEXT_MAX];
        smpp_text_decode(mt->data_coding, mt->short_message + u.payload_off, len - u.payload_off,
                         screen, sizeof screen);
        p->screen = (uint8_t)screen_check(l, p, screen);
    }
    return ++p->parts >= total;
}

/* A screen (or an SMS part) for p arrived: check it, time the turn, and answer or finish. */
static void phone_screen(struct load *l, struct phone *p, const struct smpp_sm *mt, uint64_t now)
{
    enum load_screen r;
    if (l->opt->sms) {
        if (!sms_part_in(l, p, mt))
            return;
        r = (enum load_screen)p->screen;
    } else {
        r = ussd_screen(l, p, mt);
    }
    load_stats_turn(&l->st, now - p->sent_us);
    p->sent_us = 0;
    if (r == LOAD_SCREEN_WRONG) {
        session_failed(l, p);
    } else if (r == LOAD_SCREEN_END || p->turn + 1 >= (int)l->opt->turns) {
        l->st.sessions_completed++; /* ended, or left open after --turns */
        phone_release(l, p);
    } else {
        p->turn++;
        if (phone_send(l, p) == 0)
            return;
        session_failed(l, p);
    }
    load_pump(l, now);
}

/* ---- SMPP ------------------------------------------------------------ */

static void load_begin(struct load *l)
{
    if (l->begun)
        return;
    l->begun = 1;
    l->t0_us = now_us();
    l->deadline_us = l->t0_us + (uint64_t)l->opt->duration_s * 1000000u;
    log_at(LOG_INFO, "load", "op=begin sessions=%llu", l->opt->sessions);
    load_pump(l, l->t0_us);
}

static void on_bind(struct load_conn *c, const struct smpp_header *h, const uint8_t *pdu)
{
    const struct load_options *o = c->l->opt;
    uint32_t status =
        sim_net_bind_status(h, pdu, c->state != LOAD_CONN_OPEN, o->system_id, o->password);
    uint8_t out[64];
    conn_send(c, out,
              smpp_encode_bind_resp(h->command_id | SMPP_GENERIC_NACK, status, h->sequence_number,
                                    "raia-load", out, sizeof out));
    if (status != SMPP_ESME_ROK) {
        log_at(LOG_WARN, "load", "op=bind status=0x%02x", (unsigned)status);
        return;
    }
    c->state = h->command_id == SMPP_BIND_TRANSMITTER ? LOAD_CONN_BOUND_TX : LOAD_CONN_BOUND_RX;
    if (c->state == LOAD_CONN_BOUND_RX)
        load_begin(c->l);
}

static void on_submit(struct load_conn *c, const struct smpp_header *h, const uint8_t *pdu)
{
    struct load *l = c->l;
    uint32_t status = SMPP_ESME_ROK;
    int ok = smpp_fast_decode_sm(pdu, h->command_length, &l->mt, &status) == 0;
    char id[24] = "";
    if (ok)
        snprintf(id, sizeof id, "%lu", ++l->next_msg_id);
    uint8_t out[96];
    conn_send(
        c, out,
        smpp_encode_sm_resp(SMPP_SUBMIT_SM_RESP, status, h->sequence_number, id, out, sizeof out));
    if (!ok || l->stopping) /* after the stop: answered, not counted */
        return;
    struct phone *p = phone_of(l, l->mt.destination_addr);
    if (p)
        phone_screen(l, p, &l->mt, now_us());
}

static void conn_pdu(struct load_conn *c, const struct smpp_header *h, const uint8_t *pdu)
{
    switch (h->command_id) {
    case SMPP_BIND_TRANSCEIVER:
    case SMPP_BIND_TRANSMITTER:
    case SMPP_BIND_RECEIVER:
        on_bind(c, h, pdu);
        break;
    case SMPP_SUBMIT_SM:
        on_submit(c, h, pdu);
        break;
    case SMPP_DELIVER_SM_RESP:
        if (h->command_status == SMPP_ESME_RTHROTTLED || h->command_status == SMPP_ESME_RMSGQFUL)
            c->l->st.throttled++;
        break;
    case SMPP_ENQUIRE_LINK:
        conn_header_only(c, SMPP_ENQUIRE_LINK_RESP, SMPP_ESME_ROK, h->sequence_number);
        break;
    case SMPP_UNBIND:
        conn_header_only(c, SMPP_UNBIND_RESP, SMPP_ESME_ROK, h->sequence_number);
        c->state = LOAD_CONN_CLOSING;
        bufferevent_disable(c->bev, EV_READ);
        break;
    default:
        if (!(h->command_id & SMPP_GENERIC_NACK))
            conn_header_only(c, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDID, h->sequence_number);
        break;
    }
}

static void conn_read(struct bufferevent *bev, void *ctx)
{
    struct load_conn *c = ctx;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (c->state != LOAD_CONN_CLOSING) {
        uint8_t pdu[SMPP_PDU_MAX];
        struct smpp_header h;
        int r = sim_net_take_pdu(in, pdu, &h);
        if (r == 0)
            return;
        if (r < 0) {
            log_at(LOG_WARN, "load", "op=frame err=bad_length");
            conn_header_only(c, SMPP_GENERIC_NACK, SMPP_ESME_RINVCMDLEN, h.sequence_number);
            c->state = LOAD_CONN_CLOSING;
            bufferevent_disable(bev, EV_READ);
            return;
        }
        conn_pdu(c, &h, pdu);
    }
}

static void conn_write(struct bufferevent *bev, void *ctx)
{
    struct load_conn *c = ctx;
    if (c->state == LOAD_CONN_CLOSING && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        conn_free(c);
}

static void conn_event(struct bufferevent *bev, short what, void *ctx)
{
    struct load_conn *c = ctx;
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        log_at(LOG_INFO, "load", "op=disconnect");
        conn_free(c);
    }
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *ctx)
{
    struct load *l = ctx;
    (void)lis;
    (void)sa;
    (void)salen;
    if (sim_net_nodelay(fd) < 0)
        log_at(LOG_WARN, "load", "op=accept err=nodelay");
    struct load_conn *c = calloc(1, sizeof *c);
    struct bufferevent *bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c || !bev) {
        log_at(LOG_ERROR, "load", "op=accept err=nomem");
        free(c);
        if (bev)
            bufferevent_free(bev);
        else
            evutil_closesocket(fd);
        return;
    }
    c->l = l;
    c->bev = bev;
    c->next = l->conns;
    l->conns = c;
    bufferevent_setcb(bev, conn_read, conn_write, conn_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* ---- timers and set-up ------------------------------------------------ */

static void on_cron(evutil_socket_t fd, short what, void *ctx)
{
    struct load *l = ctx;
    (void)fd;
    (void)what;
    uint64_t now = now_us();
    if (!l->begun) {
        if (now >= l->bind_deadline_us) {
            log_at(LOG_ERROR, "load", "op=bind err=timeout s=%d", BIND_WAIT_S);
            load_stop(l);
        }
        return;
    }
    if (now >= l->next_timeout_scan_us) {
        scan_timeouts(l, now);
        l->next_timeout_scan_us = now + 100000u;
    }
    load_pump(l, now);
}

static void on_signal(evutil_socket_t sig, short what, void *ctx)
{
    struct load *l = ctx;
    (void)sig;
    (void)what;
    load_stop(l);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: raia-load --port P --system-id ID --password PW [--sessions N]\n"
               "                 [--concurrency C | --rate R] [--duration S] [--turns K]\n"
               "                 [--timeout-ms T] [--msisdn-base NUM] [--code CODE] [--seed X]\n"
               "                 [--sms [--keyword WORD] [--static-reply TEXT]]\n"
               "                 [--log-level LEVEL]\n");
}

/* A numeric option: its short code, range and field. */
struct num_opt {
    int ch;
    unsigned long long lo, hi;
    size_t off; /* offsetof(struct load_options, field) */
};

static const struct num_opt num_opts[] = {
    {'p', 1, 65535, offsetof(struct load_options, port)},
    {'n', 1, 1000000000ull, offsetof(struct load_options, sessions)},
    {'c', 1, POOL_MAX, offsetof(struct load_options, concurrency)},
    {'r', 1, 1000000, offsetof(struct load_options, rate)},
    {'d', 1, 86400, offsetof(struct load_options, duration_s)},
    {'k', 1, LOAD_SCRIPT_TURNS_MAX, offsetof(struct load_options, turns)},
    {'t', 1, 600000, offsetof(struct load_options, timeout_ms)},
    {'b', 1, 99999999999999ull, offsetof(struct load_options, msisdn_base)},
    {'s', 1, UINT32_MAX, offsetof(struct load_options, seed)},
};

/* Reads a numeric option's value into its field; 0, or -1 if out of range. */
static int parse_num(int ch, const char *arg, struct load_options *o)
{
    for (size_t i = 0; i < sizeof num_opts / sizeof num_opts[0]; i++) {
        const struct num_opt *n = &num_opts[i];
        if (n->ch != ch)
            continue;
        char *end;
        if (!arg || !*arg || *arg == '-')
            return -1;
        unsigned long long v = strtoull(arg, &end, 10);
        if (*end || v < n->lo || v > n->hi)
            return -1;
        memcpy((char *)o + n->off, &v, sizeof v);
        return 0;
    }
    return -1;
}

/* Fills o from argv; 0, or -1 after printing why. */
static int parse_args(int argc, char **argv, struct load_options *o)
{
    static const struct option longopts[] = {
        {"port", 1, NULL, 'p'},        {"system-id", 1, NULL, 'i'},    {"password", 1, NULL, 'w'},
        {"sessions", 1, NULL, 'n'},    {"concurrency", 1, NULL, 'c'},  {"rate", 1, NULL, 'r'},
        {"duration", 1, NULL, 'd'},    {"turns", 1, NULL, 'k'},        {"timeout-ms", 1, NULL, 't'},
        {"msisdn-base", 1, NULL, 'b'}, {"code", 1, NULL, 'u'},         {"seed", 1, NULL, 's'},
        {"log-level", 1, NULL, 'l'},   {"help", 0, NULL, 'h'},         {"sms", 0, NULL, 'm'},
        {"keyword", 1, NULL, 'y'},     {"static-reply", 1, NULL, 'x'}, {NULL, 0, NULL, 0}};
    int opt, bad = 0, have_c = 0;
    enum log_level lv;
    while (!bad && (opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (opt) {
        case 'i':
            o->system_id = optarg;
            break;
        case 'w':
            o->password = optarg;
            break;
        case 'u':
            o->code = optarg;
            break;
        case 'm':
            o->sms = 1;
            break;
        case 'y':
            o->keyword = optarg;
            break;
        case 'x':
            o->static_reply = optarg;
            break;
        case 'l':
            bad = log_level_parse(optarg, &lv) < 0;
            log_min_level = lv;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case '?':
            bad = 1;
            break;
        default:
            have_c |= opt == 'c';
            bad = parse_num(opt, optarg, o) < 0;
            break;
        }
        if (bad && opt != '?')
            fprintf(stderr, "raia-load: bad value %s\n", optarg ? optarg : "");
    }
    if (!bad && (!o->port || !o->system_id || !o->password)) {
        fprintf(stderr, "raia-load: --port, --system-id and --password are required\n");
        bad = 1;
    }
    if (!bad && have_c && o->rate) {
        fprintf(stderr, "raia-load: --concurrency and --rate exclude each other\n");
        bad = 1;
    }
    if (!bad && !o->sms && (o->keyword || o->static_reply)) {
        fprintf(stderr, "raia-load: --keyword and --static-reply need --sms\n");
        bad = 1;
    }
    if (!bad && optind < argc) {
        fprintf(stderr, "raia-load: unexpected argument %s\n", argv[optind]);
        bad = 1;
    }
    if (bad)
        usage(stderr);
    return bad ? -1 : 0;
}

/* Pool size: closed loop needs C slots; open loop every session that can
 * be in flight at R a second for one timeout, and some headroom. */
static uint32_t pool_size(const struct load_options *o)
{
    unsigned long long n = o->concurrency;
    if (o->rate)
        n = (unsigned long long)o->rate * (o->timeout_ms / 1000u + 1u) * LOAD_SCRIPT_TURNS_MAX +
            64u;
    if (n > o->sessions)
        n = o->sessions;
    return n > POOL_MAX ? POOL_MAX : (uint32_t)n;
}

static void template_init(struct load *l)
{
    struct smpp_sm *mo = &l->mo;
    memset(mo, 0, sizeof *mo);
    mo->ussd_service_op = -1;
    mo->its_session_info = -1;
    if (!l->opt->sms)
        snprintf(mo->service_type, sizeof mo->service_type, "USSD");
    mo->source_addr_ton = 1;
    mo->source_addr_npi = 1;
    snprintf(mo->destination_addr, sizeof mo->destination_addr, "%s", l->opt->code);
    mo->data_coding = SMPP_DC_DEFAULT;
}

int main(int argc, char **argv)
{
    struct load_options o = {.sessions = 1000,
                             .concurrency = 10,
                             .duration_s = 60,
                             .turns = LOAD_SCRIPT_TURNS_MAX,
                             .timeout_ms = 10000,
                             .msisdn_base = 256710000000ull,
                             .seed = 1};
    log_min_level = LOG_WARN;
    if (parse_args(argc, argv, &o) < 0)
        return EXIT_USAGE;
    if (!o.code)
        o.code = o.sms ? "15012" : "*384*12#";
    if (!o.keyword)
        o.keyword = "REPORT";
    if (strlen(o.code) >= sizeof((struct smpp_sm *)0)->destination_addr) {
        fprintf(stderr, "raia-load: --code too long\n");
        return EXIT_USAGE;
    }
    if (strlen(o.keyword) >= TURN_TEXT_MAX) {
        fprintf(stderr, "raia-load: --keyword too long\n");
        return EXIT_USAGE;
    }
    signal(SIGPIPE, SIG_IGN);

    static struct load l; /* large (two smpp_sm and the histogram): not on the stack */
    l.opt = &o;
    l.rng = (uint32_t)o.seed;
    l.pool = pool_size(&o);
    load_stats_init(&l.st);
    template_init(&l);
    l.phones = calloc(l.pool, sizeof *l.phones);
    if (!l.phones) {
        fprintf(stderr, "raia-load: out of memory for %u phones\n", l.pool);
        return 1;
    }
    for (uint32_t i = 0; i < l.pool; i++)
        l.phones[i].next_free = i + 1 < l.pool ? i + 1 : UINT32_MAX;
    l.free_head = 0;

    l.base = event_base_new();
    if (!l.base) {
        fprintf(stderr, "raia-load: cannot create the event base\n");
        return 1;
    }
    l.lis = sim_net_listen(l.base, "127.0.0.1", (int)o.port, on_accept, &l);
    if (!l.lis) {
        fprintf(stderr, "raia-load: cannot listen on 127.0.0.1:%llu\n", o.port);
        return 1;
    }
    l.cron = event_new(l.base, -1, EV_PERSIST, on_cron, &l);
    l.sig_int = evsignal_new(l.base, SIGINT, on_signal, &l);
    l.sig_term = evsignal_new(l.base, SIGTERM, on_signal, &l);
    /* Open loop starts sessions from the cron: tick every millisecond so
     * arrivals stay smooth rather than come in 5 ms bursts. */
    struct timeval tick = {0, (o.rate ? 1 : CRON_MS) * 1000};
    if (!l.cron || !l.sig_int || !l.sig_term || event_add(l.cron, &tick) < 0 ||
        event_add(l.sig_int, NULL) < 0 || event_add(l.sig_term, NULL) < 0) {
        fprintf(stderr, "raia-load: cannot set up timers and signals\n");
        return 1;
    }
    l.bind_deadline_us = now_us() + BIND_WAIT_S * 1000000ull;

    event_base_dispatch(l.base);

    double seconds = l.begun ? (double)(l.end_us - l.t0_us) / 1e6 : 0.0;
    load_stats_print(&l.st, o.sms ? "sms" : "ussd", seconds, stdout);
    /* Its own cost, on stderr (the JSON line stays as documented): a
     * benchmark on a shared machine must know what the generator took. */
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        fprintf(stderr, "raia-load: cpu_s=%.3f cpu_us_per_turn=%.1f\n", cpu,
                l.st.turns ? cpu * 1e6 / (double)l.st.turns : 0.0);
    }
    int rc = l.begun ? 0 : 1;
    if (!l.begun)
        fprintf(stderr, "raia-load: no gateway bound within %d s\n", BIND_WAIT_S);

    while (l.conns)
        conn_free(l.conns);
    evconnlistener_free(l.lis);
    event_free(l.sig_term);
    event_free(l.sig_int);
    event_free(l.cron);
    event_base_free(l.base);
    free(l.phones);
    return rc;
}
