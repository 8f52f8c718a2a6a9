/*
 * export_query.c - the SQL of `raia export` (see export_query.h).
 *
 * Called only by the CLI, synchronously. Everything an export reads (the
 * k-anonymity counts, the number of sessions, the rows) is read inside one
 * read-only REPEATABLE READ transaction, so the three agree. The stream uses a NO SCROLL cursor
 * fetched FETCH_PAGE rows at a time rather than one big PQexec, so the
 * client holds one page in memory whatever the size of the survey. Dates
 * are cut to the day in SQL (UTC), so no time of day ever reaches the
 * export code.
 */
#include "export_query.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define FETCH_PAGE "500"

struct export_db {
    PGconn *conn;
};

static const char flow_sql[] =
    "WITH v AS (SELECT CASE WHEN $2::int > 0 THEN $2::int ELSE max(flow_version) END AS version"
    "           FROM flows WHERE flow_id = $1)"
    " SELECT f.flow_version, f.flow_checksum, f.definition,"
    "        to_char(f.first_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    " FROM flows f JOIN v ON f.flow_version = v.version"
    " WHERE f.flow_id = $1"
    " ORDER BY f.first_seen_at DESC, f.flow_checksum";

/* The sessions an export covers: $1 flow id, $2 version, $3 first day or NULL. */
#define SESSIONS_WHERE                                                                             \
    " FROM sessions s LEFT JOIN answers a USING (session_id)"                                      \
    " WHERE s.flow_id = $1 AND s.flow_version = $2"                                                \
    "   AND ($3::date IS NULL OR s.started_at >= ($3::date)::timestamp AT TIME ZONE 'UTC')"
static const char sessions_where[] = SESSIONS_WHERE;

static const char stream_sql[] =
    "DECLARE export_rows NO SCROLL CURSOR FOR"
    " SELECT s.session_id, s.pseudonym, s.flow_version, s.flow_checksum, s.consent_version,"
    "        s.language, s.channel, s.operator,"
    "        to_char(s.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), s.outcome,"
    "        a.question_id, a.code, a.value,"
    "        to_char(a.answered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" SESSIONS_WHERE
    " ORDER BY s.session_id, a.answer_id";

static const char audit_sql[] =
    "INSERT INTO audit_log (actor, action, detail) VALUES ($1, 'export', $2::jsonb)";

struct export_db *export_db_open(const char *conninfo, struct raia_err *err)
{
    struct export_db *db = calloc(1, sizeof *db);
    if (!db) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        return NULL;
    }
    db->conn = PQconnectdb(conninfo);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        raia_err_set(err, RAIA_EIO, "postgres: %s", PQerrorMessage(db->conn));
        export_db_close(db);
        return NULL;
    }
    return db;
}

void export_db_close(struct export_db *db)
{
    if (!db)
        return;
    PQfinish(db->conn);
    free(db);
}

/* Runs one statement that returns no rows; -RAIA_EIO with the server's message otherwise. */
static int command(struct export_db *db, const char *sql, int n, const char *const *params,
                   struct raia_err *err)
{
    PGresult *res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = raia_err_set(err, RAIA_EIO, "postgres: %s", PQresultErrorMessage(res));
    PQclear(res);
    return rc;
}

static char *dup_value(const PGresult *res, int row, int col)
{
    return strdup(PQgetvalue(res, row, col));
}

void export_flow_revs_free(struct export_flow_rev *revs, size_t n)
{
    for (size_t i = 0; revs && i < n; i++) {
        free(revs[i].checksum);
        free(revs[i].definition);
        free(revs[i].first_seen_on);
    }
    free(revs);
}

int export_db_flow(struct export_db *db, const char *id, int version, int *version_out,
                   struct export_flow_rev **revs, struct raia_err *err)
{
    char vbuf[16];
    snprintf(vbuf, sizeof vbuf, "%d", version);
    const char *params[] = {id, vbuf};
    *revs = NULL;
    PGresult *res = PQexecParams(db->conn, flow_sql, 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int rc = raia_err_set(err, RAIA_EIO, "postgres: %s", PQresultErrorMessage(res));
        PQclear(res);
        return rc;
    }
    int n = PQntuples(res);
    if (n > 0 && !(*revs = calloc((size_t)n, sizeof **revs))) {
        PQclear(res);
        return raia_err_set(err, RAIA_ENOMEM, "out of memory");
    }
    int oom = 0;
    for (int i = 0; i < n; i++) {
        struct export_flow_rev *r = &(*revs)[i];
        oom |= !(r->checksum = dup_value(res, i, 1));
        oom |= !(r->definition = dup_value(res, i, 2));
        oom |= !(r->first_seen_on = dup_value(res, i, 3));
    }
    if (n > 0)
        *version_out = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (oom) {
        export_flow_revs_free(*revs, (size_t)n);
        *revs = NULL;
        return raia_err_set(err, RAIA_ENOMEM, "out of memory");
    }
    return n;
}

static const char *nullable(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Hands one fetched page to fn, row by row. */
static int deliver(const PGresult *res, export_row_fn fn, void *ctx)
{
    for (int i = 0; i < PQntuples(res); i++) {
        struct export_row r = {
            .session_id = PQgetvalue(res, i, 0),
            .pseudonym = PQgetvalue(res, i, 1),
            .flow_version = (int)strtol(PQgetvalue(res, i, 2), NULL, 10),
            .flow_checksum = nullable(res, i, 3),
            .consent_version = nullable(res, i, 4),
            .language = nullable(res, i, 5),
            .channel = nullable(res, i, 6),
            .operator_name = nullable(res, i, 7),
            .started_on = nullable(res, i, 8),
            .outcome = nullable(res, i, 9),
            .question = nullable(res, i, 10),
            .code = nullable(res, i, 11),
            .value = nullable(res, i, 12),
            .answered_on = nullable(res, i, 13),
        };
        int rc = fn(&r, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

int export_db_begin(struct export_db *db, struct raia_err *err)
{
    return command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err);
}

int export_db_end(struct export_db *db, struct raia_err *err)
{
    return command(db, "COMMIT", 0, NULL, err);
}

void export_db_abort(struct export_db *db)
{
    PQclear(PQexec(db->conn, "ROLLBACK"));
}

int export_db_combos(struct export_db *db, const char *id, int version, const char *since,
                     const char *const *questions, size_t n, export_combo_fn fn, void *ctx,
                     struct raia_err *err)
{
    if (n == 0 || n > EXPORT_KEYS_MAX)
        return raia_err_set(err, RAIA_EINVAL, "between 1 and %d key variables", EXPORT_KEYS_MAX);
    struct strbuf sql = {0};
    strbuf_puts(&sql, "SELECT ");
    for (size_t i = 0; i < n; i++)
        strbuf_printf(&sql, "k%zu, ", i);
    strbuf_puts(&sql, "count(*) FROM (SELECT s.session_id");
    for (size_t i = 0; i < n; i++)
        strbuf_printf(&sql,
                      ", (array_agg(coalesce(nullif(a.code, ''), nullif(a.value, ''))"
                      " ORDER BY a.answer_id DESC) FILTER (WHERE a.question_id = $%zu))[1] AS k%zu",
                      i + 4, i);
    strbuf_printf(&sql, " %s GROUP BY s.session_id) x GROUP BY ", sessions_where);
    for (size_t i = 0; i < n; i++)
        strbuf_printf(&sql, "%sk%zu", i ? ", " : "", i);
    char vbuf[16];
    snprintf(vbuf, sizeof vbuf, "%d", version);
    const char *params[3 + EXPORT_KEYS_MAX] = {id, vbuf, since};
    for (size_t i = 0; i < n; i++)
        params[3 + i] = questions[i];
    if (sql.oom) {
        strbuf_free(&sql);
        return raia_err_set(err, RAIA_ENOMEM, "out of memory");
    }
    PGresult *res =
        PQexecParams(db->conn, strbuf_cstr(&sql), (int)(3 + n), NULL, params, NULL, NULL, 0);
    strbuf_free(&sql);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = raia_err_set(err, RAIA_EIO, "postgres: %s", PQresultErrorMessage(res));
    for (int r = 0; rc == 0 && r < PQntuples(res); r++) {
        const char *vals[EXPORT_KEYS_MAX];
        for (size_t i = 0; i < n; i++)
            vals[i] = nullable(res, r, (int)i);
        rc = fn(vals, strtoll(PQgetvalue(res, r, (int)n), NULL, 10), ctx);
    }
    PQclear(res);
    return rc;
}

long long export_db_count(struct export_db *db, const char *id, int version, const char *since,
                          struct raia_err *err)
{
    char vbuf[16];
    snprintf(vbuf, sizeof vbuf, "%d", version);
    const char *params[] = {id, vbuf, since};
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT s.session_id %s GROUP BY s.session_id) x",
             sessions_where);
    PGresult *res = PQexecParams(db->conn, sql, 3, NULL, params, NULL, NULL, 0);
    long long n = PQresultStatus(res) == PGRES_TUPLES_OK
                      ? strtoll(PQgetvalue(res, 0, 0), NULL, 10)
                      : raia_err_set(err, RAIA_EIO, "postgres: %s", PQresultErrorMessage(res));
    PQclear(res);
    return n;
}

int export_db_stream(struct export_db *db, const char *id, int version, const char *since,
                     export_row_fn fn, void *ctx, struct raia_err *err)
{
    char vbuf[16];
    snprintf(vbuf, sizeof vbuf, "%d", version);
    const char *params[] = {id, vbuf, since};
    int rc = command(db, stream_sql, 3, params, err);
    while (rc == 0) {
        PGresult *res = PQexec(db->conn, "FETCH " FETCH_PAGE " FROM export_rows");
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            rc = raia_err_set(err, RAIA_EIO, "postgres: %s", PQresultErrorMessage(res));
        } else if (PQntuples(res) == 0) {
            PQclear(res);
            break;
        } else {
            rc = deliver(res, fn, ctx);
        }
        PQclear(res);
    }
    return rc == 0 ? command(db, "CLOSE export_rows", 0, NULL, err) : rc;
}

int export_db_audit(struct export_db *db, const char *actor, const char *detail_json,
                    struct raia_err *err)
{
    const char *params[] = {actor, detail_json};
    return command(db, audit_sql, 2, params, err);
}
