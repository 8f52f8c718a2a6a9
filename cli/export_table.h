/**
 * export_table.h - the rows of `raia export`: columns derived from the flow,
 * sessions folded into wide rows (or answers kept as long rows), written as
 * CSV or JSON Lines, and the statistics the codebook reports.
 *
 * The table is the callback of export_db_stream(): it sees one database row
 * at a time and holds one session at most, so memory stays flat. Persons
 * appear only as an export-scoped id, HMAC-SHA256 under a key drawn at
 * random for this export and forgotten with it: the same person has the
 * same id within one export and ids of two exports cannot be joined.
 * Used by cli/export_cmd.c; the codebook (export_codebook.c) reads the
 * columns and statistics.
 */
#ifndef RAIA_EXPORT_TABLE_H
#define RAIA_EXPORT_TABLE_H

#include <stddef.h>

#include "export_privacy.h"
#include "export_query.h"
#include "flow.h"
#include "raia_err.h"

enum export_format {
    EXPORT_FORMAT_CSV,
    EXPORT_FORMAT_JSONL,
    EXPORT_FORMAT_DATAPACKAGE,
    EXPORT_FORMAT_SAV,
    EXPORT_FORMAT_DTA,
    EXPORT_FORMAT_COUNT
};

/** The format's name on the command line ("csv", ..., "dta"). */
const char *export_format_name(enum export_format f);
/** 1 for the statistical packages' formats (sav, dta), whose values are numeric codes. */
int export_format_is_stat(enum export_format f);

#define EXPORT_BANDS_MAX 16
#define EXPORT_LOCATIONS_MAX 8

/** What was asked for on the command line; strings borrowed from argv. */
struct export_opts {
    const char *config, *flow, *since, *out_dir;
    int version; /* 0: the highest registered */
    enum export_format format;
    int long_form, free_text;
    const char *bands[EXPORT_BANDS_MAX]; /* --band STEP=WIDTH, as given */
    size_t n_bands;
    const char *locations[EXPORT_LOCATIONS_MAX]; /* --location STEP=LEVEL, as given */
    size_t n_locations;
    const char *key_vars; /* --key-vars a,b,c; NULL: the default key variables */
    int k;                /* --k; the smallest combination of key values allowed */
    const char *partner;  /* --partner NAME: respondent ids as that partner's API token gives */
    /* Filled by export_cmd from the partner's token (partner_tokens), when --partner: */
    int stable_pseudonym;          /* its scope allows the pseudonym itself */
    unsigned char partner_key[32]; /* its respondent key */
};

/** "per export", "per partner" or "stable pseudonym": what a respondent id is. */
const char *export_respondent_scope(const struct export_opts *opts);

/** How a column's values read: JSON numbers for integer/number (except codes such as refused). */
enum export_kind { EXPORT_KIND_STRING, EXPORT_KIND_INTEGER, EXPORT_KIND_NUMBER, EXPORT_KIND_DATE };

#define EXPORT_NAME_MAX 65 /* a column name in the file, incl. NUL (SPSS allows 64 bytes) */

struct export_column {
    const char *name; /* borrowed from the flow, static, or the table's renamed copy */
    enum export_kind kind;
    int step;    /* index of the flow step this column answers, -1 for the others */
    int derived; /* index of the flow's derived variable it holds, -1 for the others */
};

/** Most columns of a wide row: the session's, the questions', the derived variables'. */
#define EXPORT_COLUMNS_MAX (16 + FLOW_STEPS_MAX + FLOW_DERIVED_MAX)

#define EXPORT_TALLY_MAX 32

/** Counts by value (channel, outcome, ...); values past EXPORT_TALLY_MAX go to other. */
struct export_tally {
    char *keys[EXPORT_TALLY_MAX]; /* owned */
    long long counts[EXPORT_TALLY_MAX];
    size_t n;
    long long other;
};

struct export_stats {
    long long rows, sessions, answers;
    char first_started_on[11], last_started_on[11]; /* "" when no session */
    struct export_tally channels, outcomes, languages, consent_versions, checksums;
    long long
        unknown_questions;   /* answers to a question or derived variable the definition lacks */
    long long unknown_codes; /* codes the definition does not list */
};

#define EXPORT_DERIVED_CODES 3

/**
 * The codes derived variable d of def can hold, in this order: the rule
 * holds, it does not, an answer it reads is missing (only when the flow
 * stores a code for that), into codes (borrowed from def), and what each
 * means into labels (static English). Returns how many: 2 or 3, 0 when d
 * is out of range.
 */
size_t export_derived_codes(const struct flow_def *def, size_t d,
                            const char *codes[EXPORT_DERIVED_CODES],
                            const char *labels[EXPORT_DERIVED_CODES]);

/** What an empty value of derived variable d means (static English). */
const char *export_derived_empty(const struct flow_def *def, size_t d);

struct export_table;

/**
 * Open the data file in opts->out_dir (created if missing) for def, with
 * the privacy settings priv (both borrowed; must outlive the table).
 * n_sessions is the number of rows to come (export_db_count): sav and dta
 * files state it in their header. NULL with err set on failure.
 */
struct export_table *export_table_new(const struct flow_def *def, const struct export_opts *opts,
                                      const struct export_privacy *priv, long long n_sessions,
                                      struct raia_err *err);
/** export_row_fn for export_db_stream(): ctx is the table. */
int export_table_row(const struct export_row *row, void *ctx);
/**
 * Write the last row and close the file, still under its temporary name
 * (export_part_name); export_commit_files() gives it its final name.
 */
int export_table_finish(struct export_table *t, struct raia_err *err);
/** Remove a file not finished, free everything. NULL is a no-op. */
void export_table_free(struct export_table *t);

/** The data file's name inside out_dir ("responses.csv", "answers.jsonl", ...). */
const char *export_table_file(const struct export_table *t);
size_t export_table_column_count(const struct export_table *t);
/** Column i, borrowed from t. */
const struct export_column *export_table_column(const struct export_table *t, size_t i);
/** Borrowed from t; final after export_table_finish(). */
const struct export_stats *export_table_stats(const struct export_table *t);
/** The error export_table_row() met, if it returned non-zero. */
const struct raia_err *export_table_error(const struct export_table *t);

/**
 * Write buf into the temporary file of out_dir/name (export_part_name); it
 * gets its final name with the others in export_commit_files().
 */
int export_write_file(const char *dir, const char *name, const char *buf, size_t len,
                      struct raia_err *err);

/** "DIR/.NAME.part": where NAME is written until the whole export is complete; malloc'd. */
char *export_part_name(const char *dir, const char *name);

/**
 * Remove every temporary file an interrupted export of the same names left
 * in dir (names: NULL-terminated). Returns how many were removed.
 */
int export_clean_parts(const char *dir, const char *const *names);

/** Rename each DIR/.NAME.part to DIR/NAME (names: NULL-terminated), once all are written. */
int export_commit_files(const char *dir, const char *const *names, struct raia_err *err);

#endif
