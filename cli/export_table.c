/*
 * export_table.c - rows of `raia export` (see export_table.h).
 *
 * export_db_stream() delivers one session-and-answer row at a time, ordered
 * by session. In the wide layout the table keeps the current session's
 * values (one slot per flow step, then one per derived variable, which the
 * gateway stores as one more answer when a session completes) and writes
 * the row when the next session begins or the stream ends; in the long
 * layout each answer is written at once. Either way it holds one session at most. Rows go out as CSV or
 * JSON Lines here, or through export_stat.c as .sav / .dta. Answers to
 * banded questions and locations are coarsened as they arrive
 * (export_privacy_value). Every file of an export is written as
 * out_dir/.NAME.part and renamed only when the whole export is complete
 * (export_commit_files), so a failed or interrupted export never leaves a
 * file that looks whole.
 */
#include "export_table.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export_stat.h"
#include "strbuf.h"

#define RESPONDENT_BYTES 8 /* 16 hex characters: unique enough within one export */
#define PROGRESS_EVERY 10000

enum wide_col {
    W_RESPONSE,
    W_RESPONDENT,
    W_VERSION,
    W_LANGUAGE,
    W_CHANNEL,
    W_OPERATOR,
    W_STARTED,
    W_OUTCOME,
    W_FIXED
};
enum long_col { L_RESPONSE, L_RESPONDENT, L_QUESTION, L_CODE, L_VALUE, L_ANSWERED, L_FIXED };

static const struct export_column wide_fixed[W_FIXED] = {
    {"response", EXPORT_KIND_INTEGER, -1, -1},     {"respondent", EXPORT_KIND_STRING, -1, -1},
    {"flow_version", EXPORT_KIND_INTEGER, -1, -1}, {"language", EXPORT_KIND_STRING, -1, -1},
    {"channel", EXPORT_KIND_STRING, -1, -1},       {"operator", EXPORT_KIND_STRING, -1, -1},
    {"started_on", EXPORT_KIND_DATE, -1, -1},      {"outcome", EXPORT_KIND_STRING, -1, -1}};
static const struct export_column long_fixed[L_FIXED] = {
    {"response", EXPORT_KIND_INTEGER, -1, -1}, {"respondent", EXPORT_KIND_STRING, -1, -1},
    {"question", EXPORT_KIND_STRING, -1, -1},  {"code", EXPORT_KIND_STRING, -1, -1},
    {"value", EXPORT_KIND_STRING, -1, -1},     {"answered_on", EXPORT_KIND_DATE, -1, -1}};

struct export_table {
    const struct flow_def *def;
    const struct export_opts *opts;
    const struct export_privacy *priv;
    char file[32];
    char *part_path;
    FILE *out;                /* csv, jsonl */
    struct export_stat *stat; /* sav, dta */
    struct export_column cols[EXPORT_COLUMNS_MAX];
    char names[EXPORT_COLUMNS_MAX][EXPORT_NAME_MAX]; /* valid names for sav / dta */
    size_t n_cols;
    int included[FLOW_STEPS_MAX]; /* step has a column / long rows */
    unsigned char key[32];        /* this export's respondent key; wiped on free */
    /* the session being folded */
    char *session_id;
    long long response;
    char response_text[24], respondent[65];        /* 16 hex, or a pseudonym's 64 */
    char *fixed[W_FIXED];                          /* wide: copies of the session's values */
    char *vals[FLOW_STEPS_MAX + FLOW_DERIVED_MAX]; /* by step, then by derived variable */
    struct strbuf line;
    struct export_stats stats;
    struct raia_err err;
    int tty;
};

static char *path_join(const char *dir, const char *prefix, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(prefix) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s%s", dir, prefix, name, suffix);
    return p;
}

static const char *const format_names[EXPORT_FORMAT_COUNT] = {"csv", "jsonl", "datapackage", "sav",
                                                              "dta"};

const char *export_format_name(enum export_format f)
{
    return f < EXPORT_FORMAT_COUNT ? format_names[f] : "";
}

int export_format_is_stat(enum export_format f)
{
    return f == EXPORT_FORMAT_SAV || f == EXPORT_FORMAT_DTA;
}

char *export_part_name(const char *dir, const char *name)
{
    return path_join(dir, ".", name, ".part");
}

int export_write_file(const char *dir, const char *name, const char *buf, size_t len,
                      struct raia_err *err)
{
    char *part = export_part_name(dir, name);
    int rc = 0;
    FILE *f = part ? fopen(part, "w") : NULL;
    if (!f) {
        rc = raia_err_set(err, RAIA_EIO, "%s/.%s.part: %s", dir, name, strerror(errno));
    } else {
        int bad = fwrite(buf, 1, len, f) != len;
        bad |= fclose(f) != 0;
        if (bad) {
            rc = raia_err_set(err, RAIA_EIO, "%s: %s", part, strerror(errno));
            unlink(part);
        }
    }
    free(part);
    return rc;
}

int export_clean_parts(const char *dir, const char *const *names)
{
    int removed = 0;
    for (size_t i = 0; names[i]; i++) {
        char *part = export_part_name(dir, names[i]);
        removed += part && unlink(part) == 0;
        free(part);
    }
    return removed;
}

int export_commit_files(const char *dir, const char *const *names, struct raia_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && names[i]; i++) {
        char *part = export_part_name(dir, names[i]), *path = path_join(dir, "", names[i], "");
        if (!part || !path)
            rc = raia_err_set(err, RAIA_ENOMEM, "out of memory");
        else if (rename(part, path) < 0)
            rc = raia_err_set(err, RAIA_EIO, "%s: %s", path, strerror(errno));
        free(part);
        free(path);
    }
    return rc;
}

/* Does s read as a number (what number and decimal steps store)? */
static int numeric(const char *s)
{
    const char *p = s + (*s == '-');
    size_t digits = strspn(p, "0123456789");
    if (!digits)
        return 0;
    p += digits;
    if (*p == '.' && p[1])
        p += 1 + strspn(p + 1, "0123456789");
    return *p == '\0';
}

/* One CSV or JSON Lines line: vals[i] is column i's value, NULL or "" for missing. */
static int write_line(struct export_table *t, const char *const *vals)
{
    struct strbuf *sb = &t->line;
    strbuf_reset(sb);
    int jsonl = t->opts->format == EXPORT_FORMAT_JSONL;
    if (jsonl)
        strbuf_append(sb, "{", 1);
    for (size_t i = 0; i < t->n_cols; i++) {
        const char *v = vals[i];
        if (jsonl) {
            strbuf_puts(sb, i ? "," : "");
            strbuf_json_str(sb, t->cols[i].name);
            strbuf_append(sb, ":", 1);
            if (!v || !*v)
                strbuf_puts(sb, "null");
            else if ((t->cols[i].kind == EXPORT_KIND_INTEGER ||
                      t->cols[i].kind == EXPORT_KIND_NUMBER) &&
                     numeric(v))
                strbuf_puts(sb, v);
            else
                strbuf_json_str(sb, v);
        } else {
            if (i)
                strbuf_append(sb, ",", 1);
            strbuf_csv_field(sb, v);
        }
    }
    strbuf_puts(sb, jsonl ? "}\n" : "\r\n");
    if (sb->oom)
        return raia_err_set(&t->err, RAIA_ENOMEM, "out of memory");
    if (fwrite(sb->data, 1, sb->len, t->out) != sb->len)
        return raia_err_set(&t->err, RAIA_EIO, "%s: %s", t->part_path, strerror(errno));
    return 0;
}

/* One row into the data file, whatever its format, and the progress line. */
static int write_row(struct export_table *t, const char *const *vals)
{
    int rc = t->stat ? export_stat_row(t->stat, vals, &t->err) : write_line(t, vals);
    if (rc < 0)
        return rc;
    t->stats.rows++;
    if (t->tty && t->stats.rows % PROGRESS_EVERY == 0)
        fprintf(stderr, "\rraia export: %lld rows", t->stats.rows);
    return 0;
}

static int step_is_choice(const struct flow_def *def, size_t step)
{
    return flow_def_step_choice_count(def, step) > 0;
}

static int step_is_text(const struct flow_def *def, size_t step)
{
    return strcmp(flow_def_step_type(def, step), "text") == 0;
}

/*
 * Names valid in SPSS / Stata for every column (export_stat_name), unique
 * without regard to case: a clash gets _2, _3 ... at the end.
 */
static void rename_columns(struct export_table *t)
{
    size_t max = t->opts->format == EXPORT_FORMAT_DTA ? 32 : 64;
    for (size_t i = 0; i < t->n_cols; i++) {
        char base[EXPORT_NAME_MAX], *name = t->names[i];
        export_stat_name(t->opts->format, t->cols[i].name, base, sizeof base);
        for (int n = 1;; n++) {
            char suffix[12] = "";
            if (n > 1)
                snprintf(suffix, sizeof suffix, "_%d", n);
            size_t keep = strlen(base);
            if (keep + strlen(suffix) > max)
                keep = max - strlen(suffix);
            snprintf(name, EXPORT_NAME_MAX, "%.*s%s", (int)keep, base, suffix);
            int clash = 0;
            for (size_t j = 0; j < i; j++)
                clash |= strcasecmp(t->names[j], name) == 0;
            if (!clash)
                break;
        }
        t->cols[i].name = name;
    }
}

static void build_columns(struct export_table *t)
{
    const struct flow_def *def = t->def;
    size_t n_steps = flow_def_step_count(def);
    for (size_t i = 0; i < n_steps; i++)
        t->included[i] = t->opts->free_text || !step_is_text(def, i);
    if (t->opts->long_form) {
        memcpy(t->cols, long_fixed, sizeof long_fixed);
        t->n_cols = L_FIXED;
        return;
    }
    memcpy(t->cols, wide_fixed, sizeof wide_fixed);
    t->n_cols = W_FIXED;
    for (size_t i = 0; i < n_steps; i++) {
        if (!t->included[i])
            continue;
        const char *type = flow_def_step_type(def, i);
        int whole =
            strcmp(type, "number") == 0 || strcmp(type, "age") == 0 || strcmp(type, "year") == 0;
        enum export_kind kind = t->priv->band[i]               ? EXPORT_KIND_STRING
                                : whole                        ? EXPORT_KIND_INTEGER
                                : strcmp(type, "decimal") == 0 ? EXPORT_KIND_NUMBER
                                : strcmp(type, "date") == 0    ? EXPORT_KIND_DATE
                                                               : EXPORT_KIND_STRING;
        t->cols[t->n_cols++] = (struct export_column){flow_def_step_id(def, i), kind, (int)i, -1};
    }
    for (size_t d = 0; d < flow_def_derived_count(def); d++)
        t->cols[t->n_cols++] =
            (struct export_column){flow_def_derived_id(def, d), EXPORT_KIND_STRING, -1, (int)d};
    if (export_format_is_stat(t->opts->format))
        rename_columns(t);
}

struct export_table *export_table_new(const struct flow_def *def, const struct export_opts *opts,
                                      const struct export_privacy *priv, long long n_sessions,
                                      struct raia_err *err)
{
    if (mkdir(opts->out_dir, 0750) < 0 && errno != EEXIST) {
        raia_err_set(err, RAIA_EIO, "%s: %s", opts->out_dir, strerror(errno));
        return NULL;
    }
    struct export_table *t = calloc(1, sizeof *t);
    if (!t) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    t->def = def;
    t->opts = opts;
    t->priv = priv;
    t->tty = isatty(STDERR_FILENO);
    static const char *const ext[EXPORT_FORMAT_COUNT] = {"csv", "jsonl", "csv", "sav", "dta"};
    snprintf(t->file, sizeof t->file, "%s.%s", opts->long_form ? "answers" : "responses",
             ext[opts->format]);
    build_columns(t);
    t->part_path = export_part_name(opts->out_dir, t->file);
    if (opts->partner) /* the partner's key: the respondent ids raia-api gives it */
        memcpy(t->key, opts->partner_key, sizeof t->key);
    if (!t->part_path) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
    } else if (!opts->partner && RAND_bytes(t->key, sizeof t->key) != 1) {
        raia_err_set(err, RAIA_EIO, "no random bytes for the respondent key");
    } else if (export_format_is_stat(opts->format)) {
        t->stat =
            export_stat_new(t->part_path, def, opts, priv, t->cols, t->n_cols, n_sessions, err);
        if (t->stat)
            return t;
    } else if (!(t->out = fopen(t->part_path, "w"))) {
        raia_err_set(err, RAIA_EIO, "%s: %s", t->part_path, strerror(errno));
    } else if (opts->format != EXPORT_FORMAT_JSONL) {
        const char *names[EXPORT_COLUMNS_MAX];
        for (size_t i = 0; i < t->n_cols; i++)
            names[i] = t->cols[i].name;
        if (write_line(t, names) == 0)
            return t; /* the header is not a row: write_line does not count */
        *err = t->err;
    } else {
        return t;
    }
    export_table_free(t);
    return NULL;
}

static void tally_add(struct export_tally *ty, const char *key)
{
    key = key ? key : "";
    for (size_t i = 0; i < ty->n; i++)
        if (strcmp(ty->keys[i], key) == 0) {
            ty->counts[i]++;
            return;
        }
    if (ty->n < EXPORT_TALLY_MAX && (ty->keys[ty->n] = strdup(key)))
        ty->counts[ty->n++] = 1;
    else
        ty->other++;
}

static void tally_free(struct export_tally *ty)
{
    for (size_t i = 0; i < ty->n; i++)
        free(ty->keys[i]);
}

/* Forget the session being folded. */
static void drop_session(struct export_table *t)
{
    RAIA_FREE(t->session_id);
    for (size_t i = 0; i < W_FIXED; i++)
        if (i != W_RESPONSE && i != W_RESPONDENT)
            RAIA_FREE(t->fixed[i]);
    for (size_t i = 0; i < sizeof t->vals / sizeof t->vals[0]; i++)
        RAIA_FREE(t->vals[i]);
}

/* Write the folded session (wide layout) and forget it. */
static int flush_session(struct export_table *t)
{
    int rc = 0;
    if (t->session_id && !t->opts->long_form) {
        const char *vals[EXPORT_COLUMNS_MAX];
        for (size_t i = 0; i < W_FIXED; i++)
            vals[i] = t->fixed[i];
        for (size_t i = W_FIXED; i < t->n_cols; i++)
            vals[i] = t->vals[t->cols[i].step >= 0 ? (size_t)t->cols[i].step
                                                   : FLOW_STEPS_MAX + (size_t)t->cols[i].derived];
        rc = write_row(t, vals);
    }
    drop_session(t);
    return rc;
}

static void first_last(struct export_stats *st, const char *day)
{
    if (!day)
        return;
    if (!st->first_started_on[0] || strcmp(day, st->first_started_on) < 0)
        snprintf(st->first_started_on, sizeof st->first_started_on, "%s", day);
    if (strcmp(day, st->last_started_on) > 0)
        snprintf(st->last_started_on, sizeof st->last_started_on, "%s", day);
}

const char *export_respondent_scope(const struct export_opts *opts)
{
    return !opts->partner           ? "per export"
           : opts->stable_pseudonym ? "stable pseudonym"
                                    : "per partner";
}

/* A new session: its export-scoped ids, its fixed columns and the statistics. */
static int begin_session(struct export_table *t, const struct export_row *r)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char text[80]; /* "respondent:" and the pseudonym, as raia-api derives its ids */
    snprintf(text, sizeof text, "respondent:%s", r->pseudonym);
    if (t->opts->stable_pseudonym) {
        snprintf(t->respondent, sizeof t->respondent, "%s", r->pseudonym);
    } else if (!HMAC(EVP_sha256(), t->key, sizeof t->key, (const unsigned char *)text, strlen(text),
                     md, &md_len)) {
        return raia_err_set(&t->err, RAIA_EIO, "HMAC failed");
    } else {
        for (size_t i = 0; i < RESPONDENT_BYTES; i++)
            snprintf(t->respondent + 2 * i, 3, "%02x", md[i]);
    }
    snprintf(t->response_text, sizeof t->response_text, "%lld", ++t->response);
    char version[16];
    snprintf(version, sizeof version, "%d", r->flow_version);
    t->session_id = strdup(r->session_id);
    t->fixed[W_RESPONSE] = t->response_text;
    t->fixed[W_RESPONDENT] = t->respondent;
    const char *copy[W_FIXED] = {
        [W_VERSION] = version,           [W_LANGUAGE] = r->language,  [W_CHANNEL] = r->channel,
        [W_OPERATOR] = r->operator_name, [W_STARTED] = r->started_on, [W_OUTCOME] = r->outcome};
    int oom = !t->session_id;
    for (size_t i = W_VERSION; i < W_FIXED; i++)
        oom |= copy[i] && !(t->fixed[i] = strdup(copy[i]));
    if (oom)
        return raia_err_set(&t->err, RAIA_ENOMEM, "out of memory");
    struct export_stats *st = &t->stats;
    st->sessions++;
    first_last(st, r->started_on);
    tally_add(&st->channels, r->channel);
    tally_add(&st->outcomes, r->outcome);
    tally_add(&st->languages, r->language);
    tally_add(&st->consent_versions, r->consent_version);
    tally_add(&st->checksums, r->flow_checksum);
    return 0;
}

/* Is code one the definition lists for step (a choice code, or refused if optional)? */
static int code_known(const struct flow_def *def, size_t step, const char *code)
{
    const char *refused = flow_def_step_refused_code(def, step);
    if (refused && strcmp(code, refused) == 0)
        return 1;
    const char *type = flow_def_step_type(def, step);
    if (strcmp(type, "location") == 0)
        return flow_def_area_level(def, step, code) >= 0;
    int multi = strcmp(type, "multi_choice") == 0; /* codes joined by single spaces */
    for (const char *p = code;;) {
        size_t len = multi ? strcspn(p, " ") : strlen(p), c = 0;
        while (c < flow_def_step_choice_count(def, step) &&
               !(strlen(flow_def_step_choice_code(def, step, c)) == len &&
                 strncmp(p, flow_def_step_choice_code(def, step, c), len) == 0))
            c++;
        if (c == flow_def_step_choice_count(def, step))
            return 0;
        if (!p[len])
            return 1;
        p += len + 1;
    }
}

size_t export_derived_codes(const struct flow_def *def, size_t d,
                            const char *codes[EXPORT_DERIVED_CODES],
                            const char *labels[EXPORT_DERIVED_CODES])
{
    struct flow_derived_info v;
    if (!flow_def_derived_info(def, d, &v))
        return 0;
    codes[0] = v.then_code, labels[0] = v.then_label;
    codes[1] = v.else_code, labels[1] = v.else_label;
    codes[2] = v.missing_code, labels[2] = v.missing_label;
    return v.missing_code ? 3 : 2;
}

const char *export_derived_empty(const struct flow_def *def, size_t d)
{
    struct flow_derived_info v;
    return flow_def_derived_info(def, d, &v) && !v.missing_code
               ? "Not computed: the session did not complete, or an answer the rule reads is "
                 "missing"
               : "Not computed: the session did not complete";
}

/* Keep v (copied; NULL: none) as the wide row's value in slot (a step, then derived variables). */
static int keep_value(struct export_table *t, size_t slot, const char *v)
{
    free(t->vals[slot]);
    t->vals[slot] = NULL;
    if (v && !(t->vals[slot] = strdup(v)))
        return raia_err_set(&t->err, RAIA_ENOMEM, "out of memory");
    return 0;
}

/*
 * An answer to derived variable d, which the gateway stores as one more
 * answer when the session completes: a column like a choice question's
 * (a code the rule cannot yield is counted as unknown), in the long layout
 * one more row.
 */
static int add_derived(struct export_table *t, const struct export_row *r, size_t d)
{
    const char *code = r->code && *r->code ? r->code : NULL, *codes[EXPORT_DERIVED_CODES],
               *labels[EXPORT_DERIVED_CODES];
    size_t n = export_derived_codes(t->def, d, codes, labels), c = 0;
    while (c < n && !(code && strcmp(code, codes[c]) == 0))
        c++;
    if (c == n)
        t->stats.unknown_codes++;
    if (t->opts->long_form) {
        const char *vals[L_FIXED] = {t->response_text, t->respondent, r->question, code,
                                     r->value,         r->answered_on};
        return write_row(t, vals);
    }
    return keep_value(t, FLOW_STEPS_MAX + d, code);
}

static int add_answer(struct export_table *t, const struct export_row *r)
{
    const struct flow_def *def = t->def;
    size_t n_steps = flow_def_step_count(def), step = 0;
    while (step < n_steps && strcmp(flow_def_step_id(def, step), r->question) != 0)
        step++;
    t->stats.answers++;
    if (step == n_steps) {
        for (size_t d = 0; d < flow_def_derived_count(def); d++)
            if (strcmp(flow_def_derived_id(def, d), r->question) == 0)
                return add_derived(t, r, d);
        t->stats.unknown_questions++;
        return 0;
    }
    const char *code = r->code && *r->code ? r->code : NULL;
    if ((code || step_is_choice(def, step)) && !code_known(def, step, code ? code : ""))
        t->stats.unknown_codes++;
    if (!t->included[step])
        return 0;
    char band[48];
    const char *value = export_privacy_value(def, t->priv, step, r->value, band, sizeof band);
    if (code && t->priv->coarsen[step]) { /* a location: the coarse area, named */
        code = export_privacy_value(def, t->priv, step, code, band, sizeof band);
        value = flow_def_area_name(def, step, code, 0);
    }
    if (t->opts->long_form) {
        const char *vals[L_FIXED] = {t->response_text, t->respondent, r->question, code, value,
                                     r->answered_on};
        return write_row(t, vals);
    }
    return keep_value(t, step, code ? code : value);
}

int export_table_row(const struct export_row *row, void *ctx)
{
    struct export_table *t = ctx;
    int rc = 0;
    if (!t->session_id || strcmp(t->session_id, row->session_id) != 0) {
        rc = flush_session(t);
        if (rc == 0)
            rc = begin_session(t, row);
    }
    if (rc == 0 && row->question)
        rc = add_answer(t, row);
    return rc;
}

int export_table_finish(struct export_table *t, struct raia_err *err)
{
    int rc = flush_session(t);
    if (t->tty && t->stats.rows >= PROGRESS_EVERY)
        fprintf(stderr, "\rraia export: %lld rows\n", t->stats.rows);
    if (rc < 0) {
        *err = t->err;
        return rc;
    }
    if (t->stat) {
        rc = export_stat_finish(t->stat, err);
        export_stat_free(t->stat);
        t->stat = NULL;
        return rc;
    }
    int bad = fclose(t->out) != 0;
    t->out = NULL;
    return bad ? raia_err_set(err, RAIA_EIO, "%s: %s", t->part_path, strerror(errno)) : 0;
}

void export_table_free(struct export_table *t)
{
    if (!t)
        return;
    if (t->out || t->stat) {
        if (t->out)
            fclose(t->out);
        export_stat_free(t->stat);
        unlink(t->part_path);
    }
    drop_session(t);
    OPENSSL_cleanse(t->key, sizeof t->key);
    strbuf_free(&t->line);
    struct export_stats *st = &t->stats;
    tally_free(&st->channels);
    tally_free(&st->outcomes);
    tally_free(&st->languages);
    tally_free(&st->consent_versions);
    tally_free(&st->checksums);
    free(t->part_path);
    free(t);
}

const char *export_table_file(const struct export_table *t)
{
    return t->file;
}

size_t export_table_column_count(const struct export_table *t)
{
    return t->n_cols;
}

const struct export_column *export_table_column(const struct export_table *t, size_t i)
{
    return i < t->n_cols ? &t->cols[i] : NULL;
}

const struct export_stats *export_table_stats(const struct export_table *t)
{
    return &t->stats;
}

const struct raia_err *export_table_error(const struct export_table *t)
{
    return &t->err;
}
