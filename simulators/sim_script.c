/*
 * sim_script.c - plays a --script file (see sim_script.h). Every line is
 * checked at load so a typo fails at start, not halfway through a run.
 * Playing runs lines through sim_control_exec() as the script's own stdout
 * client until a WAIT, which re-arms one timer; so the loop never blocks.
 */
#include "sim_script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "sim_control.h"

struct sim_script {
    struct sim *sim;
    struct sim_client *out; /* owned by sim (freed with the control clients) */
    struct event *timer;
    char **lines;
    size_t n, next;
    int started;
};

/* Seconds of a WAIT line, or -1 when the line is not a WAIT. */
static double wait_seconds(const char *line)
{
    if (strncmp(line, "WAIT ", 5) != 0)
        return -1;
    char *end;
    double v = strtod(line + 5, &end);
    return (end != line + 5 && *end == '\0' && v >= 0 && v <= 3600) ? v : -2;
}

static int line_ok(const char *line)
{
    if (line[0] == '\0' || line[0] == '#')
        return 1;
    if (strncmp(line, "WAIT", 4) == 0)
        return wait_seconds(line) >= 0;
    return sim_control_known(line);
}

static void script_step(evutil_socket_t fd, short what, void *ctx)
{
    struct sim_script *sc = ctx;
    (void)fd;
    (void)what;
    while (sc->next < sc->n) {
        char *line = sc->lines[sc->next++];
        double w = wait_seconds(line);
        if (w >= 0) {
            time_t whole = (time_t)w;
            struct timeval tv = {whole, (suseconds_t)((w - (double)whole) * 1e6)};
            evtimer_add(sc->timer, &tv);
            return;
        }
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char copy[SIM_LINE_MAX + 1];
        snprintf(copy, sizeof copy, "%s", line);
        sim_control_exec(sc->sim, sc->out, copy);
    }
    log_at(LOG_INFO, "sim", "op=script_done lines=%zu", sc->n);
}

static int add_line(struct sim_script *sc, const char *line, size_t *cap)
{
    if (sc->n == *cap) {
        size_t c = *cap ? 2 * *cap : 32;
        char **v = realloc(sc->lines, c * sizeof *v);
        if (!v)
            return -1;
        sc->lines = v;
        *cap = c;
    }
    sc->lines[sc->n] = strdup(line);
    if (!sc->lines[sc->n])
        return -1;
    sc->n++;
    return 0;
}

struct sim_script *sim_script_load(struct sim *s, const char *path, struct raia_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        raia_err_set_at(err, RAIA_EIO, path, 0, 0, "cannot open script");
        return NULL;
    }
    struct sim_script *sc = calloc(1, sizeof *sc);
    if (!sc) {
        fclose(f);
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    sc->sim = s;
    char buf[SIM_LINE_MAX + 2];
    size_t cap = 0;
    int lineno = 0, bad = 0;
    while (!bad && fgets(buf, sizeof buf, f)) {
        lineno++;
        size_t len = strcspn(buf, "\r\n");
        if (buf[len] == '\0' && !feof(f)) {
            bad = raia_err_set_at(err, RAIA_ECONFIG, path, lineno, 0, "line too long");
            break;
        }
        buf[len] = '\0';
        if (!line_ok(buf))
            bad = raia_err_set_at(err, RAIA_ECONFIG, path, lineno, 1,
                                  "expected a control command or WAIT seconds (0..3600)");
        else if (add_line(sc, buf, &cap) < 0)
            bad = raia_err_set(err, RAIA_ENOMEM, "out of memory");
    }
    fclose(f);
    sc->timer = bad ? NULL : evtimer_new(s->base, script_step, sc);
    sc->out = sc->timer ? sim_client_new_stdout(s) : NULL;
    if (!bad && !sc->out)
        bad = raia_err_set(err, RAIA_ENOMEM, "out of memory");
    if (bad) {
        sim_script_free(sc);
        return NULL;
    }
    return sc;
}

void sim_script_start(struct sim_script *sc)
{
    if (!sc || sc->started)
        return;
    sc->started = 1;
    log_at(LOG_INFO, "sim", "op=script_start lines=%zu", sc->n);
    /* Run from the loop, not from inside the bind handler that got us here. */
    struct timeval now = {0, 0};
    evtimer_add(sc->timer, &now);
}

void sim_script_free(struct sim_script *sc)
{
    if (!sc)
        return;
    if (sc->timer)
        event_free(sc->timer);
    for (size_t i = 0; i < sc->n; i++)
        free(sc->lines[i]);
    free(sc->lines);
    free(sc);
}
