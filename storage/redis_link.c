/*
 * redis_link.c - reconnecting hiredis async connection (see redis_link.h).
 */
#include "redis_link.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <stdlib.h>

#include "backoff.h"
#include "log.h"
#include "redis_url.h"

struct redis_link {
    struct event_base *base;
    struct redis_url url;
    const char *name;
    redis_link_up_cb on_up;
    void *ctx;
    redisAsyncContext *ac; /* set from connect until hiredis frees it */
    int ready;             /* connected and AUTH/SELECT queued */
    int closing;
    struct backoff backoff;
    struct event *retry;
};

static void link_connect(struct redis_link *link);

static void schedule_retry(struct redis_link *link)
{
    link->ac = NULL;
    link->ready = 0;
    if (link->closing)
        return;
    backoff_arm(&link->backoff, link->retry);
}

static void on_setup_reply(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct redis_link *link = priv;
    if (reply && reply->type == REDIS_REPLY_ERROR) {
        log_at(LOG_ERROR, "redis", "link=%s op=setup err=\"%s\"", link->name, reply->str);
        redisAsyncDisconnect(ac);
    }
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_link *link = ac->data;
    if (status != REDIS_OK) {
        log_at(LOG_WARN, "redis", "link=%s op=connect err=\"%s\" retry_ms=%d", link->name,
               ac->errstr, link->backoff.next_ms);
        schedule_retry(link); /* hiredis frees ac after this callback */
        return;
    }
    link->ready = 1;
    backoff_reset(&link->backoff);
    log_at(LOG_INFO, "redis", "link=%s op=connect status=up", link->name);
    if (link->on_up)
        link->on_up(link->ctx);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct redis_link *link = ac->data;
    if (!link->closing)
        log_at(LOG_WARN, "redis", "link=%s op=disconnect err=\"%s\" retry_ms=%d", link->name,
               status == REDIS_OK ? "closed" : ac->errstr, link->backoff.next_ms);
    schedule_retry(link);
}

static void queue_setup(struct redis_link *link)
{
    if (link->url.password[0])
        redisAsyncCommand(link->ac, on_setup_reply, link, "AUTH %s", link->url.password);
    if (link->url.db)
        redisAsyncCommand(link->ac, on_setup_reply, link, "SELECT %d", link->url.db);
}

static void link_connect(struct redis_link *link)
{
    redisAsyncContext *ac = link->url.unix_socket
                                ? redisAsyncConnectUnix(link->url.host)
                                : redisAsyncConnect(link->url.host, link->url.port);
    if (!ac || ac->err) {
        log_at(LOG_WARN, "redis", "link=%s op=connect err=\"%s\" retry_ms=%d", link->name,
               ac ? ac->errstr : "out of memory", link->backoff.next_ms);
        if (ac)
            redisAsyncFree(ac);
        schedule_retry(link);
        return;
    }
    ac->data = link;
    link->ac = ac;
    redisLibeventAttach(ac, link->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    queue_setup(link); /* sent first, as soon as the socket connects */
}

static void on_retry(evutil_socket_t fd, short what, void *ctx)
{
    (void)fd;
    (void)what;
    link_connect(ctx);
}

struct redis_link *redis_link_new(struct event_base *base, const char *url, const char *name,
                                  redis_link_up_cb on_up, void *ctx, struct raia_err *err)
{
    struct redis_link *link = calloc(1, sizeof *link);
    if (!link) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    if (redis_url_parse(url, &link->url, err) < 0) {
        free(link);
        return NULL;
    }
    link->retry = evtimer_new(base, on_retry, link);
    if (!link->retry) {
        free(link);
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    link->base = base;
    link->name = name;
    link->on_up = on_up;
    link->ctx = ctx;
    link->backoff = (struct backoff)BACKOFF_INIT(100, 5000);
    link_connect(link);
    return link;
}

redisAsyncContext *redis_link_ctx(const struct redis_link *link)
{
    return link->ready ? link->ac : NULL;
}

void redis_link_free(struct redis_link *link)
{
    if (!link)
        return;
    link->closing = 1;
    if (link->ac)
        redisAsyncFree(link->ac); /* runs pending callbacks with NULL replies */
    event_free(link->retry);
    free(link);
}
