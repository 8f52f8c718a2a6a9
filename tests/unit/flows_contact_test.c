/*
 * flows_contact_test.c - the `contact: true` key on a flow step: a yes_no
 * step may ask whether the person wants the results by SMS; the checker
 * refuses it anywhere else, twice in one flow, and in a sensitive flow.
 */
#include <stdio.h>
#include <string.h>

#include "flows_help.h"

#define ASSET "tests/assets/flows/results-sms.yaml"

/* A one-language USSD flow with the given steps (and sensitive: S). */
static void flow_with(char *out, size_t size, const char *sensitive, const char *steps)
{
    snprintf(out, size,
             "id: t\n"
             "version: 1\n"
             "title: T\n"
             "languages: [en]\n"
             "%s"
             "channels:\n"
             "  ussd: \"*384*7#\"\n"
             "labels:\n"
             "  yes: { en: \"Yes\" }\n"
             "  no: { en: \"No\" }\n"
             "consent:\n"
             "  version: c1\n"
             "  text: { en: \"Test. Voluntary.\" }\n"
             "  accept: { en: \"Agree\" }\n"
             "  decline: { en: \"No\" }\n"
             "  declined: { en: \"Bye.\" }\n"
             "messages:\n"
             "  invalid: { en: \"Invalid.\" }\n"
             "  abandoned: { en: \"Abandoned.\" }\n"
             "  stopped: { en: \"Stopped.\" }\n"
             "end:\n"
             "  en: \"Thanks.\"\n"
             "steps:\n"
             "%s",
             sensitive, steps);
}

static const char yes_no_contact[] = "  - id: hear\n"
                                     "    type: yes_no\n"
                                     "    contact: true\n"
                                     "    text: { en: \"Results by SMS?\" }\n";

static void test_accepted(void)
{
    char text[2048];
    flow_with(text, sizeof text, "", yes_no_contact);
    struct flow_def *def = load_buf(text);
    test_cond("yes_no contact step loads", def != NULL);
    test_cond("contact step found", def && strcmp(flow_def_contact_step(def), "hear") == 0);
    flow_def_unref(def);

    flow_with(text, sizeof text, "",
              "  - id: hear\n    type: yes_no\n    contact: false\n    text: { en: \"Q?\" }\n");
    def = load_buf(text);
    test_cond("contact: false is no contact step", def && flow_def_contact_step(def) == NULL);
    flow_def_unref(def);

    def = load_file(ASSET);
    test_cond("test asset has its contact step",
              def && strcmp(flow_def_contact_step(def), "hear_back") == 0);
    char log[512];
    const struct turn_want turns[] = {
        {NULL, "I agree", 0, FLOW_OUTCOME_NONE},
        {"1", "results", 0, FLOW_OUTCOME_NONE},
        {"1", "safe water", 0, FLOW_OUTCOME_NONE},
        {"1", "Thank you", 1, FLOW_OUTCOME_COMPLETED},
    };
    test_cond("the contact step plays as a yes_no step",
              def && play_on(def, FLOW_CHANNEL_SMS, turns, 4, 0, log, sizeof log) &&
                  strstr(log, "hear_back=yes/"));
    flow_def_unref(def);
}

static void test_refused(void)
{
    char text[2048];
    flow_with(text, sizeof text, "",
              "  - id: n\n    type: number\n    contact: true\n    min: 1\n    max: 9\n"
              "    text: { en: \"N?\" }\n");
    test_cond("contact on a number step",
              has_error(text, "t.yaml:25:14: steps[0].contact: only a yes_no step can ask to text "
                              "the results"));
    char two[1024];
    snprintf(two, sizeof two, "%s%s", yes_no_contact,
             "  - id: again\n    type: yes_no\n    contact: true\n    text: { en: \"Again?\" }\n");
    flow_with(text, sizeof text, "", two);
    test_cond("two contact steps",
              has_error(text, "t.yaml:29:14: steps[1].contact: step 'hear' already asks; a flow "
                              "has one contact step"));
    flow_with(text, sizeof text, "sensitive: true\n", yes_no_contact);
    test_cond("contact in a sensitive flow",
              has_error(text, "t.yaml:26:14: steps[0].contact: a sensitive flow cannot keep a way "
                              "to text people (an SMS would reveal taking part on a shared "
                              "phone)"));
    flow_with(text, sizeof text, "",
              "  - id: hear\n    type: yes_no\n    contact: maybe\n    text: { en: \"Q?\" }\n");
    struct flow_def *def = load_buf(text);
    test_cond("contact must be a boolean", def == NULL);
    flow_def_unref(def);
}

int main(void)
{
    test_accepted();
    test_refused();
    TEST_REPORT();
}
