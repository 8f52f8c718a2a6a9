/*
 * export_stat.c - .sav and .dta files through libreadstat (see
 * export_stat.h). Called by export_table.c, which hands each wide row over
 * as the strings the CSV would hold; this file turns them into the
 * formats' types:
 *
 * - choices (and yes/no) become numbers with value labels in the flow's
 *   default language (export_stat_code_value); banded numbers become the
 *   band's lower bound labelled "30-39"; numbers stay numbers;
 * - "prefer not to say" and "not answered" are told apart: in SPSS as two
 *   user-missing codes (export_stat_missing_codes), labelled; in Stata as
 *   the extended missing values .a and .b, labelled;
 * - the day consent was given becomes a date (SPSS DATE11, Stata %td);
 * - a derived variable becomes a number with value labels
 *   (export_stat_derived_value); its missing code, when the flow has one,
 *   is user-missing in SPSS, and a session that stored none is "not
 *   answered" (-2, Stata .b) as for a question;
 * - a location becomes the number of its area at the level kept (its row
 *   in the areas file, export_privacy_area_value) labelled with the area's
 *   name;
 * - variable labels are the question in the default language.
 *
 * readstat writes row by row into the FILE, so memory stays flat; it needs
 * the row count up front (export_db_count, in the same snapshot).
 */
#include "export_stat.h"

#include <errno.h>
#include <math.h>
#include <readstat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"

#define SAV_LABEL_MAX 255 /* bytes of a variable label */
#define DTA_LABEL_MAX 80  /* Stata: 80 characters */
#define SAV_VALUE_LABEL_MAX 120
#define DTA_VALUE_LABEL_MAX 244
#define DTA_STRING_MAX 2045     /* str# in format 118 */
#define SAV_DAYS_TO_1970 141428 /* 1582-10-14 (SPSS day 0) to 1970-01-01 */
#define DTA_DAYS_TO_1970 3653   /* 1960-01-01 (Stata day 0) to 1970-01-01 */

/* The columns that do not come from a question: label and string width (0: numeric). */
static const struct {
    const char *name, *label;
    size_t width;
} fixed_vars[] = {
    {"response", "Response number in this export", 0},
    {"respondent", "Respondent id, valid in this export only", 16},
    {"flow_version", "Flow (questionnaire) version", 0},
    {"language", "Language answered in (ISO 639)", 8},
    {"channel", "Channel: ussd or sms", 4},
    {"operator", "Mobile operator connection", 64},
    {"started_on", "Day consent was given (UTC)", 0},
    {"outcome", "Outcome: completed, abandoned, stopped, timed_out", 9},
};

struct export_stat {
    const struct flow_def *def;
    const struct export_privacy *priv;
    const struct export_column *cols;
    size_t n_cols;
    int dta;
    FILE *out;
    readstat_writer_t *writer;
    readstat_variable_t *vars[64 + FLOW_STEPS_MAX];
    size_t widths[64 + FLOW_STEPS_MAX]; /* string variables' widths, 0 for numbers */
};

int export_stat_is_string(const struct flow_def *def, size_t step)
{
    const char *type = flow_def_step_type(def, step);
    return strcmp(type, "text") == 0 || strcmp(type, "multi_choice") == 0;
}

static int is_date(const struct flow_def *def, size_t step)
{
    return strcmp(flow_def_step_type(def, step), "date") == 0;
}

static int is_location(const struct flow_def *def, size_t step)
{
    return strcmp(flow_def_step_type(def, step), "location") == 0;
}

static int whole_code(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= 5 && s[n] == '\0';
}

long export_stat_code_value(const struct flow_def *def, size_t step, size_t c)
{
    for (size_t i = 0; i < flow_def_step_choice_count(def, step); i++)
        if (!whole_code(flow_def_step_choice_code(def, step, i)))
            return (long)c + 1;
    return strtol(flow_def_step_choice_code(def, step, c), NULL, 10);
}

long export_stat_derived_value(const struct flow_def *def, size_t d, size_t i)
{
    const char *codes[EXPORT_DERIVED_CODES], *labels[EXPORT_DERIVED_CODES];
    size_t n = export_derived_codes(def, d, codes, labels);
    for (size_t c = 0; c < n; c++)
        if (!whole_code(codes[c]))
            return (long)i + 1;
    return i < n ? strtol(codes[i], NULL, 10) : 0;
}

void export_stat_missing_codes(const struct flow_def *def, size_t step, long *refused,
                               long *not_answered)
{
    char min[32], max[32];
    double lo = 0;
    if (flow_def_step_range(def, step, min, max, sizeof min))
        lo = strtod(min, NULL);
    long base = lo < 0 ? (long)floor(lo) : 0;
    *refused = base - 1;
    *not_answered = base - 2;
}

void export_stat_name(enum export_format f, const char *id, char *out, size_t size)
{
    static const char *const reserved[] = {
        "all", "and",  "by",   "eq",     "ge",    "gt", "le", "lt",  "ne",   "not",   "or",
        "to",  "with", "byte", "double", "float", "if", "in", "int", "long", "using", "strl"};
    size_t max = f == EXPORT_FORMAT_DTA ? 32 : 64, n = 0;
    if (size < 2)
        return;
    if (max > size - 1)
        max = size - 1;
    if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
        out[n++] = 'q'; /* a digit, '_' or '-' cannot begin a name */
    for (const char *p = id; *p && n < max; p++)
        out[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
                       ? *p
                       : '_';
    out[n] = '\0';
    int clash = n > 3 && strncasecmp(out, "str", 3) == 0 && strspn(out + 3, "0123456789") == n - 3;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        clash |= strcasecmp(out, reserved[i]) == 0;
    if (clash && n < max)
        out[n++] = '_', out[n] = '\0';
}

/* Copy at most max bytes of s into buf, never cutting a UTF-8 sequence. */
static const char *utf8_cut(const char *s, size_t max, char *buf, size_t size)
{
    size_t n = strlen(s);
    if (n <= max)
        return s;
    if (max > size - 1)
        max = size - 1;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--; /* s[n] continues a character: cut before that character */
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static ssize_t write_bytes(const void *data, size_t len, void *ctx)
{
    struct export_stat *w = ctx;
    return fwrite(data, 1, len, w->out) == len ? (ssize_t)len : -1;
}

static int readstat_fail(readstat_error_t rc, const char *what, struct raia_err *err)
{
    return raia_err_set(err, RAIA_EIO, "%s: %s", what, readstat_error_message(rc));
}

static void label_value(struct export_stat *w, readstat_label_set_t *set, long value,
                        const char *label)
{
    char buf[DTA_VALUE_LABEL_MAX + 1];
    label = utf8_cut(label, w->dta ? DTA_VALUE_LABEL_MAX : SAV_VALUE_LABEL_MAX, buf, sizeof buf);
    if (w->dta)
        readstat_label_int32_value(set, (int32_t)value, label);
    else
        readstat_label_double_value(set, (double)value, label);
}

/* Value labels and missing codes of a question's numeric variable. */
static void label_question(struct export_stat *w, readstat_variable_t *var, const char *name,
                           size_t s)
{
    const struct flow_def *def = w->def;
    readstat_label_set_t *set = readstat_add_label_set(
        w->writer, w->dta ? READSTAT_TYPE_INT32 : READSTAT_TYPE_DOUBLE, name);
    for (size_t c = 0; c < flow_def_step_choice_count(def, s); c++)
        label_value(w, set, export_stat_code_value(def, s, c),
                    flow_def_step_choice_label(def, s, c, 0));
    char band[48];
    long lower;
    for (size_t b = 0; b < export_privacy_band_at(def, w->priv, s, b, &lower, band, sizeof band);
         b++)
        label_value(w, set, lower, band);
    long value;
    for (size_t a = 0; is_location(def, s);) {
        const char *code = export_privacy_area_next(def, w->priv, s, &a, &value);
        if (!code)
            break;
        label_value(w, set, value, flow_def_area_name(def, s, code, 0));
    }
    const char *prefer = flow_def_prefer_not_label(def, 0);
    prefer = prefer ? prefer : EXPORT_LABEL_REFUSED;
    int refusable = flow_def_step_refused_code(def, s) != NULL;
    if (w->dta) {
        if (refusable)
            readstat_label_tagged_value(set, EXPORT_TAG_REFUSED, prefer);
        readstat_label_tagged_value(set, EXPORT_TAG_NOT_ANSWERED, EXPORT_LABEL_NOT_ANSWERED);
    } else {
        long refused, not_answered;
        export_stat_missing_codes(def, s, &refused, &not_answered);
        if (refusable) {
            label_value(w, set, refused, prefer);
            readstat_variable_add_missing_double_value(var, (double)refused);
        }
        label_value(w, set, not_answered, EXPORT_LABEL_NOT_ANSWERED);
        readstat_variable_add_missing_double_value(var, (double)not_answered);
    }
    readstat_variable_set_label_set(var, set);
}

static readstat_variable_t *add_fixed(struct export_stat *w, size_t i, const char *name)
{
    size_t f = 0;
    while (f < sizeof fixed_vars / sizeof fixed_vars[0] && strcmp(fixed_vars[f].name, name) != 0)
        f++;
    if (f == sizeof fixed_vars / sizeof fixed_vars[0])
        return NULL;
    size_t width = fixed_vars[f].width;
    readstat_variable_t *v = readstat_add_variable(
        w->writer, name, width ? READSTAT_TYPE_STRING : READSTAT_TYPE_DOUBLE, width);
    readstat_variable_set_label(v, fixed_vars[f].label);
    w->widths[i] = width;
    if (strcmp(name, "started_on") == 0)
        readstat_variable_set_format(v, w->dta ? "%td" : "DATE11");
    else if (!width)
        readstat_variable_set_format(v, w->dta ? "%8.0g" : "F8.0");
    readstat_variable_set_measure(v, width ? READSTAT_MEASURE_NOMINAL : READSTAT_MEASURE_SCALE);
    return v;
}

/*
 * A derived variable: a nominal number labelled with what each code means;
 * the variable label is its rule when the format's label holds it (Stata's
 * 80 characters often do not: then it says from how many questions, and
 * the codebooks give the rule).
 */
static readstat_variable_t *add_derived(struct export_stat *w, const char *name, size_t d)
{
    const char *codes[EXPORT_DERIVED_CODES], *labels[EXPORT_DERIVED_CODES];
    size_t n = export_derived_codes(w->def, d, codes, labels);
    readstat_variable_t *v = readstat_add_variable(
        w->writer, name, w->dta ? READSTAT_TYPE_INT32 : READSTAT_TYPE_DOUBLE, 0);
    readstat_variable_set_format(v, w->dta ? "%8.0g" : "F8.0");
    readstat_variable_set_measure(v, READSTAT_MEASURE_NOMINAL);
    readstat_label_set_t *set = readstat_add_label_set(
        w->writer, w->dta ? READSTAT_TYPE_INT32 : READSTAT_TYPE_DOUBLE, name);
    for (size_t c = 0; c < n; c++) {
        label_value(w, set, export_stat_derived_value(w->def, d, c), labels[c]);
        if (c == 2 && !w->dta) /* the rule could not be applied */
            readstat_variable_add_missing_double_value(
                v, (double)export_stat_derived_value(w->def, d, c));
    }
    if (w->dta) {
        readstat_label_tagged_value(set, EXPORT_TAG_NOT_ANSWERED, export_derived_empty(w->def, d));
    } else {
        label_value(w, set, EXPORT_DERIVED_NOT_COMPUTED, export_derived_empty(w->def, d));
        readstat_variable_add_missing_double_value(v, EXPORT_DERIVED_NOT_COMPUTED);
    }
    readstat_variable_set_label_set(v, set);
    struct strbuf label = {0};
    strbuf_puts(&label, "Derived: ");
    flow_def_derived_rule(w->def, d, &label);
    if (label.oom || label.len > (w->dta ? DTA_LABEL_MAX : SAV_LABEL_MAX)) {
        struct flow_derived_info info;
        flow_def_derived_info(w->def, d, &info);
        strbuf_reset(&label);
        strbuf_printf(&label, "Derived from %zu question%s (see the codebook)", info.n_steps,
                      info.n_steps == 1 ? "" : "s");
    }
    readstat_variable_set_label(v, strbuf_cstr(&label));
    strbuf_free(&label);
    return v;
}

static readstat_variable_t *add_question(struct export_stat *w, size_t i, const char *name,
                                         size_t s)
{
    const struct flow_def *def = w->def;
    const char *type = flow_def_step_type(def, s);
    readstat_variable_t *v;
    if (export_stat_is_string(def, s)) {
        size_t width = strcmp(type, "multi_choice") == 0
                           ? FLOW_CODE_MAX - 1
                           /* UTF-8: 4 bytes at most */
                           : (size_t)flow_def_step_max_length(def, s) * 4;
        if (width > FLOW_VALUE_MAX - 1)
            width = FLOW_VALUE_MAX - 1;
        if (w->dta && width > DTA_STRING_MAX)
            width = DTA_STRING_MAX;
        v = readstat_add_variable(w->writer, name, READSTAT_TYPE_STRING, width);
        w->widths[i] = width;
        if (!w->dta && flow_def_step_refused_code(def, s))
            readstat_variable_add_missing_string_value(v, FLOW_CODE_REFUSED);
        readstat_variable_set_measure(v, READSTAT_MEASURE_NOMINAL);
    } else {
        int coded =
            flow_def_step_choice_count(def, s) > 0 || w->priv->band[s] || is_location(def, s);
        int decimals = flow_def_step_decimals(def, s);
        char format[16];
        if (is_date(def, s))
            snprintf(format, sizeof format, "%s", w->dta ? "%td" : "DATE11");
        else if (w->dta)
            snprintf(format, sizeof format, decimals ? "%%10.%df" : "%%8.0g", decimals);
        else
            snprintf(format, sizeof format, "F%d.%d", decimals ? 10 : 8, decimals);
        /* SPSS numbers are all doubles; Stata labels need whole-number storage */
        v = readstat_add_variable(w->writer, name,
                                  coded && w->dta ? READSTAT_TYPE_INT32 : READSTAT_TYPE_DOUBLE, 0);
        readstat_variable_set_format(v, format);
        readstat_variable_set_measure(v, w->priv->band[s] ? READSTAT_MEASURE_ORDINAL
                                         : flow_def_step_choice_count(def, s) || is_location(def, s)
                                             ? READSTAT_MEASURE_NOMINAL
                                             : READSTAT_MEASURE_SCALE);
        label_question(w, v, name, s);
    }
    char buf[SAV_LABEL_MAX + 1];
    readstat_variable_set_label(v,
                                utf8_cut(flow_def_step_text(def, s, 0),
                                         w->dta ? DTA_LABEL_MAX : SAV_LABEL_MAX, buf, sizeof buf));
    return v;
}

struct export_stat *export_stat_new(const char *path, const struct flow_def *def,
                                    const struct export_opts *opts,
                                    const struct export_privacy *priv,
                                    const struct export_column *cols, size_t n_cols,
                                    long long n_rows, struct raia_err *err)
{
    struct export_stat *w = calloc(1, sizeof *w);
    if (!w || n_cols > sizeof w->vars / sizeof w->vars[0]) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        free(w);
        return NULL;
    }
    *w = (struct export_stat){.def = def, .priv = priv, .cols = cols, .n_cols = n_cols};
    w->dta = opts->format == EXPORT_FORMAT_DTA;
    w->writer = readstat_writer_init();
    if (!w->writer || !(w->out = fopen(path, "wb"))) {
        raia_err_set(err, RAIA_EIO, "%s: %s", path, w->writer ? strerror(errno) : "out of memory");
        export_stat_free(w);
        return NULL;
    }
    readstat_set_data_writer(w->writer, write_bytes);
    char label[DTA_LABEL_MAX + 1];
    readstat_writer_set_file_label(
        w->writer, utf8_cut(flow_def_title(def), w->dta ? 79 : 63, label, sizeof label));
    for (size_t i = 0; i < n_cols; i++)
        w->vars[i] = cols[i].derived >= 0 ? add_derived(w, cols[i].name, (size_t)cols[i].derived)
                     : cols[i].step < 0   ? add_fixed(w, i, cols[i].name)
                                          : add_question(w, i, cols[i].name, (size_t)cols[i].step);
    readstat_error_t rc;
    if (w->dta) {
        readstat_writer_set_file_format_version(w->writer, 118); /* UTF-8, long strings */
        rc = readstat_begin_writing_dta(w->writer, w, (long)n_rows);
    } else {
        readstat_writer_set_compression(w->writer, READSTAT_COMPRESS_ROWS);
        rc = readstat_begin_writing_sav(w->writer, w, (long)n_rows);
    }
    if (rc == READSTAT_OK)
        rc = readstat_validate_metadata(w->writer);
    for (size_t i = 0; rc == READSTAT_OK && i < n_cols; i++)
        rc = w->vars[i] ? readstat_validate_variable(w->writer, w->vars[i])
                        : READSTAT_ERROR_NAME_IS_RESERVED_WORD;
    if (rc != READSTAT_OK) {
        readstat_fail(rc, path, err);
        export_stat_free(w);
        return NULL;
    }
    return w;
}

/* Days since 1970-01-01 of a YYYY-MM-DD date. */
static long days_1970(const char *day)
{
    long y = strtol(day, NULL, 10), m = strtol(day + 5, NULL, 10), d = strtol(day + 8, NULL, 10);
    /* days from civil (proleptic Gregorian), after H. Hinnant's algorithm */
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* A YYYY-MM-DD day as the format counts: SPSS seconds since 1582-10-14, Stata days since 1960. */
static double stat_date(const struct export_stat *w, const char *day)
{
    long days = days_1970(day) + (w->dta ? DTA_DAYS_TO_1970 : SAV_DAYS_TO_1970);
    return w->dta ? (double)days : (double)days * 86400.0;
}

/* x into a numeric variable of either type (readstat insists they match). */
static readstat_error_t insert_number(struct export_stat *w, const readstat_variable_t *var,
                                      double x)
{
    if (readstat_variable_get_type(var) == READSTAT_TYPE_INT32)
        return readstat_insert_int32_value(w->writer, var, (int32_t)x);
    return readstat_insert_double_value(w->writer, var, x);
}

/* A question's value: its number, or one of the two missing codes. */
static readstat_error_t insert_question(struct export_stat *w, size_t i, size_t s, const char *v)
{
    const struct flow_def *def = w->def;
    const readstat_variable_t *var = w->vars[i];
    if (w->widths[i]) {
        char buf[FLOW_VALUE_MAX];
        return readstat_insert_string_value(w->writer, var,
                                            v ? utf8_cut(v, w->widths[i], buf, sizeof buf) : "");
    }
    long refused, not_answered;
    export_stat_missing_codes(def, s, &refused, &not_answered);
    int is_refused = v && strcmp(v, FLOW_CODE_REFUSED) == 0;
    if (!v || !*v || is_refused) {
        if (w->dta)
            return readstat_insert_tagged_missing_value(
                w->writer, var, is_refused ? EXPORT_TAG_REFUSED : EXPORT_TAG_NOT_ANSWERED);
        return insert_number(w, var, (double)(is_refused ? refused : not_answered));
    }
    size_t n = flow_def_step_choice_count(def, s);
    for (size_t c = 0; c < n; c++)
        if (strcmp(v, flow_def_step_choice_code(def, s, c)) == 0)
            return insert_number(w, var, (double)export_stat_code_value(def, s, c));
    if (is_date(def, s))
        return readstat_insert_double_value(w->writer, var, stat_date(w, v));
    if (is_location(def, s)) { /* an area the definition lacks is system-missing */
        long area = export_privacy_area_value(def, s, v);
        return area ? insert_number(w, var, (double)area)
                    : readstat_insert_missing_value(w->writer, var);
    }
    char *end;
    double x = strtod(v, &end); /* a band "30-39" reads as its lower bound */
    if (n || end == v || (*end && !w->priv->band[s]))
        return readstat_insert_missing_value(w->writer, var); /* a code the flow lacks */
    if (w->priv->band[s])
        x = (double)(long)x;
    return insert_number(w, var, x);
}

/* A derived variable's value: the number of its code, or "not computed". */
static readstat_error_t insert_derived(struct export_stat *w, size_t i, size_t d, const char *v)
{
    const char *codes[EXPORT_DERIVED_CODES], *labels[EXPORT_DERIVED_CODES];
    size_t n = export_derived_codes(w->def, d, codes, labels);
    for (size_t c = 0; v && c < n; c++)
        if (strcmp(v, codes[c]) == 0)
            return insert_number(w, w->vars[i], (double)export_stat_derived_value(w->def, d, c));
    if (v && *v)
        return readstat_insert_missing_value(w->writer, w->vars[i]); /* a code the rule lacks */
    if (w->dta)
        return readstat_insert_tagged_missing_value(w->writer, w->vars[i], EXPORT_TAG_NOT_ANSWERED);
    return insert_number(w, w->vars[i], EXPORT_DERIVED_NOT_COMPUTED);
}

int export_stat_row(struct export_stat *w, const char *const *vals, struct raia_err *err)
{
    readstat_error_t rc = readstat_begin_row(w->writer);
    for (size_t i = 0; rc == READSTAT_OK && i < w->n_cols; i++) {
        const char *v = vals[i];
        const struct export_column *c = &w->cols[i];
        if (c->derived >= 0) {
            rc = insert_derived(w, i, (size_t)c->derived, v);
        } else if (c->step >= 0) {
            rc = insert_question(w, i, (size_t)c->step, v);
        } else if (w->widths[i]) {
            char buf[256];
            rc = readstat_insert_string_value(w->writer, w->vars[i],
                                              v ? utf8_cut(v, w->widths[i], buf, sizeof buf) : "");
        } else if (!v || !*v) {
            rc = readstat_insert_missing_value(w->writer, w->vars[i]);
        } else if (c->kind == EXPORT_KIND_DATE) {
            rc = readstat_insert_double_value(w->writer, w->vars[i], stat_date(w, v));
        } else {
            rc = readstat_insert_double_value(w->writer, w->vars[i], strtod(v, NULL));
        }
    }
    if (rc == READSTAT_OK)
        rc = readstat_end_row(w->writer);
    return rc == READSTAT_OK ? 0 : readstat_fail(rc, "writing a row", err);
}

int export_stat_finish(struct export_stat *w, struct raia_err *err)
{
    readstat_error_t rc = readstat_end_writing(w->writer);
    int bad = fclose(w->out) != 0;
    w->out = NULL;
    if (rc != READSTAT_OK)
        return readstat_fail(rc, "finishing the file", err);
    return bad ? raia_err_set(err, RAIA_EIO, "closing the file: %s", strerror(errno)) : 0;
}

void export_stat_free(struct export_stat *w)
{
    if (!w)
        return;
    if (w->out)
        fclose(w->out);
    if (w->writer)
        readstat_writer_free(w->writer);
    free(w);
}
