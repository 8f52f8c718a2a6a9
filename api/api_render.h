/**
 * api_render.h - the bodies raia-api sends: a flow's metadata and codebook,
 * pages of responses (JSON Lines or CSV), safe tables, and JSON errors.
 *
 * Everything here is built from a loaded flow definition and plain values
 * into a strbuf; no I/O. The privacy rules of the responses live here: a
 * person appears as a per-token id (HMAC-SHA256 under the token's
 * respondent key) unless the token's scope allows the stable pseudonym,
 * dates are days (the database cuts them), free-text questions have no
 * column, ages are in 10-year bands and locations at their coarsest level
 * (as `raia export` by default). Used by api/api_server.c.
 */
#ifndef RAIA_API_RENDER_H
#define RAIA_API_RENDER_H

#include <stddef.h>

#include "api_auth.h"
#include "api_params.h"
#include "flow.h"
#include "safe_table.h"
#include "strbuf.h"

/** {"error":{"status":N,"code":"...","message":"..."[,"parameter":"..."]}} */
void api_render_error(struct strbuf *sb, int status, const char *code, const char *message,
                      const char *parameter);

/** One registered definition of a flow version (strings borrowed). */
struct api_flow_rev {
    const char *checksum, *first_seen_on;
};

/** GET /v1/flows/{id}: metadata, the response columns and every question in every language. */
void api_render_flow(struct strbuf *sb, const struct flow_def *def, int version,
                     const struct api_flow_rev *revs, size_t n_revs);

/** Does step i of def have a column in the responses (everything but free text)? */
int api_step_in_responses(const struct flow_def *def, size_t i);

/** One ended session and its answers, strings borrowed (NULL: SQL NULL). */
struct api_session {
    const char *session_id, *pseudonym, *language, *channel, *operator_name;
    const char *started_on, *ended_on, *outcome;
    int flow_version;
    const char *answer[FLOW_STEPS_MAX];    /* by step index: code, else value */
    const char *derived[FLOW_DERIVED_MAX]; /* by derived variable: its code */
};

/**
 * Where s keeps the answer to question_id of def: its slot in s->answer
 * or s->derived, or NULL when def has no such question or derived variable.
 */
const char **api_session_slot(const struct flow_def *def, struct api_session *s,
                              const char *question_id);

/** The CSV header line (nothing for JSON Lines). */
void api_render_header(struct strbuf *sb, const struct flow_def *def, enum api_format format);
/** One line for session s as token tok sees it. */
void api_render_session(struct strbuf *sb, const struct flow_def *def, enum api_format format,
                        const struct api_token *tok, const struct api_session *s);

#define API_TABLE_CATS_MAX 64

/**
 * A variable of a table: a question's or a derived variable's categories
 * in order (labels borrowed from def or static).
 */
struct api_table_var {
    size_t step;      /* a question's step index (derived < 0) */
    int derived;      /* index of the flow's derived variable, -1 for a question */
    int from_answers; /* location: the categories are learnt from the answers (api_table_learn) */
    char code[API_TABLE_CATS_MAX][API_ID_MAX];
    const char *label[API_TABLE_CATS_MAX]; /* first language; NULL for numbers */
    size_t n;
};

/**
 * The categories of question id in def: its choices (and "refused" when
 * optional), or each whole number of a number step spanning at most 25
 * values; at most API_TABLE_CATS_MAX. A derived variable's are its codes
 * (the rule holds, does not, and the missing code when the flow stores
 * one). A location question's categories are
 * the areas of its coarsest level (as the responses send them): only
 * "refused" here, the areas are added from the answers by api_table_learn.
 * Returns 0, or -1 with why (static text) when it cannot be a table
 * variable.
 */
int api_table_var(const struct flow_def *def, const char *id, struct api_table_var *v,
                  const char **why);
/**
 * For a location variable, add the coarsest area of answer code as a
 * category if it is new (areas in code order, "refused" last); nothing for
 * other variables. Returns 0, or -1 when there would be too many.
 */
int api_table_learn(const struct flow_def *def, struct api_table_var *v, const char *code);
/** Category index of answer code (as stored; a location is coarsened) in v, or -1. */
int api_table_var_index(const struct flow_def *def, const struct api_table_var *v,
                        const char *code);

/**
 * GET /v1/flows/{id}/tables: t as computed (rows = vars[0] unless
 * transposed, then rows = vars[1]), written with rows = vars[0]. t is NULL
 * when a variable has no category (a location question nobody answered):
 * every count is then 0.
 */
void api_render_table(struct strbuf *sb, const struct flow_def *def, int version,
                      long long min_cell, const struct api_table_var *vars, int n_vars,
                      const struct safe_table *t, int transposed);

/** The channels a session comes through, in the order timeline and funnel list them. */
#define API_N_CHANNELS 2
extern const char *const api_channels[API_N_CHANNELS];
/** Index of channel name in api_channels, or -1. */
int api_channel_index(const char *name);

/**
 * GET /v1/flows/{id}/timeline: t is the days x channels table of ended
 * sessions (rows = days[0..n_days), one-day steps; NULL when n_days is 0).
 */
void api_render_timeline(struct strbuf *sb, const struct flow_def *def, int version,
                         long long min_cell, const char (*days)[16], size_t n_days,
                         const struct safe_table *t);

/**
 * GET /v1/flows/{id}/funnel: for each step s of def, reached[s] and
 * answered[s] are one-way tables over api_channels (total last).
 */
void api_render_funnel(struct strbuf *sb, const struct flow_def *def, int version,
                       long long min_cell, struct safe_table *const *reached,
                       struct safe_table *const *answered);

#endif
