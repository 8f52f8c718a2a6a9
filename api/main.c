/*
 * main.c - raia-api: the partner HTTP API (docs/api.md).
 *
 * Reads the same YAML file as the gateway (its api: section, privacy.min_cell
 * and log.level), then creates in order: the event loop, the signal events,
 * the server (listening socket, database pool, token set). SIGTERM or SIGINT
 * ends the loop; teardown runs in reverse.
 */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api_server.h"
#include "config.h"
#include "log.h"

static void usage(FILE *to)
{
    fprintf(to, "usage: raia-api --config FILE\n"
                "  Serves the partner API on api.listen:api.port (docs/api.md).\n");
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    log_at(LOG_INFO, "api", "op=stop signal=%d", (int)sig);
    event_base_loopexit(arg, NULL);
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
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
    struct raia_config *cfg = config_load_print(config_path, stderr);
    if (!cfg)
        return 1;
    if (!*cfg->api.conninfo) {
        fprintf(stderr, "%s: api.conninfo: missing (the raia_api login raia-api connects as)\n",
                config_path);
        config_free(cfg);
        return 1;
    }
    log_min_level = cfg->log.min_level;
    signal(SIGPIPE, SIG_IGN);

    int rc = 1;
    struct event_base *base = event_base_new();
    struct event *sig_term = base ? evsignal_new(base, SIGTERM, on_signal, base) : NULL;
    struct event *sig_int = base ? evsignal_new(base, SIGINT, on_signal, base) : NULL;
    struct raia_err err = {0};
    struct api_server *srv = NULL;
    if (!base || !sig_term || !sig_int) {
        fprintf(stderr, "raia-api: cannot create the event loop\n");
    } else if (!(srv = api_server_new(base, cfg, &err))) {
        fprintf(stderr, "raia-api: %s\n", err.msg);
    } else {
        event_add(sig_term, NULL);
        event_add(sig_int, NULL);
        rc = event_base_dispatch(base) < 0 ? 1 : 0;
    }
    api_server_free(srv);
    if (sig_int)
        event_free(sig_int);
    if (sig_term)
        event_free(sig_term);
    if (base)
        event_base_free(base);
    config_free(cfg);
    return rc;
}
