/*
 * reminder.c - takes due SMS reminders off the schedule once a second and
 * has the session router send them (see reminder.h).
 */
#include "reminder.h"

#include <event2/event.h>
#include <stdlib.h>
#include <time.h>

#include "clock_ms.h"
#include "redis_store.h"
#include "session.h"

#define TICK_MS 1000

struct reminder {
    struct event *tick;
    struct redis_store *rs;
    struct session_router *router;
    int taking; /* a take is in flight: the next tick waits for it */
    int *alive; /* cleared by reminder_free while a take is in flight */
};

/* The reply to a take: the reminder object may be gone by now (alive). */
struct take {
    struct reminder *rm;
    int alive;
};

static void on_taken(void *ctx, size_t n, const char *const *pseudonyms, const char *const *jobs,
                     const char *const *sessions)
{
    struct take *tk = ctx;
    if (tk->alive) {
        tk->rm->taking = 0;
        tk->rm->alive = NULL;
        for (size_t i = 0; i < n; i++)
            session_router_remind(tk->rm->router, pseudonyms[i], jobs[i], sessions[i]);
    }
    free(tk);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct reminder *rm = arg;
    (void)fd;
    (void)what;
    if (rm->taking)
        return;
    struct take *tk = malloc(sizeof *tk);
    if (!tk)
        return;
    *tk = (struct take){rm, 1};
    long long now = clock_ms(CLOCK_REALTIME);
    if (redis_store_take_reminders(rm->rs, now, on_taken, tk) < 0) {
        free(tk); /* Redis is away: the next tick tries again */
        return;
    }
    rm->taking = 1;
    rm->alive = &tk->alive;
}

struct reminder *reminder_new(struct event_base *base, struct redis_store *rs,
                              struct session_router *router)
{
    struct reminder *rm = calloc(1, sizeof *rm);
    if (!rm)
        return NULL;
    rm->rs = rs;
    rm->router = router;
    rm->tick = event_new(base, -1, EV_PERSIST, on_tick, rm);
    struct timeval every = {TICK_MS / 1000, 0};
    if (!rm->tick || event_add(rm->tick, &every) < 0) {
        reminder_free(rm);
        return NULL;
    }
    return rm;
}

void reminder_free(struct reminder *rm)
{
    if (!rm)
        return;
    if (rm->alive)
        *rm->alive = 0;
    if (rm->tick)
        event_free(rm->tick);
    free(rm);
}
