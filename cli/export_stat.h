/**
 * export_stat.h - SPSS .sav and Stata .dta files of `raia export`, written
 * with libreadstat one row at a time, and the numeric coding those formats
 * need (which number stands for which answer, which for "prefer not to
 * say" and "not answered"); the codebooks describe the same coding.
 * Used by cli/export_table.c (rows) and cli/export_codebook.c,
 * cli/export_ddi.c (coding).
 */
#ifndef RAIA_EXPORT_STAT_H
#define RAIA_EXPORT_STAT_H

#include <stddef.h>

#include "export_table.h"
#include "flow.h"
#include "raia_err.h"

/** Stata's tags for the two kinds of missing answers (.a, .b). */
#define EXPORT_TAG_REFUSED 'a'
#define EXPORT_TAG_NOT_ANSWERED 'b'
#define EXPORT_LABEL_NOT_ANSWERED "Not answered (skipped or not reached)"
#define EXPORT_LABEL_REFUSED "Prefer not to say"

/**
 * The number choice c of step stands for: the code itself when every code
 * of the step is a whole number 0-99999 (the WG-SS's 1-4), else c + 1.
 */
long export_stat_code_value(const struct flow_def *def, size_t step, size_t c);

/**
 * The number code i of derived variable d (export_derived_codes) stands
 * for: the code itself when every code of d is a whole number 0-99999
 * (the WG-SS disability identifier's 0 and 1), else i + 1.
 */
long export_stat_derived_value(const struct flow_def *def, size_t d, size_t i);

/** The SPSS user-missing code of a derived variable not computed (no row stored): -2. */
#define EXPORT_DERIVED_NOT_COMPUTED (-2)

/**
 * The SPSS user-missing codes of step: -1 (prefer not to say) and -2 (not
 * answered), or, when the step's values can be negative, two numbers below
 * its range.
 */
void export_stat_missing_codes(const struct flow_def *def, size_t step, long *refused,
                               long *not_answered);

/** 1 if step's answers are strings in sav / dta: text, multi_choice (a location is a number). */
int export_stat_is_string(const struct flow_def *def, size_t step);

/**
 * id as a valid variable name of format f (sav: up to 64 bytes, dta: 32;
 * letters, digits, _; a letter first; no reserved word) into out.
 */
void export_stat_name(enum export_format f, const char *id, char *out, size_t size);

struct export_stat;

/**
 * Start the file at path (created, truncated) with one variable per column
 * (cols borrowed, as def, opts and priv, until export_stat_free) and
 * n_rows rows to come. NULL with err set on failure.
 */
struct export_stat *export_stat_new(const char *path, const struct flow_def *def,
                                    const struct export_opts *opts,
                                    const struct export_privacy *priv,
                                    const struct export_column *cols, size_t n_cols,
                                    long long n_rows, struct raia_err *err);
/** Write one row: vals[i] is column i's value as the CSV would have it (NULL: empty). */
int export_stat_row(struct export_stat *w, const char *const *vals, struct raia_err *err);
/** Finish the file (readstat checks the row count) and close it. */
int export_stat_finish(struct export_stat *w, struct raia_err *err);
/** Free; a file not finished is left for the caller to remove. NULL is a no-op. */
void export_stat_free(struct export_stat *w);

#endif
