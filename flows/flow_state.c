/*
 * flow_state.c - a session's place in its flow as a short printable string,
 * "<step>.<retries>.<consented>", which the gateway keeps in Redis between
 * turns. Decoding treats the string as untrusted: it came back from a store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_def.h"

#define STEP_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"

int flow_state_encode(const struct flow_state *state, char *buf, size_t size)
{
    size_t n = strlen(state->step);
    if (n == 0 || strspn(state->step, STEP_CHARS) != n || state->retries < 0 ||
        state->retries > 99 || (state->consented != 0 && state->consented != 1))
        return -1;
    int len = snprintf(buf, size, "%s.%d.%d", state->step, state->retries, state->consented);
    return len > 0 && (size_t)len < size ? len : -1;
}

int flow_state_decode(const char *buf, size_t len, struct flow_state *state)
{
    memset(state, 0, sizeof *state);
    size_t step_len = 0;
    while (step_len < len && buf[step_len] != '.')
        step_len++;
    /* step '.' retries(1-2 digits) '.' consented(0|1) */
    if (step_len == 0 || step_len >= FLOW_ID_MAX || len - step_len < 4 || len - step_len > 5 ||
        memchr(buf, '\0', len))
        return -RAIA_EPROTO;
    memcpy(state->step, buf, step_len);
    if (strspn(state->step, STEP_CHARS) != step_len)
        return -RAIA_EPROTO;
    const char *p = buf + step_len + 1, *end = buf + len;
    int retries = 0, digits = 0;
    while (p < end && *p >= '0' && *p <= '9' && digits < 2) {
        retries = retries * 10 + (*p++ - '0');
        digits++;
    }
    if (digits == 0 || p + 2 != end || p[0] != '.' || (p[1] != '0' && p[1] != '1'))
        return -RAIA_EPROTO;
    state->retries = retries;
    state->consented = p[1] - '0';
    return 0;
}
