/*
 * flows_types_test.c - the question types and logic beyond the basics, by
 * exact transcripts: long lists in pages, multi_choice, date / year / age,
 * location drill-down from an areas file, `next` branches and named end
 * screens that quote answers, stop and help words per language, sensitive
 * flows, derived variables and the resume prompt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flow_def.h" /* flow_date_parse_dmy */
#include "flows_help.h"

#define HEAD                                                                                       \
    "id: t\nversion: 1\ntitle: T\nlanguage: en\nchannels: {ussd: \"*1#\", sms: {short_code: "      \
    "\"1\", keyword: T}}\n"                                                                        \
    "consent: {version: c1, text: Ok?, accept: Yes, decline: No, declined: Bye}\n"
#define TAIL "messages: {invalid: Bad, abandoned: Gone, stopped: Stopped}\nend: Done\n"

/* A flow of one choice step with n choices "County number N" (codes cN). */
static struct flow_def *counties(size_t n, const char *extra)
{
    char buf[8192];
    size_t len = (size_t)snprintf(buf, sizeof buf,
                                  HEAD "%ssteps:\n  - id: a\n    type: choice\n    text: Which "
                                       "county?\n    choices:\n",
                                  extra);
    for (size_t i = 1; i <= n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len,
                                "      - {code: c%zu, label: County number %zu}\n", i, i);
    snprintf(buf + len, sizeof buf - len, TAIL);
    return load_buf(buf);
}

/* "Which county?" then items from..to ("N County number N"), then the given tail. */
static const char *page(size_t from, size_t to, const char *tail)
{
    static char buf[4][1024];
    static int k;
    char *out = buf[k++ % 4];
    size_t len = (size_t)snprintf(out, 1024, "Which county?");
    for (size_t i = from; i <= to; i++)
        len += (size_t)snprintf(out + len, 1024 - len, "\n%zu County number %zu", i, i);
    snprintf(out + len, 1024 - len, "%s", tail);
    return out;
}

static void test_paging(void)
{
    struct flow_def *def = counties(20, "");
    char log[1024];
    test_cond("20 choices load", def != NULL);
    if (!def)
        return;
    const struct turn_want pages[] = {
        {NULL, "Ok?\n1 Yes\n2 No", 0, 0},
        {"1", page(1, 8, "\n98 More"), 0, 0},
        {"98", page(9, 15, "\n98 More\n0 Back"), 0, 0},
        {"98", page(16, 20, "\n0 Back"), 0, 0},
        {"98", "Bad\n", 0, 0}, /* no page after the last: a retry, same page */
        {"0", page(9, 15, "\n98 More\n0 Back"), 0, 0},
        {"3", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("USSD: three pages, More and Back, a number from another page",
              play_as(def, pages, 4, 1, log, sizeof log) && play(def, pages, 7, log, sizeof log) &&
                  strcmp(log, "a=c3/County number 3;") == 0);
    const struct turn_want sms[] = {
        {NULL, "Ok?\n1 Yes\n2 No", 0, 0},
        {"1", page(1, 7, "\n98 More"), 0, 0},
        {"c20", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("SMS pages are shorter (160); a code from the last page is accepted",
              play_on(def, FLOW_CHANNEL_SMS, sms, 3, 1, log, sizeof log) &&
                  strcmp(log, "a=c20/County number 20;") == 0);
    const struct turn_want help[] = {
        {NULL, "Ok?", 0, 0},
        {"1", page(1, 8, "\n98 More"), 0, 0},
        {"98", page(9, 15, "\n98 More\n0 Back"), 0, 0},
        {"x", "Bad\nWhich county?\n9 County number 9", 0, 0},
    };
    test_cond("a re-prompt shows the same page", play(def, help, 4, log, sizeof log));
    flow_def_unref(def);

    def = counties(64, "labels: {more: Next, back: Previous}\n");
    test_cond("64 choices, renamed More and Back",
              def != NULL && flow_def_step_choice_count(def, 0) == 64);
    const struct turn_want renamed[] = {
        {NULL, "Ok?", 0, 0},
        {"1", "\n8 County number 8\n98 Next", 0, 0},
        {"98", "\n98 Next\n0 Previous", 0, 0},
        {"64", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("renamed labels", def && play(def, renamed, 4, log, sizeof log) &&
                                    strcmp(log, "a=c64/County number 64;") == 0);
    flow_def_unref(def);
    def = counties(65, "");
    test_cond("65 choices are too many", def == NULL);
}

static const char multi[] =
    HEAD "steps:\n"
         "  - id: s\n"
         "    type: multi_choice\n"
         "    text: Which services work?\n"
         "    optional: true\n"
         "    max_selected: 2\n"
         "    choices: [{code: water, label: Water}, {code: clinic, label: Clinic},\n"
         "              {code: school, label: School}]\n" TAIL;

static void test_multi(void)
{
    struct flow_def *def = load_buf(multi);
    char log[1024], min[16], max[16];
    long fewest = 0, most = 0;
    test_cond("multi_choice loads", def != NULL);
    if (!def)
        return;
    test_cond("multi_choice describes", strcmp(flow_def_step_type(def, 0), "multi_choice") == 0 &&
                                            !flow_def_step_range(def, 0, min, max, sizeof min) &&
                                            flow_def_step_selection(def, 0, &fewest, &most) &&
                                            fewest == 1 && most == 2 &&
                                            !flow_def_step_selection(def, 1, &fewest, &most) &&
                                            flow_def_step_choice_count(def, 0) == 3);
    const struct turn_want ussd[] = {
        {NULL, "Ok?\n1 Yes\n2 No", 0, 0},
        {"1", "Which services work?\n1 Water\n2 Clinic\n3 School\n4 Prefer not to say\n0 Done", 0,
         0},
        {"2", "Which services work?\n1 Water\n2 +Clinic\n3 School\n4 Prefer not to say\n0 Done", 0,
         0},
        {"1", "Which services work?\n1 +Water\n2 +Clinic\n3 School\n4 Prefer not to say\n0 Done", 0,
         0},
        {"3",
         "Bad\nWhich services work?\n1 +Water\n2 +Clinic\n3 School\n4 Prefer not to say\n0 Done", 0,
         0},
        {"2", "Which services work?\n1 +Water\n2 Clinic\n3 School\n4 Prefer not to say\n0 Done", 0,
         0},
        {"school",
         "Which services work?\n1 +Water\n2 Clinic\n3 +School\n4 Prefer not to say\n0 Done", 0, 0},
        {"0", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("USSD: numbers mark and unmark, at most max_selected, 0 Done",
              play_as(def, ussd, 7, 1, log, sizeof log) && play(def, ussd, 8, log, sizeof log) &&
                  strcmp(log, "s=water school/Water, School;") == 0);
    const struct turn_want typed[] = {
        {NULL, "Ok?", 0, 0},
        {"1", "0 Done", 0, 0},
        {"0", "Bad\n", 0, 0}, /* nothing marked: fewer than min_selected */
        {" 3,1 ", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("USSD: a typed list answers at once, in choice order",
              play(def, typed, 4, log, sizeof log) &&
                  strcmp(log, "s=water school/Water, School;") == 0);
    const struct turn_want sms[] = {
        {NULL, "Ok?\n1 Yes\n2 No", 0, 0},
        {"1", "Which services work?\n1 Water\n2 Clinic\n3 School\n4 Prefer not to say", 0, 0},
        {"1 2 3", "Bad\n", 0, 0}, /* more than max_selected */
        {"1 1", "Bad\n", 0, 0},   /* twice the same */
        {"clinic water", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("SMS: a list of numbers or codes, no marks",
              play_on(def, FLOW_CHANNEL_SMS, sms, 2, 1, log, sizeof log) &&
                  play_on(def, FLOW_CHANNEL_SMS, sms, 5, 0, log, sizeof log) &&
                  strcmp(log, "s=water clinic/Water, Clinic;") == 0);
    const struct turn_want refused[] = {
        {NULL, "Ok?", 0, 0},
        {"1", "Which", 0, 0},
        {"2 4", "Bad", 0, 0}, /* "prefer not to say" stands alone */
        {"4", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("prefer not to say", play_on(def, FLOW_CHANNEL_SMS, refused, 4, 0, log, sizeof log) &&
                                       strcmp(log, "s=refused/;") == 0);
    const struct turn_want single[] = {
        {NULL, "Ok?", 0, 0}, {"1", "Which", 0, 0}, {"3", "Done", 1, FLOW_OUTCOME_COMPLETED}};
    test_cond("SMS: one number answers",
              play_on(def, FLOW_CHANNEL_SMS, single, 3, 0, log, sizeof log) &&
                  strcmp(log, "s=school/School;") == 0);
    flow_def_unref(def);
}

static const char calendar[] =
    HEAD "steps:\n"
         "  - {id: born, type: date, text: Birth date?, min: 1900-01-01, max: 2026-11-26}\n"
         "  - {id: year, type: year, text: Year moved?, min: 1950, max: 2026}\n"
         "  - {id: age, type: age, text: Age?, optional: true}\n" TAIL;

static void test_calendar(void)
{
    struct flow_def *def = load_buf(calendar);
    char log[1024], min[16], max[16];
    test_cond("date, year and age load", def != NULL);
    if (!def)
        return;
    test_cond("types", strcmp(flow_def_step_type(def, 0), "date") == 0 &&
                           strcmp(flow_def_step_type(def, 1), "year") == 0 &&
                           strcmp(flow_def_step_type(def, 2), "age") == 0);
    test_cond("date range as written", flow_def_step_range(def, 0, min, max, sizeof min) &&
                                           strcmp(min, "1900-01-01") == 0 &&
                                           strcmp(max, "2026-11-26") == 0);
    test_cond("year range", flow_def_step_range(def, 1, min, max, sizeof min) &&
                                strcmp(min, "1950") == 0 && strcmp(max, "2026") == 0);
    test_cond("age range defaults to 0..120", flow_def_step_range(def, 2, min, max, sizeof min) &&
                                                  strcmp(min, "0") == 0 && strcmp(max, "120") == 0);
    const struct turn_want t[] = {
        {NULL, "Ok?", 0, 0},
        {"1", "Birth date?", 0, 0},
        {"31/02/2000", "Bad\nBirth date?", 0, 0},
        {"29/02/2001", "Bad\nBirth date?", 0, 0},
        {"29-02-2000", "Year moved?", 0, 0},
        {"95", "Bad\nYear moved?", 0, 0},
        {"1949", "Bad\nYear moved?", 0, 0},
        {"1995", "Age?\n* Prefer not to say", 0, 0},
        {"121", "Bad\nAge?", 0, 0},
        {"34", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("dates are real calendar days in range",
              play(def, t, 10, log, sizeof log) &&
                  strcmp(log, "born=/2000-02-29;year=/1995;age=/34;") == 0);
    const struct turn_want u[] = {
        {NULL, "Ok?", 0, 0},
        {"1", "Birth date?", 0, 0},
        {"27/11/2026", "Bad", 0, 0}, /* after max */
        {"1.1.1990", "Year", 0, 0},
        {"2026", "Age", 0, 0},
        {"*", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("D.M.YYYY; age refused with *",
              play(def, u, 6, log, sizeof log) &&
                  strcmp(log, "born=/1990-01-01;year=/2026;age=refused/;") == 0);
    long long v;
    test_cond("DDMMYYYY", flow_date_parse_dmy("01011990", &v) == 0 && v == 19900101);
    test_cond("1/1/1990", flow_date_parse_dmy("1/1/1990", &v) == 0 && v == 19900101);
    static const char *const bad[] = {"",           "1/1/90",    "01/13/1990", "00/01/1990",
                                      "1/1-1990",   "1/1/1990x", "0101990",    "29/02/1900",
                                      "32/01/2000", "1//1990"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        test_cond(bad[i], flow_date_parse_dmy(bad[i], &v) == -1);
    test_cond("29/02/2000 is a leap day", flow_date_parse_dmy("29/02/2000", &v) == 0);
    flow_def_unref(def);
}

#define LOCATION_FLOW                                                                              \
    "id: loc\nversion: 1\ntitle: L\nlanguages: [en, sw]\n"                                         \
    "language_names: {en: English, sw: Kiswahili}\n"                                               \
    "labels: {back: {en: Back, sw: Rudi}, more: {en: More, sw: Zaidi}}\n"                          \
    "prefer_not_to_say: {en: Prefer not to say, sw: Sipendi kusema}\n"                             \
    "channels: {ussd: \"*2#\"}\n"                                                                  \
    "consent: {version: c1, text: {en: Ok?, sw: Sawa?}, accept: {en: Yes, sw: Ndiyo},\n"           \
    "          decline: {en: No, sw: La}, declined: {en: Bye, sw: Kwaheri}}\n"                     \
    "steps:\n"                                                                                     \
    "  - id: where\n"                                                                              \
    "    type: location\n"                                                                         \
    "    optional: true\n"                                                                         \
    "    areas: areas-ke.csv\n"                                                                    \
    "    levels:\n"                                                                                \
    "      - {id: county, text: {en: County?, sw: Kaunti?}}\n"                                     \
    "      - {id: subcounty, text: {en: Sub-county?, sw: Kaunti ndogo?}}\n"                        \
    "      - {id: ward, text: {en: Ward?, sw: Wadi?}}\n"                                           \
    "messages: {invalid: {en: Bad, sw: Si sahihi}, abandoned: {en: G, sw: G},\n"                   \
    "           stopped: {en: S, sw: S}}\n"                                                        \
    "end: {en: Done, sw: Asante}\n"

static void test_location(void)
{
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load_buf("tests/assets/flows/loc.yaml", LOCATION_FLOW,
                                             strlen(LOCATION_FLOW), &errs);
    char log[1024];
    for (size_t i = 0; i < errs.n; i++) {
        char line[512];
        raia_err_format(&errs.items[i], line, sizeof line);
        printf("  %s\n", line);
    }
    raia_errlist_free(&errs);
    test_cond("location flow with areas-ke.csv loads", def != NULL);
    if (!def)
        return;
    const struct turn_want en[] = {
        {NULL, "1 English\n2 Kiswahili", 0, 0},
        {"1", "Ok?\n1 Yes\n2 No", 0, 0},
        {"1", "County?\n1 Mombasa\n2 Makueni\n3 Nairobi City\n4 Prefer not to say", 0, 0},
        {"3", "Sub-county?\n1 Westlands\n2 Dagoretti North\n0 Back", 0, 0},
        {"0", "County?\n1 Mombasa\n2 Makueni\n3 Nairobi City\n4 Prefer not to say", 0, 0},
        {"1", "Sub-county?\n1 Changamwe\n2 Jomvu\n3 Kisauni\n0 Back", 0, 0},
        {"9", "Bad\nSub-county?\n1 Changamwe\n2 Jomvu\n3 Kisauni\n0 Back", 0, 0},
        {"1", "Ward?\n1 Port Reitz\n2 Kipevu\n3 Airport\n0 Back", 0, 0},
        {"3", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("drill down county, sub-county, ward, with Back up a level",
              play_as(def, en, 9, 1, log, sizeof log) &&
                  strcmp(log, "where=KE-01-01-3/Airport;") == 0);
    const struct turn_want sw[] = {
        {NULL, "1 English\n2 Kiswahili", 0, 0},
        {"sw", "Sawa?\n1 Ndiyo\n2 La", 0, 0},
        {"1", "Kaunti?\n1 Mombasa\n2 Makueni\n3 Jiji la Nairobi\n4 Sipendi kusema", 0, 0},
        {"KE-01", "Kaunti ndogo?\n1 Changamwe\n2 Jomvu\n3 Kisauni\n0 Rudi", 0, 0},
        {"1", "Wadi?\n1 Port Reitz\n2 Kipevu\n3 Uwanja wa Ndege\n0 Rudi", 0, 0},
        {"3", "Asante", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("names in the session's language (name_sw); an area's code by SMS",
              play_as(def, sw, 6, 1, log, sizeof log) &&
                  strcmp(log, "where=KE-01-01-3/Uwanja wa Ndege;") == 0);
    const struct turn_want refused[] = {
        {NULL, "1 English", 0, 0},
        {"1", "Ok?", 0, 0},
        {"1", "County?", 0, 0},
        {"4", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("prefer not to say at the first level",
              play(def, refused, 4, log, sizeof log) && strcmp(log, "where=refused/;") == 0);
    test_cond("describe: type and levels",
              strcmp(flow_def_step_type(def, 0), "location") == 0 &&
                  flow_def_step_level_count(def, 0) == 3 &&
                  strcmp(flow_def_step_level(def, 0, 2), "ward") == 0 &&
                  flow_def_step_level(def, 0, 3) == NULL &&
                  strcmp(flow_def_step_text(def, 0, 1), "Kaunti?") == 0);
    const char *ward = "KE-01-01-3";
    test_cond("coarser levels from the finest code",
              strcmp(flow_def_area_parent(def, 0, ward), "KE-01-01") == 0 &&
                  strcmp(flow_def_area_parent(def, 0, "KE-01-01"), "KE-01") == 0 &&
                  flow_def_area_parent(def, 0, "KE-01") == NULL &&
                  flow_def_area_parent(def, 0, "nowhere") == NULL &&
                  flow_def_area_level(def, 0, ward) == 2 &&
                  flow_def_area_level(def, 0, "x") == -1 &&
                  strcmp(flow_def_area_name(def, 0, "KE-47", 1), "Jiji la Nairobi") == 0);
    test_cond("the areas file is part of the definition",
              strstr(flow_def_source(def), "\n#--- areas: areas-ke.csv\ncode,parent,level,name") !=
                  NULL);
    /* A tampered state (an area that is not inside the one above) is refused. */
    struct flow_state st = {
        .step = "where", .consented = 1, .language = "en", .depth = 2, .path = {0, 7}};
    struct flow_output out;
    test_cond("a path that does not walk down the areas is refused",
              flow_step(def, FLOW_CHANNEL_USSD, &st, "1", &out) == -RAIA_EINVAL);
    flow_def_unref(def);
}

/* Writes text to path; 0 or -1. */
static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void test_areas_checksum(void)
{
    char dir[] = "/tmp/raia-flows-XXXXXX", flow[64], csv[64], sum[65];
    const char *text = HEAD "steps:\n  - id: w\n    type: location\n    areas: a.csv\n"
                            "    levels: [{id: region, text: Region?}]\n" TAIL;
    test_cond("temp dir", mkdtemp(dir) != NULL);
    snprintf(flow, sizeof flow, "%s/f.yaml", dir);
    snprintf(csv, sizeof csv, "%s/a.csv", dir);
    write_file(csv, "code,parent,level,name\nR1,,region,North\nR2,,region,South\n");
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load_buf(flow, text, strlen(text), &errs);
    test_cond("flow with a one-level areas file loads", def != NULL && errs.n == 0);
    snprintf(sum, sizeof sum, "%s", def ? flow_def_checksum(def) : "");
    /* The registry keeps flow_def_source(); it loads without the files, to the same flow. */
    char *source = def ? strdup(flow_def_source(def)) : NULL;
    struct flow_def *again =
        source ? flow_def_load_source("registry", source, strlen(source), &errs) : NULL;
    test_cond("a registry definition loads with its areas, same checksum",
              again && strcmp(flow_def_checksum(again), sum) == 0 &&
                  strcmp(flow_def_area_name(again, 0, "R2", 0), "South") == 0);
    flow_def_unref(again);
    if (source) {
        *strstr(source, "\n#--- areas: ") = '\0';
        again = flow_def_load_source("registry", source, strlen(source), &errs);
        test_cond("a registry definition without its areas file is refused",
                  again == NULL && errs.n == 1 &&
                      strstr(errs.items[0].msg, "a.csv is not in the definition") != NULL);
        flow_def_unref(again);
        raia_errlist_free(&errs);
        errs = (struct raia_errlist){0};
    }
    free(source);
    flow_def_unref(def);
    write_file(csv, "code,parent,level,name\nR1,,region,North\nR2,,region,South West\n");
    def = flow_def_load_buf(flow, text, strlen(text), &errs);
    test_cond("a changed areas file changes the checksum",
              def && strlen(sum) == 64 && strcmp(sum, flow_def_checksum(def)) != 0);
    flow_def_unref(def);
    unlink(csv);
    def = flow_def_load_buf(flow, text, strlen(text), &errs);
    char want[256];
    snprintf(want, sizeof want,
             "%s:10:12: steps[0].areas: cannot open %s: No such file or directory", flow, csv);
    char got[512] = "";
    if (errs.n)
        raia_err_format(&errs.items[errs.n - 1], got, sizeof got);
    test_cond("a missing areas file", def == NULL && strcmp(got, want) == 0);
    if (strcmp(got, want) != 0)
        printf("  got: %s\n", got);
    raia_errlist_free(&errs);
    rmdir(dir);
}

static const char branches[] =
    HEAD "steps:\n"
         "  - {id: has_pet, type: yes_no, text: Pet?}\n"
         "  - id: kind\n"
         "    type: choice\n"
         "    text: Kind?\n"
         "    when: has_pet == yes\n"
         "    choices:\n"
         "      - {code: cat, label: Cat, next: cat_name}\n"
         "      - {code: dog, label: Dog, next: dog_end}\n"
         "      - {code: fish, label: Fish}\n"
         "  - {id: fish_count, type: number, text: How many fish?, when: kind == fish, next: end}\n"
         "  - {id: cat_name, type: text, text: Cat's name?, when: kind == cat, next: thanks_cat}\n"
         "messages: {invalid: Bad, abandoned: Gone, stopped: Stopped, no_answer: none}\n"
         "end: \"Done. Pet: {has_pet}, kind: {kind}.\"\n"
         "ends:\n"
         "  dog_end: \"Woof! {kind} noted.\"\n"
         "  thanks_cat: \"Thanks for your {kind}.\"\n";

static const char loop[] =
    HEAD "steps:\n"
         "  - {id: item, type: text, text: Item?}\n"
         "  - id: more\n"
         "    type: choice\n"
         "    text: Another?\n"
         "    choices: [{code: 'yes', label: Yes, next: item}, {code: 'no', label: No}]\n"
         "  - {id: last, type: yes_no, text: Sure?, when: more == yes}\n" TAIL;

static void test_branches(void)
{
    struct raia_errlist errs = {0}, warns = {0};
    struct flow_def *def =
        flow_def_load_buf_ex("t.yaml", branches, strlen(branches), &errs, &warns);
    char log[1024], w[512] = "";
    test_cond("branches and named ends load", def != NULL && errs.n == 0);
    for (size_t i = 0; i < warns.n; i++) {
        char line[256];
        raia_err_format(&warns.items[i], line, sizeof line);
        snprintf(w + strlen(w), sizeof w - strlen(w), "%s\n", line);
    }
    test_cond("a quote of a step that may be skipped is a warning",
              strcmp(w, "t.yaml:20:6: end: {kind} may be unanswered on the way to this end (it "
                        "then shows messages.no_answer)\n"
                        "t.yaml:23:15: ends.thanks_cat: {kind} may be unanswered on the way to "
                        "this end (it then shows messages.no_answer)\n") == 0);
    if (!strstr(w, "t.yaml:20:6"))
        printf("  warnings:\n%s", w);
    raia_errlist_free(&errs);
    raia_errlist_free(&warns);
    if (!def)
        return;
    const struct turn_want cat[] = {
        {NULL, "Ok?\n1 Yes\n2 No", 0, 0},
        {"1", "Pet?\n1 Yes\n2 No", 0, 0},
        {"1", "Kind?\n1 Cat\n2 Dog\n3 Fish", 0, 0},
        {"1", "Cat's name?", 0, 0},
        {"Tom", "Thanks for your Cat.", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("a choice's next, then the step's next to a named end",
              play_as(def, cat, 5, 1, log, sizeof log) &&
                  strcmp(log, "has_pet=yes/Yes;kind=cat/Cat;cat_name=/Tom;") == 0);
    const struct turn_want dog[] = {
        {NULL, "Ok?\n1 Yes\n2 No", 0, 0},
        {"1", "Pet?\n1 Yes\n2 No", 0, 0},
        {"1", "Kind?\n1 Cat\n2 Dog\n3 Fish", 0, 0},
        {"2", "Woof! Dog noted.", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("a choice's next to a named end", play_as(def, dog, 4, 1, log, sizeof log));
    const struct turn_want fish[] = {
        {NULL, "Ok?\n1 Yes\n2 No", 0, 0},
        {"1", "Pet?\n1 Yes\n2 No", 0, 0},
        {"1", "Kind?\n1 Cat\n2 Dog\n3 Fish", 0, 0},
        {"3", "How many fish?", 0, 0},
        {"4", "Done. Pet: Yes, kind: Fish.", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("no next: the following step; next: end", play_as(def, fish, 5, 1, log, sizeof log));
    const struct turn_want none[] = {
        {NULL, "Ok?\n1 Yes\n2 No", 0, 0},
        {"1", "Pet?\n1 Yes\n2 No", 0, 0},
        {"2", "Done. Pet: No, kind: none.", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("skipped steps quote messages.no_answer", play_as(def, none, 3, 1, log, sizeof log));
    flow_def_unref(def);

    def = load_buf(loop);
    const struct turn_want again[] = {
        {NULL, "Ok?", 0, 0},  {"1", "Item?", 0, 0},       {"bread", "Another?", 0, 0},
        {"1", "Item?", 0, 0}, {"milk", "Another?", 0, 0}, {"2", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("a loop back to an earlier step, with an exit; `when` reads the latest answer",
              def && play(def, again, 6, log, sizeof log) &&
                  strcmp(log, "item=/bread;more=yes/Yes;item=/milk;more=no/No;") == 0);
    flow_def_unref(def);
}

static const char words[] =
    "id: t\nversion: 1\ntitle: T\nlanguages: [en, sw]\n"
    "language_names: {en: English, sw: Kiswahili}\n"
    "labels: {yes: {en: Yes, sw: Ndiyo}, no: {en: No, sw: Hapana}}\n"
    "channels: {ussd: \"*1#\"}\n"
    "keywords: {stop: {en: STOP, sw: ACHA}, help: {en: INFO, sw: MSAADA}}\n"
    "help: {en: Send a number., sw: Tuma nambari.}\n"
    "consent: {version: c1, text: {en: Ok?, sw: Sawa?}, accept: {en: Yes, sw: Ndiyo},\n"
    "          decline: {en: No, sw: La}, declined: {en: Bye, sw: Kwaheri}}\n"
    "steps:\n"
    "  - {id: a, type: yes_no, text: {en: Q, sw: S}}\n"
    "  - {id: b, type: number, text: {en: N, sw: N}}\n"
    "messages: {invalid: {en: B, sw: B}, abandoned: {en: G, sw: G}, stopped: {en: Stopped, sw: "
    "Umesimama}}\n"
    "end: {en: D, sw: D}\n";

static void test_keywords(void)
{
    struct flow_def *def = load_buf(words);
    char log[1024];
    test_cond("keywords load", def != NULL);
    if (!def)
        return;
    test_cond("stop words: STOP always, and each language's",
              flow_is_stop_word(def, " acha ") && flow_is_stop_word(def, "Stop") &&
                  !flow_is_stop_word(def, "achaa") && !flow_is_stop_word(def, "msaada"));
    test_cond("help words: HELP always, and each language's",
              flow_is_help_word(def, "MSAADA") && flow_is_help_word(def, "help") &&
                  flow_is_help_word(def, "info") && !flow_is_help_word(def, "acha"));
    const struct turn_want sw[] = {
        {NULL, "1 English\n2 Kiswahili", 0, 0},
        {"2", "Sawa?\n1 Ndiyo\n2 La", 0, 0},
        {"msaada", "Tuma nambari.\n1 Ndiyo\n2 La", 0, 0},
        {"1", "S\n1 Ndiyo\n2 Hapana", 0, 0},
        {"HELP", "Tuma nambari.\nS\n1 Ndiyo\n2 Hapana", 0, 0},
        {"1", "N", 0, 0},
        {"Acha", "Umesimama", 1, FLOW_OUTCOME_STOPPED},
    };
    test_cond("ACHA stops, MSAADA and HELP help",
              play_as(def, sw, 7, 1, log, sizeof log) && strcmp(log, "a=yes/Ndiyo;") == 0);
    const struct turn_want menu[] = {
        {NULL, "1 English", 0, 0},
        {"acha", "Bye", 1, FLOW_OUTCOME_REFUSED},
    };
    test_cond("a stop word at the language menu", play(def, menu, 2, log, sizeof log));
    flow_def_unref(def);
}

static void test_sensitive(void)
{
    const char *text = "id: t\nversion: 1\ntitle: T\nlanguage: en\nsensitive: true\n"
                       "channels: {ussd: \"*1#\"}\n"
                       "consent: {version: c1, text: Ok?, accept: Yes, decline: No, declined: "
                       "Bye}\n"
                       "steps: [{id: a, type: number, text: Age?}]\n" TAIL;
    struct flow_def *def = load_buf(text), *plain = load_buf(multi);
    test_cond("a sensitive USSD flow loads and says so",
              def && flow_def_sensitive(def) == 1 && plain && flow_def_sensitive(plain) == 0);
    flow_def_unref(def);
    flow_def_unref(plain);
}

static const char derived[] = HEAD
    "steps:\n"
    "  - {id: seeing, type: choice, text: See?, choices: [{code: '1', label: No}, {code: '2', "
    "label: Some}, {code: '3', label: A lot}, {code: '4', label: Cannot}]}\n"
    "  - {id: hearing, type: choice, text: Hear?, optional: true, choices: [{code: '1', label: "
    "No}, {code: '2', label: Some}, {code: '3', label: A lot}, {code: '4', label: Cannot}]}\n"
    "derived:\n"
    "  - {id: disability, any_of: [seeing, hearing], in: ['3', '4'], then: '1', else: '0', "
    "missing: '9'}\n"
    "  - {id: both_fine, all_of: [seeing, hearing], in: ['1'], then: 'yes', else: 'no'}\n" TAIL;

static void test_derived(void)
{
    struct flow_def *def = load_buf(derived);
    char log[1024];
    struct strbuf sb = {0};
    test_cond("derived variables load", def != NULL);
    if (!def)
        return;
    test_cond("describe derived variables",
              flow_def_derived_count(def) == 2 &&
                  strcmp(flow_def_derived_id(def, 0), "disability") == 0 &&
                  flow_def_derived_id(def, 2) == NULL && flow_def_derived_rule(def, 0, &sb) &&
                  strcmp(strbuf_cstr(&sb),
                         "any_of [seeing, hearing] in [3, 4] then 1 else 0 missing 9") == 0 &&
                  !flow_def_derived_rule(def, 2, &sb));
    strbuf_free(&sb);
    const struct turn_want lot[] = {{NULL, "Ok?", 0, 0},
                                    {"1", "See?", 0, 0},
                                    {"3", "Hear?", 0, 0},
                                    {"1", "Done", 1, FLOW_OUTCOME_COMPLETED}};
    test_cond("one domain 'a lot of difficulty': disability 1",
              play(def, lot, 4, log, sizeof log) &&
                  strcmp(log, "seeing=3/A lot;hearing=1/No;disability=1/;both_fine=no/;") == 0);
    const struct turn_want fine[] = {{NULL, "Ok?", 0, 0},
                                     {"1", "See?", 0, 0},
                                     {"1", "Hear?", 0, 0},
                                     {"2", "Done", 1, FLOW_OUTCOME_COMPLETED}};
    test_cond("no domain 3 or 4: disability 0",
              play(def, fine, 4, log, sizeof log) &&
                  strcmp(log, "seeing=1/No;hearing=2/Some;disability=0/;both_fine=no/;") == 0);
    const struct turn_want missing[] = {{NULL, "Ok?", 0, 0},
                                        {"1", "See?", 0, 0},
                                        {"1", "Hear?", 0, 0},
                                        {"5", "Done", 1, FLOW_OUTCOME_COMPLETED}};
    test_cond("a refused domain and none 3 or 4: the missing code; all_of without it: nothing",
              play(def, missing, 4, log, sizeof log) &&
                  strcmp(log, "seeing=1/No;hearing=refused/;disability=9/;") == 0);
    const struct turn_want stop[] = {{NULL, "Ok?", 0, 0},
                                     {"1", "See?", 0, 0},
                                     {"4", "Hear?", 0, 0},
                                     {"STOP", "Stopped", 1, FLOW_OUTCOME_STOPPED}};
    test_cond("not computed for a session that did not complete",
              play(def, stop, 4, log, sizeof log) && strcmp(log, "seeing=4/Cannot;") == 0);
    flow_def_unref(def);
}

static void test_resume(void)
{
    struct flow_def *def = counties(20, "");
    const char *resume = "messages: {invalid: Bad, abandoned: Gone, stopped: Stopped, resume: "
                         "Your call was cut off.}\n";
    char text[4096];
    struct flow_state st;
    struct flow_output out;
    test_cond("no resume text", def != NULL);
    if (!def)
        return;
    flow_start(def, FLOW_CHANNEL_USSD, &st, &out);
    test_cond("without messages.resume the flow resumes without asking",
              flow_resume_screen(def, FLOW_CHANNEL_USSD, &st, &out) == -RAIA_ENOTFOUND);
    flow_def_unref(def);

    snprintf(text, sizeof text,
             HEAD "steps:\n  - {id: a, type: yes_no, text: Pet?}\n"
                  "  - {id: b, type: multi_choice, text: Which?, choices: "
                  "[{code: x, label: X}, {code: y, label: Y}]}\n%send: Done\n",
             resume);
    def = load_buf(text);
    test_cond("resume text loads", def != NULL);
    if (!def)
        return;
    flow_start(def, FLOW_CHANNEL_USSD, &st, &out);
    flow_step(def, FLOW_CHANNEL_USSD, &st, "1", &out);
    flow_step(def, FLOW_CHANNEL_USSD, &st, "1", &out);
    flow_step(def, FLOW_CHANNEL_USSD, &st, "2", &out);
    char enc[FLOW_STATE_MAX];
    int len = flow_state_encode(&st, enc, sizeof enc);
    test_cond("a marked choice is kept in the state",
              len > 0 && strcmp(enc, "b.0.1.en.1.0.2.") == 0);
    struct flow_state back;
    test_cond("and decodes", flow_state_decode(enc, (size_t)len, &back) == 0 && back.picked == 2);
    test_cond("the resume prompt",
              flow_resume_screen(def, FLOW_CHANNEL_USSD, &back, &out) == 0 &&
                  strcmp(out.screen, "Your call was cut off.\n1 Continue where you left off\n2 "
                                     "Start again") == 0 &&
                  !out.end);
    test_cond("continue: the same screen, marks kept",
              flow_redisplay(def, FLOW_CHANNEL_USSD, &back, &out) == 0 &&
                  strcmp(out.screen, "Which?\n1 X\n2 +Y\n0 Done") == 0 && out.n_answers == 0);
    flow_step(def, FLOW_CHANNEL_USSD, &back, "0", &out);
    test_cond("and the session goes on", out.end && strcmp(out.answers[0].code, "y") == 0);
    struct flow_state lost = {.step = "nowhere", .consented = 1, .language = "en"};
    test_cond("a state of another flow",
              flow_resume_screen(def, FLOW_CHANNEL_USSD, &lost, &out) == -RAIA_EINVAL &&
                  flow_redisplay(def, FLOW_CHANNEL_USSD, &lost, &out) == -RAIA_EINVAL);
    flow_start(def, FLOW_CHANNEL_USSD, &st, &out);
    test_cond("before consent: the consent screen again",
              flow_redisplay(def, FLOW_CHANNEL_USSD, &st, &out) == 0 &&
                  strcmp(out.screen, "Ok?\n1 Yes\n2 No") == 0);
    flow_def_unref(def);
}

static const char numeric[] =
    HEAD "steps:\n"
         "  - {id: age, type: age, text: Age?, optional: true}\n"
         "  - {id: born, type: year, text: Year born?, min: 1900, max: 2026}\n"
         "  - {id: vote, type: yes_no, text: Did you vote?, when: age >= 18}\n"
         "  - {id: school, type: yes_no, text: In school?, when: \"age < 18 and born != 2020\"}\n"
         "  - {id: why, type: text, text: Why not?, when: age != 30}\n" TAIL;

static void test_numeric_when(void)
{
    struct flow_def *def = load_buf(numeric);
    char log[1024];
    struct strbuf sb = {0};
    test_cond("numeric comparisons load", def != NULL);
    if (!def)
        return;
    test_cond("describe a numeric condition",
              flow_def_step_condition(def, 3, &sb) == 2 &&
                  strcmp(strbuf_cstr(&sb), "age < 18 and born != 2020") == 0);
    strbuf_free(&sb);
    const struct turn_want adult[] = {
        {NULL, "Ok?", 0, 0},        {"1", "Age?", 0, 0},
        {"18", "Year born?", 0, 0}, {"2007", "Did you vote?", 0, 0},
        {"1", "Why not?", 0, 0},    {"-", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("age >= 18 asks the vote; age < 18 skips school",
              play(def, adult, 6, log, sizeof log) &&
                  strcmp(log, "age=/18;born=/2007;vote=yes/Yes;why=/-;") == 0);
    const struct turn_want young[] = {
        {NULL, "Ok?", 0, 0},       {"1", "Age?", 0, 0},
        {"7", "Year born?", 0, 0}, {"2019", "In school?", 0, 0},
        {"2", "Why not?", 0, 0},   {"x", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("the number survives the state string (age kept between turns)",
              play(def, young, 6, log, sizeof log) &&
                  strcmp(log, "age=/7;born=/2019;school=no/No;why=/x;") == 0);
    const struct turn_want refused[] = {
        {NULL, "Ok?", 0, 0},
        {"1", "Age?", 0, 0},
        {"*", "Year born?", 0, 0},
        {"2020", "Why not?", 0, 0}, /* no age: >= and < fail, != holds */
        {"y", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("a refused number is neither >= nor < anything, and != everything",
              play(def, refused, 5, log, sizeof log) &&
                  strcmp(log, "age=refused/;born=/2020;why=/y;") == 0);
    struct flow_state st;
    struct flow_output out;
    char enc[FLOW_STATE_MAX];
    flow_start(def, FLOW_CHANNEL_USSD, &st, &out);
    flow_step(def, FLOW_CHANNEL_USSD, &st, "1", &out);
    flow_step(def, FLOW_CHANNEL_USSD, &st, "-0", &out);
    test_cond("kept numbers in the state string", flow_state_encode(&st, enc, sizeof enc) > 0 &&
                                                      strcmp(enc, "born.0.1.en.-.0.0..0:0") == 0);
    st.kept = 1u << 3; /* a slot the flow does not have */
    test_cond("a kept number the flow has no slot for is refused",
              flow_step(def, FLOW_CHANNEL_USSD, &st, "2000", &out) == -RAIA_EINVAL);
    flow_def_unref(def);
    test_cond("a text step cannot be compared",
              has_error(HEAD "steps:\n  - {id: a, type: text, text: A?}\n"
                             "  - {id: b, type: text, text: B?, when: a >= 3}\n" TAIL,
                        "t.yaml:9:41: steps[1].when: step 'a' is not a choice, yes_no, number, "
                        "age or year step"));
    test_cond("a number compared with a word",
              has_error(HEAD "steps:\n  - {id: a, type: number, text: A?}\n"
                             "  - {id: b, type: text, text: B?, when: a == many}\n" TAIL,
                        "t.yaml:9:41: steps[1].when: step 'a' is a number step: compare it with "
                        "a whole number, not 'many'"));
}

/* `adaptations`: sentences the exports document, in the order written. */
static void test_adaptations(void)
{
    struct flow_def *def = load_buf(HEAD "adaptations: [Labels shortened, No HELP text]\n"
                                         "steps:\n  - {id: q, type: yes_no, text: Q?}\n" TAIL);
    test_cond("adaptations load in order",
              def && flow_def_adaptation_count(def) == 2 &&
                  strcmp(flow_def_adaptation(def, 1), "No HELP text") == 0 &&
                  flow_def_adaptation(def, 2) == NULL);
    flow_def_unref(def);
}

int main(void)
{
    test_adaptations();
    test_paging();
    test_multi();
    test_calendar();
    test_location();
    test_areas_checksum();
    test_branches();
    test_keywords();
    test_sensitive();
    test_derived();
    test_resume();
    test_numeric_when();
    TEST_REPORT();
}
