/*
 * main.c - raia-gateway: create everything in dependency order, run the
 * event loop, tear down in reverse (after libevent's hello-world.c).
 *
 * Owns the event_base, the signal events and the config. SIGTERM/SIGINT stop
 * intake, let turns in flight finish, unbind every SMSC and let the writer
 * commit its batch, all bounded by gateway.shutdown_timeout_s.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "flow.h"
#include "flow_registry.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "outbox.h"
#include "pg_lookup.h"
#include "pg_writer.h"
#include "pseudonym.h"
#include "redis_store.h"
#include "reminder.h"
#include "session.h"
#include "smpp_conn.h"
#include "str_copy.h"
#include "ussd_profile.h"

/* How long a citizen's "my data" screen waits for PostgreSQL before "try later". */
#define MY_DATA_DEADLINE_MS 3000

struct gateway {
    struct event_base *base;
    struct raia_config *cfg;
    struct pseudonymizer *ps;
    struct flow_set *flows, *previous_flows; /* previous: until the next reload */
    struct redis_store *rs;
    struct pg_writer *writers[CONFIG_MAX_WRITERS];
    size_t n_writers;
    struct pg_writer_gate writer_gate; /* erasures are written alone */
    struct session_router *router;
    struct pg_lookup *lookup; /* the "my data" menu's reads; NULL without the menu */
    struct metrics *metrics;
    struct metrics_http *metrics_http; /* NULL unless metrics.port is set */
    struct flow_registry *registry;
    struct outbox *outbox;     /* results fed back (docs/broadcast.md) */
    struct reminder *reminder; /* SMS reminders; NULL unless redis.sms_reminder_s */
    struct smpp_conn *conns[CONFIG_MAX_SMSC];
    size_t n_conns;
    struct event *sig_term, *sig_int, *sig_hup, *stop_tick;
    int stopping;
    size_t writers_drained;
    long long stop_deadline_ticks;
};

static void usage(FILE *to)
{
    fprintf(to, "usage: raia-gateway --config FILE [--check-config]\n"
                "  --config FILE     gateway configuration (see docs/configuration.md)\n"
                "  --check-config    load config, key and flows, report problems, exit\n");
}

static void on_mo(void *ctx, struct smpp_conn *c, const struct smpp_sm *mo, struct smpp_mo_ref ref)
{
    struct gateway *gw = ctx;
    session_router_on_mo(gw->router, c, mo, ref);
}

static void on_writer_drained(void *ctx)
{
    struct gateway *gw = ctx;
    gw->writers_drained++;
}

static int all_conns_closed(const struct gateway *gw)
{
    for (size_t i = 0; i < gw->n_conns; i++)
        if (smpp_conn_get_state(gw->conns[i]) != SMPP_CONN_CLOSED)
            return 0;
    return 1;
}

/*
 * Shutdown proceeds in steps checked every 100 ms: first the turns in flight
 * finish (their answers reach Redis and their screens go out), then the binds
 * unbind, then the writer commits what it holds. The deadline bounds it all.
 */
static void on_stop_tick(evutil_socket_t fd, short what, void *ctx)
{
    struct gateway *gw = ctx;
    (void)fd;
    (void)what;
    int turns_done = session_router_in_flight(gw->router) == 0;
    if (turns_done && gw->stopping == 1) {
        gw->stopping = 2;
        for (size_t i = 0; i < gw->n_conns; i++)
            smpp_conn_stop(gw->conns[i]);
        for (size_t i = 0; i < gw->n_writers; i++)
            pg_writer_drain(gw->writers[i], on_writer_drained, gw);
    }
    if ((gw->stopping == 2 && all_conns_closed(gw) && gw->writers_drained == gw->n_writers) ||
        --gw->stop_deadline_ticks <= 0) {
        if (gw->stop_deadline_ticks <= 0)
            log_at(LOG_WARN, "main", "op=shutdown err=deadline in_flight=%zu",
                   session_router_in_flight(gw->router));
        event_base_loopbreak(gw->base);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *ctx)
{
    struct gateway *gw = ctx;
    (void)what;
    if (gw->stopping)
        return;
    log_at(LOG_INFO, "main", "op=shutdown signal=%d", (int)sig);
    gw->stopping = 1;
    gw->stop_deadline_ticks = 100; /* 10 s of 100 ms ticks */
    session_router_stop(gw->router);
    struct timeval tick = {0, 100 * 1000};
    event_add(gw->stop_tick, &tick);
}

/*
 * SIGHUP: load the flows folder again. A folder with any mistake is refused
 * with every error in the log, and the flows running now stay live.
 */
static void on_reload(evutil_socket_t sig, short what, void *ctx)
{
    struct gateway *gw = ctx;
    struct raia_errlist errs = {0};
    (void)sig;
    (void)what;
    struct flow_set *fresh = flow_set_load_dir(gw->cfg->flows.dir, &errs);
    if (!fresh) {
        char line[RAIA_ERR_MSG_MAX + 256];
        for (size_t i = 0; i < errs.n; i++) {
            raia_err_format(&errs.items[i], line, sizeof line);
            log_at(LOG_ERROR, "main", "op=reload err=\"%s\"", line);
        }
        log_at(LOG_ERROR, "main", "op=reload status=refused kept=%zu", flow_set_count(gw->flows));
        raia_errlist_free(&errs);
        return;
    }
    if (flow_registry_set_flows(gw->registry, fresh) < 0) {
        log_at(LOG_ERROR, "main", "op=reload err=out_of_memory");
        flow_set_free(fresh);
        return;
    }
    session_router_set_flows(gw->router, fresh);
    flow_set_free(gw->previous_flows); /* turns still running hold their own references */
    gw->previous_flows = gw->flows;
    gw->flows = fresh;
    log_at(LOG_INFO, "main", "op=reload status=ok flows=%zu", flow_set_count(fresh));
}

static int start_conns(struct gateway *gw)
{
    for (size_t i = 0; i < gw->cfg->n_smsc; i++) {
        const struct config_smsc *s = &gw->cfg->smsc[i];
        struct smpp_conn_opts o = {
            .name = s->name,
            .operator_name = s->operator_name[0] ? s->operator_name : s->name,
            .bind_type = strcmp(s->bind, "transmitter") == 0 ? SMPP_BIND_TX
                         : strcmp(s->bind, "receiver") == 0  ? SMPP_BIND_RX
                                                             : SMPP_BIND_TRX,
            .addr_ton = (int)s->addr_ton,
            .addr_npi = (int)s->addr_npi,
            .address_range = s->address_range,
            .host = s->host,
            .port = (int)s->port,
            .system_id = s->system_id,
            .password = s->password,
            .system_type = s->system_type,
            .enquire_link_s = (int)s->enquire_link_s,
            .response_timeout_s = (int)s->response_timeout_s,
            .reconnect_min_s = (int)s->reconnect_min_s,
            .reconnect_max_s = (int)s->reconnect_max_s,
            .window = (int)s->window,
            .max_tps = (int)s->max_tps,
            .sms_charset = s->sms_charset,
        };
        struct raia_err err = {0};
        gw->conns[i] = smpp_conn_new(gw->base, &o, on_mo, NULL, gw, &err);
        if (!gw->conns[i]) {
            fprintf(stderr, "raia-gateway: smsc %s: %s\n", s->name, err.msg);
            return -1;
        }
        gw->n_conns++;
        struct ussd_profile up;
        ussd_profile_from_config(s->ussd_profile, (int)s->ussd_mt_continue_op,
                                 (int)s->ussd_mt_end_op, (int)s->ussd_abort_op,
                                 (int)s->ussd_end_bit, &up);
        session_router_add_conn(gw->router, gw->conns[i], &up);
        if (smpp_conn_start(gw->conns[i]) < 0) {
            fprintf(stderr, "raia-gateway: smsc %s: cannot start\n", s->name);
            return -1;
        }
    }
    return 0;
}

/* Loads what can be checked without touching the network; 0 when all is well. */
static int load_static(struct gateway *gw, const char *config_path)
{
    gw->cfg = config_load_print(config_path, stderr);
    if (!gw->cfg)
        return -1;
    log_min_level = gw->cfg->log.min_level;
    struct raia_err err = {0};
    gw->ps = pseudonymizer_new(gw->cfg->privacy.key_file, gw->cfg->privacy.project,
                               gw->cfg->privacy.country_code, gw->cfg->privacy.trunk_prefix, &err);
    if (!gw->ps) {
        fprintf(stderr, "%s: %s\n", config_path, err.msg);
        return -1;
    }
    struct raia_errlist errs = {0};
    gw->flows = flow_set_load_dir(gw->cfg->flows.dir, &errs);
    if (!gw->flows)
        raia_errlist_print(&errs, stderr, "");
    raia_errlist_free(&errs);
    return gw->flows ? 0 : -1;
}

/* What GET /metrics reads at scrape time. */
static void metrics_sources(void *ctx, struct metrics_sources *src)
{
    struct gateway *gw = ctx;
    src->conns = gw->conns;
    src->n_conns = gw->n_conns;
    src->writers = (const struct pg_writer *const *)gw->writers;
    src->n_writers = gw->n_writers;
    src->outbox = gw->outbox;
    src->turns_in_flight = session_router_in_flight(gw->router);
    src->sessions_cached = session_router_cached(gw->router);
}

/* Counters, and the endpoint that shows them when metrics.port is set. */
static int start_metrics(struct gateway *gw)
{
    struct raia_err err = {0};
    gw->metrics = metrics_new();
    if (!gw->metrics) {
        fprintf(stderr, "raia-gateway: out of memory\n");
        return -1;
    }
    session_router_set_metrics(gw->router, gw->metrics);
    if (gw->cfg->metrics.port == 0)
        return 0;
    gw->metrics_http =
        metrics_http_new(gw->base, gw->cfg->metrics.listen, (int)gw->cfg->metrics.port, gw->metrics,
                         metrics_sources, gw, &err);
    if (!gw->metrics_http) {
        fprintf(stderr, "raia-gateway: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/*
 * postgres.writers writers drain the answer stream side by side, each a
 * consumer of the group (named HOST/N) with its own PostgreSQL connection:
 * one statement at a time per connection, so that is how PostgreSQL gets
 * more than one core. Their batches commute (docs/storage.md).
 */
static int start_writers(struct gateway *gw)
{
    char host[100] = "raia";
    if (gethostname(host, sizeof host - 1) < 0)
        snprintf(host, sizeof host, "raia");
    for (long long i = 0; i < gw->cfg->postgres.writers; i++) {
        char consumer[128];
        /* the first keeps the plain host name: entries pending before an upgrade stay its own */
        if (i == 0)
            str_copy(consumer, sizeof consumer, host);
        else
            snprintf(consumer, sizeof consumer, "%s/%lld", host, i + 1);
        struct pg_writer_opts wo = {
            .conninfo = gw->cfg->postgres.conninfo,
            .redis_url = gw->cfg->redis.url,
            .prefix = gw->cfg->redis.prefix,
            .consumer = consumer,
            .batch_max = (int)gw->cfg->postgres.batch_max,
            .gate = &gw->writer_gate,
        };
        struct raia_err err = {0};
        gw->writers[gw->n_writers] = pg_writer_new(gw->base, &wo, &err);
        if (!gw->writers[gw->n_writers]) {
            fprintf(stderr, "raia-gateway: writer: %s\n", err.msg);
            return -1;
        }
        gw->n_writers++;
    }
    return 0;
}

static int start_services(struct gateway *gw)
{
    struct raia_err err = {0};
    struct redis_store_opts ro = {
        .url = gw->cfg->redis.url,
        .session_ttl_s = (int)gw->cfg->redis.session_ttl_s,
        .turns_per_minute = (int)gw->cfg->redis.turns_per_minute,
        .prefix = gw->cfg->redis.prefix,
    };
    gw->rs = redis_store_new(gw->base, &ro, &err);
    if (!gw->rs) {
        fprintf(stderr, "raia-gateway: redis: %s\n", err.msg);
        return -1;
    }
    if (start_writers(gw) < 0)
        return -1;
    gw->router = session_router_new(gw->rs, gw->ps, gw->flows);
    gw->registry = flow_registry_start(gw->base, gw->rs, gw->flows);
    if (!gw->router || !gw->registry) {
        fprintf(stderr, "raia-gateway: out of memory\n");
        return -1;
    }
    if (start_metrics(gw) < 0)
        return -1;
    session_router_set_lifetimes(gw->router, (int)gw->cfg->redis.resume_window_s,
                                 (int)gw->cfg->redis.sms_session_ttl_s,
                                 (int)gw->cfg->redis.sms_reminder_s);
    const char *my_data = gw->cfg->privacy.my_data_code;
    if (*my_data) {
        if (flow_set_find_ussd(gw->flows, my_data)) {
            fprintf(stderr, "raia-gateway: privacy.my_data_code %s is also a flow's USSD code\n",
                    my_data);
            return -1;
        }
        gw->lookup = pg_lookup_new(gw->base, gw->cfg->postgres.conninfo, MY_DATA_DEADLINE_MS);
        if (!gw->lookup) {
            fprintf(stderr, "raia-gateway: out of memory\n");
            return -1;
        }
        session_router_set_my_data(gw->router, gw->lookup, my_data);
    }
    gw->outbox = outbox_new(gw->base, gw->cfg, gw->flows, gw->conns, &gw->n_conns, &err);
    if (!gw->outbox) {
        fprintf(stderr, "raia-gateway: outbox: %s\n", err.msg);
        return -1;
    }
    session_router_set_contacts(gw->router, outbox_seal(gw->outbox));
    if (gw->cfg->redis.sms_reminder_s > 0) {
        if (!outbox_seal(gw->outbox)) {
            fprintf(stderr, "raia-gateway: redis.sms_reminder_s needs privacy.contact_key_file: "
                            "the number is kept sealed until the reminder\n");
            return -1;
        }
        gw->reminder = reminder_new(gw->base, gw->rs, gw->router);
        if (!gw->reminder) {
            fprintf(stderr, "raia-gateway: out of memory\n");
            return -1;
        }
    }
    gw->sig_term = evsignal_new(gw->base, SIGTERM, on_signal, gw);
    gw->sig_int = evsignal_new(gw->base, SIGINT, on_signal, gw);
    gw->sig_hup = evsignal_new(gw->base, SIGHUP, on_reload, gw);
    gw->stop_tick = event_new(gw->base, -1, EV_PERSIST, on_stop_tick, gw);
    if (!gw->sig_term || !gw->sig_int || !gw->sig_hup || !gw->stop_tick ||
        event_add(gw->sig_term, NULL) < 0 || event_add(gw->sig_int, NULL) < 0 ||
        event_add(gw->sig_hup, NULL) < 0) {
        fprintf(stderr, "raia-gateway: cannot set up signals\n");
        return -1;
    }
    return start_conns(gw);
}

static void teardown(struct gateway *gw)
{
    for (size_t i = 0; i < gw->n_conns; i++)
        smpp_conn_free(gw->conns[i]);
    outbox_free(gw->outbox);
    reminder_free(gw->reminder);
    if (gw->stop_tick)
        event_free(gw->stop_tick);
    if (gw->sig_int)
        event_free(gw->sig_int);
    if (gw->sig_term)
        event_free(gw->sig_term);
    if (gw->sig_hup)
        event_free(gw->sig_hup);
    metrics_http_free(gw->metrics_http);
    for (size_t i = 0; i < gw->n_writers; i++)
        pg_writer_free(gw->writers[i]);
    pg_lookup_free(gw->lookup);
    redis_store_free(gw->rs);
    flow_registry_free(gw->registry); /* after the store: its pending appends call back */
    session_router_free(gw->router);
    metrics_free(gw->metrics);
    flow_set_free(gw->flows);
    flow_set_free(gw->previous_flows);
    pseudonymizer_free(gw->ps);
    config_free(gw->cfg);
    if (gw->base)
        event_base_free(gw->base);
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    int check_only = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check_only = 1;
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!config_path) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    struct gateway gw;
    memset(&gw, 0, sizeof gw);
    int rc = 1;
    if (load_static(&gw, config_path) < 0)
        goto out;
    if (check_only) {
        printf("%s: ok (%zu smsc, %zu flows)\n", config_path, gw.cfg->n_smsc,
               flow_set_count(gw.flows));
        rc = 0;
        goto out;
    }
    gw.base = event_base_new();
    if (!gw.base) {
        fprintf(stderr, "raia-gateway: cannot create event base\n");
        goto out;
    }
    if (start_services(&gw) < 0)
        goto out;
    log_at(LOG_INFO, "main", "op=start smsc=%zu flows=%zu", gw.cfg->n_smsc,
           flow_set_count(gw.flows));
    event_base_dispatch(gw.base);
    log_at(LOG_INFO, "main", "op=stopped");
    rc = 0;
out:
    teardown(&gw);
    return rc;
}
