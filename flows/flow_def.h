/**
 * flow_def.h - the inside of a loaded flow, shared by the files of flows/
 * only (the loader fills it, the engine, screens and render read it).
 * Everything outside flows/ sees struct flow_def as opaque (flow.h).
 */
#ifndef RAIA_FLOW_DEF_H
#define RAIA_FLOW_DEF_H

#include "flow.h"

#define FLOW_CONSENT_STEP "consent" /* state.step before consent is given */
#define FLOW_CHOICES_MAX 9          /* one digit per choice on a phone keypad */
#define FLOW_STEPS_MAX 64

enum step_type { STEP_CHOICE, STEP_NUMBER, STEP_TEXT };

/** Where a text came from, so the checker can point at it. */
struct flow_pos {
    int line, col;
};

struct flow_choice {
    char *code;
    char *label;
};

struct flow_step_def {
    char *id;
    enum step_type type;
    char *text;
    char *error; /* re-prompt prefix; NULL: the flow's messages.invalid */
    struct flow_choice choices[FLOW_CHOICES_MAX];
    size_t n_choices;
    long long min, max;  /* STEP_NUMBER */
    long max_length;     /* STEP_TEXT, in characters */
    struct flow_pos pos; /* the step's `text` */
};

struct flow_consent {
    char *version;
    char *text;
    char *accept;   /* label of choice 1 */
    char *decline;  /* label of choice 2 */
    char *declined; /* end screen after "2" */
    struct flow_pos pos;
};

struct flow_def {
    int refs;
    char *file; /* name used in errors */
    char *id;
    int version;
    char *title;
    char *language;
    char *ussd_code;      /* NULL: no USSD */
    char *sms_short_code; /* NULL: no SMS */
    char *sms_keyword;    /* upper case */
    int max_retries;
    struct flow_consent consent;
    struct flow_step_def steps[FLOW_STEPS_MAX];
    size_t n_steps;
    char *msg_invalid, *msg_abandoned, *msg_stopped;
    char *end_text;
    struct flow_pos end_pos, messages_pos;
    char checksum[65];
};

/** The step with this id, or NULL. */
const struct flow_step_def *flow_def_step(const struct flow_def *def, const char *id);
/** Index of step in def->steps. */
size_t flow_def_step_index(const struct flow_def *def, const struct flow_step_def *step);

/* ---- screens (flow_screen.c): the exact text a phone shows ---- */

/** Consent text and the two numbered choices. */
void flow_screen_consent(const struct flow_def *def, char *out, size_t size);
/** A question, with its choices numbered 1..n. */
void flow_screen_step(const struct flow_step_def *step, char *out, size_t size);
/** The re-prompt after an invalid answer: the error text, then the question again. */
void flow_screen_reprompt(const struct flow_def *def, const struct flow_step_def *step, char *out,
                          size_t size);
/** After an answer to the consent screen that is neither 1 nor 2: the error and the two choices. */
void flow_screen_consent_reprompt(const struct flow_def *def, char *out, size_t size);

/**
 * Characters a screen takes on channel in the encoding the gateway will pick
 * (GSM 7-bit septets when every character has a GSM form, else UCS-2 units),
 * and the limit for that encoding. Returns 1 if it fits, 0 if not.
 */
int flow_screen_fits(const char *screen, enum flow_channel channel, long *used, long *limit,
                     const char **encoding);

#endif
