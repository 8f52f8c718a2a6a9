/*
 * export_codebook.c - codebook.json, codebook.md and datapackage.json of
 * `raia export` (see export_codebook.h).
 *
 * All three read one description of each column (column_schema() and
 * export_codebook_describe()), so the Table Schema, the dictionary and the
 * human-readable codebook cannot disagree. Question texts and labels come
 * from the flow file that ran, in every language of the flow; the Table
 * Schema's description uses the first (default) language.
 */
#include "export_codebook.h"

#include <stdio.h>
#include <string.h>

#include "export_ddi.h"
#include "export_stat.h"

/* What the columns that do not come from a question mean. */
static const struct {
    const char *name, *text;
} fixed_text[] = {
    {"response", "Number of this response (session) within this export; rows are in random "
                 "order. Links the long layout to the wide one."},
    {"respondent", "Random id of the person, valid within this export only: the same person "
                   "has the same id here, and ids of two exports cannot be joined."},
    {"flow_version", "Version of the flow (questionnaire) the session ran."},
    {"language", "Language the citizen answered in (ISO 639 code)."},
    {"channel", "ussd or sms."},
    {"operator", "The mobile operator connection the session came through."},
    {"started_on", "Day consent was given (UTC); times are coarsened to the day."},
    {"outcome", "completed, abandoned (too many invalid answers), stopped (STOP), timed_out; "
                "empty while the session was still running."},
    {"question", "Id of the question (a column of the wide layout)."},
    {"code", "The answer's code: a choice code, yes/no, or refused (prefer not to say)."},
    {"value", "The answer as given: the number, the text, or the choice's label in the "
              "session's language."},
    {"answered_on", "Day of the answer (UTC)."},
};

void export_adaptations(const struct flow_def *def, const char *sep, struct strbuf *sb)
{
    size_t n = flow_def_adaptation_count(def);
    if (n == 0)
        strbuf_puts(sb, "The flow declares no adaptation of a standard question set.");
    for (size_t i = 0; i < n; i++)
        strbuf_printf(sb, "%s%s", i ? sep : "", flow_def_adaptation(def, i));
}

static const char *const outcomes[] = {"completed", "abandoned", "stopped", "timed_out"};

void export_codebook_modes(const struct flow_def *def, const char *sep, struct strbuf *sb)
{
    if (flow_def_ussd_code(def))
        strbuf_printf(sb, "USSD %s", flow_def_ussd_code(def));
    if (flow_def_sms_short_code(def))
        strbuf_printf(sb, "%sSMS %s %s", flow_def_ussd_code(def) ? sep : "",
                      flow_def_sms_short_code(def),
                      flow_def_sms_keyword(def) ? flow_def_sms_keyword(def) : "");
}
static const char *const channels[] = {"ussd", "sms"};

static const char *fixed_description(const char *name)
{
    for (size_t i = 0; i < sizeof fixed_text / sizeof fixed_text[0]; i++)
        if (strcmp(fixed_text[i].name, name) == 0)
            return fixed_text[i].text;
    return "";
}

static int is_type(const struct flow_def *def, size_t step, const char *type)
{
    return strcmp(flow_def_step_type(def, step), type) == 0;
}

/* "seeing, hearing, walking": the questions derived variable d reads, joined by sep. */
static void derived_reads(const struct flow_def *def, size_t d, const char *sep, struct strbuf *sb)
{
    struct flow_derived_info v;
    flow_def_derived_info(def, d, &v);
    for (size_t i = 0; i < v.n_steps; i++)
        strbuf_printf(sb, "%s%s", i ? sep : "", flow_def_step_id(def, v.steps[i]));
}

/* A derived variable's column: what it is computed from and what its codes and blanks mean. */
static void describe_derived(const struct flow_def *def, size_t d, struct strbuf *sb)
{
    const char *codes[EXPORT_DERIVED_CODES], *labels[EXPORT_DERIVED_CODES];
    size_t n = export_derived_codes(def, d, codes, labels);
    strbuf_puts(sb, "Derived variable, computed by the flow from the answers when the session "
                    "completed: ");
    flow_def_derived_rule(def, d, sb);
    strbuf_append(sb, ".", 1);
    for (size_t c = 0; c < n; c++)
        strbuf_printf(sb, " Code '%s': %s.", codes[c], labels[c]);
    strbuf_printf(sb, " An empty value: %s.", export_derived_empty(def, d));
}

void export_codebook_describe(const struct export_doc *doc, const struct export_column *c,
                              struct strbuf *sb)
{
    if (c->derived >= 0) {
        describe_derived(doc->def, (size_t)c->derived, sb);
        return;
    }
    if (c->step < 0 && strcmp(c->name, "respondent") == 0 && doc->opts->partner) {
        strbuf_printf(sb,
                      doc->opts->stable_pseudonym
                          ? "The person's pseudonym (HMAC-SHA256 of the phone number under the "
                            "project key), as partner %s's scope allows: the same in every "
                            "export and API pull."
                          : "Id of the person for partner %s: the same in every export and API "
                            "pull of this partner, different for every other partner.",
                      doc->opts->partner);
        return;
    }
    if (c->step < 0) {
        strbuf_puts(sb, fixed_description(c->name));
        return;
    }
    size_t s = (size_t)c->step;
    strbuf_puts(sb, flow_def_step_text(doc->def, s, 0));
    if (doc->privacy->band[s])
        strbuf_printf(sb, " Banded: groups of %d (e.g. 30-39).", doc->privacy->band[s]);
    if (doc->privacy->coarsen[s]) {
        int k = doc->privacy->level[s];
        strbuf_printf(sb,
                      " The code of the area at level %d of %zu (%s); an answer recorded at a "
                      "coarser level keeps its own code.",
                      k + 1, flow_def_step_level_count(doc->def, s),
                      flow_def_step_level(doc->def, s, (size_t)k));
    }
    if (flow_def_step_refused_code(doc->def, s))
        strbuf_printf(sb, " Code '%s': prefer not to say.", FLOW_CODE_REFUSED);
    struct strbuf when = {0};
    if (flow_def_step_condition(doc->def, s, &when))
        strbuf_printf(sb, " Asked only when %s; empty otherwise.", strbuf_cstr(&when));
    strbuf_free(&when);
    strbuf_puts(sb, " (Empty: not answered.)");
}

static void json_codes(struct strbuf *sb, const struct flow_def *def, size_t step)
{
    strbuf_append(sb, "[", 1);
    size_t n = flow_def_step_choice_count(def, step);
    for (size_t c = 0; c < n; c++) {
        strbuf_puts(sb, c ? "," : "");
        strbuf_json_str(sb, flow_def_step_choice_code(def, step, c));
    }
    const char *refused = flow_def_step_refused_code(def, step);
    if (refused) {
        strbuf_puts(sb, n ? "," : "");
        strbuf_json_str(sb, refused);
    }
    strbuf_append(sb, "]", 1);
}

/* The Table Schema field of one column: name, type, description, constraints. */
static void column_schema(const struct export_doc *doc, const struct export_column *c,
                          struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    struct strbuf desc = {0};
    export_codebook_describe(doc, c, &desc);
    strbuf_puts(sb, "{\"name\":");
    strbuf_json_str(sb, c->name);
    strbuf_puts(sb, ",\"description\":");
    strbuf_json_str(sb, strbuf_cstr(&desc));
    strbuf_free(&desc);
    const char *type = c->kind == EXPORT_KIND_INTEGER  ? "integer"
                       : c->kind == EXPORT_KIND_NUMBER ? "number"
                       : c->kind == EXPORT_KIND_DATE   ? "date"
                                                       : "string";
    if (c->derived >= 0) {
        const char *codes[EXPORT_DERIVED_CODES], *labels[EXPORT_DERIVED_CODES];
        size_t n = export_derived_codes(def, (size_t)c->derived, codes, labels);
        strbuf_puts(sb, ",\"type\":\"string\",\"constraints\":{\"enum\":[");
        for (size_t i = 0; i < n; i++) {
            strbuf_puts(sb, i ? "," : "");
            strbuf_json_str(sb, codes[i]);
        }
        strbuf_puts(sb, "]}}");
        return;
    }
    if (c->step < 0) {
        strbuf_printf(sb, ",\"type\":\"%s\"", type);
        if (strcmp(c->name, "response") == 0 || strcmp(c->name, "respondent") == 0)
            strbuf_puts(sb, ",\"constraints\":{\"required\":true}");
        const char *const *e = NULL;
        size_t n = 0;
        if (strcmp(c->name, "outcome") == 0)
            e = outcomes, n = sizeof outcomes / sizeof outcomes[0];
        else if (strcmp(c->name, "channel") == 0)
            e = channels, n = sizeof channels / sizeof channels[0];
        if (strcmp(c->name, "language") == 0 || e) {
            strbuf_puts(sb, ",\"constraints\":{\"enum\":[");
            size_t nl = e ? n : flow_def_language_count(def);
            for (size_t i = 0; i < nl; i++) {
                strbuf_puts(sb, i ? "," : "");
                strbuf_json_str(sb, e ? e[i] : flow_def_language_at(def, i));
            }
            strbuf_puts(sb, "]}");
        }
        strbuf_append(sb, "}", 1);
        return;
    }
    size_t s = (size_t)c->step;
    int refusable = flow_def_step_refused_code(def, s) != NULL;
    char min[32], max[32], band[48];
    long lower;
    size_t n_bands = export_privacy_band_at(def, doc->privacy, s, 0, &lower, band, sizeof band);
    if (n_bands) {
        strbuf_puts(sb, ",\"type\":\"string\",\"constraints\":{\"enum\":[");
        for (size_t b = 0; b < n_bands; b++) {
            export_privacy_band_at(def, doc->privacy, s, b, &lower, band, sizeof band);
            strbuf_printf(sb, "%s\"%s\"", b ? "," : "", band);
        }
        strbuf_puts(sb, refusable ? ",\"" FLOW_CODE_REFUSED "\"]}" : "]}");
    } else if (doc->privacy->coarsen[s]) {
        strbuf_puts(sb, ",\"type\":\"string\",\"constraints\":{\"enum\":[");
        long value;
        const char *code, *sep = "";
        for (size_t a = 0; (code = export_privacy_area_next(def, doc->privacy, s, &a, &value));) {
            strbuf_puts(sb, sep);
            strbuf_json_str(sb, code);
            sep = ",";
        }
        if (refusable)
            strbuf_printf(sb, "%s\"%s\"", sep, FLOW_CODE_REFUSED);
        strbuf_puts(sb, "]}");
    } else if (doc->privacy->band[s] || c->kind == EXPORT_KIND_DATE ||
               is_type(def, s, "multi_choice") ||
               (c->kind == EXPORT_KIND_STRING && !flow_def_step_choice_count(def, s) &&
                !is_type(def, s, "text"))) {
        /* bands past EXPORT_BANDS_LISTED, dates, multiple choices: no constraint */
        strbuf_printf(sb, ",\"type\":\"%s\"", refusable ? "string" : type);
    } else if (flow_def_step_choice_count(def, s) > 0) {
        strbuf_puts(sb, ",\"type\":\"string\",\"constraints\":{\"enum\":");
        json_codes(sb, def, s);
        strbuf_append(sb, "}", 1);
    } else if (flow_def_step_range(def, s, min, max, sizeof min) && refusable) {
        /* "refused" is a code, not a missing value: such a column is text */
        strbuf_printf(sb, ",\"type\":\"string\",\"constraints\":{\"pattern\":\"(%s|%s)\"}",
                      is_type(def, s, "decimal") ? "-?[0-9]+(\\\\.[0-9]+)?" : "-?[0-9]+",
                      FLOW_CODE_REFUSED);
    } else if (flow_def_step_range(def, s, min, max, sizeof min)) {
        strbuf_printf(sb, ",\"type\":\"%s\",\"constraints\":{\"minimum\":%s,\"maximum\":%s}", type,
                      min, max);
    } else {
        strbuf_printf(sb, ",\"type\":\"string\",\"constraints\":{\"maxLength\":%ld}",
                      flow_def_step_max_length(def, s));
    }
    strbuf_append(sb, "}", 1);
}

/* {"en": "...", "sw": "..."}: text i of def in every language, via get. */
static void json_tally(struct strbuf *sb, const char *key, const struct export_tally *ty)
{
    strbuf_printf(sb, ",\"%s\":{", key);
    for (size_t i = 0; i < ty->n; i++) {
        strbuf_puts(sb, i ? "," : "");
        strbuf_json_str(sb, ty->keys[i]);
        strbuf_printf(sb, ":%lld", ty->counts[i]);
    }
    if (ty->other)
        strbuf_printf(sb, "%s\"(other)\":%lld", ty->n ? "," : "", ty->other);
    strbuf_append(sb, "}", 1);
}

/* The areas a location column can hold (the level kept), as codebook.json codes. */
static void json_areas(const struct export_doc *doc, size_t s, int stat, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    long value;
    const char *code, *sep = "";
    for (size_t a = 0; (code = export_privacy_area_next(def, doc->privacy, s, &a, &value));) {
        strbuf_printf(sb, "%s{\"code\":", sep);
        strbuf_json_str(sb, code);
        if (stat)
            strbuf_printf(sb, ",\"value\":%ld", value);
        strbuf_printf(sb, ",\"level\":\"%s\",\"label\":{",
                      flow_def_step_level(def, s, (size_t)flow_def_area_level(def, s, code)));
        for (size_t l = 0; l < flow_def_language_count(def); l++) {
            strbuf_printf(sb, "%s\"%s\":", l ? "," : "", flow_def_language_at(def, l));
            strbuf_json_str(sb, flow_def_area_name(def, s, code, l));
        }
        strbuf_puts(sb, "}}");
        sep = ",";
    }
}

/* One question (step) of the flow in codebook.json, whether or not it has a column. */
static void json_question(const struct export_doc *doc, size_t s, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const struct export_table *t = doc->table;
    int included = 0;
    for (size_t i = 0; i < export_table_column_count(t); i++)
        included |= export_table_column(t, i)->step == (int)s;
    if (doc->opts->long_form)
        included = doc->opts->free_text || !is_type(def, s, "text");
    strbuf_puts(sb, "{\"id\":");
    strbuf_json_str(sb, flow_def_step_id(def, s));
    strbuf_printf(sb, ",\"type\":\"%s\",\"exported\":%s", flow_def_step_type(def, s),
                  included ? "true" : "false");
    if (!included)
        strbuf_puts(sb, ",\"omitted_because\":\"free text; export with --free-text\"");
    strbuf_puts(sb, ",\"text\":");
    flow_json_texts(def, (long)s, -1, sb);
    int stat = export_format_is_stat(doc->opts->format);
    strbuf_puts(sb, ",\"codes\":[");
    for (size_t c = 0; c < flow_def_step_choice_count(def, s); c++) {
        strbuf_puts(sb, c ? "," : "");
        strbuf_puts(sb, "{\"code\":");
        strbuf_json_str(sb, flow_def_step_choice_code(def, s, c));
        if (stat)
            strbuf_printf(sb, ",\"value\":%ld", export_stat_code_value(def, s, c));
        strbuf_puts(sb, ",\"label\":");
        flow_json_texts(def, (long)s, (long)c, sb);
        strbuf_append(sb, "}", 1);
    }
    if (doc->privacy->coarsen[s])
        json_areas(doc, s, stat, sb);
    strbuf_append(sb, "]", 1);
    if (doc->privacy->coarsen[s]) {
        strbuf_printf(sb, ",\"level\":%d,\"level_id\":", doc->privacy->level[s] + 1);
        strbuf_json_str(sb, flow_def_step_level(def, s, (size_t)doc->privacy->level[s]));
        strbuf_puts(sb, ",\"levels\":[");
        for (size_t k = 0; k < flow_def_step_level_count(def, s); k++) {
            strbuf_puts(sb, k ? "," : "");
            strbuf_json_str(sb, flow_def_step_level(def, s, k));
        }
        strbuf_printf(sb, "],\"kept_coarser\":%lld", doc->privacy->kept_coarser[s]);
    }
    char min[32], max[32];
    if (flow_def_step_range(def, s, min, max, sizeof min))
        strbuf_printf(sb, ",\"min\":%s,\"max\":%s,\"decimals\":%d", min, max,
                      flow_def_step_decimals(def, s));
    if (is_type(def, s, "text"))
        strbuf_printf(sb, ",\"max_length\":%ld", flow_def_step_max_length(def, s));
    if (doc->privacy->band[s])
        strbuf_printf(sb, ",\"banded\":%d", doc->privacy->band[s]);
    if (stat && !export_stat_is_string(def, s)) {
        long refused_code, not_answered;
        export_stat_missing_codes(def, s, &refused_code, &not_answered);
        if (doc->opts->format == EXPORT_FORMAT_DTA)
            strbuf_printf(sb, ",\"missing_codes\":{\"refused\":\".%c\",\"not_answered\":\".%c\"}",
                          EXPORT_TAG_REFUSED, EXPORT_TAG_NOT_ANSWERED);
        else
            strbuf_printf(sb, ",\"missing_codes\":{\"refused\":%ld,\"not_answered\":%ld}",
                          refused_code, not_answered);
    }
    flow_json_refused_when(def, s, sb);
    strbuf_append(sb, "}", 1);
}

/*
 * One derived variable in codebook.json: its rule as written, the
 * questions it reads, its codes with their meaning (and numbers in sav /
 * dta), what an empty value means.
 */
static void json_derived(const struct export_doc *doc, size_t d, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const char *codes[EXPORT_DERIVED_CODES], *labels[EXPORT_DERIVED_CODES];
    size_t n = export_derived_codes(def, d, codes, labels);
    int stat = export_format_is_stat(doc->opts->format);
    strbuf_puts(sb, "{\"id\":");
    strbuf_json_str(sb, flow_def_derived_id(def, d));
    strbuf_puts(sb, ",\"kind\":\"derived\",\"exported\":true");
    flow_json_derived_rule(def, d, sb);
    strbuf_puts(sb, ",\"codes\":[");
    for (size_t c = 0; c < n; c++) {
        strbuf_puts(sb, c ? ",{\"code\":" : "{\"code\":");
        strbuf_json_str(sb, codes[c]);
        if (stat)
            strbuf_printf(sb, ",\"value\":%ld", export_stat_derived_value(def, d, c));
        strbuf_puts(sb, ",\"label\":");
        strbuf_json_str(sb, labels[c]);
        strbuf_printf(sb, ",\"missing\":%s}", c == 2 ? "true" : "false");
    }
    strbuf_puts(sb, "],\"empty\":");
    strbuf_json_str(sb, export_derived_empty(def, d));
    if (doc->opts->format == EXPORT_FORMAT_DTA)
        strbuf_printf(sb, ",\"missing_codes\":{\"not_computed\":\".%c\"}", EXPORT_TAG_NOT_ANSWERED);
    else if (stat)
        strbuf_printf(sb, ",\"missing_codes\":{\"not_computed\":%d}", EXPORT_DERIVED_NOT_COMPUTED);
    strbuf_append(sb, "}", 1);
}

/* "adaptations": what the flow says about changes to a standard question set. */
static void json_adaptations(const struct export_doc *doc, struct strbuf *sb)
{
    char source[256];
    snprintf(source, sizeof source, "%s, version %d", flow_def_title(doc->def), doc->version);
    strbuf_puts(sb, ",\"adaptations\":{\"declared\":[");
    for (size_t i = 0; i < flow_def_adaptation_count(doc->def); i++) {
        strbuf_puts(sb, i ? "," : "");
        strbuf_json_str(sb, flow_def_adaptation(doc->def, i));
    }
    strbuf_puts(sb, "],\"source\":");
    strbuf_json_str(sb, source);
    strbuf_puts(sb, ",\"note\":");
    strbuf_json_str(sb, flow_def_adaptation_count(doc->def)
                            ? "As the flow declares them (its `adaptations` key)."
                            : "The flow declares no adaptation of a standard question set.");
    strbuf_append(sb, "}", 1);
}

/* "privacy": every coarsening and suppression, as data and as sentences. */
static void json_privacy(const struct export_doc *doc, struct strbuf *sb)
{
    const struct export_privacy *p = doc->privacy;
    const struct flow_def *def = doc->def;
    strbuf_printf(sb,
                  "\"privacy\":{\"times\":\"day\",\"respondent_ids\":\"%s\","
                  "\"free_text\":%s,\"banded\":{",
                  export_respondent_scope(doc->opts), doc->opts->free_text ? "true" : "false");
    const char *sep = "";
    for (size_t s = 0; s < flow_def_step_count(def); s++)
        if (p->band[s]) {
            strbuf_printf(sb, "%s\"%s\":%d", sep, flow_def_step_id(def, s), p->band[s]);
            sep = ",";
        }
    strbuf_puts(sb, "},\"location_levels\":");
    export_privacy_levels_json(def, p, sb);
    strbuf_printf(sb, ",\"k_anonymity\":{\"k\":%d,\"key_variables\":[", p->k);
    for (size_t i = 0; i < p->n_keys; i++)
        strbuf_printf(sb, "%s\"%s\"", i ? "," : "", export_privacy_key_name(def, p, i));
    strbuf_printf(sb, "],\"checked\":%s,\"combinations\":%lld,\"smallest\":%lld},",
                  p->n_keys ? "true" : "false", p->combinations, p->smallest < 0 ? 0 : p->smallest);
    struct strbuf lines = {0};
    export_privacy_describe(def, doc->opts, p, "", &lines);
    strbuf_puts(sb, "\"report\":[");
    const char *l = strbuf_cstr(&lines);
    for (int first = 1; *l; first = 0) {
        size_t len = strcspn(l, "\n");
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)len, l);
        strbuf_puts(sb, first ? "" : ",");
        strbuf_json_str(sb, line);
        l += len + (l[len] == '\n');
    }
    strbuf_puts(sb, "]}");
    strbuf_free(&lines);
}

static void codebook_json(const struct export_doc *doc, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const struct export_opts *o = doc->opts;
    const struct export_stats *st = export_table_stats(doc->table);
    strbuf_puts(sb, "{\n\"flow\":{\"id\":");
    strbuf_json_str(sb, flow_def_id(def));
    strbuf_printf(sb, ",\"version\":%d,\"title\":", doc->version);
    strbuf_json_str(sb, flow_def_title(def));
    strbuf_printf(sb, ",\"checksum\":\"%s\",\"first_seen_on\":\"%s\",\"other_checksums\":[",
                  doc->revs[0].checksum, doc->revs[0].first_seen_on);
    for (size_t i = 1; i < doc->n_revs; i++)
        strbuf_printf(sb, "%s{\"checksum\":\"%s\",\"first_seen_on\":\"%s\"}", i > 1 ? "," : "",
                      doc->revs[i].checksum, doc->revs[i].first_seen_on);
    strbuf_puts(sb, "],");
    flow_json_languages_consent(def, sb);
    strbuf_puts(sb, ",\"recruitment\":\"opt-in: people dialled or texted the flow themselves "
                    "and gave informed consent\",\"sampling\":\"self-selected, not a "
                    "probability sample\",\"collection_modes\":");
    struct strbuf modes = {0};
    export_codebook_modes(def, "; ", &modes);
    strbuf_json_str(sb, strbuf_cstr(&modes));
    strbuf_free(&modes);
    json_adaptations(doc, sb);
    strbuf_puts(sb, "},\n");
    strbuf_printf(sb,
                  "\"export\":{\"created\":\"%s\",\"format\":\"%s\",\"layout\":\"%s\","
                  "\"free_text\":%s,\"since\":",
                  doc->created, export_format_name(o->format), o->long_form ? "long" : "wide",
                  o->free_text ? "true" : "false");
    if (o->since)
        strbuf_json_str(sb, o->since);
    else
        strbuf_puts(sb, "null");
    strbuf_printf(sb,
                  ",\"file\":\"%s\",\"rows\":%lld,\"sessions\":%lld,\"answers\":%lld,"
                  "\"missing_values\":{\"\":\"not answered: skipped by a condition, not "
                  "reached, or free text left out\",\"%s\":\"prefer not to say (a code, "
                  "on optional questions only)\"},",
                  export_table_file(doc->table), st->rows, st->sessions, st->answers,
                  FLOW_CODE_REFUSED);
    json_privacy(doc, sb);
    strbuf_puts(sb, "},\n");
    strbuf_puts(sb, "\"fieldwork\":{\"first_started_on\":");
    strbuf_puts(sb, st->first_started_on[0] ? "\"" : "null");
    if (st->first_started_on[0])
        strbuf_printf(sb, "%s\",\"last_started_on\":\"%s\"", st->first_started_on,
                      st->last_started_on);
    else
        strbuf_puts(sb, ",\"last_started_on\":null");
    json_tally(sb, "channels", &st->channels);
    json_tally(sb, "outcomes", &st->outcomes);
    json_tally(sb, "languages", &st->languages);
    json_tally(sb, "consent_versions", &st->consent_versions);
    json_tally(sb, "flow_checksums", &st->checksums);
    strbuf_printf(sb, ",\"answers_to_unknown_questions\":%lld,\"codes_not_in_flow\":%lld},\n",
                  st->unknown_questions, st->unknown_codes);
    strbuf_puts(sb, "\"columns\":[\n");
    for (size_t i = 0; i < export_table_column_count(doc->table); i++) {
        strbuf_puts(sb, i ? ",\n" : "");
        column_schema(doc, export_table_column(doc->table, i), sb);
    }
    strbuf_puts(sb, "],\n\"questions\":[\n");
    for (size_t s = 0; s < flow_def_step_count(def); s++) {
        strbuf_puts(sb, s ? ",\n" : "");
        json_question(doc, s, sb);
    }
    strbuf_puts(sb, "],\n\"derived\":[\n");
    for (size_t d = 0; d < flow_def_derived_count(def); d++) {
        strbuf_puts(sb, d ? ",\n" : "");
        json_derived(doc, d, sb);
    }
    strbuf_puts(sb, "]\n}\n");
}

/* Markdown table cells: a '|' or a line break would end the cell. */
static void md_cell(struct strbuf *sb, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '|')
            strbuf_puts(sb, "\\|");
        else if (*p == '\n' || *p == '\r')
            strbuf_append(sb, " ", 1);
        else
            strbuf_append(sb, p, 1);
    }
}

static void md_tally(struct strbuf *sb, const char *what, const struct export_tally *ty)
{
    strbuf_printf(sb, "- %s: ", what);
    for (size_t i = 0; i < ty->n; i++)
        strbuf_printf(sb, "%s%s %lld", i ? ", " : "", *ty->keys[i] ? ty->keys[i] : "(none)",
                      ty->counts[i]);
    if (ty->other)
        strbuf_printf(sb, "%sother %lld", ty->n ? ", " : "", ty->other);
    strbuf_puts(sb, ty->n || ty->other ? "\n" : "none\n");
}

/* A location's level and the codes of the areas its column can hold. */
static void md_areas(const struct export_doc *doc, size_t s, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const struct export_privacy *p = doc->privacy;
    size_t n_langs = flow_def_language_count(def);
    int stat = export_format_is_stat(doc->opts->format);
    strbuf_printf(sb, "\nExported at level %d of %zu: **%s** (levels:", p->level[s] + 1,
                  flow_def_step_level_count(def, s),
                  flow_def_step_level(def, s, (size_t)p->level[s]));
    for (size_t k = 0; k < flow_def_step_level_count(def, s); k++)
        strbuf_printf(sb, "%s %s", k ? "," : "", flow_def_step_level(def, s, k));
    strbuf_printf(sb,
                  "). An answer recorded at a coarser level keeps its own code (%lld "
                  "session%s).\n\n| code |%s level |",
                  p->kept_coarser[s], p->kept_coarser[s] == 1 ? "" : "s",
                  stat ? " value in the file |" : "");
    for (size_t l = 0; l < n_langs; l++)
        strbuf_printf(sb, " name (%s) |", flow_def_language_at(def, l));
    strbuf_puts(sb, stat ? "\n|---|---|---|" : "\n|---|---|");
    for (size_t l = 0; l < n_langs; l++)
        strbuf_puts(sb, "---|");
    long value;
    const char *code;
    for (size_t a = 0; (code = export_privacy_area_next(def, p, s, &a, &value));) {
        strbuf_printf(sb, "\n| `%s` |", code);
        if (stat)
            strbuf_printf(sb, " %ld |", value);
        strbuf_printf(sb, " %s |",
                      flow_def_step_level(def, s, (size_t)flow_def_area_level(def, s, code)));
        for (size_t l = 0; l < n_langs; l++) {
            strbuf_append(sb, " ", 1);
            md_cell(sb, flow_def_area_name(def, s, code, l));
            strbuf_puts(sb, " |");
        }
    }
    strbuf_puts(sb, "\n");
}

static void md_question(const struct export_doc *doc, size_t s, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    size_t n_langs = flow_def_language_count(def);
    strbuf_printf(sb, "\n### `%s` (%s)\n\n", flow_def_step_id(def, s), flow_def_step_type(def, s));
    if (!doc->opts->free_text && is_type(def, s, "text"))
        strbuf_puts(sb, "Free text: **not in this export** (export with `--free-text`).\n\n");
    strbuf_puts(sb, "| language | question |\n|---|---|\n");
    for (size_t l = 0; l < n_langs; l++) {
        strbuf_printf(sb, "| %s | ", flow_def_language_at(def, l));
        md_cell(sb, flow_def_step_text(def, s, l));
        strbuf_puts(sb, " |\n");
    }
    size_t n = flow_def_step_choice_count(def, s);
    if (n) {
        strbuf_puts(sb, "\n| code |");
        for (size_t l = 0; l < n_langs; l++)
            strbuf_printf(sb, " label (%s) |", flow_def_language_at(def, l));
        strbuf_puts(sb, "\n|---|");
        for (size_t l = 0; l < n_langs; l++)
            strbuf_puts(sb, "---|");
        for (size_t c = 0; c < n; c++) {
            strbuf_printf(sb, "\n| `%s` |", flow_def_step_choice_code(def, s, c));
            for (size_t l = 0; l < n_langs; l++) {
                strbuf_append(sb, " ", 1);
                md_cell(sb, flow_def_step_choice_label(def, s, c, l));
                strbuf_puts(sb, " |");
            }
        }
        strbuf_puts(sb, "\n");
    }
    if (doc->privacy->coarsen[s])
        md_areas(doc, s, sb);
    char min[32], max[32];
    if (flow_def_step_range(def, s, min, max, sizeof min))
        strbuf_printf(sb, "\nRange: %s to %s.\n", min, max);
    if (is_type(def, s, "text"))
        strbuf_printf(sb, "\nAt most %ld characters.\n", flow_def_step_max_length(def, s));
    if (flow_def_step_refused_code(def, s))
        strbuf_printf(sb, "\nOptional: `%s` = prefer not to say (\"%s\").\n", FLOW_CODE_REFUSED,
                      flow_def_prefer_not_label(def, 0) ? flow_def_prefer_not_label(def, 0) : "");
    struct strbuf when = {0};
    if (flow_def_step_condition(def, s, &when))
        strbuf_printf(sb, "\nAsked only when `%s`; empty otherwise.\n", strbuf_cstr(&when));
    strbuf_free(&when);
}

static void md_derived(const struct export_doc *doc, size_t d, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const char *codes[EXPORT_DERIVED_CODES], *labels[EXPORT_DERIVED_CODES];
    size_t n = export_derived_codes(def, d, codes, labels);
    strbuf_printf(sb,
                  "\n### `%s` (derived)\n\nComputed by the flow when a session completes, "
                  "from the answers to ",
                  flow_def_derived_id(def, d));
    derived_reads(def, d, ", ", sb);
    strbuf_puts(sb, ". Rule: `");
    flow_def_derived_rule(def, d, sb);
    strbuf_puts(sb, "`.\n\n| code |");
    if (export_format_is_stat(doc->opts->format))
        strbuf_puts(sb, " value in the file |");
    strbuf_puts(sb, " meaning |\n|---|");
    if (export_format_is_stat(doc->opts->format))
        strbuf_puts(sb, "---|");
    strbuf_puts(sb, "---|\n");
    for (size_t c = 0; c < n; c++) {
        strbuf_printf(sb, "| `%s` |", codes[c]);
        if (export_format_is_stat(doc->opts->format))
            strbuf_printf(sb, " %ld |", export_stat_derived_value(def, d, c));
        strbuf_printf(sb, " %s |\n", labels[c]);
    }
    strbuf_printf(sb, "\nEmpty: %s.\n", export_derived_empty(def, d));
}

static void codebook_md(const struct export_doc *doc, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const struct export_stats *st = export_table_stats(doc->table);
    strbuf_printf(sb, "# Codebook: %s\n\n", flow_def_title(def));
    strbuf_printf(sb, "- Flow: `%s` version %d\n- Definition: SHA-256 `%s` (first seen %s)\n",
                  flow_def_id(def), doc->version, doc->revs[0].checksum,
                  doc->revs[0].first_seen_on);
    for (size_t i = 1; i < doc->n_revs; i++)
        strbuf_printf(sb,
                      "- Also registered under this version (not used for this codebook): "
                      "`%s` (first seen %s)\n",
                      doc->revs[i].checksum, doc->revs[i].first_seen_on);
    strbuf_printf(sb, "- Exported: %s, file `%s`, %s layout, %lld rows, %lld sessions%s\n",
                  doc->created, export_table_file(doc->table),
                  doc->opts->long_form ? "long" : "wide", st->rows, st->sessions,
                  doc->opts->free_text ? ", free text included" : ", free text left out");
    if (doc->opts->since)
        strbuf_printf(sb, "- Sessions started on or after %s only\n", doc->opts->since);
    strbuf_printf(sb, "- Fieldwork: %s to %s (day consent was given, UTC)\n",
                  st->first_started_on[0] ? st->first_started_on : "none",
                  st->last_started_on[0] ? st->last_started_on : "none");
    strbuf_puts(sb, "- Recruitment: opt-in; every person gave informed consent first "
                    "(self-selected, not a probability sample)\n- Collection mode: ");
    export_codebook_modes(def, ", ", sb);
    strbuf_puts(sb, "\n- Adaptations: ");
    export_adaptations(def, "; ", sb);
    strbuf_puts(sb, "\n");
    md_tally(sb, "Channels", &st->channels);
    md_tally(sb, "Outcomes", &st->outcomes);
    md_tally(sb, "Languages", &st->languages);
    md_tally(sb, "Consent versions seen", &st->consent_versions);
    if (st->unknown_questions || st->unknown_codes)
        strbuf_printf(sb,
                      "- Not described by this definition: %lld answers to other questions "
                      "(left out), %lld codes\n",
                      st->unknown_questions, st->unknown_codes);
    strbuf_printf(sb,
                  "\nMissing values: an empty cell is a question not answered (skipped, not "
                  "reached, or free text left out). `%s` is a code: the person chose "
                  "\"prefer not to say\".\n",
                  FLOW_CODE_REFUSED);
    strbuf_puts(sb, "\n## Privacy: what this export coarsened or left out\n\n");
    export_privacy_describe(def, doc->opts, doc->privacy, "- ", sb);
    strbuf_printf(sb, "\n## Consent text (version `%s`)\n\n", flow_def_consent_version(def));
    for (size_t l = 0; l < flow_def_language_count(def); l++)
        strbuf_printf(sb, "- %s: %s\n", flow_def_language_at(def, l),
                      flow_def_consent_text(def, l));
    strbuf_puts(sb, "\n## Columns\n\n| column | type | description |\n|---|---|---|\n");
    for (size_t i = 0; i < export_table_column_count(doc->table); i++) {
        const struct export_column *c = export_table_column(doc->table, i);
        struct strbuf desc = {0};
        export_codebook_describe(doc, c, &desc);
        strbuf_printf(sb, "| `%s` | %s | ", c->name,
                      c->step >= 0      ? flow_def_step_type(def, (size_t)c->step)
                      : c->derived >= 0 ? "derived"
                                        : "");
        md_cell(sb, strbuf_cstr(&desc));
        strbuf_puts(sb, " |\n");
        strbuf_free(&desc);
    }
    strbuf_puts(sb, "\n## Questions\n");
    for (size_t s = 0; s < flow_def_step_count(def); s++)
        md_question(doc, s, sb);
    if (flow_def_derived_count(def))
        strbuf_puts(sb, "\n## Derived variables\n");
    for (size_t d = 0; d < flow_def_derived_count(def); d++)
        md_derived(doc, d, sb);
}

static void datapackage_json(const struct export_doc *doc, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const char *file = export_table_file(doc->table);
    strbuf_printf(sb, "{\n\"profile\":\"tabular-data-package\",\"name\":\"%s-v%d\",\"title\":",
                  flow_def_id(def), doc->version);
    strbuf_json_str(sb, flow_def_title(def));
    strbuf_printf(sb, ",\"created\":\"%s\",\"description\":", doc->created);
    strbuf_json_str(sb, doc->opts->partner
                            ? "Responses to a raia flow for one partner: respondent ids as "
                              "privacy.respondent_ids in codebook.json says, dates are days. See "
                              "codebook.md and codebook.json for every question in every language."
                            : "Responses to a raia flow, pseudonym-free: respondent ids are valid "
                              "within this export only, dates are days. See codebook.md and "
                              "codebook.json for every question in every language.");
    strbuf_printf(sb, ",\"sources\":[{\"title\":\"raia flow %s version %d, SHA-256 %s\"}],\n",
                  flow_def_id(def), doc->version, doc->revs[0].checksum);
    const struct export_stats *st = export_table_stats(doc->table);
    strbuf_puts(sb, "\"fieldwork\":{\"first_day\":");
    if (st->first_started_on[0])
        strbuf_printf(sb, "\"%s\",\"last_day\":\"%s\"", st->first_started_on, st->last_started_on);
    else
        strbuf_puts(sb, "null,\"last_day\":null");
    json_tally(sb, "channels", &st->channels);
    json_tally(sb, "consent_versions", &st->consent_versions);
    strbuf_puts(sb, ",\"collection_modes\":");
    struct strbuf modes = {0};
    export_codebook_modes(def, "; ", &modes);
    strbuf_json_str(sb, strbuf_cstr(&modes));
    strbuf_free(&modes);
    strbuf_puts(sb, ",\"recruitment\":\"opt-in (self-selected)\",\"consent_version\":");
    strbuf_json_str(sb, flow_def_consent_version(def));
    json_adaptations(doc, sb);
    strbuf_puts(sb, "},\n");
    strbuf_printf(sb,
                  "\"resources\":[{\"profile\":\"tabular-data-resource\",\"name\":\"%.*s\","
                  "\"path\":\"%s\",\"format\":\"csv\",\"mediatype\":\"text/csv\","
                  "\"encoding\":\"utf-8\",\"dialect\":{\"delimiter\":\",\",\"header\":true},\n"
                  "\"schema\":{\"missingValues\":[\"\"],",
                  (int)(strchr(file, '.') - file), file, file);
    if (!doc->opts->long_form)
        strbuf_puts(sb, "\"primaryKey\":\"response\",");
    strbuf_puts(sb, "\"fields\":[\n");
    for (size_t i = 0; i < export_table_column_count(doc->table); i++) {
        strbuf_puts(sb, i ? ",\n" : "");
        column_schema(doc, export_table_column(doc->table, i), sb);
    }
    strbuf_puts(sb, "]}}]\n}\n");
}

int export_codebook_write(const struct export_doc *doc, struct raia_err *err)
{
    void (*const writers[])(const struct export_doc *, struct strbuf *) = {
        codebook_json, codebook_md, export_ddi_write, datapackage_json};
    static const char *const names[] = {"codebook.json", "codebook.md", "codebook.ddi.xml",
                                        "datapackage.json"};
    size_t n = doc->opts->format == EXPORT_FORMAT_DATAPACKAGE ? 4 : 3;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct strbuf sb = {0};
        writers[i](doc, &sb);
        rc = sb.oom ? raia_err_set(err, RAIA_ENOMEM, "out of memory")
                    : export_write_file(doc->opts->out_dir, names[i], sb.data, sb.len, err);
        strbuf_free(&sb);
    }
    return rc;
}
