/*
 * flow_engine.c - steps a citizen through a flow: (flow, state, input) ->
 * (screen, new state, answers). Pure: no I/O, no allocation, no clock, so
 * the gateway can replay a turn and tests can check transcripts exactly.
 * Called by gateway/session.c (flow_start, flow_step, flow_resume_screen,
 * flow_redisplay) and the tests.
 *
 * Rules a citizen can rely on (docs/flows.md):
 *  - a flow with several languages first asks which one; every later
 *    screen is in that language;
 *  - nothing is an answer before "1" at the consent screen;
 *  - "2" at consent ends the session as a refusal, with no answers;
 *  - STOP (any case, or the flow's stop word in any of its languages) ends
 *    the session at any point;
 *  - HELP (likewise), when the flow has a help text, shows it above the
 *    current screen and costs no retry;
 *  - a long list is shown in pages ("98 More", "0 Back"), numbered 1..n
 *    across pages; a number from another page is accepted;
 *  - an invalid answer re-prompts with the step's error text, at most
 *    max_retries times, then the session ends as abandoned;
 *  - after an answer the session goes to the choice's `next`, else the
 *    step's `next`, else the following step; a step whose `when` does not
 *    hold for the earlier answers is skipped;
 *  - at an end screen, the derived variables are computed and stored.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "flow_def.h"
#include "str_copy.h"

static void set_screen(struct flow_output *out, const char *text)
{
    str_copy(out->screen, sizeof out->screen, text);
}

static void finish(struct flow_output *out, enum flow_outcome outcome, const char *screen)
{
    set_screen(out, screen);
    out->end = 1;
    out->outcome = outcome;
}

/* The mark of step i in state ('-' past the marks kept). */
static char mark_at(const struct flow_state *state, size_t i)
{
    return i < strlen(state->answers) ? state->answers[i] : FLOW_MARK_NONE;
}

/* Sets the mark of step i, marking steps before it that have none as not visited. */
static void set_mark(struct flow_state *state, size_t i, char mark)
{
    size_t n = strlen(state->answers);
    for (size_t k = n; k < i; k++)
        state->answers[k] = FLOW_MARK_NONE;
    state->answers[i] = mark;
    if (i >= n)
        state->answers[i + 1] = '\0';
}

/*
 * A numeric comparison: the answer kept for step compares with c->num. A
 * step with no number (skipped, refused) is unequal to every number and
 * neither smaller nor greater, as a skipped choice equals no code.
 */
static int numeric_holds(const struct flow_def *def, const struct flow_cond *c,
                         const struct flow_state *state)
{
    int slot = def->steps[c->step].kept;
    if (slot < 0 || !(state->kept >> slot & 1))
        return c->cmp == FLOW_CMP_NE;
    long long v = state->values[slot];
    switch (c->cmp) {
    case FLOW_CMP_EQ:
        return v == c->num;
    case FLOW_CMP_NE:
        return v != c->num;
    case FLOW_CMP_LT:
        return v < c->num;
    case FLOW_CMP_LE:
        return v <= c->num;
    case FLOW_CMP_GT:
        return v > c->num;
    case FLOW_CMP_GE:
        return v >= c->num;
    }
    return 0;
}

/* A step asks its question when all its comparisons hold. */
static int conds_hold(const struct flow_def *def, const struct flow_step_def *step,
                      const struct flow_state *state)
{
    for (size_t i = 0; i < step->n_conds; i++) {
        const struct flow_cond *c = &step->conds[i];
        if (c->numeric ? !numeric_holds(def, c, state)
                       : (mark_at(state, c->step) == c->mark) == c->negate)
            return 0;
    }
    return 1;
}

/* Marks step i as passed without an answer: no code, no number. */
static void skip(const struct flow_def *def, struct flow_state *state, size_t i)
{
    set_mark(state, i, FLOW_MARK_NONE);
    if (def->steps[i].kept >= 0)
        state->kept &= ~(1u << def->steps[i].kept);
}

/* The choice code step i left in state, or NULL (skipped, refused, free entry). */
static const char *code_at(const struct flow_def *def, const struct flow_state *state, size_t i)
{
    int c = flow_choice_of_mark(mark_at(state, i));
    return c >= 0 && (size_t)c < def->steps[i].n_choices ? def->steps[i].choices[c].code : NULL;
}

/* The result of derived variable d for the answers in state, or NULL (nothing to store). */
static const char *derive(const struct flow_def *def, const struct flow_derived *d,
                          const struct flow_state *state)
{
    size_t hits = 0, missing = 0;
    for (size_t i = 0; i < d->n_steps; i++) {
        const char *code = code_at(def, state, d->steps[i]);
        int in = 0;
        for (size_t k = 0; code && k < d->n_in; k++)
            in |= strcmp(code, d->in[k]) == 0;
        hits += (size_t)in;
        missing += !code;
    }
    if (d->all) {
        if (hits + missing < d->n_steps)
            return d->else_code; /* an answer outside `in` settles it */
        return missing ? d->missing_code : d->then_code;
    }
    if (hits)
        return d->then_code;
    return missing ? d->missing_code : d->else_code;
}

/* Ends the session at end screen e as completed, with the derived variables. */
static void complete(const struct flow_def *def, size_t e, size_t lang,
                     const struct flow_state *state, struct flow_output *out)
{
    flow_screen_end(def, &def->ends[e], lang, state, out->screen, sizeof out->screen);
    out->end = 1;
    out->outcome = FLOW_OUTCOME_COMPLETED;
    for (size_t i = 0; i < def->n_derived && out->n_answers < FLOW_ANSWERS_MAX; i++) {
        const char *code = derive(def, &def->derived[i], state);
        if (!code)
            continue;
        struct flow_answer *a = &out->answers[out->n_answers++];
        memset(a, 0, sizeof *a);
        str_copy(a->question, sizeof a->question, def->derived[i].id);
        str_copy(a->code, sizeof a->code, code);
    }
}

/* Shows step i from its start: first page, nothing marked, first level. */
static void enter_step(const struct flow_def *def, size_t i, size_t lang, enum flow_channel channel,
                       struct flow_state *state, struct flow_output *out)
{
    str_copy(state->step, sizeof state->step, def->steps[i].id);
    state->retries = 0;
    state->page = 0;
    state->picked = 0;
    state->depth = 0;
    flow_screen_at(def, &def->steps[i], lang, channel, state, NULL, out->screen,
                   sizeof out->screen);
}

/*
 * Moves to the first step from index `from` on whose `when` holds, marking
 * the skipped ones, or ends the session at `end` after the last step.
 */
static void advance(const struct flow_def *def, size_t from, size_t lang, enum flow_channel channel,
                    struct flow_state *state, struct flow_output *out)
{
    for (size_t i = from; i < def->n_steps; i++) {
        if (conds_hold(def, &def->steps[i], state)) {
            enter_step(def, i, lang, channel, state, out);
            return;
        }
        skip(def, state, i);
    }
    complete(def, 0, lang, state, out);
}

/*
 * After step `from` was answered: to target (FLOW_NEXT_NONE: the following
 * step). Steps jumped over forward are marked not visited, so a later
 * `when` reads them as skipped.
 */
static void go(const struct flow_def *def, size_t from, int target, size_t lang,
               enum flow_channel channel, struct flow_state *state, struct flow_output *out)
{
    if (target == FLOW_NEXT_NONE) {
        advance(def, from + 1, lang, channel, state, out);
        return;
    }
    size_t until = target >= FLOW_NEXT_END ? def->n_steps : (size_t)target;
    for (size_t i = from + 1; i < until; i++)
        skip(def, state, i);
    if (target >= FLOW_NEXT_END)
        complete(def, (size_t)(target - FLOW_NEXT_END), lang, state, out);
    else
        advance(def, (size_t)target, lang, channel, state, out);
}

/* Shows the consent screen in the language of state. */
static void enter_consent(const struct flow_def *def, size_t lang, struct flow_state *state,
                          struct flow_output *out)
{
    str_copy(state->step, sizeof state->step, FLOW_CONSENT_STEP);
    str_copy(state->language, sizeof state->language, def->langs[lang]);
    state->retries = 0;
    flow_screen_consent(def, lang, out->screen, sizeof out->screen);
}

void flow_output_clear(struct flow_output *out)
{
    out->screen[0] = '\0';
    out->end = 0;
    out->outcome = FLOW_OUTCOME_NONE;
    out->consent_given = 0;
    out->n_answers = 0;
}

int flow_start(const struct flow_def *def, enum flow_channel channel, struct flow_state *state,
               struct flow_output *out)
{
    (void)channel;
    memset(state, 0, sizeof *state);
    flow_output_clear(out);
    if (def->n_langs > 1) {
        str_copy(state->step, sizeof state->step, FLOW_LANGUAGE_STEP);
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

/* 1-based number of the item input names (its number, or, handy in SMS, its code), or 0. */
static size_t pick(const char *input, size_t n, const char *(*code_of)(const void *, size_t),
                   const void *ctx)
{
    for (size_t i = 0; i < n; i++) {
        char num[24];
        const char *code = code_of(ctx, i);
        snprintf(num, sizeof num, "%zu", i + 1);
        if (strcmp(input, num) == 0 || (code && strcasecmp(input, code) == 0))
            return i + 1;
    }
    return 0;
}

static const char *lang_code(const void *ctx, size_t i)
{
    return ((const struct flow_def *)ctx)->langs[i];
}

/* Item codes of a list: a choice's code or an area's, FLOW_REFUSED_CODE for "prefer not". */
struct list_ctx {
    const struct flow_step_def *step;
    const struct flow_menu *menu;
};

static const char *item_code(const void *ctx, size_t i)
{
    const struct list_ctx *l = ctx;
    if (l->menu->refusal && i + 1 == l->menu->n)
        return FLOW_REFUSED_CODE;
    if (l->step->type == STEP_LOCATION)
        return l->step->areas[l->menu->area[i]].code;
    return l->step->choices[i].code;
}

static void answer_for(const struct flow_step_def *step, struct flow_answer *answer)
{
    memset(answer, 0, sizeof *answer);
    str_copy(answer->question, sizeof answer->question, step->id);
}

static void refuse(const struct flow_step_def *step, struct flow_answer *answer)
{
    answer_for(step, answer);
    str_copy(answer->code, sizeof answer->code, FLOW_REFUSED_CODE);
}

/*
 * A free-entry answer (number, decimal, text, date, year, age): fills
 * answer and returns 1, or 0 if input is not valid for step.
 */
static int accept_free(const struct flow_step_def *step, const char *input,
                       struct flow_answer *answer)
{
    long long n;
    answer_for(step, answer);
    if (step->optional && strcmp(input, FLOW_REFUSED_INPUT) == 0) {
        refuse(step, answer);
        return 1;
    }
    switch (step->type) {
    case STEP_NUMBER:
    case STEP_AGE:
        if (parse_number(input, &n) < 0 || n < step->min || n > step->max)
            return 0;
        snprintf(answer->value, sizeof answer->value, "%lld", n);
        return 1;
    case STEP_YEAR:
        if (strlen(input) != 4 || strspn(input, "0123456789") != 4)
            return 0;
        n = strtoll(input, NULL, 10);
        if (n < step->min || n > step->max)
            return 0;
        snprintf(answer->value, sizeof answer->value, "%lld", n);
        return 1;
    case STEP_DATE:
        if (flow_date_parse_dmy(input, &n) < 0 || n < step->min || n > step->max)
            return 0;
        flow_date_format(n, answer->value, sizeof answer->value);
        return 1;
    case STEP_DECIMAL:
        if (flow_decimal_parse(input, step->decimals, &n) < 0 || n < step->min || n > step->max)
            return 0;
        flow_decimal_format(n, step->decimals, answer->value, sizeof answer->value);
        return 1;
    case STEP_TEXT: {
        size_t len = strlen(input);
        long chars = charset_utf8_chars(input, len);
        if (len == 0 || len >= sizeof answer->value || chars < 0 || chars > step->max_length)
            return 0;
        memcpy(answer->value, input, len + 1);
        return 1;
    }
    default:
        return 0;
    }
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

/* The re-prompt after an invalid answer, or the end once retries are used up. */
static void invalid(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                    enum flow_channel channel, struct flow_state *state, struct flow_output *out)
{
    if (!used_up(def, lang, state, out))
        flow_screen_at(def, step, lang, channel, state, flow_screen_error(def, step, lang),
                       out->screen, sizeof out->screen);
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
    } else if (flow_is_stop_word(def, in)) {
        finish(out, FLOW_OUTCOME_REFUSED, def->consent.declined.s[0]);
    } else if (flow_is_help_word(def, in) || !used_up(def, 0, state, out)) {
        flow_screen_language(def, out->screen, sizeof out->screen);
    }
}

static void consent_turn(const struct flow_def *def, size_t lang, enum flow_channel channel,
                         const char *in, struct flow_state *state, struct flow_output *out)
{
    if (strcmp(in, "1") == 0) {
        state->consented = 1;
        out->consent_given = 1;
        advance(def, 0, lang, channel, state, out);
    } else if (strcmp(in, "2") == 0 || flow_is_stop_word(def, in)) {
        finish(out, FLOW_OUTCOME_REFUSED, def->consent.declined.s[lang]);
    } else if (!used_up(def, lang, state, out)) {
        flow_screen_consent_reprompt(def, lang, out->screen, sizeof out->screen);
    }
}

/* Joins the marked choices of a multi_choice step into answer, in choice order. */
static void multi_answer(const struct flow_step_def *step, size_t lang, unsigned long long picked,
                         struct flow_answer *answer)
{
    size_t lc = 0, lv = 0;
    answer_for(step, answer);
    for (size_t i = 0; i < step->n_choices; i++) {
        if (!(picked >> i & 1))
            continue;
        lc += (size_t)snprintf(answer->code + lc, sizeof answer->code - lc, "%s%s", lc ? " " : "",
                               step->choices[i].code);
        lv += (size_t)snprintf(answer->value + lv, sizeof answer->value - lv, "%s%s",
                               lv ? ", " : "", step->choices[i].label.s[lang]);
        /* The loader checked that every choice together fits both fields. */
    }
}

static int count_bits(unsigned long long v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/*
 * A multi_choice answer. A list ("1 3 4", "1,3,4", codes too) answers at
 * once on either channel, as does one number by SMS; on USSD one number
 * marks or unmarks a choice and "0" (Done) answers with the marked ones.
 * Returns 1 with answer filled, 0 when the screen is shown again (a mark
 * changed), -1 for invalid input.
 */
static int multi_input(const struct flow_step_def *step, const struct flow_menu *m, size_t lang,
                       const char *in, struct flow_state *state, struct flow_answer *answer)
{
    struct list_ctx ctx = {step, m};
    size_t n = step->n_choices;
    unsigned long long set = 0;
    size_t one = pick(in, m->n, item_code, &ctx);
    if (m->refusal && one == m->n) {
        refuse(step, answer);
        return 1;
    }
    if (strpbrk(in, " ,")) {
        char buf[FLOW_VALUE_MAX + 1];
        str_copy(buf, sizeof buf, in);
        for (char *save = NULL, *tok = strtok_r(buf, " ,", &save); tok;
             tok = strtok_r(NULL, " ,", &save)) {
            size_t k = pick(tok, n, item_code, &ctx);
            if (!k || (set >> (k - 1) & 1))
                return -1;
            set |= 1ull << (k - 1);
        }
    } else if (m->toggles && strcmp(in, FLOW_INPUT_DONE) == 0) {
        set = state->picked;
    } else if (one && one <= n && m->toggles) {
        unsigned long long bit = 1ull << (one - 1);
        if (!(state->picked & bit) && count_bits(state->picked) >= step->max)
            return -1;
        state->picked ^= bit;
        return 0;
    } else if (one && one <= n) {
        set = 1ull << (one - 1);
    } else {
        return -1;
    }
    int count = count_bits(set);
    if (count < step->min || count > step->max)
        return -1;
    multi_answer(step, lang, set, answer);
    return 1;
}

/* The page of the list at the level above holding the area chosen there. */
static int page_of_item(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                        enum flow_channel channel, const struct flow_state *state, int area)
{
    struct flow_menu m;
    size_t first[FLOW_MENU_MAX + 1];
    int tight;
    if (flow_menu_of(def, step, lang, channel, state, &m) < 0)
        return 0;
    size_t pages = flow_menu_pages(def, step, lang, channel, &m, first, &tight);
    for (size_t p = 0; p < pages; p++)
        for (size_t i = first[p]; i < first[p + 1]; i++)
            if (m.area[i] == area)
                return (int)p;
    return 0;
}

/*
 * A turn at a list (choice, yes_no, multi_choice, location): paging,
 * marking, going down a level, or an answer. Returns the answer's mark
 * with answer filled, 0 when only the screen changes, -1 for invalid input.
 */
static int list_input(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      enum flow_channel channel, const char *in, struct flow_state *state,
                      struct flow_answer *answer, int *target)
{
    struct flow_menu m;
    size_t first[FLOW_MENU_MAX + 1];
    int tight;
    flow_menu_of(def, step, lang, channel, state, &m); /* check_state checked the path */
    size_t pages = flow_menu_pages(def, step, lang, channel, &m, first, &tight);
    if (state->page < 0 || (size_t)state->page >= pages)
        state->page = 0;
    if (strcmp(in, FLOW_INPUT_MORE) == 0 && (size_t)state->page + 1 < pages) {
        state->page++;
        return 0;
    }
    if (strcmp(in, m.multi ? FLOW_INPUT_MULTI_BACK : FLOW_INPUT_BACK) == 0 &&
        (state->page > 0 || m.up)) {
        if (state->page > 0) {
            state->page--;
        } else {
            int area = state->path[--state->depth];
            state->page = page_of_item(def, step, lang, channel, state, area);
        }
        return 0;
    }
    *target = step->next;
    if (step->type == STEP_MULTI) {
        int rc = multi_input(step, &m, lang, in, state, answer);
        return rc <= 0                                        ? rc
               : strcmp(answer->code, FLOW_REFUSED_CODE) == 0 ? FLOW_MARK_REFUSED
                                                              : FLOW_MARK_NONE;
    }
    struct list_ctx ctx = {step, &m};
    size_t k = pick(in, m.n, item_code, &ctx);
    if (!k)
        return -1;
    if (m.refusal && k == m.n) {
        refuse(step, answer);
        return FLOW_MARK_REFUSED;
    }
    answer_for(step, answer);
    if (step->type != STEP_LOCATION) {
        const struct flow_choice *c = &step->choices[k - 1];
        str_copy(answer->code, sizeof answer->code, c->code);
        str_copy(answer->value, sizeof answer->value, c->label.s[lang]);
        if (c->next != FLOW_NEXT_NONE)
            *target = c->next;
        return flow_mark_of(k - 1);
    }
    const struct flow_area *a = &step->areas[m.area[k - 1]];
    if ((size_t)state->depth + 1 < step->n_levels) {
        state->path[state->depth++] = m.area[k - 1];
        state->page = 0;
        state->retries = 0;
        return 0;
    }
    str_copy(answer->code, sizeof answer->code, a->code);
    str_copy(answer->value, sizeof answer->value, a->name.s[lang]);
    return FLOW_MARK_NONE;
}

static int is_list(const struct flow_step_def *step)
{
    return step->type == STEP_CHOICE || step->type == STEP_YES_NO || step->type == STEP_MULTI ||
           step->type == STEP_LOCATION;
}

static void question_turn(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                          enum flow_channel channel, const char *in, struct flow_state *state,
                          struct flow_output *out)
{
    if (flow_is_stop_word(def, in)) {
        finish(out, FLOW_OUTCOME_STOPPED, def->msg_stopped.s[lang]);
        return;
    }
    int target = step->next, mark;
    if (is_list(step))
        mark = list_input(def, step, lang, channel, in, state, &out->answers[0], &target);
    else
        mark = accept_free(step, in, &out->answers[0])
                   ? (strcmp(out->answers[0].code, FLOW_REFUSED_CODE) == 0 ? FLOW_MARK_REFUSED
                                                                           : FLOW_MARK_NONE)
                   : -1;
    if (mark < 0) {
        invalid(def, step, lang, channel, state, out);
        return;
    }
    if (mark == 0) { /* another page, a mark, a level: the same step again */
        flow_screen_at(def, step, lang, channel, state, NULL, out->screen, sizeof out->screen);
        return;
    }
    out->n_answers = 1;
    size_t index = flow_def_step_index(def, step);
    set_mark(state, index, (char)mark);
    if (step->kept >= 0 && mark == FLOW_MARK_REFUSED) {
        state->kept &= ~(1u << step->kept);
    } else if (step->kept >= 0) { /* a number, age or year a later `when` compares */
        state->values[step->kept] = strtoll(out->answers[0].value, NULL, 10);
        state->kept |= 1u << step->kept;
    }
    go(def, index, target, lang, channel, state, out);
}

/*
 * Checks that state can belong to def (it came back from a store) and
 * returns the session's language index, or -1. *step is the current step
 * (NULL before consent). The marks may fall short of the steps (a state
 * saved before answers were kept, or steps not reached): missing marks read
 * as no code.
 */
static int check_state(const struct flow_def *def, const struct flow_state *state,
                       const struct flow_step_def **step)
{
    int lang = flow_def_lang_index(def, state->language);
    size_t answered = strlen(state->answers);
    *step = NULL;
    if (lang < 0 || state->page < 0 || state->page > FLOW_MENU_MAX)
        return -1;
    if (!state->consented)
        return strcmp(state->step, FLOW_CONSENT_STEP) == 0 && answered == 0 ? lang : -1;
    *step = flow_def_step(def, state->step);
    if (!*step || answered > def->n_steps || (state->kept >> def->n_kept) != 0)
        return -1;
    if ((*step)->type == STEP_MULTI
            ? (*step)->n_choices < 64 && (state->picked >> (*step)->n_choices) != 0
            : state->picked != 0)
        return -1;
    if ((*step)->type == STEP_LOCATION) {
        struct flow_menu m;
        if (flow_menu_of(def, *step, (size_t)lang, FLOW_CHANNEL_USSD, state, &m) < 0)
            return -1;
    } else if (state->depth != 0) {
        return -1;
    }
    return lang;
}

/* 1 if state waits at the language menu of def. */
static int at_language_menu(const struct flow_def *def, const struct flow_state *state)
{
    return !state->consented && strcmp(state->step, FLOW_LANGUAGE_STEP) == 0 && def->n_langs > 1;
}

int flow_step(const struct flow_def *def, enum flow_channel channel, struct flow_state *state,
              const char *input, struct flow_output *out)
{
    char in[FLOW_VALUE_MAX + 1]; /* one byte more than a value holds: too long stays too long */
    flow_output_clear(out);
    trim(input ? input : "", in, sizeof in);

    if (at_language_menu(def, state)) {
        language_turn(def, in, state, out);
        return 0;
    }
    const struct flow_step_def *step;
    int lang = check_state(def, state, &step);
    if (lang < 0)
        return -RAIA_EINVAL;
    if (def->help.s[0] && flow_is_help_word(def, in)) {
        if (step)
            flow_screen_at(def, step, (size_t)lang, channel, state, def->help.s[lang], out->screen,
                           sizeof out->screen);
        else
            flow_screen_consent_help(def, (size_t)lang, out->screen, sizeof out->screen);
    } else if (!step) {
        consent_turn(def, (size_t)lang, channel, in, state, out);
    } else {
        question_turn(def, step, (size_t)lang, channel, in, state, out);
    }
    return 0;
}

int flow_redisplay(const struct flow_def *def, enum flow_channel channel,
                   const struct flow_state *state, struct flow_output *out)
{
    flow_output_clear(out);
    if (at_language_menu(def, state)) {
        flow_screen_language(def, out->screen, sizeof out->screen);
        return 0;
    }
    const struct flow_step_def *step;
    int lang = check_state(def, state, &step);
    if (lang < 0)
        return -RAIA_EINVAL;
    if (step)
        flow_screen_at(def, step, (size_t)lang, channel, state, NULL, out->screen,
                       sizeof out->screen);
    else
        flow_screen_consent(def, (size_t)lang, out->screen, sizeof out->screen);
    return 0;
}

int flow_resume_screen(const struct flow_def *def, enum flow_channel channel,
                       const struct flow_state *state, struct flow_output *out)
{
    const struct flow_step_def *step;
    int lang = at_language_menu(def, state) ? 0 : check_state(def, state, &step);
    (void)channel;
    flow_output_clear(out);
    if (lang < 0)
        return -RAIA_EINVAL;
    if (!def->msg_resume.s[lang])
        return -RAIA_ENOTFOUND;
    flow_screen_resume(def, (size_t)lang, out->screen, sizeof out->screen);
    return 0;
}

/* 1 if text, trimmed, is word (any case) or t's word in one of def's languages. */
static int is_word(const struct flow_def *def, const char *text, const char *word,
                   const struct flow_text *t)
{
    char in[32];
    size_t skip = strspn(text, " \t\r\n");
    size_t n = strlen(text + skip);
    while (n > 0 && isspace((unsigned char)text[skip + n - 1]))
        n--;
    if (n >= sizeof in)
        return 0;
    memcpy(in, text + skip, n);
    in[n] = '\0';
    if (strcasecmp(in, word) == 0)
        return 1;
    for (size_t l = 0; l < def->n_langs; l++)
        if (t->s[l] && strcasecmp(in, t->s[l]) == 0)
            return 1;
    return 0;
}

int flow_is_stop_word(const struct flow_def *def, const char *text)
{
    return is_word(def, text, "STOP", &def->stop_word);
}

int flow_is_help_word(const struct flow_def *def, const char *text)
{
    return is_word(def, text, "HELP", &def->help_word);
}
