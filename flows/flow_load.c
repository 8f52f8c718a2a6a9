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

/* Copies a required (or optional) non-empty string at key of map into *slot. */
static void get_text(struct loader *ld, const struct ynode *map, const char *key, const char *where,
                     int required, char **slot)
{
    const struct ynode *v = ynode_get(map, key);
    char what[96];
    snprintf(what, sizeof what, "%s%s", where, key);
    if (!v) {
        if (required)
            problem(ld, map, "%s: missing (required)", what);
        return;
    }
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
    get_text(ld, m, "text", "consent.", 1, &c->text);
    get_text(ld, m, "accept", "consent.", 1, &c->accept);
    get_text(ld, m, "decline", "consent.", 1, &c->decline);
    get_text(ld, m, "declined", "consent.", 1, &c->declined);
    c->pos = pos_of(ynode_get(m, "text"));
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
    if (list->n < 2 || list->n > FLOW_CHOICES_MAX) {
        problem(ld, list, "%s: need 2 to 9 choices", what);
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
        get_text(ld, item, "label", w, 1, &c->label);
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

static void load_step(struct loader *ld, const struct ynode *m, size_t index)
{
    static const char *const common[] = {"id", "type", "text", "error", NULL};
    static const char *const choice_keys[] = {"id", "type", "text", "error", "choices", NULL};
    static const char *const number_keys[] = {"id", "type", "text", "error", "min", "max", NULL};
    static const char *const text_keys[] = {"id", "type", "text", "error", "max_length", NULL};
    struct flow_def *def = ld->def;
    struct flow_step_def *s = &def->steps[def->n_steps++];
    char where[40];
    snprintf(where, sizeof where, "steps[%zu].", index);
    if (ynode_expect(m, YNODE_MAP, "step", ld->errs) < 0) {
        ld->bad++;
        return;
    }
    get_text(ld, m, "id", where, 1, &s->id);
    if (s->id && (!valid_id(s->id) || strcmp(s->id, FLOW_CONSENT_STEP) == 0))
        problem(ld, ynode_get(m, "id"),
                "%sid: '%s' must be 1 to 63 of a-z, 0-9, '_' and '-', and not 'consent'", where,
                s->id);
    for (size_t j = 0; s->id && j + 1 < def->n_steps; j++)
        if (def->steps[j].id && strcmp(def->steps[j].id, s->id) == 0)
            problem(ld, ynode_get(m, "id"), "%sid: '%s' is used by an earlier step", where, s->id);

    get_text(ld, m, "text", where, 1, &s->text);
    get_text(ld, m, "error", where, 0, &s->error);
    s->pos = pos_of(ynode_get(m, "text"));

    char *type = NULL;
    get_text(ld, m, "type", where, 1, &type);
    const char *const *keys = common;
    if (type && strcmp(type, "choice") == 0) {
        s->type = STEP_CHOICE;
        keys = choice_keys;
        load_choices(ld, m, s, where);
    } else if (type && strcmp(type, "number") == 0) {
        s->type = STEP_NUMBER;
        keys = number_keys;
        char what[64];
        s->min = 0;
        s->max = 999999999;
        snprintf(what, sizeof what, "%smin", where);
        get_int(ld, m, "min", what, -999999999, 999999999, &s->min);
        snprintf(what, sizeof what, "%smax", where);
        get_int(ld, m, "max", what, -999999999, 999999999, &s->max);
        if (s->min > s->max)
            problem(ld, ynode_get(m, "min"), "%smin: greater than %smax", where, where);
    } else if (type && strcmp(type, "text") == 0) {
        long long max_length = 160;
        char what[64];
        s->type = STEP_TEXT;
        keys = text_keys;
        snprintf(what, sizeof what, "%smax_length", where);
        get_int(ld, m, "max_length", what, 1, 160, &max_length);
        s->max_length = (long)max_length;
    } else if (type) {
        problem(ld, ynode_get(m, "type"), "%stype: '%s' is not choice, number or text", where,
                type);
    }
    free(type);
    ld->bad += ynode_check_keys(m, keys, "step", ld->errs);
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
}

static void load_messages(struct loader *ld, const struct ynode *root)
{
    static const char *const keys[] = {"invalid", "abandoned", "stopped", NULL};
    struct flow_def *def = ld->def;
    const struct ynode *m =
        get_map(ld, root, "messages", "messages", keys, "invalid, abandoned and stopped texts");
    if (!m)
        return;
    get_text(ld, m, "invalid", "messages.", 1, &def->msg_invalid);
    get_text(ld, m, "abandoned", "messages.", 1, &def->msg_abandoned);
    get_text(ld, m, "stopped", "messages.", 1, &def->msg_stopped);
    def->messages_pos = pos_of(m);
}

/* Measures one screen on every channel the flow uses. */
static void check_screen(struct loader *ld, const char *screen, struct flow_pos at,
                         const char *name)
{
    const struct flow_def *def = ld->def;
    for (int ch = FLOW_CHANNEL_USSD; ch <= FLOW_CHANNEL_SMS; ch++) {
        if ((ch == FLOW_CHANNEL_USSD && !def->ussd_code) ||
            (ch == FLOW_CHANNEL_SMS && !def->sms_short_code))
            continue;
        long used, limit;
        const char *enc;
        if (flow_screen_fits(screen, (enum flow_channel)ch, &used, &limit, &enc))
            continue;
        raia_errlist_add(ld->errs, ld->file, at.line, at.col,
                         "%s: the %s screen is %ld characters in %s, more than %ld", name,
                         ch == FLOW_CHANNEL_USSD ? "USSD" : "SMS", used, enc, limit);
        ld->bad++;
    }
}

/* Every screen the engine can show, built as the engine builds it. */
static void check_screens(struct loader *ld)
{
    struct flow_def *def = ld->def;
    char screen[FLOW_SCREEN_MAX];
    flow_screen_consent(def, screen, sizeof screen);
    check_screen(ld, screen, def->consent.pos, "consent");
    flow_screen_consent_reprompt(def, screen, sizeof screen);
    check_screen(ld, screen, def->consent.pos, "consent after an invalid answer");
    check_screen(ld, def->consent.declined, def->consent.pos, "consent.declined");
    for (size_t i = 0; i < def->n_steps; i++) {
        const struct flow_step_def *s = &def->steps[i];
        char name[96];
        snprintf(name, sizeof name, "step '%s'", s->id);
        flow_screen_step(s, screen, sizeof screen);
        check_screen(ld, screen, s->pos, name);
        snprintf(name, sizeof name, "step '%s' after an invalid answer", s->id);
        flow_screen_reprompt(def, s, screen, sizeof screen);
        check_screen(ld, screen, s->pos, name);
    }
    check_screen(ld, def->msg_abandoned, def->messages_pos, "messages.abandoned");
    check_screen(ld, def->msg_stopped, def->messages_pos, "messages.stopped");
    check_screen(ld, def->end_text, def->end_pos, "end");
}

static void load_root(struct loader *ld, const struct ynode *root)
{
    static const char *const keys[] = {"id",       "version",     "title",   "language",
                                       "channels", "max_retries", "consent", "steps",
                                       "messages", "end",         NULL};
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
    get_text(ld, root, "language", "", 1, &def->language);
    const char *lang = def->language;
    if (lang && (strlen(lang) < 2 || strlen(lang) > 3 ||
                 strspn(lang, "abcdefghijklmnopqrstuvwxyz") != strlen(lang)))
        problem(ld, ynode_get(root, "language"),
                "language: '%s' is not an ISO 639 code such as en, sw or fr", lang);
    get_int(ld, root, "max_retries", "max_retries", 0, 5, &retries);
    def->max_retries = (int)retries;
    load_channels(ld, root);
    load_consent(ld, root);
    load_steps(ld, root);
    load_messages(ld, root);
    get_text(ld, root, "end", "", 1, &def->end_text);
    def->end_pos = pos_of(ynode_get(root, "end"));
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
