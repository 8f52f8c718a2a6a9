/*
 * outbox.c - the sending side of `raia broadcast` (see outbox.h).
 *
 * Why one job at a time on a timer: a broadcast may queue thousands of
 * messages, and they must not crowd out the replies citizens are waiting
 * for on the same binds; one pop per tick, the tick spaced by the parts the
 * last message needed, keeps the outbox under broadcast.per_second whatever
 * the queue holds. The number of a job exists only between opening its seal
 * and the submit calls, on this function's stack. Called from main.c; calls
 * storage/outbox_store.c and the binds.
 */
#include "outbox.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "clock_ms.h"
#include "config.h"
#include "contact_seal.h"
#include "flow.h"
#include "log.h"
#include "mt_sms.h"
#include "outbox_store.h"
#include "smpp_conn.h"
#include "str_copy.h"

#define IDLE_MS 1000 /* look again this long after the queue was empty or Redis failed */

struct outbox {
    struct event_base *base;
    struct outbox_store *store;
    struct contact_seal *seal; /* NULL: no contact key configured, nothing is sent */
    struct smpp_conn *const *conns;
    const size_t *n_conns; /* main.c's count: binds are added after the outbox */
    struct event *timer;
    long long per_second;
    int popping; /* a pop is in flight */
    int freeing; /* outbox_free() runs: a pop's reply is ignored */
    uint8_t concat_ref;
    struct outbox_counts counts;
};

/* One sent message: the results of its parts come back one by one. */
struct sending {
    struct outbox *ob;
    size_t parts_left;
    int failed;
};

static void schedule(struct outbox *ob, long long ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    evtimer_add(ob->timer, &tv);
}

/* The bind a job leaves through: a transmitting bind of its operator, a bound one first. */
static struct smpp_conn *conn_for(const struct outbox *ob, const char *operator_name, int *known)
{
    struct smpp_conn *any = NULL;
    *known = 0;
    for (size_t i = 0; i < *ob->n_conns; i++) {
        struct smpp_conn *c = ob->conns[i];
        if (!smpp_conn_can_submit(c) || strcmp(smpp_conn_operator(c), operator_name) != 0)
            continue;
        *known = 1;
        if (smpp_conn_get_state(c) == SMPP_CONN_BOUND)
            return c;
        any = c;
    }
    return any;
}

/* Nothing is taken off the queue while no bind can send it (start-up, an outage). */
static int any_bound(const struct outbox *ob)
{
    for (size_t i = 0; i < *ob->n_conns; i++)
        if (smpp_conn_can_submit(ob->conns[i]) &&
            smpp_conn_get_state(ob->conns[i]) == SMPP_CONN_BOUND)
            return 1;
    return 0;
}

static void on_part(void *ctx, int status, const char *message_id)
{
    struct sending *s = ctx;
    (void)message_id;
    if (status != 0)
        s->failed = 1;
    if (--s->parts_left > 0)
        return;
    if (s->failed)
        s->ob->counts.failed++;
    else
        s->ob->counts.sent++;
    free(s);
}

/*
 * Opens the seal, submits, wipes. Returns the parts submitted (0 when the
 * job could not be sent: counted as failed and logged, never retried, as a
 * broadcast is sent at most once).
 */
static size_t send_job(struct outbox *ob, const struct outbox_job *job)
{
    int known = 0;
    struct smpp_conn *tx = conn_for(ob, job->operator_name, &known);
    struct sending *s = malloc(sizeof *s);
    struct smpp_sm mt;
    memset(&mt, 0, sizeof mt);
    mt.ussd_service_op = -1;
    mt.its_session_info = -1;
    char e164[E164_MAX] = "";
    int rc = !tx ? -RAIA_ENOTFOUND : !s ? -RAIA_ENOMEM : 0;
    if (rc == 0)
        rc = contact_seal_open(ob->seal, job->pseudonym, job->flow, job->sealed, e164);
    size_t parts = 0;
    if (rc == 0) {
        str_copy(mt.source_addr, sizeof mt.source_addr, job->from);
        memcpy(mt.destination_addr, e164 + 1, strlen(e164)); /* digits after '+', and NUL */
        mt.dest_addr_ton = 1;                                /* international */
        mt.dest_addr_npi = 1;                                /* E.164 */
        mt.registered_delivery = 1;
        *s = (struct sending){.ob = ob};
        rc = mt_sms_submit(tx, &mt, job->text, ob->concat_ref++, on_part, s, &parts);
        s->parts_left = parts;
        s->failed = rc < 0;
    }
    OPENSSL_cleanse(e164, sizeof e164);
    OPENSSL_cleanse(mt.destination_addr, sizeof mt.destination_addr);
    OPENSSL_cleanse(mt.short_message, sizeof mt.short_message);
    if (parts == 0) {
        free(s);
        ob->counts.failed++;
    }
    if (rc < 0)
        log_at(LOG_WARN, "outbox", "op=send pseud=%.12s flow=%s broadcast=%s operator=%s err=%s",
               job->pseudonym, job->flow, job->broadcast, job->operator_name,
               !known ? "no_transmitting_bind" : raia_strerror(rc));
    else
        log_at(LOG_INFO, "outbox", "op=send pseud=%.12s flow=%s broadcast=%s parts=%zu",
               job->pseudonym, job->flow, job->broadcast, parts);
    return parts;
}

static void on_popped(void *ctx, int status, const struct outbox_job *job)
{
    struct outbox *ob = ctx;
    if (ob->freeing)
        return;
    ob->popping = 0;
    if (status == -RAIA_ENOTFOUND || status == -RAIA_EIO) {
        schedule(ob, IDLE_MS);
        return;
    }
    size_t parts = 1;
    if (status < 0) {
        ob->counts.failed++;
        log_at(LOG_WARN, "outbox", "op=pop err=%s", raia_strerror(status));
    } else if (job->stopped) {
        ob->counts.skipped++;
        log_at(LOG_INFO, "outbox", "op=skip pseud=%.12s flow=%s broadcast=%s reason=stopped",
               job->pseudonym, job->flow, job->broadcast);
    } else if ((parts = send_job(ob, job)) == 0) {
        parts = 1;
    }
    schedule(ob, (long long)parts * 1000 / ob->per_second);
}

static void on_tick(evutil_socket_t fd, short what, void *ctx)
{
    struct outbox *ob = ctx;
    (void)fd;
    (void)what;
    if (ob->popping)
        return;
    if (!any_bound(ob) ||
        outbox_store_pop(ob->store, clock_ms(CLOCK_REALTIME), on_popped, ob) < 0) {
        schedule(ob, IDLE_MS);
        return;
    }
    ob->popping = 1;
}

/* broadcast.per_second, lowered to the smallest max_tps of a transmitting bind. */
static long long rate_of(const struct raia_config *cfg)
{
    long long rate = cfg->broadcast.per_second;
    for (size_t i = 0; i < cfg->n_smsc; i++) {
        const struct config_smsc *s = &cfg->smsc[i];
        if (strcmp(s->bind, "receiver") != 0 && s->max_tps > 0 && s->max_tps < rate)
            rate = s->max_tps;
    }
    return rate;
}

/* The first flow that asks to text people back; NULL if none does. */
static const char *contact_flow(const struct flow_set *flows)
{
    for (size_t i = 0; i < flow_set_count(flows); i++)
        if (flow_def_contact_step(flow_set_get(flows, i)))
            return flow_def_id(flow_set_get(flows, i));
    return NULL;
}

struct outbox *outbox_new(struct event_base *base, const struct raia_config *cfg,
                          const struct flow_set *flows, struct smpp_conn *const *conns,
                          const size_t *n, struct raia_err *err)
{
    const char *asks = contact_flow(flows);
    if (asks && !*cfg->privacy.contact_key_file) {
        raia_err_set(err, RAIA_ECONFIG,
                     "flow %s has a contact step: set privacy.contact_key_file "
                     "(docs/broadcast.md)",
                     asks);
        return NULL;
    }

    struct outbox *ob = calloc(1, sizeof *ob);
    if (!ob) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    ob->base = base;
    ob->conns = conns;
    ob->n_conns = n;
    ob->per_second = rate_of(cfg);
    if (!*cfg->privacy.contact_key_file)
        return ob; /* no contacts kept, nothing to send */
    ob->seal = contact_seal_new(cfg->privacy.contact_key_file, cfg->privacy.project, err);
    if (ob->seal)
        ob->store = outbox_store_new(base, cfg->redis.url, cfg->redis.prefix, err);
    if (ob->store)
        ob->timer = evtimer_new(base, on_tick, ob);
    if (!ob->timer) {
        if (ob->store)
            raia_err_set(err, RAIA_ENOMEM, "out of memory");
        outbox_free(ob);
        return NULL;
    }
    schedule(ob, IDLE_MS);
    log_at(LOG_INFO, "outbox", "op=start per_second=%lld", ob->per_second);
    return ob;
}

const struct contact_seal *outbox_seal(const struct outbox *ob)
{
    return ob ? ob->seal : NULL;
}

const struct outbox_counts *outbox_counts(const struct outbox *ob)
{
    return &ob->counts;
}

void outbox_free(struct outbox *ob)
{
    if (!ob)
        return;
    ob->freeing = 1;
    if (ob->timer) {
        event_free(ob->timer);
        log_at(LOG_INFO, "outbox", "op=stop sent=%llu failed=%llu skipped=%llu", ob->counts.sent,
               ob->counts.failed, ob->counts.skipped);
    }
    outbox_store_free(ob->store);
    contact_seal_free(ob->seal);
    free(ob);
}
