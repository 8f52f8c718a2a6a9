/*
 * sim_control.c - control-port clients of raia-smsc-sim (see sim_control.h
 * and docs/simulators.md for the protocol). Reads LF- or CRLF-terminated
 * lines off a bufferevent, turns each into a sim_phones_* or sim_faults_*
 * call through one table (the script checks its lines against it too) and
 * writes the ERR answers; SCREEN and SMS lines are written by sim_phones.c through
 * sim_client_send(). The script's client has no socket and writes to stdout.
 *
 * A client that sent an over-long line gets `ERR line too long` and is
 * closed from its write callback once that line is flushed.
 */
#include "sim_control.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "raia_err.h"
#include "sim_esme.h"
#include "sim_faults.h"
#include "sim_phones.h"
#include "sim_text.h"

struct sim_client {
    struct sim *sim;
    struct bufferevent *bev; /* NULL: the script's client, writing to stdout */
    int closing;             /* freed once its output is flushed */
    struct sim_client *next;
};

static struct sim_client *client_add(struct sim *s, struct bufferevent *bev)
{
    struct sim_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sim = s;
    c->bev = bev;
    c->next = s->clients;
    s->clients = c;
    return c;
}

static void client_free(struct sim_client *c)
{
    struct sim_client **pp = &c->sim->clients;
    while (*pp && *pp != c)
        pp = &(*pp)->next;
    if (*pp)
        *pp = c->next;
    sim_phones_drop_owner(c->sim, c);
    sim_esme_forget_client(c->sim, c);
    if (c->bev)
        bufferevent_free(c->bev);
    free(c);
}

struct sim_client *sim_client_new_stdout(struct sim *s)
{
    return client_add(s, NULL);
}

void sim_client_send(struct sim_client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->bev) {
        struct evbuffer *out = bufferevent_get_output(c->bev);
        evbuffer_add_vprintf(out, fmt, ap);
        evbuffer_add(out, "\n", 1);
    } else {
        vprintf(fmt, ap);
        putchar('\n');
        fflush(stdout);
    }
    va_end(ap);
}

/* Cuts the next space-separated word off *p; "" when there is none. */
static char *next_word(char **p)
{
    char *w = *p + strspn(*p, " ");
    char *end = w + strcspn(w, " ");
    *p = *end ? end + 1 : end;
    *end = '\0';
    return w;
}

/* Phone commands: the msisdn is the first word of args. */
static const char *cmd_dial(struct sim *s, struct sim_client *c, char *args)
{
    char *msisdn = next_word(&args);
    char *code = next_word(&args);
    return *args ? "usage: DIAL msisdn code" : sim_phones_dial(s, c, msisdn, code);
}

static const char *cmd_reply(struct sim *s, struct sim_client *c, char *args)
{
    char *msisdn = next_word(&args);
    char text[SIM_LINE_MAX + 1];
    /* The text is the rest of the line, spaces and all. */
    return sim_text_unescape(args, text, sizeof text) < 0 ? "text too long"
                                                          : sim_phones_reply(s, c, msisdn, text);
}

static const char *sms_common(struct sim *s, struct sim_client *c, char *args, int reverse)
{
    char *msisdn = next_word(&args);
    char *shortcode = next_word(&args);
    char text[SIM_LINE_MAX + 1];
    return sim_text_unescape(args, text, sizeof text) < 0
               ? "text too long"
               : sim_phones_sms(s, c, msisdn, shortcode, text, reverse);
}

static const char *cmd_sms(struct sim *s, struct sim_client *c, char *args)
{
    return sms_common(s, c, args, 0);
}

static const char *cmd_smsrev(struct sim *s, struct sim_client *c, char *args)
{
    return sms_common(s, c, args, 1);
}

static const char *cmd_hangup(struct sim *s, struct sim_client *c, char *args)
{
    char *msisdn = next_word(&args);
    return *args ? "usage: HANGUP msisdn" : sim_phones_hangup(s, c, msisdn);
}

static const char *cmd_redeliver(struct sim *s, struct sim_client *c, char *args)
{
    char *msisdn = next_word(&args);
    const char *err = *args ? "usage: REDELIVER msisdn" : sim_phones_redeliver(s, msisdn);
    if (!err)
        sim_client_send(c, "OK REDELIVER");
    return err;
}

static const char *cmd_switch(struct sim *s, struct sim_client *c, char *args)
{
    char *msisdn = next_word(&args);
    int conn = 0;
    const char *err = *args ? "usage: SWITCH msisdn" : sim_phones_switch(s, c, msisdn, &conn);
    if (!err)
        sim_client_send(c, "OK SWITCH %s conn=%d", msisdn, conn);
    return err;
}

/* ABORT msisdn [op]: op 0..255, 18 (USSR confirm) when left out. */
static const char *cmd_abort(struct sim *s, struct sim_client *c, char *args)
{
    char *msisdn = next_word(&args);
    char *op_s = next_word(&args), *end;
    long op = *op_s ? strtol(op_s, &end, 0) : SMPP_USSD_USSR_CONF;
    if (*args || (*op_s && (*end || op < 0 || op > 255)))
        return "usage: ABORT msisdn [op]";
    const char *err = sim_phones_abort(s, c, msisdn, (int)op);
    if (!err)
        sim_client_send(c, "OK ABORT %s op=%ld", msisdn, op);
    return err;
}

/* Every command: name, whether its first argument is an msisdn, handler. */
static const struct {
    const char *name;
    int needs_msisdn;
    const char *(*fn)(struct sim *s, struct sim_client *c, char *args);
} commands[] = {
    {"DIAL", 1, cmd_dial},
    {"REPLY", 1, cmd_reply},
    {"SMS", 1, cmd_sms},
    {"SMSREV", 1, cmd_smsrev},
    {"HANGUP", 1, cmd_hangup},
    {"REDELIVER", 1, cmd_redeliver},
    {"SWITCH", 1, cmd_switch},
    {"ABORT", 1, cmd_abort},
    {"THROTTLE", 0, sim_faults_throttle},
    {"NORESP", 0, sim_faults_noresp},
    {"SLOW", 0, sim_faults_slow},
    {"DROP", 0, sim_faults_drop},
    {"DUP", 0, sim_faults_dup},
    {"REPLAY", 0, sim_faults_replay},
};

/* The index of the command named by the first len bytes of word, or -1. */
static int command_find(const char *word, size_t len)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strlen(commands[i].name) == len && memcmp(commands[i].name, word, len) == 0)
            return (int)i;
    return -1;
}

int sim_control_known(const char *line)
{
    return command_find(line, strcspn(line, " ")) >= 0;
}

void sim_control_exec(struct sim *s, struct sim_client *c, char *line)
{
    char *args = line;
    char *cmd = next_word(&args);
    const char *err;

    if (*cmd == '\0')
        return; /* blank lines are allowed */
    int i = command_find(cmd, strlen(cmd));
    args += strspn(args, " ");
    if (i < 0)
        err = "unknown command";
    else if (commands[i].needs_msisdn && *args == '\0')
        err = "missing msisdn";
    else
        err = commands[i].fn(s, c, args);
    if (err) {
        log_at(LOG_INFO, "sim", "op=control cmd=%.16s err=\"%s\"", cmd, err);
        sim_client_send(c, "ERR %s", err);
    }
}

static void client_read(struct bufferevent *bev, void *ctx)
{
    struct sim_client *c = ctx;
    struct evbuffer *in = bufferevent_get_input(bev);
    while (!c->closing) {
        size_t n;
        char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
        if (!line) {
            if (evbuffer_get_length(in) > SIM_LINE_MAX)
                break; /* no newline in sight: treat as too long */
            return;
        }
        if (n > SIM_LINE_MAX || strlen(line) != n) { /* too long, or a NUL inside */
            free(line);
            break;
        }
        sim_control_exec(c->sim, c, line);
        free(line);
    }
    if (c->closing)
        return;
    sim_client_send(c, "ERR line too long");
    c->closing = 1;
    bufferevent_disable(bev, EV_READ);
}

static void client_write(struct bufferevent *bev, void *ctx)
{
    struct sim_client *c = ctx;
    if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        client_free(c);
}

static void client_event(struct bufferevent *bev, short what, void *ctx)
{
    struct sim_client *c = ctx;
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        client_free(c);
}

static void control_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                           int salen, void *ctx)
{
    struct sim *s = ctx;
    (void)l;
    (void)sa;
    (void)salen;
    struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    struct sim_client *c = bev ? client_add(s, bev) : NULL;
    if (!c) {
        log_at(LOG_ERROR, "sim", "op=control_accept err=nomem");
        if (bev)
            bufferevent_free(bev);
        else
            evutil_closesocket(fd);
        return;
    }
    bufferevent_setcb(bev, client_read, client_write, client_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

int sim_control_listen(struct sim *s)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)s->opt->control_port);
    if (inet_pton(AF_INET, s->opt->bind_addr, &sin.sin_addr) != 1)
        return -RAIA_EINVAL;
    s->ctl_lis = evconnlistener_new_bind(s->base, control_accept, s,
                                         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
                                         (struct sockaddr *)&sin, sizeof sin);
    return s->ctl_lis ? 0 : -RAIA_EIO;
}

void sim_control_close_all(struct sim *s)
{
    if (s->ctl_lis)
        evconnlistener_free(s->ctl_lis);
    s->ctl_lis = NULL;
    while (s->clients)
        client_free(s->clients);
}
