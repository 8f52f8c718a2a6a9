/*
 * flows_test.c - the flow language: the shipped flow checks clean, broken
 * files give `file:line:col` for each mistake, and transcripts (inputs and
 * the exact screens and answers expected) pin the engine's behaviour.
 * A randomized run feeds random inputs to the shipped flow and checks every
 * session ends or waits, and every screen fits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "flow.h"
#include "test_help.h"

#define SHIPPED "config/flows/community-report.yaml"

static struct flow_def *load_shipped(void)
{
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load(SHIPPED, &errs);
    raia_errlist_free(&errs);
    return def;
}

/* Loads text and returns 1 if some error is exactly `want` (file:line:col: message). */
static int has_error(const char *text, const char *want)
{
    struct raia_errlist errs = {0};
    struct flow_def *def = flow_def_load_buf("t.yaml", text, strlen(text), &errs);
    int found = 0;
    for (size_t i = 0; i < errs.n; i++) {
        char line[512];
        raia_err_format(&errs.items[i], line, sizeof line);
        if (strcmp(line, want) == 0)
            found = 1;
    }
    if (!found) {
        printf("  expected: %s\n  got:\n", want);
        for (size_t i = 0; i < errs.n; i++) {
            char line[512];
            raia_err_format(&errs.items[i], line, sizeof line);
            printf("    %s\n", line);
        }
    }
    flow_def_unref(def);
    raia_errlist_free(&errs);
    return found && def == NULL;
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
    test_cond("render", flow_def_render(def, FLOW_CHANNEL_USSD, &sb) == 0);
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
                        "t.yaml:7:23: steps[0].type: 'slider' is not choice, number or text"));
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

/* ---- transcripts ---- */

struct turn_want {
    const char *input;      /* NULL: the start of the session */
    const char *screen_has; /* a part of the screen expected */
    int end;
    enum flow_outcome outcome;
};

/* Plays inputs; returns 1 if every screen contains what is wanted. Answers are appended to log. */
static int play(const struct flow_def *def, const struct turn_want *turns, size_t n, char *log,
                size_t log_size)
{
    struct flow_state st;
    struct flow_output out;
    size_t used = 0;
    log[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int rc = turns[i].input ? flow_step(def, FLOW_CHANNEL_USSD, &st, turns[i].input, &out)
                                : flow_start(def, FLOW_CHANNEL_USSD, &st, &out);
        if (rc != 0 || !strstr(out.screen, turns[i].screen_has) || out.end != turns[i].end ||
            out.outcome != turns[i].outcome) {
            printf("  turn %zu (%s): rc=%d end=%d outcome=%d screen=\n%s\n", i,
                   turns[i].input ? turns[i].input : "start", rc, out.end, out.outcome, out.screen);
            return 0;
        }
        for (size_t a = 0; a < out.n_answers; a++)
            used +=
                (size_t)snprintf(log + used, log_size - used, "%s=%s/%s;", out.answers[a].question,
                                 out.answers[a].code, out.answers[a].value);
        /* The state survives a trip through its encoding, as through Redis. */
        char enc[FLOW_STATE_MAX];
        struct flow_state back;
        int len = flow_state_encode(&st, enc, sizeof enc);
        if (!out.end && (len < 0 || flow_state_decode(enc, (size_t)len, &back) != 0 ||
                         memcmp(&back, &st, sizeof st) != 0)) {
            printf("  state round trip failed at turn %zu\n", i);
            return 0;
        }
    }
    return 1;
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

    struct flow_state st = {"nowhere", 0, 1};
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
        test_cond("find by id+version", flow_set_find(set, "community-report", 1) != NULL &&
                                            flow_set_find(set, "community-report", 2) == NULL);
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

/* Random inputs for many sessions: no crash, every screen fits, every session ends or waits. */
static void test_random_sessions(void)
{
    struct flow_def *def = load_shipped();
    static const char *const inputs[] = {
        "1",    "2", "3",     "4",  "5",  "0",           "9",
        "STOP", "",  "water", "12", "-1", "a few words", "\xc3\xa9t\xc3\xa9"};
    unsigned seed = 12345;
    int ok = 1, ended = 0;
    if (!def)
        return;
    for (int s = 0; s < 2000 && ok; s++) {
        struct flow_state st;
        struct flow_output out;
        flow_start(def, FLOW_CHANNEL_USSD, &st, &out);
        for (int turn = 0; turn < 40 && !out.end; turn++) {
            seed = seed * 1103515245u + 12345u;
            const char *in = inputs[(seed >> 16) % (sizeof inputs / sizeof inputs[0])];
            if (flow_step(def, FLOW_CHANNEL_USSD, &st, in, &out) != 0 || !fits_ussd(out.screen))
                ok = 0;
        }
        ended += out.end;
    }
    test_cond("random sessions: every turn answered with a screen", ok);
    test_cond("random sessions: every session ends within 40 turns", ended == 2000);
    flow_def_unref(def);
}

int main(void)
{
    test_shipped();
    test_checker();
    test_transcripts();
    test_state_decode();
    test_flow_set();
    test_random_sessions();
    TEST_REPORT();
}
