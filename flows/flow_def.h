/**
 * flow_def.h - the inside of a loaded flow, shared by the files of flows/
 * only (the loader fills it, the engine, screens and render read it).
 * Everything outside flows/ sees struct flow_def as opaque (flow.h).
 */
#ifndef RAIA_FLOW_DEF_H
#define RAIA_FLOW_DEF_H

#include "flow.h"

#define FLOW_CONSENT_STEP "consent"   /* state.step before consent is given */
#define FLOW_LANGUAGE_STEP "language" /* state.step before a language is chosen */
#define FLOW_CHOICES_MAX 9            /* one digit per choice on a phone keypad */
#define FLOW_LANGS_MAX 8              /* languages in one flow */
#define FLOW_CONDS_MAX 8              /* comparisons joined by `and` in one `when` */
#define FLOW_DECIMALS_MAX 6           /* digits after the point in a decimal step */
#define FLOW_REFUSED_CODE "refused"   /* the code stored for "prefer not to say" */
#define FLOW_REFUSED_INPUT "*"        /* how a free-entry step is refused */
#define FLOW_MARK_NONE '-'            /* state.answers: no code (free entry or skipped) */
#define FLOW_MARK_REFUSED 'r'         /* state.answers: "prefer not to say" */

enum step_type { STEP_CHOICE, STEP_NUMBER, STEP_TEXT, STEP_YES_NO, STEP_DECIMAL };

/** Where a text came from, so the checker can point at it. */
struct flow_pos {
    int line, col;
};

/** A text in every language of the flow, by language index; each set once loaded. */
struct flow_text {
    char *s[FLOW_LANGS_MAX];
    struct flow_pos pos[FLOW_LANGS_MAX]; /* of each translation */
};

struct flow_choice {
    char *code;
    struct flow_text label;
};

/** One comparison of a `when`: the mark steps[step] left in state.answers is (not) mark. */
struct flow_cond {
    size_t step;
    char mark;
    int negate; /* `!=` */
};

struct flow_step_def {
    char *id;
    enum step_type type;
    struct flow_text text;
    struct flow_text error; /* re-prompt prefix; s[0] NULL: the flow's messages.invalid */
    struct flow_choice choices[FLOW_CHOICES_MAX]; /* also yes/no of a yes_no step */
    size_t n_choices;
    long long min, max;                     /* STEP_NUMBER; STEP_DECIMAL scaled by 10^decimals */
    int decimals;                           /* STEP_DECIMAL */
    long max_length;                        /* STEP_TEXT, in characters */
    int optional;                           /* offers "prefer not to say" */
    struct flow_cond conds[FLOW_CONDS_MAX]; /* `when`: all must hold, else the step is skipped */
    size_t n_conds;
};

struct flow_consent {
    char *version;
    struct flow_text text;
    struct flow_text accept;   /* label of choice 1 */
    struct flow_text decline;  /* label of choice 2 */
    struct flow_text declined; /* end screen after "2" */
};

struct flow_def {
    int refs;
    char *file; /* name used in errors */
    char *id;
    int version;
    char *title;
    char *langs[FLOW_LANGS_MAX]; /* language codes; langs[0] is the default */
    size_t n_langs;
    struct flow_text language_names; /* shown on the language menu */
    char *ussd_code;                 /* NULL: no USSD */
    char *sms_short_code;            /* NULL: no SMS */
    char *sms_keyword;               /* upper case */
    int max_retries;
    struct flow_consent consent;
    struct flow_step_def steps[FLOW_STEPS_MAX];
    size_t n_steps;
    struct flow_text msg_invalid, msg_abandoned, msg_stopped;
    struct flow_text end_text;
    struct flow_text help;      /* s[0] NULL: HELP is an ordinary answer */
    struct flow_text label_yes; /* yes_no choices */
    struct flow_text label_no;
    struct flow_text prefer_not; /* the "prefer not to say" choice */
    char checksum[65];
    char *source; /* the file's bytes, NUL-terminated: the flow's exact definition */
};

/** Index of language code in def->langs, 0 for "" (the default), -1 if def has no such language. */
int flow_def_lang_index(const struct flow_def *def, const char *code);
/** The step with this id, or NULL. */
const struct flow_step_def *flow_def_step(const struct flow_def *def, const char *id);
/** Index of step in def->steps. */
size_t flow_def_step_index(const struct flow_def *def, const struct flow_step_def *step);

/* ---- screens (flow_screen.c): the exact text a phone shows, in language lang ---- */

/** The numbered language names (flows with several languages). */
void flow_screen_language(const struct flow_def *def, char *out, size_t size);
/** Consent text and the two numbered choices. */
void flow_screen_consent(const struct flow_def *def, size_t lang, char *out, size_t size);
/** A question, with its choices numbered 1..n and the "prefer not to say" line if optional. */
void flow_screen_step(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      char *out, size_t size);
/** The re-prompt after an invalid answer: the error text, then the question again. */
void flow_screen_reprompt(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                          char *out, size_t size);
/** After an answer to the consent screen that is neither 1 nor 2: the error and the two choices. */
void flow_screen_consent_reprompt(const struct flow_def *def, size_t lang, char *out, size_t size);
/** After HELP: the help text, then the step again (step NULL: the two consent choices). */
void flow_screen_help(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      char *out, size_t size);

/**
 * Characters a screen takes on channel in the encoding the gateway will pick
 * (GSM 7-bit septets when every character has a GSM form, else UCS-2 units),
 * and the limit for that encoding. Returns 1 if it fits, 0 if not.
 */
int flow_screen_fits(const char *screen, enum flow_channel channel, long *used, long *limit,
                     const char **encoding);

/* ---- typed answers (flow_value.c), shared by the loader (min/max) and the engine ---- */

/**
 * Parse a decimal with at most decimals digits after a '.' or ',' into
 * value * 10^decimals. Returns 0, or -1 if s is not such a number.
 */
int flow_decimal_parse(const char *s, int decimals, long long *scaled);
/** Write scaled / 10^decimals with a dot and no trailing zeros ("2.5", "-3", "0.25"). */
void flow_decimal_format(long long scaled, int decimals, char *out, size_t size);

#endif
