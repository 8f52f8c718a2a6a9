/**
 * flow.h - the flow language: loading, checking and stepping question flows.
 *
 * A flow is a YAML file (docs/flows.md) loaded into an immutable, refcounted
 * struct flow_def. The engine is a pure function: (flow, state, input) ->
 * (screen, new state, answer events). It does no I/O, never logs and knows
 * nothing about SMPP, Redis or phone numbers (DESIGN: flows/ calls nothing).
 * Called by gateway/session.c (engine) and the `raia` CLI (check, render).
 */
#ifndef RAIA_FLOW_H
#define RAIA_FLOW_H

#include <stddef.h>

#include "raia_err.h"
#include "strbuf.h"

#define FLOW_ID_MAX 64       /* ids of flows and steps, incl. NUL */
#define FLOW_SCREEN_MAX 1024 /* one rendered screen in UTF-8, incl. NUL */
#define FLOW_VALUE_MAX 481   /* an answer's value: 160 chars x 3 bytes + NUL */
#define FLOW_STATE_MAX 256   /* encoded state, incl. NUL */
#define FLOW_CODE_MAX 256   /* an answer's code (multi_choice: codes joined by spaces), incl. NUL */
#define FLOW_DERIVED_MAX 8  /* derived variables of one flow */
#define FLOW_ANSWERS_MAX 12 /* answer events one step can emit (1 + derived variables) */
#define FLOW_USSD_SCREEN_MAX 182 /* GSM 7-bit characters on one USSD screen */
#define FLOW_STEPS_MAX 64        /* steps in one flow */
#define FLOW_LANGUAGE_MAX 8      /* a language code (ISO 639, 2-3 letters), incl. NUL */
#define FLOW_LEVELS_MAX 4        /* levels of a location drill-down (region, district, ward ...) */
#define FLOW_KEPT_MAX 4 /* number/age/year answers the `when`s of a flow compare (age >= 18) */

struct flow_def;
struct flow_set;

/** Where a session runs; screens are checked against the channel's limits. */
enum flow_channel { FLOW_CHANNEL_USSD = 0, FLOW_CHANNEL_SMS = 1 };

/** How a session ended, when out->end is set. */
enum flow_outcome {
    FLOW_OUTCOME_NONE = 0,  /* still running */
    FLOW_OUTCOME_COMPLETED, /* reached the end screen */
    FLOW_OUTCOME_REFUSED,   /* said no to consent: store only a refusal count */
    FLOW_OUTCOME_ABANDONED, /* too many invalid answers */
    FLOW_OUTCOME_STOPPED    /* the citizen sent STOP */
};

/**
 * Where a session is. Plain data: the gateway stores it (encoded) between turns.
 * The engine reads earlier choices from answers to decide which steps a `when`
 * skips; the gateway need not look inside.
 */
struct flow_state {
    char step[FLOW_ID_MAX]; /* current step id ("language", then "consent" before consent) */
    int retries;            /* invalid answers to the current step so far */
    int consented;          /* 1 once the citizen accepted the consent text */
    char language[FLOW_LANGUAGE_MAX]; /* chosen language code; "" until chosen */
    /* One mark per step passed, by step index: the choice picked (FLOW_MARKS
     * in flow_def.h: '1'-'9' for choices 1-9, then 'A'...), 'r' "prefer not
     * to say", '-' no code (free entry or skipped). */
    char answers[FLOW_STEPS_MAX + 1];
    int page;                        /* page of the current list shown (0: the first) */
    unsigned long long picked;       /* multi_choice: bit i set when choice i+1 is marked */
    int path[FLOW_LEVELS_MAX];       /* location: area chosen at each coarser level */
    int depth;                       /* location: levels chosen so far */
    long long values[FLOW_KEPT_MAX]; /* answers a `when` compares as numbers, by slot */
    unsigned kept;                   /* bit k set: values[k] holds an answer */
};

/** One answer to store: the step id and either a choice code or a value. */
struct flow_answer {
    char question[FLOW_ID_MAX];
    char code[FLOW_CODE_MAX];   /* choice code ("yes"/"no" for yes_no, "refused" for "prefer
                                   not to say"; multi_choice: codes joined by single spaces;
                                   location: the finest area's code; a derived variable's
                                   value); "" for number/decimal/text/date/year/age */
    char value[FLOW_VALUE_MAX]; /* the number (decimals with a dot), date (YYYY-MM-DD) or text
                                   as typed (trimmed); for a choice, its label in the session's
                                   language (multi_choice: labels joined by ", "; location: the
                                   area's name); "" when refused and for derived variables */
};

/** What one step produced. */
struct flow_output {
    char screen[FLOW_SCREEN_MAX]; /* UTF-8 text to show; never empty */
    int end;                      /* 1: the session is over after this screen */
    enum flow_outcome outcome;    /* set when end == 1 */
    int consent_given;            /* 1 on the turn where consent was accepted */
    struct flow_answer answers[FLOW_ANSWERS_MAX];
    size_t n_answers;
};

/* ---- loading and checking ---- */

/**
 * Load and check one flow file. Returns a new flow (refcount 1) or NULL with
 * every problem added to errs as `file:line:col: message`.
 */
struct flow_def *flow_def_load(const char *path, struct raia_errlist *errs);
/** Parse from memory (name is used in errors); for tests and the fuzzer. */
struct flow_def *flow_def_load_buf(const char *name, const char *buf, size_t len,
                                   struct raia_errlist *errs);
/**
 * As flow_def_load / flow_def_load_buf, and add every warning (a problem
 * that does not stop the flow, e.g. one character forcing a screen into
 * UCS-2) to warnings (may be NULL), as `file:line:col: message`.
 */
struct flow_def *flow_def_load_ex(const char *path, struct raia_errlist *errs,
                                  struct raia_errlist *warnings);
struct flow_def *flow_def_load_buf_ex(const char *name, const char *buf, size_t len,
                                      struct raia_errlist *errs, struct raia_errlist *warnings);
/**
 * Load a definition as flow_def_source() gave it (from the flows registry):
 * the flow file followed by its areas files, which are read from there
 * rather than from disk. The result has the same checksum.
 */
struct flow_def *flow_def_load_source(const char *name, const char *source, size_t len,
                                      struct raia_errlist *errs);
void flow_def_ref(struct flow_def *def);
/** Drop one reference; frees at zero. NULL is a no-op. */
void flow_def_unref(struct flow_def *def);

const char *flow_def_id(const struct flow_def *def);
int flow_def_version(const struct flow_def *def);
const char *flow_def_consent_version(const struct flow_def *def);
/** The flow's first (default) language, e.g. "en"; see flow_state_language() for a session's. */
const char *flow_def_language(const struct flow_def *def);
/** USSD service code such as "*384*12#", or NULL. */
const char *flow_def_ussd_code(const struct flow_def *def);
/** SMS short code and keyword (upper case), or NULL. */
const char *flow_def_sms_short_code(const struct flow_def *def);
const char *flow_def_sms_keyword(const struct flow_def *def);
/**
 * SHA-256 of flow_def_source(), 64 hex chars: identifies exactly what ran
 * (the file and its areas files).
 */
const char *flow_def_checksum(const struct flow_def *def);
/** The operator-facing title. */
const char *flow_def_title(const struct flow_def *def);
/**
 * The flow's `adaptations`: how it departs from a standard question set
 * (e.g. "answer labels shortened for one USSD screen"), for the data's
 * documentation. Count 0..32; entry i borrowed, NULL out of range.
 */
size_t flow_def_adaptation_count(const struct flow_def *def);
const char *flow_def_adaptation(const struct flow_def *def, size_t i);
/**
 * The definition exactly as loaded, for the flows registry, and what
 * flow_def_checksum hashes: the file's bytes, then for each areas file of a
 * location step (in step order) a line "\n#--- areas: NAME\n" and the
 * file's bytes. A flow without location steps is its file alone.
 */
const char *flow_def_source(const struct flow_def *def);
/** 1 if the flow is marked `sensitive: true` (USSD only, never echo answers by SMS). */
int flow_def_sensitive(const struct flow_def *def);
/**
 * The id of the flow's contact step (a yes_no step with `contact: true`:
 * "yes" asks for an SMS with the results, docs/broadcast.md), borrowed; NULL
 * if it has none. A flow has at most one, and a sensitive flow none.
 */
const char *flow_def_contact_step(const struct flow_def *def);
/**
 * 1 if text (white space around it ignored, any case) is STOP, or the flow's
 * `keywords.stop` word in any of its languages; 0 otherwise.
 */
int flow_is_stop_word(const struct flow_def *def, const char *text);
/** As flow_is_stop_word for HELP and `keywords.help`. */
int flow_is_help_word(const struct flow_def *def, const char *text);

/**
 * Load every *.yaml file in dir. Fails (NULL, errors in errs) if any file
 * fails its check, or two flows claim the same id+version, USSD code or
 * short code+keyword.
 */
struct flow_set *flow_set_load_dir(const char *dir, struct raia_errlist *errs);
void flow_set_free(struct flow_set *set);
/** Lookups return borrowed pointers valid while the set lives (flow_def_ref to keep longer). */
struct flow_def *flow_set_find_ussd(const struct flow_set *set, const char *service_code);
/** keyword match is case-insensitive on the first word of text. */
struct flow_def *flow_set_find_sms(const struct flow_set *set, const char *short_code,
                                   const char *keyword);
struct flow_def *flow_set_find(const struct flow_set *set, const char *id, int version);
size_t flow_set_count(const struct flow_set *set);
/** The i-th flow (0 <= i < count), borrowed. */
struct flow_def *flow_set_get(const struct flow_set *set, size_t i);

/* ---- engine ---- */

/**
 * Begin a session: state is reset and out holds the first screen: the
 * language menu when def has several languages, else the consent screen
 * (and state->language is set to the flow's only language).
 */
int flow_start(const struct flow_def *def, enum flow_channel channel, struct flow_state *state,
               struct flow_output *out);

/**
 * An empty output: no screen, no end, no answers. The answer slots (12 of
 * about 600 bytes) are not zeroed: only the first n_answers are read, and
 * each is cleared as it is added. flow_start, flow_step and the other
 * screen makers begin with it.
 */
void flow_output_clear(struct flow_output *out);

/**
 * Apply the citizen's input to state. Returns 0 with out filled (a re-prompt
 * for invalid input is still 0), or -RAIA_EINVAL if state does not belong to
 * def (unknown step).
 */
int flow_step(const struct flow_def *def, enum flow_channel channel, struct flow_state *state,
              const char *input, struct flow_output *out);

/**
 * The language a session's screens are in: the code the citizen chose, or the
 * flow's default language before a choice. Borrowed from def (valid while def lives).
 * Store it with every answer instead of flow_def_language().
 */
const char *flow_state_language(const struct flow_def *def, const struct flow_state *state);

/**
 * The resume prompt for a session that was cut off (USSD timeout) in state:
 * `messages.resume`, then "1 <labels.continue>" and "2 <labels.restart>", in
 * the session's language. The citizen's "1" means: keep state and call
 * flow_redisplay(); "2": call flow_start(). Returns 0, -RAIA_ENOTFOUND if the
 * flow has no resume text in that language (then continue without asking),
 * or -RAIA_EINVAL if state does not belong to def. out->end is 0.
 */
int flow_resume_screen(const struct flow_def *def, enum flow_channel channel,
                       const struct flow_state *state, struct flow_output *out);
/**
 * The screen state is waiting on, again (the same page, marks and level),
 * e.g. after "Continue". state is not changed; no answers. Returns 0 or
 * -RAIA_EINVAL if state does not belong to def.
 */
int flow_redisplay(const struct flow_def *def, enum flow_channel channel,
                   const struct flow_state *state, struct flow_output *out);

/** Encode state as printable ASCII (no spaces, no '|'), NUL-terminated. Returns length or -1. */
int flow_state_encode(const struct flow_state *state, char *buf, size_t size);
/** Decode what flow_state_encode wrote; -RAIA_EPROTO on anything else. */
int flow_state_decode(const char *buf, size_t len, struct flow_state *state);

/**
 * Render every screen of def in order (language menu, then per language:
 * consent, each step, help, end screens) into
 * out separated by blank lines, as a phone would show them; for `raia flows render`.
 * lang (e.g. "sw") keeps one language's screens; NULL: all. Returns 0,
 * -RAIA_ENOTFOUND if def has no such language, -RAIA_ENOMEM.
 */
int flow_def_render(const struct flow_def *def, enum flow_channel channel, const char *lang,
                    struct strbuf *out);

/* ---- describing a flow (flow_describe.c): read-only, for codebooks and exports ---- */

/**
 * Codebook pieces shared by `raia export` and raia-api. Appends to out a
 * JSON object with one member per language of def: the consent text (step
 * < 0), step's question (choice < 0) or the label of its choice; null where
 * a text is missing.
 */
void flow_json_texts(const struct flow_def *def, long step, long choice, struct strbuf *out);
/** Appends `,"refused_code":…,"asked_when":…` of step s (null: not optional / always asked). */
void flow_json_refused_when(const struct flow_def *def, size_t s, struct strbuf *out);
/** Appends `"languages":[…],"consent":{"version":…,"text":{…}}` (codebooks of exports and
 * raia-api). */
void flow_json_languages_consent(const struct flow_def *def, struct strbuf *out);
/** Appends `,"rule":…,"reads":[…],"computed":…` of derived variable d. */
void flow_json_derived_rule(const struct flow_def *def, size_t d, struct strbuf *out);

/** The code stored for "prefer not to say" on an optional step. */
#define FLOW_CODE_REFUSED "refused"

/** Number of languages of def (1..8); language i is flow_def_language_at(def, i), 0 the default. */
size_t flow_def_language_count(const struct flow_def *def);
/** Language code i (0 <= i < count), borrowed from def; NULL out of range. */
const char *flow_def_language_at(const struct flow_def *def, size_t i);
/** The consent text in language lang (an index as above), borrowed; NULL out of range. */
const char *flow_def_consent_text(const struct flow_def *def, size_t lang);

/** Number of steps (questions) of def, in the order they are asked. */
size_t flow_def_step_count(const struct flow_def *def);
/** Step i's id, borrowed from def; NULL out of range (as for every step accessor below). */
const char *flow_def_step_id(const struct flow_def *def, size_t i);
/**
 * Step i's type as written in the file: "choice", "multi_choice", "yes_no",
 * "number", "decimal", "text", "date", "year", "age" or "location".
 */
const char *flow_def_step_type(const struct flow_def *def, size_t i);
/** Step i's question in language lang, borrowed. */
const char *flow_def_step_text(const struct flow_def *def, size_t i, size_t lang);
/** Choices of step i: a choice step's choices, yes/no for yes_no, 0 for free entry. */
size_t flow_def_step_choice_count(const struct flow_def *def, size_t i);
/** Code of choice c of step i ("yes"/"no" for yes_no), borrowed. */
const char *flow_def_step_choice_code(const struct flow_def *def, size_t i, size_t c);
/** Label of choice c of step i in language lang, borrowed. */
const char *flow_def_step_choice_label(const struct flow_def *def, size_t i, size_t c, size_t lang);
/**
 * The accepted range of a step as written in the file: number and decimal
 * ("1", "0.5"), date ("2020-01-31"), year ("1900"), age ("0", "120"), into
 * min and max (size bytes each). Returns 1 for those types, 0 (min and max
 * untouched) for the others.
 */
int flow_def_step_range(const struct flow_def *def, size_t i, char *min, char *max, size_t size);
/**
 * The fewest and most choices a multi_choice step i accepts, into min and
 * max. Returns 1 for a multi_choice step, 0 (untouched) for the others.
 */
int flow_def_step_selection(const struct flow_def *def, size_t i, long *min, long *max);
/** Digits after the point of a decimal step; 0 for the other types. */
int flow_def_step_decimals(const struct flow_def *def, size_t i);
/** Longest answer in characters of a text step; 0 for the other types. */
long flow_def_step_max_length(const struct flow_def *def, size_t i);
/** FLOW_CODE_REFUSED if step i is optional (offers "prefer not to say"), else NULL. */
const char *flow_def_step_refused_code(const struct flow_def *def, size_t i);
/** The "prefer not to say" label in language lang, borrowed; NULL if the flow has none. */
const char *flow_def_prefer_not_label(const struct flow_def *def, size_t lang);
/**
 * Step i's `when` condition, rewritten from the loaded form as
 * "has_pet == yes and kind != cat", appended to out. Returns the number of
 * comparisons appended (0: the step is always asked).
 */
size_t flow_def_step_condition(const struct flow_def *def, size_t i, struct strbuf *out);

/** Levels of a location step i ("region", "district", ...); 0 for other types. */
size_t flow_def_step_level_count(const struct flow_def *def, size_t i);
/** The name of level k of location step i, borrowed; NULL out of range. */
const char *flow_def_step_level(const struct flow_def *def, size_t i, size_t k);
/**
 * The area one level coarser than area code of location step i (its parent's
 * code), borrowed; NULL for a top-level area, an unknown code or another
 * step type. Exports coarsen a stored location with it.
 */
const char *flow_def_area_parent(const struct flow_def *def, size_t i, const char *code);
/** The level index (0 the coarsest) of area code of location step i, or -1. */
int flow_def_area_level(const struct flow_def *def, size_t i, const char *code);
/** The name of area code of location step i in language lang, borrowed; NULL if unknown. */
const char *flow_def_area_name(const struct flow_def *def, size_t i, const char *code, size_t lang);
/**
 * Area a (0-based, in the areas file's order) of location step i: its code,
 * borrowed, and its level index (0 the coarsest) into *level unless NULL.
 * NULL past the last area or for another step type. Exports list the codes
 * of one level with it.
 */
const char *flow_def_area_at(const struct flow_def *def, size_t i, size_t a, int *level);

/** Derived variables of def (computed when a session completes). */
size_t flow_def_derived_count(const struct flow_def *def);
/** Derived variable d's id (the `question` of its answer event), borrowed; NULL out of range. */
const char *flow_def_derived_id(const struct flow_def *def, size_t d);
/**
 * Derived variable d's rule, appended to out as written, e.g.
 * "any_of [seeing, hearing] in [3, 4] then 1 else 0 missing 9".
 * Returns 1, or 0 out of range.
 */
int flow_def_derived_rule(const struct flow_def *def, size_t d, struct strbuf *out);

/**
 * The parts of derived variable d's rule that readers of its data need
 * (exports, raia-api): codes borrowed from def, labels static English.
 */
struct flow_derived_info {
    const size_t *steps; /* indexes of the steps it reads */
    size_t n_steps;
    const char *then_code, *else_code; /* stored when the rule holds / does not */
    const char *missing_code;          /* stored when an answer it reads is missing; NULL: none */
    const char *then_label, *else_label, *missing_label; /* what each code means */
};
/** Fill *out for derived variable d. Returns 1, or 0 out of range. */
int flow_def_derived_info(const struct flow_def *def, size_t d, struct flow_derived_info *out);

#endif
