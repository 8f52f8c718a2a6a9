/*
 * export_ddi.c - codebook.ddi.xml (see export_ddi.h), called by
 * export_codebook_write() with the same export_doc as codebook.json.
 *
 * Elements follow the order of the DDI Codebook 2.5 schema (codeBook:
 * docDscr, stdyDscr, fileDscr, dataDscr). Every text from the flow passes
 * through xml_text(), which escapes markup characters and drops the
 * control characters XML 1.0 forbids. Category values (catValu) are the
 * values as they appear in the data file of this export: codes for CSV and
 * JSON Lines, numbers for .sav and .dta (export_stat.c's coding), so the
 * document describes exactly the file it travels with.
 */
#include "export_ddi.h"

#include <string.h>

#include "export_stat.h"

static void xml_text(struct strbuf *sb, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '&')
            strbuf_puts(sb, "&amp;");
        else if (c == '<')
            strbuf_puts(sb, "&lt;");
        else if (c == '>')
            strbuf_puts(sb, "&gt;");
        else if (c == '"')
            strbuf_puts(sb, "&quot;");
        else if (c == '\'')
            strbuf_puts(sb, "&apos;");
        else if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
            strbuf_append(sb, p, 1);
    }
}

/* <tag attrs>text</tag>, the text escaped; attrs (trusted, may be "") is written as is. */
static void element(struct strbuf *sb, const char *tag, const char *attrs, const char *text)
{
    strbuf_printf(sb, "<%s%s>", tag, attrs);
    xml_text(sb, text);
    strbuf_printf(sb, "</%s>", tag);
}

/* <tag xml:lang="xx">text</tag> for every language of the flow, via get. */
static void per_language(struct strbuf *sb, const struct flow_def *def, const char *tag,
                         const char *(*get)(const struct flow_def *, size_t, size_t, size_t),
                         size_t step, size_t choice)
{
    for (size_t l = 0; l < flow_def_language_count(def); l++) {
        const char *t = get(def, step, choice, l);
        if (!t)
            continue;
        char attrs[32];
        snprintf(attrs, sizeof attrs, " xml:lang=\"%s\"", flow_def_language_at(def, l));
        element(sb, tag, attrs, t);
    }
}

static const char *question_text(const struct flow_def *def, size_t step, size_t choice,
                                 size_t lang)
{
    (void)choice;
    return flow_def_step_text(def, step, lang);
}

/* The name of the area in row `row` of location step's areas file. */
static const char *area_name(const struct flow_def *def, size_t step, size_t row, size_t lang)
{
    return flow_def_area_name(def, step, flow_def_area_at(def, step, row, NULL), lang);
}

static const char *consent_text(const struct flow_def *def, size_t step, size_t choice, size_t lang)
{
    (void)step, (void)choice;
    return flow_def_consent_text(def, lang);
}

static void study(const struct export_doc *doc, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const struct export_stats *st = export_table_stats(doc->table);
    char id[128], version[16];
    snprintf(id, sizeof id, "%s-v%d", flow_def_id(def), doc->version);
    snprintf(version, sizeof version, "%d", doc->version);
    strbuf_puts(sb, "<stdyDscr><citation><titlStmt>");
    element(sb, "titl", "", flow_def_title(def));
    element(sb, "IDNo", "", id);
    strbuf_puts(sb, "</titlStmt><verStmt>");
    element(sb, "version", "", version);
    strbuf_puts(sb, "<notes>Flow definition SHA-256 ");
    xml_text(sb, doc->revs[0].checksum);
    strbuf_puts(sb, "</notes></verStmt></citation>\n<stdyInfo><sumDscr>");
    if (st->first_started_on[0])
        strbuf_printf(sb,
                      "<collDate event=\"start\" date=\"%s\"/><collDate event=\"end\" "
                      "date=\"%s\"/>",
                      st->first_started_on, st->last_started_on);
    strbuf_puts(sb, "<anlyUnit>Individuals: one session (questionnaire) per row; a person who "
                    "answered twice has two rows with the same respondent id</anlyUnit>"
                    "<universe>People who reached the flow by USSD or SMS and gave informed "
                    "consent</universe><dataKind>Survey data (self-completed on a mobile "
                    "phone)</dataKind></sumDscr></stdyInfo>\n<method><dataColl>"
                    "<sampProc>Opt-in self-selection: people dialled or texted the service "
                    "themselves. Not a probability sample; no weights.</sampProc>");
    struct strbuf modes = {0};
    export_codebook_modes(def, "\n", &modes);
    for (const char *m = strbuf_cstr(&modes); *m;) {
        size_t len = strcspn(m, "\n");
        char mode[128];
        snprintf(mode, sizeof mode, "%.*s", (int)len, m);
        element(sb, "collMode", "", mode);
        m += len + (m[len] == '\n');
    }
    strbuf_free(&modes);
    struct strbuf adaptations = {0};
    export_adaptations(def, "; ", &adaptations);
    element(sb, "instrumentDevelopment", " type=\"adaptation\"", strbuf_cstr(&adaptations));
    strbuf_free(&adaptations);
    strbuf_puts(sb, "</dataColl>\n");
    char attrs[160];
    for (size_t l = 0; l < flow_def_language_count(def); l++) {
        snprintf(attrs, sizeof attrs, " type=\"consent\" subject=\"%.64s\" xml:lang=\"%s\"",
                 flow_def_consent_version(def), flow_def_language_at(def, l));
        element(sb, "notes", attrs, consent_text(def, 0, 0, l));
    }
    struct strbuf text = {0};
    strbuf_puts(&text, "Consent versions seen:");
    for (size_t i = 0; i < st->consent_versions.n; i++)
        strbuf_printf(&text, " %s (%lld sessions)", st->consent_versions.keys[i],
                      st->consent_versions.counts[i]);
    element(sb, "notes", " type=\"consent-versions\"", strbuf_cstr(&text));
    strbuf_reset(&text);
    export_privacy_describe(def, doc->opts, doc->privacy, "", &text);
    element(sb, "notes", " type=\"disclosure-control\"", strbuf_cstr(&text));
    strbuf_free(&text);
    strbuf_puts(sb, "</method></stdyDscr>\n");
}

static void file_description(const struct export_doc *doc, struct strbuf *sb)
{
    const struct export_stats *st = export_table_stats(doc->table);
    enum export_format f = doc->opts->format;
    static const char *const types[EXPORT_FORMAT_COUNT] = {
        "CSV (RFC 4180, UTF-8)", "JSON Lines (UTF-8)", "CSV (RFC 4180, UTF-8)",
        "SPSS system file (.sav)", "Stata 14+ data file (.dta, format 118)"};
    strbuf_puts(sb, "<fileDscr ID=\"F1\"><fileTxt>");
    element(sb, "fileName", "", export_table_file(doc->table));
    element(sb, "fileCont", "",
            doc->opts->long_form ? "One row per answer" : "One row per consented session");
    strbuf_printf(sb, "<dimensns><caseQnty>%lld</caseQnty><varQnty>%zu</varQnty></dimensns>",
                  st->rows, export_table_column_count(doc->table));
    element(sb, "fileType", "", types[f]);
    element(sb, "dataMsng", "",
            f == EXPORT_FORMAT_SAV   ? "Prefer not to say and not answered are user-missing "
                                       "codes, listed per variable (missing=\"Y\")."
            : f == EXPORT_FORMAT_DTA ? "Prefer not to say is .a, not answered is .b."
                                     : "An empty value is not answered; 'refused' is the code of "
                                       "prefer not to say.");
    strbuf_puts(sb, "</fileTxt></fileDscr>\n");
}

/* One <catgry>: value as in the file, labels in every language or one label. */
static void category(struct strbuf *sb, const char *value, int missing, const char *label)
{
    strbuf_puts(sb, missing ? "<catgry missing=\"Y\">" : "<catgry>");
    element(sb, "catValu", "", value);
    if (label)
        element(sb, "labl", "", label);
}

/* A missing code as the file holds it: a number in SPSS, .a / .b in Stata. */
static void missing_value(enum export_format f, long code, char tag, char *buf, size_t size)
{
    if (f == EXPORT_FORMAT_SAV)
        snprintf(buf, size, "%ld", code);
    else
        snprintf(buf, size, ".%c", tag);
}

static void categories(const struct export_doc *doc, size_t s, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    enum export_format f = doc->opts->format;
    int stat = export_format_is_stat(f);
    char value[64];
    for (size_t c = 0; c < flow_def_step_choice_count(def, s); c++) {
        if (stat)
            snprintf(value, sizeof value, "%ld", export_stat_code_value(def, s, c));
        category(sb, stat ? value : flow_def_step_choice_code(def, s, c), 0, NULL);
        per_language(sb, def, "labl", flow_def_step_choice_label, s, c);
        strbuf_puts(sb, "</catgry>");
    }
    long area;
    const char *code;
    for (size_t a = 0;
         doc->privacy->coarsen[s] &&
         (code = export_privacy_area_next(def, doc->privacy, s, &a, &area)) != NULL;) {
        snprintf(value, sizeof value, "%ld", area);
        category(sb, stat ? value : code, 0, NULL);
        per_language(sb, def, "labl", area_name, s, (size_t)area - 1);
        strbuf_puts(sb, "</catgry>");
    }
    char band[48];
    long lower;
    for (size_t b = 0;
         b < export_privacy_band_at(def, doc->privacy, s, b, &lower, band, sizeof band); b++) {
        snprintf(value, sizeof value, "%ld", lower);
        category(sb, stat ? value : band, 0, band);
        strbuf_puts(sb, "</catgry>");
    }
    if (stat && export_stat_is_string(def, s))
        return; /* strings: empty is not answered; no numeric codes */
    long refused, not_answered;
    export_stat_missing_codes(def, s, &refused, &not_answered);
    const char *prefer = flow_def_prefer_not_label(def, 0);
    if (flow_def_step_refused_code(def, s)) {
        missing_value(f, refused, EXPORT_TAG_REFUSED, value, sizeof value);
        category(sb, stat ? value : FLOW_CODE_REFUSED, 1, prefer ? prefer : EXPORT_LABEL_REFUSED);
        strbuf_puts(sb, "</catgry>");
    }
    missing_value(f, not_answered, EXPORT_TAG_NOT_ANSWERED, value, sizeof value);
    category(sb, stat ? value : "", 1, EXPORT_LABEL_NOT_ANSWERED);
    strbuf_puts(sb, "</catgry>");
}

/*
 * A derived variable's <var>: its categories (then, else, missing codes
 * and "not computed") and a <derivation> naming the variables of this file
 * it is computed from, with the rule as the flow writes it.
 */
static void derived_variable(const struct export_doc *doc, size_t i, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const struct export_column *col = export_table_column(doc->table, i);
    size_t d = (size_t)col->derived;
    int stat = export_format_is_stat(doc->opts->format);
    strbuf_printf(sb, "<var ID=\"V%zu\" name=\"", i + 1);
    xml_text(sb, col->name);
    strbuf_puts(sb, "\" files=\"F1\" intrvl=\"discrete\">");
    struct strbuf text = {0};
    strbuf_puts(&text, "Derived: ");
    flow_def_derived_rule(def, d, &text);
    element(sb, "labl", "", strbuf_cstr(&text));
    strbuf_reset(&text);
    export_codebook_describe(doc, col, &text);
    element(sb, "txt", "", strbuf_cstr(&text));
    const char *codes[EXPORT_DERIVED_CODES], *labels[EXPORT_DERIVED_CODES];
    size_t n = export_derived_codes(def, d, codes, labels);
    char value[64];
    for (size_t c = 0; c < n; c++) {
        snprintf(value, sizeof value, "%ld", export_stat_derived_value(def, d, c));
        category(sb, stat ? value : codes[c], c == 2, labels[c]);
        strbuf_puts(sb, "</catgry>");
    }
    missing_value(doc->opts->format, EXPORT_DERIVED_NOT_COMPUTED, EXPORT_TAG_NOT_ANSWERED, value,
                  sizeof value);
    category(sb, stat ? value : "", 1, export_derived_empty(def, d));
    strbuf_puts(sb, "</catgry><derivation");
    struct flow_derived_info v;
    flow_def_derived_info(def, d, &v);
    size_t refs = 0; /* the variables read that have a column here */
    for (size_t k = 0; k < v.n_steps; k++)
        for (size_t j = 0; j < export_table_column_count(doc->table); j++)
            if (export_table_column(doc->table, j)->step == (int)v.steps[k])
                strbuf_printf(sb, "%sV%zu", refs++ ? " " : " var=\"", j + 1);
    strbuf_puts(sb, refs ? "\">" : ">");
    strbuf_reset(&text);
    flow_def_derived_rule(def, d, &text);
    element(sb, "drvdesc", "", strbuf_cstr(&text));
    strbuf_free(&text);
    strbuf_printf(sb, "</derivation><varFormat type=\"%s\"/></var>\n",
                  stat ? "numeric" : "character");
}

static void variable(const struct export_doc *doc, size_t i, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    const struct export_column *c = export_table_column(doc->table, i);
    int s = c->step;
    int contin = s >= 0 && !doc->privacy->band[s] && !doc->privacy->coarsen[s] &&
                 flow_def_step_choice_count(def, (size_t)s) == 0 &&
                 strcmp(flow_def_step_type(def, (size_t)s), "text") != 0;
    strbuf_printf(sb, "<var ID=\"V%zu\" name=\"", i + 1);
    xml_text(sb, c->name);
    strbuf_printf(sb, "\" files=\"F1\" intrvl=\"%s\"", contin ? "contin" : "discrete");
    if (s >= 0 && flow_def_step_decimals(def, (size_t)s))
        strbuf_printf(sb, " dcml=\"%d\"", flow_def_step_decimals(def, (size_t)s));
    strbuf_puts(sb, ">");
    struct strbuf desc = {0};
    export_codebook_describe(doc, c, &desc);
    if (s < 0) {
        element(sb, "labl", "", c->name);
    } else {
        per_language(sb, def, "labl", question_text, (size_t)s, 0);
        strbuf_puts(sb, "<qstn>");
        per_language(sb, def, "qstnLit", question_text, (size_t)s, 0);
        strbuf_puts(sb, "</qstn>");
        char min[32], max[32];
        if (!doc->privacy->band[s] && flow_def_step_range(def, (size_t)s, min, max, sizeof min))
            strbuf_printf(sb, "<valrng><range min=\"%s\" max=\"%s\"/></valrng>", min, max);
        struct strbuf when = {0};
        if (flow_def_step_condition(def, (size_t)s, &when))
            element(sb, "universe", "", strbuf_cstr(&when));
        strbuf_free(&when);
    }
    element(sb, "txt", "", strbuf_cstr(&desc));
    strbuf_free(&desc);
    if (s >= 0)
        categories(doc, (size_t)s, sb);
    int numeric =
        c->kind != EXPORT_KIND_STRING || (export_format_is_stat(doc->opts->format) && s >= 0 &&
                                          !export_stat_is_string(def, (size_t)s));
    if (c->kind == EXPORT_KIND_DATE)
        strbuf_printf(
            sb, "<varFormat type=\"numeric\" formatname=\"date\" schema=\"%s\">%s</varFormat>",
            doc->opts->format == EXPORT_FORMAT_SAV   ? "SPSS"
            : doc->opts->format == EXPORT_FORMAT_DTA ? "other"
                                                     : "ISO",
            doc->opts->format == EXPORT_FORMAT_SAV   ? "DATE11"
            : doc->opts->format == EXPORT_FORMAT_DTA ? "%td"
                                                     : "YYYY-MM-DD");
    else
        strbuf_printf(sb, "<varFormat type=\"%s\"/>", numeric ? "numeric" : "character");
    strbuf_puts(sb, "</var>\n");
}

void export_ddi_write(const struct export_doc *doc, struct strbuf *sb)
{
    const struct flow_def *def = doc->def;
    strbuf_puts(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<codeBook xmlns=\"ddi:codebook:2_5\" version=\"2.5\" xml:lang=\"");
    xml_text(sb, flow_def_language(def));
    strbuf_puts(sb, "\">\n<docDscr><citation><titlStmt>");
    struct strbuf title = {0};
    strbuf_printf(&title, "Codebook: %s", flow_def_title(def));
    element(sb, "titl", "", strbuf_cstr(&title));
    strbuf_free(&title);
    strbuf_puts(sb, "</titlStmt><prodStmt>");
    char day[11];
    snprintf(day, sizeof day, "%.10s", doc->created);
    strbuf_printf(sb, "<prodDate date=\"%s\">%s</prodDate>", day, doc->created);
    element(sb, "software", "", "raia export");
    strbuf_puts(sb, "</prodStmt></citation></docDscr>\n");
    study(doc, sb);
    file_description(doc, sb);
    strbuf_puts(sb, "<dataDscr>\n");
    for (size_t i = 0; i < export_table_column_count(doc->table); i++) {
        if (export_table_column(doc->table, i)->derived >= 0)
            derived_variable(doc, i, sb);
        else
            variable(doc, i, sb);
    }
    strbuf_puts(sb, "</dataDscr>\n</codeBook>\n");
}
