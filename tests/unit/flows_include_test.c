/*
 * flows_include_test.c - `- include:` in a flow's steps (docs/flows.md,
 * "Modules: include"): a one-language flow that includes a frozen copy of
 * the demographics module (tests/assets/flows/include/) with a prefix and
 * a `when`, played with exact screens; the definition (the module and its
 * areas file are part of it, a changed module is a changed flow, a
 * definition loads from its source alone); the accessors exports use; and
 * every include mistake the checker reports, each with its exact message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flows_help.h"
#include "strbuf.h"

#define DIR "tests/assets/flows/include/"
#define SURVEY DIR "survey.yaml"
#define MODULE DIR "demographics.yaml"
#define T DIR "t.yaml" /* the name inline flows load as: includes resolve in DIR */

static const struct turn_want included[] = {
    {NULL, "Service survey. Anonymous. STOP to quit.\n1 I agree\n2 No", 0, FLOW_OUTCOME_NONE},
    {"1", "May we ask 7 questions about you?\n1 Yes\n2 No", 0, FLOW_OUTCOME_NONE},
    {"1", "What is your sex?\n1 Female\n2 Male\n3 Prefer not to say", 0, FLOW_OUTCOME_NONE},
    {"1",
     "How old are you?\n1 Under 18\n2 18-24\n3 25-34\n4 35-44\n5 45-54\n6 55-64\n7 65 or "
     "older\n8 Prefer not to say",
     0, FLOW_OUTCOME_NONE},
    {"3",
     "Where do you live? Choose the region.\n1 Ziwani\n2 Nyandani\n3 Mto Mpana\n4 Prefer not to "
     "say",
     0, FLOW_OUTCOME_NONE},
    {"1", "Choose the district.\n1 Bondeni\n2 Kisiwani\n3 Mlima Mweupe\n0 Back", 0,
     FLOW_OUTCOME_NONE},
    {"2", "Choose the ward.\n1 Mnarani\n2 Ufukweni\n0 Back", 0, FLOW_OUTCOME_NONE},
    {"1",
     "Do you live in a town or city, or in a rural area?\n1 Town or city\n2 Village or rural "
     "area\n3 Prefer not to say",
     0, FLOW_OUTCOME_NONE},
    {"1", "Were you born in this country?\n1 Yes\n2 No\n3 Prefer not to say", 0, FLOW_OUTCOME_NONE},
    {"2", "In which year did you come to live in this country? (e.g. 2015)\n* Prefer not to say", 0,
     FLOW_OUTCOME_NONE},
    {"2015",
     "Did conflict, violence or disaster force you from your home?\n1 Yes, not back yet\n2 Yes, "
     "back home now\n3 No\n4 Prefer not to say",
     0, FLOW_OUTCOME_NONE},
    {"2", "Rate the service from 1 (bad) to 5 (good).", 0, FLOW_OUTCOME_NONE},
    {"4", "Thank you.", 1, FLOW_OUTCOME_COMPLETED},
};

/* The include's `when` does not hold: none of the module's questions is asked. */
static const struct turn_want skipped[] = {
    {NULL, "Service survey. Anonymous. STOP to quit.\n1 I agree\n2 No", 0, FLOW_OUTCOME_NONE},
    {"1", "May we ask 7 questions about you?\n1 Yes\n2 No", 0, FLOW_OUTCOME_NONE},
    {"2", "Rate the service from 1 (bad) to 5 (good).", 0, FLOW_OUTCOME_NONE},
    {"5", "Thank you.", 1, FLOW_OUTCOME_COMPLETED},
};

static void test_transcripts(void)
{
    struct flow_def *def = load_file(SURVEY);
    char log[2048];
    test_cond("the survey with the module loads", def != NULL);
    if (!def)
        return;
    test_cond("the included questions, exact screens",
              play_as(def, included, sizeof included / sizeof included[0], 1, log, sizeof log));
    test_cond("answers under prefixed ids, derived variables last",
              strcmp(log, "profile=yes/Yes;d_sex=female/Female;d_age_band=25-34/25-34;"
                          "d_area=XR010201/Mnarani;d_settlement=urban/Town or city;"
                          "d_born_here=no/No;d_arrival_year=/2015;"
                          "d_displaced=returned/Yes, back home now;rating=/4;d_migrant=1/;"
                          "d_displaced_now=0/;") == 0);
    test_cond("the include's when skips the module",
              play_as(def, skipped, sizeof skipped / sizeof skipped[0], 1, log, sizeof log));
    test_cond("skipped: derived variables say not answered",
              strcmp(log, "profile=no/No;rating=/5;d_migrant=9/;d_displaced_now=9/;") == 0);
    flow_def_unref(def);
}

/* Included steps are ordinary steps to the accessors exports and the API use. */
static void test_describe(void)
{
    struct flow_def *def = load_file(SURVEY);
    struct strbuf cond = {0};
    if (!def) {
        test_cond("survey loads", 0);
        return;
    }
    test_cond("1 + 7 + 1 steps", flow_def_step_count(def) == 9);
    test_cond("step 1 is d_sex", strcmp(flow_def_step_id(def, 1), "d_sex") == 0);
    test_cond("its type", strcmp(flow_def_step_type(def, 1), "choice") == 0);
    test_cond("its text, in the flow's one language",
              strcmp(flow_def_step_text(def, 1, 0), "What is your sex?") == 0);
    test_cond("its codes", strcmp(flow_def_step_choice_code(def, 1, 1), "male") == 0);
    test_cond("the location step's levels", flow_def_step_level_count(def, 3) == 3);
    test_cond("the area names", strcmp(flow_def_area_name(def, 3, "XR010201", 0), "Mnarani") == 0);
    flow_def_step_condition(def, 6, &cond);
    test_cond("conditions: the module's own, then the include's",
              cond.data && strcmp(cond.data, "d_born_here == no and profile == yes") == 0);
    test_cond("the last step is the flow's own", strcmp(flow_def_step_id(def, 8), "rating") == 0);
    test_cond("derived variables, prefixed",
              flow_def_derived_count(def) == 2 &&
                  strcmp(flow_def_derived_id(def, 0), "d_migrant") == 0);
    if (!cond.data || strcmp(cond.data, "d_born_here == no and profile == yes") != 0)
        printf("  condition: %s\n", cond.data ? cond.data : "(none)");
    strbuf_free(&cond);
    flow_def_unref(def);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1024 * 1024);
    size_t n = f && buf ? fread(buf, 1, 1024 * 1024 - 1, f) : 0;
    if (f)
        fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fputs(text, f) >= 0;
    return (f && fclose(f) == 0 && ok) ? 0 : -1;
}

/*
 * The module and its areas file are part of the definition: in the source,
 * under the checksum, and loaded from the source alone; a changed module
 * is a changed flow.
 */
static void test_definition(void)
{
    struct flow_def *def = load_file(SURVEY);
    char *flow = read_text(SURVEY), *module = read_text(MODULE),
         *areas = read_text(DIR "admin-areas.csv");
    if (!def || !flow || !module || !areas) {
        test_cond("survey, module and areas read", 0);
        goto out;
    }
    struct strbuf want = {0};
    strbuf_printf(&want, "%s\n#--- include: demographics.yaml\n%s\n#--- areas: admin-areas.csv\n%s",
                  flow, module, areas);
    test_cond("source: the flow, then the module and its areas file",
              want.data && strcmp(flow_def_source(def), want.data) == 0);
    strbuf_free(&want);

    /* From the flows registry: the source alone, under a name with no files beside it. */
    const char *src = flow_def_source(def);
    struct raia_errlist errs = {0};
    struct flow_def *back =
        flow_def_load_source("registry/include-survey.yaml", src, strlen(src), &errs);
    test_cond("loads from its source alone", back != NULL && errs.n == 0);
    test_cond("same checksum",
              back && strcmp(flow_def_checksum(back), flow_def_checksum(def)) == 0);
    test_cond("same source", back && strcmp(flow_def_source(back), src) == 0);
    test_cond("same steps", back && flow_def_step_count(back) == 9 &&
                                strcmp(flow_def_step_id(back, 3), "d_area") == 0 &&
                                strcmp(flow_def_area_name(back, 3, "XR0102", 0), "Kisiwani") == 0);
    flow_def_unref(back);
    raia_errlist_free(&errs);

    /* A source whose module text was changed is another flow. */
    struct strbuf changed = {0};
    strbuf_append(&changed, src, strlen(src));
    char *q = changed.data ? strstr(changed.data, "What is your sex?") : NULL;
    if (q)
        q[0] = 'w';
    back =
        q ? flow_def_load_source("registry/include-survey.yaml", changed.data, changed.len, &errs)
          : NULL;
    test_cond("a changed module in the source: another checksum",
              back && strcmp(flow_def_checksum(back), flow_def_checksum(def)) != 0);
    test_cond("the change is what runs",
              back && strcmp(flow_def_step_text(back, 1, 0), "what is your sex?") == 0);
    flow_def_unref(back);
    strbuf_free(&changed);
    raia_errlist_free(&errs);

    /* The same flow beside a changed copy of the module (and of its areas). */
    char tmp[] = "/tmp/flows_include_XXXXXX", path[128];
    if (!mkdtemp(tmp)) {
        test_cond("mkdtemp", 0);
        goto out;
    }
    snprintf(path, sizeof path, "%s/admin-areas.csv", tmp);
    int ok = write_text(path, areas) == 0;
    snprintf(path, sizeof path, "%s/demographics.yaml", tmp);
    ok &= write_text(path, module) == 0;
    snprintf(path, sizeof path, "%s/survey.yaml", tmp);
    ok &= write_text(path, flow) == 0;
    struct flow_def *same = ok ? load_file(path) : NULL;
    test_cond("a copy with the same module: the same checksum",
              same && strcmp(flow_def_checksum(same), flow_def_checksum(def)) == 0);
    snprintf(path, sizeof path, "%s/demographics.yaml", tmp);
    char *m = strstr(module, "How old are you?");
    if (m)
        memcpy(m, "How old are you!", 16);
    ok &= m && write_text(path, module) == 0;
    snprintf(path, sizeof path, "%s/survey.yaml", tmp);
    struct flow_def *other = ok ? load_file(path) : NULL;
    test_cond("a changed module: another checksum",
              other && strcmp(flow_def_checksum(other), flow_def_checksum(def)) != 0);
    flow_def_unref(other);
    snprintf(path, sizeof path, "%s/demographics.yaml", tmp);
    if (m) /* the module as it was; now the areas file changes */
        memcpy(m, "How old are you?", 16);
    ok &= write_text(path, module) == 0;
    snprintf(path, sizeof path, "%s/admin-areas.csv", tmp);
    char *ward = strstr(areas, "Mnarani");
    if (ward)
        ward[0] = 'm';
    ok &= ward && write_text(path, areas) == 0;
    snprintf(path, sizeof path, "%s/survey.yaml", tmp);
    other = ok ? load_file(path) : NULL;
    test_cond("a changed areas file of the module: another checksum",
              other && strcmp(flow_def_checksum(other), flow_def_checksum(def)) != 0 &&
                  strcmp(flow_def_area_name(other, 3, "XR010201", 0), "mnarani") == 0);
    flow_def_unref(other);
    flow_def_unref(same);
    const char *names[] = {"survey.yaml", "demographics.yaml", "admin-areas.csv"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, names[i]);
        unlink(path);
    }
    rmdir(tmp);
out:
    free(flow);
    free(module);
    free(areas);
    flow_def_unref(def);
}

/* A one-language flow; its steps (from line 19) follow. */
#define HEAD(lang)                                                                                 \
    "id: t\nversion: 1\ntitle: T\nlanguage: " lang "\nchannels:\n  ussd: \"*384*93#\"\n"           \
    "consent:\n  version: c1\n  text: \"Test.\"\n  accept: \"1\"\n  decline: \"2\"\n"              \
    "  declined: \"Bye.\"\nmessages:\n  invalid: \"Not valid.\"\n  abandoned: \"Again.\"\n"        \
    "  stopped: \"Stopped.\"\nend: \"Thanks.\"\nsteps:\n"
#define Q "  - id: q\n    type: yes_no\n    text: \"Q?\"\n" /* 3 lines */

static struct flow_def *load_buf_as(const char *text)
{
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load_buf(T, text, strlen(text), &errs);
    raia_errlist_free(&errs);
    return def;
}

static int fails_with(const char *text, const char *want)
{
    return has_error_in(T, text, want);
}

static void test_errors(void)
{
    test_cond("include file missing", fails_with(HEAD("en") "  - include: none.yaml\n",
                                                 T ":19:14: steps[0].include: cannot open " DIR
                                                   "none.yaml: No such file or directory"));
    test_cond("include file name outside the folder",
              fails_with(HEAD("en") Q "  - include: ../flows/wg-ss-v1.yaml\n",
                         T ":22:14: steps[1].include: '../flows/wg-ss-v1.yaml' must be a .yaml "
                           "file beside the flow (a relative name without '..')"));
    test_cond("include of a file that is not a module",
              fails_with(HEAD("en") "  - include: admin-areas.csv\n",
                         T ":19:14: steps[0].include: 'admin-areas.csv' must be a .yaml file "
                           "beside the flow (a relative name without '..')"));
    test_cond("a module with errors: its own error, in its file",
              fails_with(HEAD("en") "  - include: bad-module.yaml\n",
                         DIR "bad-module.yaml:19:11: steps[0].when: there is no step 'nothing'"));
    test_cond("a module with errors: the include says so",
              fails_with(HEAD("en") "  - include: bad-module.yaml\n",
                         T ":19:14: steps[0].include: " DIR "bad-module.yaml has errors (above)"));
    test_cond("a nested include is refused, in the module",
              fails_with(HEAD("en") Q "  - include: nested.yaml\n",
                         DIR "nested.yaml:16:14: steps[0].include: a module cannot include "
                             "another (one level of include)"));
    test_cond("a nested include: the include says so",
              fails_with(HEAD("en") Q "  - include: nested.yaml\n",
                         T ":22:14: steps[1].include: " DIR "nested.yaml has errors (above)"));
    test_cond("id collision after prefixing, with an earlier step",
              fails_with(HEAD("en") "  - id: d_sex\n    type: yes_no\n    text: \"Q?\"\n"
                                    "  - include: demographics.yaml\n    prefix: d_\n",
                         T ":22:14: steps[1].include: step 'sex' becomes 'd_sex', which an "
                           "earlier step uses (choose another prefix)"));
    test_cond("id collision, with a later step",
              fails_with(HEAD("en") "  - include: demographics.yaml\n"
                                    "  - id: sex\n    type: yes_no\n    text: \"Q?\"\n",
                         T ":20:9: steps[1].id: 'sex' is used by an earlier step"));
    test_cond("derived variable collision after prefixing",
              fails_with(HEAD("en") Q "  - include: demographics.yaml\n    prefix: d_\n"
                                      "derived:\n  - id: d_migrant\n    any_of: [q]\n"
                                      "    in: [\"yes\"]\n    then: \"1\"\n    else: \"0\"\n",
                         T ":22:14: steps[1].include: derived variable 'migrant' becomes "
                           "'d_migrant', which the flow already has (choose another prefix)"));
    test_cond("a bad prefix",
              fails_with(HEAD("en") "  - include: demographics.yaml\n    prefix: D-\n",
                         T ":20:13: steps[0].prefix: 'D-' must be 1 to 16 of a-z, 0-9 and '_'"));
    test_cond("when naming no step",
              fails_with(HEAD("en") "  - include: demographics.yaml\n    when: nope == yes\n",
                         T ":20:11: steps[0].when: there is no step 'nope'"));
    test_cond("when naming a later step",
              fails_with(HEAD("en") "  - include: demographics.yaml\n    when: q == yes\n" Q,
                         T ":20:11: steps[0].when: step 'q' does not come before this step"));
    test_cond("when naming an included step",
              fails_with(HEAD("en") "  - include: demographics.yaml\n    when: sex == female\n",
                         T ":20:11: steps[0].when: step 'sex' does not come before this step"));
    test_cond("a language the module lacks: in the module, naming it",
              fails_with(HEAD("fr") "  - include: demographics.yaml\n",
                         MODULE ":69:11: steps[0].text: no 'fr' text"));
    test_cond("a module's plain texts: only into a flow in the same language",
              fails_with(HEAD("sw") "  - include: plain-en.yaml\n"
                                    "labels: { \"yes\": \"Ndiyo\", \"no\": \"Hapana\" }\n",
                         DIR "plain-en.yaml:18:11: steps[0].text: no 'sw' text (the module's plain "
                             "texts are in 'en')"));
    test_cond("an unknown key on an include",
              fails_with(HEAD("en") "  - include: demographics.yaml\n    optional: true\n",
                         T ":20:5: unknown key 'optional' in step"));
}

/* A flow in Swahili only takes the module's Swahili texts, its own labels. */
static void test_other_language(void)
{
    static const char text[] = HEAD("sw") "  - include: demographics.yaml\n"
                                          "prefer_not_to_say: \"Sipendi kusema\"\n"
                                          "labels: { \"yes\": \"Ndiyo\", \"no\": \"Hapana\", "
                                          "back: \"Rudi\", more: \"Zaidi\" }\n";
    static const struct turn_want turns[] = {
        {NULL, "Test.\n1 1\n2 2", 0, FLOW_OUTCOME_NONE},
        {"1", "Jinsia yako ni ipi?\n1 Mwanamke\n2 Mwanamume\n3 Sipendi kusema", 0,
         FLOW_OUTCOME_NONE},
        {"2", "Una umri gani?", 0, FLOW_OUTCOME_NONE},
    };
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load_buf(T, text, strlen(text), &errs);
    char log[256];
    for (size_t i = 0; i < errs.n; i++) {
        char line[512];
        raia_err_format(&errs.items[i], line, sizeof line);
        printf("  %s\n", line);
    }
    test_cond("a Swahili-only flow includes the en/sw module", def != NULL);
    test_cond("its screens are in Swahili",
              def && play_as(def, turns, sizeof turns / sizeof turns[0], 0, log, sizeof log));
    test_cond("the answer", strcmp(log, "sex=male/Mwanamume;") == 0);
    flow_def_unref(def);
    def = load_buf_as(HEAD("en") "  - include: plain-en.yaml\n");
    test_cond(
        "a module's plain texts into a flow in its language",
        def && strcmp(flow_def_step_text(def, 0, 0), "Did you have enough water this week?") == 0);
    flow_def_unref(def);
    raia_errlist_free(&errs);
}

/* One module twice, under two prefixes; its definition holds it twice and loads back. */
static void test_twice(void)
{
    struct flow_def *def = load_buf_as(HEAD("en") "  - include: demographics.yaml\n"
                                                  "    prefix: a_\n"
                                                  "  - include: demographics.yaml\n"
                                                  "    prefix: b_\n");
    struct raia_errlist errs = {0};
    const char *src = def ? flow_def_source(def) : "";
    struct flow_def *back =
        def ? flow_def_load_source("registry/t.yaml", src, strlen(src), &errs) : NULL;
    test_cond("twice: 14 steps", def && flow_def_step_count(def) == 14 &&
                                     strcmp(flow_def_step_id(def, 7), "b_sex") == 0);
    test_cond("twice: four derived variables",
              def && flow_def_derived_count(def) == 4 &&
                  strcmp(flow_def_derived_id(def, 3), "b_displaced_now") == 0);
    test_cond("twice: loads from its source with the same checksum",
              back && strcmp(flow_def_checksum(back), flow_def_checksum(def)) == 0 &&
                  flow_def_step_count(back) == 14);
    flow_def_unref(back);
    flow_def_unref(def);
    raia_errlist_free(&errs);
}

int main(void)
{
    test_transcripts();
    test_describe();
    test_definition();
    test_errors();
    test_other_language();
    test_twice();
    TEST_REPORT();
}
