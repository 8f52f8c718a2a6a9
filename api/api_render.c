/*
 * api_render.c - response bodies of raia-api (see api_render.h).
 *
 * Called by api_server.c once the data for a request has arrived. The
 * columns of the responses follow the flow definition the rows were
 * answered under: the session fields first, then one column per question
 * in the order asked, free text left out (partner.answers withholds it
 * anyway), then one per derived variable (its code, stored by the gateway
 * when the session completed). A number or yes/no answer is a JSON number or string as the
 * export writes it (cli/export_table.c), so the two read alike.
 */
#include "api_render.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_BYTES 8 /* per-token ids: 16 hex characters */
#define TABLE_RANGE_MAX 25
#define AGE_BAND 10

void api_render_error(struct strbuf *sb, int status, const char *code, const char *message,
                      const char *parameter)
{
    strbuf_printf(sb, "{\"error\":{\"status\":%d,\"code\":", status);
    strbuf_json_str(sb, code);
    strbuf_puts(sb, ",\"message\":");
    strbuf_json_str(sb, message);
    if (parameter) {
        strbuf_puts(sb, ",\"parameter\":");
        strbuf_json_str(sb, parameter);
    }
    strbuf_puts(sb, "}}\n");
}

static int is_type(const struct flow_def *def, size_t i, const char *type)
{
    return strcmp(flow_def_step_type(def, i), type) == 0;
}

int api_step_in_responses(const struct flow_def *def, size_t i)
{
    return !is_type(def, i, "text");
}

/* The columns of a responses row that do not come from a question. */
static const struct {
    const char *name, *type, *text;
} fixed_cols[] = {
    {"response", "string",
     "Id of this response (session), stable for this token: a row sent "
     "again after a change has the same id."},
    {"respondent", "string",
     "Id of the person: random per token (the same person has the same "
     "id for this token only), or the stable pseudonym when the token's "
     "scope is stable-pseudonym."},
    {"flow_version", "integer", "Version of the flow (questionnaire) the session ran."},
    {"language", "string", "Language the citizen answered in."},
    {"channel", "string", "ussd or sms."},
    {"operator", "string", "The mobile operator connection the session came through."},
    {"started_on", "date", "Day consent was given (UTC)."},
    {"ended_on", "date", "Day the session ended (UTC)."},
    {"outcome", "string", "completed, abandoned, stopped (STOP) or timed_out."},
};
#define N_FIXED (sizeof fixed_cols / sizeof fixed_cols[0])

static const char *step_json_type(const struct flow_def *def, size_t i)
{
    if (flow_def_step_refused_code(def, i) || flow_def_step_choice_count(def, i))
        return "string";
    if (is_type(def, i, "number") || is_type(def, i, "year"))
        return "integer";
    return is_type(def, i, "decimal") ? "number" : "string";
}

/*
 * What the responses do to step i's answers beyond withholding free text,
 * as `raia export` does by default (cli/export_privacy.c): ages in 10-year
 * bands, locations cut to their coarsest level. NULL: sent as given.
 */
static const char *step_control(const struct flow_def *def, size_t i)
{
    if (is_type(def, i, "age"))
        return "banded: 10-year bands such as 30-39";
    if (is_type(def, i, "location"))
        return "coarsened: the code of the coarsest area level";
    return NULL;
}

/* An answer as the responses send it (see step_control); returns v, buf or a string of def. */
static const char *controlled(const struct flow_def *def, size_t i, const char *v, char *buf,
                              size_t size)
{
    if (!v)
        return v;
    if (is_type(def, i, "location")) {
        for (size_t depth = 0; depth < FLOW_LEVELS_MAX && flow_def_area_parent(def, i, v); depth++)
            v = flow_def_area_parent(def, i, v);
        return v;
    }
    if (is_type(def, i, "age") && *v != '-' && strspn(v, "0123456789") == strlen(v) &&
        strlen(v) < 6) {
        long lower = strtol(v, NULL, 10) / AGE_BAND * AGE_BAND;
        int n = snprintf(buf, size, "%ld-%ld", lower, lower + AGE_BAND - 1);
        return n > 0 && (size_t)n < size ? buf : v;
    }
    return v;
}

/* Index of derived variable id in def, or -1. */
static long derived_index(const struct flow_def *def, const char *id)
{
    for (size_t d = 0; d < flow_def_derived_count(def); d++)
        if (strcmp(flow_def_derived_id(def, d), id) == 0)
            return (long)d;
    return -1;
}

/* "Derived: any_of [a, b] in [3, 4] then 1 else 0", JSON-quoted into sb. */
static void json_derived_text(struct strbuf *sb, const struct flow_def *def, size_t d)
{
    struct strbuf t = {0};
    strbuf_puts(&t, "Derived: ");
    flow_def_derived_rule(def, d, &t);
    strbuf_json_str(sb, strbuf_cstr(&t));
    sb->oom |= t.oom;
    strbuf_free(&t);
}

/*
 * A derived variable in GET /v1/flows/{id}: the rule as written, the
 * questions it reads, its codes with what they mean; tabulable like a
 * choice question.
 */
static void render_derived(struct strbuf *sb, const struct flow_def *def, size_t d)
{
    struct flow_derived_info v;
    flow_def_derived_info(def, d, &v);
    strbuf_puts(sb, "{\"id\":");
    strbuf_json_str(sb, flow_def_derived_id(def, d));
    strbuf_puts(sb, ",\"kind\":\"derived\",\"in_responses\":true");
    flow_json_derived_rule(def, d, sb);
    strbuf_puts(sb, ",\"codes\":[");
    const char *codes[] = {v.then_code, v.else_code, v.missing_code};
    const char *labels[] = {v.then_label, v.else_label, v.missing_label};
    for (size_t c = 0; c < (v.missing_code ? 3 : 2); c++) {
        strbuf_puts(sb, c ? ",{\"code\":" : "{\"code\":");
        strbuf_json_str(sb, codes[c]);
        strbuf_puts(sb, ",\"label\":");
        strbuf_json_str(sb, labels[c]);
        strbuf_append(sb, "}", 1);
    }
    strbuf_puts(sb, "],\"tabulable\":true}");
}

static void render_question(struct strbuf *sb, const struct flow_def *def, size_t s)
{
    strbuf_puts(sb, "{\"id\":");
    strbuf_json_str(sb, flow_def_step_id(def, s));
    strbuf_printf(sb, ",\"kind\":\"question\",\"type\":\"%s\",\"in_responses\":%s",
                  flow_def_step_type(def, s), api_step_in_responses(def, s) ? "true" : "false");
    if (!api_step_in_responses(def, s))
        strbuf_puts(sb, ",\"omitted_because\":\"free text can name people and places\"");
    if (step_control(def, s)) {
        strbuf_puts(sb, ",\"disclosure_control\":");
        strbuf_json_str(sb, step_control(def, s));
    }
    strbuf_puts(sb, ",\"text\":");
    flow_json_texts(def, (long)s, -1, sb);
    strbuf_puts(sb, ",\"codes\":[");
    for (size_t c = 0; c < flow_def_step_choice_count(def, s); c++) {
        strbuf_puts(sb, c ? ",{\"code\":" : "{\"code\":");
        strbuf_json_str(sb, flow_def_step_choice_code(def, s, c));
        strbuf_puts(sb, ",\"label\":");
        flow_json_texts(def, (long)s, (long)c, sb);
        strbuf_append(sb, "}", 1);
    }
    strbuf_append(sb, "]", 1);
    char min[32], max[32];
    if (flow_def_step_range(def, s, min, max, sizeof min))
        strbuf_printf(sb, ",\"min\":\"%s\",\"max\":\"%s\"", min, max);
    flow_json_refused_when(def, s, sb);
    struct api_table_var v;
    const char *why;
    strbuf_printf(sb, ",\"tabulable\":%s}",
                  api_table_var(def, flow_def_step_id(def, s), &v, &why) == 0 ? "true" : "false");
}

void api_render_flow(struct strbuf *sb, const struct flow_def *def, int version,
                     const struct api_flow_rev *revs, size_t n_revs)
{
    strbuf_puts(sb, "{\"id\":");
    strbuf_json_str(sb, flow_def_id(def));
    strbuf_printf(sb, ",\"version\":%d,\"title\":", version);
    strbuf_json_str(sb, flow_def_title(def));
    strbuf_printf(sb, ",\"checksum\":\"%s\",\"first_seen_on\":\"%s\",\"other_checksums\":[",
                  revs[0].checksum, revs[0].first_seen_on);
    for (size_t i = 1; i < n_revs; i++)
        strbuf_printf(sb, "%s{\"checksum\":\"%s\",\"first_seen_on\":\"%s\"}", i > 1 ? "," : "",
                      revs[i].checksum, revs[i].first_seen_on);
    strbuf_puts(sb, "],");
    flow_json_languages_consent(def, sb);
    strbuf_puts(sb, ",\"recruitment\":\"opt-in: people dialled or texted the flow themselves and "
                    "gave informed consent\",\"missing_values\":{\"null\":\"not answered: "
                    "skipped by a condition or not reached\",\"refused\":\"prefer not to say "
                    "(a code, on optional questions only)\"},\"columns\":[");
    for (size_t i = 0; i < N_FIXED; i++) {
        strbuf_printf(sb, "%s{\"name\":\"%s\",\"type\":\"%s\",\"description\":", i ? "," : "",
                      fixed_cols[i].name, fixed_cols[i].type);
        strbuf_json_str(sb, fixed_cols[i].text);
        strbuf_append(sb, "}", 1);
    }
    for (size_t s = 0; s < flow_def_step_count(def); s++) {
        if (!api_step_in_responses(def, s))
            continue;
        strbuf_puts(sb, ",{\"name\":");
        strbuf_json_str(sb, flow_def_step_id(def, s));
        strbuf_printf(sb, ",\"type\":\"%s\",\"description\":", step_json_type(def, s));
        struct strbuf d = {0};
        strbuf_puts(&d, flow_def_step_text(def, s, 0));
        if (step_control(def, s))
            strbuf_printf(&d, " (%s)", step_control(def, s));
        strbuf_json_str(sb, strbuf_cstr(&d));
        sb->oom |= d.oom;
        strbuf_free(&d);
        strbuf_append(sb, "}", 1);
    }
    for (size_t d = 0; d < flow_def_derived_count(def); d++) {
        strbuf_puts(sb, ",{\"name\":");
        strbuf_json_str(sb, flow_def_derived_id(def, d));
        strbuf_puts(sb, ",\"type\":\"string\",\"description\":");
        json_derived_text(sb, def, d);
        strbuf_append(sb, "}", 1);
    }
    strbuf_puts(sb, "],\"questions\":[");
    for (size_t s = 0; s < flow_def_step_count(def); s++) {
        strbuf_puts(sb, s ? "," : "");
        render_question(sb, def, s);
    }
    strbuf_puts(sb, "],\"derived\":[");
    for (size_t d = 0; d < flow_def_derived_count(def); d++) {
        strbuf_puts(sb, d ? "," : "");
        render_derived(sb, def, d);
    }
    strbuf_puts(sb, "]}\n");
}

void api_render_header(struct strbuf *sb, const struct flow_def *def, enum api_format format)
{
    if (format != API_FORMAT_CSV)
        return;
    for (size_t i = 0; i < N_FIXED; i++)
        strbuf_printf(sb, "%s%s", i ? "," : "", fixed_cols[i].name);
    for (size_t s = 0; s < flow_def_step_count(def); s++)
        if (api_step_in_responses(def, s))
            strbuf_printf(sb, ",%s", flow_def_step_id(def, s));
    for (size_t d = 0; d < flow_def_derived_count(def); d++)
        strbuf_printf(sb, ",%s", flow_def_derived_id(def, d));
    strbuf_puts(sb, "\r\n");
}

const char **api_session_slot(const struct flow_def *def, struct api_session *s,
                              const char *question_id)
{
    for (size_t i = 0; i < flow_def_step_count(def); i++)
        if (strcmp(flow_def_step_id(def, i), question_id) == 0)
            return &s->answer[i];
    long d = derived_index(def, question_id);
    return d >= 0 ? &s->derived[d] : NULL;
}

/* First ID_BYTES of HMAC-SHA256(key, text) in hex. */
static void token_id(const unsigned char key[32], const char *text, char out[2 * ID_BYTES + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, 32, (const unsigned char *)text, strlen(text), mac, &n);
    for (size_t i = 0; i < ID_BYTES; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

/* Is s a whole number, as a JSON number may be written? */
static int integer_text(const char *s)
{
    const char *p = s + (*s == '-');
    return *p && strspn(p, "0123456789") == strlen(p) && strlen(p) < 16;
}

void api_render_session(struct strbuf *sb, const struct flow_def *def, enum api_format format,
                        const struct api_token *tok, const struct api_session *s)
{
    char response[2 * ID_BYTES + 1], respondent[2 * ID_BYTES + 1], version[16];
    char scoped[80];
    snprintf(scoped, sizeof scoped, "response:%s", s->session_id);
    token_id(tok->respondent_key, scoped, response);
    snprintf(scoped, sizeof scoped, "respondent:%s", s->pseudonym);
    token_id(tok->respondent_key, scoped, respondent);
    snprintf(version, sizeof version, "%d", s->flow_version);
    const char *fixed[N_FIXED] = {response,      tok->stable_pseudonym ? s->pseudonym : respondent,
                                  version,       s->language,
                                  s->channel,    s->operator_name,
                                  s->started_on, s->ended_on,
                                  s->outcome};
    int csv = format == API_FORMAT_CSV;
    strbuf_puts(sb, csv ? "" : "{");
    for (size_t i = 0; i < N_FIXED; i++) {
        if (csv) {
            strbuf_puts(sb, i ? "," : "");
            strbuf_csv_field(sb, fixed[i]);
            continue;
        }
        strbuf_printf(sb, "%s\"%s\":", i ? "," : "", fixed_cols[i].name);
        if (i == 2)
            strbuf_puts(sb, version);
        else if (fixed[i])
            strbuf_json_str(sb, fixed[i]);
        else
            strbuf_puts(sb, "null");
    }
    for (size_t st = 0; st < flow_def_step_count(def); st++) {
        if (!api_step_in_responses(def, st))
            continue;
        char band[32];
        const char *v = controlled(def, st, s->answer[st], band, sizeof band);
        if (csv) {
            strbuf_append(sb, ",", 1);
            strbuf_csv_field(sb, v);
            continue;
        }
        strbuf_append(sb, ",", 1);
        strbuf_json_str(sb, flow_def_step_id(def, st));
        strbuf_append(sb, ":", 1);
        if (!v)
            strbuf_puts(sb, "null");
        else if (strcmp(step_json_type(def, st), "integer") == 0 && integer_text(v))
            strbuf_puts(sb, v);
        else
            strbuf_json_str(sb, v);
    }
    for (size_t d = 0; d < flow_def_derived_count(def); d++) {
        const char *v = s->derived[d];
        strbuf_append(sb, ",", 1);
        if (csv) {
            strbuf_csv_field(sb, v);
            continue;
        }
        strbuf_json_str(sb, flow_def_derived_id(def, d));
        strbuf_append(sb, ":", 1);
        if (v)
            strbuf_json_str(sb, v);
        else
            strbuf_puts(sb, "null");
    }
    strbuf_puts(sb, csv ? "\r\n" : "}\n");
}

/* Adds one category; -1 when the variable has too many. */
static int add_category(struct api_table_var *v, const char *code, const char *label)
{
    if (v->n == API_TABLE_CATS_MAX || strlen(code) >= API_ID_MAX)
        return -1;
    snprintf(v->code[v->n], API_ID_MAX, "%s", code);
    v->label[v->n++] = label;
    return 0;
}

int api_table_var(const struct flow_def *def, const char *id, struct api_table_var *v,
                  const char **why)
{
    size_t s = 0, n_steps = flow_def_step_count(def);
    while (s < n_steps && strcmp(flow_def_step_id(def, s), id) != 0)
        s++;
    long d = s == n_steps ? derived_index(def, id) : -1;
    if (s == n_steps && d < 0) {
        *why = "no such question or derived variable in this flow version";
        return -1;
    }
    v->step = s;
    v->derived = (int)d;
    v->n = 0;
    v->from_answers = 0;
    if (d >= 0) { /* categorical: then, else (and missing) codes */
        struct flow_derived_info info;
        flow_def_derived_info(def, (size_t)d, &info);
        add_category(v, info.then_code, info.then_label);
        add_category(v, info.else_code, info.else_label);
        if (info.missing_code)
            add_category(v, info.missing_code, info.missing_label);
        return 0;
    }
    *why = "too many categories";
    size_t n = flow_def_step_choice_count(def, s);
    char min[32], max[32];
    if (n > 0 && !is_type(def, s, "multi_choice")) {
        for (size_t c = 0; c < n; c++)
            if (add_category(v, flow_def_step_choice_code(def, s, c),
                             flow_def_step_choice_label(def, s, c, 0)) < 0)
                return -1;
    } else if (is_type(def, s, "number") && flow_def_step_range(def, s, min, max, sizeof min)) {
        long lo = strtol(min, NULL, 10), hi = strtol(max, NULL, 10);
        if (hi < lo || hi - lo >= TABLE_RANGE_MAX) {
            *why = "a number question spanning more than 25 values has no categories";
            return -1;
        }
        for (long x = lo; x <= hi; x++) {
            char code[24];
            snprintf(code, sizeof code, "%ld", x);
            add_category(v, code, NULL);
        }
    } else if (is_type(def, s, "location")) {
        v->from_answers = 1;
    } else {
        *why = "only choice, yes/no, small-range number and location questions have categories";
        return -1;
    }
    const char *refused = flow_def_step_refused_code(def, s);
    if (refused && add_category(v, refused, flow_def_prefer_not_label(def, 0)) < 0)
        return -1;
    return 0;
}

int api_table_learn(const struct flow_def *def, struct api_table_var *v, const char *code)
{
    char buf[32];
    if (!v->from_answers || !code || api_table_var_index(def, v, code) >= 0)
        return 0;
    code = controlled(def, v->step, code, buf, sizeof buf);
    size_t areas = v->n - (flow_def_step_refused_code(def, v->step) ? 1 : 0), at = 0;
    while (at < areas && strcmp(v->code[at], code) < 0)
        at++;
    if (v->n == API_TABLE_CATS_MAX || strlen(code) >= API_ID_MAX)
        return -1;
    memmove(v->code[at + 1], v->code[at], (v->n - at) * sizeof v->code[0]);
    memmove(&v->label[at + 1], &v->label[at], (v->n - at) * sizeof v->label[0]);
    snprintf(v->code[at], API_ID_MAX, "%s", code);
    v->label[at] = flow_def_area_name(def, v->step, code, 0);
    v->n++;
    return 0;
}

int api_table_var_index(const struct flow_def *def, const struct api_table_var *v, const char *code)
{
    char buf[32];
    if (v->from_answers)
        code = controlled(def, v->step, code, buf, sizeof buf);
    for (size_t i = 0; code && i < v->n; i++)
        if (strcmp(v->code[i], code) == 0)
            return (int)i;
    return -1;
}

/* {"count":N} or {"count":null,"suppressed":"primary"} for entry e of t; 0 with no t. */
static void table_cell(struct strbuf *sb, const struct safe_table *t, size_t e)
{
    if (!t)
        strbuf_puts(sb, "{\"count\":0}");
    else if (t->cell[e] == SAFE_CELL_PUBLISHED)
        strbuf_printf(sb, "{\"count\":%lld}", t->value[e]);
    else
        strbuf_printf(sb, "{\"count\":null,\"suppressed\":\"%s\"}", safe_cell_name(t->cell[e]));
}

static void table_categories(struct strbuf *sb, const struct flow_def *def,
                             const struct api_table_var *v)
{
    int derived = v->derived >= 0;
    strbuf_puts(sb, "{\"question\":");
    strbuf_json_str(sb, derived ? flow_def_derived_id(def, (size_t)v->derived)
                                : flow_def_step_id(def, v->step));
    strbuf_printf(sb, ",\"kind\":\"%s\",\"text\":", derived ? "derived" : "question");
    if (derived)
        json_derived_text(sb, def, (size_t)v->derived);
    else
        strbuf_json_str(sb, flow_def_step_text(def, v->step, 0));
    strbuf_puts(sb, ",\"categories\":[");
    for (size_t i = 0; i < v->n; i++) {
        strbuf_puts(sb, i ? ",{\"code\":" : "{\"code\":");
        strbuf_json_str(sb, v->code[i]);
        strbuf_puts(sb, ",\"label\":");
        if (v->label[i])
            strbuf_json_str(sb, v->label[i]);
        else
            strbuf_json_str(sb, v->code[i]);
        strbuf_append(sb, "}", 1);
    }
    strbuf_puts(sb, "]}");
}

void api_render_table(struct strbuf *sb, const struct flow_def *def, int version,
                      long long min_cell, const struct api_table_var *vars, int n_vars,
                      const struct safe_table *t, int transposed)
{
    size_t rows = vars[0].n, cols = n_vars == 2 ? vars[1].n : 0;
    int two = n_vars == 2;
    /* entry (i, j) as the client sees it: i over vars[0], j over vars[1] */
#define AT(i, j)                                                                                   \
    (!t ? 0 : !two ? (i) : transposed ? safe_table_at(t, (j), (i)) : safe_table_at(t, (i), (j)))
    strbuf_puts(sb, "{\"flow\":");
    strbuf_json_str(sb, flow_def_id(def));
    strbuf_printf(sb,
                  ",\"version\":%d,\"min_cell\":%lld,\"unit\":\"ended sessions that "
                  "answered every question of the table\",\"rows\":",
                  version, min_cell);
    table_categories(sb, def, &vars[0]);
    if (two) {
        strbuf_puts(sb, ",\"columns\":");
        table_categories(sb, def, &vars[1]);
    }
    strbuf_puts(sb, ",\"cells\":[");
    for (size_t i = 0; i < rows; i++) {
        strbuf_puts(sb, i ? "," : "");
        if (!two) {
            table_cell(sb, t, AT(i, 0));
            continue;
        }
        strbuf_append(sb, "[", 1);
        for (size_t j = 0; j < cols; j++) {
            strbuf_puts(sb, j ? "," : "");
            table_cell(sb, t, AT(i, j));
        }
        strbuf_append(sb, "]", 1);
    }
    strbuf_puts(sb, "]");
    if (two) {
        strbuf_puts(sb, ",\"row_totals\":[");
        for (size_t i = 0; i < rows; i++) {
            strbuf_puts(sb, i ? "," : "");
            table_cell(sb, t, AT(i, cols));
        }
        strbuf_puts(sb, "],\"column_totals\":[");
        for (size_t j = 0; j < cols; j++) {
            strbuf_puts(sb, j ? "," : "");
            table_cell(sb, t, AT(rows, j));
        }
        strbuf_puts(sb, "]");
    }
    strbuf_puts(sb, ",\"total\":");
    table_cell(sb, t, two ? AT(rows, cols) : rows);
    strbuf_puts(sb, ",\"suppressed\":[");
    int first = 1;
    for (size_t i = 0; i <= rows; i++) {
        for (size_t j = 0; j <= cols; j++) {
            size_t e = AT(i, j);
            if (!t || t->cell[e] == SAFE_CELL_PUBLISHED)
                continue;
            strbuf_puts(sb, first ? "{\"row\":" : ",{\"row\":");
            first = 0;
            if (i < rows)
                strbuf_json_str(sb, vars[0].code[i]);
            else
                strbuf_puts(sb, "\"total\"");
            if (two) {
                strbuf_puts(sb, ",\"column\":");
                if (j < cols)
                    strbuf_json_str(sb, vars[1].code[j]);
                else
                    strbuf_puts(sb, "\"total\"");
            }
            strbuf_printf(sb, ",\"reason\":\"%s\"}", safe_cell_name(t->cell[e]));
        }
    }
    strbuf_puts(sb, "]}\n");
#undef AT
}

const char *const api_channels[API_N_CHANNELS] = {"ussd", "sms"};

int api_channel_index(const char *name)
{
    for (int c = 0; name && c < API_N_CHANNELS; c++)
        if (strcmp(api_channels[c], name) == 0)
            return c;
    return -1;
}

/*
 * {"ussd":{cell},"sms":{cell}} from entries first, first + 1 of t, with
 * "total": entry total when with_total.
 */
static void channel_cells(struct strbuf *sb, const struct safe_table *t, size_t first,
                          int with_total, size_t total)
{
    strbuf_append(sb, "{", 1);
    for (size_t c = 0; c < API_N_CHANNELS; c++) {
        strbuf_printf(sb, "%s\"%s\":", c ? "," : "", api_channels[c]);
        table_cell(sb, t, first + c);
    }
    if (with_total) {
        strbuf_puts(sb, ",\"total\":");
        table_cell(sb, t, total);
    }
    strbuf_append(sb, "}", 1);
}

static void aggregate_head(struct strbuf *sb, const struct flow_def *def, int version,
                           long long min_cell, const char *unit)
{
    strbuf_puts(sb, "{\"flow\":");
    strbuf_json_str(sb, flow_def_id(def));
    strbuf_printf(sb, ",\"version\":%d,\"title\":", version);
    strbuf_json_str(sb, flow_def_title(def));
    strbuf_printf(sb, ",\"min_cell\":%lld,\"unit\":", min_cell);
    strbuf_json_str(sb, unit);
    strbuf_puts(sb, ",\"channels\":[");
    for (size_t c = 0; c < API_N_CHANNELS; c++)
        strbuf_printf(sb, "%s\"%s\"", c ? "," : "", api_channels[c]);
    strbuf_append(sb, "]", 1);
}

void api_render_timeline(struct strbuf *sb, const struct flow_def *def, int version,
                         long long min_cell, const char (*days)[16], size_t n_days,
                         const struct safe_table *t)
{
    aggregate_head(sb, def, version, min_cell, "ended sessions, by the day they ended (UTC)");
    strbuf_puts(sb, ",\"days\":[");
    for (size_t d = 0; d < n_days; d++) {
        strbuf_printf(sb, "%s{\"day\":\"%s\",\"channels\":", d ? "," : "", days[d]);
        channel_cells(sb, t, safe_table_at(t, d, 0), 0, 0);
        strbuf_puts(sb, ",\"total\":");
        table_cell(sb, t, safe_table_at(t, d, API_N_CHANNELS));
        strbuf_append(sb, "}", 1);
    }
    strbuf_puts(sb, "],\"channel_totals\":");
    if (t) {
        channel_cells(sb, t, safe_table_at(t, n_days, 0), 0, 0);
        strbuf_puts(sb, ",\"total\":");
        table_cell(sb, t, safe_table_at(t, n_days, API_N_CHANNELS));
    } else {
        strbuf_puts(sb, "{\"ussd\":{\"count\":0},\"sms\":{\"count\":0}},\"total\":{\"count\":0}");
    }
    strbuf_printf(sb, ",\"suppressed\":%lld}\n", safe_table_hidden(t));
}

void api_render_funnel(struct strbuf *sb, const struct flow_def *def, int version,
                       long long min_cell, struct safe_table *const *reached,
                       struct safe_table *const *answered)
{
    aggregate_head(sb, def, version, min_cell,
                   "ended sessions: reached = answered the question or stopped there; "
                   "answered = gave an answer (prefer not to say included)");
    strbuf_puts(sb, ",\"questions\":[");
    long long hidden = 0;
    for (size_t s = 0; s < flow_def_step_count(def); s++) {
        strbuf_puts(sb, s ? ",{\"question\":" : "{\"question\":");
        strbuf_json_str(sb, flow_def_step_id(def, s));
        strbuf_printf(sb, ",\"position\":%zu,\"type\":\"%s\",\"text\":", s + 1,
                      flow_def_step_type(def, s));
        strbuf_json_str(sb, flow_def_step_text(def, s, 0));
        struct strbuf when = {0};
        strbuf_puts(sb, ",\"asked_when\":");
        if (flow_def_step_condition(def, s, &when))
            strbuf_json_str(sb, strbuf_cstr(&when));
        else
            strbuf_puts(sb, "null");
        strbuf_free(&when);
        const struct safe_table *m[2] = {reached[s], answered[s]};
        for (int k = 0; k < 2; k++) {
            strbuf_puts(sb, k ? ",\"answered\":" : ",\"reached\":");
            channel_cells(sb, m[k], 0, 1, API_N_CHANNELS);
            hidden += safe_table_hidden(m[k]);
        }
        strbuf_append(sb, "}", 1);
    }
    strbuf_printf(sb, "],\"suppressed\":%lld}\n", hidden);
}
