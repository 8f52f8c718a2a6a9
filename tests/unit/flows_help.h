/*
 * flows_help.h - what the flow tests share: loading a flow and collecting
 * its errors, expecting one exact `file:line:col: message`, and playing a
 * transcript (inputs, and the screen, end and outcome expected after each).
 * Included by tests/unit/flows_*_test.c only.
 */
#ifndef RAIA_FLOWS_HELP_H
#define RAIA_FLOWS_HELP_H

#include <stdio.h>
#include <string.h>

#include "flow.h"
#include "test_help.h"

static inline struct flow_def *load_file(const char *path)
{
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load(path, &errs);
    for (size_t i = 0; i < errs.n; i++) {
        char line[512];
        raia_err_format(&errs.items[i], line, sizeof line);
        printf("  %s\n", line);
    }
    raia_errlist_free(&errs);
    return def;
}

static inline struct flow_def *load_buf(const char *text)
{
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load_buf("t.yaml", text, strlen(text), &errs);
    raia_errlist_free(&errs);
    return def;
}

/*
 * Loads text as the file name (areas files are found beside it) and returns
 * 1 if it fails with some error exactly `want` (file:line:col: message).
 */
static inline int has_error_in(const char *name, const char *text, const char *want)
{
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load_buf(name, text, strlen(text), &errs);
    int found = 0;
    for (size_t i = 0; i < errs.n; i++) {
        char line[512];
        raia_err_format(&errs.items[i], line, sizeof line);
        if (strcmp(line, want) == 0)
            found = 1;
    }
    if (!found) {
        printf("  expected: %s\n  got:\n", want);
        for (size_t i = 0; i < errs.n; i++) {
            char line[512];
            raia_err_format(&errs.items[i], line, sizeof line);
            printf("    %s\n", line);
        }
    }
    flow_def_unref(def);
    raia_errlist_free(&errs);
    return found && def == NULL;
}

static inline int has_error(const char *text, const char *want)
{
    return has_error_in("t.yaml", text, want);
}

/* ---- transcripts ---- */

struct turn_want {
    const char *input;      /* NULL: the start of the session */
    const char *screen_has; /* a part of the screen expected */
    int end;
    enum flow_outcome outcome;
};

/*
 * Plays inputs on channel; returns 1 if every screen contains what is
 * wanted (is exactly it, when exact is set). Answers are appended to log
 * as question=code/value;. Between turns the state goes through its
 * encoding, as through Redis, and the session goes on from the decoded copy.
 */
static inline int play_on(const struct flow_def *def, enum flow_channel ch,
                          const struct turn_want *turns, size_t n, int exact, char *log,
                          size_t log_size)
{
    struct flow_state st;
    struct flow_output out;
    size_t used = 0;
    log[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int rc = turns[i].input ? flow_step(def, ch, &st, turns[i].input, &out)
                                : flow_start(def, ch, &st, &out);
        int seen = exact ? strcmp(out.screen, turns[i].screen_has) == 0
                         : strstr(out.screen, turns[i].screen_has) != NULL;
        if (rc != 0 || !seen || out.end != turns[i].end || out.outcome != turns[i].outcome) {
            printf("  turn %zu (%s): rc=%d end=%d outcome=%d screen=\n%s\n", i,
                   turns[i].input ? turns[i].input : "start", rc, out.end, out.outcome, out.screen);
            return 0;
        }
        for (size_t a = 0; a < out.n_answers; a++)
            used +=
                (size_t)snprintf(log + used, log_size - used, "%s=%s/%s;", out.answers[a].question,
                                 out.answers[a].code, out.answers[a].value);
        /* The state survives a trip through its encoding, as through Redis. */
        char enc[FLOW_STATE_MAX], again[FLOW_STATE_MAX];
        struct flow_state back;
        int len = flow_state_encode(&st, enc, sizeof enc);
        if (!out.end &&
            (len < 0 || flow_state_decode(enc, (size_t)len, &back) != 0 ||
             flow_state_encode(&back, again, sizeof again) != len || strcmp(enc, again) != 0)) {
            printf("  state round trip failed at turn %zu\n", i);
            return 0;
        }
        if (!out.end)
            st = back;
    }
    return 1;
}

static inline int play_as(const struct flow_def *def, const struct turn_want *turns, size_t n,
                          int exact, char *log, size_t log_size)
{
    return play_on(def, FLOW_CHANNEL_USSD, turns, n, exact, log, log_size);
}

static inline int play(const struct flow_def *def, const struct turn_want *turns, size_t n,
                       char *log, size_t log_size)
{
    return play_as(def, turns, n, 0, log, log_size);
}

#endif
