/*
 * phone.c - raia-phone, one test phone on the control port of
 * raia-smsc-sim (docs/simulators.md). Dials a USSD code, prints each screen
 * as `< ` lines, and answers either from --input arguments (scripted, for
 * tests) or from stdin (interactive, for people). With --sms it texts a
 * short code instead: the first input is the first SMS, each SMS received
 * gets the next input, and the SMS that comes after the last input ends the
 * run. Run by tests/integration/e2e_ussd_test.sh, e2e_sms_test.sh and by
 * hand.
 *
 * A plain blocking socket with poll() is enough here: one phone, one
 * conversation, nothing else to serve.
 *
 * Exit codes: 0 end screen, the SMS after the last input (--sms), or stdin
 * EOF when interactive; 1 error or ERR
 * from the simulator, 2 no screen within --timeout, 3 --input values used
 * up while the screen still asks, 64 bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sim_text.h"

#define EXIT_ERROR 1
#define EXIT_TIMEOUT 2
#define EXIT_INPUTS 3
#define EXIT_USAGE 64
#define LINE_MAX_LEN 8192

struct phone {
    int fd;
    const char *msisdn, *code;
    const char *shortcode; /* --sms: texting instead of dialling */
    int reverse;           /* --reverse: long SMS go as SMSREV (parts in reverse order) */
    char **inputs;         /* borrowed from argv */
    int n_inputs, next_input;
    long timeout_ms;
    char buf[LINE_MAX_LEN + 1]; /* received bytes not yet split into lines */
    size_t len;
};

static void usage(FILE *f)
{
    fputs("usage: raia-phone --sim HOST:PORT --msisdn N --dial CODE [--input TEXT]...\n"
          "                  [--timeout SECONDS]\n"
          "       raia-phone --sim HOST:PORT --msisdn N --sms SHORTCODE --input TEXT...\n"
          "                  [--reverse] [--timeout SECONDS]\n"
          "Without --input, answers are read from stdin; EOF hangs up.\n"
          "With --sms, the SMS received after the last input ends the run.\n",
          f);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("raia-phone: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

/* Connects to "host:port" (the last ':' splits, so "[::1]" forms are not needed for tests). */
static int dial_sim(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof host)
        die(EXIT_USAGE, "--sim wants HOST:PORT, got '%s'", hostport);
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    struct addrinfo hints = {0}, *res, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc != 0)
        die(EXIT_ERROR, "cannot resolve %s: %s", hostport, gai_strerror(rc));
    int fd = -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        die(EXIT_ERROR, "cannot connect to %s: %s", hostport, strerror(errno));
    return fd;
}

/* Writes one command line; text (may be NULL) is escaped and appended after a space. */
static void send_cmd(struct phone *p, const char *head, const char *text)
{
    size_t tlen = text ? strlen(text) : 0;
    size_t size = strlen(head) + 2 * tlen + 3;
    char *line = malloc(size);
    if (!line)
        die(EXIT_ERROR, "out of memory");
    size_t n = (size_t)snprintf(line, size, "%s%s", head, text ? " " : "");
    if (text)
        n += (size_t)sim_text_escape(text, tlen, line + n, size - n);
    line[n++] = '\n';
    for (size_t off = 0; off < n;) {
        ssize_t w = send(p->fd, line + off, n - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die(EXIT_ERROR, "lost the simulator: %s", strerror(errno));
        off += (size_t)w;
    }
    free(line);
}

static void send_phone_cmd(struct phone *p, const char *cmd, const char *text)
{
    char head[128];
    snprintf(head, sizeof head, "%s %s", cmd, p->msisdn);
    send_cmd(p, head, text);
}

/*
 * Returns the next line from the simulator (NUL-terminated, valid until the
 * next call), or NULL if none came before deadline (a monotonic ms time).
 */
static char *read_line(struct phone *p, long deadline, char *line)
{
    for (;;) {
        char *nl = memchr(p->buf, '\n', p->len);
        if (nl) {
            size_t n = (size_t)(nl - p->buf);
            memcpy(line, p->buf, n);
            line[n] = '\0';
            if (n > 0 && line[n - 1] == '\r')
                line[n - 1] = '\0';
            memmove(p->buf, nl + 1, p->len - n - 1);
            p->len -= n + 1;
            return line;
        }
        if (p->len == LINE_MAX_LEN)
            die(EXIT_ERROR, "line from the simulator too long");
        long wait = deadline - now_ms();
        if (wait <= 0)
            return NULL;
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)(wait > 60000 ? 60000 : wait));
        if (r < 0 && errno != EINTR)
            die(EXIT_ERROR, "poll: %s", strerror(errno));
        if (r <= 0)
            continue;
        ssize_t got = recv(p->fd, p->buf + p->len, LINE_MAX_LEN - p->len, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            die(EXIT_ERROR, "the simulator closed the connection");
        p->len += (size_t)got;
    }
}

/* Prints text (already unescaped) with each line prefixed by prefix. */
static void print_lines(const char *prefix, const char *text)
{
    for (;;) {
        size_t n = strcspn(text, "\n");
        printf("%s%.*s\n", prefix, (int)n, text);
        if (text[n] == '\0')
            break;
        text += n + 1;
    }
    fflush(stdout);
}

/* Same number, written with or without '+'. */
static int same_msisdn(const char *a, const char *b)
{
    return strcmp(a[0] == '+' ? a + 1 : a, b[0] == '+' ? b + 1 : b) == 0;
}

/* Cuts the next space-separated word off *p. */
static char *next_word(char **p)
{
    char *w = *p;
    char *end = w + strcspn(w, " ");
    *p = *end ? end + 1 : end;
    *end = '\0';
    return w;
}

/* After a cont screen: the next answer, or exit. */
static void answer(struct phone *p)
{
    if (p->inputs) {
        if (p->next_input == p->n_inputs) {
            send_phone_cmd(p, "HANGUP", NULL);
            fputs("raia-phone: inputs used up but the screen asks for more\n", stderr);
            exit(EXIT_INPUTS);
        }
        const char *in = p->inputs[p->next_input++];
        print_lines("> ", in);
        send_phone_cmd(p, "REPLY", in);
        return;
    }
    char in[LINE_MAX_LEN];
    fputs("> ", stdout);
    fflush(stdout);
    if (!fgets(in, sizeof in, stdin)) {
        send_phone_cmd(p, "HANGUP", NULL);
        putchar('\n');
        exit(0);
    }
    in[strcspn(in, "\r\n")] = '\0';
    if (!isatty(STDIN_FILENO))
        printf("%s\n", in); /* piped input is not echoed by a terminal: keep the transcript */
    send_phone_cmd(p, "REPLY", in);
}

/*
 * The next line for this phone, split into kind and rest (text still
 * escaped). Exits on ERR; at the deadline it hangs up, prints [timeout] and
 * exits with EXIT_TIMEOUT.
 */
static char *next_line(struct phone *p, long deadline, char *line, char **kind)
{
    for (;;) {
        char *rest = read_line(p, deadline, line);
        if (!rest) {
            send_phone_cmd(p, "HANGUP", NULL);
            puts("[timeout]");
            exit(EXIT_TIMEOUT);
        }
        *kind = next_word(&rest);
        if (strcmp(*kind, "ERR") == 0)
            die(EXIT_ERROR, "simulator: %s", rest);
        if (strcmp(*kind, "SMS") != 0 && strcmp(*kind, "SCREEN") != 0)
            continue;
        char *who = next_word(&rest);
        if (same_msisdn(who, p->msisdn))
            return rest; /* the simulator only sends our lines, but be safe */
    }
}

/* The conversation: DIAL, then screen, answer, screen ... until an end. */
static int run_ussd(struct phone *p)
{
    char head[128];
    snprintf(head, sizeof head, "DIAL %s %s", p->msisdn, p->code);
    send_cmd(p, head, NULL);
    long deadline = now_ms() + p->timeout_ms;
    char line[LINE_MAX_LEN + 1], text[LINE_MAX_LEN + 1];
    for (;;) {
        char *kind;
        char *rest = next_line(p, deadline, line, &kind);
        if (strcmp(kind, "SMS") == 0) {
            sim_text_unescape(rest, text, sizeof text);
            print_lines("< [sms] ", text);
            continue;
        }
        char *state = next_word(&rest);
        sim_text_unescape(rest, text, sizeof text);
        print_lines("< ", text);
        if (strcmp(state, "end") == 0) {
            puts("[end]");
            return 0;
        }
        answer(p);
        deadline = now_ms() + p->timeout_ms;
    }
}

/* Texts the next input to the short code and prints it as `> ` lines. */
static void send_sms(struct phone *p)
{
    char head[128];
    const char *in = p->inputs[p->next_input++];
    snprintf(head, sizeof head, "%s %s %s", p->reverse ? "SMSREV" : "SMS", p->msisdn, p->shortcode);
    print_lines("> ", in);
    send_cmd(p, head, in);
}

/*
 * --sms: the first input is the first SMS; each SMS that comes back is
 * printed and answered with the next input. An SMS has no "end" mark, so
 * the rule is by count: the SMS that arrives after the last input was sent
 * ends the run (exit 0). A USSD screen, if one came, is only printed.
 */
static int run_sms(struct phone *p)
{
    send_sms(p);
    long deadline = now_ms() + p->timeout_ms;
    char line[LINE_MAX_LEN + 1], text[LINE_MAX_LEN + 1];
    for (;;) {
        char *kind;
        char *rest = next_line(p, deadline, line, &kind);
        if (strcmp(kind, "SCREEN") == 0)
            next_word(&rest); /* cont / end */
        sim_text_unescape(rest, text, sizeof text);
        print_lines(strcmp(kind, "SMS") == 0 ? "< " : "< [screen] ", text);
        if (strcmp(kind, "SMS") != 0)
            continue;
        if (p->next_input == p->n_inputs) {
            puts("[end]");
            return 0;
        }
        send_sms(p);
        deadline = now_ms() + p->timeout_ms;
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"sim", required_argument, NULL, 's'},
                                             {"msisdn", required_argument, NULL, 'm'},
                                             {"dial", required_argument, NULL, 'd'},
                                             {"sms", required_argument, NULL, 'S'},
                                             {"reverse", no_argument, NULL, 'r'},
                                             {"input", required_argument, NULL, 'i'},
                                             {"timeout", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct phone p;
    const char *sim = NULL;
    memset(&p, 0, sizeof p);
    p.timeout_ms = 30000;
    p.inputs = calloc((size_t)argc, sizeof *p.inputs);
    if (!p.inputs)
        die(EXIT_ERROR, "out of memory");
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end;
        double secs;
        switch (ch) {
        case 's':
            sim = optarg;
            break;
        case 'm':
            p.msisdn = optarg;
            break;
        case 'd':
            p.code = optarg;
            break;
        case 'S':
            p.shortcode = optarg;
            break;
        case 'r':
            p.reverse = 1;
            break;
        case 'i':
            p.inputs[p.n_inputs++] = optarg;
            break;
        case 't':
            secs = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(secs > 0 && secs <= 86400))
                die(EXIT_USAGE, "--timeout wants seconds in (0, 86400], got '%s'", optarg);
            p.timeout_ms = (long)(secs * 1000);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    /* Exactly one of --dial and --sms; --sms needs inputs (the first is the first SMS). */
    const char *target = p.code ? p.code : p.shortcode;
    if (optind != argc || !sim || !p.msisdn || !target || (p.code && p.shortcode) ||
        (p.shortcode && p.n_inputs == 0) || strchr(p.msisdn, ' ') || strchr(target, ' ') ||
        !*p.msisdn || !*target || strlen(p.msisdn) > 64 || strlen(target) > 40) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (p.n_inputs == 0) { /* interactive */
        free(p.inputs);
        p.inputs = NULL;
    }
    signal(SIGPIPE, SIG_IGN);
    p.fd = dial_sim(sim);
    int rc = p.shortcode ? run_sms(&p) : run_ussd(&p);
    close(p.fd);
    free(p.inputs);
    return rc;
}
