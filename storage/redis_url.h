/**
 * redis_url.h - parses the `redis.url` config value.
 *
 * Accepted forms: redis://[:password@]host[:port][/db] and
 * unix:/path/to/socket[?db=N]. Used by redis_link.c, and by the CLI's
 * synchronous commands through redis_url_connect().
 */
#ifndef RAIA_REDIS_URL_H
#define RAIA_REDIS_URL_H

#include "raia_err.h"

struct redis_url {
    char host[256]; /* host name, or the socket path when unix is set */
    int port;
    int unix_socket;
    int db;
    char password[128]; /* "" for none */
};

/** Returns 0, or -RAIA_ECONFIG with err describing what is wrong. */
int redis_url_parse(const char *url, struct redis_url *out, struct raia_err *err);

struct redisContext;
/**
 * A blocking hiredis connection to url, authenticated and on its database:
 * for the `raia` CLI only (erase.c, outbox_store.c), never in the gateway's
 * loop. NULL with err filled. The caller frees it with redisFree().
 */
struct redisContext *redis_url_connect(const char *url, struct raia_err *err);

#endif
