/*
 * flow_engine.c - steps a citizen through a flow: (flow, state, input) ->
 * (screen, new state, answers). Pure: no I/O, no allocation, no clock, so
 * the gateway can replay a turn and tests can check transcripts exactly.
 *
 * Rules a citizen can rely on (docs/flows.md):
 *  - nothing is an answer before "1" at the consent screen;
 *  - "2" at consent ends the session as a refusal, with no answers;
 *  - STOP (any case) ends the session at any point;
 *  - an invalid answer re-prompts with the step's error text, at most
 *    max_retries times, then the session ends as abandoned.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "flow_def.h"

static void set_screen(struct flow_output *out, const char *text)
{
    snprintf(out->screen, sizeof out->screen, "%s", text);
}

static void finish(struct flow_output *out, enum flow_outcome outcome, const char *screen)
{
    set_screen(out, screen);
    out->end = 1;
    out->outcome = outcome;
}

static void enter_step(struct flow_state *state, const struct flow_step_def *step,
                       struct flow_output *out)
{
    snprintf(state->step, sizeof state->step, "%s", step->id);
    state->retries = 0;
    flow_screen_step(step, out->screen, sizeof out->screen);
}

int flow_start(const struct flow_def *def, enum flow_channel channel, struct flow_state *state,
               struct flow_output *out)
{
    (void)channel;
    memset(state, 0, sizeof *state);
    memset(out, 0, sizeof *out);
    snprintf(state->step, sizeof state->step, "%s", FLOW_CONSENT_STEP);
    flow_screen_consent(def, out->screen, sizeof out->screen);
    return 0;
}

/* Copies input without leading and trailing white space into buf. */
static void trim(const char *input, char *buf, size_t size)
{
    while (isspace((unsigned char)*input))
        input++;
    size_t n = strlen(input);
    while (n > 0 && isspace((unsigned char)input[n - 1]))
        n--;
    if (n >= size)
        n = size - 1;
    memcpy(buf, input, n);
    buf[n] = '\0';
}

/* A whole number: an optional sign, then 1 to 12 digits (no spaces, no decimals). */
static int parse_number(const char *s, long long *out)
{
    const char *digits = s + (*s == '-' || *s == '+');
    size_t n = strlen(digits);
    if (n == 0 || n > 12 || strspn(digits, "0123456789") != n)
        return -1;
    *out = strtoll(s, NULL, 10);
    return 0;
}

/* Fills answer from input for step; returns 0 if the input is a valid answer. */
static int accept_answer(const struct flow_step_def *step, const char *input,
                         struct flow_answer *answer)
{
    memset(answer, 0, sizeof *answer);
    snprintf(answer->question, sizeof answer->question, "%s", step->id);
    long long n;
    switch (step->type) {
    case STEP_CHOICE:
        for (size_t i = 0; i < step->n_choices; i++) {
            char num[24];
            snprintf(num, sizeof num, "%zu", i + 1);
            /* The number shown, or (handy in SMS) the code itself. */
            if (strcmp(input, num) == 0 || strcasecmp(input, step->choices[i].code) == 0) {
                snprintf(answer->code, sizeof answer->code, "%s", step->choices[i].code);
                snprintf(answer->value, sizeof answer->value, "%s", step->choices[i].label);
                return 0;
            }
        }
        return -1;
    case STEP_NUMBER:
        if (parse_number(input, &n) < 0 || n < step->min || n > step->max)
            return -1;
        snprintf(answer->value, sizeof answer->value, "%lld", n);
        return 0;
    case STEP_TEXT: {
        size_t len = strlen(input);
        long chars = charset_utf8_chars(input, len);
        if (len == 0 || len >= sizeof answer->value || chars < 0 || chars > step->max_length)
            return -1;
        memcpy(answer->value, input, len + 1);
        return 0;
    }
    }
    return -1;
}

/* An invalid answer: re-prompt, or end once the retries are used up. */
static void invalid(const struct flow_def *def, const struct flow_step_def *step,
                    struct flow_state *state, struct flow_output *out)
{
    if (++state->retries > def->max_retries) {
        finish(out, FLOW_OUTCOME_ABANDONED, def->msg_abandoned);
        return;
    }
    if (step)
        flow_screen_reprompt(def, step, out->screen, sizeof out->screen);
    else
        flow_screen_consent_reprompt(def, out->screen, sizeof out->screen);
}

int flow_step(const struct flow_def *def, enum flow_channel channel, struct flow_state *state,
              const char *input, struct flow_output *out)
{
    (void)channel;
    char in[FLOW_VALUE_MAX + 1]; /* one byte more than a value holds: too long stays too long */
    memset(out, 0, sizeof *out);
    trim(input ? input : "", in, sizeof in);

    if (!state->consented) {
        if (strcmp(state->step, FLOW_CONSENT_STEP) != 0)
            return -RAIA_EINVAL;
        if (strcmp(in, "1") == 0) {
            state->consented = 1;
            out->consent_given = 1;
            enter_step(state, &def->steps[0], out);
        } else if (strcmp(in, "2") == 0 || strcasecmp(in, "STOP") == 0) {
            finish(out, FLOW_OUTCOME_REFUSED, def->consent.declined);
        } else {
            invalid(def, NULL, state, out);
        }
        return 0;
    }

    const struct flow_step_def *step = flow_def_step(def, state->step);
    if (!step)
        return -RAIA_EINVAL;
    if (strcasecmp(in, "STOP") == 0) {
        finish(out, FLOW_OUTCOME_STOPPED, def->msg_stopped);
        return 0;
    }
    if (accept_answer(step, in, &out->answers[0]) < 0) {
        invalid(def, step, state, out);
        return 0;
    }
    out->n_answers = 1;
    size_t next = flow_def_step_index(def, step) + 1;
    if (next < def->n_steps)
        enter_step(state, &def->steps[next], out);
    else
        finish(out, FLOW_OUTCOME_COMPLETED, def->end_text);
    return 0;
}
