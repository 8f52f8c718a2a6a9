/*
 * flow_registry.c - appends one `flow` event per loaded flow to the answer
 * stream, again every second for the flows Redis has not confirmed yet (it may
 * be down at start). The writer's insert is idempotent, so a flow sent twice
 * is stored once.
 */
#include "flow_registry.h"

#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "flow.h"
#include "log.h"
#include "redis_store.h"
#include "store_event.h"
#include "strbuf.h"

#define RETRY_S 1

struct pending_flow {
    struct flow_registry *reg;
    size_t index;
};

struct flow_registry {
    struct redis_store *rs;
    const struct flow_set *flows;
    struct event *timer;
    struct pending_flow *slots; /* one per flow: the callback's context */
    unsigned char *confirmed;   /* 1 once Redis took the flow's event */
    size_t left;
};

static void on_appended(void *ctx, int status)
{
    struct pending_flow *p = ctx;
    struct flow_registry *reg = p->reg;
    if (status != 0 || reg->confirmed[p->index])
        return;
    reg->confirmed[p->index] = 1;
    if (--reg->left == 0) {
        event_del(reg->timer);
        log_at(LOG_INFO, "registry", "op=flows_registered n=%zu", flow_set_count(reg->flows));
    }
}

static void append_flow(struct flow_registry *reg, size_t i)
{
    const struct flow_def *def = flow_set_get(reg->flows, i);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct store_event ev = {
        .kind = STORE_EVENT_FLOW,
        .at_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000,
        .flow_id = flow_def_id(def),
        .flow_version = flow_def_version(def),
        .flow_checksum = flow_def_checksum(def),
        .title = flow_def_title(def),
        .definition = flow_def_source(def),
    };
    struct strbuf json = {0};
    if (store_event_json(&ev, &json) == 0 && !json.oom)
        redis_store_append(reg->rs, strbuf_cstr(&json), on_appended, &reg->slots[i]);
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

struct flow_registry *flow_registry_start(struct event_base *base, struct redis_store *rs,
                                          const struct flow_set *flows)
{
    size_t n = flow_set_count(flows);
    struct flow_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    reg->rs = rs;
    reg->flows = flows;
    reg->left = n;
    reg->slots = calloc(n ? n : 1, sizeof *reg->slots);
    reg->confirmed = calloc(n ? n : 1, 1);
    reg->timer = event_new(base, -1, EV_PERSIST, on_timer, reg);
    struct timeval every = {RETRY_S, 0};
    if (!reg->slots || !reg->confirmed || !reg->timer || event_add(reg->timer, &every) < 0) {
        flow_registry_free(reg);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        reg->slots[i] = (struct pending_flow){reg, i};
    event_active(reg->timer, EV_TIMEOUT, 0); /* a first try now, then every RETRY_S */
    return reg;
}

void flow_registry_free(struct flow_registry *reg)
{
    if (!reg)
        return;
    if (reg->timer)
        event_free(reg->timer);
    free(reg->slots);
    free(reg->confirmed);
    free(reg);
}
