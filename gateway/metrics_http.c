/*
 * metrics_http.c - serves metrics_render() at GET /metrics (see
 * metrics_http.h).
 */
#include "metrics_http.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "strbuf.h"

struct metrics_http {
    struct evhttp *http;
    struct metrics *m;
    metrics_http_sources_cb sources;
    void *ctx;
    int port;
};

static void reply_json_error(struct metrics_http *h, struct evhttp_request *req, int status,
                             const char *code, const char *message)
{
    struct evbuffer *body = evbuffer_new();
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "application/json");
    if (status == 405)
        evhttp_add_header(headers, "Allow", "GET, HEAD");
    if (body)
        evbuffer_add_printf(body,
                            "{\"error\":{\"status\":%d,\"code\":\"%s\",\"message\":\"%s\"}}\n",
                            status, code, message);
    evhttp_send_reply(req, status, code, body);
    if (body)
        evbuffer_free(body);
    metrics_http(h->m, status);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct metrics_http *h = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    enum evhttp_cmd_type method = evhttp_request_get_command(req);
    if (!path || strcmp(path, "/metrics") != 0) {
        reply_json_error(h, req, 404, "not_found", "only /metrics is served here");
        return;
    }
    if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
        reply_json_error(h, req, 405, "method_not_allowed", "use GET");
        return;
    }
    struct metrics_sources src = {0};
    h->sources(h->ctx, &src);
    metrics_http(h->m, 200); /* counted before rendering, so a scrape sees itself */
    struct strbuf text = {0};
    metrics_render(h->m, &src, &text);
    struct evbuffer *body = evbuffer_new();
    if (text.oom || !body) {
        strbuf_free(&text);
        if (body)
            evbuffer_free(body);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evbuffer_add(body, strbuf_cstr(&text), text.len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; version=0.0.4; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", body);
    evbuffer_free(body);
    strbuf_free(&text);
}

struct metrics_http *metrics_http_new(struct event_base *base, const char *addr, int port,
                                      struct metrics *m, metrics_http_sources_cb sources, void *ctx,
                                      struct raia_err *err)
{
    struct metrics_http *h = calloc(1, sizeof *h);
    if (!h || !(h->http = evhttp_new(base))) {
        free(h);
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    h->m = m;
    h->sources = sources;
    h->ctx = ctx;
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
    evhttp_set_max_headers_size(h->http, 8192);
    evhttp_set_max_body_size(h->http, 1024);
    evhttp_set_timeout(h->http, 10);
    evhttp_set_gencb(h->http, on_request, h);
    struct evhttp_bound_socket *sock =
        evhttp_bind_socket_with_handle(h->http, addr, (ev_uint16_t)port);
    if (!sock) {
        raia_err_set(err, RAIA_EIO, "metrics: cannot listen on %s:%d", addr, port);
        metrics_http_free(h);
        return NULL;
    }
    struct sockaddr_storage ss;
    ev_socklen_t len = sizeof ss;
    h->port = port;
    if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &len) == 0)
        h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    log_at(LOG_INFO, "metrics", "op=listen addr=%s port=%d", addr, h->port);
    return h;
}

int metrics_http_port(const struct metrics_http *h)
{
    return h->port;
}

void metrics_http_free(struct metrics_http *h)
{
    if (!h)
        return;
    if (h->http)
        evhttp_free(h->http);
    free(h);
}
