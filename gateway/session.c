/*
 * session.c - one citizen turn, from deliver_sm to submit_sm.
 *
 * A turn is a small heap object that lives across its asynchronous Redis
 * calls: one compare-and-set save when this gateway saved the session last
 * (session_cache.h), else a load and then the save. It holds the raw phone number only to address
 * the reply and wipes it when freed. Every store decision is made here: what becomes an answer
 * event, when a session row starts (consent given), and what a refusal leaves behind (a count,
 * nothing about the person). Called by gateway/main.c; calls flows/ (pure engine) and storage/.
 */
#include "session.h"

#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "clock_ms.h"
#include "contact_seal.h"
#include "dlr_parse.h"
#include "flow.h"
#include "log.h"
#include "metrics.h"
#include "mo_dedup.h"
#include "mt_sms.h"
#include "my_data.h"
#include "pg_lookup.h"
#include "pseudonym.h"
#include "redis_store.h"
#include "session_cache.h"
#include "smpp_text.h"
#include "sms_concat.h"
#include "store_event.h"
#include "str_copy.h"
#include "strbuf.h"
#include "ussd_profile.h"

/* A turn's event documents at most: an earlier one, the session, the
 * answers, a contact decision, the end. */
#define TURN_EVENTS_MAX (FLOW_ANSWERS_MAX + 4)
#define SESSION_ID_HEX 32
#define MO_TEXT_MAX (3 * SMS_CONCAT_MSG_MAX + 1) /* a reassembled MO, as UTF-8 */
#define RECORD_MAX 512
#define CONCAT_PENDING_MAX 1024  /* long MO messages waiting for parts */
#define CONCAT_TIMEOUT_MS 120000 /* a missing part gives up after two minutes */
/* An SMSC redelivers MO whose deliver_sm_resp it did not get once the link is
 * back: an MO identical to one seen in the last 30 s, arriving in the first
 * 30 s of a rebind, is answered and not processed again. */
#define REDELIVERY_WINDOW_MS 30000
#define REDELIVERY_KEYS_MAX 65536
#define SESSION_CONNS_MAX 64
/* Sessions whose last saved state this instance remembers (about 300 bytes
 * each): a continuing turn on one of them costs one Redis round trip. */
#define SESSION_CACHE_MAX 131072
/* A turn whose save meets a newer session steps again on that one, at most
 * this many times in all (two MO of one person racing each other). */
#define TURN_ATTEMPTS_MAX 3

/* Shown when raia cannot store a turn: nothing was recorded, so the citizen
 * must not believe it was. */
static const char busy_screen[] =
    "Sorry, the service is busy and your answer was not saved. Please try again later.";
/* The same phone went over redis.turns_per_minute: also not recorded. */
static const char slow_down_screen[] =
    "Too many messages from your phone. Your answer was not saved. Please try again in a few "
    "minutes.";
static const char unknown_screen[] = "Sorry, there is no survey at this number.";
static const char expired_screen[] = "Your session has ended. Please dial again to start over.";

struct session_router {
    struct redis_store *rs;
    struct pseudonymizer *ps;
    const struct flow_set *flows;
    const struct flow_set *previous; /* the set before the last reload */
    struct sms_concat *concat;       /* long MO SMS being put together */
    struct sms_concat_msg *whole;    /* mo_text()'s buffer: one turn at a time, no malloc per MO */
    struct mo_dedup *recent;         /* salted hashes of recent MO, for redeliveries */
    struct session_cache *cache;     /* the last state saved per pseudonym */
    struct pg_lookup *lookup;        /* for the "my data" menu; NULL: no menu */
    const struct contact_seal *seal; /* "yes" to a contact step; NULL: none kept */
    long long resume_window_ms;      /* offer "continue" to a USSD dial within it; 0: never */
    int sms_ttl_s;                   /* an SMS session's state lives this long; 0: as USSD */
    long long remind_after_ms;       /* one SMS reminder after this much silence; 0: none */
    struct metrics *metrics;         /* NULL: nothing counted */
    char my_data_code[21];           /* its USSD code */
    struct smpp_conn *conns[SESSION_CONNS_MAX]; /* every bind, for reply routes */
    struct ussd_profile profiles[SESSION_CONNS_MAX];
    struct ussd_profile default_profile; /* SMPP 3.4, for a bind not added */
    size_t n_conns;
    uint8_t concat_ref; /* reference of the next long MT SMS */
    size_t in_flight;
    int stopping;
    /* turn_store()'s event documents: one turn at a time, their memory kept
     * from turn to turn instead of grown from nothing for each event */
    struct strbuf event_docs[TURN_EVENTS_MAX];
};

/* What the gateway keeps in Redis between turns, besides the flow's own state. */
struct session_record {
    char session_id[SESSION_ID_HEX + 1];
    char flow_id[FLOW_ID_MAX];
    int flow_version;
    enum flow_channel channel;
    long long started_ms; /* 0 until consent is given */
    long long saved_ms;   /* the last turn; 0 in a record from before it was kept */
    int resume_pending;   /* the citizen dialled again and sees "continue / start again" */
    struct flow_state state;
};

struct turn {
    struct session_router *r;
    struct smpp_conn *conn;
    const struct ussd_profile *profile; /* how conn's operator speaks USSD */
    struct smpp_mo_ref ref;
    enum flow_channel channel;
    char msisdn[21]; /* raw number: memory only, wiped in turn_free */
    uint8_t msisdn_ton, msisdn_npi;
    char service[21]; /* the USSD code or short code the citizen addressed */
    int its_session;  /* echoed in every USSD reply; -1 if absent */
    char pseudonym[PSEUDONYM_HEX_LEN + 1];
    struct flow_def *def; /* referenced while the turn lives */
    struct session_record rec;
    int attempts;            /* saves tried; see TURN_ATTEMPTS_MAX */
    long long received_us;   /* when its deliver_sm arrived (monotonic), for the latency */
    int not_saved;           /* the citizen is told their turn was not stored */
    long long remind_at_ms;  /* the save schedules an SMS reminder then (> 0) or cancels it (< 0) */
    char asked[FLOW_ID_MAX]; /* the step the input answers, and the tries it took (paradata) */
    int tries;
    struct flow_def *dialled;    /* a USSD dial that may find a session to resume (referenced) */
    struct strbuf prior;         /* an event stored before this turn's: the end of a session left */
    int has_expect;              /* the save checks that the session is still expect */
    size_t expect_len, blob_len; /* blob: what this turn saves (the cache's next entry) */
    /* The large buffers last: turn_new zeroes everything above and only
     * empties these, since each is written before it is read. */
    char text[MO_TEXT_MAX]; /* MO text as UTF-8 */
    struct flow_output out;
    char remind_job[RECORD_MAX];
    char expect[RECORD_MAX];
    char blob[RECORD_MAX];
};

static long long clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Wall clock for what is stored; timeouts use CLOCK_MONOTONIC. */
static long long now_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

struct session_router *session_router_new(struct redis_store *rs, struct pseudonymizer *ps,
                                          const struct flow_set *flows)
{
    long long ttl_ms = 1000LL * redis_store_session_ttl(rs);
    struct session_router *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    ussd_profile_preset("smpp34", &r->default_profile);
    r->concat = sms_concat_new(CONCAT_PENDING_MAX, CONCAT_TIMEOUT_MS);
    r->whole = malloc(sizeof *r->whole);
    r->recent = mo_dedup_new(REDELIVERY_KEYS_MAX, REDELIVERY_WINDOW_MS);
    r->cache = session_cache_new(SESSION_CACHE_MAX, ttl_ms);
    if (!r->concat || !r->whole || !r->recent || !r->cache) {
        session_router_free(r);
        return NULL;
    }
    r->rs = rs;
    r->ps = ps;
    r->flows = flows;
    return r;
}

void session_router_set_flows(struct session_router *r, const struct flow_set *flows)
{
    r->previous = r->flows;
    r->flows = flows;
}

void session_router_set_my_data(struct session_router *r, struct pg_lookup *lookup,
                                const char *code)
{
    r->lookup = lookup;
    str_copy(r->my_data_code, sizeof r->my_data_code, code ? code : "");
}

void session_router_set_lifetimes(struct session_router *r, int resume_window_s, int sms_ttl_s,
                                  int sms_reminder_s)
{
    r->remind_after_ms = 1000LL * (sms_reminder_s > 0 ? sms_reminder_s : 0);
    r->resume_window_ms = 1000LL * (resume_window_s > 0 ? resume_window_s : 0);
    r->sms_ttl_s = sms_ttl_s > 0 ? sms_ttl_s : 0;
}

void session_router_set_contacts(struct session_router *r, const struct contact_seal *seal)
{
    r->seal = seal;
}

void session_router_set_metrics(struct session_router *r, struct metrics *m)
{
    r->metrics = m;
}

size_t session_router_cached(const struct session_router *r)
{
    return session_cache_count(r->cache);
}

void session_router_add_conn(struct session_router *r, struct smpp_conn *conn,
                             const struct ussd_profile *profile)
{
    if (r->n_conns < SESSION_CONNS_MAX) {
        r->profiles[r->n_conns] = *profile;
        r->conns[r->n_conns++] = conn;
    }
}

static const struct ussd_profile *profile_of(const struct session_router *r,
                                             const struct smpp_conn *conn)
{
    for (size_t i = 0; i < r->n_conns; i++)
        if (r->conns[i] == conn)
            return &r->profiles[i];
    return &r->default_profile;
}

/*
 * The bind a reply to t leaves through: the one the MO came in on when it
 * can transmit; else a transmitting bind of the same operator, a bound one
 * first (the operator routes the reply to the subscriber's network).
 */
static struct smpp_conn *reply_conn(const struct turn *t)
{
    if (smpp_conn_can_submit(t->conn))
        return t->conn;
    struct smpp_conn *any = NULL;
    const char *op = smpp_conn_operator(t->conn);
    for (size_t i = 0; i < t->r->n_conns; i++) {
        struct smpp_conn *c = t->r->conns[i];
        if (!smpp_conn_can_submit(c) || strcmp(smpp_conn_operator(c), op) != 0)
            continue;
        if (smpp_conn_get_state(c) == SMPP_CONN_BOUND)
            return c;
        any = c;
    }
    return any;
}

void session_router_stop(struct session_router *r)
{
    r->stopping = 1;
}

size_t session_router_in_flight(const struct session_router *r)
{
    return r->in_flight;
}

void session_router_free(struct session_router *r)
{
    if (r) {
        for (size_t i = 0; i < TURN_EVENTS_MAX; i++)
            strbuf_free(&r->event_docs[i]);
        sms_concat_free(r->concat);
        free(r->whole);
        mo_dedup_free(r->recent);
        session_cache_free(r->cache);
    }
    free(r);
}

static void turn_free(struct turn *t)
{
    t->r->in_flight--;
    flow_def_unref(t->def);
    flow_def_unref(t->dialled);
    strbuf_free(&t->prior);
    OPENSSL_cleanse(t->msisdn, sizeof t->msisdn);
    OPENSSL_cleanse(t->text, strlen(t->text));
    free(t);
}

/*
 * A turn, allocated without calloc: zeroing its kilobytes of buffers (MO
 * text, screen and answers, records) per MO was 5% of the gateway's CPU.
 * The fields before them start zero, as with calloc; the buffers empty.
 */
static struct turn *turn_new(void)
{
    struct turn *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, offsetof(struct turn, text));
    t->text[0] = '\0';
    flow_output_clear(&t->out);
    t->remind_job[0] = '\0';
    return t;
}

/*
 * How long a session's state lives without a turn: an SMS session its own
 * (long) TTL, since people answer texts when they can; a USSD session the
 * configured TTL, and at least the resume window, so that a citizen whose
 * dialogue the network cut off can still continue when they dial again.
 */
static int session_ttl_s(const struct turn *t)
{
    int ttl = redis_store_session_ttl(t->r->rs);
    int resume = (int)(t->r->resume_window_ms / 1000);
    if (t->channel == FLOW_CHANNEL_SMS)
        return t->r->sms_ttl_s ? t->r->sms_ttl_s : ttl;
    return resume > ttl ? resume : ttl;
}

static const char *channel_name(enum flow_channel c)
{
    return c == FLOW_CHANNEL_USSD ? "ussd" : "sms";
}

/* ---- session record <-> Redis blob ---- */

static int record_encode(const struct session_record *rec, char *buf, size_t size)
{
    char state[FLOW_STATE_MAX];
    if (flow_state_encode(&rec->state, state, sizeof state) < 0)
        return -1;
    char version[STRBUF_LL_SIZE], started[STRBUF_LL_SIZE], saved[STRBUF_LL_SIZE],
        resume[STRBUF_LL_SIZE];
    strbuf_ll_str(version, rec->flow_version);
    strbuf_ll_str(started, rec->started_ms);
    strbuf_ll_str(saved, rec->saved_ms);
    strbuf_ll_str(resume, rec->resume_pending);
    /* "2|session|flow|version|channel|started|saved|resume|state", joined
     * by hand: every turn writes one, and snprintf here was 4 % of the
     * gateway's instructions (bench/instructions). */
    const char *fields[] = {
        "2",     rec->session_id, rec->flow_id, version, channel_name(rec->channel),
        started, saved,           resume,       state};
    size_t at = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        size_t n = strlen(fields[i]);
        if (at + (i > 0) + n + 1 > size)
            return -1;
        if (i > 0)
            buf[at++] = '|';
        memcpy(buf + at, fields[i], n);
        at += n;
    }
    buf[at] = '\0';
    return (int)at;
}

/* Splits the next '|' field off *p into out; -1 if missing or too long. */
static int next_field(const char **p, const char *end, char *out, size_t size)
{
    const char *bar = memchr(*p, '|', (size_t)(end - *p));
    const char *stop = bar ? bar : end;
    size_t n = (size_t)(stop - *p);
    if (n == 0 || n >= size)
        return -1;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p = bar ? bar + 1 : end;
    return 0;
}

/* A whole number >= 0 from a field; -1 if it is anything else. */
static int field_ll(const char *s, long long max, long long *out)
{
    char *stop;
    *out = strtoll(s, &stop, 10);
    return *stop || *out < 0 || *out > max ? -1 : 0;
}

/*
 * The blob comes from Redis: parse it as untrusted input. Format 2 added
 * saved_ms and resume_pending; a format 1 record (written before an
 * upgrade, alive for at most its TTL) reads with both 0.
 */
static int record_decode(const char *blob, size_t len, struct session_record *rec)
{
    const char *p = blob, *end = blob + len;
    char ver[4], version[12], chan[8], started[24], saved[24] = "0", pending[4] = "0";
    long long n;
    memset(rec, 0, sizeof *rec);
    if (next_field(&p, end, ver, sizeof ver) < 0 || (strcmp(ver, "1") && strcmp(ver, "2")) ||
        next_field(&p, end, rec->session_id, sizeof rec->session_id) < 0 ||
        next_field(&p, end, rec->flow_id, sizeof rec->flow_id) < 0 ||
        next_field(&p, end, version, sizeof version) < 0 ||
        next_field(&p, end, chan, sizeof chan) < 0 ||
        next_field(&p, end, started, sizeof started) < 0)
        return -RAIA_EPROTO;
    if (ver[0] == '2' && (next_field(&p, end, saved, sizeof saved) < 0 ||
                          next_field(&p, end, pending, sizeof pending) < 0))
        return -RAIA_EPROTO;
    if (p >= end || field_ll(version, 1000000, &n) < 0 || n < 1)
        return -RAIA_EPROTO;
    rec->flow_version = (int)n;
    if (field_ll(started, LLONG_MAX, &rec->started_ms) < 0 ||
        field_ll(saved, LLONG_MAX, &rec->saved_ms) < 0 || field_ll(pending, 1, &n) < 0)
        return -RAIA_EPROTO;
    rec->resume_pending = (int)n;
    if (strcmp(chan, "ussd") == 0)
        rec->channel = FLOW_CHANNEL_USSD;
    else if (strcmp(chan, "sms") == 0)
        rec->channel = FLOW_CHANNEL_SMS;
    else
        return -RAIA_EPROTO;
    return flow_state_decode(p, (size_t)(end - p), &rec->state);
}

/* ---- replies ---- */

static void on_submit_result(void *ctx, int status, const char *message_id)
{
    (void)ctx;
    if (status != 0)
        log_at(LOG_WARN, "session", "op=submit status=%d message_id=%s", status,
               message_id ? message_id : "");
}

/*
 * Sends screen to the citizen of t and acknowledges the deliver_sm, then frees
 * t. USSD replies echo its_session_info and use USSR request (2) to ask for
 * more or PSSR response (17) to end (SMPP 3.4 profile, research U3).
 */
static void submit(struct turn *t, const struct smpp_sm *mt)
{
    struct smpp_conn *tx = reply_conn(t);
    int rc = tx ? smpp_conn_submit(tx, mt, on_submit_result, NULL) : -RAIA_ENOTFOUND;
    if (rc < 0)
        log_at(LOG_WARN, "session", "op=submit pseud=%.12s err=%s", t->pseudonym,
               raia_strerror(rc));
}

/* USSD: one screen, GSM 7-bit or else UCS-2 (the flow checker made sure it fits). */
static void submit_ussd(struct turn *t, struct smpp_sm *mt, const char *screen)
{
    if (smpp_text_set(mt, screen) < 0) {
        log_at(LOG_ERROR, "session", "op=encode pseud=%.12s err=screen_too_long", t->pseudonym);
        return;
    }
    submit(t, mt);
}

/* SMS: one part, or concatenated parts (UDH) when the text is longer, in the operator's alphabet.
 */
static void submit_sms(struct turn *t, struct smpp_sm *mt, const char *screen)
{
    struct smpp_conn *tx = reply_conn(t);
    size_t parts = 0;
    int rc = tx ? mt_sms_submit(tx, mt, screen, t->r->concat_ref++, on_submit_result, NULL, &parts)
                : -RAIA_ENOTFOUND;
    if (rc < 0)
        log_at(LOG_WARN, "session", "op=submit pseud=%.12s parts_sent=%zu err=%s", t->pseudonym,
               parts, raia_strerror(rc));
}

static void turn_reply(struct turn *t, const char *screen, int end)
{
    struct smpp_sm mt;
    memset(&mt, 0, sizeof mt);
    mt.ussd_service_op = -1;
    mt.its_session_info = -1;
    str_copy(mt.source_addr, sizeof mt.source_addr, t->service);
    memcpy(mt.destination_addr, t->msisdn, sizeof mt.destination_addr);
    mt.dest_addr_ton = t->msisdn_ton;
    mt.dest_addr_npi = t->msisdn_npi;
    if (t->channel == FLOW_CHANNEL_USSD) {
        snprintf(mt.service_type, sizeof mt.service_type, "USSD");
        ussd_profile_reply(t->profile, t->its_session, end, &mt.ussd_service_op,
                           &mt.its_session_info);
        submit_ussd(t, &mt, screen);
    } else {
        mt.registered_delivery = 1; /* a final receipt, logged by on_receipt */
        submit_sms(t, &mt, screen);
    }
    smpp_conn_ack_mo(t->conn, t->ref, SMPP_ESME_ROK);
    if (t->r->metrics && t->not_saved)
        metrics_turn_failed(t->r->metrics);
    else if (t->r->metrics)
        metrics_turn(t->r->metrics, clock_us() - t->received_us);
    /* The number, and the text that went to it; the rest of mt is protocol. */
    OPENSSL_cleanse(mt.destination_addr, sizeof mt.destination_addr);
    OPENSSL_cleanse(mt.short_message, mt.sm_length);
    turn_free(t);
}

/* Ends the turn with screen, which tells the citizen nothing was stored. */
static void turn_not_saved(struct turn *t, const char *screen)
{
    t->not_saved = 1;
    turn_reply(t, screen, 1);
}

/* ---- storing a step ---- */

static const char *outcome_name(enum flow_outcome o)
{
    switch (o) {
    case FLOW_OUTCOME_COMPLETED:
        return "completed";
    case FLOW_OUTCOME_ABANDONED:
        return "abandoned";
    case FLOW_OUTCOME_STOPPED:
        return "stopped";
    default:
        return NULL;
    }
}

static void on_loaded(void *ctx, int status, const char *blob, size_t len);
static void my_data_turn(struct turn *t, const char *blob, size_t len);
static void redial(struct turn *t, const char *current, size_t len);

static void on_saved(void *ctx, int status, const char *current, size_t len)
{
    struct turn *t = ctx;
    struct session_cache *cache = t->r->cache;
    if (status == -RAIA_ESTALE && t->attempts < TURN_ATTEMPTS_MAX) {
        session_cache_drop(cache, t->pseudonym);
        if (t->dialled) { /* a dial met a stored session */
            redial(t, current, len);
            return;
        }
        /* The session moved on since this turn read it: step again on it as it is. */
        flow_def_unref(t->def);
        t->def = NULL;
        on_loaded(t, current ? 0 : -RAIA_ENOTFOUND, current, len);
        return;
    }
    if (status == 0 && !t->out.end)
        session_cache_put(cache, t->pseudonym, t->blob, t->blob_len, clock_ms(CLOCK_MONOTONIC));
    else if (status != -RAIA_EFULL) /* over the flood limit nothing changed */
        session_cache_drop(cache, t->pseudonym);
    if (status == -RAIA_EFULL) {
        log_at(LOG_WARN, "session", "op=save pseud=%.12s err=rate_limited", t->pseudonym);
        turn_not_saved(t, slow_down_screen);
        return;
    }
    if (status != 0) {
        log_at(LOG_ERROR, "session", "op=save pseud=%.12s err=%s", t->pseudonym,
               raia_strerror(status));
        turn_not_saved(t, busy_screen);
        return;
    }
    log_at(LOG_DEBUG, "session", "op=turn pseud=%.12s flow=%s step=%s answers=%zu end=%d",
           t->pseudonym, t->rec.flow_id, t->rec.state.step, t->out.n_answers, t->out.end);
    if (t->out.end && t->r->metrics && t->out.outcome != FLOW_OUTCOME_NONE)
        metrics_outcome(t->r->metrics, t->out.outcome == FLOW_OUTCOME_COMPLETED ? METRICS_COMPLETED
                                       : t->out.outcome == FLOW_OUTCOME_REFUSED ? METRICS_REFUSED
                                       : t->out.outcome == FLOW_OUTCOME_STOPPED
                                           ? METRICS_STOPPED
                                           : METRICS_ABANDONED);
    turn_reply(t, t->out.screen, t->out.end);
}

/*
 * Saves what t decided in one compare-and-set call: t->blob as the new
 * session state (or, when t->out.end, deletes it) and events to the answer
 * stream; on_saved then replies. n_events SIZE_MAX means the turn could not
 * be encoded: the citizen is told it was not saved.
 */
static void turn_save(struct turn *t, const char *const *events, size_t n_events)
{
    int rc = -RAIA_EINVAL;
    if (n_events != SIZE_MAX) {
        t->attempts++;
        struct redis_store_write w = {.expect = t->has_expect ? t->expect : NULL,
                                      .expect_len = t->expect_len,
                                      .expect_absent = t->dialled != NULL,
                                      .blob = t->out.end ? NULL : t->blob,
                                      .len = t->blob_len,
                                      .ttl_s = session_ttl_s(t),
                                      .events = events,
                                      .n_events = n_events,
                                      .remind_at_ms = t->remind_at_ms,
                                      .remind_job = t->remind_job,
                                      .session_id = t->rec.session_id};
        rc = redis_store_save(t->r->rs, t->pseudonym, &w, on_saved, t);
    }
    if (rc < 0) {
        log_at(LOG_ERROR, "session", "op=save pseud=%.12s err=%s", t->pseudonym, raia_strerror(rc));
        turn_not_saved(t, busy_screen);
    }
}

/*
 * An SMS session waiting for the citizen gets one reminder after
 * remind_after_ms of silence (docs/flows.md "Sessions"): each turn
 * reschedules it with what sending it needs later, the number sealed
 * (contact_seal.h, bound to this person and "reminder/" + flow, so it opens
 * for nothing else); the end of the session cancels it. Before consent
 * nobody is reminded of anything.
 */
static void plan_reminder(struct turn *t, long long now)
{
    const struct session_router *r = t->r;
    t->remind_at_ms = 0;
    if (t->channel != FLOW_CHANNEL_SMS || !r->remind_after_ms || !r->seal)
        return;
    if (t->out.end) {
        t->remind_at_ms = -1;
        return;
    }
    if (t->rec.started_ms == 0)
        return;
    char e164[E164_MAX], aad_flow[FLOW_ID_MAX + 16], sealed[CONTACT_SEALED_MAX];
    snprintf(aad_flow, sizeof aad_flow, "reminder/%s", t->rec.flow_id);
    int rc = pseudonym_normalize(r->ps, t->msisdn, t->msisdn_ton, e164);
    if (rc == 0)
        rc = contact_seal_close(r->seal, t->pseudonym, aad_flow, e164, sealed);
    OPENSSL_cleanse(e164, sizeof e164);
    int n = rc < 0 ? -1
                   : snprintf(t->remind_job, sizeof t->remind_job, "%s|%lld|%s|%s|%s",
                              t->rec.session_id, t->rec.saved_ms, smpp_conn_operator(t->conn),
                              t->service, sealed);
    if (n > 0 && (size_t)n < sizeof t->remind_job)
        t->remind_at_ms = now + r->remind_after_ms;
    else
        log_at(LOG_WARN, "session", "op=reminder pseud=%.12s err=cannot_seal", t->pseudonym);
}

/* The fields every event of t's session carries (kind and answer fields left to the caller). */
static void session_event(const struct turn *t, long long now, struct store_event *ev)
{
    const struct session_record *rec = &t->rec;
    *ev = (struct store_event){
        .at_ms = now,
        .flow_id = rec->flow_id,
        .flow_version = rec->flow_version,
        .consent_version = flow_def_consent_version(t->def),
        .channel = channel_name(rec->channel),
        .operator_name = smpp_conn_operator(t->conn),
        .session_id = rec->session_id,
        .pseudonym = t->pseudonym,
        .language = flow_state_language(t->def, &rec->state),
        .started_ms = rec->started_ms,
        .ttl_s = session_ttl_s(t),
    };
}

/*
 * The answer to the flow's contact step, while the number is still in
 * memory: "yes" keeps it sealed (contact_seal.h), "no" keeps none. Returns
 * 1 if out holds an event, 0 if there is none to store, < 0 on error.
 */
static int contact_event(const struct turn *t, long long now, const struct flow_answer *a,
                         struct strbuf *out)
{
    const char *step = flow_def_contact_step(t->def);
    if (!step || strcmp(a->question, step) != 0)
        return 0;
    if (!t->r->seal) {
        log_at(LOG_WARN, "session", "op=contact pseud=%.12s err=no_contact_key", t->pseudonym);
        return 0;
    }
    char e164[E164_MAX];
    int yes = strcmp(a->code, "yes") == 0;
    int rc = yes ? pseudonym_normalize(t->r->ps, t->msisdn, t->msisdn_ton, e164) : 0;
    if (rc == 0)
        rc = contact_event_json(t->r->seal, t->pseudonym, t->rec.flow_id,
                                smpp_conn_operator(t->conn), yes ? e164 : NULL, now, out);
    OPENSSL_cleanse(e164, sizeof e164);
    return rc < 0 ? rc : 1;
}

/*
 * Turns the flow's output into store events and saves them together with
 * the new state in one atomic Redis call. Before consent nothing about the
 * person is stored but the session state itself (which expires with its TTL);
 * a refusal leaves only an anonymous count.
 */
static void turn_store(struct turn *t)
{
    struct session_record *rec = &t->rec;
    struct flow_output *out = &t->out;
    long long now = now_ms();
    if (out->consent_given)
        rec->started_ms = now;
    rec->saved_ms = now;

    struct store_event ev;
    session_event(t, now, &ev);
    struct strbuf *json = t->r->event_docs;
    const char *events[TURN_EVENTS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < TURN_EVENTS_MAX; i++) {
        if (json[i].oom) /* an append that failed leaves its buffer refusing more */
            strbuf_free(&json[i]);
        strbuf_reset(&json[i]);
    }
    int bad = 0;
    if (t->prior.len) /* already encoded: sent with the others */
        strbuf_puts(&json[n++], strbuf_cstr(&t->prior));

    if (out->outcome == FLOW_OUTCOME_REFUSED) {
        ev.kind = STORE_EVENT_REFUSAL;
        bad |= store_event_json(&ev, &json[n++]) < 0;
    } else {
        if (out->consent_given) {
            /* The flow's checksum rides on the session event alone: the
             * session row keeps the first one any event brings
             * (sql/write_batch.sql), and an answer without it is 80 bytes
             * less for Redis to keep and for PostgreSQL to parse. */
            ev.kind = STORE_EVENT_SESSION;
            ev.flow_checksum = flow_def_checksum(t->def);
            bad |= store_event_json(&ev, &json[n++]) < 0;
            ev.flow_checksum = NULL;
        }
        /* A session completed by an answer ends in that answer's event, not
         * in an end event of its own: one stream entry fewer a session for
         * Redis, the writer and PostgreSQL. A STOP or an abandon keeps its
         * end event (store_event_doc_stops and the opt-outs read those). */
        int ends = out->end && rec->started_ms > 0;
        size_t ends_in = ends && out->outcome == FLOW_OUTCOME_COMPLETED && out->n_answers > 0
                             ? out->n_answers - 1
                             : SIZE_MAX;
        for (size_t i = 0; i < out->n_answers; i++) {
            ev.kind = STORE_EVENT_ANSWER;
            ev.outcome = i == ends_in ? outcome_name(out->outcome) : NULL;
            ev.question_id = out->answers[i].question;
            ev.code = out->answers[i].code[0] ? out->answers[i].code : NULL;
            ev.value = out->answers[i].value[0] ? out->answers[i].value : NULL;
            /* typed answers only: a derived variable took no tries */
            ev.attempts = strcmp(ev.question_id, t->asked) == 0 ? t->tries : 0;
            bad |= store_event_json(&ev, &json[n++]) < 0;
            int c = contact_event(t, now, &out->answers[i], &json[n]);
            bad |= c < 0;
            n += c > 0;
        }
        if (ends && ends_in == SIZE_MAX) {
            ev.kind = STORE_EVENT_END;
            ev.question_id = ev.code = ev.value = NULL;
            ev.outcome = outcome_name(out->outcome);
            bad |= ev.outcome == NULL || store_event_json(&ev, &json[n++]) < 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        bad |= json[i].oom;
        events[i] = strbuf_cstr(&json[i]);
    }

    plan_reminder(t, now);
    int blob_len = out->end ? 0 : record_encode(rec, t->blob, sizeof t->blob);
    if (bad || blob_len < 0)
        n = SIZE_MAX; /* turn_save refuses it */
    else
        t->blob_len = (size_t)blob_len;
    turn_save(t, events, n); /* copies them into its request */
}

/*
 * The flow a stored session runs on: the version it began with (a session
 * finishes on it), from the running set or the one before the last reload.
 */
static struct flow_def *session_flow(const struct session_router *r,
                                     const struct session_record *rec)
{
    struct flow_def *def = flow_set_find(r->flows, rec->flow_id, rec->flow_version);
    if (!def && r->previous)
        def = flow_set_find(r->previous, rec->flow_id, rec->flow_version);
    return def;
}

static int new_session_id(char out[SESSION_ID_HEX + 1])
{
    unsigned char raw[SESSION_ID_HEX / 2];
    static const char hex[] = "0123456789abcdef";
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -RAIA_EIO;
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[SESSION_ID_HEX] = '\0';
    return 0;
}

/* Starts def for t: a fresh session id, the consent screen, state saved. */
static void turn_start_flow(struct turn *t, struct flow_def *def)
{
    if (t->channel == FLOW_CHANNEL_SMS && flow_def_sensitive(def)) {
        /* The checker refuses such a flow; should one get here, no SMS may carry it. */
        turn_reply(t, unknown_screen, 1);
        return;
    }
    flow_def_ref(def);
    flow_def_unref(t->def); /* a start after a dial found a session to replace */
    t->def = def;
    memset(&t->rec, 0, sizeof t->rec);
    if (new_session_id(t->rec.session_id) < 0) {
        turn_not_saved(t, busy_screen);
        return;
    }
    str_copy(t->rec.flow_id, sizeof t->rec.flow_id, flow_def_id(def));
    t->rec.flow_version = flow_def_version(def);
    t->rec.channel = t->channel;
    flow_start(def, t->channel, &t->rec.state, &t->out);
    turn_store(t);
}

/* Remembers blob as the session this turn's save must still find (compare-and-set). */
static void expect_session(struct turn *t, const char *blob, size_t len)
{
    memcpy(t->expect, blob, len);
    t->expect_len = len;
    t->has_expect = 1;
}

/*
 * A USSD dial of t->dialled found blob stored for this person. If it is a
 * session of the same flow that the network cut off (consented, last turn
 * within the resume window), the citizen is asked "continue where you left
 * off / start again" (or, if the flow has no such text, simply continues):
 * the session's state is kept, marked resume_pending. Returns 1 if so; 0
 * means the dial starts afresh over blob.
 */
static int offer_resume(struct turn *t, const char *blob, size_t len)
{
    struct session_record rec;
    if (len >= sizeof t->expect || my_data_is_state(blob, len) ||
        record_decode(blob, len, &rec) < 0 || rec.channel != FLOW_CHANNEL_USSD ||
        rec.started_ms == 0 || strcmp(rec.flow_id, flow_def_id(t->dialled)) != 0 ||
        now_ms() - rec.saved_ms > t->r->resume_window_ms)
        return 0;
    struct flow_def *def = session_flow(t->r, &rec);
    struct flow_output out;
    int rc = def ? flow_resume_screen(def, t->channel, &rec.state, &out) : -RAIA_EINVAL;
    rec.resume_pending = rc == 0;
    if (rc == -RAIA_ENOTFOUND)
        rc = flow_redisplay(def, t->channel, &rec.state, &out);
    if (rc < 0)
        return 0;
    flow_def_ref(def);
    flow_def_unref(t->def);
    t->def = def;
    t->rec = rec;
    t->out = out;
    expect_session(t, blob, len);
    flow_def_unref(t->dialled);
    t->dialled = NULL;
    log_at(LOG_INFO, "session", "op=resume_offered pseud=%.12s flow=%s step=%s", t->pseudonym,
           rec.flow_id, rec.state.step);
    turn_store(t);
    return 1;
}

/*
 * A USSD dial: resume what the network cut off, or start def afresh. The
 * state this instance saved last tells at once; otherwise the save checks
 * that there is no session, and Redis returns the one there is (redial).
 */
static void turn_dial(struct turn *t, struct flow_def *def)
{
    if (t->channel != FLOW_CHANNEL_USSD || t->r->resume_window_ms == 0) {
        turn_start_flow(t, def);
        return;
    }
    flow_def_ref(def);
    t->dialled = def;
    size_t len;
    const char *blob =
        session_cache_get(t->r->cache, t->pseudonym, clock_ms(CLOCK_MONOTONIC), &len);
    if (blob && offer_resume(t, blob, len))
        return;
    if (blob && len < sizeof t->expect) {
        expect_session(t, blob, len); /* start afresh over exactly that */
        flow_def_unref(t->dialled);
        t->dialled = NULL;
    }
    turn_start_flow(t, def);
}

/* The save of a dial met a stored session (current, or NULL if it vanished meanwhile). */
static void redial(struct turn *t, const char *current, size_t len)
{
    if (current && offer_resume(t, current, len))
        return;
    struct flow_def *def = t->dialled;
    t->dialled = NULL;
    if (current && len < sizeof t->expect)
        expect_session(t, current, len);
    turn_start_flow(t, def);
    flow_def_unref(def);
}

/*
 * The answer to "continue where you left off / start again": 1 shows the
 * screen the session was waiting on; 2 ends the old session (timed_out,
 * its answers kept) and begins a new one in the same save; STOP stops the
 * old session; anything else asks again.
 */
static void resume_answer(struct turn *t)
{
    char in[16];
    size_t skip = strspn(t->text, " \t\r\n"), n = strcspn(t->text + skip, " \t\r\n");
    snprintf(in, sizeof in, "%.*s", n < sizeof in ? (int)n : 0, t->text + skip);
    struct session_record *rec = &t->rec;
    rec->resume_pending = 0;
    if (strcmp(in, "1") == 0) {
        flow_redisplay(t->def, t->channel, &rec->state, &t->out);
    } else if (strcmp(in, "2") == 0) {
        struct store_event ev;
        session_event(t, now_ms(), &ev);
        ev.kind = STORE_EVENT_END;
        ev.outcome = "timed_out";
        if (store_event_json(&ev, &t->prior) < 0 || t->prior.oom) {
            turn_not_saved(t, busy_screen);
            return;
        }
        /* the new session runs the version that serves the code now */
        struct flow_def *now = flow_set_find_ussd(t->r->flows, flow_def_ussd_code(t->def));
        turn_start_flow(t, now ? now : t->def);
        return;
    } else if (flow_is_stop_word(t->def, in)) {
        flow_step(t->def, t->channel, &rec->state, in, &t->out);
    } else {
        flow_resume_screen(t->def, t->channel, &rec->state, &t->out);
        turn_reply(t, t->out.screen, 0); /* nothing changed: nothing to save */
        return;
    }
    turn_store(t);
}

static void on_loaded(void *ctx, int status, const char *blob, size_t len)
{
    struct turn *t = ctx;
    if (status == -RAIA_ENOTFOUND) {
        turn_reply(t, t->channel == FLOW_CHANNEL_USSD ? expired_screen : unknown_screen, 1);
        return;
    }
    if (status != 0) {
        log_at(LOG_ERROR, "session", "op=load pseud=%.12s err=%s", t->pseudonym,
               raia_strerror(status));
        turn_not_saved(t, busy_screen);
        return;
    }
    if (len < sizeof t->expect && my_data_is_state(blob, len)) {
        expect_session(t, blob, len);
        memset(&t->out, 0, sizeof t->out);
        my_data_turn(t, blob, len);
        return;
    }
    if (len >= sizeof t->expect || record_decode(blob, len, &t->rec) < 0) {
        log_at(LOG_WARN, "session", "op=load pseud=%.12s err=bad_record", t->pseudonym);
        turn_reply(t, expired_screen, 1);
        return;
    }
    if (t->rec.channel != t->channel) {
        /* An SMS never continues a USSD session (or the reverse). */
        turn_reply(t, t->channel == FLOW_CHANNEL_USSD ? expired_screen : unknown_screen, 1);
        return;
    }
    t->def = session_flow(t->r, &t->rec);
    if (!t->def) {
        log_at(LOG_WARN, "session", "op=load pseud=%.12s flow=%s version=%d err=flow_gone",
               t->pseudonym, t->rec.flow_id, t->rec.flow_version);
        turn_reply(t, expired_screen, 1);
        return;
    }
    flow_def_ref(t->def);
    expect_session(t, blob, len);
    if (t->rec.resume_pending) {
        resume_answer(t);
        return;
    }
    str_copy(t->asked, sizeof t->asked, t->rec.state.step);
    t->tries = t->rec.state.retries + 1;
    if (flow_step(t->def, t->rec.channel, &t->rec.state, t->text, &t->out) < 0) {
        log_at(LOG_WARN, "session", "op=step pseud=%.12s flow=%s err=bad_state", t->pseudonym,
               t->rec.flow_id);
        turn_reply(t, expired_screen, 1);
        return;
    }
    turn_store(t);
}

/* ---- the "my data" menu (my_data.h) ---- */

/* A citizen-facing name of flow id: its title in the running set, else the id. */
static const char *flow_title(const struct session_router *r, const char *id)
{
    for (size_t i = 0; i < flow_set_count(r->flows); i++) {
        struct flow_def *def = flow_set_get(r->flows, i);
        if (strcmp(flow_def_id(def), id) == 0)
            return flow_def_title(def);
    }
    return id;
}

/*
 * Stores the menu's next state (action NONE), deletes it (EXIT), or, for a
 * confirmed withdrawal or erasure, deletes it and puts the erase event into
 * the answer stream in the same call: the writer applies it behind
 * everything this person said before (sql/write_batch.sql).
 */
static void my_data_save(struct turn *t, const struct my_data_state *st, enum my_data_action act)
{
    t->out.end = act != MY_DATA_NONE;
    int len = t->out.end ? 0 : my_data_encode(st, t->blob, sizeof t->blob);
    struct strbuf json = {0};
    const char *event = NULL;
    size_t n = len < 0 ? SIZE_MAX : 0;
    t->blob_len = len > 0 ? (size_t)len : 0;
    if (act == MY_DATA_DO_WITHDRAW || act == MY_DATA_DO_ERASE) {
        struct store_event ev = {
            .kind = STORE_EVENT_ERASE,
            .at_ms = now_ms(),
            .pseudonym = t->pseudonym,
            .flow_id = act == MY_DATA_DO_WITHDRAW ? st->flow_id[st->picked] : NULL,
        };
        n = store_event_json(&ev, &json) < 0 || json.oom ? SIZE_MAX : 1;
        event = strbuf_cstr(&json);
        log_at(LOG_INFO, "session", "op=my_data pseud=%.12s action=%s flow=%s", t->pseudonym,
               ev.flow_id ? "withdraw" : "erase", ev.flow_id ? ev.flow_id : "*");
    }
    turn_save(t, &event, n);
    strbuf_free(&json);
}

static void on_my_data_listed(void *ctx, int status, const struct pg_lookup_flows *flows)
{
    struct turn *t = ctx;
    if (status < 0) {
        log_at(LOG_WARN, "session", "op=my_data pseud=%.12s err=%s", t->pseudonym,
               raia_strerror(status));
        turn_reply(t, my_data_unavailable_screen, 1);
        return;
    }
    const char *titles[PG_LOOKUP_FLOWS_MAX];
    for (size_t i = 0; i < flows->n; i++)
        titles[i] = flow_title(t->r, flows->flow_id[i]);
    struct my_data_state st;
    enum my_data_action act =
        my_data_start(flows, titles, &st, t->out.screen, sizeof t->out.screen);
    if (act == MY_DATA_EXIT)
        turn_reply(t, t->out.screen, 1); /* nothing held: nothing to store either */
    else
        my_data_save(t, &st, act);
}

/* A turn in the menu: st came from the session key (t->expect holds it). */
static void my_data_turn(struct turn *t, const char *blob, size_t len)
{
    struct my_data_state st;
    if (my_data_decode(blob, len, &st) < 0) {
        log_at(LOG_WARN, "session", "op=load pseud=%.12s err=bad_record", t->pseudonym);
        turn_reply(t, expired_screen, 1);
        return;
    }
    enum my_data_action act = my_data_step(&st, t->text, t->out.screen, sizeof t->out.screen);
    my_data_save(t, &st, act);
}

/*
 * A turn in a running session: on the state this instance saved last when
 * it has it (the save then checks it is still current), else on the state
 * loaded from Redis.
 */
static void turn_continue(struct turn *t)
{
    size_t len;
    const char *blob =
        session_cache_get(t->r->cache, t->pseudonym, clock_ms(CLOCK_MONOTONIC), &len);
    if (blob)
        on_loaded(t, 0, blob, len);
    else if (redis_store_load(t->r->rs, t->pseudonym, on_loaded, t) < 0)
        turn_not_saved(t, busy_screen);
}

/* ---- SMS reminders ---- */

/* A bound bind of operator op that can send, or NULL. */
static struct smpp_conn *operator_conn(const struct session_router *r, const char *op)
{
    for (size_t i = 0; i < r->n_conns; i++)
        if (smpp_conn_can_submit(r->conns[i]) && strcmp(smpp_conn_operator(r->conns[i]), op) == 0 &&
            smpp_conn_get_state(r->conns[i]) == SMPP_CONN_BOUND)
            return r->conns[i];
    return NULL;
}

/*
 * One due reminder (gateway/reminder.c took it off the schedule): sent only
 * if the session is still exactly where the job left it (same session, no
 * turn since), as the screen the citizen was asked, to the number opened
 * from the job in memory and wiped at once; then marked, so the session
 * gets no second one. Anything else drops it.
 */
void session_router_remind(struct session_router *r, const char *pseudonym, const char *job,
                           const char *session)
{
    char sid[SESSION_ID_HEX + 1], saved[24], op[64], service[21], sealed[CONTACT_SEALED_MAX];
    const char *p = job, *end = job + strlen(job);
    struct session_record rec;
    const char *why = NULL;
    if (next_field(&p, end, sid, sizeof sid) < 0 || next_field(&p, end, saved, sizeof saved) < 0 ||
        next_field(&p, end, op, sizeof op) < 0 ||
        next_field(&p, end, service, sizeof service) < 0 ||
        next_field(&p, end, sealed, sizeof sealed) < 0)
        why = "bad_job";
    else if (!session || my_data_is_state(session, strlen(session)) ||
             record_decode(session, strlen(session), &rec) < 0 ||
             strcmp(rec.session_id, sid) != 0 || rec.saved_ms != strtoll(saved, NULL, 10))
        why = "session_moved_on";
    struct flow_def *def = why ? NULL : session_flow(r, &rec);
    struct flow_output out;
    if (!why && (!def || flow_redisplay(def, FLOW_CHANNEL_SMS, &rec.state, &out) < 0))
        why = "flow_gone";
    struct smpp_conn *tx = why ? NULL : operator_conn(r, op);
    if (!why && !tx)
        why = "no_bind";
    char aad_flow[FLOW_ID_MAX + 16];
    struct smpp_sm mt;
    memset(&mt, 0, sizeof mt);
    if (!why) {
        snprintf(aad_flow, sizeof aad_flow, "reminder/%s", rec.flow_id);
        char e164[E164_MAX];
        if (contact_seal_open(r->seal, pseudonym, aad_flow, sealed, e164) < 0) {
            why = "bad_seal";
        } else {
            mt.ussd_service_op = mt.its_session_info = -1;
            mt.registered_delivery = 1;
            str_copy(mt.source_addr, sizeof mt.source_addr, service);
            str_copy(mt.destination_addr, sizeof mt.destination_addr, e164 + 1);
            mt.dest_addr_ton = 1; /* international: e164 without its '+' */
            mt.dest_addr_npi = 1;
            size_t parts = 0;
            if (mt_sms_submit(tx, &mt, out.screen, r->concat_ref++, on_submit_result, NULL,
                              &parts) < 0)
                why = "submit_failed";
        }
        OPENSSL_cleanse(e164, sizeof e164);
        OPENSSL_cleanse(mt.destination_addr, sizeof mt.destination_addr);
    }
    if (why) {
        log_at(LOG_INFO, "session", "op=reminder pseud=%.12s sent=0 why=%s", pseudonym, why);
        return;
    }
    redis_store_reminded(r->rs, rec.session_id, r->sms_ttl_s);
    log_at(LOG_INFO, "session", "op=reminder pseud=%.12s flow=%s step=%s sent=1", pseudonym,
           rec.flow_id, rec.state.step);
}

/* ---- MO intake ---- */

/*
 * The whole text of an MO: a part of a long message is kept until the rest
 * arrives (returns 0: acknowledge and wait); a complete message or one of its
 * own gives 1 with text filled. A malformed UDH or numbering is read as a
 * message of its own rather than dropped (research M11).
 */
static int mo_text(struct session_router *r, const struct smpp_sm *mo, char *text, size_t size)
{
    struct sms_concat_msg *msg = r->whole;
    int rc = sms_concat_mo(r->concat, mo, (uint64_t)clock_ms(CLOCK_MONOTONIC), msg);
    if (rc == SMS_CONCAT_DONE) {
        smpp_text_decode(msg->data_coding, msg->data, msg->len, text, size);
        OPENSSL_cleanse(msg->data, msg->len);
    } else if (rc < 0) {
        smpp_text_decode(mo->data_coding, mo->short_message, mo->sm_length, text, size);
    }
    return rc != 0;
}

/*
 * 1 if mo repeats an MO first seen before the link was rebound, less than
 * REDELIVERY_WINDOW_MS ago: the SMSC redelivering what it may think was
 * lost. An identical MO that first came after the rebind (a citizen typing
 * "1" twice) is never one. Every MO is remembered as a salted hash only.
 */
static int is_redelivery(struct session_router *r, struct smpp_conn *conn, const struct smpp_sm *mo)
{
    /* On the stack: the key is hashed at once, and it holds the number. Its
     * head, "source|destination|service_type|esm|dc|its|op|", is appended
     * piece by piece: snprintf was a visible share of every MO. */
    uint8_t key[128 + sizeof mo->short_message + SMPP_PAYLOAD_MAX];
    const char *const strs[] = {mo->source_addr, mo->destination_addr, mo->service_type};
    const int nums[] = {mo->esm_class, mo->data_coding, mo->its_session_info, mo->ussd_service_op};
    _Static_assert(sizeof mo->source_addr + sizeof mo->destination_addr + sizeof mo->service_type +
                           4 * (sizeof "-2147483648" + 1) <=
                       128,
                   "the head of a redelivery key fits in 128 bytes");
    size_t len = 0;
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        size_t n = strlen(strs[i]);
        memcpy(key + len, strs[i], n);
        len += n;
        key[len++] = '|';
    }
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        len += strbuf_ll_str((char *)key + len, nums[i]);
        key[len++] = '|';
    }
    memcpy(key + len, mo->short_message, mo->sm_length);
    len += mo->sm_length;
    if (mo->has_payload) {
        memcpy(key + len, mo->payload, mo->payload_len);
        len += mo->payload_len;
    }
    long long now = clock_ms(CLOCK_MONOTONIC), first = now;
    int seen = mo_dedup_seen(r->recent, smpp_conn_operator(conn), key, len, now, &first) == 1;
    OPENSSL_cleanse(key, len);
    uint64_t bound_at;
    return seen && smpp_conn_rebound_at(conn, &bound_at) && first < (long long)bound_at &&
           now - (long long)bound_at < REDELIVERY_WINDOW_MS;
}

/* A receipt waiting for Redis before its deliver_sm is answered. */
struct receipt_ack {
    struct smpp_conn *conn;
    struct smpp_mo_ref ref;
};

static void on_receipt_stored(void *ctx, int status)
{
    struct receipt_ack *a = ctx;
    /* Not stored: a temporary error makes the SMSC send the receipt again. */
    smpp_conn_ack_mo(a->conn, a->ref, status == 0 ? SMPP_ESME_ROK : SMPP_ESME_RX_T_APPN);
    free(a);
}

/*
 * A delivery receipt: never a turn. Its state is logged and stored
 * (message_receipts) before the deliver_sm is answered.
 */
static void on_receipt(struct session_router *r, struct smpp_conn *conn, const struct smpp_sm *mo,
                       struct smpp_mo_ref ref)
{
    struct dlr d;
    const uint8_t *text = mo->has_payload ? mo->payload : mo->short_message;
    size_t len = mo->has_payload ? mo->payload_len : mo->sm_length;
    if (dlr_parse(text, len, mo->receipted_message_id[0] ? mo->receipted_message_id : NULL,
                  mo->has_message_state ? mo->message_state : -1, &d) < 0) {
        log_at(LOG_WARN, "receipt", "op=receipt operator=%s err=unparsed", smpp_conn_name(conn));
        smpp_conn_ack_mo(conn, ref, SMPP_ESME_ROK); /* nothing to keep: do not ask again */
        return;
    }
    log_at(d.final ? LOG_INFO : LOG_DEBUG, "receipt",
           "op=receipt operator=%s message_id=%s state=%s final=%d err=%s", smpp_conn_name(conn),
           d.message_id, dlr_state_name(d.state), d.final, d.err);
    char state[16];
    size_t n = 0;
    for (const char *s = dlr_state_name(d.state); *s && n + 1 < sizeof state; s++)
        state[n++] = (char)tolower((unsigned char)*s);
    state[n] = '\0';
    struct store_event ev = {
        .kind = STORE_EVENT_RECEIPT,
        .at_ms = now_ms(),
        .operator_name = smpp_conn_operator(conn),
        .message_id = d.message_id,
        .state = state,
        .final = d.final,
    };
    struct strbuf json = {0};
    struct receipt_ack *a = malloc(sizeof *a);
    int rc = -RAIA_ENOMEM;
    if (a && store_event_json(&ev, &json) == 0 && !json.oom) {
        *a = (struct receipt_ack){conn, ref};
        rc = redis_store_append(r->rs, strbuf_cstr(&json), on_receipt_stored, a);
    }
    strbuf_free(&json);
    if (rc < 0) {
        free(a);
        smpp_conn_ack_mo(conn, ref, SMPP_ESME_RX_T_APPN);
    }
}

static void first_word(const char *text, char *out, size_t size)
{
    text += strspn(text, " \t\r\n");
    size_t n = strcspn(text, " \t\r\n");
    if (n >= size)
        n = size - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

/*
 * Decides what a deliver_sm means: a new USSD dial (PSSR indication), a USSD
 * continuation, an SMS keyword that starts a flow, or an SMS reply inside a
 * running session; and refuses what raia cannot serve with a clear status.
 */
void session_router_on_mo(struct session_router *r, struct smpp_conn *conn,
                          const struct smpp_sm *mo, struct smpp_mo_ref ref)
{
    if (r->stopping) {
        smpp_conn_ack_mo(conn, ref, SMPP_ESME_RX_T_APPN);
        return;
    }
    if (dlr_is_receipt(mo->esm_class)) {
        on_receipt(r, conn, mo, ref);
        return;
    }
    if (is_redelivery(r, conn, mo)) {
        log_at(LOG_INFO, "session", "op=mo operator=%s duplicate=1", smpp_conn_operator(conn));
        smpp_conn_ack_mo(conn, ref, SMPP_ESME_ROK);
        return;
    }
    struct turn *t = turn_new();
    if (!t) {
        smpp_conn_ack_mo(conn, ref, SMPP_ESME_RX_T_APPN);
        return;
    }
    r->in_flight++;
    t->received_us = clock_us();
    t->r = r;
    t->conn = conn;
    t->ref = ref;
    t->its_session = mo->its_session_info;
    t->profile = profile_of(r, conn);
    int is_ussd = mo->ussd_service_op >= 0 || strcmp(mo->service_type, "USSD") == 0;
    t->channel = is_ussd ? FLOW_CHANNEL_USSD : FLOW_CHANNEL_SMS;
    memcpy(t->msisdn, mo->source_addr, sizeof t->msisdn);
    t->msisdn_ton = mo->source_addr_ton;
    t->msisdn_npi = mo->source_addr_npi;
    str_copy(t->service, sizeof t->service, mo->destination_addr);
    if (!mo_text(r, mo, t->text, sizeof t->text)) {
        smpp_conn_ack_mo(conn, ref, SMPP_ESME_ROK); /* a part: the turn comes with the last */
        turn_free(t);
        return;
    }

    char e164[E164_MAX];
    if (pseudonym_normalize(r->ps, t->msisdn, mo->source_addr_ton, e164) < 0 ||
        pseudonym_of(r->ps, e164, t->pseudonym) < 0) {
        OPENSSL_cleanse(e164, sizeof e164);
        log_at(LOG_WARN, "session", "op=mo op_name=%s err=bad_source_addr", smpp_conn_name(conn));
        smpp_conn_ack_mo(conn, ref, SMPP_ESME_RINVSRCADR);
        turn_free(t);
        return;
    }
    OPENSSL_cleanse(e164, sizeof e164);

    if (is_ussd) {
        enum ussd_mo_kind kind =
            ussd_profile_classify(t->profile, mo->ussd_service_op, mo->its_session_info);
        /* The network closed or aborted the dialogue: keep the state for its TTL. */
        if (kind == USSD_MO_ABORT) {
            smpp_conn_ack_mo(conn, ref, SMPP_ESME_ROK);
            turn_free(t);
            return;
        }
        if (kind == USSD_MO_BEGIN && r->lookup &&
            (strcmp(t->text, r->my_data_code) == 0 || strcmp(t->service, r->my_data_code) == 0)) {
            str_copy(t->service, sizeof t->service, r->my_data_code);
            int rc = pg_lookup_flows(r->lookup, t->pseudonym, on_my_data_listed, t);
            if (rc < 0)
                on_my_data_listed(t, rc, NULL);
            return;
        }
        if (kind == USSD_MO_BEGIN) {
            struct flow_def *def = flow_set_find_ussd(r->flows, t->text);
            if (!def)
                def = flow_set_find_ussd(r->flows, t->service);
            if (def) {
                if (!flow_set_find_ussd(r->flows, t->service))
                    str_copy(t->service, sizeof t->service, flow_def_ussd_code(def));
                turn_dial(t, def);
            } else if (mo->ussd_service_op >= 0) {
                turn_reply(t, unknown_screen, 1);
            } else {
                turn_continue(t);
            }
            return;
        }
    } else {
        char word[32];
        first_word(t->text, word, sizeof word);
        struct flow_def *def = flow_set_find_sms(r->flows, t->service, word);
        if (def) {
            turn_start_flow(t, def);
            return;
        }
    }
    turn_continue(t);
}
