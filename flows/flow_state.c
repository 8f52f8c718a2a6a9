/*
 * flow_state.c - a session's place in its flow as a short printable string,
 * "<step>.<retries>.<consented>.<language>.<answers>", which the gateway
 * keeps in Redis between turns (e.g. "walk.0.1.sw.12-"). A string of the
 * older form "<step>.<retries>.<consented>", saved before languages and
 * answers were kept, still decodes, with both empty. While a list is paged,
 * marked (multi_choice) or drilled down (location), three more fields
 * follow: ".<page>.<picked, hex>.<area indices joined by _>", e.g.
 * "where.0.1.en.1.0.0.3_17"; without them the string is as before. A
 * ninth field keeps the numbers a `when` compares, by slot: "...0.0..0:34".
 * Decoding treats the string as untrusted: it came back from a store (the
 * engine checks the indices against the flow).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_def.h"

#define STEP_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"
#define LANGUAGE_CHARS "abcdefghijklmnopqrstuvwxyz"
#define ANSWER_CHARS "-r" FLOW_MARKS /* FLOW_MARK_NONE, FLOW_MARK_REFUSED, choice marks */
#define PATH_CHARS "0123456789_"
#define PATH_MAX_CHARS (FLOW_LEVELS_MAX * 7)
#define VALUES_MAX_CHARS (FLOW_KEPT_MAX * 16) /* "k:-123456789012_" each */
#define VALUE_LIMIT 1000000000000LL           /* kept numbers have at most 12 digits */

/* 1 if s is at most max characters, all in allowed. */
static int made_of(const char *s, const char *allowed, size_t max)
{
    size_t n = strlen(s);
    return n <= max && strspn(s, allowed) == n;
}

/* Appends printf-style text at *len; -1 (and nothing more) once buf is full. */
__attribute__((format(printf, 4, 5))) static int append(char *buf, size_t size, int *len,
                                                        const char *fmt, ...)
{
    va_list ap;
    if (*len < 0 || (size_t)*len >= size)
        return *len = -1;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, size - (size_t)*len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)(*len + n) >= size)
        return *len = -1;
    return *len += n;
}

/* The fields after the answers: page, marks, area path, kept numbers. */
static int encode_extra(const struct flow_state *state, char *buf, size_t size, int *len)
{
    append(buf, size, len, ".%d.%llx.", state->page, state->picked);
    for (int k = 0; k < state->depth; k++) {
        if (state->path[k] < 0 || state->path[k] >= FLOW_AREAS_MAX)
            return -1;
        append(buf, size, len, "%s%d", k ? "_" : "", state->path[k]);
    }
    if (state->kept)
        append(buf, size, len, ".");
    for (int k = 0, first = 1; k < FLOW_KEPT_MAX; k++) {
        if (!(state->kept >> k & 1))
            continue;
        if (state->values[k] <= -VALUE_LIMIT || state->values[k] >= VALUE_LIMIT)
            return -1;
        append(buf, size, len, "%s%d:%lld", first ? "" : "_", k, state->values[k]);
        first = 0;
    }
    return *len;
}

int flow_state_encode(const struct flow_state *state, char *buf, size_t size)
{
    if (!state->step[0] || !made_of(state->step, STEP_CHARS, FLOW_ID_MAX - 1) ||
        state->retries < 0 || state->retries > 99 ||
        (state->consented != 0 && state->consented != 1) ||
        !made_of(state->language, LANGUAGE_CHARS, FLOW_LANGUAGE_MAX - 1) ||
        !made_of(state->answers, ANSWER_CHARS, FLOW_STEPS_MAX))
        return -1;
    if (state->page < 0 || state->page > 99 || state->depth < 0 ||
        state->depth >= FLOW_LEVELS_MAX || (state->kept >> FLOW_KEPT_MAX) != 0)
        return -1;
    int len = 0;
    append(buf, size, &len, "%s.%d.%d.%s.%s", state->step, state->retries, state->consented,
           state->language, state->answers);
    if (len > 0 && (state->page || state->picked || state->depth || state->kept) &&
        encode_extra(state, buf, size, &len) < 0)
        return -1;
    return len > 0 ? len : -1;
}

/* Reads "k:v_k:v" (slots and whole numbers) into state's kept numbers; 0 or -1. */
static int decode_values(const char *s, struct flow_state *state)
{
    while (*s) {
        int k = *s - '0';
        if (k < 0 || k >= FLOW_KEPT_MAX || s[1] != ':' || (state->kept >> k & 1))
            return -1;
        s += 2;
        const char *digits = s + (*s == '-');
        size_t n = strspn(digits, "0123456789");
        if (n == 0 || n > 12)
            return -1;
        state->values[k] = strtoll(s, NULL, 10);
        state->kept |= 1u << k;
        s = digits + n;
        if (*s == '_' && *++s == '\0')
            return -1;
        if (*s && !isdigit((unsigned char)*s))
            return -1;
    }
    return 0;
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
                 (more = field(&p, end, ANSWER_CHARS, 0, FLOW_STEPS_MAX, state->answers)) < 0))
        return -RAIA_EPROTO;
    if (more) {
        char page[3], picked[17], path[PATH_MAX_CHARS + 1], values[VALUES_MAX_CHARS + 1];
        if (field(&p, end, "0123456789", 1, 2, page) != 1 ||
            field(&p, end, "0123456789abcdef", 1, 16, picked) != 1 ||
            (more = field(&p, end, PATH_CHARS, 0, PATH_MAX_CHARS, path)) < 0 ||
            (more && (field(&p, end, "0123456789:_-", 1, VALUES_MAX_CHARS, values) != 0 ||
                      decode_values(values, state) < 0)))
            return -RAIA_EPROTO;
        state->page = (int)strtol(page, NULL, 10);
        state->picked = strtoull(picked, NULL, 16);
        for (char *q = path; *q;) {
            size_t n = strspn(q, "0123456789");
            if (n == 0 || n > 6 || state->depth == FLOW_LEVELS_MAX - 1)
                return -RAIA_EPROTO;
            state->path[state->depth++] = (int)strtol(q, NULL, 10);
            q += n;
            if (*q == '_' && *++q == '\0')
                return -RAIA_EPROTO;
        }
    }
    state->retries = (int)strtol(retries, NULL, 10);
    state->consented = consented[0] - '0';
    return 0;
}
