/*
 * flow_describe.c - read-only views of a loaded flow for the people who
 * read its data rather than answer it: the steps in order, their types,
 * question texts and choice labels in every language, ranges, the
 * "prefer not to say" code and the `when` conditions in the form they were
 * written, the levels and areas of a location step, and the derived
 * variables. Called by the `raia export` codebook (cli/export_codebook.c).
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
    case STEP_MULTI:
        return "multi_choice";
    case STEP_DATE:
        return "date";
    case STEP_YEAR:
        return "year";
    case STEP_AGE:
        return "age";
    case STEP_LOCATION:
        return "location";
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
    if (!s)
        return 0;
    switch (s->type) {
    case STEP_NUMBER:
    case STEP_YEAR:
    case STEP_AGE:
        snprintf(min, size, "%lld", s->min);
        snprintf(max, size, "%lld", s->max);
        return 1;
    case STEP_DECIMAL:
        flow_decimal_format(s->min, s->decimals, min, size);
        flow_decimal_format(s->max, s->decimals, max, size);
        return 1;
    case STEP_DATE:
        flow_date_format(s->min, min, size);
        flow_date_format(s->max, max, size);
        return 1;
    default:
        return 0;
    }
}

int flow_def_step_selection(const struct flow_def *def, size_t i, long *min, long *max)
{
    const struct flow_step_def *s = step_at(def, i);
    if (!s || s->type != STEP_MULTI)
        return 0;
    *min = (long)s->min;
    *max = (long)s->max;
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

/* A condition is stored as (step index, mark): the choice's mark (FLOW_MARKS),
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
        if (c->numeric) {
            strbuf_printf(out, "%s%s %s %lld", k ? " and " : "", target ? target->id : "?",
                          flow_cmp_text(c->cmp), c->num);
            continue;
        }
        int choice = flow_choice_of_mark(c->mark);
        if (target && choice >= 0 && (size_t)choice < target->n_choices)
            code = target->choices[choice].code;
        strbuf_printf(out, "%s%s %s %s", k ? " and " : "", target ? target->id : "?",
                      c->negate ? "!=" : "==", code);
    }
    return s->n_conds;
}

size_t flow_def_step_level_count(const struct flow_def *def, size_t i)
{
    const struct flow_step_def *s = step_at(def, i);
    return s && s->type == STEP_LOCATION ? s->n_levels : 0;
}

const char *flow_def_step_level(const struct flow_def *def, size_t i, size_t k)
{
    const struct flow_step_def *s = step_at(def, i);
    return s && s->type == STEP_LOCATION && k < s->n_levels ? s->levels[k] : NULL;
}

/* The area code names in location step i, or NULL. */
static const struct flow_area *area_at(const struct flow_def *def, size_t i, const char *code,
                                       const struct flow_step_def **step)
{
    const struct flow_step_def *s = step_at(def, i);
    int a = s && s->type == STEP_LOCATION && code ? flow_def_area_index(s, code) : -1;
    *step = s;
    return a >= 0 ? &s->areas[a] : NULL;
}

const char *flow_def_area_parent(const struct flow_def *def, size_t i, const char *code)
{
    const struct flow_step_def *s;
    const struct flow_area *a = area_at(def, i, code, &s);
    return a && a->parent >= 0 ? s->areas[a->parent].code : NULL;
}

int flow_def_area_level(const struct flow_def *def, size_t i, const char *code)
{
    const struct flow_step_def *s;
    const struct flow_area *a = area_at(def, i, code, &s);
    return a ? a->level : -1;
}

const char *flow_def_area_name(const struct flow_def *def, size_t i, const char *code, size_t lang)
{
    const struct flow_step_def *s;
    const struct flow_area *a = area_at(def, i, code, &s);
    return a ? text_in(def, &a->name, lang) : NULL;
}

size_t flow_def_derived_count(const struct flow_def *def)
{
    return def->n_derived;
}

const char *flow_def_derived_id(const struct flow_def *def, size_t d)
{
    return d < def->n_derived ? def->derived[d].id : NULL;
}

int flow_def_derived_rule(const struct flow_def *def, size_t d, struct strbuf *out)
{
    if (d >= def->n_derived)
        return 0;
    const struct flow_derived *v = &def->derived[d];
    strbuf_printf(out, "%s [", v->all ? "all_of" : "any_of");
    for (size_t i = 0; i < v->n_steps; i++)
        strbuf_printf(out, "%s%s", i ? ", " : "", def->steps[v->steps[i]].id);
    strbuf_puts(out, "] in [");
    for (size_t i = 0; i < v->n_in; i++)
        strbuf_printf(out, "%s%s", i ? ", " : "", v->in[i]);
    strbuf_printf(out, "] then %s else %s", v->then_code, v->else_code);
    if (v->missing_code)
        strbuf_printf(out, " missing %s", v->missing_code);
    return 1;
}

int flow_def_derived_info(const struct flow_def *def, size_t d, struct flow_derived_info *out)
{
    if (d >= def->n_derived)
        return 0;
    const struct flow_derived *v = &def->derived[d];
    *out = (struct flow_derived_info){
        v->steps,
        v->n_steps,
        v->then_code,
        v->else_code,
        v->missing_code,
        "The rule holds",
        "The rule does not hold",
        "Not determined: an answer the rule reads is missing (skipped or refused)"};
    return 1;
}

void flow_json_texts(const struct flow_def *def, long step, long choice, struct strbuf *out)
{
    strbuf_append(out, "{", 1);
    for (size_t l = 0; l < flow_def_language_count(def); l++) {
        const char *t = step < 0 ? flow_def_consent_text(def, l)
                        : choice < 0
                            ? flow_def_step_text(def, (size_t)step, l)
                            : flow_def_step_choice_label(def, (size_t)step, (size_t)choice, l);
        strbuf_puts(out, l ? "," : "");
        strbuf_json_str(out, flow_def_language_at(def, l));
        strbuf_append(out, ":", 1);
        if (t)
            strbuf_json_str(out, t);
        else
            strbuf_puts(out, "null");
    }
    strbuf_append(out, "}", 1);
}

void flow_json_refused_when(const struct flow_def *def, size_t s, struct strbuf *out)
{
    const char *refused = flow_def_step_refused_code(def, s);
    strbuf_puts(out, ",\"refused_code\":");
    if (refused)
        strbuf_json_str(out, refused);
    else
        strbuf_puts(out, "null");
    struct strbuf when = {0};
    strbuf_puts(out, ",\"asked_when\":");
    if (flow_def_step_condition(def, s, &when))
        strbuf_json_str(out, strbuf_cstr(&when));
    else
        strbuf_puts(out, "null");
    strbuf_free(&when);
}

void flow_json_derived_rule(const struct flow_def *def, size_t d, struct strbuf *out)
{
    struct strbuf rule = {0};
    flow_def_derived_rule(def, d, &rule);
    strbuf_puts(out, ",\"rule\":");
    strbuf_json_str(out, strbuf_cstr(&rule));
    out->oom |= rule.oom;
    strbuf_free(&rule);
    strbuf_puts(out, ",\"reads\":[");
    const struct flow_derived *v = &def->derived[d];
    for (size_t i = 0; i < v->n_steps; i++) {
        strbuf_puts(out, i ? "," : "");
        strbuf_json_str(out, flow_def_step_id(def, v->steps[i]));
    }
    strbuf_puts(out, "],\"computed\":\"when the session completes\"");
}

void flow_json_languages_consent(const struct flow_def *def, struct strbuf *out)
{
    strbuf_puts(out, "\"languages\":[");
    for (size_t l = 0; l < flow_def_language_count(def); l++) {
        strbuf_puts(out, l ? "," : "");
        strbuf_json_str(out, flow_def_language_at(def, l));
    }
    strbuf_puts(out, "],\"consent\":{\"version\":");
    strbuf_json_str(out, flow_def_consent_version(def));
    strbuf_puts(out, ",\"text\":");
    flow_json_texts(def, -1, -1, out);
    strbuf_append(out, "}", 1);
}
