/**
 * flow_def.h - the inside of a loaded flow, shared by the files of flows/
 * only (the loader fills it, the engine, screens and render read it).
 * Everything outside flows/ sees struct flow_def as opaque (flow.h).
 */
#ifndef RAIA_FLOW_DEF_H
#define RAIA_FLOW_DEF_H

#include "flow.h"

#define FLOW_ADAPTATIONS_MAX 32       /* `adaptations` entries in one flow */
#define FLOW_CONSENT_STEP "consent"   /* state.step before consent is given */
#define FLOW_LANGUAGE_STEP "language" /* state.step before a language is chosen */
#define FLOW_CHOICES_MAX 64           /* choices of one choice or multi_choice step */
#define FLOW_MENU_MAX 97              /* items of one list (numbers 1..97; 98 and 99 page) */
#define FLOW_AREA_CHILDREN_MAX 96     /* areas inside one area (one more: "prefer not to say") */
#define FLOW_AREAS_MAX 100000         /* rows of one areas file */
#define FLOW_ENDS_MAX 16              /* end screens: `end` and the named `ends` */
#define FLOW_IN_MAX 16                /* codes of a derived variable's `in` */
#define FLOW_INPUT_MORE "98"          /* next page of a list */
#define FLOW_INPUT_BACK "0"           /* previous page (choice, location) */
#define FLOW_INPUT_MULTI_BACK "99"    /* previous page of a multi_choice list (0 is Done) */
#define FLOW_INPUT_DONE "0"           /* multi_choice: finish the selection */
#define FLOW_MULTI_MARK "+"           /* before a marked label of a multi_choice list */
/* state.answers mark of choice i (0-based): FLOW_MARKS[i]; '1'-'9' as before for 1-9. */
#define FLOW_MARKS "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqstuvwxyz=+@~"
#define FLOW_AREAS_MARK "#--- areas: "     /* in flow_def_source, before each areas file */
#define FLOW_INCLUDE_MARK "#--- include: " /* in flow_def_source, before each included module */
#define FLOW_INCLUDES_MAX 8                /* `- include:` items in one flow */
#define FLOW_NEXT_NONE (-1)                /* no `next`: the following step */
#define FLOW_NEXT_END FLOW_STEPS_MAX       /* `next` to end screen e is FLOW_NEXT_END + e */
#define FLOW_LANGS_MAX 8                   /* languages in one flow */
#define FLOW_CONDS_MAX 8                   /* comparisons joined by `and` in one `when` */
#define FLOW_DECIMALS_MAX 6                /* digits after the point in a decimal step */
#define FLOW_REFUSED_CODE "refused"        /* the code stored for "prefer not to say" */
#define FLOW_REFUSED_INPUT "*"             /* how a free-entry step is refused */
#define FLOW_MARK_NONE '-'                 /* state.answers: no code (free entry or skipped) */
#define FLOW_MARK_REFUSED 'r'              /* state.answers: "prefer not to say" */

enum step_type {
    STEP_CHOICE,
    STEP_NUMBER,
    STEP_TEXT,
    STEP_YES_NO,
    STEP_DECIMAL,
    STEP_MULTI,
    STEP_DATE,
    STEP_YEAR,
    STEP_AGE,
    STEP_LOCATION
};

/**
 * Where a text came from, so the checker can point at it. file is NULL in
 * the flow file itself, else the name of the included module (one of
 * flow_def.modules) the text was read from.
 */
struct flow_pos {
    int line, col;
    const char *file;
};

/** A text in every language of the flow, by language index; each set once loaded. */
struct flow_text {
    char *s[FLOW_LANGS_MAX];
    struct flow_pos pos[FLOW_LANGS_MAX]; /* of each translation */
};

struct flow_choice {
    char *code;
    struct flow_text label;
    int next; /* FLOW_NEXT_NONE, a step index or FLOW_NEXT_END + end index */
};

/** One row of an areas file. */
struct flow_area {
    char *code;
    int parent; /* index in the step's areas, -1 at the top level */
    int level;  /* index in the step's levels */
    struct flow_text name;
};

enum flow_cmp { FLOW_CMP_EQ, FLOW_CMP_NE, FLOW_CMP_LT, FLOW_CMP_LE, FLOW_CMP_GT, FLOW_CMP_GE };

/**
 * One comparison of a `when`: the mark steps[step] left in state.answers is
 * (not, negate) mark; or, when numeric, the number steps[step] answered
 * (kept in state.values) compares with num.
 */
struct flow_cond {
    size_t step;
    char mark;
    int negate; /* `!=` */
    int numeric;
    enum flow_cmp cmp;
    long long num;
};

struct flow_step_def {
    char *id;
    struct flow_pos pos; /* of the step's id */
    enum step_type type;
    struct flow_text text;
    struct flow_text error;      /* re-prompt prefix; s[0] NULL: the flow's messages.invalid */
    struct flow_choice *choices; /* n_choices of them; also yes/no of a yes_no step */
    size_t n_choices;
    long long min, max; /* NUMBER, YEAR, AGE; DECIMAL scaled by 10^decimals; DATE as YYYYMMDD;
                           MULTI: fewest and most choices */
    int decimals;       /* STEP_DECIMAL */
    long max_length;    /* STEP_TEXT, in characters */
    int optional;       /* offers "prefer not to say" */
    int contact;        /* STEP_YES_NO: "yes" asks for an SMS with the results (`contact`) */
    struct flow_cond conds[FLOW_CONDS_MAX]; /* `when`: all must hold, else the step is skipped */
    size_t n_conds;
    int next; /* after an answer (unless the choice has its own): FLOW_NEXT_NONE or a target */
    int kept; /* NUMBER, AGE, YEAR compared by a `when`: its slot in state.values; else -1 */
    /* STEP_LOCATION */
    char *areas_file;        /* as written in the flow */
    struct flow_area *areas; /* n_areas rows, in file order */
    size_t n_areas;
    char *levels[FLOW_LEVELS_MAX];                /* level names, coarsest first */
    struct flow_text level_text[FLOW_LEVELS_MAX]; /* the question at each level */
    size_t n_levels;
};

/** An end screen: `end` (index 0) or one of `ends`. */
struct flow_end {
    char *id;
    struct flow_text text; /* may quote answers as {step_id} */
};

/** A derived variable, computed from choice codes when a session completes. */
struct flow_derived {
    char *id;
    int all;                      /* all_of (1) or any_of (0) */
    size_t steps[FLOW_STEPS_MAX]; /* the steps it reads */
    size_t n_steps;
    char *in[FLOW_IN_MAX]; /* the codes that count */
    size_t n_in;
    char *then_code, *else_code; /* the result when the rule holds / does not */
    char *missing_code;          /* NULL: nothing stored when an answer is missing */
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
    char *adaptations[FLOW_ADAPTATIONS_MAX]; /* of a standard question set, as the author wrote */
    size_t n_adaptations;
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
    struct flow_text msg_resume;         /* s[lang] NULL: resume without asking */
    struct flow_text msg_no_answer;      /* quoted for a skipped or refused answer; NULL: "" */
    struct flow_end ends[FLOW_ENDS_MAX]; /* ends[0] is `end` */
    size_t n_ends;
    struct flow_text help;      /* s[0] NULL: HELP is an ordinary answer */
    struct flow_text label_yes; /* yes_no choices */
    struct flow_text label_no;
    struct flow_text prefer_not;                         /* the "prefer not to say" choice */
    struct flow_text label_more, label_back, label_done; /* paging and multi_choice */
    struct flow_text label_continue, label_restart;      /* the resume prompt */
    struct flow_text stop_word, help_word;               /* `keywords`, besides STOP and HELP */
    int sensitive;
    struct flow_derived derived[FLOW_DERIVED_MAX];
    size_t n_derived;
    size_t n_kept;                    /* steps with a slot in state.values */
    char *modules[FLOW_INCLUDES_MAX]; /* names of the included modules, as errors give them */
    size_t n_modules;
    char checksum[65];
    char *source; /* the file's bytes, NUL-terminated: the flow's exact definition */
};

/** Index of language code in def->langs, 0 for "" (the default), -1 if def has no such language. */
int flow_def_lang_index(const struct flow_def *def, const char *code);
/** The step with this id, or NULL. */
const struct flow_step_def *flow_def_step(const struct flow_def *def, const char *id);
/** Index of step in def->steps. */
size_t flow_def_step_index(const struct flow_def *def, const struct flow_step_def *step);

/** Index of area code among step's areas, or -1. */
int flow_def_area_index(const struct flow_step_def *step, const char *code);
/** The mark state.answers keeps for choice i (0-based) of a step. */
char flow_mark_of(size_t i);
/** The 0-based choice a mark stands for, or -1 (refused, none, unknown). */
int flow_choice_of_mark(char mark);
/** How a comparison is written: "==", "!=", "<", "<=", ">", ">=". */
const char *flow_cmp_text(enum flow_cmp cmp);

/**
 * Reads an areas file (buf, len bytes; file is its name in messages) into
 * step s, whose levels are set. Adds each problem to errs as
 * `file:LINE: message` and returns how many there were (flow_areas.c).
 */
int flow_areas__parse(const char *file, const char *buf, size_t len, const struct flow_def *def,
                      struct flow_step_def *s, struct raia_errlist *errs);

/* ---- screens (flow_screen.c): the exact text a phone shows, in language lang ---- */

/**
 * A list the citizen picks from (a choice, multi_choice or yes_no step, or
 * one level of a location step): the question, then items numbered 1..n
 * across pages, the last one "prefer not to say" when the step offers it.
 */
struct flow_menu {
    const char *question;
    const char *labels[FLOW_MENU_MAX + 1];
    int area[FLOW_MENU_MAX + 1]; /* location: the area of each item, -1 for "prefer not" */
    size_t n;
    int refusal;               /* the last item is "prefer not to say" */
    int multi;                 /* multi_choice: "99 Back" (0 is Done) */
    int toggles;               /* multi_choice on USSD: marks and "0 Done" */
    int up;                    /* location below the first level: "0 Back" on page 1 too */
    unsigned long long picked; /* multi: marked items */
    const char *more, *back, *done;
};

/**
 * Fills menu for step at the point state is at (the level and marks of
 * state; state may be NULL: the first level, nothing marked). Returns 0, or
 * -1 if step is not a list or state's location path is not valid.
 */
int flow_menu_of(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                 enum flow_channel channel, const struct flow_state *state, struct flow_menu *menu);
/**
 * Splits menu into pages that fit channel even with the longest prefix the
 * engine puts above a screen (the step's error text, the help text).
 * first[p] is the first item of page p; returns the number of pages. *tight
 * is set when some page could not fit even one item (the checker refuses).
 */
size_t flow_menu_pages(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                       enum flow_channel channel, const struct flow_menu *menu,
                       size_t first[FLOW_MENU_MAX + 1], int *tight);
/**
 * Page `page` of menu (clamped to the last page); worst marks every item of
 * a multi_choice list (its widest form, which the checker measures).
 */
void flow_screen_page(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      enum flow_channel channel, const struct flow_menu *menu, size_t page,
                      int worst, char *out, size_t size);
/** The screen of page `page` of menu (clamped to the last page). */
void flow_screen_menu(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      enum flow_channel channel, const struct flow_menu *menu, size_t page,
                      char *out, size_t size);
/** The screen of step where state is (page, marks, level), with prefix (may be NULL) above it. */
void flow_screen_at(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                    enum flow_channel channel, const struct flow_state *state, const char *prefix,
                    char *out, size_t size);
/**
 * An end screen's text with every {step_id} replaced by that answer's label
 * in lang (from the marks of state; skipped or refused: messages.no_answer,
 * or nothing). state NULL: each quote takes its step's longest label (the
 * checker measures that).
 */
void flow_screen_end(const struct flow_def *def, const struct flow_end *end, size_t lang,
                     const struct flow_state *state, char *out, size_t size);
/** The resume prompt: messages.resume and the continue / restart choices. */
void flow_screen_resume(const struct flow_def *def, size_t lang, char *out, size_t size);

/** The numbered language names (flows with several languages). */
void flow_screen_language(const struct flow_def *def, char *out, size_t size);
/** Consent text and the two numbered choices. */
void flow_screen_consent(const struct flow_def *def, size_t lang, char *out, size_t size);
/**
 * A question's first screen on channel (a list: its first page), with the
 * "prefer not to say" line if optional.
 */
void flow_screen_step(const struct flow_def *def, const struct flow_step_def *step, size_t lang,
                      enum flow_channel channel, char *out, size_t size);
/** The text above a question after an invalid answer: the step's error or messages.invalid. */
const char *flow_screen_error(const struct flow_def *def, const struct flow_step_def *step,
                              size_t lang);
/** After an answer to the consent screen that is neither 1 nor 2: the error and the two choices. */
void flow_screen_consent_reprompt(const struct flow_def *def, size_t lang, char *out, size_t size);
/** After HELP at consent: the help text, then the two consent choices. */
void flow_screen_consent_help(const struct flow_def *def, size_t lang, char *out, size_t size);

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
/**
 * A date as a citizen types it (DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY, day and
 * month may be one digit, or DDMMYYYY) into YYYYMMDD. Returns 0, or -1 if s
 * is not a real calendar date.
 */
int flow_date_parse_dmy(const char *s, long long *yyyymmdd);
/** A date as written in a flow file, YYYY-MM-DD, into YYYYMMDD; 0 or -1. */
int flow_date_parse_iso(const char *s, long long *yyyymmdd);
/** Write YYYYMMDD as YYYY-MM-DD. */
void flow_date_format(long long yyyymmdd, char *out, size_t size);

#endif
