/*
 * sql_replay.c - raia-sql-replay: PostgreSQL's cost of the writer's batch
 * statement, measured on real stream entries, two ways side by side
 * (bench/sql-ab, docs/performance.md).
 *
 *   raia-sql-replay REDIS_URL STREAM BATCH CONNINFO_A CONNINFO_B [SQL_FILE]
 *
 * Reads every entry of STREAM (XRANGE, BATCH at a time, nothing consumed)
 * and writes each batch into database A with the statement this build
 * carries (sql/write_batch.sql) and into database B with SQL_FILE (the
 * same statement when none is given: the noise floor). The two run one
 * after the other on every batch, in turns A-B then B-A, so a host that
 * slows down during the run slows both alike. The parameters are built as the
 * writer builds them (batch_params.h).
 *
 * Prints one JSON line: entries, batches, the wall time of a statement per
 * entry in each database, and the median of the per-batch ratio B/A.
 * Exits 1 when a statement fails, when the two databases do not end with
 * the same rows in every table the statement writes (compared by digest,
 * table_digest), or when no answer was stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "batch_params.h"
#include "raia_err.h"
#include "redis_url.h"
#include "sql_text.h"
#include "strbuf.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole file at path into out; 0, or -1 when it cannot be read. */
static int read_file(const char *path, struct strbuf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        strbuf_append(out, chunk, n);
    fclose(f);
    return out->oom ? -1 : 0;
}

static PGconn *connect_prepared(const char *conninfo, const char *sql)
{
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "raia-sql-replay: %s", PQerrorMessage(pg));
        exit(1);
    }
    PGresult *res = PQprepare(pg, "batch", sql, BATCH_PARAMS_N, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "raia-sql-replay: prepare: %s", PQerrorMessage(pg));
        exit(1);
    }
    PQclear(res);
    return pg;
}

/* Seconds the batch statement took on pg; exits on failure. */
static double run_batch(PGconn *pg, const struct pg_params *p, char which)
{
    double t0 = now_s();
    PGresult *res = PQexecPrepared(pg, "batch", p->n, p->values, p->lengths, p->formats, 0);
    double took = now_s() - t0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "raia-sql-replay: database %c: %s", which, PQerrorMessage(pg));
        exit(1);
    }
    PQclear(res);
    return took;
}

/* The tables the batch statement writes, compared row by row between A and
 * B; the JSON line reports the rows of the first two. */
enum { SESSIONS, ANSWERS, WRITTEN_TABLES_N = 8 };
static const char *const written_tables[WRITTEN_TABLES_N] = {
    "sessions", "answers",          "consent_refusals", "opt_outs",
    "flows",    "message_receipts", "contacts",         "erasures",
};

/*
 * The number of rows of table and an md5 over all of them into digest (""
 * for none), in an order that does not depend on how they were stored; the
 * columns that do are left out (ids drawn from sequences) or reduced to
 * what does not (whether the feed marked a session, not with which xid).
 * -1 when the query fails.
 */
static long long table_digest(PGconn *pg, const char *table, char digest[33])
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*), coalesce(md5(string_agg(r, E'\\n' ORDER BY r)), '') FROM "
             "(SELECT (to_jsonb(t) - '{feed_xid,answer_id,refusal_id,receipt_id}'::text[] || "
             "CASE WHEN to_jsonb(t) ? 'feed_xid' THEN jsonb_build_object('in_feed', "
             "to_jsonb(t)->>'feed_xid' IS NOT NULL) ELSE '{}' END)::text AS r FROM %s t) x",
             table);
    PGresult *res = PQexec(pg, sql);
    long long n = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        n = atoll(PQgetvalue(res, 0, 0));
        snprintf(digest, 33, "%s", PQgetvalue(res, 0, 1));
    } else {
        fprintf(stderr, "raia-sql-replay: %s: %s", table, PQerrorMessage(pg));
    }
    PQclear(res);
    return n;
}

/* 1 when every written table holds the same rows in both databases; says
 * which differ. rows: each table's rows in A and in B. */
static int same_rows(PGconn *pg[2], long long rows[WRITTEN_TABLES_N][2])
{
    int same = 1;
    for (size_t i = 0; i < WRITTEN_TABLES_N; i++) {
        char digest[2][33] = {"", ""};
        long long *n = rows[i];
        n[0] = table_digest(pg[0], written_tables[i], digest[0]);
        n[1] = table_digest(pg[1], written_tables[i], digest[1]);
        if (n[0] < 0 || n[0] != n[1] || strcmp(digest[0], digest[1]) != 0) {
            fprintf(stderr, "raia-sql-replay: %s differs: %lld rows in A, %lld in B\n",
                    written_tables[i], n[0], n[1]);
            same = 0;
        }
    }
    return same;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc > 7) {
        fprintf(stderr, "usage: raia-sql-replay REDIS_URL STREAM BATCH CONNINFO_A CONNINFO_B "
                        "[SQL_FILE]\n");
        return 64;
    }
    int batch = atoi(argv[3]);
    struct strbuf sql_file = {0};
    if (argc == 7 && read_file(argv[6], &sql_file) < 0) {
        fprintf(stderr, "raia-sql-replay: cannot read %s\n", argv[6]);
        return 64;
    }
    const char *sql_b = argc == 7 ? strbuf_cstr(&sql_file) : sql_write_batch;
    if (batch < 1) {
        fprintf(stderr, "raia-sql-replay: bad batch size %s\n", argv[3]);
        return 64;
    }
    struct raia_err err = {0};
    redisContext *redis = redis_url_connect(argv[1], &err);
    if (!redis) {
        fprintf(stderr, "raia-sql-replay: %s\n", err.msg);
        return 1;
    }
    PGconn *pg[2] = {connect_prepared(argv[4], sql_write_batch), connect_prepared(argv[5], sql_b)};

    double took[2] = {0, 0};
    size_t ratios_cap = 1024, batches = 0;
    double *ratios = malloc(ratios_cap * sizeof *ratios);
    long long entries = 0;
    char start[64] = "-";
    struct batch_params params = {0};
    for (;;) {
        redisReply *r = redisCommand(redis, "XRANGE %s %s + COUNT %d", argv[2], start, batch);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "raia-sql-replay: XRANGE: %s\n", r ? r->str : redis->errstr);
            return 1;
        }
        if (r->elements == 0) {
            freeReplyObject(r);
            break;
        }
        batch_params_reset(&params);
        for (size_t i = 0; i < r->elements; i++) {
            const redisReply *id = r->element[i]->element[0];
            const redisReply *fields = r->element[i]->element[1];
            const char *why = "";
            if (batch_params_add(&params, id->str, fields->element[1]->str, &why) < 0) {
                fprintf(stderr, "raia-sql-replay: entry %s: %s\n", id->str, why);
                return 1;
            }
        }
        struct pg_params p = batch_params_finish(&params);
        if (p.n == 0) {
            fprintf(stderr, "raia-sql-replay: out of memory\n");
            return 1;
        }
        /* the next range starts just after the last id: "(" is exclusive */
        snprintf(start, sizeof start, "(%s", r->element[r->elements - 1]->element[0]->str);
        entries += (long long)r->elements;
        freeReplyObject(r);

        double t[2];
        int first = (int)(batches % 2);
        t[first] = run_batch(pg[first], &p, first ? 'B' : 'A');
        t[!first] = run_batch(pg[!first], &p, first ? 'A' : 'B');
        took[0] += t[0];
        took[1] += t[1];
        if (batches == ratios_cap)
            ratios = realloc(ratios, (ratios_cap *= 2) * sizeof *ratios);
        ratios[batches++] = t[1] / t[0];
    }
    if (batches == 0) {
        fprintf(stderr, "raia-sql-replay: stream %s is empty\n", argv[2]);
        return 1;
    }
    qsort(ratios, batches, sizeof *ratios, cmp_double);
    long long rows[WRITTEN_TABLES_N][2];
    int same = same_rows(pg, rows);
    const long long *answers = rows[ANSWERS], *sessions = rows[SESSIONS];
    printf("{\"entries\":%lld,\"batches\":%zu,\"a_us_per_entry\":%.2f,\"b_us_per_entry\":%.2f,"
           "\"median_batch_ratio_b_a\":%.3f,\"answers\":[%lld,%lld],\"sessions\":[%lld,%lld]}\n",
           entries, batches, took[0] * 1e6 / (double)entries, took[1] * 1e6 / (double)entries,
           ratios[batches / 2], answers[0], answers[1], sessions[0], sessions[1]);
    if (same && answers[0] <= 0)
        fprintf(stderr, "raia-sql-replay: no answer was stored\n");
    batch_params_free(&params);
    free(ratios);
    strbuf_free(&sql_file);
    PQfinish(pg[0]);
    PQfinish(pg[1]);
    redisFree(redis);
    return same && answers[0] > 0 ? 0 : 1;
}
