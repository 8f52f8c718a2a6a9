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
}

void flow_def_unref(struct flow_def *def)
{
    if (!def || --def->refs > 0)
        return;
    free(def->file);
    free(def->source);
    free(def->id);
    free(def->title);
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
    free_text(&def->end_text);
    free_text(&def->help);
    free_text(&def->label_yes);
    free_text(&def->label_no);
    free_text(&def->prefer_not);
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

const char *flow_def_source(const struct flow_def *def)
{
    return def->source;
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
