/**
 * batch_params.h - a batch of stream entries as the parameters of
 * sql/write_batch.sql: one PostgreSQL array per column, in the binary
 * format, which PostgreSQL reads with a length per element and no parse.
 *
 * The batch went as one JSON array before, and reading it into rows was
 * about 40 % of the statement (docs/performance.md "What the batch's JSON
 * costs PostgreSQL"). Column i here is parameter $i+1 of the statement;
 * the first is the stream entry id, the others the document's fields of
 * the same names (store_event.c), NULL where a document has none.
 */
#ifndef RAIA_BATCH_PARAMS_H
#define RAIA_BATCH_PARAMS_H

#include "pg_async.h"
#include "strbuf.h"

#define BATCH_PARAMS_N 25

struct batch_params {
    struct strbuf col[BATCH_PARAMS_N]; /* each an array: header, then its elements */
    int has_null[BATCH_PARAMS_N];
    int rows;
    char *scratch; /* a document's unescaped strings */
    size_t scratch_cap;
    const char *values[BATCH_PARAMS_N];
    int lengths[BATCH_PARAMS_N], formats[BATCH_PARAMS_N];
};

/** Empties p for a new batch (keeps its memory). */
void batch_params_reset(struct batch_params *p);
/**
 * Adds the entry stream_id with its document doc as one row. Returns 0,
 * -1 with *why set when doc is not a stream document (a flat JSON object
 * whose numbers fit their columns: flat_json.h), or -2 when out of memory.
 * A refused document leaves p as it was.
 */
int batch_params_add(struct batch_params *p, const char *stream_id, const char *doc,
                     const char **why);
/** The finished arrays as the statement's parameters; .n is 0 when out of memory. */
struct pg_params batch_params_finish(struct batch_params *p);
void batch_params_free(struct batch_params *p);

#endif
