/*
 * flow_load.c - reads a flow file (docs/flows.md) into a struct flow_def
 * and checks it. Every problem is reported, each as `file:line:col:
 * message`, so an operator fixes a file in one pass; a flow with any
 * problem is never returned. The screens are measured here with the same
 * builders the engine uses (pages of long lists included), so a flow that
 * loads can always be shown. Also checked here: where each `next` leads
 * (no missing target, no unreachable step, no loop without an exit), what
 * end screens quote, derived variables, and the areas file of a location
 * step (flow_areas.c), and each module a flow includes (`- include:` in
 * its steps: the module is loaded as a flow of its own, then its steps and
 * derived variables are read into the flow with their ids prefixed).
 * Problems that do not stop a flow (one character
 * forcing a screen into UCS-2, a quote of an answer that may be missing)
 * are warnings, reported the same way to the caller's second list.
 * Called by flow_set.c, the `raia` CLI and the tests.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "charset.h"
#include "flow_def.h"
#include "str_copy.h"
#include "yaml_tree.h"

#define FLOW_FILE_MAX (1024 * 1024)       /* a flow is a few kilobytes; refuse anything huge */
#define AREAS_FILE_MAX (16 * 1024 * 1024) /* an areas file: up to FLOW_AREAS_MAX rows */
#define KEYWORD_MAX 20
#define WARNED_MAX 64          /* distinct UCS-2 warnings remembered, so each is given once */
#define LANG_NONE ((size_t)-1) /* a screen in no one language: the language menu */

struct warned {
    struct flow_pos pos;
    unsigned long cp;
};

/* One `- include: FILE` item of a flow's steps (docs/flows.md, "Modules: include"). */
struct include {
    const struct ynode *item; /* the item in the flow's steps */
    size_t index;             /* its place in the flow's steps list */
    struct ydoc *doc;         /* the module, kept until the flow is loaded */
    const char *file;         /* the module's name in messages (one of def->modules) */
    char prefix[FLOW_ID_MAX]; /* put before the module's step and derived ids */
    size_t first, n;          /* its steps: def->steps[first .. first + n) */
};

/* Where a step of def->steps was read: its node, its index in its list and its module. */
struct step_src {
    const struct ynode *node;
    size_t index;
    const struct include *inc; /* NULL: a step of the flow itself */
};

struct loader {
    struct flow_def *def;
    struct raia_errlist *errs;
    struct raia_errlist *warns; /* NULL: warnings are not wanted */
    const char *file;
    int bad;
    struct strbuf source; /* the definition: the flow file, then each areas file */
    const char *embedded; /* flow_def_load_source: the areas files that followed the flow */
    size_t embedded_len;
    const char *included; /* flow_def_load_source: the modules, after the areas files */
    size_t included_len;
    int is_module;         /* loading a module for an include: it cannot include */
    struct strbuf modules; /* "#--- include:" parts, appended after the areas files */
    struct include incs[FLOW_INCLUDES_MAX];
    size_t n_incs;
    const struct include *inc; /* the module being read, NULL: the flow itself */
    const char *mod_lang;      /* its only language, when it has one (plain texts) */
    struct step_src srcs[FLOW_STEPS_MAX];
    struct warned warned[WARNED_MAX];
    size_t n_warned;
};

/* Adds one message at `at` to list (errors or warnings). */
__attribute__((format(printf, 4, 0))) static void report(struct loader *ld,
                                                         struct raia_errlist *list,
                                                         struct flow_pos at, const char *fmt,
                                                         va_list ap)
{
    char msg[RAIA_ERR_MSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    raia_errlist_add(list, at.file ? at.file : ld->file, at.line, at.col, "%s", msg);
}

/* A problem at a text's position (kept in the flow once its node is gone). */
__attribute__((format(printf, 3, 4))) static void problem_pos(struct loader *ld, struct flow_pos at,
                                                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(ld, ld->errs, at, fmt, ap);
    va_end(ap);
    ld->bad++;
}

__attribute__((format(printf, 3, 4))) static void problem(struct loader *ld, const struct ynode *at,
                                                          const char *fmt, ...)
{
    struct flow_pos pos = {at ? at->line : 0, at ? at->col : 0, NULL};
    va_list ap;
    va_start(ap, fmt);
    report(ld, ld->errs, pos, fmt, ap);
    va_end(ap);
    ld->bad++;
}

__attribute__((format(printf, 3, 4))) static void warning(struct loader *ld, struct flow_pos at,
                                                          const char *fmt, ...)
{
    va_list ap;
    if (!ld->warns)
        return;
    va_start(ap, fmt);
    report(ld, ld->warns, at, fmt, ap);
    va_end(ap);
}

/*
 * Item i of list (called what[i] in messages) if it is a mapping, with its
 * keys checked against allowed; NULL (reported) if it is not a mapping.
 */
static const struct ynode *map_item(struct loader *ld, const struct ynode *list, size_t i,
                                    const char *what, const char *const *allowed)
{
    const struct ynode *item = list->items[i];
    char w[160];
    snprintf(w, sizeof w, "%s[%zu]", what, i);
    if (ynode_expect(item, YNODE_MAP, w, ld->errs) < 0) {
        ld->bad++;
        return NULL;
    }
    ld->bad += ynode_check_keys(item, allowed, w, ld->errs);
    return item;
}

/* Where node n is, in the flow or in the module being read. */
static struct flow_pos pos_of(const struct loader *ld, const struct ynode *n)
{
    struct flow_pos p = {n ? n->line : 0, n ? n->col : 0, ld->inc ? ld->inc->file : NULL};
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
        if (l < 0 && ld->inc)
            continue; /* a module's other languages: the including flow decides */
        if (l < 0) {
            problem(ld, pair->key, "%s: '%s' is not a language of this flow", what,
                    pair->key->scalar);
            continue;
        }
        given[l] = 1;
        t->pos[l] = pos_of(ld, pair->value);
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
    if (ld->inc && strcmp(ld->mod_lang, ld->def->langs[0]) != 0) {
        problem(ld, v, "%s: no '%s' text (the module's plain texts are in '%s')", what,
                ld->def->langs[0], ld->mod_lang);
        return;
    }
    t->pos[0] = pos_of(ld, v);
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
    static const char *const keys[] = {"code", "label", "next", NULL};
    const struct ynode *list = ynode_get(m, "choices");
    char what[96];
    snprintf(what, sizeof what, "%schoices", where);
    if (!list) {
        problem(ld, m, "%s: missing (a choice step needs 2 to %d choices)", what, FLOW_CHOICES_MAX);
        return;
    }
    if (ynode_expect(list, YNODE_SEQ, what, ld->errs) < 0) {
        ld->bad++;
        return;
    }
    if (list->n < 2 || list->n > FLOW_CHOICES_MAX) {
        problem(ld, list, "%s: need 2 to %d choices", what, FLOW_CHOICES_MAX);
        return;
    }
    if (!(s->choices = calloc(list->n, sizeof *s->choices))) {
        problem(ld, list, "%s: out of memory", what);
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        const struct ynode *item = map_item(ld, list, i, what, keys);
        char w[136];
        if (!item)
            continue;
        struct flow_choice *c = &s->choices[s->n_choices++];
        c->next = FLOW_NEXT_NONE;
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
    if (!(s->choices = calloc(2, sizeof *s->choices))) {
        problem(ld, type, "%s: out of memory", what);
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        struct flow_choice *c = &s->choices[s->n_choices++];
        c->next = FLOW_NEXT_NONE;
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

/*
 * multi_choice: the fewest and most choices (default 1 and all), and room
 * for every choice at once in the answer's code and value.
 */
static void load_multi(struct loader *ld, const struct ynode *m, struct flow_step_def *s,
                       const char *where)
{
    const struct flow_def *def = ld->def;
    char what[64];
    s->min = 1;
    s->max = (long long)s->n_choices;
    snprintf(what, sizeof what, "%smin_selected", where);
    get_int(ld, m, "min_selected", what, 1, FLOW_CHOICES_MAX, &s->min);
    snprintf(what, sizeof what, "%smax_selected", where);
    get_int(ld, m, "max_selected", what, 1, FLOW_CHOICES_MAX, &s->max);
    if (s->n_choices && s->max > (long long)s->n_choices)
        problem(ld, ynode_get(m, "max_selected"), "%smax_selected: more than the %zu choices",
                where, s->n_choices);
    if (s->min > s->max)
        problem(ld, ynode_get(m, "min_selected"), "%smin_selected: greater than %smax_selected",
                where, where);
    size_t codes = 0, labels[FLOW_LANGS_MAX] = {0};
    for (size_t i = 0; i < s->n_choices; i++) {
        codes += (s->choices[i].code ? strlen(s->choices[i].code) : 0) + 1;
        for (size_t l = 0; l < def->n_langs; l++)
            labels[l] += (s->choices[i].label.s[l] ? strlen(s->choices[i].label.s[l]) : 0) + 2;
    }
    if (codes > FLOW_CODE_MAX)
        problem(ld, ynode_get(m, "choices"),
                "%schoices: all codes together take %zu bytes; the answer holds %d", where, codes,
                FLOW_CODE_MAX - 1);
    for (size_t l = 0; l < def->n_langs; l++)
        if (labels[l] > FLOW_VALUE_MAX)
            problem(ld, ynode_get(m, "choices"),
                    "%schoices: all '%s' labels together take %zu bytes; the answer holds %d",
                    where, def->langs[l], labels[l], FLOW_VALUE_MAX - 1);
    if (def->ussd_code)
        need_text(ld, ynode_get(m, "type"), "multi_choice on USSD", &def->label_done,
                  "labels.done");
}

/* A date bound as written in the file: YYYY-MM-DD. */
static void get_date(struct loader *ld, const struct ynode *m, const char *key, const char *where,
                     long long *out)
{
    const struct ynode *v = ynode_get(m, key);
    const char *text;
    if (!v) {
        problem(ld, m, "%s%s: missing (a date step needs min and max: the engine has no clock)",
                where, key);
        return;
    }
    if (ynode_str(v, key, &text, ld->errs) < 0)
        ld->bad++;
    else if (flow_date_parse_iso(text, out) < 0)
        problem(ld, v, "%s%s: '%s' is not a date written YYYY-MM-DD", where, key, text);
}

/* date, year and age: explicit bounds (the engine has no clock); age defaults to 0..120. */
static void load_calendar(struct loader *ld, const struct ynode *m, struct flow_step_def *s,
                          const char *where)
{
    char what[64];
    if (s->type == STEP_DATE) {
        get_date(ld, m, "min", where, &s->min);
        get_date(ld, m, "max", where, &s->max);
    } else {
        int year = s->type == STEP_YEAR;
        s->min = 0;
        s->max = 120;
        for (int i = 0; i < 2; i++) {
            const char *key = i ? "max" : "min";
            snprintf(what, sizeof what, "%s%s", where, key);
            if (year && !ynode_get(m, key))
                problem(ld, m,
                        "%s: missing (a year step needs min and max: the engine has no "
                        "clock)",
                        what);
            get_int(ld, m, key, what, year ? 1000 : 0, year ? 9999 : 150, i ? &s->max : &s->min);
        }
    }
    if (s->min > s->max)
        problem(ld, ynode_get(m, "min"), "%smin: greater than %smax", where, where);
}

/* A relative name of a file beside the flow: no '/' first, no "..", ends in ext. */
static int valid_file_name(const char *s, const char *ext)
{
    size_t n = strlen(s), e = strlen(ext);
    return n > e && s[0] != '/' && !strstr(s, "..") && strcmp(s + n - e, ext) == 0 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/") == n;
}

enum read_result { READ_OK, READ_OPEN, READ_NOMEM, READ_ERROR, READ_BIG };

/* Reads up to max bytes of path into *buf (malloc'd, the caller frees it; also on failure). */
static enum read_result read_all(const char *path, size_t max, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *buf = NULL;
    *len = 0;
    if (!f)
        return READ_OPEN;
    *buf = malloc(max + 1);
    *len = *buf ? fread(*buf, 1, max + 1, f) : 0;
    int err = ferror(f);
    fclose(f);
    return !*buf ? READ_NOMEM : err ? READ_ERROR : *len > max ? READ_BIG : READ_OK;
}

/*
 * Reads path (named at `at`, called what in messages) into *buf, which the
 * caller frees; 0, or -1 after reporting why not (too_big: over max bytes).
 */
static int read_named(struct loader *ld, const struct ynode *at, const char *what, const char *path,
                      size_t max, const char *too_big, char **buf, size_t *len)
{
    enum read_result r = read_all(path, max, buf, len);
    if (r == READ_OPEN)
        problem(ld, at, "%s: cannot open %s: %s", what, path, strerror(errno));
    else if (r != READ_OK)
        problem(ld, at, "%s: %s: %s", what, path,
                r == READ_NOMEM   ? "out of memory"
                : r == READ_ERROR ? "read error"
                                  : too_big);
    return r == READ_OK ? 0 : -1;
}

/* path: the directory of the file being read (ld->file), then name. */
static void beside(const struct loader *ld, const char *name, char *path, size_t size)
{
    const char *slash = strrchr(ld->file, '/');
    int dir = slash ? (int)(slash - ld->file + 1) : 0;
    snprintf(path, size, "%.*s%s", dir, ld->file, name);
}

/* The first occurrence of the n bytes of needle in [p, end), or NULL (memmem is not C11). */
static const char *find_bytes(const char *p, const char *end, const char *needle, size_t n)
{
    for (; p < end && (size_t)(end - p) >= n; p++)
        if (*p == *needle && memcmp(p, needle, n) == 0)
            return p;
    return NULL;
}

/* The first line in [p, end) that starts with mark (p[-1] is readable), or NULL. */
static const char *mark_line(const char *p, const char *end, const char *mark)
{
    size_t m = strlen(mark);
    while ((p = find_bytes(p, end, mark, m)) && p[-1] != '\n')
        p++;
    return p;
}

/*
 * The line (from 1) of the first line of buf that begins like a mark
 * between the parts of a stored definition, 0 if none. A flow file, module
 * or areas file holding one (say inside a quoted multi-line text) would be
 * split there when the definition is read back from the flows registry.
 */
static long reserved_mark_line(const char *buf, size_t len)
{
    static const char *const marks[] = {FLOW_AREAS_MARK, FLOW_INCLUDE_MARK};
    const char *end = buf + len, *first = end;
    if (len == 0)
        return 0;
    for (size_t k = 0; k < 2; k++) {
        size_t m = strlen(marks[k]);
        const char *at =
            len >= m && memcmp(buf, marks[k], m) == 0 ? buf : mark_line(buf + 1, end, marks[k]);
        if (at && at < first)
            first = at;
    }
    if (first == end)
        return 0;
    long line = 1;
    for (const char *p = buf; p < first; p++)
        line += *p == '\n';
    return line;
}

static void report_reserved_mark(struct raia_errlist *errs, const char *file, long line)
{
    raia_errlist_add(errs, file, (int)line, 1,
                     "a line may not begin with \"%.*s\" or \"%.*s\": raia keeps a flow's "
                     "files together in the flows registry with such lines",
                     (int)strlen(FLOW_AREAS_MARK) - 1, FLOW_AREAS_MARK,
                     (int)strlen(FLOW_INCLUDE_MARK) - 1, FLOW_INCLUDE_MARK);
}

/*
 * The bytes of file name in part of a definition from the flows registry
 * (p, size bytes, beginning with a newline): what follows the line "MARK
 * NAME" up to the newline before the next line starting with mark. NULL
 * if the part has no such file.
 */
static const char *embedded_file(const char *p, size_t size, const char *mark, const char *name,
                                 size_t *len)
{
    const char *end = p + size, *at = size ? p + 1 : end;
    size_t m = strlen(mark), n = strlen(name);
    while ((at = mark_line(at, end, mark))) {
        const char *body = at + m + n;
        if (body < end && memcmp(at + m, name, n) == 0 && *body == '\n') {
            const char *next = mark_line(++body, end, mark);
            *len = (size_t)((next ? next - 1 : end) - body);
            return body;
        }
        at += m;
    }
    return NULL;
}

/* Parses one areas file's bytes for step s and adds them to the definition. */
static void add_areas(struct loader *ld, const char *path, struct flow_step_def *s, const char *buf,
                      size_t len)
{
    /* Part of the definition: a changed list is a changed flow (flow_def_checksum).
     * A module's areas files are in its part already (load_include). */
    long reserved = ld->embedded ? 0 : reserved_mark_line(buf, len);
    if (reserved) {
        report_reserved_mark(ld->errs, path, reserved);
        ld->bad++;
        return;
    }
    if (!ld->inc) {
        strbuf_printf(&ld->source, "\n%s%s\n", FLOW_AREAS_MARK, s->areas_file);
        strbuf_append(&ld->source, buf, len);
    }
    ld->bad += flow_areas__parse(path, buf, len, ld->def, s, ld->errs);
}

/*
 * Reads the areas file named in the flow (relative to the flow file), or,
 * for a definition from the flows registry, takes it from the definition.
 */
static void load_areas_file(struct loader *ld, const struct ynode *at, struct flow_step_def *s,
                            const char *where)
{
    if (ld->embedded) {
        size_t len = 0;
        const char *buf =
            embedded_file(ld->embedded, ld->embedded_len, FLOW_AREAS_MARK, s->areas_file, &len);
        if (buf)
            add_areas(ld, s->areas_file, s, buf, len);
        else
            problem(ld, at, "%sareas: %s is not in the definition", where, s->areas_file);
        return;
    }
    char path[4096], what[64], *buf;
    size_t len;
    beside(ld, s->areas_file, path, sizeof path);
    snprintf(what, sizeof what, "%sareas", where);
    if (read_named(ld, at, what, path, AREAS_FILE_MAX, "larger than 16 MiB", &buf, &len) == 0)
        add_areas(ld, path, s, buf, len);
    free(buf);
}

/*
 * location: `levels`, a list of {id, text} from the coarsest level down,
 * and `areas`, the CSV file of the areas. The step's text is the first
 * level's question (what describes the step to exports).
 */
static void load_location(struct loader *ld, const struct ynode *m, struct flow_step_def *s,
                          const char *where)
{
    static const char *const keys[] = {"id", "text", NULL};
    const struct flow_def *def = ld->def;
    const struct ynode *list = ynode_get(m, "levels");
    int before = ld->bad;
    char what[96];
    snprintf(what, sizeof what, "%slevels", where);
    if (!list) {
        problem(ld, m, "%s: missing (e.g. [{id: region, text: ...}, {id: district, text: ...}])",
                what);
    } else if (ynode_expect(list, YNODE_SEQ, what, ld->errs) < 0) {
        ld->bad++;
    } else if (list->n == 0 || list->n > FLOW_LEVELS_MAX) {
        problem(ld, list, "%s: need 1 to %d levels", what, FLOW_LEVELS_MAX);
    } else {
        for (size_t i = 0; i < list->n; i++) {
            const struct ynode *item = map_item(ld, list, i, what, keys);
            char w[128];
            if (!item)
                continue;
            snprintf(w, sizeof w, "%s[%zu].", what, i);
            get_text(ld, item, "id", w, 1, &s->levels[i]);
            get_ltext(ld, item, "text", w, "required", &s->level_text[i]);
            if (s->levels[i] && !valid_id(s->levels[i]))
                problem(ld, ynode_get(item, "id"),
                        "%sid: '%s' must be 1 to 63 of a-z, 0-9, '_' and '-'", w, s->levels[i]);
            for (size_t j = 0; s->levels[i] && j < i; j++)
                if (s->levels[j] && strcmp(s->levels[j], s->levels[i]) == 0)
                    problem(ld, ynode_get(item, "id"), "%sid: '%s' is listed twice", w,
                            s->levels[i]);
            s->n_levels = i + 1;
        }
        for (size_t l = 0; l < def->n_langs; l++)
            if (s->level_text[0].s[l] && !(s->text.s[l] = strdup(s->level_text[0].s[l])))
                problem(ld, list, "%s: out of memory", what);
        s->text.pos[0] = s->level_text[0].pos[0];
        for (size_t l = 0; l < def->n_langs; l++)
            s->text.pos[l] = s->level_text[0].pos[l];
    }
    get_text(ld, m, "areas", where, 1, &s->areas_file);
    const struct ynode *at = ynode_get(m, "areas");
    if (!s->areas_file || ld->bad > before)
        return; /* levels must be good to read the areas against them */
    if (!valid_file_name(s->areas_file, ".csv")) {
        problem(ld, at,
                "%sareas: '%s' must be a .csv file beside the flow (a relative name without '..')",
                where, s->areas_file);
        return;
    }
    if (s->n_levels > 1)
        need_text(ld, ynode_get(m, "type"), "location with several levels", &def->label_back,
                  "labels.back");
    load_areas_file(ld, at, s, where);
}

/* Reads the type and what it brings; returns the keys a step of that type may have. */
static const char *const *load_type(struct loader *ld, const struct ynode *m,
                                    struct flow_step_def *s, const char *where)
{
#define STEP_KEYS "id", "type", "error", "optional", "when", "next", "contact"
    static const char *const common[] = {STEP_KEYS, "text", NULL};
    static const char *const choice_keys[] = {STEP_KEYS, "text", "choices", NULL};
    static const char *const multi_keys[] = {STEP_KEYS,      "text",         "choices",
                                             "min_selected", "max_selected", NULL};
    static const char *const range_keys[] = {STEP_KEYS, "text", "min", "max", NULL};
    static const char *const decimal_keys[] = {STEP_KEYS, "text", "min", "max", "decimals", NULL};
    static const char *const text_keys[] = {STEP_KEYS, "text", "max_length", NULL};
    static const char *const location_keys[] = {STEP_KEYS, "areas", "levels", NULL};
#undef STEP_KEYS
    static const struct {
        const char *name;
        enum step_type type;
    } types[] = {{"choice", STEP_CHOICE},    {"multi_choice", STEP_MULTI}, {"yes_no", STEP_YES_NO},
                 {"number", STEP_NUMBER},    {"decimal", STEP_DECIMAL},    {"text", STEP_TEXT},
                 {"date", STEP_DATE},        {"year", STEP_YEAR},          {"age", STEP_AGE},
                 {"location", STEP_LOCATION}};
    const char *const *keys = common;
    char *type = NULL;
    size_t t = 0;
    get_text(ld, m, "type", where, 1, &type);
    while (type && t < sizeof types / sizeof types[0] && strcmp(type, types[t].name) != 0)
        t++;
    if (!type) {
        return keys;
    } else if (t == sizeof types / sizeof types[0]) {
        problem(ld, ynode_get(m, "type"),
                "%stype: '%s' is not choice, multi_choice, yes_no, number, decimal, text, date, "
                "year, age or location",
                where, type);
        free(type);
        return keys;
    }
    free(type);
    s->type = types[t].type;
    switch (s->type) {
    case STEP_CHOICE:
        keys = choice_keys;
        load_choices(ld, m, s, where);
        break;
    case STEP_MULTI:
        keys = multi_keys;
        load_choices(ld, m, s, where);
        load_multi(ld, m, s, where);
        break;
    case STEP_YES_NO:
        load_yes_no(ld, ynode_get(m, "type"), s, where);
        break;
    case STEP_NUMBER:
        keys = range_keys;
        load_range(ld, m, s, where);
        break;
    case STEP_DECIMAL:
        keys = decimal_keys;
        load_decimal(ld, m, s, where);
        break;
    case STEP_DATE:
    case STEP_YEAR:
    case STEP_AGE:
        keys = range_keys;
        load_calendar(ld, m, s, where);
        break;
    case STEP_LOCATION:
        keys = location_keys;
        load_location(ld, m, s, where);
        break;
    case STEP_TEXT: {
        long long max_length = 160;
        char what[64];
        keys = text_keys;
        snprintf(what, sizeof what, "%smax_length", where);
        get_int(ld, m, "max_length", what, 1, 160, &max_length);
        s->max_length = (long)max_length;
        break;
    }
    }
    return keys;
}

/*
 * `contact: true` on a yes_no step: "yes" keeps a sealed way to text the
 * person the results (docs/broadcast.md). One per flow, so there is one
 * answer to honour; never in a sensitive flow, whose SMS would reveal taking
 * part to whoever shares the phone. s->type is known (load_type ran).
 */
static void load_contact(struct loader *ld, const struct ynode *v, struct flow_step_def *s,
                         const char *where)
{
    char what[64];
    snprintf(what, sizeof what, "%scontact", where);
    if (!v || ynode_bool(v, what, &s->contact, ld->errs) < 0) {
        ld->bad += v != NULL;
        return;
    }
    if (!s->contact)
        return;
    if (s->type != STEP_YES_NO)
        problem(ld, v, "%s: only a yes_no step can ask to text the results", what);
    if (ld->def->sensitive)
        problem(ld, v,
                "%s: a sensitive flow cannot keep a way to text people (an SMS would reveal "
                "taking part on a shared phone)",
                what);
    for (size_t j = 0; j + 1 < ld->def->n_steps; j++)
        if (ld->def->steps[j].contact)
            problem(ld, v, "%s: step '%s' already asks; a flow has one contact step", what,
                    ld->def->steps[j].id ? ld->def->steps[j].id : "?");
}

/* In a module, *id (read at m) gets the include's prefix. */
static void prefix_id(struct loader *ld, const struct ynode *m, char **id)
{
    char *full;
    if (!*id || !ld->inc || !ld->inc->prefix[0])
        return;
    if (!(full = malloc(strlen(ld->inc->prefix) + strlen(*id) + 1))) {
        problem(ld, m, "id: out of memory");
        return;
    }
    strcpy(full, ld->inc->prefix);
    strcat(full, *id);
    free(*id);
    *id = full;
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
    prefix_id(ld, m, &s->id);
    if (s->id && (!valid_id(s->id) || strcmp(s->id, FLOW_CONSENT_STEP) == 0 ||
                  strcmp(s->id, FLOW_LANGUAGE_STEP) == 0))
        problem(ld, ynode_get(m, "id"),
                "%sid: '%s' must be 1 to 63 of a-z, 0-9, '_' and '-', not consent or language",
                where, s->id);
    for (size_t j = 0; s->id && !ld->inc && j + 1 < def->n_steps; j++)
        if (def->steps[j].id && strcmp(def->steps[j].id, s->id) == 0)
            problem(ld, ynode_get(m, "id"), "%sid: '%s' is used by an earlier step", where, s->id);

    s->pos = pos_of(ld, ynode_get(m, "id"));
    s->next = FLOW_NEXT_NONE;
    s->kept = -1;
    const struct ynode *type = ynode_get(m, "type");
    if (!type || type->kind != YNODE_SCALAR || strcmp(type->scalar, "location") != 0)
        get_ltext(ld, m, "text", where, "required", &s->text); /* location: one per level */
    get_ltext(ld, m, "error", where, NULL, &s->error);
    const struct ynode *optional = ynode_get(m, "optional");
    snprintf(what, sizeof what, "%soptional", where);
    if (optional && ynode_bool(optional, what, &s->optional, ld->errs) < 0)
        ld->bad++;
    if (s->optional)
        need_text(ld, optional, what, &def->prefer_not, "prefer_not_to_say");
    ld->bad += ynode_check_keys(m, load_type(ld, m, s, where), "step", ld->errs);
    load_contact(ld, ynode_get(m, "contact"), s, where);
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

/* Splits "<id> <op> <code or number>" (spaces optional); -1 if part is not that. */
static int split_cond(const char *part, char *id, enum flow_cmp *cmp, char *code)
{
    static const enum flow_cmp order[] = {FLOW_CMP_EQ, FLOW_CMP_NE, FLOW_CMP_LE,
                                          FLOW_CMP_GE, FLOW_CMP_LT, FLOW_CMP_GT};
    const char *p = part + strspn(part, " ");
    size_t i = 0, n = 0;
    if (cond_word(&p, id) < 0)
        return -1;
    for (; i < sizeof order / sizeof order[0]; i++) {
        n = strlen(flow_cmp_text(order[i]));
        if (strncmp(p, flow_cmp_text(order[i]), n) == 0)
            break;
    }
    if (i == sizeof order / sizeof order[0])
        return -1;
    *cmp = order[i];
    p += n + strspn(p + n, " ");
    return cond_word(&p, code) < 0 || *p ? -1 : 0;
}

/*
 * A comparison with a number, age or year step: the number to compare
 * with, and a slot in state.values for that step's answer.
 */
static void numeric_cond(struct loader *ld, const struct ynode *at, const char *where,
                         const char *id, const char *num, struct flow_cond *c)
{
    struct flow_step_def *target = &ld->def->steps[c->step];
    const char *digits = num + (*num == '-');
    size_t n = strlen(digits);
    if (n == 0 || n > 12 || strspn(digits, "0123456789") != n) {
        problem(ld, at, "%swhen: step '%s' is a %s step: compare it with a whole number, not '%s'",
                where, id, flow_def_step_type(ld->def, c->step), num);
        return;
    }
    c->numeric = 1;
    c->num = strtoll(num, NULL, 10);
    if (target->kept >= 0)
        return;
    if (ld->def->n_kept == FLOW_KEPT_MAX) {
        problem(ld, at, "%swhen: at most %d number, age or year steps can be compared", where,
                FLOW_KEPT_MAX);
        return;
    }
    target->kept = (int)ld->def->n_kept++;
}

/* The loaded step with this id, or NULL; steps with a bad id are passed over. */
static const struct flow_step_def *find_step(const struct flow_def *def, const char *id)
{
    for (size_t i = 0; i < def->n_steps; i++)
        if (def->steps[i].id && strcmp(def->steps[i].id, id) == 0)
            return &def->steps[i];
    return NULL;
}

/* The step named id (in a module: id with the include's prefix), or NULL. */
static const struct flow_step_def *find_named(const struct loader *ld, const char *id)
{
    char full[2 * FLOW_ID_MAX];
    snprintf(full, sizeof full, "%s%s", ld->inc ? ld->inc->prefix : "", id);
    return find_step(ld->def, full);
}

/*
 * One comparison of step index's `when` (node at): the step it names must
 * come earlier; a choice or yes_no step is compared with == or != to one of
 * its codes ("refused" if that step is optional), a number, age or year
 * step with any of == != < <= > >= to a whole number.
 */
static void parse_cond(struct loader *ld, const struct ynode *at, const char *where, size_t index,
                       const char *part, struct flow_cond *c)
{
    char id[FLOW_ID_MAX], code[FLOW_ID_MAX];
    if (split_cond(part, id, &c->cmp, code) < 0) {
        problem(ld, at,
                "%swhen: '%s' is not '<step> == <code>', '<step> != <code>' or '<step> >= "
                "<number>' (also <, <=, >)",
                where, part);
        return;
    }
    c->negate = c->cmp == FLOW_CMP_NE;
    const struct flow_step_def *target = find_named(ld, id);
    if (!target) {
        problem(ld, at, "%swhen: there is no step '%s'", where, id);
        return;
    }
    c->step = flow_def_step_index(ld->def, target);
    if (c->step >= index) {
        problem(ld, at, "%swhen: step '%s' does not come before this step", where, id);
        return;
    }
    if (target->type == STEP_NUMBER || target->type == STEP_AGE || target->type == STEP_YEAR) {
        numeric_cond(ld, at, where, id, code, c);
        return;
    }
    if (target->type != STEP_CHOICE && target->type != STEP_YES_NO) {
        problem(ld, at, "%swhen: step '%s' is not a choice, yes_no, number, age or year step",
                where, id);
        return;
    }
    if (c->cmp != FLOW_CMP_EQ && c->cmp != FLOW_CMP_NE) {
        problem(ld, at, "%swhen: step '%s' is a choice: compare its code with == or !=", where, id);
        return;
    }
    for (size_t i = 0; i < target->n_choices; i++)
        if (target->choices[i].code && strcmp(target->choices[i].code, code) == 0)
            c->mark = flow_mark_of(i);
    if (target->optional && strcmp(code, FLOW_REFUSED_CODE) == 0)
        c->mark = FLOW_MARK_REFUSED;
    if (!c->mark)
        problem(ld, at, "%swhen: step '%s' has no code '%s'", where, id, code);
}

/*
 * A `when` (node w, of steps[where_index]): comparisons joined by " and ",
 * all of which must hold, added to conds (*n of them) for the step at slot.
 */
static void parse_when(struct loader *ld, const struct ynode *w, size_t where_index, size_t slot,
                       struct flow_cond *conds, size_t *n)
{
    char where[40], what[64], buf[512];
    const char *text;
    snprintf(where, sizeof where, "steps[%zu].", where_index);
    snprintf(what, sizeof what, "%swhen", where);
    if (ynode_str(w, what, &text, ld->errs) < 0) {
        ld->bad++;
        return;
    }
    if (strlen(text) >= sizeof buf) {
        problem(ld, w, "%s: longer than %zu bytes", what, sizeof buf - 1);
        return;
    }
    str_copy(buf, sizeof buf, text);
    for (char *part = buf, *next; part; part = next) {
        next = strstr(part, " and ");
        if (next) {
            *next = '\0';
            next += 5;
        }
        if (*n == FLOW_CONDS_MAX) {
            problem(ld, w, "%s: more than %d comparisons", what, FLOW_CONDS_MAX);
            return;
        }
        parse_cond(ld, w, where, slot, part, &conds[(*n)++]);
    }
}

/* The `when` of the step at slot, read at m (steps[where_index] of its file). */
static void load_when(struct loader *ld, const struct ynode *m, size_t slot, size_t where_index)
{
    const struct ynode *w = m->kind == YNODE_MAP ? ynode_get(m, "when") : NULL;
    struct flow_step_def *s = &ld->def->steps[slot];
    if (w)
        parse_when(ld, w, where_index, slot, s->conds, &s->n_conds);
}

/*
 * An include's `when`: added (and) to the conditions of each step the
 * module brings; it may name only steps before the include.
 */
static void include_when(struct loader *ld, const struct include *inc)
{
    const struct ynode *w = ynode_get(inc->item, "when");
    struct flow_cond conds[FLOW_CONDS_MAX];
    size_t n = 0;
    if (!w || !inc->n)
        return;
    memset(conds, 0, sizeof conds);
    parse_when(ld, w, inc->index, inc->first, conds, &n);
    for (size_t i = inc->first; i < inc->first + inc->n; i++) {
        struct flow_step_def *s = &ld->def->steps[i];
        if (s->n_conds + n > FLOW_CONDS_MAX) {
            problem(ld, w,
                    "steps[%zu].when: step '%s' of %s would have more than %d comparisons with "
                    "this when",
                    inc->index, s->id ? s->id : "?", inc->file, FLOW_CONDS_MAX);
            return;
        }
        memcpy(&s->conds[s->n_conds], conds, n * sizeof *conds);
        s->n_conds += n;
    }
}

/* Reads the module being read (ld->inc) as step slot i is: its file, its ids' prefix. */
static void enter_src(struct loader *ld, const struct step_src *src, const char **saved_file)
{
    *saved_file = ld->file;
    ld->inc = src->inc;
    if (src->inc)
        ld->file = src->inc->file;
}

static void leave_src(struct loader *ld, const char *saved_file)
{
    ld->inc = NULL;
    ld->file = saved_file;
}

static struct flow_def *load(const char *name, const char *buf, size_t len, const char *embedded,
                             size_t embedded_len, const char *included, size_t included_len,
                             int is_module, struct raia_errlist *errs,
                             struct raia_errlist *warnings);

/*
 * The module's bytes (*len of them) and, after them, its areas files (up
 * to *total bytes in all): from the definition when it came from the flows
 * registry, else read from path (*buf, which the caller frees). NULL
 * (reported at `at`) when there is none.
 */
static const char *module_bytes(struct loader *ld, const struct ynode *at, const char *where,
                                const char *name, const char *path, char **buf, size_t *len,
                                size_t *total)
{
    const char *bytes;
    if (ld->embedded) {
        bytes = embedded_file(ld->included, ld->included_len, FLOW_INCLUDE_MARK, name, total);
        if (!bytes)
            problem(ld, at, "%sinclude: %s is not in the definition", where, name);
    } else {
        char what[64];
        snprintf(what, sizeof what, "%sinclude", where);
        bytes = read_named(ld, at, what, path, FLOW_FILE_MAX, "larger than 1 MiB: not a flow file",
                           buf, total) == 0
                    ? *buf
                    : NULL;
    }
    *len = *total;
    if (bytes && ld->embedded) {
        const char *areas = *total ? mark_line(bytes + 1, bytes + *total, FLOW_AREAS_MARK) : NULL;
        *len = areas ? (size_t)(areas - 1 - bytes) : *total;
    }
    return bytes;
}

/*
 * Reads the steps of module mod (whose first len bytes of mod->source are
 * the module file) into the flow, as the include inc says; its location
 * steps take their areas from mod->source.
 */
static void include_steps(struct loader *ld, struct include *inc, const struct flow_def *mod,
                          size_t len)
{
    struct flow_def *def = ld->def;
    const struct ynode *list = ynode_get(inc->doc->root, "steps");
    const char *file = ld->file, *embedded = ld->embedded;
    size_t embedded_len = ld->embedded_len;
    char where[40];
    ld->inc = inc;
    ld->file = inc->file;
    ld->mod_lang = mod->langs[0];
    ld->embedded = mod->source + len;
    ld->embedded_len = strlen(mod->source) - len;
    inc->first = def->n_steps;
    for (size_t j = 0; j < list->n && def->n_steps < FLOW_STEPS_MAX; j++) {
        ld->srcs[def->n_steps] = (struct step_src){list->items[j], j, inc};
        load_step(ld, list->items[j], j);
    }
    inc->n = def->n_steps - inc->first;
    ld->inc = NULL;
    ld->file = file;
    ld->mod_lang = NULL;
    ld->embedded = embedded;
    ld->embedded_len = embedded_len;
    snprintf(where, sizeof where, "steps[%zu].", inc->index);
    const struct ynode *at = ynode_get(inc->item, "include");
    if (inc->n < list->n)
        problem(ld, at, "%sinclude: with the %zu steps of %s the flow has more than %d steps",
                where, list->n, inc->file, FLOW_STEPS_MAX);
    for (size_t i = inc->first; i < def->n_steps; i++)
        for (size_t k = 0; def->steps[i].id && k < inc->first; k++)
            if (def->steps[k].id && strcmp(def->steps[k].id, def->steps[i].id) == 0)
                problem(ld, at,
                        "%sinclude: step '%s' becomes '%s', which an earlier step uses (choose "
                        "another prefix)",
                        where, def->steps[i].id + strlen(inc->prefix), def->steps[i].id);
}

/*
 * `- include: FILE` in steps (docs/flows.md, "Modules: include"): the
 * module FILE, a .yaml beside the flow that is a valid flow on its own,
 * brings its steps here, their ids after `prefix`, each also asked only
 * when the include's `when` holds. Its bytes and areas files become part
 * of the definition. One level only: a module cannot include.
 */
static void load_include(struct loader *ld, const struct ynode *item, size_t index)
{
    static const char *const keys[] = {"include", "prefix", "when", NULL};
    struct flow_def *def = ld->def;
    const struct ynode *at = ynode_get(item, "include");
    char where[40], path[4096], *name = NULL, *prefix = NULL, *buf = NULL;
    size_t len = 0, total = 0;
    int before = ld->bad;
    snprintf(where, sizeof where, "steps[%zu].", index);
    ld->bad += ynode_check_keys(item, keys, "step", ld->errs);
    if (ld->is_module) {
        problem(ld, at, "%sinclude: a module cannot include another (one level of include)", where);
        return;
    }
    if (ld->n_incs == FLOW_INCLUDES_MAX) {
        problem(ld, at, "%sinclude: more than %d includes", where, FLOW_INCLUDES_MAX);
        return;
    }
    get_text(ld, item, "include", where, 1, &name);
    get_text(ld, item, "prefix", where, 0, &prefix);
    if (name && !valid_file_name(name, ".yaml"))
        problem(ld, at,
                "%sinclude: '%s' must be a .yaml file beside the flow (a relative name without "
                "'..')",
                where, name);
    if (prefix && (strlen(prefix) > 16 ||
                   strspn(prefix, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(prefix)))
        problem(ld, ynode_get(item, "prefix"), "%sprefix: '%s' must be 1 to 16 of a-z, 0-9 and '_'",
                where, prefix);
    beside(ld, name ? name : "", path, sizeof path);
    if (ld->bad > before || !(def->modules[def->n_modules] = strdup(path))) {
        free(name);
        free(prefix);
        ld->bad += ld->bad == before; /* out of memory */
        return;
    }
    struct include *inc = &ld->incs[ld->n_incs++];
    inc->item = item;
    inc->index = index;
    inc->file = def->modules[def->n_modules++];
    str_copy(inc->prefix, sizeof inc->prefix, prefix ? prefix : "");
    free(prefix);
    const char *bytes = module_bytes(ld, at, where, name, path, &buf, &len, &total);
    struct flow_def *mod = bytes ? load(inc->file, bytes, len, ld->embedded ? bytes + len : NULL,
                                        total - len, NULL, 0, 1, ld->errs, NULL)
                                 : NULL;
    if (bytes && !mod)
        problem(ld, at, "%sinclude: %s has errors (above)", where, inc->file);
    if (mod) {
        /* Part of the definition: a changed module is a changed flow. */
        strbuf_printf(&ld->modules, "\n%s%s\n", FLOW_INCLUDE_MARK, name);
        strbuf_append(&ld->modules, mod->source, strlen(mod->source));
        inc->doc = ydoc_load_buf(inc->file, bytes, len, ld->errs);
        if (inc->doc && inc->doc->root)
            include_steps(ld, inc, mod, len);
        else
            ld->bad++;
    }
    flow_def_unref(mod);
    free(buf);
    free(name);
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
    struct flow_def *def = ld->def;
    for (size_t i = 0; i < list->n; i++) {
        const struct ynode *item = list->items[i];
        if (item->kind == YNODE_MAP && ynode_get(item, "include")) {
            load_include(ld, item, i);
        } else if (def->n_steps == FLOW_STEPS_MAX) {
            problem(ld, item, "steps[%zu]: more than %d steps with the included ones", i,
                    FLOW_STEPS_MAX);
            return;
        } else {
            ld->srcs[def->n_steps] = (struct step_src){item, i, NULL};
            load_step(ld, item, i);
        }
    }
    /* After every step is loaded, so that a reference to a later step
     * can be told from a reference to no step at all. */
    for (size_t i = 0; i < def->n_steps; i++) {
        const char *file;
        enter_src(ld, &ld->srcs[i], &file);
        load_when(ld, ld->srcs[i].node, i, ld->srcs[i].index);
        leave_src(ld, file);
    }
    for (size_t k = 0; k < ld->n_incs; k++)
        include_when(ld, &ld->incs[k]);
}

static void load_messages(struct loader *ld, const struct ynode *root)
{
    static const char *const keys[] = {"invalid", "abandoned", "stopped",
                                       "resume",  "no_answer", NULL};
    struct flow_def *def = ld->def;
    const struct ynode *m =
        get_map(ld, root, "messages", "messages", keys, "invalid, abandoned and stopped texts");
    if (!m)
        return;
    get_ltext(ld, m, "invalid", "messages.", "required", &def->msg_invalid);
    get_ltext(ld, m, "abandoned", "messages.", "required", &def->msg_abandoned);
    get_ltext(ld, m, "stopped", "messages.", "required", &def->msg_stopped);
    get_ltext(ld, m, "resume", "messages.", NULL, &def->msg_resume);
    get_ltext(ld, m, "no_answer", "messages.", NULL, &def->msg_no_answer);
    const struct ynode *resume = ynode_get(m, "resume");
    if (resume) {
        need_text(ld, resume, "messages.resume", &def->label_continue, "labels.continue");
        need_text(ld, resume, "messages.resume", &def->label_restart, "labels.restart");
    }
}

/* `end` (the default end screen) and `ends`, named end screens a `next` can lead to. */
static void load_ends(struct loader *ld, const struct ynode *root)
{
    struct flow_def *def = ld->def;
    def->ends[0].id = strdup("end");
    def->n_ends = 1;
    if (!def->ends[0].id)
        problem(ld, root, "end: out of memory");
    get_ltext(ld, root, "end", "", "required", &def->ends[0].text);
    const struct ynode *m = ynode_get(root, "ends");
    if (!m)
        return;
    if (ynode_expect(m, YNODE_MAP, "ends", ld->errs) < 0) {
        ld->bad++;
        return;
    }
    if (m->n + 1 > FLOW_ENDS_MAX) {
        problem(ld, m, "ends: more than %d end screens", FLOW_ENDS_MAX - 1);
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        const struct ynode *key = m->pairs[i].key;
        struct flow_end *e = &def->ends[def->n_ends++];
        char what[96];
        snprintf(what, sizeof what, "ends.%s", key->scalar);
        if (!valid_id(key->scalar) || strcmp(key->scalar, "end") == 0 ||
            find_step(def, key->scalar))
            problem(ld, key,
                    "%s: an end's name must be 1 to 63 of a-z, 0-9, '_' and '-', and not 'end' "
                    "or a step's id",
                    what);
        if (!(e->id = strdup(key->scalar)))
            problem(ld, key, "%s: out of memory", what);
        get_ltext(ld, m, key->scalar, "ends.", "required", &e->text);
    }
}

/* The step or end a `next` names, as FLOW_NEXT_* / a step index; reported if none. */
static int target_of(struct loader *ld, const struct ynode *v, const char *what)
{
    const char *name;
    if (ynode_str(v, what, &name, ld->errs) < 0) {
        ld->bad++;
        return FLOW_NEXT_NONE;
    }
    const struct flow_step_def *step = find_named(ld, name);
    if (step)
        return (int)flow_def_step_index(ld->def, step);
    if (ld->inc) {
        problem(ld, v,
                "%s: there is no step '%s' in this module (an included step cannot lead to "
                "an end screen)",
                what, name);
        return FLOW_NEXT_NONE;
    }
    for (size_t e = 0; e < ld->def->n_ends; e++)
        if (ld->def->ends[e].id && strcmp(ld->def->ends[e].id, name) == 0)
            return FLOW_NEXT_END + (int)e;
    problem(ld, v, "%s: there is no step or end '%s'", what, name);
    return FLOW_NEXT_NONE;
}

/*
 * The `next` of the step at slot and of its choices (read at m, steps[index]
 * of its file), once every step and end has a name.
 */
static void load_links(struct loader *ld, const struct ynode *m, size_t slot, size_t index)
{
    struct flow_step_def *s = &ld->def->steps[slot];
    const struct ynode *v = m->kind == YNODE_MAP ? ynode_get(m, "next") : NULL;
    char what[96];
    snprintf(what, sizeof what, "steps[%zu].next", index);
    if (v)
        s->next = target_of(ld, v, what);
    const struct ynode *list = s->type == STEP_CHOICE ? ynode_get(m, "choices") : NULL;
    for (size_t i = 0; list && list->kind == YNODE_SEQ && i < list->n && i < s->n_choices; i++) {
        v = ynode_get(list->items[i], "next");
        snprintf(what, sizeof what, "steps[%zu].choices[%zu].next", index, i);
        if (v)
            s->choices[i].next = target_of(ld, v, what);
    }
}

/* ---- where a session can go: reachability, loops and quotes ---- */

#define NODE_END(e) (FLOW_STEPS_MAX + (e)) /* graph node of end screen e */
#define NODES_MAX (FLOW_STEPS_MAX + FLOW_ENDS_MAX)

struct edge {
    size_t from, to;
    int answered; /* 0: the step was skipped by its `when` */
};

/* Where a target leads from step i when it has none: the following step or `end`. */
static size_t node_of(const struct flow_def *def, size_t i, int target)
{
    if (target == FLOW_NEXT_NONE)
        return i + 1 < def->n_steps ? i + 1 : NODE_END(0);
    return target >= FLOW_NEXT_END ? NODE_END((size_t)(target - FLOW_NEXT_END)) : (size_t)target;
}

/*
 * Every move the engine can make between steps: skipping a step (`when`),
 * and answering it (to a choice's `next`, the step's `next` or the
 * following step). Returns the number of edges.
 */
static size_t edges_of(const struct flow_def *def, struct edge *edges)
{
    size_t n = 0;
    for (size_t i = 0; i < def->n_steps; i++) {
        const struct flow_step_def *s = &def->steps[i];
        int fallthrough = s->type != STEP_CHOICE || s->optional;
        if (s->n_conds)
            edges[n++] = (struct edge){i, node_of(def, i, FLOW_NEXT_NONE), 0};
        for (size_t c = 0; s->type == STEP_CHOICE && c < s->n_choices; c++) {
            if (s->choices[c].next == FLOW_NEXT_NONE)
                fallthrough = 1;
            else
                edges[n++] = (struct edge){i, node_of(def, i, s->choices[c].next), 1};
        }
        if (fallthrough)
            edges[n++] = (struct edge){i, node_of(def, i, s->next), 1};
    }
    return n;
}

/*
 * Each step must be reachable from the first, and from each reachable step
 * some end must be reachable (else the session is caught in a loop with no
 * exit). Then, for each end, which steps are answered on every way to it:
 * a quote of any other step may show nothing (a warning).
 */
static void check_paths(struct loader *ld, unsigned long long must[NODES_MAX], int reached[])
{
    const struct flow_def *def = ld->def;
    struct edge *edges = calloc(FLOW_STEPS_MAX * (FLOW_CHOICES_MAX + 2), sizeof *edges);
    if (!edges) {
        problem(ld, NULL, "out of memory");
        return;
    }
    size_t n = edges_of(def, edges);
    int ends_out[NODES_MAX] = {0};
    memset(reached, 0, NODES_MAX * sizeof *reached);
    reached[0] = 1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < n; k++)
            if (reached[edges[k].from] && !reached[edges[k].to])
                changed = reached[edges[k].to] = 1;
    }
    for (size_t e = 0; e < def->n_ends; e++)
        ends_out[NODE_END(e)] = 1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < n; k++)
            if (ends_out[edges[k].to] && !ends_out[edges[k].from])
                changed = ends_out[edges[k].from] = 1;
    }
    for (size_t i = 0; i < def->n_steps; i++) {
        const struct flow_step_def *s = &def->steps[i];
        if (!reached[i])
            problem_pos(ld, s->pos,
                        "steps[%zu]: step '%s' can never be reached (no step leads to it)", i,
                        s->id);
        else if (!ends_out[i])
            problem_pos(ld, s->pos,
                        "steps[%zu]: no end can be reached from step '%s' (a loop with no exit)", i,
                        s->id);
    }
    /* must[x]: steps answered on every way to x; shrinks from "all" to a fixed point. */
    for (size_t x = 0; x < NODES_MAX; x++)
        must[x] = x == 0 ? 0 : ~0ull;
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t k = 0; k < n; k++) {
            if (!reached[edges[k].from])
                continue;
            unsigned long long m =
                must[edges[k].from] | (edges[k].answered ? 1ull << edges[k].from : 0);
            if ((must[edges[k].to] & m) != must[edges[k].to]) {
                must[edges[k].to] &= m;
                changed = 1;
            }
        }
    }
    free(edges);
}

/*
 * Quotes in end texts: {step_id} must name a choice or yes_no step (the
 * answers a session keeps); a step not answered on every way to that end
 * is a warning (it then shows messages.no_answer, or nothing).
 */
static void check_quotes(struct loader *ld, const unsigned long long must[NODES_MAX],
                         const int reached[])
{
    const struct flow_def *def = ld->def;
    for (size_t e = 0; e < def->n_ends; e++) {
        const struct flow_end *end = &def->ends[e];
        char what[96];
        snprintf(what, sizeof what, "%s%s", e ? "ends." : "", end->id);
        if (e && !reached[NODE_END(e)])
            warning(ld, end->text.pos[0], "%s: no step leads to this end", what);
        for (size_t l = 0; l < def->n_langs; l++) {
            for (const char *t = end->text.s[l]; t && (t = strchr(t, '{'));) {
                const char *close = strchr(t, '}');
                if (!close)
                    break;
                char id[FLOW_ID_MAX];
                size_t len = (size_t)(close - t - 1);
                snprintf(id, sizeof id, "%.*s", (int)(len < sizeof id ? len : sizeof id - 1),
                         t + 1);
                t = close + 1;
                const struct flow_step_def *s = len < FLOW_ID_MAX ? find_step(def, id) : NULL;
                if (!s) {
                    problem_pos(ld, end->text.pos[l], "%s: {%s} quotes no step", what, id);
                    continue;
                }
                size_t i = flow_def_step_index(def, s);
                if (s->type != STEP_CHOICE && s->type != STEP_YES_NO) {
                    problem_pos(ld, end->text.pos[l],
                                "%s: {%s} is a %s step; only choice and yes_no answers can be "
                                "quoted",
                                what, id, flow_def_step_type(def, i));
                } else if (l == 0 && reached[NODE_END(e)] && !(must[NODE_END(e)] >> i & 1)) {
                    warning(ld, end->text.pos[l],
                            "%s: {%s} may be unanswered on the way to this end (it then shows "
                            "messages.no_answer)",
                            what, id);
                }
            }
        }
    }
}

/* ---- keywords, sensitive flows, derived variables ---- */

static void load_keywords(struct loader *ld, const struct ynode *root)
{
    static const char *const keys[] = {"stop", "help", NULL};
    struct flow_def *def = ld->def;
    const struct ynode *m = get_map(ld, root, "keywords", "keywords", keys, NULL);
    if (!m)
        return;
    get_ltext(ld, m, "stop", "keywords.", NULL, &def->stop_word);
    get_ltext(ld, m, "help", "keywords.", NULL, &def->help_word);
    const struct flow_text *words[] = {&def->stop_word, &def->help_word};
    for (size_t w = 0; w < 2; w++)
        for (size_t l = 0; l < def->n_langs; l++) {
            const char *word = words[w]->s[l];
            if (word && (strlen(word) > KEYWORD_MAX || strpbrk(word, " \t\r\n")))
                problem_pos(ld, words[w]->pos[l],
                            "keywords.%s: '%s' must be one word of at most %d bytes", keys[w], word,
                            KEYWORD_MAX);
            if (w == 1 && word && flow_is_stop_word(def, word))
                problem_pos(ld, words[w]->pos[l], "keywords.help: '%s' is also a stop word", word);
        }
}

/* `sensitive: true`: USSD only, since an SMS stays in the inbox of a shared phone. */
static void load_sensitive(struct loader *ld, const struct ynode *root)
{
    const struct ynode *v = ynode_get(root, "sensitive");
    if (v && ynode_bool(v, "sensitive", &ld->def->sensitive, ld->errs) < 0)
        ld->bad++;
    const struct ynode *ch = ynode_get(root, "channels");
    const struct ynode *sms = ynode_get(ch, "sms");
    if (ld->def->sensitive && sms) {
        const struct ynode *key = NULL;
        for (size_t i = 0; i < ch->n; i++)
            if (strcmp(ch->pairs[i].key->scalar, "sms") == 0)
                key = ch->pairs[i].key;
        problem(ld, key,
                "channels.sms: a sensitive flow runs over USSD only (an SMS stays in the inbox of "
                "a shared phone)");
    }
}

/* A list of scalars at key of m, each copied (up to max); returns how many. */
static size_t get_words(struct loader *ld, const struct ynode *m, const char *key,
                        const char *where, char **out, size_t max, const struct ynode **list)
{
    char what[96];
    snprintf(what, sizeof what, "%s%s", where, key);
    *list = ynode_get(m, key);
    if (!*list)
        return 0;
    if (ynode_expect(*list, YNODE_SEQ, what, ld->errs) < 0) {
        ld->bad++;
        return 0;
    }
    if ((*list)->n == 0 || (*list)->n > max) {
        problem(ld, *list, "%s: need 1 to %zu items", what, max);
        return 0;
    }
    for (size_t i = 0; i < (*list)->n; i++)
        copy_scalar(ld, (*list)->items[i], what, &out[i]);
    return (*list)->n;
}

/* One derived variable: {id, any_of | all_of: [steps], in: [codes], then, else, missing}. */
static void load_derived_one(struct loader *ld, const struct ynode *all, size_t index)
{
    static const char *const keys[] = {"id",   "any_of", "all_of",  "in",
                                       "then", "else",   "missing", NULL};
    struct flow_def *def = ld->def;
    struct flow_derived *d = &def->derived[def->n_derived++];
    char where[40];
    char *steps[FLOW_STEPS_MAX] = {0};
    const struct ynode *list, *in;
    const struct ynode *m = map_item(ld, all, index, "derived", keys);
    snprintf(where, sizeof where, "derived[%zu].", index);
    if (!m)
        return;
    get_text(ld, m, "id", where, 1, &d->id);
    prefix_id(ld, m, &d->id);
    if (d->id && (!valid_id(d->id) || find_step(def, d->id)))
        problem(ld, ynode_get(m, "id"),
                "%sid: '%s' must be 1 to 63 of a-z, 0-9, '_' and '-', and not a step's id", where,
                d->id);
    for (size_t j = 0; d->id && !ld->inc && j + 1 < def->n_derived; j++)
        if (def->derived[j].id && strcmp(def->derived[j].id, d->id) == 0)
            problem(ld, ynode_get(m, "id"), "%sid: '%s' is used by an earlier derived variable",
                    where, d->id);
    d->all = ynode_get(m, "all_of") != NULL;
    if (d->all == (ynode_get(m, "any_of") != NULL)) {
        problem(ld, m, "%s: give any_of or all_of (a list of steps), one of the two", "derived");
        return;
    }
    size_t n = get_words(ld, m, d->all ? "all_of" : "any_of", where, steps, FLOW_STEPS_MAX, &list);
    for (size_t i = 0; i < n; i++) {
        const struct flow_step_def *s = steps[i] ? find_named(ld, steps[i]) : NULL;
        if (steps[i] && !s)
            problem(ld, list->items[i], "%s%s: there is no step '%s'", where,
                    d->all ? "all_of" : "any_of", steps[i]);
        else if (s && s->type != STEP_CHOICE && s->type != STEP_YES_NO)
            problem(ld, list->items[i], "%s%s: step '%s' is not a choice or yes_no step", where,
                    d->all ? "all_of" : "any_of", steps[i]);
        else if (s)
            d->steps[d->n_steps++] = flow_def_step_index(def, s);
        free(steps[i]);
    }
    d->n_in = get_words(ld, m, "in", where, d->in, FLOW_IN_MAX, &in);
    if (!in)
        problem(ld, m, "%sin: missing (the codes that count)", where);
    for (size_t k = 0; k < d->n_in; k++) {
        int known = 0;
        for (size_t i = 0; d->in[k] && i < d->n_steps; i++)
            for (size_t c = 0; c < def->steps[d->steps[i]].n_choices; c++)
                known |= def->steps[d->steps[i]].choices[c].code &&
                         strcmp(def->steps[d->steps[i]].choices[c].code, d->in[k]) == 0;
        if (d->in[k] && !known)
            problem(ld, in->items[k], "%sin: no step of this rule has the code '%s'", where,
                    d->in[k]);
    }
    get_text(ld, m, "then", where, 1, &d->then_code);
    get_text(ld, m, "else", where, 1, &d->else_code);
    get_text(ld, m, "missing", where, 0, &d->missing_code);
    const char *codes[] = {d->then_code, d->else_code, d->missing_code};
    for (size_t i = 0; i < 3; i++)
        if (codes[i] && strlen(codes[i]) >= FLOW_ID_MAX)
            problem(ld, m, "%s: '%s' is longer than 63 bytes", where, codes[i]);
}

static void load_derived(struct loader *ld, const struct ynode *root)
{
    const struct ynode *list = ynode_get(root, "derived");
    if (!list)
        return;
    if (ynode_expect(list, YNODE_SEQ, "derived", ld->errs) < 0) {
        ld->bad++;
        return;
    }
    if (ld->def->n_derived + list->n > FLOW_DERIVED_MAX) {
        problem(ld, list, "derived: more than %d derived variables%s", FLOW_DERIVED_MAX,
                ld->inc ? " with the including flow's" : "");
        return;
    }
    for (size_t i = 0; i < list->n; i++)
        load_derived_one(ld, list, i);
}

/* The derived variables of each module, their ids and steps after the include's prefix. */
static void load_included_derived(struct loader *ld)
{
    struct flow_def *def = ld->def;
    for (size_t k = 0; k < ld->n_incs; k++) {
        struct include *inc = &ld->incs[k];
        size_t first = def->n_derived;
        const char *file = ld->file;
        if (!inc->doc)
            continue;
        ld->inc = inc;
        ld->file = inc->file;
        load_derived(ld, inc->doc->root);
        ld->inc = NULL;
        ld->file = file;
        for (size_t i = first; i < def->n_derived; i++)
            for (size_t j = 0; def->derived[i].id && j < first; j++)
                if (def->derived[j].id && strcmp(def->derived[j].id, def->derived[i].id) == 0)
                    problem(ld, ynode_get(inc->item, "include"),
                            "steps[%zu].include: derived variable '%s' becomes '%s', which the "
                            "flow already has (choose another prefix)",
                            inc->index, def->derived[i].id + strlen(inc->prefix),
                            def->derived[i].id);
    }
}

/* ---- do the screens fit? ---- */

/* The code point of the UTF-8 character at s (valid UTF-8), and its length in *len. */
static unsigned long code_point(const unsigned char *s, size_t *len)
{
    if (s[0] < 0x80) {
        *len = 1;
        return s[0];
    }
    size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
    unsigned long cp = s[0] & (0x3f >> (n - 1));
    for (size_t i = 1; i < n && s[i]; i++)
        cp = cp << 6 | (s[i] & 0x3f);
    *len = n;
    return cp;
}

/* 1 if translation l of t holds needle; then *pos is where that translation is. */
static int holds(const struct flow_text *t, size_t l, const char *needle, struct flow_pos *pos)
{
    if (!t->s[l] || !strstr(t->s[l], needle))
        return 0;
    *pos = t->pos[l];
    return 1;
}

/*
 * Where the first text of def in language lang holding the character ch
 * (len bytes) is written (the language menu holds every language's name).
 */
static struct flow_pos text_with(const struct flow_def *def, size_t lang, const char *ch,
                                 size_t len)
{
    char needle[8];
    struct flow_pos pos = {0, 0, NULL};
    snprintf(needle, sizeof needle, "%.*s", (int)len, ch);
    const struct flow_text *shared[] = {
        &def->consent.text,   &def->consent.accept, &def->consent.decline, &def->consent.declined,
        &def->msg_invalid,    &def->msg_abandoned,  &def->msg_stopped,     &def->msg_resume,
        &def->msg_no_answer,  &def->help,           &def->label_yes,       &def->label_no,
        &def->prefer_not,     &def->label_more,     &def->label_back,      &def->label_done,
        &def->label_continue, &def->label_restart};
    for (size_t i = 0; i < def->n_steps; i++) {
        const struct flow_step_def *s = &def->steps[i];
        if (holds(&s->text, lang, needle, &pos) || holds(&s->error, lang, needle, &pos))
            return pos;
        for (size_t c = 0; c < s->n_choices; c++)
            if (holds(&s->choices[c].label, lang, needle, &pos))
                return pos;
        for (size_t k = 0; k < s->n_levels; k++)
            if (holds(&s->level_text[k], lang, needle, &pos))
                return pos;
    }
    for (size_t e = 0; e < def->n_ends; e++)
        if (holds(&def->ends[e].text, lang, needle, &pos))
            return pos;
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
        if (holds(shared[i], lang, needle, &pos))
            return pos;
    for (size_t l = 0; l < def->n_langs; l++)
        if (holds(&def->language_names, l, needle, &pos))
            return pos;
    return pos;
}

/*
 * A screen in UCS-2 because of one character outside GSM 7-bit (perhaps
 * more than once) would fit more than twice the text without it: warn,
 * naming the character and the text it is in (each once).
 */
static void check_ucs2(struct loader *ld, const char *screen, size_t lang, const char *label,
                       const char *channel)
{
    const unsigned char *p = (const unsigned char *)screen;
    unsigned long only = 0;
    const char *at = NULL;
    size_t at_len = 0;
    for (size_t len; *p; p += len) {
        unsigned long cp = code_point(p, &len);
        if (charset_gsm7_length((const char *)p, len) >= 0)
            continue;
        if (at && cp != only)
            return; /* two different characters: not a slip */
        only = cp;
        at = (const char *)p;
        at_len = len;
    }
    if (!at)
        return;
    struct flow_pos pos = text_with(ld->def, lang, at, at_len);
    for (size_t i = 0; i < ld->n_warned; i++)
        if (ld->warned[i].pos.line == pos.line && ld->warned[i].pos.col == pos.col &&
            ld->warned[i].pos.file == pos.file && ld->warned[i].cp == only)
            return;
    if (ld->n_warned < WARNED_MAX)
        ld->warned[ld->n_warned++] = (struct warned){pos, only};
    warning(ld, pos,
            "%s: '%.*s' (U+%04lX) is the only character outside GSM 7-bit; it puts the whole %s "
            "screen into UCS-2 (%s)",
            label, (int)at_len, at, only, channel,
            strcmp(channel, "USSD") == 0 ? "80 characters instead of 182"
                                         : "70 characters instead of 160");
}

/* Measures one screen on one channel; name says which screen. */
static void check_screen_on(struct loader *ld, const char *screen, struct flow_pos at, size_t lang,
                            const char *name, enum flow_channel ch)
{
    const struct flow_def *def = ld->def;
    char label[160];
    long used, limit;
    const char *enc;
    const char *channel = ch == FLOW_CHANNEL_USSD ? "USSD" : "SMS";
    if (def->n_langs > 1 && lang != LANG_NONE)
        snprintf(label, sizeof label, "%s (%s)", name, def->langs[lang]);
    else
        str_copy(label, sizeof label, name);
    if (lang == LANG_NONE)
        lang = 0; /* the language menu: its names are searched in every language */
    if (!flow_screen_fits(screen, ch, &used, &limit, &enc)) {
        raia_errlist_add(ld->errs, ld->file, at.line, at.col,
                         "%s: the %s screen is %ld characters in %s, more than %ld", label, channel,
                         used, enc, limit);
        ld->bad++;
    }
    check_ucs2(ld, screen, lang, label, channel);
}

static int uses(const struct flow_def *def, enum flow_channel ch)
{
    return ch == FLOW_CHANNEL_USSD ? def->ussd_code != NULL : def->sms_short_code != NULL;
}

/* Measures one screen on every channel the flow uses. */
static void check_screen(struct loader *ld, const char *screen, struct flow_pos at, size_t lang,
                         const char *name)
{
    for (int ch = FLOW_CHANNEL_USSD; ch <= FLOW_CHANNEL_SMS; ch++)
        if (uses(ld->def, (enum flow_channel)ch))
            check_screen_on(ld, screen, at, lang, name, (enum flow_channel)ch);
}

/*
 * Every page of one list (a choice step, or one level of a location step
 * under one area) on channel ch, with each text the engine may put above
 * it. A list that pages needs labels.more and labels.back in the language.
 */
static void check_menu(struct loader *ld, const struct flow_step_def *s, size_t l,
                       enum flow_channel ch, const struct flow_state *st, const char *name,
                       struct flow_pos at)
{
    const struct flow_def *def = ld->def;
    struct flow_menu m;
    size_t first[FLOW_MENU_MAX + 1];
    int tight;
    char screen[FLOW_SCREEN_MAX], with[2 * FLOW_SCREEN_MAX], title[192];
    if (flow_menu_of(def, s, l, ch, st, &m) < 0)
        return;
    /* Placeholders measure a list whose labels are missing; it is reported below if it pages. */
    int no_more = !m.more, no_back = !m.back;
    m.more = m.more ? m.more : "More";
    m.back = m.back ? m.back : "Back";
    m.done = m.done ? m.done : "Done";
    size_t pages = flow_menu_pages(def, s, l, ch, &m, first, &tight);
    if (pages > 1 && (no_more || no_back)) {
        problem_pos(ld, at,
                    "%s: the list takes %zu pages, so it needs labels.%s in '%s' (no default in "
                    "that language)",
                    name, pages, no_more ? "more" : "back", def->langs[l]);
        return;
    }
    const char *prefixes[] = {NULL, flow_screen_error(def, s, l), def->help.s[l]};
    const char *after[] = {"", " after an invalid answer", " after HELP"};
    int bad = ld->bad;
    for (size_t p = 0; p < pages && ld->bad == bad; p++) { /* one page too long is enough said */
        flow_screen_menu(def, s, l, ch, &m, p, screen, sizeof screen);
        if (m.toggles) /* the widest the page gets: every choice marked */
            flow_screen_page(def, s, l, ch, &m, p, 1, screen, sizeof screen);
        for (size_t k = 0; k < 3; k++) {
            if (k == 2 && !def->help.s[0])
                continue;
            snprintf(with, sizeof with, "%s%s%s", prefixes[k] ? prefixes[k] : "",
                     prefixes[k] ? "\n" : "", screen);
            if (pages > 1 && tight && first[p + 1] - first[p] == 1)
                snprintf(title, sizeof title, "%s, page %zu (choice %zu alone)%s", name, p + 1,
                         first[p] + 1, after[k]);
            else if (pages > 1)
                snprintf(title, sizeof title, "%s, page %zu%s", name, p + 1, after[k]);
            else
                snprintf(title, sizeof title, "%s%s", name, after[k]);
            check_screen_on(ld, with, at, l, title, ch);
        }
    }
}

/* Every list of a location step: the first level, then the areas inside each area. */
static void check_location(struct loader *ld, const struct flow_step_def *s, size_t l,
                           enum flow_channel ch)
{
    struct flow_state st;
    char name[160];
    memset(&st, 0, sizeof st);
    snprintf(name, sizeof name, "step '%s'", s->id);
    check_menu(ld, s, l, ch, &st, name, s->level_text[0].pos[l]);
    for (size_t a = 0; a < s->n_areas && !ld->bad; a++) {
        const struct flow_area *area = &s->areas[a];
        if ((size_t)area->level + 1 >= s->n_levels)
            continue;
        st.depth = area->level + 1;
        for (int k = area->level, at = (int)a; k >= 0; k--, at = s->areas[at].parent)
            st.path[k] = at;
        snprintf(name, sizeof name, "step '%s', %s in '%s'", s->id, s->levels[area->level + 1],
                 area->code);
        check_menu(ld, s, l, ch, &st, name, s->level_text[area->level + 1].pos[l]);
    }
}

/* A step's screens in one language: the question (each page), its re-prompt and its help. */
static void check_step_screens(struct loader *ld, const struct flow_step_def *s, size_t l)
{
    const struct flow_def *def = ld->def;
    char screen[FLOW_SCREEN_MAX], name[96];
    struct flow_menu m;
    snprintf(name, sizeof name, "step '%s'", s->id);
    for (int ch = FLOW_CHANNEL_USSD; ch <= FLOW_CHANNEL_SMS; ch++) {
        if (!uses(def, (enum flow_channel)ch))
            continue;
        if (s->type == STEP_LOCATION) {
            check_location(ld, s, l, (enum flow_channel)ch);
        } else if (flow_menu_of(def, s, l, (enum flow_channel)ch, NULL, &m) == 0) {
            check_menu(ld, s, l, (enum flow_channel)ch, NULL, name, s->text.pos[l]);
        } else {
            flow_screen_step(def, s, l, (enum flow_channel)ch, screen, sizeof screen);
            check_screen_on(ld, screen, s->text.pos[l], l, name, (enum flow_channel)ch);
            snprintf(name, sizeof name, "step '%s' after an invalid answer", s->id);
            flow_screen_at(def, s, l, (enum flow_channel)ch, NULL, flow_screen_error(def, s, l),
                           screen, sizeof screen);
            check_screen_on(ld, screen, s->text.pos[l], l, name, (enum flow_channel)ch);
            if (def->help.s[0]) {
                snprintf(name, sizeof name, "step '%s' after HELP", s->id);
                flow_screen_at(def, s, l, (enum flow_channel)ch, NULL, def->help.s[l], screen,
                               sizeof screen);
                check_screen_on(ld, screen, def->help.pos[l], l, name, (enum flow_channel)ch);
            }
            snprintf(name, sizeof name, "step '%s'", s->id);
        }
    }
}

/* Every screen the engine can show, in every language, built as the engine builds it. */
static void check_screens(struct loader *ld)
{
    struct flow_def *def = ld->def;
    char screen[FLOW_SCREEN_MAX], name[96];
    if (def->n_langs > 1) {
        flow_screen_language(def, screen, sizeof screen);
        check_screen(ld, screen, def->language_names.pos[0], LANG_NONE, "language menu");
    }
    for (size_t l = 0; l < def->n_langs; l++) {
        const struct flow_consent *c = &def->consent;
        flow_screen_consent(def, l, screen, sizeof screen);
        check_screen(ld, screen, c->text.pos[l], l, "consent");
        flow_screen_consent_reprompt(def, l, screen, sizeof screen);
        check_screen(ld, screen, c->text.pos[l], l, "consent after an invalid answer");
        if (def->help.s[0]) {
            flow_screen_consent_help(def, l, screen, sizeof screen);
            check_screen(ld, screen, def->help.pos[l], l, "consent after HELP");
        }
        check_screen(ld, c->declined.s[l], c->declined.pos[l], l, "consent.declined");
        for (size_t i = 0; i < def->n_steps; i++)
            check_step_screens(ld, &def->steps[i], l);
        check_screen(ld, def->msg_abandoned.s[l], def->msg_abandoned.pos[l], l,
                     "messages.abandoned");
        check_screen(ld, def->msg_stopped.s[l], def->msg_stopped.pos[l], l, "messages.stopped");
        for (size_t e = 0; e < def->n_ends; e++) {
            /* Quotes are measured with the longest label they can show. */
            flow_screen_end(def, &def->ends[e], l, NULL, screen, sizeof screen);
            snprintf(name, sizeof name, "%s%s", e ? "ends." : "", def->ends[e].id);
            check_screen(ld, screen, def->ends[e].text.pos[l], l, name);
        }
        if (def->msg_resume.s[l]) {
            flow_screen_resume(def, l, screen, sizeof screen);
            check_screen(ld, screen, def->msg_resume.pos[l], l, "messages.resume");
        }
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
    static const char *const label_keys[] = {"yes",  "no",       "more",    "back",
                                             "done", "continue", "restart", NULL};
    static const struct {
        const char *key, *english;
        size_t offset;
    } labels[] = {
        {"yes", "Yes", offsetof(struct flow_def, label_yes)},
        {"no", "No", offsetof(struct flow_def, label_no)},
        {"more", "More", offsetof(struct flow_def, label_more)},
        {"back", "Back", offsetof(struct flow_def, label_back)},
        {"done", "Done", offsetof(struct flow_def, label_done)},
        {"continue", "Continue where you left off", offsetof(struct flow_def, label_continue)},
        {"restart", "Start again", offsetof(struct flow_def, label_restart)}};
    struct flow_def *def = ld->def;
    get_ltext(ld, root, "language_names", "",
              def->n_langs > 1 ? "a flow with several languages opens with a language menu" : NULL,
              &def->language_names);
    const struct ynode *m = get_map(ld, root, "labels", "labels", label_keys, NULL);
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        get_ltext_default(ld, m, labels[i].key, "labels.", labels[i].english,
                          (struct flow_text *)((char *)def + labels[i].offset));
    get_ltext_default(ld, root, "prefer_not_to_say", "", "Prefer not to say", &def->prefer_not);
    get_ltext(ld, root, "help", "", NULL, &def->help);
}

/* `adaptations`: a list of sentences for the data's documentation (one language, like title). */
static void load_adaptations(struct loader *ld, const struct ynode *root)
{
    const struct ynode *list = ynode_get(root, "adaptations");
    if (!list)
        return;
    if (ynode_expect(list, YNODE_SEQ, "adaptations", ld->errs) < 0) {
        ld->bad++;
        return;
    }
    if (list->n > FLOW_ADAPTATIONS_MAX) {
        problem(ld, list, "adaptations: at most %d entries", FLOW_ADAPTATIONS_MAX);
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        struct flow_def *def = ld->def;
        copy_scalar(ld, list->items[i], "adaptations", &def->adaptations[def->n_adaptations]);
        if (!def->adaptations[def->n_adaptations])
            return; /* reported */
        def->n_adaptations++;
    }
}

static void load_root(struct loader *ld, const struct ynode *root)
{
    static const char *const keys[] = {
        "id",       "version",     "title",   "language", "languages", "language_names",
        "channels", "max_retries", "consent", "labels",   "help",      "prefer_not_to_say",
        "steps",    "messages",    "end",     "ends",     "keywords",  "sensitive",
        "derived",  "adaptations", NULL};
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
    load_adaptations(ld, root);
    load_languages(ld, root);
    get_int(ld, root, "max_retries", "max_retries", 0, 5, &retries);
    def->max_retries = (int)retries;
    load_channels(ld, root);
    load_sensitive(ld, root);
    if (!def->n_langs)
        return; /* every text below would be measured against no language */
    load_shared_texts(ld, root);
    load_keywords(ld, root);
    load_consent(ld, root);
    load_steps(ld, root);
    load_messages(ld, root);
    load_ends(ld, root);
    load_derived(ld, root);
    load_included_derived(ld);
    if (ld->bad)
        return; /* links, paths and screens need every step, end and text in place */
    for (size_t i = 0; i < def->n_steps; i++) {
        const char *file;
        enter_src(ld, &ld->srcs[i], &file);
        load_links(ld, ld->srcs[i].node, i, ld->srcs[i].index);
        leave_src(ld, file);
    }
    if (ld->bad)
        return;
    unsigned long long must[NODES_MAX];
    int reached[NODES_MAX];
    check_paths(ld, must, reached);
    check_quotes(ld, must, reached);
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

/*
 * Loads a flow file's bytes; embedded (may be NULL: read them from disk)
 * holds its areas files and included its modules, as flow_def_source()
 * writes them. is_module: the flow is a module being included.
 */
static struct flow_def *load(const char *name, const char *buf, size_t len, const char *embedded,
                             size_t embedded_len, const char *included, size_t included_len,
                             int is_module, struct raia_errlist *errs,
                             struct raia_errlist *warnings)
{
    size_t before = errs->n;
    long reserved = reserved_mark_line(buf, len);
    if (reserved) {
        report_reserved_mark(errs, name, reserved);
        return NULL;
    }
    struct ydoc *doc = ydoc_load_buf(name, buf, len, errs);
    if (!doc)
        return NULL;
    struct flow_def *def = calloc(1, sizeof *def);
    struct loader ld = {.def = def,
                        .errs = errs,
                        .warns = warnings,
                        .file = doc->file,
                        .embedded = embedded,
                        .embedded_len = embedded_len,
                        .included = included,
                        .included_len = included_len,
                        .is_module = is_module};
    if (!def) {
        raia_errlist_add(errs, name, 0, 0, "out of memory");
        ydoc_free(doc);
        return NULL;
    }
    strbuf_append(&ld.source, buf, len);
    def->refs = 1;
    def->file = strdup(name);
    if (!doc->root)
        problem(&ld, NULL, "empty file: a flow needs id, version, consent and steps");
    else
        load_root(&ld, doc->root);
    ydoc_free(doc);
    for (size_t k = 0; k < ld.n_incs; k++)
        ydoc_free(ld.incs[k].doc);
    strbuf_append(&ld.source, ld.modules.data ? ld.modules.data : "", ld.modules.len);
    strbuf_free(&ld.modules);
    if (ld.source.oom || ld.modules.oom || !ld.source.data)
        raia_errlist_add(errs, name, 0, 0, "out of memory");
    if (ld.bad || errs->n > before || !def->file) {
        strbuf_free(&ld.source);
        flow_def_unref(def);
        return NULL;
    }
    checksum(ld.source.data, ld.source.len, def->checksum);
    def->source = ld.source.data; /* takes ownership */
    return def;
}

struct flow_def *flow_def_load_buf_ex(const char *name, const char *buf, size_t len,
                                      struct raia_errlist *errs, struct raia_errlist *warnings)
{
    return load(name, buf, len, NULL, 0, NULL, 0, 0, errs, warnings);
}

/* The flow, then its areas files, then its modules (each with its areas files). */
struct flow_def *flow_def_load_source(const char *name, const char *source, size_t len,
                                      struct raia_errlist *errs)
{
    const char *end = source + len;
    const char *inc = len ? mark_line(source + 1, end, FLOW_INCLUDE_MARK) : NULL;
    const char *head = inc ? inc - 1 : end; /* the newline before the first module */
    const char *areas = len ? mark_line(source + 1, head, FLOW_AREAS_MARK) : NULL;
    const char *flow_end = areas ? areas - 1 : head;
    return load(name, source, (size_t)(flow_end - source), flow_end, (size_t)(head - flow_end),
                head, (size_t)(end - head), 0, errs, NULL);
}

struct flow_def *flow_def_load_buf(const char *name, const char *buf, size_t len,
                                   struct raia_errlist *errs)
{
    return flow_def_load_buf_ex(name, buf, len, errs, NULL);
}

struct flow_def *flow_def_load_ex(const char *path, struct raia_errlist *errs,
                                  struct raia_errlist *warnings)
{
    char *buf;
    size_t len;
    enum read_result r = read_all(path, FLOW_FILE_MAX, &buf, &len);
    struct flow_def *def = NULL;
    if (r == READ_OPEN)
        raia_errlist_add(errs, path, 0, 0, "cannot open: %s", strerror(errno));
    else if (r == READ_NOMEM)
        raia_errlist_add(errs, path, 0, 0, "out of memory");
    else if (r == READ_ERROR)
        raia_errlist_add(errs, path, 0, 0, "read error");
    else if (r == READ_BIG)
        raia_errlist_add(errs, path, 0, 0, "larger than 1 MiB: not a flow file");
    else
        def = flow_def_load_buf_ex(path, buf, len, errs, warnings);
    free(buf);
    return def;
}

struct flow_def *flow_def_load(const char *path, struct raia_errlist *errs)
{
    return flow_def_load_ex(path, errs, NULL);
}
