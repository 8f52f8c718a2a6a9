/*
 * export_privacy.c - banding, location levels and the k-anonymity check
 * of `raia export` (see export_privacy.h).
 *
 * The check runs before any file is opened: export_cmd.c calls
 * export_privacy_check() inside the export's snapshot, and a refusal ends
 * the export with nothing written. The database returns one count per
 * combination of raw key values; bands are applied here and equal banded
 * combinations merged (sorted, then summed), so memory grows with the
 * number of distinct combinations, never with the number of sessions.
 * A key variable not answered counts as a value of its own.
 */
#include "export_privacy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "export_table.h"

/*
 * Questions (by id or type) and derived variables (by id) that describe who
 * a person is: the default key variables.
 */
static const char *const key_names[] = {"sex", "gender", "age", "location", "disability"};
#define KEY_SEP '\x1f'
#define NOT_ANSWERED "(not answered)"

static int step_type_is(const struct flow_def *def, size_t s, const char *type)
{
    return strcmp(flow_def_step_type(def, s), type) == 0;
}

/* An age question: type age (when the flow language has it), or a number step named age. */
static int is_age(const struct flow_def *def, size_t s)
{
    return step_type_is(def, s, "age") ||
           (step_type_is(def, s, "number") && strcmp(flow_def_step_id(def, s), "age") == 0);
}

static long step_index(const struct flow_def *def, const char *id, size_t len)
{
    for (size_t s = 0; s < flow_def_step_count(def); s++)
        if (strlen(flow_def_step_id(def, s)) == len &&
            strncmp(flow_def_step_id(def, s), id, len) == 0)
            return (long)s;
    return -1;
}

static int parse_band(const struct flow_def *def, const char *arg, struct export_privacy *p,
                      char *msg, size_t size)
{
    const char *eq = strchr(arg, '=');
    long s = eq ? step_index(def, arg, (size_t)(eq - arg)) : -1;
    char *end = NULL;
    long w = eq ? strtol(eq + 1, &end, 10) : 0;
    if (!eq || end == eq + 1 || *end || w < 1 || w > 100) {
        snprintf(msg, size, "--band takes STEP=WIDTH, a width of 1 to 100 (1: exact values)");
        return -1;
    }
    if (s < 0 || !(is_age(def, (size_t)s) || step_type_is(def, (size_t)s, "number"))) {
        snprintf(msg, size, "--band %.*s: not a number question of this flow", (int)(eq - arg),
                 arg);
        return -1;
    }
    p->band[s] = w > 1 ? (int)w : 0;
    p->band_by_default[s] = 0;
    return 0;
}

/* The levels of location step s as "1 region, 2 district, 3 ward". */
static void level_list(const struct flow_def *def, size_t s, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < flow_def_step_level_count(def, s) && n < size; k++)
        n += (size_t)snprintf(buf + n, size - n, "%s%zu %s", k ? ", " : "", k + 1,
                              flow_def_step_level(def, s, k));
}

/* --location STEP=LEVEL: LEVEL a number (1 the coarsest) or one of the step's level ids. */
static int parse_location(const struct flow_def *def, const char *arg, struct export_privacy *p,
                          char *msg, size_t size)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        snprintf(msg, size,
                 "--location takes STEP=LEVEL: a level number (1: the coarsest) or a level id "
                 "of the step's areas");
        return -1;
    }
    int len = (int)(eq - arg);
    long s = step_index(def, arg, (size_t)len);
    if (s < 0) {
        snprintf(msg, size, "--location %.*s: no question '%.*s' in this flow", len, arg, len, arg);
        return -1;
    }
    if (!step_type_is(def, (size_t)s, "location")) {
        snprintf(msg, size, "--location %.*s: not a location question of this flow (a %s question)",
                 len, arg, flow_def_step_type(def, (size_t)s));
        return -1;
    }
    size_t n = flow_def_step_level_count(def, (size_t)s);
    long k = -1;
    char *end;
    long num = strtol(eq + 1, &end, 10);
    if (eq[1] >= '0' && eq[1] <= '9' && !*end)
        k = num >= 1 && (size_t)num <= n ? num - 1 : -1;
    for (size_t i = 0; k < 0 && i < n; i++)
        if (strcmp(eq + 1, flow_def_step_level(def, (size_t)s, i)) == 0)
            k = (long)i;
    if (k < 0) {
        char levels[256];
        level_list(def, (size_t)s, levels, sizeof levels);
        snprintf(msg, size, "--location %s: %.*s has no level '%s' (its levels: %s)", arg, len, arg,
                 eq + 1, levels);
        return -1;
    }
    p->level[s] = (int)k;
    p->level_by_option[s] = 1;
    return 0;
}

/* The derived variable named id (len bytes) as a key index, FLOW_STEPS_MAX + d, or -1. */
static long derived_key(const struct flow_def *def, const char *id, size_t len)
{
    for (size_t d = 0; d < flow_def_derived_count(def); d++)
        if (strlen(flow_def_derived_id(def, d)) == len &&
            strncmp(flow_def_derived_id(def, d), id, len) == 0)
            return FLOW_STEPS_MAX + (long)d;
    return -1;
}

const char *export_privacy_key_name(const struct flow_def *def, const struct export_privacy *p,
                                    size_t i)
{
    size_t k = p->keys[i];
    return k < FLOW_STEPS_MAX ? flow_def_step_id(def, k)
                              : flow_def_derived_id(def, k - FLOW_STEPS_MAX);
}

/* Add key s (a step, or FLOW_STEPS_MAX + a derived variable: categorical like a choice). */
static int add_key(const struct flow_def *def, size_t s, struct export_privacy *p, char *msg,
                   size_t size)
{
    for (size_t i = 0; i < p->n_keys; i++)
        if (p->keys[i] == s)
            return 0;
    if (s < FLOW_STEPS_MAX && step_type_is(def, s, "text")) {
        snprintf(msg, size, "--key-vars %s: free text cannot be a key variable",
                 flow_def_step_id(def, s));
        return -1;
    }
    if (p->n_keys == EXPORT_KEYS_MAX) {
        snprintf(msg, size, "--key-vars: at most %d key variables", EXPORT_KEYS_MAX);
        return -1;
    }
    p->keys[p->n_keys++] = s;
    return 0;
}

int export_privacy_resolve(const struct flow_def *def, const struct export_opts *opts,
                           struct export_privacy *p, char *msg, size_t size)
{
    *p = (struct export_privacy){.k = opts->k ? opts->k : EXPORT_K_DEFAULT, .smallest = -1};
    size_t n_steps = flow_def_step_count(def);
    for (size_t s = 0; s < n_steps; s++) {
        if (is_age(def, s))
            p->band[s] = EXPORT_AGE_BAND_DEFAULT, p->band_by_default[s] = 1;
        p->coarsen[s] = step_type_is(def, s, "location"); /* level[s] 0: the coarsest */
    }
    for (size_t i = 0; i < opts->n_bands; i++)
        if (parse_band(def, opts->bands[i], p, msg, size) < 0)
            return -1;
    for (size_t i = 0; i < opts->n_locations; i++)
        if (parse_location(def, opts->locations[i], p, msg, size) < 0)
            return -1;
    if (!opts->key_vars) {
        for (size_t s = 0; s < n_steps; s++)
            for (size_t k = 0; k < sizeof key_names / sizeof key_names[0]; k++)
                if ((strcmp(flow_def_step_id(def, s), key_names[k]) == 0 ||
                     step_type_is(def, s, key_names[k])) &&
                    !step_type_is(def, s, "text") && add_key(def, s, p, msg, size) < 0)
                    return -1;
        for (size_t k = 0; k < sizeof key_names / sizeof key_names[0]; k++) {
            long d = derived_key(def, key_names[k], strlen(key_names[k]));
            if (d >= 0 && add_key(def, (size_t)d, p, msg, size) < 0)
                return -1;
        }
        return 0;
    }
    for (const char *a = opts->key_vars; *a;) {
        size_t len = strcspn(a, ",");
        long s = step_index(def, a, len);
        if (s < 0)
            s = derived_key(def, a, len);
        if (s < 0) {
            snprintf(msg, size, "--key-vars: no question or derived variable '%.*s' in this flow",
                     (int)len, a);
            return -1;
        }
        if (add_key(def, (size_t)s, p, msg, size) < 0)
            return -1;
        a += len + (a[len] == ',');
    }
    return 0;
}

/* Does s read as a number? Bands apply to numbers only ("refused" stays a code). */
static int parse_number(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return 0;
    *out = strtod(s, &end);
    return *end == '\0' && isfinite(*out);
}

static void band_label(long lower, int width, char *buf, size_t size)
{
    snprintf(buf, size, "%ld-%ld", lower, lower + width - 1);
}

const char *export_privacy_value(const struct flow_def *def, const struct export_privacy *p,
                                 size_t step, const char *value, char *buf, size_t size)
{
    double v;
    if (step < FLOW_STEPS_MAX && p->coarsen[step] && value) {
        const char *up = value;
        for (size_t depth = 0;
             depth < FLOW_LEVELS_MAX && flow_def_area_level(def, step, up) > p->level[step] &&
             flow_def_area_parent(def, step, up);
             depth++)
            up = flow_def_area_parent(def, step, up);
        return up;
    }
    if (step >= FLOW_STEPS_MAX || !p->band[step] || !parse_number(value, &v))
        return value;
    long w = p->band[step];
    band_label((long)floor(v / (double)w) * w, (int)w, buf, size);
    return buf;
}

const char *export_privacy_area_next(const struct flow_def *def, const struct export_privacy *p,
                                     size_t step, size_t *a, long *value)
{
    int level;
    for (const char *code; (code = flow_def_area_at(def, step, *a, &level)) != NULL;) {
        *value = (long)++*a;
        if (level == p->level[step] ||
            (level < p->level[step] && (p->coarser_levels[step] & (1u << level))))
            return code;
    }
    return NULL;
}

long export_privacy_area_value(const struct flow_def *def, size_t step, const char *code)
{
    const char *c;
    for (size_t a = 0; code && (c = flow_def_area_at(def, step, a, NULL)) != NULL; a++)
        if (strcmp(c, code) == 0)
            return (long)a + 1;
    return 0;
}

void export_privacy_levels_json(const struct flow_def *def, const struct export_privacy *p,
                                struct strbuf *sb)
{
    strbuf_append(sb, "{", 1);
    const char *sep = "";
    for (size_t s = 0; s < flow_def_step_count(def); s++) {
        if (!p->coarsen[s])
            continue;
        strbuf_puts(sb, sep);
        strbuf_json_str(sb, flow_def_step_id(def, s));
        strbuf_printf(sb, ":{\"level\":%d,\"id\":", p->level[s] + 1);
        strbuf_json_str(sb, flow_def_step_level(def, s, (size_t)p->level[s]));
        strbuf_printf(sb, ",\"levels\":%zu,\"asked\":%s,\"kept_coarser\":%lld}",
                      flow_def_step_level_count(def, s), p->level_by_option[s] ? "true" : "false",
                      p->kept_coarser[s]);
        sep = ",";
    }
    strbuf_append(sb, "}", 1);
}

size_t export_privacy_band_at(const struct flow_def *def, const struct export_privacy *p,
                              size_t step, size_t i, long *lower, char *label, size_t size)
{
    char min[32], max[32];
    double lo, hi;
    if (!p->band[step] || !flow_def_step_range(def, step, min, max, sizeof min) ||
        !parse_number(min, &lo) || !parse_number(max, &hi))
        return 0;
    long w = p->band[step];
    long first = (long)floor(lo / (double)w) * w, last = (long)floor(hi / (double)w) * w;
    size_t n = (size_t)((last - first) / w + 1);
    if (n > EXPORT_BANDS_LISTED)
        return 0;
    *lower = first + (long)i * w;
    band_label(*lower, (int)w, label, size);
    return n;
}

/* ---- the check ---- */

struct combo {
    char *key; /* the banded values joined by KEY_SEP */
    long long count;
};

struct combos {
    const struct flow_def *def;
    const struct export_privacy *p;
    struct combo *v;
    size_t n, cap;
};

static int combo_add(const char *const *values, long long count, void *ctx)
{
    struct combos *c = ctx;
    struct strbuf key = {0};
    char band[48];
    for (size_t i = 0; i < c->p->n_keys; i++) {
        if (i)
            strbuf_append(&key, (char[]){KEY_SEP}, 1);
        const char *v = values[i] ? values[i] : NOT_ANSWERED;
        strbuf_puts(&key, values[i] ? export_privacy_value(c->def, c->p, c->p->keys[i], v, band,
                                                           sizeof band)
                                    : v);
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        struct combo *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            key.oom = 1;
        else
            c->v = v, c->cap = cap;
    }
    if (key.oom) {
        strbuf_free(&key);
        return -RAIA_ENOMEM;
    }
    c->v[c->n++] = (struct combo){strdup(strbuf_cstr(&key)), count};
    strbuf_free(&key);
    return c->v[c->n - 1].key ? 0 : -RAIA_ENOMEM;
}

static int combo_cmp(const void *a, const void *b)
{
    return strcmp(((const struct combo *)a)->key, ((const struct combo *)b)->key);
}

/* Sum the counts of combinations that banding made equal; returns the new count. */
static size_t combos_merge(struct combos *c)
{
    if (c->n == 0)
        return 0;
    qsort(c->v, c->n, sizeof *c->v, combo_cmp);
    size_t out = 0;
    for (size_t i = 1; i < c->n; i++) {
        if (strcmp(c->v[i].key, c->v[out].key) == 0) {
            c->v[out].count += c->v[i].count;
            free(c->v[i].key);
        } else {
            c->v[++out] = c->v[i];
        }
    }
    return out + 1;
}

static void print_combo(const struct flow_def *def, const struct export_privacy *p,
                        const struct combo *c, FILE *report)
{
    const char *v = c->key;
    fputs("  ", report);
    for (size_t i = 0; i < p->n_keys; i++) {
        size_t len = strcspn(v, (char[]){KEY_SEP, 0});
        fprintf(report, "%s%s=%.*s", i ? ", " : "", export_privacy_key_name(def, p, i), (int)len,
                v);
        v += len + (v[len] == KEY_SEP);
    }
    fprintf(report, ": %lld session%s\n", c->count, c->count == 1 ? "" : "s");
}

struct coarser {
    const struct flow_def *def;
    struct export_privacy *p;
    size_t step;
};

/* One stored answer of a location step with its count: coarser than the level kept? */
static int coarser_add(const char *const *values, long long count, void *ctx)
{
    struct coarser *c = ctx;
    int level = values[0] ? flow_def_area_level(c->def, c->step, values[0]) : -1;
    if (level >= 0 && level < c->p->level[c->step]) {
        c->p->coarser_levels[c->step] |= 1u << level;
        c->p->kept_coarser[c->step] += count;
    }
    return 0;
}

/* Which location answers are coarser than the level kept (counts only, like the check). */
static int survey_levels(struct export_db *db, const struct export_opts *opts, int version,
                         const struct flow_def *def, struct export_privacy *p, struct raia_err *err)
{
    int rc = 0;
    for (size_t s = 0; rc == 0 && s < flow_def_step_count(def); s++) {
        if (!p->coarsen[s] || p->level[s] == 0)
            continue;
        const char *question = flow_def_step_id(def, s);
        struct coarser c = {def, p, s};
        rc = export_db_combos(db, opts->flow, version, opts->since, &question, 1, coarser_add, &c,
                              err);
    }
    return rc;
}

int export_privacy_check(struct export_db *db, const struct export_opts *opts, int version,
                         const struct flow_def *def, struct export_privacy *p, FILE *report,
                         struct raia_err *err)
{
    int levels_rc = survey_levels(db, opts, version, def, p, err);
    if (levels_rc != 0 || p->n_keys == 0)
        return levels_rc;
    const char *questions[EXPORT_KEYS_MAX];
    for (size_t i = 0; i < p->n_keys; i++)
        questions[i] = export_privacy_key_name(def, p, i);
    struct combos c = {.def = def, .p = p};
    int rc = export_db_combos(db, opts->flow, version, opts->since, questions, p->n_keys, combo_add,
                              &c, err);
    if (rc == -RAIA_ENOMEM)
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
    size_t n = rc == 0 ? combos_merge(&c) : c.n;
    size_t small = 0;
    p->combinations = (long long)n;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (p->smallest < 0 || c.v[i].count < p->smallest)
            p->smallest = c.v[i].count;
        small += c.v[i].count < p->k;
    }
    if (rc == 0 && small) {
        fprintf(report,
                "raia export: refused: k-anonymity does not hold: %zu of %zu combinations of ",
                small, n);
        for (size_t i = 0; i < p->n_keys; i++)
            fprintf(report, "%s%s", i ? ", " : "", questions[i]);
        fprintf(report, " occur in fewer than k = %d sessions; nothing was written.\n", p->k);
        for (size_t i = 0; i < n; i++)
            if (c.v[i].count < p->k)
                print_combo(def, p, &c.v[i], report);
        fprintf(report, "raia export: widen the bands (--band), choose a coarser location level "
                        "(--location), other key variables (--key-vars) or wait for more "
                        "responses\n");
        rc = 1;
    }
    for (size_t i = 0; i < n; i++)
        free(c.v[i].key);
    free(c.v);
    return rc;
}

void export_privacy_describe(const struct flow_def *def, const struct export_opts *opts,
                             const struct export_privacy *p, const char *prefix, struct strbuf *sb)
{
    strbuf_printf(sb, "%sTimes cut to the day (UTC); rows in random order.\n", prefix);
    strbuf_printf(sb,
                  "%sRespondents replaced by random ids valid in this export only; no pseudonym "
                  "or phone number exported.\n",
                  prefix);
    struct strbuf texts = {0};
    for (size_t s = 0; s < flow_def_step_count(def); s++)
        if (step_type_is(def, s, "text"))
            strbuf_printf(&texts, "%s%s", texts.len ? ", " : "", flow_def_step_id(def, s));
    if (texts.len && opts->free_text)
        strbuf_printf(sb, "%sFree text included (--free-text): %s.\n", prefix, strbuf_cstr(&texts));
    else if (texts.len)
        strbuf_printf(sb, "%sFree text left out: %s (export with --free-text).\n", prefix,
                      strbuf_cstr(&texts));
    strbuf_free(&texts);
    for (size_t s = 0; s < flow_def_step_count(def); s++)
        if (p->band[s])
            strbuf_printf(sb, "%sBanded: %s in %d-wide groups%s.\n", prefix,
                          flow_def_step_id(def, s), p->band[s],
                          p->band_by_default[s] ? " (the default for age)" : " (--band)");
    for (size_t s = 0; s < flow_def_step_count(def); s++) {
        if (!p->coarsen[s])
            continue;
        const char *level = flow_def_step_level(def, s, (size_t)p->level[s]);
        size_t n = flow_def_step_level_count(def, s);
        if (p->level[s] == 0)
            strbuf_printf(sb, "%sCoarsened: %s to its coarsest level (%s)%s.\n", prefix,
                          flow_def_step_id(def, s), level ? level : "",
                          p->level_by_option[s] ? " (--location)" : "");
        else
            strbuf_printf(sb,
                          "%s%s: %s at level %d of %zu (%s, --location); an answer recorded at "
                          "a coarser level keeps its own code (%lld session%s).\n",
                          prefix, (size_t)p->level[s] + 1 < n ? "Coarsened" : "Not coarsened",
                          flow_def_step_id(def, s), p->level[s] + 1, n, level ? level : "",
                          p->kept_coarser[s], p->kept_coarser[s] == 1 ? "" : "s");
    }
    if (p->n_keys == 0) {
        strbuf_printf(sb,
                      "%sk-anonymity not checked: the flow has no key variable (a question "
                      "or derived variable named sex, gender, age, location or disability); "
                      "name some with --key-vars.\n",
                      prefix);
        return;
    }
    strbuf_printf(sb, "%sk-anonymity holds (k = %d) on ", prefix, p->k);
    for (size_t i = 0; i < p->n_keys; i++)
        strbuf_printf(sb, "%s%s", i ? ", " : "", export_privacy_key_name(def, p, i));
    strbuf_printf(sb, ": %lld combinations, the rarest in %lld sessions.\n", p->combinations,
                  p->smallest < 0 ? 0 : p->smallest);
}
