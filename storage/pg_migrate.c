/*
 * pg_migrate.c - applies the compiled-in migrations (see pg_migrate.h).
 */
#include "pg_migrate.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql_text.h"

/* Any fixed number: serialises concurrent `raia db migrate` runs. */
#define MIGRATE_LOCK_KEY "7261696101"

static int exec_ok(PGconn *conn, const char *sql, struct raia_err *err, const char *what)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        raia_err_set(err, RAIA_EIO, "%s: %s", what, PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -RAIA_EIO;
}

static int is_applied(PGconn *conn, int number, int *applied, struct raia_err *err)
{
    char num[16];
    snprintf(num, sizeof num, "%d", number);
    const char *params[1] = {num};
    PGresult *res = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
                                 NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = raia_err_set(err, RAIA_EIO, "schema_migrations: %s", PQresultErrorMessage(res));
    else
        *applied = PQntuples(res) > 0;
    PQclear(res);
    return rc;
}

static int apply_one(PGconn *conn, const struct sql_migration *m, struct raia_err *err)
{
    if (exec_ok(conn, "BEGIN", err, m->name) < 0)
        return -RAIA_EIO;
    char num[16];
    snprintf(num, sizeof num, "%d", m->number);
    const char *params[2] = {num, m->name};
    int rc = exec_ok(conn, m->text, err, m->name);
    if (rc == 0) {
        PGresult *res =
            PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                         NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = raia_err_set(err, RAIA_EIO, "%s: %s", m->name, PQresultErrorMessage(res));
        PQclear(res);
    }
    if (rc == 0)
        return exec_ok(conn, "COMMIT", err, m->name);
    PQclear(PQexec(conn, "ROLLBACK"));
    return rc;
}

static int apply_pending(PGconn *conn, FILE *out, struct raia_err *err)
{
    if (exec_ok(conn,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                err, "schema_migrations") < 0)
        return -RAIA_EIO;
    for (size_t i = 0; i < sql_migrations_count; i++) {
        const struct sql_migration *m = &sql_migrations[i];
        int applied = 0;
        if (is_applied(conn, m->number, &applied, err) < 0)
            return -RAIA_EIO;
        if (applied)
            continue;
        if (apply_one(conn, m, err) < 0)
            return -RAIA_EIO;
        if (out)
            fprintf(out, "applied %s\n", m->name);
    }
    return 0;
}

int pg_migrate(const char *conninfo, FILE *out, struct raia_err *err)
{
    PGconn *conn = PQconnectdb(conninfo);
    if (PQstatus(conn) != CONNECTION_OK) {
        raia_err_set(err, RAIA_EIO, "postgres: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return -RAIA_EIO;
    }
    int rc = exec_ok(conn, "SET client_min_messages = warning", err, "session setup");
    if (rc == 0)
        rc = exec_ok(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err, "lock");
    if (rc == 0) {
        rc = apply_pending(conn, out, err);
        PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    }
    PQfinish(conn);
    return rc;
}

int pg_migrate_latest(void)
{
    return sql_migrations_count ? sql_migrations[sql_migrations_count - 1].number : 0;
}
