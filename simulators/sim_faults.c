/*
 * sim_faults.c - the control-port commands that make raia-smsc-sim
 * misbehave (see sim_faults.h). Each command only checks its arguments and
 * arms a counter or calls sim_esme.c, which plays the fault on the wire:
 * THROTTLE and NORESP are counters read by its submit_sm handler, DUP a
 * flag read by sim_esme_deliver(), SLOW a delay read by the submit_sm
 * handler, DROP and REPLAY act at once.
 *
 * A REPLAY file is read and checked whole before anything is sent, so a
 * typo in a test asset never leaves half a replay on the link.
 */
#include "sim_faults.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "raia_err.h"
#include "sim_control.h"
#include "sim_esme.h"
#include "smpp_pdu.h"

#define REPLAY_PDUS_MAX 64
#define REPLAY_PDU_MAX (2 * SMPP_PDU_MAX) /* room for a PDU longer than an SMSC takes */
#define SLOW_MS_MAX 60000                 /* a slower SMSC is a NORESP */

/* A count 0..1000000 that is the whole of args; -1 if not. */
static long parse_count(const char *args)
{
    char *end;
    long v = strtol(args, &end, 10);
    return (end != args && *end == '\0' && v >= 0 && v <= 1000000) ? v : -1;
}

/* THROTTLE n / NORESP n: arms *left for the next n submit_sm. */
static const char *arm_count(struct sim_client *c, const char *args, int *left, const char *name)
{
    long n = parse_count(args);
    if (n < 0)
        return "usage: THROTTLE n, NORESP n";
    *left = (int)n;
    log_at(LOG_INFO, "sim", "op=fault_arm fault=%s n=%ld", name, n);
    sim_client_send(c, "OK %s %ld", name, n);
    return NULL;
}

const char *sim_faults_throttle(struct sim *s, struct sim_client *c, char *args)
{
    return arm_count(c, args, &s->throttle_left, "THROTTLE");
}

const char *sim_faults_noresp(struct sim *s, struct sim_client *c, char *args)
{
    return arm_count(c, args, &s->noresp_left, "NORESP");
}

const char *sim_faults_slow(struct sim *s, struct sim_client *c, char *args)
{
    char *sp = strchr(args, ' ');
    if (sp)
        *sp = '\0';
    long ms = parse_count(args), n = sp ? parse_count(sp + 1) : -1;
    if (ms < 0 || ms > SLOW_MS_MAX || (sp && n < 0))
        return "usage: SLOW ms [n] (ms at most 60000)";
    s->slow_ms = (int)ms;
    s->slow_left = ms ? (int)n : 0;
    log_at(LOG_INFO, "sim", "op=fault_arm fault=slow ms=%ld n=%ld", ms, n);
    if (n < 0)
        sim_client_send(c, "OK SLOW %ld all", ms);
    else
        sim_client_send(c, "OK SLOW %ld %ld", ms, n);
    return NULL;
}

const char *sim_faults_drop(struct sim *s, struct sim_client *c, char *args)
{
    if (*args)
        return "usage: DROP";
    sim_client_send(c, "OK DROP %d", sim_esme_drop_all(s));
    return NULL;
}

const char *sim_faults_dup(struct sim *s, struct sim_client *c, char *args)
{
    if (strcmp(args, "on") != 0 && strcmp(args, "off") != 0)
        return "usage: DUP on|off";
    s->dup = strcmp(args, "on") == 0;
    log_at(LOG_INFO, "sim", "op=fault_arm fault=dup on=%d", s->dup);
    sim_client_send(c, "OK DUP %s", args);
    return NULL;
}

/* One PDU parsed from a hex line. */
struct replay_pdu {
    size_t len;
    uint8_t bytes[REPLAY_PDU_MAX];
};

/* Hex digits of line (spaces and tabs between them ignored) into p; -1 if bad. */
static int parse_hex_line(const char *line, struct replay_pdu *p)
{
    int hi = -1;
    p->len = 0;
    for (; *line; line++) {
        if (*line == ' ' || *line == '\t')
            continue;
        if (!isxdigit((unsigned char)*line))
            return -1;
        int v =
            isdigit((unsigned char)*line) ? *line - '0' : tolower((unsigned char)*line) - 'a' + 10;
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (p->len == sizeof p->bytes)
            return -1;
        p->bytes[p->len++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    return hi < 0 && p->len > 0 ? 0 : -1;
}

/* Reads every PDU of path into pdus (REPLAY_PDUS_MAX); returns how many, or -1 with *err set. */
static int replay_load(const char *path, struct replay_pdu *pdus, const char **err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        *err = "cannot open replay file";
        return -1;
    }
    char line[2 * REPLAY_PDU_MAX + 256];
    int n = 0;
    *err = NULL;
    while (!*err && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        if (n == REPLAY_PDUS_MAX)
            *err = "replay file has too many PDUs";
        else if (parse_hex_line(p, &pdus[n++]) < 0)
            *err = "replay file has a line that is not hex bytes";
    }
    fclose(f);
    return *err ? -1 : n;
}

const char *sim_faults_replay(struct sim *s, struct sim_client *c, char *args)
{
    if (*args == '\0' || strchr(args, ' '))
        return "usage: REPLAY file";
    struct replay_pdu *pdus = malloc(REPLAY_PDUS_MAX * sizeof *pdus);
    if (!pdus)
        return "out of memory";
    const char *err = NULL;
    int n = replay_load(args, pdus, &err);
    if (n >= 0)
        sim_client_send(c, "OK REPLAY %d", n);
    for (int i = 0; i < n && !err; i++) {
        int rc = sim_esme_send_raw(s, c, pdus[i].bytes, pdus[i].len);
        if (rc == -RAIA_ENOTFOUND)
            err = "no bind";
        else if (rc < 0)
            err = "too many replayed PDUs awaiting answers";
    }
    log_at(LOG_INFO, "sim", "op=replay pdus=%d err=\"%s\"", n, err ? err : "");
    free(pdus);
    return err;
}
