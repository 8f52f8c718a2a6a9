/**
 * export_query.h - what `raia export` reads from PostgreSQL, and its audit row.
 *
 * A blocking libpq connection for the CLI (never inside the gateway's loop):
 * the flow's definitions from the `flows` registry, then every session of
 * that flow and version with its answers, streamed through a server-side
 * cursor in pages so that memory stays flat however many rows there are,
 * inside one read-only REPEATABLE READ transaction (one consistent
 * snapshot). Rows arrive ordered by session, then by answer, so the caller
 * can fold one session's answers into one wide row. The pseudonym is handed
 * to the caller only so it can derive an export-scoped id; it must not be
 * written anywhere.
 */
#ifndef RAIA_EXPORT_QUERY_H
#define RAIA_EXPORT_QUERY_H

#include <stddef.h>

#include "raia_err.h"

struct export_db;

/** Connect with conninfo; NULL with err set on failure. */
struct export_db *export_db_open(const char *conninfo, struct raia_err *err);
/** Disconnect. NULL is a no-op. */
void export_db_close(struct export_db *db);

/** One registered definition of a flow version; every string owned by the array. */
struct export_flow_rev {
    char *checksum;      /* 64 hex */
    char *definition;    /* the YAML text exactly as the gateway loaded it */
    char *first_seen_on; /* YYYY-MM-DD (UTC) */
};

/**
 * The registered definitions of flow id at version (version 0: the highest
 * registered), newest first_seen_at first, in *revs (owned by the caller:
 * export_flow_revs_free) and the version found in *version_out.
 * Returns the number of definitions (0: no such flow or version) or -RAIA_EIO.
 */
int export_db_flow(struct export_db *db, const char *id, int version, int *version_out,
                   struct export_flow_rev **revs, struct raia_err *err);
void export_flow_revs_free(struct export_flow_rev *revs, size_t n);

/**
 * One row of the stream: a session with one of its answers (question NULL
 * for a session without answers). Strings are borrowed until the callback
 * returns; NULL stands for SQL NULL. Dates are YYYY-MM-DD in UTC.
 */
struct export_row {
    const char *session_id, *pseudonym;
    int flow_version;
    const char *flow_checksum, *consent_version, *language, *channel, *operator_name;
    const char *started_on, *outcome;
    const char *question, *code, *value, *answered_on;
};

/** Called per row; a non-zero return stops the stream and is returned by export_db_stream. */
typedef int (*export_row_fn)(const struct export_row *row, void *ctx);

/**
 * Open the snapshot every read below happens in: one read-only REPEATABLE
 * READ transaction. End it with export_db_end() (commit) or export_db_abort().
 */
int export_db_begin(struct export_db *db, struct raia_err *err);
int export_db_end(struct export_db *db, struct raia_err *err);
void export_db_abort(struct export_db *db);

/** Most key variables a k-anonymity check looks at together. */
#define EXPORT_KEYS_MAX 8

/**
 * Called per combination of the key variables' values (NULL: not answered;
 * else the code, or the value for number steps) with the number of
 * sessions that have it; a non-zero return stops and is returned.
 */
typedef int (*export_combo_fn)(const char *const *values, long long count, void *ctx);

/**
 * Count the sessions of flow id at version (since as for export_db_stream)
 * by the combination of their last answers to questions[0..n-1]
 * (1 <= n <= EXPORT_KEYS_MAX) and hand each combination to fn. Only counts
 * leave the database. Returns 0, fn's non-zero return, or -RAIA_EIO.
 */
int export_db_combos(struct export_db *db, const char *id, int version, const char *since,
                     const char *const *questions, size_t n, export_combo_fn fn, void *ctx,
                     struct raia_err *err);

/** Number of sessions export_db_stream() will deliver, or -RAIA_EIO. */
long long export_db_count(struct export_db *db, const char *id, int version, const char *since,
                          struct raia_err *err);

/**
 * Stream every session of flow id at version that started on or after since
 * (YYYY-MM-DD, or NULL for all), with its answers, to fn, inside the
 * snapshot opened by export_db_begin(). Returns 0, fn's non-zero return, or
 * -RAIA_EIO with err set.
 */
int export_db_stream(struct export_db *db, const char *id, int version, const char *since,
                     export_row_fn fn, void *ctx, struct raia_err *err);

/** Append the audit_log row of an export: action 'export', detail a JSON object (no person). */
int export_db_audit(struct export_db *db, const char *actor, const char *detail_json,
                    struct raia_err *err);

#endif
