/*
 * flow_load.c - reads a flow file (docs/flows.md) into a struct flow_def
 * and checks it. Every problem is reported, each as `file:line:col:
 * message`, so an operator fixes a file in one pass; a flow with any
 * problem is never returned. The screens are measured here with the same
 * builders the engine uses, so a flow that loads can always be shown.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "charset.h"
#include "flow_def.h"
#include "yaml_tree.h"

#define FLOW_FILE_MAX (1024 * 1024) /* a flow is a few kilobytes; refuse anything huge */
#define KEYWORD_MAX 20

struct loader {
    struct flow_def *def;
    struct raia_errlist *errs;
    const char *file;
    int bad;
};

__attribute__((format(printf, 3, 4))) static void problem(struct loader *ld, const struct ynode *at,
                                                          const char *fmt, ...)
{
    char msg[RAIA_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    raia_errlist_add(ld->errs, ld->file, at ? at->line : 0, at ? at->col : 0, "%s", msg);
    ld->bad++;
}

static struct flow_pos pos_of(const struct ynode *n)
{
    struct flow_pos p = {n ? n->line : 0, n ? n->col : 0};
    return p;
}

/* A name made of [a-z0-9_-], 1..FLOW_ID_MAX-1 long. */
static int valid_id(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < FLOW_ID_MAX && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

/* Copies the non-empty UTF-8 scalar v (called what in messages) into *slot. */
static void copy_scalar(struct loader *ld, const struct ynode *v, const char *what, char **slot)
{
    const char *s;
    if (ynode_str(v, what, &s, ld->errs) < 0) {
        ld->bad++;
        return;
    }
    if (!*s) {
        problem(ld, v, "%s: must not be empty", what);
        return;
    }
    if (charset_utf8_chars(s, strlen(s)) < 0) {
        problem(ld, v, "%s: is not valid UTF-8", what);
        return;
    }
    *slot = strdup(s);
    if (!*slot)
        problem(ld, v, "%s: out of memory", what);
}

/* Copies a required (or optional) non-empty string at key of map into *slot. */
static void get_text(struct loader *ld, const struct ynode *map, const char *key, const char *where,
                     int required, char **slot)
{
    const struct ynode *v = ynode_get(map, key);
    char what[160];
    snprintf(what, sizeof what, "%s%s", where, key);
    if (v)
        copy_scalar(ld, v, what, slot);
    else if (required)
        problem(ld, map, "%s: missing (required)", what);
}

static int lang_index(const struct flow_def *def, const char *code)
{
    return *code ? flow_def_lang_index(def, code) : -1;
}

/* A text given as a map, one translation per language of the flow. */
static void get_translations(struct loader *ld, const struct ynode *v, const char *what,
                             struct flow_text *t)
{
    const struct flow_def *def = ld->def;
    if (ynode_expect(v, YNODE_MAP, what, ld->errs) < 0) {
        ld->bad++;
        return;
    }
    int given[FLOW_LANGS_MAX] = {0};
    for (size_t i = 0; i < v->n; i++) {
        const struct ypair *pair = &v->pairs[i];
        int l = lang_index(def, pair->key->scalar);
        if (l < 0) {
            problem(ld, pair->key, "%s: '%s' is not a language of this flow", what,
                    pair->key->scalar);
            continue;
        }
        given[l] = 1;
        t->pos[l] = pos_of(pair->value);
        copy_scalar(ld, pair->value, what, &t->s[l]);
    }
    for (size_t l = 0; l < def->n_langs; l++)
        if (!given[l])
            problem(ld, v, "%s: no '%s' text", what, def->langs[l]);
}

/*
 * A text shown to citizens: a plain string when the flow has one language,
 * or a map {en: ..., sw: ...} with one translation per language. missing
 * says why an absent text is needed; NULL makes the text optional.
 */
static void get_ltext(struct loader *ld, const struct ynode *map, const char *key,
                      const char *where, const char *missing, struct flow_text *t)
{
    const struct ynode *v = ynode_get(map, key);
    char what[96];
    snprintf(what, sizeof what, "%s%s", where, key);
    if (!v) {
        if (missing)
            problem(ld, map, "%s: missing (%s)", what, missing);
        return;
    }
    if (v->kind != YNODE_SCALAR) {
        get_translations(ld, v, what, t);
        return;
    }
    if (ld->def->n_langs > 1) {
        problem(ld, v, "%s: one text for %zu languages; give {%s: ..., %s: ...}", what,
                ld->def->n_langs, ld->def->langs[0], ld->def->langs[1]);
        return;
    }
    t->pos[0] = pos_of(v);
    copy_scalar(ld, v, what, &t->s[0]);
}

/*
 * An optional text with an English default (labels, "prefer not to say"):
 * absent, only the 'en' translation is filled; a step that needs the text
 * in another language reports it (need_text).
 */
static void get_ltext_default(struct loader *ld, const struct ynode *map, const char *key,
                              const char *where, const char *english, struct flow_text *t)
{
    if (map && ynode_get(map, key)) {
        get_ltext(ld, map, key, where, "required", t);
        return;
    }
    int en = flow_def_lang_index(ld->def, "en");
    if (en >= 0 && !(t->s[en] = strdup(english)))
        problem(ld, map, "%s%s: out of memory", where, key);
}

/* Reports at `at` each language in which t (a flow-level text named key) is missing. */
static void need_text(struct loader *ld, const struct ynode *at, const char *what,
                      const struct flow_text *t, const char *key)
{
    for (size_t l = 0; l < ld->def->n_langs; l++)
        if (!t->s[l])
            problem(ld, at, "%s: needs %s in '%s' (no default in that language)", what, key,
                    ld->def->langs[l]);
}

static void get_int(struct loader *ld, const struct ynode *map, const char *key, const char *what,
                    long long min, long long max, long long *out)
{
    const struct ynode *v = ynode_get(map, key);
    if (v && ynode_int(v, what, min, max, out, ld->errs) < 0)
        ld->bad++;
}

/*
 * The mapping at key of parent (called where in messages), with its keys checked against allowed;
 * NULL (after reporting why) when it is not a mapping, or when it is absent and missing is set,
 * which then says why the key is needed.
 */
static const struct ynode *get_map(struct loader *ld, const struct ynode *parent, const char *key,
                                   const char *where, const char *const *allowed,
                                   const char *missing)
{
    const struct ynode *m = ynode_get(parent, key);
    if (!m) {
        if (missing)
            problem(ld, parent, "%s: missing (%s)", where, missing);
        return NULL;
    }
    if (ynode_expect(m, YNODE_MAP, where, ld->errs) < 0) {
        ld->bad++;
        return NULL;
    }
    ld->bad += ynode_check_keys(m, allowed, where, ld->errs);
    return m;
}

static void load_channels(struct loader *ld, const struct ynode *root)
{
    static const char *const keys[] = {"ussd", "sms", NULL};
    static const char *const sms_keys[] = {"short_code", "keyword", NULL};
    struct flow_def *def = ld->def;
    const struct ynode *ch = get_map(ld, root, "channels", "channels", keys,
                                     "a flow needs a USSD code or an SMS short code");
    if (!ch)
        return;
    const struct ynode *ussd = ynode_get(ch, "ussd");
    get_text(ld, ch, "ussd", "channels.", 0, &def->ussd_code);
    if (def->ussd_code) {
        /* A USSD service code: *digits(*digits)*# as dialled, e.g. *384*12# */
        const char *c = def->ussd_code;
        size_t n = strlen(c);
        if (n < 3 || n > 20 || c[0] != '*' || c[n - 1] != '#' ||
            strspn(c, "*0123456789") != n - 1 || strstr(c, "**"))
            problem(ld, ussd, "channels.ussd: '%s' is not a USSD code like *384*12#", c);
    }
    const struct ynode *sms = get_map(ld, ch, "sms", "channels.sms", sms_keys, NULL);
    if (sms) {
        get_text(ld, sms, "short_code", "channels.sms.", 1, &def->sms_short_code);
        get_text(ld, sms, "keyword", "channels.sms.", 1, &def->sms_keyword);
        const char *sc = def->sms_short_code;
        if (sc && (strlen(sc) > 15 || strspn(sc, "0123456789") != strlen(sc)))
            problem(ld, ynode_get(sms, "short_code"),
                    "channels.sms.short_code: '%s' is not a number of up to 15 digits", sc);
        char *kw = def->sms_keyword;
        if (kw) {
            size_t n = strlen(kw);
            int ok = n <= KEYWORD_MAX;
            for (size_t i = 0; i < n; i++) {
                ok &= isalnum((unsigned char)kw[i]) != 0;
                kw[i] = (char)toupper((unsigned char)kw[i]);
            }
            if (!ok)
                problem(ld, ynode_get(sms, "keyword"),
                        "channels.sms.keyword: '%s' must be 1 to 20 letters or digits", kw);
        }
    }
    if (!ussd && !ynode_get(ch, "sms"))
        problem(ld, ch, "channels: needs ussd, sms or both");
}

static void load_consent(struct loader *ld, const struct ynode *root)
{
    static const char *const keys[] = {"version", "text", "accept", "decline", "declined", NULL};
    struct flow_consent *c = &ld->def->consent;
    const struct ynode *m = get_map(ld, root, "consent", "consent", keys,
                                    "every flow begins by asking for informed consent");
    if (!m)
        return;
    get_text(ld, m, "version", "consent.", 1, &c->version);
    get_ltext(ld, m, "text", "consent.", "required", &c->text);
    get_ltext(ld, m, "accept", "consent.", "required", &c->accept);
    get_ltext(ld, m, "decline", "consent.", "required", &c->decline);
    get_ltext(ld, m, "declined", "consent.", "required", &c->declined);
    if (c->version && strlen(c->version) >= FLOW_ID_MAX)
        problem(ld, ynode_get(m, "version"), "consent.version: longer than 63 bytes");
}

static void load_choices(struct loader *ld, const struct ynode *m, struct flow_step_def *s,
                         const char *where)
{
    static const char *const keys[] = {"code", "label", NULL};
    const struct ynode *list = ynode_get(m, "choices");
    char what[96];
    snprintf(what, sizeof what, "%schoices", where);
    if (!list) {
        problem(ld, m, "%s: missing (a choice step needs 2 to 9 choices)", what);
        return;
    }
    if (ynode_expect(list, YNODE_SEQ, what, ld->errs) < 0) {
        ld->bad++;
        return;
    }
    size_t most = FLOW_CHOICES_MAX - (s->optional != 0); /* "prefer not to say" takes a digit */
    if (list->n < 2 || list->n > most) {
        problem(ld, list, "%s: need 2 to %zu choices%s", what, most,
                s->optional ? " (one digit is \"prefer not to say\")" : "");
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        const struct ynode *item = list->items[i];
        char w[136];
        snprintf(w, sizeof w, "%s[%zu]", what, i);
        if (ynode_expect(item, YNODE_MAP, w, ld->errs) < 0) {
            ld->bad++;
            continue;
        }
        ld->bad += ynode_check_keys(item, keys, w, ld->errs);
        struct flow_choice *c = &s->choices[s->n_choices++];
        snprintf(w, sizeof w, "%s[%zu].", what, i);
        get_text(ld, item, "code", w, 1, &c->code);
        get_ltext(ld, item, "label", w, "required", &c->label);
        if (c->code && s->optional && strcmp(c->code, FLOW_REFUSED_CODE) == 0)
            problem(ld, ynode_get(item, "code"),
                    "%scode: 'refused' is kept for \"prefer not to say\" on an optional step", w);
        if (c->code && !valid_id(c->code)) {
            problem(ld, ynode_get(item, "code"),
                    "%scode: '%s' must be 1 to 63 of a-z, 0-9, '_' and '-'", w, c->code);
            continue;
        }
        for (size_t j = 0; c->code && j + 1 < s->n_choices; j++)
            if (s->choices[j].code && strcmp(s->choices[j].code, c->code) == 0)
                problem(ld, ynode_get(item, "code"), "%scode: '%s' is used twice in this step", w,
                        c->code);
    }
}

/* A yes_no step is a choice between the flow's yes and no labels. */
static void load_yes_no(struct loader *ld, const struct ynode *type, struct flow_step_def *s,
                        const char *where)
{
    const struct flow_def *def = ld->def;
    char what[64];
    snprintf(what, sizeof what, "%stype", where);
    need_text(ld, type, what, &def->label_yes, "labels.yes");
    need_text(ld, type, what, &def->label_no, "labels.no");
    static const char *const codes[] = {"yes", "no"};
    const struct flow_text *labels[] = {&def->label_yes, &def->label_no};
    for (size_t i = 0; i < 2; i++) {
        struct flow_choice *c = &s->choices[s->n_choices++];
        c->code = strdup(codes[i]);
        int oom = !c->code;
        for (size_t l = 0; l < def->n_langs; l++)
            if (labels[i]->s[l])
                oom |= !(c->label.s[l] = strdup(labels[i]->s[l]));
        if (oom)
            problem(ld, type, "%s: out of memory", what);
    }
}

static void load_range(struct loader *ld, const struct ynode *m, struct flow_step_def *s,
                       const char *where)
{
    char what[64];
    s->min = 0;
    s->max = 999999999;
    snprintf(what, sizeof what, "%smin", where);
    get_int(ld, m, "min", what, -999999999, 999999999, &s->min);
    snprintf(what, sizeof what, "%smax", where);
    get_int(ld, m, "max", what, -999999999, 999999999, &s->max);
    if (s->min > s->max)
        problem(ld, ynode_get(m, "min"), "%smin: greater than %smax", where, where);
}

/* A decimal bound, read with the parser answers go through (flow_value.c). */
static void get_decimal(struct loader *ld, const struct ynode *m, const char *key,
                        const char *where, const struct flow_step_def *s, long long *out)
{
    const struct ynode *v = ynode_get(m, key);
    const char *text;
    char what[64];
    snprintf(what, sizeof what, "%s%s", where, key);
    if (!v)
        return;
    if (ynode_str(v, what, &text, ld->errs) < 0)
        ld->bad++;
    else if (flow_decimal_parse(text, s->decimals, out) < 0)
        problem(ld, v, "%s: '%s' is not a number with at most %d decimals", what, text,
                s->decimals);
}

static void load_decimal(struct loader *ld, const struct ynode *m, struct flow_step_def *s,
                         const char *where)
{
    long long decimals = 1;
    char what[64];
    snprintf(what, sizeof what, "%sdecimals", where);
    get_int(ld, m, "decimals", what, 1, FLOW_DECIMALS_MAX, &decimals);
    s->decimals = (int)decimals;
    s->min = 0;
    s->max = 999999999;
    for (int i = 0; i < s->decimals; i++)
        s->max = s->max * 10 + 9;
    get_decimal(ld, m, "min", where, s, &s->min);
    get_decimal(ld, m, "max", where, s, &s->max);
    if (s->min > s->max)
        problem(ld, ynode_get(m, "min"), "%smin: greater than %smax", where, where);
}

/* Reads the type and what it brings; returns the keys a step of that type may have. */
static const char *const *load_type(struct loader *ld, const struct ynode *m,
                                    struct flow_step_def *s, const char *where)
{
#define STEP_KEYS "id", "type", "text", "error", "optional", "when"
    static const char *const common[] = {STEP_KEYS, NULL};
    static const char *const choice_keys[] = {STEP_KEYS, "choices", NULL};
    static const char *const number_keys[] = {STEP_KEYS, "min", "max", NULL};
    static const char *const decimal_keys[] = {STEP_KEYS, "min", "max", "decimals", NULL};
    static const char *const text_keys[] = {STEP_KEYS, "max_length", NULL};
#undef STEP_KEYS
    const char *const *keys = common;
    char *type = NULL;
    get_text(ld, m, "type", where, 1, &type);
    if (type && strcmp(type, "choice") == 0) {
        s->type = STEP_CHOICE;
        keys = choice_keys;
        load_choices(ld, m, s, where);
    } else if (type && strcmp(type, "yes_no") == 0) {
        s->type = STEP_YES_NO;
        load_yes_no(ld, ynode_get(m, "type"), s, where);
    } else if (type && strcmp(type, "number") == 0) {
        s->type = STEP_NUMBER;
        keys = number_keys;
        load_range(ld, m, s, where);
    } else if (type && strcmp(type, "decimal") == 0) {
        s->type = STEP_DECIMAL;
        keys = decimal_keys;
        load_decimal(ld, m, s, where);
    } else if (type && strcmp(type, "text") == 0) {
        long long max_length = 160;
        char what[64];
        s->type = STEP_TEXT;
        keys = text_keys;
        snprintf(what, sizeof what, "%smax_length", where);
        get_int(ld, m, "max_length", what, 1, 160, &max_length);
        s->max_length = (long)max_length;
    } else if (type) {
        problem(ld, ynode_get(m, "type"),
                "%stype: '%s' is not choice, yes_no, number, decimal or text", where, type);
    }
    free(type);
    return keys;
}

static void load_step(struct loader *ld, const struct ynode *m, size_t index)
{
    struct flow_def *def = ld->def;
    struct flow_step_def *s = &def->steps[def->n_steps++];
    char where[40], what[64];
    snprintf(where, sizeof where, "steps[%zu].", index);
    if (ynode_expect(m, YNODE_MAP, "step", ld->errs) < 0) {
        ld->bad++;
        return;
    }
    get_text(ld, m, "id", where, 1, &s->id);
    if (s->id && (!valid_id(s->id) || strcmp(s->id, FLOW_CONSENT_STEP) == 0 ||
                  strcmp(s->id, FLOW_LANGUAGE_STEP) == 0))
        problem(ld, ynode_get(m, "id"),
                "%sid: '%s' must be 1 to 63 of a-z, 0-9, '_' and '-', not consent or language",
                where, s->id);
    for (size_t j = 0; s->id && j + 1 < def->n_steps; j++)
        if (def->steps[j].id && strcmp(def->steps[j].id, s->id) == 0)
            problem(ld, ynode_get(m, "id"), "%sid: '%s' is used by an earlier step", where, s->id);

    get_ltext(ld, m, "text", where, "required", &s->text);
    get_ltext(ld, m, "error", where, NULL, &s->error);
    const struct ynode *optional = ynode_get(m, "optional");
    snprintf(what, sizeof what, "%soptional", where);
    if (optional && ynode_bool(optional, what, &s->optional, ld->errs) < 0)
        ld->bad++;
    if (s->optional)
        need_text(ld, optional, what, &def->prefer_not, "prefer_not_to_say");
    ld->bad += ynode_check_keys(m, load_type(ld, m, s, where), "step", ld->errs);
}

/* Copies the run of [a-z0-9_-] at *p into out (size FLOW_ID_MAX) and skips spaces after it. */
static int cond_word(const char **p, char *out)
{
    size_t n = strspn(*p, "abcdefghijklmnopqrstuvwxyz0123456789_-");
    if (n == 0 || n >= FLOW_ID_MAX)
        return -1;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p += n + strspn(*p + n, " ");
    return 0;
}

/* Splits "<id> == <code>" / "<id> != <code>" (spaces optional); -1 if part is not that. */
static int split_cond(const char *part, char *id, int *negate, char *code)
{
    const char *p = part + strspn(part, " ");
    if (cond_word(&p, id) < 0 || (p[0] != '=' && p[0] != '!') || p[1] != '=')
        return -1;
    *negate = p[0] == '!';
    p += 2 + strspn(p + 2, " ");
    return cond_word(&p, code) < 0 || *p ? -1 : 0;
}

/* The loaded step with this id, or NULL; steps with a bad id are passed over. */
static const struct flow_step_def *find_step(const struct flow_def *def, const char *id)
{
    for (size_t i = 0; i < def->n_steps; i++)
        if (def->steps[i].id && strcmp(def->steps[i].id, id) == 0)
            return &def->steps[i];
    return NULL;
}

/*
 * One comparison of step index's `when` (node at): the step it names must
 * come earlier and be a choice or yes_no step, and the code one of its
 * codes ("refused" if that step is optional).
 */
static void parse_cond(struct loader *ld, const struct ynode *at, const char *where, size_t index,
                       const char *part, struct flow_cond *c)
{
    char id[FLOW_ID_MAX], code[FLOW_ID_MAX];
    if (split_cond(part, id, &c->negate, code) < 0) {
        problem(ld, at, "%swhen: '%s' is not '<step> == <code>' or '<step> != <code>'", where,
                part);
        return;
    }
    const struct flow_step_def *target = find_step(ld->def, id);
    if (!target) {
        problem(ld, at, "%swhen: there is no step '%s'", where, id);
        return;
    }
    c->step = flow_def_step_index(ld->def, target);
    if (c->step >= index) {
        problem(ld, at, "%swhen: step '%s' does not come before this step", where, id);
        return;
    }
    if (target->type != STEP_CHOICE && target->type != STEP_YES_NO) {
        problem(ld, at, "%swhen: step '%s' is not a choice or yes_no step", where, id);
        return;
    }
    for (size_t i = 0; i < target->n_choices; i++)
        if (target->choices[i].code && strcmp(target->choices[i].code, code) == 0)
            c->mark = (char)('1' + i);
    if (target->optional && strcmp(code, FLOW_REFUSED_CODE) == 0)
        c->mark = FLOW_MARK_REFUSED;
    if (!c->mark)
        problem(ld, at, "%swhen: step '%s' has no code '%s'", where, id, code);
}

/* The step's `when`: comparisons joined by " and ", all of which must hold. */
static void load_when(struct loader *ld, const struct ynode *m, size_t index)
{
    const struct ynode *w = m->kind == YNODE_MAP ? ynode_get(m, "when") : NULL;
    struct flow_step_def *s = &ld->def->steps[index];
    char where[40], what[64], buf[512];
    const char *text;
    snprintf(where, sizeof where, "steps[%zu].", index);
    snprintf(what, sizeof what, "%swhen", where);
    if (!w)
        return;
    if (ynode_str(w, what, &text, ld->errs) < 0) {
        ld->bad++;
        return;
    }
    if (strlen(text) >= sizeof buf) {
        problem(ld, w, "%s: longer than %zu bytes", what, sizeof buf - 1);
        return;
    }
    snprintf(buf, sizeof buf, "%s", text);
    for (char *part = buf, *next; part; part = next) {
        next = strstr(part, " and ");
        if (next) {
            *next = '\0';
            next += 5;
        }
        if (s->n_conds == FLOW_CONDS_MAX) {
            problem(ld, w, "%s: more than %d comparisons", what, FLOW_CONDS_MAX);
            return;
        }
        parse_cond(ld, w, where, index, part, &s->conds[s->n_conds++]);
    }
}

static void load_steps(struct loader *ld, const struct ynode *root)
{
    const struct ynode *list = ynode_get(root, "steps");
    if (!list) {
        problem(ld, root, "steps: missing (a flow asks at least one question)");
        return;
    }
    if (ynode_expect(list, YNODE_SEQ, "steps", ld->errs) < 0) {
        ld->bad++;
        return;
    }
    if (list->n == 0 || list->n > FLOW_STEPS_MAX) {
        problem(ld, list, "steps: need 1 to 64 steps");
        return;
    }
    for (size_t i = 0; i < list->n; i++)
        load_step(ld, list->items[i], i);
    /* After every step is loaded, so that a reference to a later step
     * can be told from a reference to no step at all. */
    for (size_t i = 0; i < list->n; i++)
        load_when(ld, list->items[i], i);
}

static void load_messages(struct loader *ld, const struct ynode *root)
{
    static const char *const keys[] = {"invalid", "abandoned", "stopped", NULL};
    struct flow_def *def = ld->def;
    const struct ynode *m =
        get_map(ld, root, "messages", "messages", keys, "invalid, abandoned and stopped texts");
    if (!m)
        return;
    get_ltext(ld, m, "invalid", "messages.", "required", &def->msg_invalid);
    get_ltext(ld, m, "abandoned", "messages.", "required", &def->msg_abandoned);
    get_ltext(ld, m, "stopped", "messages.", "required", &def->msg_stopped);
}

/*
 * Measures one screen on every channel the flow uses. name says which
 * screen; in a flow with several languages, the language is added.
 */
static void check_screen(struct loader *ld, const char *screen, struct flow_pos at, size_t lang,
                         const char *name)
{
    const struct flow_def *def = ld->def;
    char label[128];
    if (def->n_langs > 1)
        snprintf(label, sizeof label, "%s (%s)", name, def->langs[lang]);
    else
        snprintf(label, sizeof label, "%s", name);
    for (int ch = FLOW_CHANNEL_USSD; ch <= FLOW_CHANNEL_SMS; ch++) {
        if ((ch == FLOW_CHANNEL_USSD && !def->ussd_code) ||
            (ch == FLOW_CHANNEL_SMS && !def->sms_short_code))
            continue;
        long used, limit;
        const char *enc;
        if (flow_screen_fits(screen, (enum flow_channel)ch, &used, &limit, &enc))
            continue;
        raia_errlist_add(ld->errs, ld->file, at.line, at.col,
                         "%s: the %s screen is %ld characters in %s, more than %ld", label,
                         ch == FLOW_CHANNEL_USSD ? "USSD" : "SMS", used, enc, limit);
        ld->bad++;
    }
}

/* A step's screens in one language: the question, its re-prompt and its help. */
static void check_step_screens(struct loader *ld, const struct flow_step_def *s, size_t l)
{
    const struct flow_def *def = ld->def;
    char screen[FLOW_SCREEN_MAX], name[96];
    snprintf(name, sizeof name, "step '%s'", s->id);
    flow_screen_step(def, s, l, screen, sizeof screen);
    check_screen(ld, screen, s->text.pos[l], l, name);
    snprintf(name, sizeof name, "step '%s' after an invalid answer", s->id);
    flow_screen_reprompt(def, s, l, screen, sizeof screen);
    check_screen(ld, screen, s->text.pos[l], l, name);
    if (def->help.s[0]) {
        snprintf(name, sizeof name, "step '%s' after HELP", s->id);
        flow_screen_help(def, s, l, screen, sizeof screen);
        check_screen(ld, screen, def->help.pos[l], l, name);
    }
}

/* Every screen the engine can show, in every language, built as the engine builds it. */
static void check_screens(struct loader *ld)
{
    struct flow_def *def = ld->def;
    char screen[FLOW_SCREEN_MAX];
    if (def->n_langs > 1) {
        flow_screen_language(def, screen, sizeof screen);
        check_screen(ld, screen, def->language_names.pos[0], 0, "language menu");
    }
    for (size_t l = 0; l < def->n_langs; l++) {
        const struct flow_consent *c = &def->consent;
        flow_screen_consent(def, l, screen, sizeof screen);
        check_screen(ld, screen, c->text.pos[l], l, "consent");
        flow_screen_consent_reprompt(def, l, screen, sizeof screen);
        check_screen(ld, screen, c->text.pos[l], l, "consent after an invalid answer");
        if (def->help.s[0]) {
            flow_screen_help(def, NULL, l, screen, sizeof screen);
            check_screen(ld, screen, def->help.pos[l], l, "consent after HELP");
        }
        check_screen(ld, c->declined.s[l], c->declined.pos[l], l, "consent.declined");
        for (size_t i = 0; i < def->n_steps; i++)
            check_step_screens(ld, &def->steps[i], l);
        check_screen(ld, def->msg_abandoned.s[l], def->msg_abandoned.pos[l], l,
                     "messages.abandoned");
        check_screen(ld, def->msg_stopped.s[l], def->msg_stopped.pos[l], l, "messages.stopped");
        check_screen(ld, def->end_text.s[l], def->end_text.pos[l], l, "end");
    }
}

/*
 * `language: en` (one language) or `languages: [en, sw, fr]`; the first
 * is the default. Read before any text, since texts are checked against it.
 */
static void load_languages(struct loader *ld, const struct ynode *root)
{
    struct flow_def *def = ld->def;
    const struct ynode *one = ynode_get(root, "language"), *list = ynode_get(root, "languages");
    if (one && list) {
        problem(ld, list, "languages: give language or languages, not both");
        return;
    }
    if (!one && !list) {
        problem(ld, root, "language: missing (e.g. language: en, or languages: [en, sw])");
        return;
    }
    const struct ynode *const *items = &one;
    size_t n = 1;
    if (list) {
        if (ynode_expect(list, YNODE_SEQ, "languages", ld->errs) < 0) {
            ld->bad++;
            return;
        }
        if (list->n == 0 || list->n > FLOW_LANGS_MAX) {
            problem(ld, list, "languages: need 1 to %d languages", FLOW_LANGS_MAX);
            return;
        }
        items = (const struct ynode *const *)list->items;
        n = list->n;
    }
    for (size_t i = 0; i < n; i++) {
        const char *lang;
        copy_scalar(ld, items[i], list ? "languages" : "language", &def->langs[i]);
        if (!(lang = def->langs[i]))
            return; /* already reported */
        if (strlen(lang) < 2 || strlen(lang) > 3 ||
            strspn(lang, "abcdefghijklmnopqrstuvwxyz") != strlen(lang)) {
            problem(ld, items[i], "language: '%s' is not an ISO 639 code such as en, sw or fr",
                    lang);
            return;
        }
        def->n_langs = i; /* the codes so far, to find a repeat */
        if (flow_def_lang_index(def, lang) >= 0) {
            problem(ld, items[i], "languages: '%s' is listed twice", lang);
            def->n_langs = 0;
            return;
        }
    }
    def->n_langs = n; /* only once all are good: texts are not checked against bad codes */
}

/* Flow-level texts that steps and the engine share: names, labels, help. */
static void load_shared_texts(struct loader *ld, const struct ynode *root)
{
    static const char *const label_keys[] = {"yes", "no", NULL};
    struct flow_def *def = ld->def;
    get_ltext(ld, root, "language_names", "",
              def->n_langs > 1 ? "a flow with several languages opens with a language menu" : NULL,
              &def->language_names);
    const struct ynode *labels = get_map(ld, root, "labels", "labels", label_keys, NULL);
    get_ltext_default(ld, labels, "yes", "labels.", "Yes", &def->label_yes);
    get_ltext_default(ld, labels, "no", "labels.", "No", &def->label_no);
    get_ltext_default(ld, root, "prefer_not_to_say", "", "Prefer not to say", &def->prefer_not);
    get_ltext(ld, root, "help", "", NULL, &def->help);
}

static void load_root(struct loader *ld, const struct ynode *root)
{
    static const char *const keys[] = {
        "id",       "version",     "title",   "language", "languages", "language_names",
        "channels", "max_retries", "consent", "labels",   "help",      "prefer_not_to_say",
        "steps",    "messages",    "end",     NULL};
    struct flow_def *def = ld->def;
    if (ynode_expect(root, YNODE_MAP, "flow", ld->errs) < 0) {
        ld->bad++;
        return;
    }
    ld->bad += ynode_check_keys(root, keys, "flow", ld->errs);
    get_text(ld, root, "id", "", 1, &def->id);
    if (def->id && !valid_id(def->id))
        problem(ld, ynode_get(root, "id"), "id: '%s' must be 1 to 63 of a-z, 0-9, '_' and '-'",
                def->id);
    long long version = 0, retries = 2;
    if (!ynode_get(root, "version"))
        problem(ld, root, "version: missing (required)");
    get_int(ld, root, "version", "version", 1, 1000000, &version);
    def->version = (int)version;
    get_text(ld, root, "title", "", 1, &def->title);
    load_languages(ld, root);
    get_int(ld, root, "max_retries", "max_retries", 0, 5, &retries);
    def->max_retries = (int)retries;
    load_channels(ld, root);
    if (!def->n_langs)
        return; /* every text below would be measured against no language */
    load_shared_texts(ld, root);
    load_consent(ld, root);
    load_steps(ld, root);
    load_messages(ld, root);
    get_ltext(ld, root, "end", "", "required", &def->end_text);
    if (!ld->bad)
        check_screens(ld);
}

static void checksum(const char *buf, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    static const char hex[] = "0123456789abcdef";
    EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < n && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
}

struct flow_def *flow_def_load_buf(const char *name, const char *buf, size_t len,
                                   struct raia_errlist *errs)
{
    size_t before = errs->n;
    struct ydoc *doc = ydoc_load_buf(name, buf, len, errs);
    if (!doc)
        return NULL;
    struct flow_def *def = calloc(1, sizeof *def);
    struct loader ld = {def, errs, doc->file, 0};
    if (!def) {
        raia_errlist_add(errs, name, 0, 0, "out of memory");
        ydoc_free(doc);
        return NULL;
    }
    def->refs = 1;
    def->file = strdup(name);
    if (!doc->root)
        problem(&ld, NULL, "empty file: a flow needs id, version, consent and steps");
    else
        load_root(&ld, doc->root);
    ydoc_free(doc);
    if (ld.bad || errs->n > before || !def->file) {
        flow_def_unref(def);
        return NULL;
    }
    checksum(buf, len, def->checksum);
    def->source = strndup(buf, len);
    if (!def->source) {
        raia_errlist_add(errs, name, 0, 0, "out of memory");
        flow_def_unref(def);
        return NULL;
    }
    return def;
}

struct flow_def *flow_def_load(const char *path, struct raia_errlist *errs)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        raia_errlist_add(errs, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *buf = malloc(FLOW_FILE_MAX + 1);
    size_t len = buf ? fread(buf, 1, FLOW_FILE_MAX + 1, f) : 0;
    int err = ferror(f);
    fclose(f);
    struct flow_def *def = NULL;
    if (!buf)
        raia_errlist_add(errs, path, 0, 0, "out of memory");
    else if (err)
        raia_errlist_add(errs, path, 0, 0, "read error");
    else if (len > FLOW_FILE_MAX)
        raia_errlist_add(errs, path, 0, 0, "larger than 1 MiB: not a flow file");
    else
        def = flow_def_load_buf(path, buf, len, errs);
    free(buf);
    return def;
}
