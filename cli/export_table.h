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

#include "export_query.h"
#include "flow.h"
#include "raia_err.h"

enum export_format { EXPORT_FORMAT_CSV, EXPORT_FORMAT_JSONL, EXPORT_FORMAT_DATAPACKAGE };

/** What was asked for on the command line; strings borrowed from argv. */
struct export_opts {
    const char *config, *flow, *since, *out_dir;
    int version; /* 0: the highest registered */
    enum export_format format;
    int long_form, free_text;
};

/** How a column's values read: JSON numbers for integer/number (except codes such as refused). */
enum export_kind { EXPORT_KIND_STRING, EXPORT_KIND_INTEGER, EXPORT_KIND_NUMBER, EXPORT_KIND_DATE };

struct export_column {
    const char *name; /* borrowed from the flow or static */
    enum export_kind kind;
    int step; /* index of the flow step this column answers, -1 for the others */
};

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
    long long unknown_questions; /* answers to a step the definition does not have */
    long long unknown_codes;     /* codes the definition does not list */
};

struct export_table;

/**
 * Open the data file in opts->out_dir (created if missing) for def (borrowed;
 * must outlive the table). NULL with err set on failure.
 */
struct export_table *export_table_new(const struct flow_def *def, const struct export_opts *opts,
                                      struct raia_err *err);
/** export_row_fn for export_db_stream(): ctx is the table. */
int export_table_row(const struct export_row *row, void *ctx);
/** Write the last row, close the file and move it to its final name. */
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

/** Write buf into out_dir/name through a temporary file and a rename. */
int export_write_file(const char *dir, const char *name, const char *buf, size_t len,
                      struct raia_err *err);

#endif
