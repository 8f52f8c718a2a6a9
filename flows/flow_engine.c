/*
 * flow_engine.c - steps a citizen through a flow: (flow, state, input) ->
 * (screen, new state, answers). Pure: no I/O, no allocation, no clock, so
 * the gateway can replay a turn and tests can check transcripts exactly.
 *
 * Rules a citizen can rely on (docs/flows.md):
 *  - a flow with several languages first asks which one; every later
 *    screen is in that language;
 *  - nothing is an answer before "1" at the consent screen;
 *  - "2" at consent ends the session as a refusal, with no answers;
 *  - STOP (any case) ends the session at any point;
 *  - HELP (any case), when the flow has a help text, shows it above the
 *    current screen and costs no retry;
 *  - an invalid answer re-prompts with the step's error text, at most
 *    max_retries times, then the session ends as abandoned;
 *  - a step whose `when` does not hold for the earlier answers is skipped.
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

/* A step asks its question when all its comparisons hold. */
static int conds_hold(const struct flow_step_def *step, const struct flow_state *state)
{
    size_t n = strlen(state->answers);
    for (size_t i = 0; i < step->n_conds; i++) {
        const struct flow_cond *c = &step->conds[i];
        char mark = c->step < n ? state->answers[c->step] : FLOW_MARK_NONE;
        if ((mark == c->mark) == c->negate)
            return 0;
    }
    return 1;
}

/*
 * Moves to the first step from index `from` on whose `when` holds, marking
 * the skipped ones, or ends the session as completed after the last step.
 */
static void advance(const struct flow_def *def, size_t from, size_t lang, struct flow_state *state,
                    struct flow_output *out)
{
    for (size_t i = from; i < def->n_steps; i++) {
        const struct flow_step_def *step = &def->steps[i];
        if (conds_hold(step, state)) {
            snprintf(state->step, sizeof state->step, "%s", step->id);
            state->retries = 0;
            flow_screen_step(def, step, lang, out->screen, sizeof out->screen);
            return;
        }
        state->answers[i] = FLOW_MARK_NONE;
        state->answers[i + 1] = '\0';
    }
    finish(out, FLOW_OUTCOME_COMPLETED, def->end_text.s[lang]);
}

/* Shows the consent screen in the language of state. */
static void enter_consent(const struct flow_def *def, size_t lang, struct flow_state *state,
                          struct flow_output *out)
{
    snprintf(state->step, sizeof state->step, "%s", FLOW_CONSENT_STEP);
    snprintf(state->language, sizeof state->language, "%s", def->langs[lang]);
    state->retries = 0;
    flow_screen_consent(def, lang, out->screen, sizeof out->screen);
}

int flow_start(const struct flow_def *def, enum flow_channel channel, struct flow_state *state,
               struct flow_output *out)
{
    (void)channel;
    memset(state, 0, sizeof *state);
    memset(out, 0, sizeof *out);
    if (def->n_langs > 1) {
        snprintf(state->step, sizeof state->step, "%s", FLOW_LANGUAGE_STEP);
        flow_screen_language(def, out->screen, sizeof out->screen);
    } else {
        enter_consent(def, 0, state, out);
    }
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

/* 1-based number of the choice input names (its number, or, handy in SMS, its code), or 0. */
static size_t pick(const char *input, size_t n, const char *(*code_of)(const void *, size_t),
                   const void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        char num[24];
        snprintf(num, sizeof num, "%zu", i + 1);
        if (strcmp(input, num) == 0 || strcasecmp(input, code_of(ctx, i)) == 0)
            return i + 1;
    }
    return 0;
}

static const char *choice_code(const void *ctx, size_t i)
{
    const struct flow_step_def *step = ctx;
    return i < step->n_choices ? step->choices[i].code : FLOW_REFUSED_CODE;
}

static const char *lang_code(const void *ctx, size_t i)
{
    return ((const struct flow_def *)ctx)->langs[i];
}

/* "Prefer not to say": the number after the choices, or "*" on a free-entry step. */
static int is_refusal(const struct flow_step_def *step, const char *input, size_t picked)
{
    if (!step->optional)
        return 0;
    if (step->n_choices)
        return picked == step->n_choices + 1;
    return strcmp(input, FLOW_REFUSED_INPUT) == 0;
}

/*
 * Fills answer from input for step and returns the mark it leaves in
 * state.answers, or 0 if the input is not a valid answer.
 */
static char accept_answer(const struct flow_step_def *step, size_t lang, const char *input,
                          struct flow_answer *answer)
{
    memset(answer, 0, sizeof *answer);
    snprintf(answer->question, sizeof answer->question, "%s", step->id);
    size_t picked =
        pick(input, step->n_choices + (step->optional && step->n_choices), choice_code, step);
    if (is_refusal(step, input, picked)) {
        snprintf(answer->code, sizeof answer->code, "%s", FLOW_REFUSED_CODE);
        return FLOW_MARK_REFUSED;
    }
    long long n;
    switch (step->type) {
    case STEP_CHOICE:
    case STEP_YES_NO:
        if (!picked)
            return 0;
        snprintf(answer->code, sizeof answer->code, "%s", step->choices[picked - 1].code);
        snprintf(answer->value, sizeof answer->value, "%s",
                 step->choices[picked - 1].label.s[lang]);
        return (char)('0' + picked);
    case STEP_NUMBER:
        if (parse_number(input, &n) < 0 || n < step->min || n > step->max)
            return 0;
        snprintf(answer->value, sizeof answer->value, "%lld", n);
        return FLOW_MARK_NONE;
    case STEP_DECIMAL:
        if (flow_decimal_parse(input, step->decimals, &n) < 0 || n < step->min || n > step->max)
            return 0;
        flow_decimal_format(n, step->decimals, answer->value, sizeof answer->value);
        return FLOW_MARK_NONE;
    case STEP_TEXT: {
        size_t len = strlen(input);
        long chars = charset_utf8_chars(input, len);
        if (len == 0 || len >= sizeof answer->value || chars < 0 || chars > step->max_length)
            return 0;
        memcpy(answer->value, input, len + 1);
        return FLOW_MARK_NONE;
    }
    }
    return 0;
}

/* Counts an invalid answer; 1 once the retries are used up (the session then ended). */
static int used_up(const struct flow_def *def, size_t lang, struct flow_state *state,
                   struct flow_output *out)
{
    if (++state->retries <= def->max_retries)
        return 0;
    finish(out, FLOW_OUTCOME_ABANDONED, def->msg_abandoned.s[lang]);
    return 1;
}

/*
 * The language menu. Before a language is chosen there is no language to
 * explain in: an invalid answer (or HELP) shows the menu again, and STOP
 * or running out of retries ends in the default language.
 */
static void language_turn(const struct flow_def *def, const char *in, struct flow_state *state,
                          struct flow_output *out)
{
    size_t picked = pick(in, def->n_langs, lang_code, def);
    if (picked) {
        enter_consent(def, picked - 1, state, out);
    } else if (strcasecmp(in, "STOP") == 0) {
        finish(out, FLOW_OUTCOME_REFUSED, def->consent.declined.s[0]);
    } else if (strcasecmp(in, "HELP") == 0 || !used_up(def, 0, state, out)) {
        flow_screen_language(def, out->screen, sizeof out->screen);
    }
}

static void consent_turn(const struct flow_def *def, size_t lang, const char *in,
                         struct flow_state *state, struct flow_output *out)
{
    if (strcmp(in, "1") == 0) {
        state->consented = 1;
        out->consent_given = 1;
        advance(def, 0, lang, state, out);
    } else if (strcmp(in, "2") == 0 || strcasecmp(in, "STOP") == 0) {
        finish(out, FLOW_OUTCOME_REFUSED, def->consent.declined.s[lang]);
    } else if (!used_up(def, lang, state, out)) {
        flow_screen_consent_reprompt(def, lang, out->screen, sizeof out->screen);
    }
}

static void question_turn(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                          const char *in, struct flow_state *state, struct flow_output *out)
{
    if (strcasecmp(in, "STOP") == 0) {
        finish(out, FLOW_OUTCOME_STOPPED, def->msg_stopped.s[lang]);
        return;
    }
    char mark = accept_answer(step, lang, in, &out->answers[0]);
    if (!mark) {
        if (!used_up(def, lang, state, out))
            flow_screen_reprompt(def, step, lang, out->screen, sizeof out->screen);
        return;
    }
    out->n_answers = 1;
    size_t index = flow_def_step_index(def, step);
    for (size_t i = strlen(state->answers); i < index; i++)
        state->answers[i] = FLOW_MARK_NONE;
    state->answers[index] = mark;
    state->answers[index + 1] = '\0';
    advance(def, index + 1, lang, state, out);
}

/*
 * Checks that state can belong to def (it came back from a store) and
 * returns the session's language index, or -1. answers may not reach past
 * the current step; it may fall short of it (a state saved before answers
 * were kept), and the missing marks then read as no code.
 */
static int check_state(const struct flow_def *def, const struct flow_state *state,
                       const struct flow_step_def **step)
{
    int lang = flow_def_lang_index(def, state->language);
    size_t answered = strlen(state->answers);
    *step = NULL;
    if (lang < 0)
        return -1;
    if (!state->consented)
        return strcmp(state->step, FLOW_CONSENT_STEP) == 0 && answered == 0 ? lang : -1;
    *step = flow_def_step(def, state->step);
    return *step && answered <= flow_def_step_index(def, *step) ? lang : -1;
}

int flow_step(const struct flow_def *def, enum flow_channel channel, struct flow_state *state,
              const char *input, struct flow_output *out)
{
    (void)channel;
    char in[FLOW_VALUE_MAX + 1]; /* one byte more than a value holds: too long stays too long */
    memset(out, 0, sizeof *out);
    trim(input ? input : "", in, sizeof in);

    if (!state->consented && strcmp(state->step, FLOW_LANGUAGE_STEP) == 0 && def->n_langs > 1) {
        language_turn(def, in, state, out);
        return 0;
    }
    const struct flow_step_def *step;
    int lang = check_state(def, state, &step);
    if (lang < 0)
        return -RAIA_EINVAL;
    if (def->help.s[0] && strcasecmp(in, "HELP") == 0)
        flow_screen_help(def, step, (size_t)lang, out->screen, sizeof out->screen);
    else if (!step)
        consent_turn(def, (size_t)lang, in, state, out);
    else
        question_turn(def, step, (size_t)lang, in, state, out);
    return 0;
}
