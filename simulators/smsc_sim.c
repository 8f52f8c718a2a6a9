/*
 * smsc_sim.c - main() of raia-smsc-sim, the fake SMSC that tests and
 * developers run in place of an operator: an SMPP 3.4 server for
 * raia-gateway plus a line-based control port where raia-phone plays the
 * phones (docs/simulators.md). Parses the command line, builds the parts in
 * dependency order (record, SMPP listener, control listener, script),
 * runs the loop until SIGTERM/SIGINT and tears down in reverse.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "raia_err.h"
#include "sim_control.h"
#include "sim_esme.h"
#include "sim_internal.h"
#include "sim_phones.h"
#include "sim_record.h"
#include "sim_script.h"

#define EXIT_USAGE 64 /* sysexits EX_USAGE */

static void usage(FILE *f)
{
    fputs("usage: raia-smsc-sim --port P --system-id ID --password PW --control-port C\n"
          "                     [--script FILE] [--record FILE] [--bind ADDR]\n"
          "                     [--log-level debug|info|warn|error]\n",
          f);
}

/* A TCP port from text, strtol with end and range checks; -1 if bad. */
static int parse_port(const char *text)
{
    char *end;
    long v = strtol(text, &end, 10);
    return (end != text && *end == '\0' && v > 0 && v <= 65535) ? (int)v : -1;
}

/* Fills o from argv; returns 0, or EXIT_USAGE after printing why. */
static int parse_args(int argc, char **argv, struct sim_options *o)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},     {"system-id", required_argument, NULL, 's'},
        {"password", required_argument, NULL, 'w'}, {"control-port", required_argument, NULL, 'c'},
        {"script", required_argument, NULL, 'S'},   {"record", required_argument, NULL, 'r'},
        {"bind", required_argument, NULL, 'b'},     {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->bind_addr = "127.0.0.1";
    o->port = o->control_port = -1;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            if ((o->port = parse_port(optarg)) < 0)
                goto bad;
            break;
        case 'c':
            if ((o->control_port = parse_port(optarg)) < 0)
                goto bad;
            break;
        case 's':
            o->system_id = optarg;
            break;
        case 'w':
            o->password = optarg;
            break;
        case 'S':
            o->script_path = optarg;
            break;
        case 'r':
            o->record_path = optarg;
            break;
        case 'b':
            o->bind_addr = optarg;
            break;
        case 'l':
            if (log_level_parse(optarg, &log_min_level) < 0)
                goto bad;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default: /* getopt has said what is wrong */
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind == argc && o->port > 0 && o->control_port > 0 && o->system_id && o->password &&
        strlen(o->system_id) <= 15 && strlen(o->password) <= 8)
        return 0;
    fputs("raia-smsc-sim: --port, --control-port, --system-id (<= 15 chars) and "
          "--password (<= 8 chars) are required\n",
          stderr);
    usage(stderr);
    return EXIT_USAGE;
bad:
    fprintf(stderr, "raia-smsc-sim: bad value '%s'\n", optarg);
    usage(stderr);
    return EXIT_USAGE;
}

static void on_signal(evutil_socket_t sig, short what, void *ctx)
{
    struct sim *s = ctx;
    (void)what;
    log_at(LOG_INFO, "sim", "op=stop signal=%d", (int)sig);
    event_base_loopexit(s->base, NULL);
}

int main(int argc, char **argv)
{
    struct sim_options opt;
    struct sim s;
    struct event *sigterm = NULL, *sigint = NULL;
    int rc = 1;

    if (parse_args(argc, argv, &opt) != 0)
        return EXIT_USAGE;
    memset(&s, 0, sizeof s);
    s.opt = &opt;
    signal(SIGPIPE, SIG_IGN); /* a phone that hangs up must not kill the network */

    s.base = event_base_new();
    if (!s.base) {
        log_at(LOG_ERROR, "sim", "op=start err=\"cannot create event_base\"");
        return 1;
    }
    if (opt.record_path && !(s.record = sim_record_open(opt.record_path))) {
        log_at(LOG_ERROR, "sim", "op=start err=\"cannot open record file\" path=%s",
               opt.record_path);
        goto out;
    }
    if (sim_esme_listen(&s) < 0) {
        log_at(LOG_ERROR, "sim", "op=start err=\"cannot listen\" addr=%s port=%d", opt.bind_addr,
               opt.port);
        goto out;
    }
    if (sim_control_listen(&s) < 0) {
        log_at(LOG_ERROR, "sim", "op=start err=\"cannot listen\" addr=%s control_port=%d",
               opt.bind_addr, opt.control_port);
        goto out;
    }
    if (opt.script_path) {
        struct raia_err err = {0};
        if (!(s.script = sim_script_load(&s, opt.script_path, &err))) {
            char msg[256];
            raia_err_format(&err, msg, sizeof msg);
            fprintf(stderr, "raia-smsc-sim: %s\n", msg);
            goto out;
        }
    }
    sigterm = evsignal_new(s.base, SIGTERM, on_signal, &s);
    sigint = evsignal_new(s.base, SIGINT, on_signal, &s);
    if (!sigterm || !sigint || evsignal_add(sigterm, NULL) < 0 || evsignal_add(sigint, NULL) < 0) {
        log_at(LOG_ERROR, "sim", "op=start err=\"cannot watch signals\"");
        goto out;
    }
    log_at(LOG_INFO, "sim", "op=listen addr=%s port=%d control_port=%d system_id=%s", opt.bind_addr,
           opt.port, opt.control_port, opt.system_id);
    rc = event_base_dispatch(s.base) < 0 ? 1 : 0;

out:
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    sim_script_free(s.script);
    sim_control_close_all(&s);
    sim_esme_close_all(&s);
    sim_phones_free_all(&s);
    sim_record_free(s.record);
    event_base_free(s.base);
    return rc;
}
