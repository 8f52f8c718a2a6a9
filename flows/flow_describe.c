/*
 * flow_describe.c - read-only views of a loaded flow for the people who
 * read its data rather than answer it: the steps in order, their types,
 * question texts and choice labels in every language, ranges, the
 * "prefer not to say" code and the `when` conditions in the form they were
 * written. Called by the `raia export` codebook (cli/export_codebook.c).
 * Every accessor is bounds-checked and returns NULL/0 out of range, so a
 * caller iterating with the counts cannot read past the arrays.
 */
#include <stdio.h>
#include <string.h>

#include "flow_def.h"

static const struct flow_step_def *step_at(const struct flow_def *def, size_t i)
{
    return def && i < def->n_steps ? &def->steps[i] : NULL;
}

static const char *text_in(const struct flow_def *def, const struct flow_text *t, size_t lang)
{
    return lang < def->n_langs ? t->s[lang] : NULL;
}

size_t flow_def_language_count(const struct flow_def *def)
{
    return def->n_langs;
}

const char *flow_def_language_at(const struct flow_def *def, size_t i)
{
    return i < def->n_langs ? def->langs[i] : NULL;
}

const char *flow_def_consent_text(const struct flow_def *def, size_t lang)
{
    return text_in(def, &def->consent.text, lang);
}

size_t flow_def_step_count(const struct flow_def *def)
{
    return def->n_steps;
}

const char *flow_def_step_id(const struct flow_def *def, size_t i)
{
    const struct flow_step_def *s = step_at(def, i);
    return s ? s->id : NULL;
}

const char *flow_def_step_type(const struct flow_def *def, size_t i)
{
    const struct flow_step_def *s = step_at(def, i);
    if (!s)
        return NULL;
    switch (s->type) {
    case STEP_CHOICE:
        return "choice";
    case STEP_YES_NO:
        return "yes_no";
    case STEP_NUMBER:
        return "number";
    case STEP_DECIMAL:
        return "decimal";
    case STEP_TEXT:
        return "text";
    }
    return NULL;
}

const char *flow_def_step_text(const struct flow_def *def, size_t i, size_t lang)
{
    const struct flow_step_def *s = step_at(def, i);
    return s ? text_in(def, &s->text, lang) : NULL;
}

size_t flow_def_step_choice_count(const struct flow_def *def, size_t i)
{
    const struct flow_step_def *s = step_at(def, i);
    return s ? s->n_choices : 0;
}

const char *flow_def_step_choice_code(const struct flow_def *def, size_t i, size_t c)
{
    const struct flow_step_def *s = step_at(def, i);
    return s && c < s->n_choices ? s->choices[c].code : NULL;
}

const char *flow_def_step_choice_label(const struct flow_def *def, size_t i, size_t c, size_t lang)
{
    const struct flow_step_def *s = step_at(def, i);
    return s && c < s->n_choices ? text_in(def, &s->choices[c].label, lang) : NULL;
}

/* Bounds are kept scaled by 10^decimals for decimal steps; write them back
 * the way the file (and the citizen) writes them. */
int flow_def_step_range(const struct flow_def *def, size_t i, char *min, char *max, size_t size)
{
    const struct flow_step_def *s = step_at(def, i);
    if (!s || (s->type != STEP_NUMBER && s->type != STEP_DECIMAL))
        return 0;
    if (s->type == STEP_NUMBER) {
        snprintf(min, size, "%lld", s->min);
        snprintf(max, size, "%lld", s->max);
    } else {
        flow_decimal_format(s->min, s->decimals, min, size);
        flow_decimal_format(s->max, s->decimals, max, size);
    }
    return 1;
}

int flow_def_step_decimals(const struct flow_def *def, size_t i)
{
    const struct flow_step_def *s = step_at(def, i);
    return s && s->type == STEP_DECIMAL ? s->decimals : 0;
}

long flow_def_step_max_length(const struct flow_def *def, size_t i)
{
    const struct flow_step_def *s = step_at(def, i);
    return s && s->type == STEP_TEXT ? s->max_length : 0;
}

const char *flow_def_step_refused_code(const struct flow_def *def, size_t i)
{
    const struct flow_step_def *s = step_at(def, i);
    return s && s->optional ? FLOW_REFUSED_CODE : NULL;
}

const char *flow_def_prefer_not_label(const struct flow_def *def, size_t lang)
{
    return text_in(def, &def->prefer_not, lang);
}

/* A condition is stored as (step index, mark): '1'..'9' the choice number,
 * 'r' "prefer not to say". Turn the mark back into the code it stands for. */
size_t flow_def_step_condition(const struct flow_def *def, size_t i, struct strbuf *out)
{
    const struct flow_step_def *s = step_at(def, i);
    if (!s)
        return 0;
    for (size_t k = 0; k < s->n_conds; k++) {
        const struct flow_cond *c = &s->conds[k];
        const struct flow_step_def *target = step_at(def, c->step);
        const char *code = c->mark == FLOW_MARK_REFUSED ? FLOW_REFUSED_CODE : "?";
        if (target && c->mark >= '1' && (size_t)(c->mark - '1') < target->n_choices)
            code = target->choices[c->mark - '1'].code;
        strbuf_printf(out, "%s%s %s %s", k ? " and " : "", target ? target->id : "?",
                      c->negate ? "!=" : "==", code);
    }
    return s->n_conds;
}
