/**
 * export_privacy.h - the disclosure controls of `raia export` on microdata:
 * banding of number answers (age by default), locations cut to one level
 * of their area tree (the coarsest unless --location asks for a finer
 * one), and the k-anonymity check on
 * the key variables, which refuses an export whose rarest combination of
 * key values is shared by fewer than k sessions. Settings come from the
 * command line (--band, --location, --key-vars, --k) checked against the flow; the
 * check reads counts only (export_db_combos). Used by cli/export_cmd.c; the
 * table bands values through it and the codebooks report what it did.
 */
#ifndef RAIA_EXPORT_PRIVACY_H
#define RAIA_EXPORT_PRIVACY_H

#include <stddef.h>
#include <stdio.h>

#include "export_query.h"
#include "flow.h"
#include "strbuf.h"

#define EXPORT_K_DEFAULT 5
#define EXPORT_AGE_BAND_DEFAULT 10

struct export_opts;

/** What an export does to protect the people in it; filled by export_privacy_resolve. */
struct export_privacy {
    int band[FLOW_STEPS_MAX];            /* width of step i's bands; 0: values as given */
    int band_by_default[FLOW_STEPS_MAX]; /* 1: an age step banded without --band */
    int coarsen[FLOW_STEPS_MAX];         /* 1: a location step, cut to level[] */
    int level[FLOW_STEPS_MAX];           /* location: the level index kept, 0 the coarsest */
    int level_by_option[FLOW_STEPS_MAX]; /* 1: the level was asked for with --location */
    size_t keys[EXPORT_KEYS_MAX]; /* the key variables: step i, or FLOW_STEPS_MAX + derived d */
    size_t n_keys;
    int k;
    /* after export_privacy_check() */
    long long combinations; /* distinct combinations of key values */
    long long smallest;     /* sessions in the rarest one; -1 when not checked */
    /* location answers recorded at a level coarser than level[], kept at their own */
    unsigned coarser_levels[FLOW_STEPS_MAX]; /* bit j: some at level index j */
    long long kept_coarser[FLOW_STEPS_MAX];  /* sessions with such an answer */
};

/**
 * Fill p from the command line's --band, --location, --key-vars and --k
 * for def. On a bad setting (unknown step, a text step as key, a band on a
 * step that is not a number, a level a location step does not have)
 * returns -1 with a message in msg.
 */
int export_privacy_resolve(const struct flow_def *def, const struct export_opts *opts,
                           struct export_privacy *p, char *msg, size_t size);

/** The id of key variable i of p (a question's or a derived variable's), borrowed from def. */
const char *export_privacy_key_name(const struct flow_def *def, const struct export_privacy *p,
                                    size_t i);

/**
 * value (a code, or the value when there is no code) as exported for step:
 * its band ("30-39") when the step is banded and value is a number; for a
 * location, the code of the area that holds it at the level kept (borrowed
 * from def; an area of a coarser level, or unknown, stays as it is); else
 * value itself. Returns value, buf or a string of def.
 */
const char *export_privacy_value(const struct flow_def *def, const struct export_privacy *p,
                                 size_t step, const char *value, char *buf, size_t size);

/**
 * The next area location step can hold in this export, from row *a of its
 * areas file on: an area of the level kept, or of a coarser level that
 * answers were recorded at. Returns its code (borrowed from def), moves *a
 * past it and sets *value to its number in sav / dta (its row + 1); NULL
 * at the end. Start with *a = 0.
 */
const char *export_privacy_area_next(const struct flow_def *def, const struct export_privacy *p,
                                     size_t step, size_t *a, long *value);

/** The number of area code of location step in sav / dta (its row + 1), 0 when unknown. */
long export_privacy_area_value(const struct flow_def *def, size_t step, const char *code);

/**
 * {"area":{"level":2,"id":"district","levels":3,"asked":true,"kept_coarser":0}}:
 * the level each location step is exported at (for codebook.json and the
 * audit row).
 */
void export_privacy_levels_json(const struct flow_def *def, const struct export_privacy *p,
                                struct strbuf *sb);

/**
 * The bands step can take, from its range: band i starts at *lower and its
 * label ("30-39") goes to label. Returns the number of bands, 0 when step is
 * not banded or has more than EXPORT_BANDS_LISTED of them.
 */
#define EXPORT_BANDS_LISTED 200
size_t export_privacy_band_at(const struct flow_def *def, const struct export_privacy *p,
                              size_t step, size_t i, long *lower, char *label, size_t size);

/**
 * Count the location answers recorded at a level coarser than the one
 * kept (p->coarser_levels, p->kept_coarser), then the sessions by their
 * (banded, coarsened) key values and compare the rarest combination with
 * p->k. Returns 0 when k-anonymity holds (or there are no
 * key variables), 1 when it does not, after printing every combination
 * under k with its count to report, or -RAIA_E* with err set.
 */
int export_privacy_check(struct export_db *db, const struct export_opts *opts, int version,
                         const struct flow_def *def, struct export_privacy *p, FILE *report,
                         struct raia_err *err);

/**
 * Every coarsening and suppression the export made, one sentence per line
 * starting with prefix (for stderr and codebook.md).
 */
void export_privacy_describe(const struct flow_def *def, const struct export_opts *opts,
                             const struct export_privacy *p, const char *prefix, struct strbuf *sb);

#endif
