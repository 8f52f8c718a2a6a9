/*
 * flows_test.c - the flow language's basics: every shipped flow checks
 * clean, broken texts give `file:line:col` for each mistake, the state
 * string round-trips, and transcripts (inputs and the exact screens and
 * answers expected) pin the engine's behaviour on frozen copies of the
 * version-1 shipped flows (tests/assets/flows/). A randomized run feeds
 * random inputs to every shipped flow and checks every session ends or
 * waits, and every screen fits. The newer types and rules are in
 * flows_types_test.c, the broken files in flows_checker_test.c.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "flow.h"
#include "flow_def.h" /* flow_decimal_parse/_format */
#include "flows_help.h"

#define SHIPPED "tests/assets/flows/community-report-v1.yaml"
#define SHIPPED_WG "tests/assets/flows/wg-ss-v1.yaml"

static struct flow_def *load_shipped(void)
{
    return load_file(SHIPPED);
}

static void test_shipped(void)
{
    struct flow_def *def = load_shipped();
    test_cond("shipped flow loads", def != NULL);
    if (!def)
        return;
    test_cond("id", strcmp(flow_def_id(def), "community-report") == 0);
    test_cond("version", flow_def_version(def) == 1);
    test_cond("consent version", strcmp(flow_def_consent_version(def), "cr-consent-1") == 0);
    test_cond("language", strcmp(flow_def_language(def), "en") == 0);
    test_cond("ussd code", strcmp(flow_def_ussd_code(def), "*384*12#") == 0);
    test_cond("sms short code", strcmp(flow_def_sms_short_code(def), "15012") == 0);
    test_cond("sms keyword upper case", strcmp(flow_def_sms_keyword(def), "REPORT") == 0);
    test_cond("checksum is 64 hex", strlen(flow_def_checksum(def)) == 64 &&
                                        strspn(flow_def_checksum(def), "0123456789abcdef") == 64);
    struct strbuf sb = {0};
    test_cond("render", flow_def_render(def, FLOW_CHANNEL_USSD, NULL, &sb) == 0);
    test_cond("render shows every step", strstr(strbuf_cstr(&sb), "--- category") &&
                                             strstr(strbuf_cstr(&sb), "--- details") &&
                                             !strstr(strbuf_cstr(&sb), "TOO LONG"));
    strbuf_free(&sb);
    flow_def_unref(def);
}

static const char good[] =
    "id: t\n"
    "version: 1\n"
    "title: T\n"
    "language: en\n"
    "channels: {ussd: \"*1#\"}\n"
    "consent: {version: c1, text: Ok?, accept: Yes, decline: No, declined: Bye}\n"
    "steps:\n"
    "  - {id: a, type: number, text: Age?, min: 0, max: 120}\n"
    "messages: {invalid: Bad, abandoned: Gone, stopped: Stopped}\n"
    "end: Done\n";

static void test_checker(void)
{
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load_buf("t.yaml", good, strlen(good), &errs);
    test_cond("minimal flow loads", def != NULL && errs.n == 0);
    flow_def_unref(def);
    raia_errlist_free(&errs);

    char buf[2048];
    snprintf(buf, sizeof buf, "%scolour: red\n", good);
    test_cond("unknown key", has_error(buf, "t.yaml:11:1: unknown key 'colour' in flow"));
    test_cond("flow without consent",
              has_error("id: t\nversion: 1\ntitle: T\nlanguage: en\nchannels: {ussd: \"*1#\"}\n"
                        "steps: [{id: a, type: text, text: Hi}]\n"
                        "messages: {invalid: B, abandoned: G, stopped: S}\nend: D\n",
                        "t.yaml:1:1: consent: missing (every flow begins by asking for "
                        "informed consent)"));
    snprintf(buf, sizeof buf, "%s", good);
    memcpy(strstr(buf, "version: 1"), "version: 0", 10);
    test_cond("version out of range", has_error(buf, "t.yaml:2:10: version: 0 not in [1,1000000]"));
    snprintf(buf, sizeof buf, "%s", good);
    memcpy(strstr(buf, "*1#"), "*1*", 3);
    test_cond("bad USSD code",
              has_error(buf, "t.yaml:5:18: channels.ussd: '*1*' is not a USSD code like *384*12#"));
    test_cond(
        "duplicate step id and choice code",
        has_error("id: t\nversion: 1\ntitle: T\nlanguage: en\nchannels: {ussd: \"*1#\"}\n"
                  "consent: {version: c1, text: Ok?, accept: Y, decline: N, declined: B}\n"
                  "steps:\n"
                  "  - {id: a, type: choice, text: Q, choices: [{code: x, label: X}, "
                  "{code: x, label: Y}]}\n"
                  "  - {id: a, type: text, text: Q2}\n"
                  "messages: {invalid: B, abandoned: G, stopped: S}\nend: D\n",
                  "t.yaml:9:10: steps[1].id: 'a' is used by an earlier step") &&
            has_error("id: t\nversion: 1\ntitle: T\nlanguage: en\nchannels: {ussd: \"*1#\"}\n"
                      "consent: {version: c1, text: Ok?, accept: Y, decline: N, declined: B}\n"
                      "steps:\n"
                      "  - {id: a, type: choice, text: Q, choices: [{code: x, label: X}, "
                      "{code: x, label: Y}]}\n"
                      "messages: {invalid: B, abandoned: G, stopped: S}\nend: D\n",
                      "t.yaml:8:74: steps[0].choices[1].code: 'x' is used twice in this "
                      "step"));
    test_cond("unknown step type",
              has_error("id: t\nversion: 1\ntitle: T\nlanguage: en\nchannels: {ussd: \"*1#\"}\n"
                        "consent: {version: c1, text: Ok?, accept: Y, decline: N, declined: B}\n"
                        "steps: [{id: a, type: slider, text: Q}]\n"
                        "messages: {invalid: B, abandoned: G, stopped: S}\nend: D\n",
                        "t.yaml:7:23: steps[0].type: 'slider' is not choice, multi_choice, yes_no, "
                        "number, decimal, "
                        "text, date, year, age or location"));
    /* 190 GSM characters of question text cannot fit one USSD screen. */
    char longq[200];
    memset(longq, 'q', 190);
    longq[190] = '\0';
    snprintf(buf, sizeof buf,
             "id: t\nversion: 1\ntitle: T\nlanguage: en\nchannels: {ussd: \"*1#\"}\n"
             "consent: {version: c1, text: Ok?, accept: Y, decline: N, declined: B}\n"
             "steps:\n  - id: a\n    type: text\n    text: %s\n"
             "messages: {invalid: B, abandoned: G, stopped: S}\nend: D\n",
             longq);
    test_cond("screen too long for USSD",
              has_error(buf, "t.yaml:10:11: step 'a': the USSD screen is 190 characters in "
                             "GSM 7-bit, more than 182"));
    /* One character outside GSM 7-bit turns the screen into UCS-2 (80 units). */
    memcpy(longq, "\xe1\x88\x80", 3); /* Ethiopic HA */
    longq[90] = '\0';
    snprintf(buf, sizeof buf,
             "id: t\nversion: 1\ntitle: T\nlanguage: am\nchannels: {ussd: \"*1#\"}\n"
             "consent: {version: c1, text: Ok?, accept: Y, decline: N, declined: B}\n"
             "steps:\n  - id: a\n    type: text\n    text: %s\n"
             "messages: {invalid: B, abandoned: G, stopped: S}\nend: D\n",
             longq);
    test_cond("UCS-2 screen limit",
              has_error(buf, "t.yaml:10:11: step 'a': the USSD screen is 88 characters in "
                             "UCS-2, more than 80"));
    test_cond("syntax error has a position",
              has_error("id: [unclosed\n", "t.yaml:2:1: YAML: did not find expected ',' or ']' "
                                           "while parsing a flow sequence"));
}

static void test_transcripts(void)
{
    struct flow_def *def = load_shipped();
    char log[1024];
    if (!def)
        return;
    const struct turn_want complete[] = {
        {NULL, "Community Reports asks about local services", 0, 0},
        {"1", "Which service has a problem?\n1 Water point\n2 Clinic\n3 School\n4 Other", 0, 0},
        {"2", "How serious is it?", 0, 0},
        {"7", "Send a number from 1 to 5.\nHow serious is it?", 0, 0},
        {" 5 ", "Describe the problem", 0, 0},
        {"No nurse since June", "Thank you. Your report was recorded.", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("complete report", play(def, complete, 6, log, sizeof log));
    test_cond("answers of the complete report",
              strcmp(log, "category=clinic/Clinic;severity=/5;details=/No nurse since June;") == 0);

    const struct turn_want refuse[] = {
        {NULL, "1 I agree\n2 No", 0, 0},
        {"2", "Nothing was recorded", 1, FLOW_OUTCOME_REFUSED},
    };
    test_cond("refusal", play(def, refuse, 2, log, sizeof log) && log[0] == '\0');

    const struct turn_want stop[] = {
        {NULL, "Community", 0, 0},
        {"1", "Which service", 0, 0},
        {"water", "How serious", 0, 0},
        {"stop", "You stopped the report", 1, FLOW_OUTCOME_STOPPED},
    };
    test_cond("STOP midway keeps earlier answers",
              play(def, stop, 4, log, sizeof log) &&
                  strcmp(log, "category=water/Water point;") == 0);

    const struct turn_want abandon[] = {
        {NULL, "Community", 0, 0},
        {"yes", "Sorry, that answer is not valid.\n1 I agree\n2 No", 0, 0},
        {"1", "Which service", 0, 0},
        {"9", "Sorry, that answer is not valid.\nWhich service", 0, 0},
        {"", "Sorry, that answer is not valid.", 0, 0},
        {"0", "Please dial again to start over", 1, FLOW_OUTCOME_ABANDONED},
    };
    test_cond("retries then abandon", play(def, abandon, 6, log, sizeof log) && log[0] == '\0');

    const struct turn_want too_long[] = {
        {NULL, "Community", 0, 0},
        {"1", "Which", 0, 0},
        {"4", "How serious", 0, 0},
        {"1.5", "Send a number from 1 to 5.", 0, 0},
        {"1", "Describe", 0, 0},
        {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx1",
         "Please describe it in 140 letters or fewer.\nDescribe", 0, 0},
    };
    test_cond("decimal and over-long text re-prompt", play(def, too_long, 6, log, sizeof log));

    struct flow_state st = {.step = "nowhere", .consented = 1};
    struct flow_output out;
    test_cond("unknown step is refused",
              flow_step(def, FLOW_CHANNEL_USSD, &st, "1", &out) == -RAIA_EINVAL);
    flow_def_unref(def);
}

static void test_state_decode(void)
{
    struct flow_state st;
    static const char *const bad[] = {"",       ".0.1",  "a.0.2", "a..1", "a.100.1",
                                      "a.0.1x", "A.0.1", "a 0 1", "a.0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        test_cond(bad[i], flow_state_decode(bad[i], strlen(bad[i]), &st) == -RAIA_EPROTO);
    test_cond("good state", flow_state_decode("details.2.1", 11, &st) == 0 &&
                                strcmp(st.step, "details") == 0 && st.retries == 2 &&
                                st.consented == 1);
}

static void test_flow_set(void)
{
    struct raia_errlist errs = {0};
    struct flow_set *set = flow_set_load_dir("config/flows", &errs);
    test_cond("shipped flow set loads", set != NULL && errs.n == 0);
    if (set) {
        test_cond("find by USSD code", flow_set_find_ussd(set, "*384*12#") != NULL);
        test_cond("unknown USSD code", flow_set_find_ussd(set, "*1#") == NULL);
        test_cond("find by SMS keyword, any case",
                  flow_set_find_sms(set, "15012", "  report water broken") != NULL);
        test_cond("wrong short code", flow_set_find_sms(set, "15013", "REPORT") == NULL);
        const struct flow_def *cr = flow_set_find_ussd(set, "*384*12#");
        test_cond("find by id+version",
                  cr && flow_set_find(set, "community-report", flow_def_version(cr)) == cr &&
                      flow_set_find(set, "community-report", flow_def_version(cr) + 1) == NULL);
    }
    flow_set_free(set);
    raia_errlist_free(&errs);
    set = flow_set_load_dir("tests/unit/no-such-dir", &errs);
    test_cond("missing dir is an error", set == NULL && errs.n == 1);
    raia_errlist_free(&errs);
}

/* Non-empty and within one USSD screen in the encoding the gateway picks. */
static int fits_ussd(const char *screen)
{
    long septets = charset_gsm7_length(screen, strlen(screen));
    if (septets >= 0)
        return septets > 0 && septets <= FLOW_USSD_SCREEN_MAX;
    long units = charset_ucs2_length(screen, strlen(screen));
    return units > 0 && units <= 80;
}

/* Random inputs for many sessions of def: no crash, every screen fits, every session ends. */
static void random_sessions(const char *name, const struct flow_def *def)
{
    static const char *const inputs[] = {"1",
                                         "2",
                                         "3",
                                         "4",
                                         "5",
                                         "0",
                                         "9",
                                         "STOP",
                                         "",
                                         "help",
                                         "water",
                                         "12",
                                         "-1",
                                         "2,5",
                                         "*",
                                         "a few words",
                                         "\xc3\xa9t\xc3\xa9"};
    unsigned seed = 12345;
    int ok = 1, ended = 0;
    for (int s = 0; s < 2000 && ok; s++) {
        struct flow_state st;
        struct flow_output out;
        flow_start(def, FLOW_CHANNEL_USSD, &st, &out);
        ok = fits_ussd(out.screen);
        for (int turn = 0; turn < 60 && !out.end; turn++) {
            seed = seed * 1103515245u + 12345u;
            const char *in = inputs[(seed >> 16) % (sizeof inputs / sizeof inputs[0])];
            if (flow_step(def, FLOW_CHANNEL_USSD, &st, in, &out) != 0 || !fits_ussd(out.screen))
                ok = 0;
        }
        ended += out.end;
    }
    printf("  %s: %d of 2000 random sessions ended\n", name, ended);
    test_cond("random sessions: every turn answered with a screen that fits", ok);
    test_cond("random sessions: every session ends within 60 turns", ended == 2000);
}

/* Every file in config/flows/, so a new shipped flow is covered without editing this test. */
static void test_random_sessions(void)
{
    DIR *d = opendir("config/flows");
    struct dirent *e;
    int n = 0;
    test_cond("config/flows opens", d != NULL);
    while (d && (e = readdir(d))) {
        char path[512];
        if (e->d_name[0] == '.' || !strstr(e->d_name, ".yaml"))
            continue;
        snprintf(path, sizeof path, "config/flows/%s", e->d_name);
        struct flow_def *def = load_file(path);
        test_cond(path, def != NULL);
        if (def)
            random_sessions(e->d_name, def);
        flow_def_unref(def);
        n++;
    }
    if (d)
        closedir(d);
    test_cond("two shipped flows at least", n >= 2);
}

/* ---- languages and the WG-SS ---- */

static void test_wg_shipped(void)
{
    struct flow_def *def = load_file(SHIPPED_WG);
    test_cond("WG-SS loads", def != NULL);
    if (!def)
        return;
    test_cond("WG-SS default language", strcmp(flow_def_language(def), "en") == 0);
    test_cond("WG-SS USSD code", strcmp(flow_def_ussd_code(def), "*384*13#") == 0);
    test_cond("WG-SS SMS keyword", strcmp(flow_def_sms_keyword(def), "WG") == 0);
    struct strbuf sb = {0};
    test_cond("WG-SS renders", flow_def_render(def, FLOW_CHANNEL_SMS, NULL, &sb) == 0);
    test_cond("WG-SS render: all languages, nothing too long",
              strstr(strbuf_cstr(&sb), "--- language menu") &&
                  strstr(strbuf_cstr(&sb), "--- communicating [fr]") &&
                  !strstr(strbuf_cstr(&sb), "TOO LONG"));
    strbuf_reset(&sb);
    test_cond("WG-SS renders in Swahili only",
              flow_def_render(def, FLOW_CHANNEL_USSD, "sw", &sb) == 0 &&
                  strstr(strbuf_cstr(&sb), "--- seeing [sw]") &&
                  !strstr(strbuf_cstr(&sb), "[en]") && !strstr(strbuf_cstr(&sb), "[fr]"));
    strbuf_reset(&sb);
    test_cond("an unknown language is refused",
              flow_def_render(def, FLOW_CHANNEL_USSD, "de", &sb) == -RAIA_ENOTFOUND);
    strbuf_free(&sb);
    char log[1024];
    const char *menu = "1 English\n2 Kiswahili\n3 Fran\xc3\xa7"
                       "ais";
    const struct turn_want en[] = {
        {NULL, menu, 0, 0},
        {"1",
         "Questions on daily activities, for disability statistics (SDGs). Voluntary, "
         "anonymous, deleted after 2 years. Send STOP to quit.\n1 I agree\n2 No",
         0, 0},
        {"1",
         "Do you have difficulty seeing, even if wearing glasses?\n1 No difficulty\n2 Some "
         "difficulty\n3 A lot of difficulty\n4 Cannot do at all",
         0, 0},
        {"3",
         "Do you have difficulty hearing, even if using a hearing aid?\n1 No difficulty\n2 Some "
         "difficulty\n3 A lot of difficulty\n4 Cannot do at all",
         0, 0},
    };
    test_cond("WG-SS in English", play_as(def, en, 4, 1, log, sizeof log) &&
                                      strcmp(log, "seeing=3/A lot of difficulty;") == 0);
    const struct turn_want sw[] = {
        {NULL, menu, 0, 0},
        {"2",
         "Maswali kuhusu shughuli za kila siku, kwa takwimu za ulemavu (SDG). Ni hiari, bila "
         "jina, yanafutwa baada ya miaka 2. STOP kuacha.\n1 Nakubali\n2 Hapana",
         0, 0},
        {"1",
         "Je, una ugumu wa kuona, hata ukivaa miwani?\n1 Hakuna ugumu\n2 Ugumu kiasi\n3 Ugumu "
         "mwingi\n4 Siwezi kabisa",
         0, 0},
        {"x",
         "Si sahihi.\nJe, una ugumu wa kuona, hata ukivaa miwani?\n1 Hakuna ugumu\n2 Ugumu "
         "kiasi\n3 Ugumu mwingi\n4 Siwezi kabisa",
         0, 0},
        {"1", "Je, una ugumu wa kusikia, hata ukitumia kifaa cha kusikia?\n1 Hakuna ugumu", 0, 0},
    };
    test_cond("WG-SS in Swahili", play_as(def, sw, 4, 1, log, sizeof log) && log[0] == '\0' &&
                                      play(def, sw, 5, log, sizeof log) &&
                                      strcmp(log, "seeing=1/Hakuna ugumu;") == 0);
    const struct turn_want fr[] = {
        {NULL, menu, 0, 0},
        {"fr",
         "Questions sur la vie quotidienne, pour les statistiques du handicap (ODD). "
         "Facultatif, anonyme, effac\xc3\xa9 apr\xc3\xa8s 2 ans. STOP pour quitter.\n1 "
         "J'accepte\n2 Non",
         0, 0},
        {"1",
         "Avez-vous du mal \xc3\xa0 voir, y compris avec des lunettes ?\n1 Aucune "
         "difficult\xc3\xa9\n2 Quelques difficult\xc3\xa9s\n3 Beaucoup de difficult\xc3\xa9s\n4 "
         "Impossible",
         0, 0},
        {"4", "Avez-vous du mal \xc3\xa0 entendre", 0, 0},
        {"1", "marcher", 0, 0},
        {"1", "souvenir", 0, 0},
        {"2", "habiller", 0, 0},
        {"1", "communiquer", 0, 0},
        {"1",
         "Merci. Vos r\xc3\xa9ponses ont \xc3\xa9t\xc3\xa9 enregistr\xc3\xa9"
         "es.",
         1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("WG-SS in French, by language code", play_as(def, fr, 3, 1, log, sizeof log));
    test_cond("WG-SS in French, to the end",
              play(def, fr, 9, log, sizeof log) &&
                  strcmp(log, "seeing=4/Impossible;hearing=1/Aucune difficult\xc3\xa9;"
                              "walking=1/Aucune difficult\xc3\xa9;remembering=2/Quelques "
                              "difficult\xc3\xa9s;self_care=1/Aucune difficult\xc3\xa9;"
                              "communicating=1/Aucune difficult\xc3\xa9;") == 0);
    const struct turn_want menu_retry[] = {
        {NULL, menu, 0, 0},
        {"7", menu, 0, 0},
        {"HELP", menu, 0, 0},
        {"de", menu, 0, 0},
        {"9", "Please dial again", 1, FLOW_OUTCOME_ABANDONED},
    };
    test_cond("language menu: invalid answers re-show it, HELP costs no retry",
              play_as(def, menu_retry, 4, 1, log, sizeof log) &&
                  play(def, menu_retry, 5, log, sizeof log));
    struct flow_state st;
    struct flow_output out;
    flow_start(def, FLOW_CHANNEL_USSD, &st, &out);
    test_cond("no language before the menu",
              st.language[0] == '\0' && strcmp(flow_state_language(def, &st), "en") == 0);
    flow_step(def, FLOW_CHANNEL_USSD, &st, "2", &out);
    test_cond("chosen language kept", strcmp(st.language, "sw") == 0 &&
                                          strcmp(flow_state_language(def, &st), "sw") == 0 &&
                                          strcmp(st.step, "consent") == 0);
    flow_def_unref(def);
}

/* A one-language flow with every new kind of step; yes/no and "prefer not to say" default. */
static const char features[] =
    "id: f\n"
    "version: 1\n"
    "title: F\n"
    "language: en\n"
    "channels: {ussd: \"*1#\", sms: {short_code: \"1\", keyword: F}}\n"
    "help: Send the number.\n"
    "consent: {version: c1, text: Ok?, accept: Yes, decline: No, declined: Bye}\n"
    "steps:\n"
    "  - {id: pet, type: yes_no, text: Pet?}\n"
    "  - {id: kind, type: choice, text: Kind?, optional: true, when: pet == yes,\n"
    "     choices: [{code: cat, label: Cat}, {code: dog, label: Dog}]}\n"
    "  - {id: name, type: text, text: Name?, when: \"pet == yes and kind == dog\"}\n"
    "  - {id: kg, type: decimal, text: Kg?, min: 0.5, max: 80, decimals: 1, optional: true}\n"
    "  - {id: why, type: text, text: Why?, when: \"kind == refused and pet != no\"}\n"
    "messages: {invalid: Bad, abandoned: Gone, stopped: Stopped}\n"
    "end: Done\n";

static void test_features(void)
{
    struct flow_def *def = load_buf(features);
    char log[1024];
    test_cond("feature flow loads", def != NULL);
    if (!def)
        return;
    const struct turn_want refused[] = {
        {NULL, "Ok?\n1 Yes\n2 No", 0, 0},
        {"help", "Send the number.\n1 Yes\n2 No", 0, 0},
        {"1", "Pet?\n1 Yes\n2 No", 0, 0},
        {"HeLp", "Send the number.\nPet?\n1 Yes\n2 No", 0, 0},
        {"yes", "Kind?\n1 Cat\n2 Dog\n3 Prefer not to say", 0, 0},
        {"3", "Kg?\n* Prefer not to say", 0, 0},
        {"2,55", "Bad\nKg?\n* Prefer not to say", 0, 0},
        {"HELP", "Send the number.\nKg?\n* Prefer not to say", 0, 0},
        {"80.1", "Bad\nKg?\n* Prefer not to say", 0, 0},
        {"2,5", "Why?", 0, 0},
        {"private", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("yes_no, optional choice refused, when-skip, HELP, decimal",
              play_as(def, refused, 11, 1, log, sizeof log) &&
                  strcmp(log, "pet=yes/Yes;kind=refused/;kg=/2.5;why=/private;") == 0);
    const struct turn_want no_pet[] = {
        {NULL, "Ok?", 0, 0},
        {"1", "Pet?", 0, 0},
        {"2", "Kg?\n* Prefer not to say", 0, 0},
        {"*", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("when skips every step that depends on no, free entry refused with *",
              play(def, no_pet, 4, log, sizeof log) && strcmp(log, "pet=no/No;kg=refused/;") == 0);
    const struct turn_want dog[] = {
        {NULL, "Ok?", 0, 0},  {"1", "Pet?", 0, 0},
        {"1", "Kind?", 0, 0}, {"dog", "Name?", 0, 0},
        {"Rex", "Kg?", 0, 0}, {"0.4", "Bad", 0, 0},
        {"-3", "Bad", 0, 0},  {"80", "Done", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("when with and; decimal bounds",
              play(def, dog, 8, log, sizeof log) &&
                  strcmp(log, "pet=yes/Yes;kind=dog/Dog;name=/Rex;kg=/80;") == 0);
    const struct turn_want too_many[] = {
        {NULL, "Ok?", 0, 0}, {"1", "Pet?", 0, 0},  {"2", "Kg?", 0, 0},
        {"2.", "Bad", 0, 0}, {"1e1", "Bad", 0, 0}, {"1,2,3", "Gone", 1, FLOW_OUTCOME_ABANDONED},
    };
    test_cond("bad decimals use retries", play(def, too_many, 6, log, sizeof log));
    flow_def_unref(def);
}

/* Two languages; every text a map. Mutated below to make each mistake. */
static const char bilingual[] =
    "id: t\n"
    "version: 1\n"
    "title: T\n"
    "languages: [en, sw]\n"
    "language_names: {en: English, sw: Kiswahili}\n"
    "labels: {yes: {en: Yes, sw: Ndiyo}, no: {en: No, sw: Hapana}}\n"
    "channels: {ussd: \"*1#\"}\n"
    "consent: {version: c1, text: {en: Ok?, sw: Sawa?}, accept: {en: Yes, sw: Ndiyo},\n"
    "          decline: {en: No, sw: La}, declined: {en: Bye, sw: Kwaheri}}\n"
    "steps:\n"
    "  - {id: a, type: yes_no, text: {en: Q, sw: S}}\n"
    "  - {id: b, type: number, text: {en: N, sw: N}, when: a == yes}\n"
    "messages: {invalid: {en: B, sw: B}, abandoned: {en: G, sw: G}, stopped: {en: S, sw: S}}\n"
    "end: {en: D, sw: D}\n";

/* bilingual with the first `from` replaced by `to`. */
static const char *mutate(const char *from, const char *to)
{
    static char buf[2048];
    const char *at = strstr(bilingual, from);
    if (!at)
        return "";
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - bilingual), bilingual, to, at + strlen(from));
    return buf;
}

static void test_language_checker(void)
{
    struct flow_def *def = load_buf(bilingual);
    test_cond("bilingual flow loads", def != NULL);
    flow_def_unref(def);
    test_cond("missing translation",
              has_error(mutate("text: {en: Ok?, sw: Sawa?}", "text: {en: Ok?}"),
                        "t.yaml:8:30: consent.text: no 'sw' text"));
    test_cond("unknown language key",
              has_error(mutate("end: {en: D, sw: D}", "end: {en: D, sw: D, fr: D}"),
                        "t.yaml:14:21: end: 'fr' is not a language of this flow"));
    test_cond("plain text in a flow with two languages",
              has_error(mutate("end: {en: D, sw: D}", "end: D"),
                        "t.yaml:14:6: end: one text for 2 languages; give {en: ..., sw: ...}"));
    test_cond("language menu needs names",
              has_error(mutate("language_names: {en: English, sw: Kiswahili}\n", ""),
                        "t.yaml:1:1: language_names: missing (a flow with several languages "
                        "opens with a language menu)"));
    test_cond(
        "yes_no needs labels in every language",
        has_error(mutate("labels: {yes: {en: Yes, sw: Ndiyo}, no: {en: No, sw: Hapana}}\n", ""),
                  "t.yaml:10:19: steps[0].type: needs labels.yes in 'sw' (no default in "
                  "that language)"));
    test_cond("when: later step", has_error(mutate("when: a == yes", "when: c == yes"),
                                            "t.yaml:12:55: steps[1].when: there is no step 'c'"));
    test_cond("when: unknown code",
              has_error(mutate("when: a == yes", "when: a != maybe"),
                        "t.yaml:12:55: steps[1].when: step 'a' has no code 'maybe'"));
    test_cond("when: not a comparison",
              has_error(mutate("when: a == yes", "when: a = yes"),
                        "t.yaml:12:55: steps[1].when: 'a = yes' is not '<step> == <code>', "
                        "'<step> != <code>' or '<step> >= <number>' (also <, <=, >)"));
    test_cond("when: a choice compared as a number",
              has_error(mutate("when: a == yes", "when: a >= 2"),
                        "t.yaml:12:55: steps[1].when: step 'a' is a choice: compare its code with "
                        "== or !="));
    test_cond("when: step that comes later",
              has_error(mutate("  - {id: a, type: yes_no, text: {en: Q, sw: S}}\n",
                               "  - {id: a, type: yes_no, text: {en: Q, sw: S}, when: b == x}\n"),
                        "t.yaml:11:55: steps[0].when: step 'b' does not come before this step"));
    test_cond("language listed twice", has_error(mutate("[en, sw]", "[en, en]"),
                                                 "t.yaml:4:17: languages: 'en' is listed twice"));
}

static void test_state_round_trip(void)
{
    struct flow_state st = {.step = "walking",
                            .retries = 1,
                            .consented = 1,
                            .language = "sw",
                            .answers = "3r-"},
                      back;
    char buf[FLOW_STATE_MAX];
    int len = flow_state_encode(&st, buf, sizeof buf);
    test_cond("state with language and answers encodes", strcmp(buf, "walking.1.1.sw.3r-") == 0);
    test_cond("and decodes to the same",
              flow_state_decode(buf, (size_t)len, &back) == 0 &&
                  strcmp(back.step, "walking") == 0 && back.retries == 1 && back.consented == 1 &&
                  strcmp(back.language, "sw") == 0 && strcmp(back.answers, "3r-") == 0);
    memset(st.answers, '~', FLOW_STEPS_MAX);
    memset(st.step, 'x', FLOW_ID_MAX - 1);
    snprintf(st.language, sizeof st.language, "abcdefg");
    st.page = 99;
    st.picked = ~0ull;
    st.depth = FLOW_LEVELS_MAX - 1;
    for (int k = 0; k < st.depth; k++)
        st.path[k] = 99999;
    for (int k = 0; k < FLOW_KEPT_MAX; k++)
        st.values[k] = -999999999999LL;
    st.kept = (1u << FLOW_KEPT_MAX) - 1;
    len = flow_state_encode(&st, buf, sizeof buf);
    test_cond("the longest state fits FLOW_STATE_MAX",
              len > 0 && flow_state_decode(buf, (size_t)len, &back) == 0 &&
                  strlen(back.answers) == FLOW_STEPS_MAX && back.page == 99 &&
                  back.picked == ~0ull && back.depth == 3 && back.path[2] == 99999 &&
                  back.kept == 15 && back.values[3] == -999999999999LL);
    printf("  the longest state: %d characters\n", len);
    static const char *const bad_extra[] = {"a.0.1.en.1.100.0.",
                                            "a.0.1.en.1.0.g.",
                                            "a.0.1.en.1.0.0.1__2",
                                            "a.0.1.en.1.0.0.1_2_3_4",
                                            "a.0.1.en.1.0.0.1_",
                                            "a.0.1.en.1.0.0",
                                            "a.0.1.en.1.0.0.1.2",
                                            "a.0.1.en.1.0.0.1.",
                                            "a.0.1.en.1.0.0..4:1",
                                            "a.0.1.en.1.0.0..0:1_0:2",
                                            "a.0.1.en.1.0.0..0:",
                                            "a.0.1.en.1.0.0..0:1_",
                                            "a.0.1.en.1.0.0..0:1234567890123",
                                            "a.0.1.en.1.0.0..0:1.x"};
    for (size_t i = 0; i < sizeof bad_extra / sizeof bad_extra[0]; i++)
        test_cond(bad_extra[i],
                  flow_state_decode(bad_extra[i], strlen(bad_extra[i]), &back) == -RAIA_EPROTO);
    test_cond("kept numbers decode",
              flow_state_decode("a.0.1.en.1.0.0..1:-5_3:18", 25, &back) == 0 && back.kept == 10 &&
                  back.values[1] == -5 && back.values[3] == 18);
    test_cond("paging, marks and path decode",
              flow_state_decode("a.0.1.en.1.2.5.3_17", 19, &back) == 0 && back.page == 2 &&
                  back.picked == 5 && back.depth == 2 && back.path[1] == 17);
    static const char *const bad[] = {"a.0.1.",  "a.0.1.en",   "a.0.1.EN.",      "a.0.1.en.1!",
                                      "a.0.1..", "a.0.1.e.n.", "a.0.1.abcdefgh."};
    test_cond("empty language and answers decode", flow_state_decode(bad[4], 7, &back) == 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (i != 4)
            test_cond(bad[i], flow_state_decode(bad[i], strlen(bad[i]), &back) == -RAIA_EPROTO);
    struct flow_def *def = load_buf(features);
    struct flow_output out;
    struct flow_state far = {.step = "pet", .consented = 1, .language = "en", .answers = "1----1"};
    test_cond("more marks than steps are refused",
              def && flow_step(def, FLOW_CHANNEL_USSD, &far, "1", &out) == -RAIA_EINVAL);
    struct flow_state lang = {.step = "pet", .consented = 1, .language = "fr"};
    test_cond("a language the flow lacks is refused",
              def && flow_step(def, FLOW_CHANNEL_USSD, &lang, "1", &out) == -RAIA_EINVAL);
    struct flow_state legacy;
    test_cond("a state saved before languages still runs",
              def && flow_state_decode("kg.0.1", 6, &legacy) == 0 &&
                  flow_step(def, FLOW_CHANNEL_USSD, &legacy, "3", &out) == 0 &&
                  strcmp(out.screen, "Done") == 0 && strcmp(out.answers[0].value, "3") == 0);
    flow_def_unref(def);
}

static void test_decimal_values(void)
{
    long long v = 0;
    char buf[32];
    test_cond("2,5 parses", flow_decimal_parse("2,5", 1, &v) == 0 && v == 25);
    flow_decimal_format(v, 1, buf, sizeof buf);
    test_cond("2,5 is stored as 2.5", strcmp(buf, "2.5") == 0);
    test_cond("-0.25", flow_decimal_parse("-0.25", 3, &v) == 0 && v == -250);
    flow_decimal_format(v, 3, buf, sizeof buf);
    test_cond("trailing zeros dropped", strcmp(buf, "-0.25") == 0);
    flow_decimal_format(30, 1, buf, sizeof buf);
    test_cond("whole numbers without a point", strcmp(buf, "3") == 0);
    static const char *const bad[] = {"", ".5", "2.", "2.55", "1e3", "2,5,", " 2", "1234567890"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        test_cond(bad[i], flow_decimal_parse(bad[i], 1, &v) == -1);
}

int main(void)
{
    test_shipped();
    test_checker();
    test_transcripts();
    test_state_decode();
    test_flow_set();
    test_random_sessions();
    test_wg_shipped();
    test_features();
    test_language_checker();
    test_state_round_trip();
    test_decimal_values();
    TEST_REPORT();
}
