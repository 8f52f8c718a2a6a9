/*
 * redis_url.c - splits a Redis URL into host, port, database and password.
 */
#include "redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

static int parse_int(const char *s, size_t len, int min, int max, int *out)
{
    char buf[16];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    long v = strtol(buf, &end, 10);
    if (*end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int copy_part(char *dst, size_t size, const char *s, size_t len)
{
    if (len == 0 || len >= size)
        return -1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

static int parse_unix(const char *rest, struct redis_url *out)
{
    const char *q = strchr(rest, '?');
    size_t path_len = q ? (size_t)(q - rest) : strlen(rest);
    if (rest[0] != '/' || copy_part(out->host, sizeof out->host, rest, path_len) < 0)
        return -1;
    out->unix_socket = 1;
    if (q)
        return strncmp(q, "?db=", 4) == 0 ? parse_int(q + 4, strlen(q + 4), 0, 1000, &out->db) : -1;
    return 0;
}

static int parse_tcp(const char *rest, struct redis_url *out)
{
    const char *at = strchr(rest, '@');
    if (at) {
        if (rest[0] != ':' ||
            copy_part(out->password, sizeof out->password, rest + 1, (size_t)(at - rest - 1)) < 0)
            return -1;
        rest = at + 1;
    }
    const char *slash = strchr(rest, '/');
    size_t hostport_len = slash ? (size_t)(slash - rest) : strlen(rest);
    const char *colon = memchr(rest, ':', hostport_len);
    size_t host_len = colon ? (size_t)(colon - rest) : hostport_len;
    if (copy_part(out->host, sizeof out->host, rest, host_len) < 0)
        return -1;
    if (colon && parse_int(colon + 1, hostport_len - host_len - 1, 1, 65535, &out->port) < 0)
        return -1;
    if (slash && slash[1] && parse_int(slash + 1, strlen(slash + 1), 0, 1000, &out->db) < 0)
        return -1;
    return 0;
}

int redis_url_parse(const char *url, struct redis_url *out, struct raia_err *err)
{
    memset(out, 0, sizeof *out);
    out->port = 6379;
    int rc = -1;
    if (strncmp(url, "redis://", 8) == 0)
        rc = parse_tcp(url + 8, out);
    else if (strncmp(url, "unix:", 5) == 0)
        rc = parse_unix(url + 5, out);
    if (rc < 0)
        return raia_err_set(err, RAIA_ECONFIG,
                            "bad redis url (want redis://[:password@]host[:port][/db] or "
                            "unix:/path[?db=N])");
    return 0;
}

struct redisContext *redis_url_connect(const char *url, struct raia_err *err)
{
    struct redis_url u;
    if (redis_url_parse(url, &u, err) < 0)
        return NULL;
    redisContext *c = u.unix_socket ? redisConnectUnix(u.host) : redisConnect(u.host, u.port);
    if (!c || c->err) {
        raia_err_set(err, RAIA_EIO, "redis: %s", c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    redisReply *r = NULL;
    if (u.password[0])
        freeReplyObject(r = redisCommand(c, "AUTH %s", u.password));
    if (u.db)
        freeReplyObject(r = redisCommand(c, "SELECT %d", u.db));
    return c;
}
