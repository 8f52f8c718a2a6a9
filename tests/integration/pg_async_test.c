/*
 * pg_async_test.c - pg_async_query_after against a real PostgreSQL: two
 * statements in one transaction and round trip, the second with a snapshot
 * taken after the first (which the writer's person locks rely on). Run by
 * storage_test.sh, which starts the servers.
 */
#include <event2/event.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pg_async.h"
#include "test_help.h"

static struct event_base *base;
static PGconn *pg;
static struct pg_async *conn;
static int up, done;
static char value[64], sqlstate[8];

static const char sql_int[] = "SELECT $1::integer";
static const char sql_plus_one[] = "SELECT $1::integer + 1";
static const char sql_insert[] = "INSERT INTO pipe_t VALUES ($1::integer) RETURNING x";
static const char sql_divide[] = "SELECT 1 / $1::integer";
static const char sql_wait_lock[] =
    "SELECT count(*) FROM (SELECT pg_advisory_xact_lock_shared(7263, $1::integer)) l";
static const char sql_count_x[] = "SELECT count(*) FROM pipe_t WHERE x = $1::integer";

static void on_up(void *ctx)
{
    (void)ctx;
    up = 1;
}

static void on_result(void *ctx, const PGresult *res)
{
    (void)ctx;
    done = 1;
    value[0] = sqlstate[0] = '\0';
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        snprintf(value, sizeof value, "%s", PQgetvalue(res, 0, 0));
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (state)
        snprintf(sqlstate, sizeof sqlstate, "%s", state);
}

/* Runs the loop (at most 10 s) until *flag is set. */
static int run_until(const int *flag)
{
    for (int i = 0; i < 2000 && !*flag; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        if (!*flag)
            usleep(5000);
    }
    return *flag;
}

static long long count(const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    long long n = PQresultStatus(res) == PGRES_TUPLES_OK ? atoll(PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    return n;
}

/* Sends both statements and waits for the result; 0 when it came. */
static int after(const char *first_sql, const char *first, const char *sql, const char *param)
{
    done = 0;
    const char *values[1] = {param};
    struct pg_params params = {.n = 1, .values = values};
    if (pg_async_query_after(conn, first_sql, first, sql, &params, on_result, NULL) < 0)
        return -1;
    return run_until(&done) ? 0 : -1;
}

static int waiting(void)
{
    return count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                 " AND query LIKE 'SELECT count(*) FROM (SELECT pg_advisory%'") == 1;
}

int main(void)
{
    const char *conninfo = getenv("RAIA_PG_CONNINFO");
    if (!conninfo) {
        fprintf(stderr, "pg_async_test: run through storage_test.sh (needs real servers)\n");
        return 1;
    }
    log_min_level = LOG_WARN;
    base = event_base_new();
    pg = PQconnectdb(conninfo);
    PQclear(PQexec(pg, "CREATE TABLE pipe_t (x integer)"));
    conn = pg_async_new(base, conninfo, on_up, NULL);
    test_cond("connects", conn && run_until(&up));

    test_cond("the second statement's result comes back",
              after(sql_int, "1", sql_plus_one, "41") == 0 && strcmp(value, "42") == 0);
    test_cond("a failing second statement is reported",
              after(sql_insert, "7", sql_divide, "0") == 0 && strcmp(sqlstate, "22012") == 0);
    test_cond("and the first one's row is rolled back with it",
              count("SELECT count(*) FROM pipe_t") == 0);
    test_cond("a failing first statement is reported, the second not run",
              after(sql_divide, "0", sql_insert, "8") == 0 && strcmp(sqlstate, "22012") == 0 &&
                  count("SELECT count(*) FROM pipe_t") == 0);
    test_cond("both commit together", after(sql_insert, "9", sql_plus_one, "1") == 0 &&
                                          strcmp(value, "2") == 0 &&
                                          count("SELECT count(*) FROM pipe_t WHERE x = 9") == 1);

    /* The snapshot: another transaction holds the lock the first statement
     * waits for, and commits a row while it waits; the second sees it. */
    PGconn *holder = PQconnectdb(conninfo);
    PQclear(PQexec(holder, "BEGIN"));
    PQclear(PQexec(holder, "SELECT pg_advisory_xact_lock(7263, 5)"));
    PQclear(PQexec(holder, "INSERT INTO pipe_t VALUES (99)"));
    done = 0;
    const char *count_of[1] = {"99"};
    struct pg_params params = {.n = 1, .values = count_of};
    test_cond("the pair is sent", pg_async_query_after(conn, sql_wait_lock, "5", sql_count_x,
                                                       &params, on_result, NULL) == 0);
    int waited = 0;
    for (int i = 0; i < 2000 && !(waited = waiting()); i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        usleep(5000);
    }
    test_cond("the first statement waits for the lock", waited && !done);
    PQclear(PQexec(holder, "COMMIT"));
    PQfinish(holder);
    test_cond("the second statement sees what committed during the wait",
              run_until(&done) && strcmp(value, "1") == 0);

    done = 0;
    test_cond("a lone statement runs after the pairs (pipeline mode left)",
              pg_async_query(conn, sql_int, "5", on_result, NULL) == 0 && run_until(&done) &&
                  strcmp(value, "5") == 0);

    pg_async_free(conn);
    PQclear(PQexec(pg, "DROP TABLE pipe_t"));
    PQfinish(pg);
    event_base_free(base);
    TEST_REPORT();
}
