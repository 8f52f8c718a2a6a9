/*
 * storage_test.c - storage/ against a real redis-server and PostgreSQL
 * (started by storage_test.sh, passed in RAIA_REDIS_URL, RAIA_REDIS_PORT and
 * RAIA_PG_CONNINFO).
 *
 * Checks: migrations apply once; a save stores state and events atomically
 * with a TTL; the writer lands exactly the expected rows and empties the
 * stream; entries left unacknowledged by a crashed writer are written once;
 * a poison entry goes to the dead-letter stream without blocking the rest;
 * replaying a batch inserts nothing twice.
 */
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "batch_params.h"
#include "clock_ms.h"
#include "erase.h"
#include "log.h"
#include "pg_migrate.h"
#include "pg_writer.h"
#include "redis_store.h"
#include "sql_text.h"
#include "store_event.h"
#include "test_help.h"

#define PSEUD_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PSEUD_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define PSEUD_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define SESSION_A "0123456789abcdef0123456789abcdef"
#define SESSION_B "fedcba9876543210fedcba9876543210"

static const char *redis_url, *pg_conninfo;
static redisContext *redis;
static PGconn *pg;
static struct event_base *base;

static long long sql_count(const char *query)
{
    PGresult *res = PQexec(pg, query);
    long long n = PQresultStatus(res) == PGRES_TUPLES_OK ? atoll(PQgetvalue(res, 0, 0)) : -1;
    if (n < 0 && PQstatus(pg) == CONNECTION_OK)
        printf("sql: %s", PQresultErrorMessage(res));
    PQclear(res);
    return n;
}

static long long redis_int(const char *fmt, const char *arg)
{
    redisReply *r = redisCommand(redis, fmt, arg);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
}

/* An event of kind at at_ms in pseudonym's USSD community-report session,
 * begun at started_ms; the caller adds an answer or an outcome. */
static struct store_event community_event(enum store_event_kind kind, long long at_ms,
                                          const char *pseudonym, const char *session,
                                          long long started_ms)
{
    return (struct store_event){.kind = kind,
                                .at_ms = at_ms,
                                .flow_id = "community-report",
                                .flow_version = 1,
                                .consent_version = "cr-consent-1",
                                .channel = "ussd",
                                .operator_name = "operator-a",
                                .session_id = session,
                                .pseudonym = pseudonym,
                                .language = "en",
                                .started_ms = started_ms,
                                .ttl_s = 600};
}

/* An event of one of person A's community-report sessions at at_ms, encoded into out. */
static void event_json_at(struct strbuf *out, enum store_event_kind kind, long long at_ms,
                          const char *session, const char *question, const char *code,
                          const char *value)
{
    struct store_event ev = community_event(kind, at_ms, PSEUD_A, session, 1763999990000);
    ev.question_id = question;
    ev.code = code;
    ev.value = value;
    ev.outcome = kind == STORE_EVENT_END ? "completed" : NULL;
    strbuf_reset(out);
    test_cond("event encodes", store_event_json(&ev, out) == 0);
}

static void event_json(struct strbuf *out, enum store_event_kind kind, const char *session,
                       const char *question, const char *code, const char *value)
{
    event_json_at(out, kind, 1764000000000, session, question, code, value);
}

/* ---- running the event loop until a condition holds (bounded) ---- */

static int (*waiting_for)(void);

static void on_tick(evutil_socket_t fd, short what, void *ctx)
{
    (void)fd;
    (void)what;
    (void)ctx;
    if (waiting_for())
        event_base_loopbreak(base);
}

static int run_until(int (*cond)(void), int seconds)
{
    waiting_for = cond;
    struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
    struct timeval every = {0, 50 * 1000};
    event_add(tick, &every);
    for (int i = 0; i < seconds * 20 && !cond(); i++)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(tick);
    return cond();
}

/* ---- redis_store ---- */

static int save_status = 1, load_status = 1;
static char loaded[64], current[64]; /* current: the session a stale save found */
static int current_null;

static void on_saved(void *ctx, int status, const char *now, size_t len)
{
    (void)ctx;
    save_status = status;
    current_null = now == NULL;
    snprintf(current, sizeof current, "%.*s", (int)len, now ? now : "");
}

/* Saves blob (NULL: delete) with events, if the session is still expect (NULL: unchecked). */
static int save(struct redis_store *rs, const char *expect, const char *blob,
                const char *const *events, size_t n)
{
    struct redis_store_write w = {.expect = expect,
                                  .expect_len = expect ? strlen(expect) : 0,
                                  .blob = blob,
                                  .len = blob ? strlen(blob) : 0,
                                  .events = events,
                                  .n_events = n};
    save_status = 1;
    return redis_store_save(rs, PSEUD_A, &w, on_saved, NULL);
}

static void on_loaded(void *ctx, int status, const char *blob, size_t len)
{
    (void)ctx;
    load_status = status;
    snprintf(loaded, sizeof loaded, "%.*s", (int)len, blob ? blob : "");
}

static int save_done(void)
{
    return save_status != 1;
}
static int load_done(void)
{
    return load_status != 1;
}

static struct redis_store *store;

static int store_up(void)
{
    return redis_store_load(store, "probe", on_loaded, NULL) == 0;
}

/* Another store on the same Redis, under prefix with a flood limit, connected. */
static struct redis_store *limited_store(const char *prefix, int turns_per_minute)
{
    struct raia_err err = {0};
    struct redis_store_opts opts = {.url = redis_url,
                                    .session_ttl_s = 600,
                                    .prefix = prefix,
                                    .turns_per_minute = turns_per_minute};
    struct redis_store *other = redis_store_new(base, &opts, &err);
    struct redis_store *saved = store;
    store = other; /* store_up probes the global store */
    run_until(store_up, 10);
    store = saved;
    return other;
}

/* A second store on the same Redis with a limit of 3 turns a minute. */
static void test_rate_limit(const char *event)
{
    struct redis_store *limited = limited_store("rl-test:", 3);
    int statuses[4];
    for (int i = 0; i < 4; i++) {
        save(limited, NULL, "s", &event, 1);
        run_until(save_done, 5);
        statuses[i] = save_status;
    }
    test_cond("three turns in a minute pass", !statuses[0] && !statuses[1] && !statuses[2]);
    test_cond("the fourth is refused", statuses[3] == -RAIA_EFULL);
    test_cond("nothing of the refused turn stored", redis_int("XLEN %s", "rl-test:answers") == 3);
    /* A turn with an erasure goes through the other save script; it counts alike. */
    struct strbuf erase = {0};
    struct store_event er = {
        .kind = STORE_EVENT_ERASE, .at_ms = 1764000000000, .pseudonym = PSEUD_A};
    test_cond("erase event encodes", store_event_json(&er, &erase) == 0);
    const char *erase_doc = strbuf_cstr(&erase);
    save(limited, NULL, "s", &erase_doc, 1);
    run_until(save_done, 5);
    test_cond("a turn with an erasure is refused too", save_status == -RAIA_EFULL);
    test_cond("and left no event and no tombstone",
              redis_int("XLEN %s", "rl-test:answers") == 3 &&
                  redis_int("ZCARD %s", "rl-test:nocontact") == 0);
    strbuf_free(&erase);
    redis_store_free(limited);
}

/* The calls of Lua scripts Redis has run (EVAL and EVALSHA), from INFO commandstats. */
static long long script_calls(void)
{
    redisReply *r = redisCommand(redis, "INFO commandstats");
    long long calls = 0;
    const char *names[] = {"cmdstat_eval:calls=", "cmdstat_evalsha:calls="};
    for (size_t i = 0; i < 2 && r && r->type == REDIS_REPLY_STRING; i++) {
        const char *at = strstr(r->str, names[i]);
        calls += at ? atoll(at + strlen(names[i])) : 0;
    }
    freeReplyObject(r);
    return calls;
}

struct turn_outcome {
    int status; /* 1 until the callback */
    int none;   /* a stale turn found no session */
};

static void on_turn_saved(void *ctx, int status, const char *now, size_t len)
{
    struct turn_outcome *o = ctx;
    (void)len;
    o->status = status;
    o->none = now == NULL;
}

/* A turn that expects the session expect (NULL: that there is none) and leaves blob. */
static struct redis_store_write turn_write(const char *expect, const char *blob,
                                           const char *const *events, size_t n)
{
    return (struct redis_store_write){.expect = expect,
                                      .expect_len = expect ? strlen(expect) : 0,
                                      .expect_absent = expect == NULL,
                                      .blob = blob,
                                      .len = strlen(blob),
                                      .events = events,
                                      .n_events = n};
}

static struct turn_outcome turns[5];

static int turns_done(void)
{
    for (size_t i = 0; i < sizeof turns / sizeof turns[0]; i++)
        if (turns[i].status == 1)
            return 0;
    return 1;
}

/* Turns saved in one pass of the event loop go to Redis in one script call,
 * run in order, each with its own outcome; a store limited to 2 turns a
 * minute, so that the turn counters travel with them. */
static void test_turns_share_a_call(const char *event)
{
    struct redis_store *batched = limited_store("tb-test:", 2);
    freeReplyObject(redisCommand(redis, "SET tb-test:s:%s b-1", PSEUD_B));
    const char *two[] = {event, event};
    struct redis_store_write writes[5] = {
        turn_write("b-1", "b-2", &event, 1), turn_write("c-1", "c-2", &event, 1),
        turn_write(NULL, "a-1", two, 2),     turn_write("a-1", "a-2", &event, 1),
        turn_write("a-2", "a-3", &event, 1),
    };
    const char *who[5] = {PSEUD_B, PSEUD_C, PSEUD_A, PSEUD_A, PSEUD_A};
    long long calls = script_calls();
    int queued = 1;
    for (int i = 0; i < 5; i++) {
        turns[i].status = 1;
        queued &= redis_store_save(batched, who[i], &writes[i], on_turn_saved, &turns[i]) == 0;
    }
    test_cond("five turns queued, no callback yet", queued && turns[0].status == 1);
    test_cond("their outcomes arrive", run_until(turns_done, 5));
    test_cond("in one script call", script_calls() - calls == 1);
    test_cond("a turn from its session's state is saved", turns[0].status == 0);
    test_cond("a turn from a state that is gone is refused with none",
              turns[1].status == -RAIA_ESTALE && turns[1].none);
    test_cond("a person's turns in one call run in order",
              turns[2].status == 0 && turns[3].status == 0);
    test_cond("and the third in the minute is over the limit", turns[4].status == -RAIA_EFULL);
    test_cond("the stream holds the saved turns' events, in order of the turns",
              redis_int("XLEN %s", "tb-test:answers") == 4);
    redisReply *a = redisCommand(redis, "MGET tb-test:s:%s tb-test:s:%s tb-test:s:%s", PSEUD_B,
                                 PSEUD_C, PSEUD_A);
    test_cond(
        "the sessions are as the saved turns left them",
        a && a->type == REDIS_REPLY_ARRAY && a->elements == 3 &&
            a->element[0]->type == REDIS_REPLY_STRING && strcmp(a->element[0]->str, "b-2") == 0 &&
            a->element[1]->type == REDIS_REPLY_NIL && a->element[2]->type == REDIS_REPLY_STRING &&
            strcmp(a->element[2]->str, "a-2") == 0);
    freeReplyObject(a);
    /* A load after a queued turn goes to Redis after it, as when each turn was a call. */
    struct redis_store_write next = turn_write("b-2", "b-3", &event, 1);
    turns[0].status = 1;
    load_status = 1;
    redis_store_save(batched, PSEUD_B, &next, on_turn_saved, &turns[0]);
    redis_store_load(batched, PSEUD_B, on_loaded, NULL);
    run_until(load_done, 5);
    run_until(turns_done, 5);
    test_cond("a load after a queued turn sees it saved",
              turns[0].status == 0 && load_status == 0 && strcmp(loaded, "b-3") == 0);
    redis_store_free(batched);
}

static void test_store(void)
{
    struct raia_err err = {0};
    struct redis_store_opts opts = {.url = redis_url, .session_ttl_s = 600, .prefix = "t:"};
    store = redis_store_new(base, &opts, &err);
    test_cond("store created", store != NULL);
    test_cond("store connects", run_until(store_up, 10));
    run_until(load_done, 5);
    test_cond("unknown session is not found", load_status == -RAIA_ENOTFOUND);

    struct strbuf ev[3] = {{0}};
    event_json(&ev[0], STORE_EVENT_SESSION, SESSION_A, NULL, NULL, NULL);
    event_json(&ev[1], STORE_EVENT_ANSWER, SESSION_A, "category", "water", "Water point");
    event_json(&ev[2], STORE_EVENT_ANSWER, SESSION_A, "severity", NULL, "4");
    const char *events[3] = {strbuf_cstr(&ev[0]), strbuf_cstr(&ev[1]), strbuf_cstr(&ev[2])};
    test_cond("save sent", save(store, NULL, "state-1", events, 3) == 0);
    run_until(save_done, 5);
    test_cond("save confirmed", save_status == 0);
    test_cond("stream holds the 3 events", redis_int("XLEN %s", "t:answers") == 3);
    long long ttl = redis_int("TTL %s", "t:s:" PSEUD_A);
    test_cond("session has the TTL", ttl > 590 && ttl <= 600);

    load_status = 1;
    redis_store_load(store, PSEUD_A, on_loaded, NULL);
    run_until(load_done, 5);
    test_cond("session loads", load_status == 0 && strcmp(loaded, "state-1") == 0);

    event_json(&ev[0], STORE_EVENT_ANSWER, SESSION_A, "details", NULL, "Pump broken");
    event_json(&ev[1], STORE_EVENT_END, SESSION_A, NULL, NULL, NULL);
    save(store, "state-0", NULL, events, 2);
    run_until(save_done, 5);
    test_cond("a save from a stale state is refused with the session as it is",
              save_status == -RAIA_ESTALE && strcmp(current, "state-1") == 0);
    test_cond("nothing of the stale save written", redis_int("XLEN %s", "t:answers") == 3 &&
                                                       redis_int("EXISTS %s", "t:s:" PSEUD_A) == 1);
    save(store, "state-1", NULL, events, 2);
    run_until(save_done, 5);
    test_cond("final save confirmed", save_status == 0);
    test_cond("session deleted at the end", redis_int("EXISTS %s", "t:s:" PSEUD_A) == 0);
    test_cond("stream holds 5 events", redis_int("XLEN %s", "t:answers") == 5);
    save(store, "state-1", "state-2", events, 0);
    run_until(save_done, 5);
    test_cond("a save expecting a session that expired is refused with none",
              save_status == -RAIA_ESTALE && current_null);
    struct redis_store_write fresh = {.expect_absent = 1, .blob = "new", .len = 3};
    save_status = 1;
    redis_store_save(store, PSEUD_A, &fresh, on_saved, NULL);
    run_until(save_done, 5);
    test_cond("a save that expects no session saves when there is none", save_status == 0);
    save_status = 1;
    redis_store_save(store, PSEUD_A, &fresh, on_saved, NULL);
    run_until(save_done, 5);
    test_cond("and is refused with the session when there is one",
              save_status == -RAIA_ESTALE && strcmp(current, "new") == 0);
    redis_int("SCRIPT %s", "FLUSH");
    save(store, NULL, "state-3", events, 0);
    run_until(save_done, 5);
    test_cond("after SCRIPT FLUSH one save fails", save_status == -RAIA_EIO);
    save(store, NULL, NULL, events, 0);
    run_until(save_done, 5);
    test_cond("and the next ones work again", save_status == 0);
    test_rate_limit(events[0]);
    test_turns_share_a_call(events[0]);
    for (int i = 0; i < 3; i++)
        strbuf_free(&ev[i]);
}

/* ---- pg_writer ---- */

/* A writer on the test's servers: the stream PREFIX "answers", one consumer
 * of the group, at most batch_max entries a batch; gate NULL: its own. */
static struct pg_writer *test_writer(const char *prefix, const char *consumer, int batch_max,
                                     struct pg_writer_gate *gate)
{
    struct raia_err err = {0};
    struct pg_writer_opts opts = {.conninfo = pg_conninfo,
                                  .redis_url = redis_url,
                                  .prefix = prefix,
                                  .consumer = consumer,
                                  .batch_max = batch_max,
                                  .gate = gate};
    return pg_writer_new(base, &opts, &err);
}

static int writer_landed(void)
{
    return sql_count("SELECT count(*) FROM answers") == 3 &&
           sql_count("SELECT count(*) FROM sessions WHERE outcome = 'completed'") == 1;
}

static int stream_empty(void)
{
    return redis_int("XLEN %s", "t:answers") == 0;
}

static void test_writer_lands_rows(void)
{
    struct pg_writer *w = test_writer("t:", "test-1", 2, NULL);
    test_cond("writer created", w != NULL);
    test_cond("writer lands 3 answers and 1 completed session", run_until(writer_landed, 15));
    PGresult *res = PQexec(pg, "SELECT a.question_id, coalesce(a.code,''), a.value, s.pseudonym,"
                               " s.channel, s.operator, s.consent_version"
                               " FROM answers a JOIN sessions s USING (session_id)"
                               " ORDER BY a.answer_id");
    const char *expect[3][3] = {{"category", "water", "Water point"},
                                {"severity", "", "4"},
                                {"details", "", "Pump broken"}};
    int rows_ok = PQntuples(res) == 3;
    for (int i = 0; rows_ok && i < 3; i++)
        for (int c = 0; c < 3; c++)
            rows_ok &= strcmp(PQgetvalue(res, i, c), expect[i][c]) == 0;
    rows_ok &= rows_ok && strcmp(PQgetvalue(res, 0, 3), PSEUD_A) == 0 &&
               strcmp(PQgetvalue(res, 0, 4), "ussd") == 0 &&
               strcmp(PQgetvalue(res, 0, 6), "cr-consent-1") == 0;
    PQclear(res);
    test_cond("exact answer rows", rows_ok);
    test_cond("stream emptied after ack", run_until(stream_empty, 10));
    pg_writer_free(w);
}

/* A writer that read entries and died before COMMIT: its successor (same
 * consumer name after a restart) writes them exactly once. */
static int replay_landed(void)
{
    return sql_count("SELECT count(*) FROM answers WHERE session_id = '" SESSION_B "'") == 1;
}

static int poison_parked(void)
{
    return redis_int("XLEN %s", "t:answers:dead") == 3 && stream_empty();
}

/* 1 when the dead-letter stream holds an entry whose err contains what. */
static int dead_letter_says(const char *what)
{
    redisReply *r = redisCommand(redis, "XRANGE t:answers:dead - +");
    int found = 0;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *f = r->element[i]->element[1];
        for (size_t j = 0; j + 1 < f->elements; j += 2)
            found |= strcmp(f->element[j]->str, "err") == 0 && strstr(f->element[j + 1]->str, what);
    }
    freeReplyObject(r);
    return found;
}

static void test_crash_replay_and_poison(void)
{
    struct strbuf ev = {0}, refused = {0}, not_utf8 = {0};
    event_json(&ev, STORE_EVENT_ANSWER, SESSION_B, "category", "clinic", "Clinic");
    event_json(&refused, STORE_EVENT_ANSWER, "not-a-session-id", "category", "clinic", "Clinic");
    event_json(&not_utf8, STORE_EVENT_ANSWER, SESSION_B, "details", NULL, "Pump \xff broken");
    redisReply *r = redisCommand(redis, "XADD t:answers * e %s", strbuf_cstr(&ev));
    freeReplyObject(r);
    r = redisCommand(redis, "XADD t:answers * e %s", "{not json");
    freeReplyObject(r);
    r = redisCommand(redis, "XADD t:answers * e %s", strbuf_cstr(&refused));
    freeReplyObject(r);
    r = redisCommand(redis, "XADD t:answers * e %s", strbuf_cstr(&not_utf8));
    freeReplyObject(r);
    r = redisCommand(redis, "XREADGROUP GROUP t:writers test-2 COUNT 10 STREAMS t:answers >");
    test_cond("crashed consumer holds 4 entries",
              r && r->type == REDIS_REPLY_ARRAY && r->element[0]->element[1]->elements == 4);
    freeReplyObject(r);

    struct pg_writer *w = test_writer("t:", "test-2", 10, NULL);
    test_cond("restarted writer lands the pending answer", run_until(replay_landed, 15));
    test_cond("the three poison entries dead-lettered", run_until(poison_parked, 10));
    test_cond("the one the writer cannot read, with why",
              dead_letter_says("is not a stream document: expected a string"));
    test_cond("the one PostgreSQL refuses, with PostgreSQL's message",
              dead_letter_says("violates check constraint 'sessions_session_id_check'"));
    test_cond("and text that is not UTF-8, which PostgreSQL checks",
              dead_letter_says("invalid byte sequence for encoding 'UTF8'"));
    test_cond("nothing of them stored",
              sql_count("SELECT count(*) FROM answers WHERE question_id = 'details'"
                        " AND session_id = '" SESSION_B "'") == 0);
    pg_writer_free(w);
    strbuf_free(&refused);
    strbuf_free(&not_utf8);
    r = redisCommand(redis, "XPENDING t:answers t:writers");
    test_cond("nothing left pending",
              r && r->type == REDIS_REPLY_ARRAY && r->element[0]->integer == 0);
    freeReplyObject(r);
    strbuf_free(&ev);
}

/* PostgreSQL goes away with an entry in flight: the writer retries with
 * backoff and lands it once the server is back. */
static int outage_landed(void)
{
    return sql_count("SELECT count(*) FROM answers WHERE question_id = 'during_outage'") == 1;
}

/* Same options as scripts/lib/servers.sh starts it with. */
static int pg_ctl(const char *action)
{
    const char *dir = getenv("RAIA_SERVERS_DIR");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "runuser -u postgres -- %s/pg_ctl -D %s/pg/data -l %s/pg/postgres.log -w -m fast "
             "-o '-p %s -k %s/pg -c listen_addresses=127.0.0.1 -c fsync=off' %s >/dev/null",
             getenv("RAIA_PG_BINDIR"), dir, dir, getenv("RAIA_PG_PORT"), dir, action);
    return system(cmd);
}

static void test_postgres_outage(void)
{
    struct pg_writer *w = test_writer("t:", "test-3", 10, NULL);
    run_until(stream_empty, 5);
    test_cond("postgres stopped", pg_ctl("stop") == 0);
    struct strbuf ev = {0};
    event_json(&ev, STORE_EVENT_ANSWER, SESSION_B, "during_outage", NULL, "x");
    redisReply *r = redisCommand(redis, "XADD t:answers * e %s", strbuf_cstr(&ev));
    freeReplyObject(r);
    strbuf_free(&ev);
    run_until(outage_landed, 2); /* cannot land: the writer keeps retrying */
    test_cond("entry waits in the stream while postgres is down", !stream_empty());
    test_cond("postgres restarted", pg_ctl("start") == 0);
    PQfinish(pg);
    pg = PQconnectdb(pg_conninfo);
    test_cond("writer lands the entry after the outage", run_until(outage_landed, 20));
    test_cond("and acks it", run_until(stream_empty, 10));
    pg_writer_free(w);
}

/* Runs the batch statement over one event with stream id id, with the
 * parameters the writer builds. */
static int write_one(const char *id, const struct strbuf *ev)
{
    struct batch_params params = {0};
    batch_params_reset(&params);
    const char *why = "";
    if (batch_params_add(&params, id, strbuf_cstr(ev), &why) < 0) {
        fprintf(stderr, "write_one %s: %s\n", id, why);
        batch_params_free(&params);
        return 0;
    }
    struct pg_params p = batch_params_finish(&params);
    PGresult *res = PQexecParams(pg, sql_write_batch, p.n, NULL, p.values, p.lengths, p.formats, 0);
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "write_one %s: %s", id, PQresultErrorMessage(res));
    PQclear(res);
    batch_params_free(&params);
    return ok;
}

/* 013_session_checks: the faster checks accept and refuse what the regexes did. */
static void test_session_ids_are_checked(void)
{
    struct strbuf ev = {0};
    static const char *const bad[] = {
        "5e55104ABCDEF0123456789abcdef012",  /* upper case */
        "5e55104abcdef0123456789abcdef01",   /* 31 */
        "5e55104abcdef0123456789abcdef0123", /* 33 */
        "5e55104abcdef0123456789abcdef01g",  /* not hex */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        event_json(&ev, STORE_EVENT_SESSION, bad[i], NULL, NULL, NULL);
        test_cond("a malformed session id is refused", !write_one("7-1", &ev));
    }
    test_cond("and nothing of it stored",
              sql_count("SELECT count(*) FROM sessions WHERE session_id ILIKE '5e55104%'") == 0);
    event_json(&ev, STORE_EVENT_SESSION, "5e55104abcdef0123456789abcdef012", NULL, NULL, NULL);
    test_cond("a well-formed one is stored", write_one("7-2", &ev));
    strbuf_free(&ev);
}

static void test_batch_replay_is_idempotent(void)
{
    struct strbuf ev = {0};
    event_json(&ev, STORE_EVENT_ANSWER, SESSION_B, "severity", NULL, "2");
    for (int i = 0; i < 2; i++)
        test_cond("batch statement runs", write_one("1-1", &ev));
    test_cond("replayed batch stored once",
              sql_count("SELECT count(*) FROM answers WHERE stream_id = '1-1'") == 1);
    strbuf_free(&ev);
}

/*
 * A citizen's erasure from the "my data" menu travels the stream as an
 * 'erase' event: the writer deletes that person's earlier sessions (of one
 * flow, or all), opens an opt-out for a withdrawn flow, audits it, and
 * drops a late event of an erased session instead of storing it again.
 */
static void test_erase_event(void)
{
#define PSEUD_E "0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e"
#define OF_E " FROM sessions WHERE pseudonym = '" PSEUD_E "'"
    struct store_event ev = community_event(STORE_EVENT_ANSWER, 1764000100000, PSEUD_E,
                                            "9999999999999999999999999999999a", 1764000000000);
    ev.question_id = "category";
    ev.code = "water";
    ev.value = "Water point";
    struct strbuf a = {0}, b = {0}, late = {0}, erase = {0}, all = {0};
    store_event_json(&ev, &a);
    ev.flow_id = "disability-wg-ss";
    ev.session_id = "9999999999999999999999999999999b";
    ev.question_id = "seeing";
    ev.code = "1";
    store_event_json(&ev, &b);
    ev.question_id = "hearing"; /* reaches PostgreSQL after the erasure */
    store_event_json(&ev, &late);
    test_cond("two sessions of one person stored", write_one("8-1", &a) && write_one("8-2", &b) &&
                                                       sql_count("SELECT count(*)" OF_E) == 2);
    struct store_event er = {.kind = STORE_EVENT_ERASE,
                             .at_ms = 1764000500000,
                             .pseudonym = PSEUD_E,
                             .flow_id = "disability-wg-ss"};
    test_cond("erase event encodes", store_event_json(&er, &erase) == 0);
    test_cond("withdrawal from one flow written", write_one("8-3", &erase));
    test_cond("that flow's session and answers are gone, the other stays",
              sql_count("SELECT count(*)" OF_E " AND flow_id = 'disability-wg-ss'") == 0 &&
                  sql_count("SELECT count(*)" OF_E " AND flow_id = 'community-report'") == 1 &&
                  sql_count("SELECT count(*) FROM answers WHERE stream_id IN ('8-1','8-2')") == 1);
    test_cond("withdrawal is an opt-out from that flow",
              sql_count("SELECT count(*) FROM opt_outs WHERE pseudonym = '" PSEUD_E
                        "' AND flow_id = 'disability-wg-ss' AND lifted_at IS NULL") == 1);
    test_cond("withdrawal audited with counts",
              sql_count("SELECT count(*) FROM audit_log WHERE actor = 'citizen' AND action ="
                        " 'withdraw' AND detail->>'sessions' = '1' AND detail->>'answers' = '1'"
                        " AND detail->>'stream_id' = '8-3'") == 1);
    test_cond("a late event of the erased session is dropped",
              write_one("8-4", &late) &&
                  sql_count("SELECT count(*)" OF_E " AND flow_id = 'disability-wg-ss'") == 0);
    test_cond("replaying the erasure adds nothing",
              write_one("8-3", &erase) &&
                  sql_count("SELECT count(*) FROM audit_log WHERE detail->>'stream_id' = '8-3'") ==
                      1);
    er.flow_id = NULL;
    er.at_ms = 1764000600000;
    store_event_json(&er, &all);
    test_cond("erasing everything leaves nothing of the person",
              write_one("8-5", &all) && sql_count("SELECT count(*)" OF_E) == 0 &&
                  sql_count("SELECT count(*) FROM audit_log WHERE action = 'erase' AND "
                            "detail->>'sessions' = '1'") == 1);
    ev.session_id = "9999999999999999999999999999999c"; /* began after the erasure */
    ev.started_ms = 1764000700000;
    strbuf_reset(&late);
    store_event_json(&ev, &late);
    test_cond("a session begun after the erasure is stored",
              write_one("8-6", &late) && sql_count("SELECT count(*)" OF_E) == 1);
    strbuf_free(&a);
    strbuf_free(&b);
    strbuf_free(&late);
    strbuf_free(&erase);
    strbuf_free(&all);
#undef OF_E
#undef PSEUD_E
}

/* A session whose state expired in Redis without an end is marked
 * timed_out by the next batch; an end event that was still in a backlog
 * replaces the mark. */
static void test_timed_out(void)
{
#define SESSION_T "7777777777777777777777777777777a"
    PQclear(PQexec(pg, "INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version,"
                       " consent_version, channel, operator, language, started_at, last_seen_at,"
                       " ttl_s) VALUES ('" SESSION_T "', repeat('e', 64), 'f', 1, 'c1', 'ussd',"
                       " 'op', 'en', now() - interval '1 hour', now() - interval '20 minutes',"
                       " 600), ('7777777777777777777777777777777b', repeat('e', 64), 'f', 1,"
                       " 'c1', 'ussd', 'op', 'en', now(), now(), 600)"));
    const char *grace[1] = {"60"};
    PGresult *res = PQexecParams(pg, sql_sweep_timeouts, 1, NULL, grace, NULL, NULL, 0);
    test_cond("the sweep runs and marks one session",
              PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "1") == 0);
    PQclear(res);
    test_cond("the expired session is timed out, at its last turn",
              sql_count("SELECT count(*) FROM sessions WHERE session_id = '" SESSION_T "'"
                        " AND outcome = 'timed_out' AND ended_at = last_seen_at") == 1);
    test_cond("a live session is left open",
              sql_count("SELECT count(*) FROM sessions WHERE outcome IS NULL AND"
                        " session_id = '7777777777777777777777777777777b'") == 1);
    /* last_seen_at moves in 30 s steps: an answer after it is the end. */
    PQclear(PQexec(pg, "UPDATE sessions SET outcome = NULL WHERE session_id = '" SESSION_T "';"
                       "INSERT INTO answers (stream_id, session_id, question_id, code,"
                       " answered_at) VALUES ('71-1', '" SESSION_T "', 'q', 'a',"
                       " now() - interval '19 minutes 50 seconds')"));
    res = PQexecParams(pg, sql_sweep_timeouts, 1, NULL, grace, NULL, NULL, 0);
    PQclear(res);
    test_cond("a timed-out session ends at its last answer when that came later",
              sql_count("SELECT count(*) FROM sessions s JOIN answers a USING (session_id)"
                        " WHERE session_id = '" SESSION_T "' AND outcome = 'timed_out'"
                        " AND s.ended_at = a.answered_at") == 1);
    struct strbuf ev = {0};
    event_json(&ev, STORE_EVENT_END, SESSION_T, NULL, NULL, NULL);
    test_cond("a late end event is written", write_one("5-2", &ev));
    test_cond("and replaces the mark",
              sql_count("SELECT count(*) FROM sessions WHERE session_id = '" SESSION_T "'"
                        " AND outcome = 'completed'") == 1);
    strbuf_free(&ev);
#undef SESSION_T
}

/* An answer rewrites its session row only when the sweep or a reader
 * needs it: the end, or last_seen_at 30 s on. */
static void test_session_rewrites(void)
{
#define SESSION_R "7777777777777777777777777777777e"
    static const long long at[] = {1764000000000, 1764000005000, 1764000040000};
    const char *xmin = "SELECT xmin::text::bigint FROM sessions WHERE session_id = '" SESSION_R "'";
    long long first = 0;
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        struct strbuf doc = {0};
        char id[16];
        snprintf(id, sizeof id, "72-%zu", i);
        event_json_at(&doc, STORE_EVENT_ANSWER, at[i], SESSION_R, i ? "severity" : "category", "2",
                      NULL);
        test_cond("answer written", write_one(id, &doc));
        strbuf_free(&doc);
        if (i == 0)
            first = sql_count(xmin);
        if (i == 1)
            test_cond("an answer 5 s later leaves the session row as it was",
                      sql_count(xmin) == first &&
                          sql_count("SELECT count(*) FROM sessions WHERE session_id = '" SESSION_R
                                    "' AND last_seen_at = to_timestamp(1764000000)") == 1);
    }
    test_cond("an answer 40 s later moves last_seen_at",
              sql_count("SELECT count(*) FROM sessions WHERE session_id = '" SESSION_R
                        "' AND last_seen_at = to_timestamp(1764000040)") == 1);
    struct strbuf end = {0};
    event_json(&end, STORE_EVENT_END, SESSION_R, NULL, NULL, NULL);
    test_cond("the end is written", write_one("72-9", &end));
    test_cond("and recorded",
              sql_count("SELECT count(*) FROM sessions WHERE session_id = '" SESSION_R
                        "' AND outcome = 'completed' AND ended_at IS NOT NULL") == 1);
    strbuf_free(&end);
#undef SESSION_R
}

/* The answer that completes a session carries its end (store_event.c): the
 * session is completed at that answer, as an end event would complete it. */
static void test_answer_ends_session(void)
{
#define SESSION_E "7777777777777777777777777777777f"
    struct strbuf doc = {0};
    struct store_event ev =
        community_event(STORE_EVENT_ANSWER, 1764000007000, PSEUD_A, SESSION_E, 1763999990000);
    ev.question_id = "details";
    ev.value = "Pump broken";
    ev.outcome = "completed";
    test_cond("an answer that ends its session encodes its outcome",
              store_event_json(&ev, &doc) == 0 &&
                  strstr(strbuf_cstr(&doc), ",\"outcome\":\"completed\"}") != NULL);
    const char *stored = "SELECT count(*) FROM answers WHERE stream_id = '73-1'"
                         " AND session_id = '" SESSION_E "' AND value = 'Pump broken'";
    const char *ended = "SELECT count(*) FROM sessions WHERE session_id = '" SESSION_E "'"
                        " AND outcome = 'completed' AND ended_at = to_timestamp(1764000007)";
    test_cond("it is written", write_one("73-1", &doc));
    test_cond("the answer is stored", sql_count(stored) == 1);
    test_cond("and its session completed at it", sql_count(ended) == 1);
    test_cond("written again, it changes nothing",
              write_one("73-1", &doc) && sql_count(stored) == 1 && sql_count(ended) == 1);
    strbuf_free(&doc);
#undef SESSION_E
}

/* Only the session event carries the flow's checksum (session.c). When
 * another writer stores an answer first, its session row waits without a
 * checksum, and the session event fills it in. */
static void test_checksum_from_session_event(void)
{
#define SESSION_K "7777777777777777777777777777777d"
#define CHECKSUM_K "0f1e2d3c0f1e2d3c0f1e2d3c0f1e2d3c0f1e2d3c0f1e2d3c0f1e2d3c0f1e2d3c"
    struct strbuf answer = {0}, session = {0};
    event_json_at(&answer, STORE_EVENT_ANSWER, 1764000003000, SESSION_K, "category", "2", NULL);
    struct store_event ev =
        community_event(STORE_EVENT_SESSION, 1763999990000, PSEUD_A, SESSION_K, 1763999990000);
    ev.flow_checksum = CHECKSUM_K;
    test_cond("a session event encodes", store_event_json(&ev, &session) == 0);
    const char *checksum = "SELECT count(*) FROM sessions WHERE session_id = '" SESSION_K "'"
                           " AND flow_checksum = '" CHECKSUM_K "'";
    test_cond("the answer is written first", write_one("74-2", &answer));
    test_cond("its session row has no checksum yet",
              sql_count("SELECT count(*) FROM sessions WHERE session_id = '" SESSION_K "'"
                        " AND flow_checksum IS NULL") == 1);
    test_cond("the session event is written", write_one("74-1", &session));
    test_cond("and brings the checksum", sql_count(checksum) == 1);
    strbuf_free(&answer);
    strbuf_free(&session);
#undef CHECKSUM_K
#undef SESSION_K
}

/* Two writers sharing a gate, each reading three entries at a time, over
 * thirty rounds of one person's session (six events) then its erasure: an
 * erasure never runs beside a batch that stores that person's answers, so
 * nothing erased is left. */
#define PSEUD_G "0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d"
static int gate_done(void)
{
    return redis_int("XLEN %s", "g:answers") == 0 &&
           sql_count("SELECT count(*) FROM erasures WHERE pseudonym = '" PSEUD_G "'") == 30;
}

static void test_two_writers_and_erasures(void)
{
    struct strbuf doc = {0};
    for (int round = 0; round < 30; round++) {
        char session[33];
        snprintf(session, sizeof session, "5e%030d", round);
        long long t0 = 1764100000000LL + round * 100000LL;
        struct store_event ev = community_event(STORE_EVENT_SESSION, t0, PSEUD_G, session, t0);
        static const char *const questions[] = {"category", "severity", "details", "area"};
        for (int e = 0; e < 6; e++) {
            ev.kind = e == 0 ? STORE_EVENT_SESSION : e == 5 ? STORE_EVENT_END : STORE_EVENT_ANSWER;
            ev.at_ms = t0 + e * 1000;
            ev.question_id = e >= 1 && e <= 4 ? questions[e - 1] : NULL;
            ev.value = ev.question_id ? "x" : NULL;
            ev.outcome = e == 5 ? "completed" : NULL;
            strbuf_reset(&doc);
            store_event_json(&ev, &doc);
            freeReplyObject(redisCommand(redis, "XADD g:answers * e %s", strbuf_cstr(&doc)));
        }
        struct store_event er = {
            .kind = STORE_EVENT_ERASE, .at_ms = t0 + 10000, .pseudonym = PSEUD_G};
        strbuf_reset(&doc);
        store_event_json(&er, &doc);
        freeReplyObject(redisCommand(redis, "XADD g:answers * e %s", strbuf_cstr(&doc)));
    }
    strbuf_free(&doc);
    struct pg_writer_gate gate = {0};
    struct pg_writer *w1 = test_writer("g:", "gate-1", 3, &gate);
    struct pg_writer *w2 = test_writer("g:", "gate-2", 3, &gate);
    int drained = w1 && w2 && run_until(gate_done, 20);
    test_cond("two writers drain thirty sessions and thirty erasures", drained);
    if (!drained) /* what is left, to tell a lost entry from a stuck trim */
        fprintf(stderr, "two writers: XLEN %lld, erasures %lld, holds %lld\n",
                redis_int("XLEN %s", "g:answers"),
                sql_count("SELECT count(*) FROM erasures WHERE pseudonym = '" PSEUD_G "'"),
                redis_int("HLEN %s", "g:answers:held"));
    test_cond("nothing erased is left",
              sql_count("SELECT count(*) FROM sessions WHERE pseudonym = '" PSEUD_G "'") == 0 &&
                  sql_count("SELECT count(*) FROM answers WHERE session_id LIKE '5e%'") == 0);
    test_cond("the gate is open again",
              gate.writing == 0 && gate.erasing == 0 && gate.erase_queued == 0);
    pg_writer_free(w1);
    pg_writer_free(w2);
}
#undef PSEUD_G

/* Two gateways on one database, each with its own stream, writers and
 * gate: X stores a person's next answer while Y erases that person. A
 * third connection holds the session row, so that both statements have
 * started (Y's first) before either can finish; then it lets go. Y's
 * erasure commits while X waits, and X, which must not take its snapshot
 * before that, drops the answer the erasure covers: nothing of the person
 * is left. In one statement X's snapshot would predate the erasure, and it
 * would insert the session again with the answer (docs/storage.md). */
#define PSEUD_R "1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d"
#define SESSION_R "1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d"
static int lock_waiters = 0;
/* Statements of the writers or of `raia forget` (a batch, a forget, or the
 * person locks before either) waiting on a lock. */
static int writers_waiting(void)
{
    return sql_count("SELECT count(*) FROM pg_stat_activity"
                     " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                     " AND (query LIKE '-- write_batch%' OR query LIKE '-- person_locks%'"
                     "      OR query LIKE 'WITH gone AS%')") >= lock_waiters;
}

static int race_drained(void)
{
    return redis_int("XLEN %s", "ya:answers") == 0 && redis_int("XLEN %s", "xa:answers") == 0;
}

/* For the race cases below: a person's first answer, stored at once, and
 * their next one, encoded into next; times are now, so that the writers'
 * sweep leaves the session alone. Returns a connection holding the
 * session row in an open transaction. */
static PGconn *race_setup(const char *session, const char *pseudonym, struct strbuf *next)
{
    long long now = clock_ms(CLOCK_REALTIME);
    struct store_event ev =
        community_event(STORE_EVENT_ANSWER, now - 9000, pseudonym, session, now - 10000);
    ev.question_id = "category";
    ev.code = "water";
    ev.value = "Water point";
    struct strbuf first = {0};
    store_event_json(&ev, &first);
    char id[40];
    snprintf(id, sizeof id, "%lld-0", now);
    test_cond("the person's session and first answer are stored", write_one(id, &first));
    strbuf_free(&first);
    ev.at_ms += 1000;
    ev.question_id = "severity";
    ev.code = "2";
    store_event_json(&ev, next);

    char sql[128];
    snprintf(sql, sizeof sql, "SELECT 1 FROM sessions WHERE session_id = '%s' FOR UPDATE", session);
    PGconn *holder = PQconnectdb(pg_conninfo);
    PQclear(PQexec(holder, "BEGIN"));
    PGresult *held = PQexec(holder, sql);
    test_cond("a third connection holds the session row", PQntuples(held) == 1);
    PQclear(held);
    return holder;
}

/* A writer of a "gateway" of its own (prefix, consumer and gate), whose
 * stream holds doc (NULL: what the caller put there). */
static struct pg_writer *race_writer(const char *prefix, const char *consumer,
                                     struct pg_writer_gate *gate, const struct strbuf *doc)
{
    char stream[32];
    snprintf(stream, sizeof stream, "%sanswers", prefix);
    if (doc)
        freeReplyObject(redisCommand(redis, "XADD %s * e %s", stream, strbuf_cstr(doc)));
    return test_writer(prefix, consumer, 10, gate);
}

/* Lets the statements waiting on conn's transaction go on. */
static void commit_and_finish(PGconn *conn)
{
    PQclear(PQexec(conn, "COMMIT"));
    PQfinish(conn);
}

/* Runs the loop until n statements wait on a lock (writers_waiting). */
static int lock_waiters_reach(int n)
{
    lock_waiters = n;
    return run_until(writers_waiting, 10);
}

static void test_erasure_races_another_gateway(void)
{
    struct strbuf next = {0}, erase = {0};
    PGconn *holder = race_setup(SESSION_R, PSEUD_R, &next);
    struct store_event er = {
        .kind = STORE_EVENT_ERASE, .at_ms = clock_ms(CLOCK_REALTIME) - 1000, .pseudonym = PSEUD_R};
    store_event_json(&er, &erase);
    struct pg_writer_gate gate_y = {0}, gate_x = {0};
    struct pg_writer *y = race_writer("ya:", "gateway-y", &gate_y, &erase);
    test_cond("gateway Y's erasure waits for the row", y && lock_waiters_reach(1));
    struct pg_writer *x = race_writer("xa:", "gateway-x", &gate_x, &next);
    test_cond("gateway X's batch with the next answer waits too", x && lock_waiters_reach(2));
    commit_and_finish(holder);
    test_cond("both streams drain", run_until(race_drained, 20));
    test_cond("the erasure is on record",
              sql_count("SELECT count(*) FROM erasures WHERE pseudonym = '" PSEUD_R "'") == 1);
    test_cond("and nothing of the person is left, the answer that raced it included",
              sql_count("SELECT count(*) FROM sessions WHERE pseudonym = '" PSEUD_R "'") == 0 &&
                  sql_count("SELECT count(*) FROM answers WHERE session_id = '" SESSION_R "'") ==
                      0);
    pg_writer_free(x);
    pg_writer_free(y);
    strbuf_free(&next);
    strbuf_free(&erase);
}
#undef PSEUD_R
#undef SESSION_R

/* `raia forget` while a writer's batch with that person's next answer is
 * already writing (held up by a third connection on the session row): the
 * forget waits for the batch's person lock, so it sees the answer and
 * deletes it with the session. Without the lock it would delete the
 * session and leave the answer, which no foreign key stops any more
 * (016_answers_session_key.sql). It runs in a child process: erase_person
 * blocks, and the writer needs this event loop. */
#define PSEUD_F "2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f"
#define SESSION_F "2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f"
static pid_t forget_pid;
static int forget_status = -1;
static int forget_done(void)
{
    if (forget_status < 0 && waitpid(forget_pid, &forget_status, WNOHANG) == 0)
        forget_status = -1;
    return forget_status >= 0 && redis_int("XLEN %s", "fa:answers") == 0;
}

static void test_forget_waits_for_a_batch(void)
{
    struct strbuf next = {0};
    PGconn *holder = race_setup(SESSION_F, PSEUD_F, &next);
    struct pg_writer_gate gate = {0};
    struct pg_writer *w = race_writer("fa:", "forget-race", &gate, &next);
    test_cond("the batch with the next answer waits for the row", w && lock_waiters_reach(1));
    forget_status = -1;
    forget_pid = fork();
    if (forget_pid == 0) {
        struct erase_target t = {.redis_url = redis_url,
                                 .prefix = "fa:",
                                 .conninfo = pg_conninfo,
                                 .actor = "storage_test"};
        struct erase_counts n;
        struct raia_err err = {0};
        _exit(erase_person(&t, PSEUD_F, &n, &err) == 0 ? 0 : 1);
    }
    test_cond("raia forget waits too", forget_pid > 0 && lock_waiters_reach(2));
    commit_and_finish(holder);
    test_cond("the batch lands and the forget ends", run_until(forget_done, 20) &&
                                                         WIFEXITED(forget_status) &&
                                                         WEXITSTATUS(forget_status) == 0);
    test_cond("nothing of the person is left, the answer of the batch included",
              sql_count("SELECT count(*) FROM sessions WHERE pseudonym = '" PSEUD_F "'") == 0 &&
                  sql_count("SELECT count(*) FROM answers WHERE session_id = '" SESSION_F "'") ==
                      0);
    pg_writer_free(w);
    strbuf_free(&next);
}
#undef PSEUD_F
#undef SESSION_F

/* One entry in two writers' batches at once: a writer took it over from a
 * consumer it thought dead (idle past CLAIM_IDLE_MS) that was in fact still
 * writing it. A third connection plays that consumer: the entry's answer
 * inserted, not yet committed. The writer's batch waits for it, then the
 * answer is there once and nothing goes to the dead-letter stream, however
 * write_batch.sql skips what is stored (with NOT EXISTS the batch fails on a
 * unique violation, and the writer's retry finds the answer). */
#define SESSION_D "3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d"
#define ENTRY_D "1764000000000-7"
static int duplicate_drained(void)
{
    return redis_int("XLEN %s", "da:answers") == 0;
}

static void test_duplicate_entry_in_flight(void)
{
    struct strbuf doc = {0};
    event_json(&doc, STORE_EVENT_ANSWER, SESSION_D, "category", "water", "Water point");
    freeReplyObject(redisCommand(redis, "XADD da:answers " ENTRY_D " e %s", strbuf_cstr(&doc)));
    PGconn *first = PQconnectdb(pg_conninfo);
    PQclear(PQexec(first, "BEGIN"));
    PGresult *r = PQexec(first, "INSERT INTO answers (stream_id, session_id, question_id, code, "
                                "value, answered_at) VALUES ('" ENTRY_D "', '" SESSION_D
                                "', 'category', 'water', 'Water point', now())");
    test_cond("the first writer has the entry's answer in flight",
              PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    struct pg_writer_gate gate = {0};
    struct pg_writer *w = race_writer("da:", "claimer", &gate, NULL);
    test_cond("the second writer's batch waits for it", w && lock_waiters_reach(1));
    commit_and_finish(first);
    test_cond("the stream drains", run_until(duplicate_drained, 20));
    test_cond("the answer is stored once",
              sql_count("SELECT count(*) FROM answers WHERE stream_id = '" ENTRY_D "'") == 1);
    test_cond("and nothing went to the dead-letter stream",
              redis_int("XLEN %s", "da:answers:dead") == 0);
    pg_writer_free(w);
    strbuf_free(&doc);
}
#undef SESSION_D
#undef ENTRY_D

/* A unique violation that a retry does not clear (here an extra unique
 * index the batch statement does not expect) is split out after a few
 * retries: the entry that conflicts goes to the dead-letter stream, the
 * rest is stored. Without the bound the writer retried the batch forever. */
#define SESSION_U "7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e"
static int unique_split(void)
{
    return redis_int("XLEN %s", "uv:answers") == 0 && redis_int("XLEN %s", "uv:answers:dead") == 1;
}

static void test_lasting_unique_violation(void)
{
    PGresult *r = PQexec(pg, "CREATE UNIQUE INDEX answers_once ON answers (question_id)"
                             " WHERE session_id = '" SESSION_U "'");
    test_cond("an index the statement does not expect", PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    struct strbuf doc = {0};
    for (int i = 0; i < 2; i++) {
        event_json_at(&doc, STORE_EVENT_ANSWER, 1764000000000 + i, SESSION_U, "category",
                      i ? "clinic" : "water", "x");
        freeReplyObject(redisCommand(redis, "XADD uv:answers * e %s", strbuf_cstr(&doc)));
    }
    struct pg_writer *w = test_writer("uv:", "uv-1", 10, NULL);
    test_cond("a lasting unique violation ends in the dead-letter stream",
              w && run_until(unique_split, 20));
    test_cond("and the other answer is stored",
              sql_count("SELECT count(*) FROM answers WHERE session_id = '" SESSION_U
                        "' AND code = 'water'") == 1);
    pg_writer_free(w);
    PQclear(PQexec(pg, "DROP INDEX answers_once"));
    strbuf_free(&doc);
}
#undef SESSION_U

/* Redis's clock in ms, as the writers' holds record it (stream_holds.c). */
static long long redis_now_ms(void)
{
    redisReply *r = redisCommand(redis, "TIME");
    long long ms = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2
                       ? atoll(r->element[0]->str) * 1000 + atoll(r->element[1]->str) / 1000
                       : 0;
    freeReplyObject(r);
    return ms;
}

/* Reads n entries as consumer without a pending list and sets its hold
 * (stream_holds.h) to the first, made age_ms ago: a writer that has not
 * written them yet. (A writer sets its hold before it reads; here nothing
 * trims the stream in between.) Their ids go to ids (n of 32 chars) when
 * given; returns the entries read. */
static size_t hold_and_read(const char *prefix, const char *consumer, long long age_ms, int n,
                            char (*ids)[32])
{
    char stream[64], group[64];
    snprintf(stream, sizeof stream, "%sanswers", prefix);
    snprintf(group, sizeof group, "%swriters", prefix);
    freeReplyObject(redisCommand(redis, "XGROUP CREATE %s %s 0 MKSTREAM", stream, group));
    redisReply *r = redisCommand(redis, "XREADGROUP GROUP %s %s COUNT %d NOACK STREAMS %s >", group,
                                 consumer, n, stream);
    size_t got = r && r->type == REDIS_REPLY_ARRAY && r->elements == 1
                     ? r->element[0]->element[1]->elements
                     : 0;
    for (size_t i = 0; ids && i < got; i++)
        snprintf(ids[i], 32, "%s", r->element[0]->element[1]->element[i]->element[0]->str);
    if (got) {
        char hold[64];
        snprintf(hold, sizeof hold, "%s %lld",
                 r->element[0]->element[1]->element[0]->element[0]->str, redis_now_ms() - age_ms);
        freeReplyObject(redisCommand(redis, "HSET %sanswers:held %s %s", prefix, consumer, hold));
    }
    freeReplyObject(r);
    return got;
}

/* After each batch the writer trims the stream, but never below another
 * writer's hold: here "held" read three entries and has not written them
 * (a writer mid-batch). With nothing held, the stream empties. */
#define SESSION_T "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"
static int trim_batch_acked(void)
{
    return sql_count("SELECT count(*) FROM answers WHERE session_id = '" SESSION_T "'") == 3;
}

static int trim_emptied(void)
{
    return redis_int("XLEN %s", "tr:answers") == 0 &&
           sql_count("SELECT count(*) FROM answers WHERE session_id = '" SESSION_T "'") == 4;
}

static void add_event(struct strbuf *ev, const char *stream, const char *session, int n)
{
    char question[16];
    snprintf(question, sizeof question, "q%d", n);
    event_json_at(ev, STORE_EVENT_ANSWER, 1764000000000 + n, session, question, NULL, "x");
    freeReplyObject(redisCommand(redis, "XADD %s * e %s", stream, strbuf_cstr(ev)));
}

static void test_trim_keeps_held_entries(void)
{
    struct strbuf ev = {0};
    for (int n = 1; n <= 3; n++)
        add_event(&ev, "tr:answers", SESSION_T, n);
    char held_ids[3][32] = {{0}};
    test_cond("another writer holds three entries",
              hold_and_read("tr:", "held", 0, 3, held_ids) == 3);
    for (int n = 4; n <= 6; n++)
        add_event(&ev, "tr:answers", SESSION_T, n);
    struct pg_writer *w = test_writer("tr:", "trim-1", 3, NULL);
    test_cond("the writer writes the other three", w && run_until(trim_batch_acked, 15));
    int kept = 1;
    for (size_t i = 0; i < 3; i++) {
        redisReply *r = redisCommand(redis, "XRANGE tr:answers %s %s", held_ids[i], held_ids[i]);
        kept &= r && r->type == REDIS_REPLY_ARRAY && r->elements == 1;
        freeReplyObject(r);
    }
    test_cond("the held entries are still in the stream", kept);
    test_cond("and the other writer's hold is left alone",
              redis_int("HEXISTS tr:answers:held %s", "held") == 1);
    freeReplyObject(redisCommand(redis, "HDEL tr:answers:held held"));
    add_event(&ev, "tr:answers", SESSION_T, 7);
    test_cond("with nothing held, the next batch empties the stream", run_until(trim_emptied, 15));
    pg_writer_free(w);
    strbuf_free(&ev);
}
#undef SESSION_T

/* What a writer finds to write again when it starts: its own hold (it died
 * mid-batch under the same name), the hold of a writer silent for over a
 * minute (a gateway that died), and a pending list left by a writer from
 * before NOACK (an upgrade). Each of those answers lands once, and nothing
 * is left held or pending. */
#define SESSION_C "7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c7c"
static int claims_landed(void)
{
    return sql_count("SELECT count(*) FROM answers WHERE session_id = '" SESSION_C "'") == 6 &&
           redis_int("XLEN %s", "cl:answers") == 0 &&
           redis_int("HEXISTS cl:answers:held %s", "gone") == 0;
}

static void test_claims(void)
{
    struct strbuf ev = {0};
    for (int n = 1; n <= 6; n++)
        add_event(&ev, "cl:answers", SESSION_C, n);
    int set_up = hold_and_read("cl:", "gone", 120000, 2, NULL) == 2;
    redisReply *r =
        redisCommand(redis, "XREADGROUP GROUP cl:writers old COUNT 2 STREAMS cl:answers >");
    set_up &= r && r->type == REDIS_REPLY_ARRAY && r->elements == 1;
    freeReplyObject(r);
    set_up &= hold_and_read("cl:", "claim-1", 0, 2, NULL) == 2;
    test_cond("two entries each: our own hold, a silent writer's, a pending list", set_up);
    struct pg_writer *w = test_writer("cl:", "claim-1", 10, NULL);
    test_cond("the writer writes all six", w && run_until(claims_landed, 15));
    test_cond("each once", sql_count("SELECT count(DISTINCT question_id) FROM answers"
                                     " WHERE session_id = '" SESSION_C "'") == 6);
    r = redisCommand(redis, "XPENDING cl:answers cl:writers");
    test_cond("nothing left pending",
              r && r->type == REDIS_REPLY_ARRAY && r->element[0]->integer == 0);
    freeReplyObject(r);
    pg_writer_free(w);
    strbuf_free(&ev);
}
#undef SESSION_C

/* Redis at its memory limit (noeviction) refuses the citizens' saves; the
 * writer still drains the stream, which is what frees memory: its reads,
 * trims and the scripts that keep its hold run under the limit. The group
 * exists already, as it would on a running gateway. */
#define SESSION_O "7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d7d"
static int oom_drained(void)
{
    return sql_count("SELECT count(*) FROM answers WHERE session_id = '" SESSION_O "'") == 3 &&
           redis_int("XLEN %s", "oom:answers") == 0;
}

static void test_drains_under_oom(void)
{
    struct strbuf ev = {0};
    for (int n = 1; n <= 3; n++)
        add_event(&ev, "oom:answers", SESSION_O, n);
    freeReplyObject(redisCommand(redis, "XGROUP CREATE oom:answers oom:writers 0"));
    freeReplyObject(redisCommand(redis, "CONFIG SET maxmemory-policy noeviction"));
    freeReplyObject(redisCommand(redis, "CONFIG SET maxmemory 1"));
    redisReply *r = redisCommand(redis, "SET oom:probe 1");
    test_cond("Redis refuses writes at its limit",
              r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "OOM", 3) == 0);
    freeReplyObject(r);
    struct pg_writer *w = test_writer("oom:", "oom-1", 10, NULL);
    test_cond("a writer drains with Redis at its memory limit", w && run_until(oom_drained, 15));
    freeReplyObject(redisCommand(redis, "CONFIG SET maxmemory 0"));
    pg_writer_free(w);
    strbuf_free(&ev);
}
#undef SESSION_O

/* A backlog much larger than a batch: each full batch is written while the
 * next is read (read_ahead in pg_writer.c). A bad entry in the middle splits
 * its batch while the next one is held; that one is read again from the
 * writer's PEL. Every good entry lands once, in stream order. */
#define SESSION_AHEAD "8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a8a"
#define BACKLOG_N 40

static int backlog_landed(void)
{
    return sql_count("SELECT count(*) FROM answers WHERE session_id = '" SESSION_AHEAD "'") ==
               BACKLOG_N &&
           redis_int("XLEN %s", "ra:answers:dead") == 1 && redis_int("XLEN %s", "ra:answers") == 0;
}

static void test_backlog_read_ahead(void)
{
    struct strbuf ev = {0}, expect = {0};
    for (int n = 1; n <= BACKLOG_N; n++) {
        char question[16];
        snprintf(question, sizeof question, "q%d", n);
        event_json_at(&ev, STORE_EVENT_ANSWER, 1764000000000 + n, SESSION_AHEAD, question, NULL,
                      "x");
        freeReplyObject(redisCommand(redis, "XADD ra:answers * e %s", strbuf_cstr(&ev)));
        if (n == 14) /* in the fourth batch of four */
            freeReplyObject(redisCommand(redis, "XADD ra:answers * e %s", "{not json"));
        strbuf_printf(&expect, "%sq%d", n > 1 ? "," : "", n);
    }
    struct pg_writer *w = test_writer("ra:", "ahead-1", 4, NULL);
    test_cond("a backlog of 41 entries drains, the bad one dead-lettered",
              w && run_until(backlog_landed, 20));
    test_cond("batches were read while others were written",
              w && pg_writer_stats(w)->read_ahead > 0);
    PGresult *res = PQexec(pg, "SELECT string_agg(question_id, ',' ORDER BY answer_id) FROM answers"
                               " WHERE session_id = '" SESSION_AHEAD "'");
    test_cond("each answer once, in stream order",
              PQresultStatus(res) == PGRES_TUPLES_OK &&
                  strcmp(PQgetvalue(res, 0, 0), strbuf_cstr(&expect)) == 0);
    PQclear(res);
    redisReply *r = redisCommand(redis, "XPENDING ra:answers ra:writers");
    test_cond("nothing left pending",
              r && r->type == REDIS_REPLY_ARRAY && r->element[0]->integer == 0);
    freeReplyObject(r);
    pg_writer_free(w);
    strbuf_free(&ev);
    strbuf_free(&expect);
}
#undef SESSION_AHEAD
#undef BACKLOG_N

/* A writer with nothing to write still marks expired sessions timed_out. */
static int quiet_swept(void)
{
    return sql_count("SELECT count(*) FROM sessions WHERE outcome = 'timed_out' AND"
                     " session_id = '7777777777777777777777777777777c'") == 1;
}

static void test_quiet_sweep(void)
{
    PQclear(PQexec(pg, "INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version,"
                       " consent_version, channel, operator, language, started_at, last_seen_at,"
                       " ttl_s) VALUES ('7777777777777777777777777777777c', repeat('e', 64), 'f',"
                       " 1, 'c1', 'ussd', 'op', 'en', now() - interval '1 hour',"
                       " now() - interval '20 minutes', 600)"));
    struct pg_writer *w = test_writer("quiet:", "test-q", 10, NULL);
    test_cond("an idle writer marks an expired session timed_out", w && run_until(quiet_swept, 10));
    pg_writer_free(w);
}

/* STOP opens a standing opt-out; a later consent to the flow lifts it;
 * `raia forget` erases it with the person. */
static void test_opt_out(void)
{
#define PSEUD_O "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
    struct store_event ev = community_event(STORE_EVENT_END, 1764000100000, PSEUD_O,
                                            "6666666666666666666666666666666a", 1764000000000);
    ev.channel = "sms";
    ev.outcome = "stopped";
    struct strbuf stop = {0}, json = {0};
    test_cond("stop event encodes", store_event_json(&ev, &stop) == 0);
    test_cond("stop written", write_one("6-1", &stop));
    test_cond("STOP opened an opt-out",
              sql_count("SELECT count(*) FROM opt_outs WHERE pseudonym = '" PSEUD_O
                        "' AND lifted_at IS NULL") == 1);
    ev.kind = STORE_EVENT_SESSION;
    ev.session_id = "6666666666666666666666666666666b";
    ev.at_ms = ev.started_ms = 1764000200000;
    ev.outcome = NULL;
    strbuf_reset(&json);
    store_event_json(&ev, &json);
    test_cond("new consent written", write_one("6-2", &json));
    test_cond("a new consent lifted it",
              sql_count("SELECT count(*) FROM opt_outs WHERE pseudonym = '" PSEUD_O
                        "' AND lifted_at IS NOT NULL") == 1);
    test_cond("replaying the stop does not reopen it",
              write_one("6-1", &stop) &&
                  sql_count("SELECT count(*) FROM opt_outs WHERE lifted_at IS NULL AND"
                            " pseudonym = '" PSEUD_O "'") == 0);
    strbuf_free(&json);
    strbuf_free(&stop);

    struct erase_target t = {
        .redis_url = redis_url, .prefix = "t:", .conninfo = pg_conninfo, .actor = "storage_test"};
    struct erase_counts n;
    struct raia_err err = {0};
    test_cond("forget erases the opt-out with the person",
              erase_person(&t, PSEUD_O, &n, &err) == 0 &&
                  sql_count("SELECT count(*) FROM opt_outs WHERE pseudonym = '" PSEUD_O "'") == 0);
#undef PSEUD_O
}

static void test_migrate(void)
{
    struct raia_err err = {0};
    char *out = NULL;
    size_t out_len = 0;
    FILE *f = open_memstream(&out, &out_len);
    test_cond("first migrate", pg_migrate(pg_conninfo, f, &err) == 0);
    fflush(f);
    test_cond("applies 001_initial", strstr(out, "applied 001_initial\n") != NULL);
    rewind(f);
    out_len = 0;
    test_cond("second migrate", pg_migrate(pg_conninfo, f, &err) == 0);
    fflush(f);
    test_cond("second migrate applies nothing", out_len == 0);
    fclose(f);
    free(out);
    test_cond("version recorded",
              sql_count("SELECT max(version) FROM schema_migrations") == pg_migrate_latest());
}

/* The right to erasure: Redis state, stream backlog and rows of one person
 * go; another person's backlog stays; the audit log has counts only. */
static void test_erase_person(void)
{
    struct strbuf ev = {0};
    event_json(&ev, STORE_EVENT_ANSWER, SESSION_B, "not_yet_written", NULL, "y");
    freeReplyObject(redisCommand(redis, "XADD t:answers * e %s", strbuf_cstr(&ev)));
    const char *other = "{\"kind\":\"answer\",\"pseudonym\":\"bbbb\"}";
    freeReplyObject(redisCommand(redis, "XADD t:answers * e %s", other));
    freeReplyObject(redisCommand(redis, "SET t:s:" PSEUD_A " state"));
    strbuf_free(&ev);

    struct erase_target t = {
        .redis_url = redis_url, .prefix = "t:", .conninfo = pg_conninfo, .actor = "storage_test"};
    struct erase_counts n;
    struct raia_err err = {0};
    test_cond("erase person", erase_person(&t, PSEUD_A, &n, &err) == 0);
    test_cond("two sessions and six answers erased", n.sessions == 2 && n.answers == 6);
    test_cond("the waiting event and the state erased", n.stream_entries == 1 && n.state_keys == 1);
    test_cond("no row of the person left",
              sql_count("SELECT count(*) FROM sessions WHERE pseudonym = '" PSEUD_A "'") == 0);
    test_cond("another person's event kept", redis_int("XLEN %s", "t:answers") == 1);
    test_cond("audit log has the counts, not the pseudonym",
              sql_count("SELECT count(*) FROM audit_log WHERE action = 'forget' AND actor = "
                        "'storage_test' AND detail->>'answers' = '6' AND detail::text NOT LIKE "
                        "'%aaaa%'") == 1);
    test_cond("erasing again finds nothing",
              erase_person(&t, PSEUD_A, &n, &err) == 0 && n.sessions == 0 && n.answers == 0);
}

static void test_retention(void)
{
    PQclear(PQexec(pg, "INSERT INTO sessions (session_id, pseudonym, flow_id, flow_version,"
                       " consent_version, channel, operator, language, started_at, last_seen_at)"
                       " VALUES ('11111111111111111111111111111111', repeat('c', 64), 'f', 1,"
                       " 'c1', 'sms', 'op', 'en', now() - interval '400 days', now()),"
                       " ('22222222222222222222222222222222', repeat('d', 64), 'f', 1, 'c1',"
                       " 'sms', 'op', 'en', now() - interval '10 days', now())"));
    PQclear(PQexec(pg, "INSERT INTO answers (stream_id, session_id, question_id, value,"
                       " answered_at) VALUES ('9-1', '11111111111111111111111111111111', 'q',"
                       " 'old', now() - interval '400 days'), ('9-2',"
                       " '22222222222222222222222222222222', 'q', 'new', now())"));
    struct erase_target t = {
        .redis_url = redis_url, .prefix = "t:", .conninfo = pg_conninfo, .actor = "storage_test"};
    struct erase_counts n;
    struct raia_err err = {0};
    test_cond("purge older than 365 days", erase_older_than(&t, 365, &n, &err) == 0);
    test_cond("the old session and its answer purged", n.sessions == 1 && n.answers == 1);
    test_cond("the recent one kept",
              sql_count("SELECT count(*) FROM answers WHERE value = 'new'") == 1);
    test_cond("purge audited",
              sql_count("SELECT count(*) FROM audit_log WHERE action = 'purge'") == 1);
    test_cond("a retention under a day refused", erase_older_than(&t, 0, &n, &err) == -RAIA_EINVAL);
}

int main(void)
{
    redis_url = getenv("RAIA_REDIS_URL");
    pg_conninfo = getenv("RAIA_PG_CONNINFO");
    const char *port = getenv("RAIA_REDIS_PORT");
    if (!redis_url || !pg_conninfo || !port) {
        fprintf(stderr, "storage_test: run through storage_test.sh (needs real servers)\n");
        return 1;
    }
    log_min_level = LOG_WARN;
    redis = redisConnect("127.0.0.1", atoi(port));
    pg = PQconnectdb(pg_conninfo);
    base = event_base_new();
    if (!redis || redis->err || PQstatus(pg) != CONNECTION_OK || !base) {
        fprintf(stderr, "storage_test: cannot reach the servers\n");
        return 1;
    }
    test_migrate();
    test_store();
    test_writer_lands_rows();
    test_crash_replay_and_poison();
    test_batch_replay_is_idempotent();
    test_postgres_outage();
    test_erase_person();
    test_retention();
    test_timed_out();
    test_session_rewrites();
    test_answer_ends_session();
    test_checksum_from_session_event();
    test_opt_out();
    test_erase_event();
    test_quiet_sweep();
    test_two_writers_and_erasures();
    test_erasure_races_another_gateway();
    test_forget_waits_for_a_batch();
    test_duplicate_entry_in_flight();
    test_lasting_unique_violation();
    test_trim_keeps_held_entries();
    test_claims();
    test_drains_under_oom();
    test_backlog_read_ahead();
    test_session_ids_are_checked();
    redis_store_free(store);
    event_base_free(base);
    redisFree(redis);
    PQfinish(pg);
    TEST_REPORT();
}
