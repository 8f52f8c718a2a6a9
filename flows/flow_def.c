/*
 * flow_def.c - a loaded flow's lifetime (reference counting) and the
 * read-only accessors flow.h promises. Flows are shared between the flow
 * set that serves new sessions and turns still finishing on an older
 * version, hence the count.
 */
#include <stdlib.h>
#include <string.h>

#include "flow_def.h"

void flow_def_ref(struct flow_def *def)
{
    def->refs++;
}

static void free_text(struct flow_text *t)
{
    for (size_t i = 0; i < FLOW_LANGS_MAX; i++)
        free(t->s[i]);
}

static void free_step(struct flow_step_def *s)
{
    free(s->id);
    free_text(&s->text);
    free_text(&s->error);
    for (size_t i = 0; i < s->n_choices; i++) {
        free(s->choices[i].code);
        free_text(&s->choices[i].label);
    }
    free(s->choices);
    free(s->areas_file);
    for (size_t i = 0; i < s->n_areas; i++) {
        free(s->areas[i].code);
        free_text(&s->areas[i].name);
    }
    free(s->areas);
    for (size_t i = 0; i < FLOW_LEVELS_MAX; i++) {
        free(s->levels[i]);
        free_text(&s->level_text[i]);
    }
}

static void free_derived(struct flow_derived *d)
{
    free(d->id);
    for (size_t i = 0; i < d->n_in; i++)
        free(d->in[i]);
    free(d->then_code);
    free(d->else_code);
    free(d->missing_code);
}

void flow_def_unref(struct flow_def *def)
{
    if (!def || --def->refs > 0)
        return;
    free(def->file);
    free(def->source);
    for (size_t i = 0; i < def->n_modules; i++)
        free(def->modules[i]);
    free(def->id);
    free(def->title);
    for (size_t i = 0; i < def->n_adaptations; i++)
        free(def->adaptations[i]);
    for (size_t i = 0; i < FLOW_LANGS_MAX; i++)
        free(def->langs[i]);
    free_text(&def->language_names);
    free(def->ussd_code);
    free(def->sms_short_code);
    free(def->sms_keyword);
    free(def->consent.version);
    free_text(&def->consent.text);
    free_text(&def->consent.accept);
    free_text(&def->consent.decline);
    free_text(&def->consent.declined);
    for (size_t i = 0; i < def->n_steps; i++)
        free_step(&def->steps[i]);
    free_text(&def->msg_invalid);
    free_text(&def->msg_abandoned);
    free_text(&def->msg_stopped);
    free_text(&def->msg_resume);
    free_text(&def->msg_no_answer);
    for (size_t i = 0; i < FLOW_ENDS_MAX; i++) {
        free(def->ends[i].id);
        free_text(&def->ends[i].text);
    }
    free_text(&def->help);
    struct flow_text *labels[] = {&def->label_yes,      &def->label_no,      &def->prefer_not,
                                  &def->label_more,     &def->label_back,    &def->label_done,
                                  &def->label_continue, &def->label_restart, &def->stop_word,
                                  &def->help_word};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        free_text(labels[i]);
    for (size_t i = 0; i < def->n_derived; i++)
        free_derived(&def->derived[i]);
    free(def);
}

const char *flow_def_id(const struct flow_def *def)
{
    return def->id;
}
int flow_def_version(const struct flow_def *def)
{
    return def->version;
}
const char *flow_def_consent_version(const struct flow_def *def)
{
    return def->consent.version;
}
const char *flow_def_language(const struct flow_def *def)
{
    return def->langs[0];
}

int flow_def_lang_index(const struct flow_def *def, const char *code)
{
    if (!*code)
        return 0;
    for (size_t i = 0; i < def->n_langs; i++)
        if (strcmp(def->langs[i], code) == 0)
            return (int)i;
    return -1;
}

const char *flow_state_language(const struct flow_def *def, const struct flow_state *state)
{
    int i = flow_def_lang_index(def, state->language);
    return def->langs[i < 0 ? 0 : i];
}
const char *flow_def_ussd_code(const struct flow_def *def)
{
    return def->ussd_code;
}
const char *flow_def_sms_short_code(const struct flow_def *def)
{
    return def->sms_short_code;
}
const char *flow_def_sms_keyword(const struct flow_def *def)
{
    return def->sms_keyword;
}
const char *flow_def_title(const struct flow_def *def)
{
    return def->title;
}

size_t flow_def_adaptation_count(const struct flow_def *def)
{
    return def->n_adaptations;
}

const char *flow_def_adaptation(const struct flow_def *def, size_t i)
{
    return i < def->n_adaptations ? def->adaptations[i] : NULL;
}

const char *flow_def_source(const struct flow_def *def)
{
    return def->source;
}

int flow_def_sensitive(const struct flow_def *def)
{
    return def->sensitive;
}

const char *flow_def_contact_step(const struct flow_def *def)
{
    for (size_t i = 0; i < def->n_steps; i++)
        if (def->steps[i].contact)
            return def->steps[i].id;
    return NULL;
}

const char *flow_def_checksum(const struct flow_def *def)
{
    return def->checksum;
}

const struct flow_step_def *flow_def_step(const struct flow_def *def, const char *id)
{
    for (size_t i = 0; i < def->n_steps; i++)
        if (strcmp(def->steps[i].id, id) == 0)
            return &def->steps[i];
    return NULL;
}

size_t flow_def_step_index(const struct flow_def *def, const struct flow_step_def *step)
{
    return (size_t)(step - def->steps);
}

int flow_def_area_index(const struct flow_step_def *step, const char *code)
{
    for (size_t i = 0; i < step->n_areas; i++)
        if (strcmp(step->areas[i].code, code) == 0)
            return (int)i;
    return -1;
}

char flow_mark_of(size_t i)
{
    return i < sizeof FLOW_MARKS - 1 ? FLOW_MARKS[i] : FLOW_MARK_NONE;
}

const char *flow_cmp_text(enum flow_cmp cmp)
{
    static const char *const text[] = {"==", "!=", "<", "<=", ">", ">="};
    return text[cmp];
}

int flow_choice_of_mark(char mark)
{
    const char *at = mark ? strchr(FLOW_MARKS, mark) : NULL;
    return at ? (int)(at - FLOW_MARKS) : -1;
}
