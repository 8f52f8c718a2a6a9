/*
 * flow_registry.c - appends one `flow` event per loaded flow to the answer
 * stream, again every second for the flows Redis has not confirmed yet (it
 * may be down at start). The writer's insert is idempotent, so a flow sent
 * twice is stored once. After a reload the registry starts over with the
 * new set; answers about the old set that arrive late are ignored by
 * generation.
 */
#include "flow_registry.h"

#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "clock_ms.h"
#include "flow.h"
#include "log.h"
#include "redis_store.h"
#include "store_event.h"
#include "strbuf.h"

#define RETRY_S 1

struct flow_registry {
    struct redis_store *rs;
    const struct flow_set *flows;
    unsigned generation; /* bumped by each new set */
    struct event *timer;
    unsigned char *confirmed; /* per flow: 1 once Redis took its event */
    size_t left;
};

/* One append in flight; freed by its callback. */
struct append {
    struct flow_registry *reg;
    unsigned generation;
    size_t index;
};

static void on_appended(void *ctx, int status)
{
    struct append *a = ctx;
    struct flow_registry *reg = a->reg;
    if (status == 0 && a->generation == reg->generation && !reg->confirmed[a->index]) {
        reg->confirmed[a->index] = 1;
        if (--reg->left == 0) {
            event_del(reg->timer);
            log_at(LOG_INFO, "registry", "op=flows_registered n=%zu", flow_set_count(reg->flows));
        }
    }
    free(a);
}

static void append_flow(struct flow_registry *reg, size_t i)
{
    const struct flow_def *def = flow_set_get(reg->flows, i);
    struct store_event ev = {
        .kind = STORE_EVENT_FLOW,
        .at_ms = clock_ms(CLOCK_REALTIME),
        .flow_id = flow_def_id(def),
        .flow_version = flow_def_version(def),
        .flow_checksum = flow_def_checksum(def),
        .title = flow_def_title(def),
        .definition = flow_def_source(def),
    };
    struct strbuf json = {0};
    struct append *a = malloc(sizeof *a);
    if (a && store_event_json(&ev, &json) == 0 && !json.oom) {
        *a = (struct append){reg, reg->generation, i};
        if (redis_store_append(reg->rs, strbuf_cstr(&json), on_appended, a) == 0)
            a = NULL; /* the callback owns it now */
    }
    free(a);
    strbuf_free(&json);
}

static void on_timer(evutil_socket_t fd, short what, void *ctx)
{
    struct flow_registry *reg = ctx;
    (void)fd;
    (void)what;
    for (size_t i = 0; i < flow_set_count(reg->flows); i++)
        if (!reg->confirmed[i])
            append_flow(reg, i);
}

int flow_registry_set_flows(struct flow_registry *reg, const struct flow_set *flows)
{
    size_t n = flow_set_count(flows);
    unsigned char *confirmed = calloc(n ? n : 1, 1);
    struct timeval every = {RETRY_S, 0};
    if (!confirmed || event_add(reg->timer, &every) < 0) {
        free(confirmed);
        return -RAIA_ENOMEM;
    }
    free(reg->confirmed);
    reg->confirmed = confirmed;
    reg->flows = flows;
    reg->left = n;
    reg->generation++;
    event_active(reg->timer, EV_TIMEOUT, 0); /* a first try now, then every RETRY_S */
    return 0;
}

struct flow_registry *flow_registry_start(struct event_base *base, struct redis_store *rs,
                                          const struct flow_set *flows)
{
    struct flow_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    reg->rs = rs;
    reg->timer = event_new(base, -1, EV_PERSIST, on_timer, reg);
    if (!reg->timer || flow_registry_set_flows(reg, flows) < 0) {
        flow_registry_free(reg);
        return NULL;
    }
    return reg;
}

void flow_registry_free(struct flow_registry *reg)
{
    if (!reg)
        return;
    if (reg->timer)
        event_free(reg->timer);
    free(reg->confirmed);
    free(reg);
}
