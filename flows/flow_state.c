/*
 * flow_state.c - a session's place in its flow as a short printable string,
 * "<step>.<retries>.<consented>.<language>.<answers>", which the gateway
 * keeps in Redis between turns (e.g. "walk.0.1.sw.12-"). A string of the
 * older form "<step>.<retries>.<consented>", saved before languages and
 * answers were kept, still decodes, with both empty. Decoding treats the
 * string as untrusted: it came back from a store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_def.h"

#define STEP_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"
#define LANGUAGE_CHARS "abcdefghijklmnopqrstuvwxyz"
#define ANSWER_CHARS "-123456789r" /* FLOW_MARK_NONE, choice numbers, FLOW_MARK_REFUSED */

/* 1 if s is at most max characters, all in allowed. */
static int made_of(const char *s, const char *allowed, size_t max)
{
    size_t n = strlen(s);
    return n <= max && strspn(s, allowed) == n;
}

int flow_state_encode(const struct flow_state *state, char *buf, size_t size)
{
    if (!state->step[0] || !made_of(state->step, STEP_CHARS, FLOW_ID_MAX - 1) ||
        state->retries < 0 || state->retries > 99 ||
        (state->consented != 0 && state->consented != 1) ||
        !made_of(state->language, LANGUAGE_CHARS, FLOW_LANGUAGE_MAX - 1) ||
        !made_of(state->answers, ANSWER_CHARS, FLOW_STEPS_MAX))
        return -1;
    int len = snprintf(buf, size, "%s.%d.%d.%s.%s", state->step, state->retries, state->consented,
                       state->language, state->answers);
    return len > 0 && (size_t)len < size ? len : -1;
}

/*
 * Copies the field at *p up to the next '.' (or end) into out if it has
 * min..max characters, all in allowed, and moves *p past it. Returns 1 if
 * a '.' (another field) follows, 0 at the end, -1 for a bad field.
 */
static int field(const char **p, const char *end, const char *allowed, size_t min, size_t max,
                 char *out)
{
    const char *dot = memchr(*p, '.', (size_t)(end - *p));
    const char *stop = dot ? dot : end;
    size_t n = (size_t)(stop - *p);
    if (n < min || n > max)
        return -1;
    memcpy(out, *p, n);
    out[n] = '\0';
    if (strspn(out, allowed) != n)
        return -1;
    *p = dot ? dot + 1 : end;
    return dot != NULL;
}

int flow_state_decode(const char *buf, size_t len, struct flow_state *state)
{
    const char *p = buf, *end = buf + len;
    char retries[3], consented[2];
    int more;
    memset(state, 0, sizeof *state);
    if (memchr(buf, '\0', len) ||
        field(&p, end, STEP_CHARS, 1, FLOW_ID_MAX - 1, state->step) != 1 ||
        field(&p, end, "0123456789", 1, 2, retries) != 1 ||
        (more = field(&p, end, "01", 1, 1, consented)) < 0)
        return -RAIA_EPROTO;
    if (more && (field(&p, end, LANGUAGE_CHARS, 0, FLOW_LANGUAGE_MAX - 1, state->language) != 1 ||
                 field(&p, end, ANSWER_CHARS, 0, FLOW_STEPS_MAX, state->answers) != 0))
        return -RAIA_EPROTO;
    state->retries = (int)strtol(retries, NULL, 10);
    state->consented = consented[0] - '0';
    return 0;
}
