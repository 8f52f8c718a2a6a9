/*
 * pg_writer.c - answer stream -> PostgreSQL, acknowledged after COMMIT (see
 * pg_writer.h).
 *
 * One cycle: read a batch (our own unacknowledged entries first, then
 * entries idle too long in a dead consumer's hands, then new ones), write it
 * with sql/write_batch.sql, then XACK it and trim the stream. A batch PostgreSQL
 * rejects as bad data is retried one entry at a time, so a single poison
 * entry moves to the dead-letter stream instead of blocking the others.
 */
#include "pg_writer.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "batch_params.h"
#include "clock_ms.h"
#include "log.h"
#include "person_locks.h"
#include "pg_async.h"
#include "redis_link.h"
#include "sql_text.h"
#include "store_event.h"
#include "str_copy.h"
#include "strbuf.h"

#define KEY_MAX 256
#define BLOCK_MS "1000"
#define CLAIM_IDLE_MS "60000" /* an entry this long unacked belongs to a dead consumer */
#define CLAIM_EVERY_MS 30000
#define BACKLOG_EVERY_S 10
/* How often each writer marks expired sessions timed_out
 * (sql/sweep_timeouts.sql), and the grace it gives them past their TTL. */
#define SWEEP_EVERY_MS 30000
#define SWEEP_GRACE_S "60"
/* After a batch smaller than a quarter of batch_max the writer waits this
 * long before reading again, so that under load it writes fewer, larger
 * batches: a statement costs about a millisecond whatever its size. The
 * answers are safe in Redis meanwhile, and a backlog is read without it
 * (full batches). 100 ms, not 5: the two writers' batches under steady SMS
 * load grew from about 330 entries to 700, and the machine's work a reply
 * fell 12 % (docs/performance.md, 2026-11-27). */
#define LINGER_MS 100
#define BAD_MAX 200 /* why a document went to the dead-letter stream */

enum read_kind { READ_NONE, READ_OWN_PENDING, READ_CLAIM, READ_NEW, READ_AHEAD };

struct entry {
    char id[32];
    char *doc; /* NULL when Redis lost the entry's body (deleted before we read it) */
};

/* Stream entries read together, and what the writer saw in them when read. */
struct batch {
    struct entry *entries; /* batch_max of them */
    size_t n;
    int erases;                /* an erase event among them (the gate writes it alone) */
    struct person_locks locks; /* their people */
};

struct pg_writer {
    struct event_base *base;
    struct redis_link *link;
    struct pg_async *pg;
    char stream[KEY_MAX], group[KEY_MAX], dead[KEY_MAX], consumer[128];
    int batch_max;
    int group_ready;
    int own_pending_done; /* our PEL (entries read before a restart or failure) is empty */
    char claim_cursor[32];
    long long next_claim_ms;
    long long next_sweep_ms; /* when the writer next marks expired sessions */
    int one_at_a_time;       /* entries still to write singly after a batch was rejected */
    int unique_retries;      /* unique violations of this batch in a row (UNIQUE_RETRIES_MAX) */
    enum read_kind reading;
    int writing, acking;
    size_t acked_n; /* entries in the acknowledgement in flight */
    /* cur is the batch being written; ahead, read while cur is written
     * (read_ahead), becomes cur as soon as cur's acknowledgement is sent.
     * Both stay in our PEL until they are acknowledged. */
    struct batch cur, ahead;
    struct batch_params params; /* sql/write_batch.sql's parameters for the batch */
    struct strbuf lock_param;   /* sql/person_locks.sql's parameter for the batch */
    struct event *retry;
    struct event *backlog_timer;
    struct backoff backoff;
    int closing;
    void (*drain_cb)(void *ctx);
    void *drain_ctx;
    struct pg_writer_stats stats;
    struct pg_writer_gate *gate, own_gate; /* own_gate when the caller shares none */
    int in_gate;                           /* 1: a batch statement, 2: one with an erasure */
    int erase_waiting;                     /* counted in gate->erase_queued */
};

static void next_step(struct pg_writer *w);
static void write_batch(struct pg_writer *w);
static void read_ahead(struct pg_writer *w);
static void on_read(redisAsyncContext *ac, void *reply_ptr, void *priv);

static void empty_batch(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->entries[i].doc);
    b->n = 0;
    b->erases = 0;
    memset(&b->locks, 0, sizeof b->locks);
}

/* cur is done with: written and its acknowledgement sent, or left in our PEL. */
static void clear_batch(struct pg_writer *w)
{
    empty_batch(&w->cur);
    w->unique_retries = 0;
    if (w->erase_waiting) { /* the batch is gone: it no longer holds the others back */
        w->erase_waiting = 0;
        w->gate->erase_queued--;
    }
}

/* ---- the gate: batches with an erasure run alone ---- */

/* 1 when this batch may start now (and is then counted), 0 to wait. */
static int gate_enter(struct pg_writer *w)
{
    struct pg_writer_gate *g = w->gate;
    int erases = w->cur.erases;
    if (erases && !w->erase_waiting) {
        w->erase_waiting = 1;
        g->erase_queued++;
    }
    if (g->erasing || (erases ? g->writing > 0 : g->erase_queued > 0))
        return 0;
    if (erases) {
        w->erase_waiting = 0;
        g->erase_queued--;
        g->erasing = 1;
    }
    g->writing++;
    w->in_gate = erases ? 2 : 1;
    return 1;
}

static void gate_leave(struct pg_writer *w)
{
    if (!w->in_gate)
        return;
    w->gate->writing--;
    if (w->in_gate == 2)
        w->gate->erasing = 0;
    w->in_gate = 0;
}

/* Our PEL is read again before anything new; what was read ahead is in it. */
static void reread_own_pending(struct pg_writer *w)
{
    w->own_pending_done = 0;
    empty_batch(&w->ahead);
}

/* Stopping: what was read ahead stays in our PEL for the next start. */
static void finish_drain(struct pg_writer *w)
{
    void (*cb)(void *) = w->drain_cb;
    empty_batch(&w->ahead);
    w->drain_cb = NULL;
    if (cb)
        cb(w->drain_ctx);
}

static void retry_later(struct pg_writer *w)
{
    backoff_arm(&w->backoff, w->retry);
}

/* ---- acknowledging ---- */

static void on_acked(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct pg_writer *w = priv;
    (void)ac;
    if (w->closing)
        return;
    w->acking = 0;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        /* Committed but not acked: the entries stay in our PEL and are
         * rewritten after reconnect, which the unique stream ids make a no-op. */
        log_at(LOG_WARN, "writer", "op=ack n=%zu err=\"%s\"", w->acked_n,
               reply ? reply->str : "connection lost");
        reread_own_pending(w);
    }
    int small = w->acked_n < (size_t)w->batch_max / 4 && w->one_at_a_time == 0;
    if (small && !w->cur.n && !w->reading && !w->drain_cb) {
        struct timeval linger = {0, LINGER_MS * 1000};
        evtimer_add(w->retry, &linger); /* on_retry reads next */
        return;
    }
    next_step(w);
}

/*
 * Acknowledges a written batch, then trims the stream below the oldest entry
 * the group still needs: the oldest read but not yet acknowledged (by any
 * writer: another's batch may still be in flight). With none pending,
 * everything delivered is in PostgreSQL: the trim goes up to the last
 * delivered entry, which is then deleted itself. So the stream keeps only
 * what is not yet in PostgreSQL. One XTRIM a batch frees whole stream nodes,
 * where XDEL of each entry cost Redis 1.5 us an entry (docs/performance.md).
 * A stream that more than one group reads is not trimmed by one group's
 * progress: then the acknowledged entries are deleted one by one. IDs go
 * 1,000 at a time because Lua's unpack has a limit below batch_max's.
 * KEYS[1]: the stream; ARGV[1]: the group; ARGV[2...]: the batch's entry ids.
 */
static const char ack_script[] =
    "local stream, group = KEYS[1], ARGV[1] "
    /* runs command (a list: name and first arguments) over the ids */
    "local function with_ids(command) "
    "  for i = 2, #ARGV, 1000 do "
    "    local args = {unpack(command)} "
    "    for j = i, math.min(i + 999, #ARGV) do args[#args + 1] = ARGV[j] end "
    "    redis.call(unpack(args)) "
    "  end "
    "end "
    "with_ids({'XACK', stream, group}) "
    "local groups = redis.call('XINFO', 'GROUPS', stream) "
    "if #groups ~= 1 then "
    "  with_ids({'XDEL', stream}) "
    "  return 0 "
    "end "
    "local oldest_pending = redis.call('XPENDING', stream, group)[2] "
    "if oldest_pending then "
    "  return redis.call('XTRIM', stream, 'MINID', oldest_pending) "
    "end "
    "local g = groups[1] "
    "for i = 1, #g, 2 do "
    "  if g[i] == 'last-delivered-id' then "
    "    local trimmed = redis.call('XTRIM', stream, 'MINID', g[i + 1]) "
    "    return trimmed + redis.call('XDEL', stream, g[i + 1]) "
    "  end "
    "end "
    "return 0";

static void ack_batch(struct pg_writer *w)
{
    if (w->cur.n == 0) { /* an empty batch (a sweep): nothing to acknowledge */
        next_step(w);
        return;
    }
    redisAsyncContext *ac = redis_link_ctx(w->link);
    if (!ac) {
        reread_own_pending(w);
        clear_batch(w);
        next_step(w);
        return;
    }
    size_t argc = w->cur.n + 5;
    const char **argv = calloc(argc, sizeof *argv);
    if (!argv) { /* unacknowledged, cur stays in our PEL: read again, written again (a no-op) */
        reread_own_pending(w);
        clear_batch(w);
        next_step(w);
        return;
    }
    argv[0] = "EVAL";
    argv[1] = ack_script;
    argv[2] = "1";
    argv[3] = w->stream;
    argv[4] = w->group;
    for (size_t i = 0; i < w->cur.n; i++)
        argv[i + 5] = w->cur.entries[i].id;
    w->acking = 1;
    w->acked_n = w->cur.n;
    redisAsyncCommandArgv(ac, on_acked, w, (int)argc, argv, NULL);
    free(argv);
    /* The ids are in hiredis's buffer now, so cur is done with; a batch read
     * ahead is written while the acknowledgement travels. */
    clear_batch(w);
    if (w->ahead.n) {
        struct batch done = w->cur;
        w->cur = w->ahead;
        w->ahead = done;
        w->stats.read_ahead++;
        next_step(w);
    }
}

/* A lone entry PostgreSQL refuses as data: keep it for a human, then ack it. */
static void dead_letter(struct pg_writer *w, const char *why)
{
    redisAsyncContext *ac = redis_link_ctx(w->link);
    struct entry *e = &w->cur.entries[0];
    log_at(LOG_ERROR, "writer", "op=dead_letter id=%s err=\"%s\"", e->id, why);
    if (ac && e->doc)
        redisAsyncCommand(ac, NULL, NULL, "XADD %s * id %s e %s err %s", w->dead, e->id, e->doc,
                          why);
    ack_batch(w);
}

/* ---- writing ---- */

/* 22: data exception, 23: integrity violation; anything else may pass on retry. */
static int is_data_error(const char *state)
{
    return strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0;
}

/*
 * A unique violation (23505) is retried the first UNIQUE_RETRIES_MAX times
 * in a row: it means another writer stored one of the entries meanwhile (a
 * claim race, sql/write_batch.sql), and the retry skips it. One that
 * outlasts those retries is a conflict in the data that no retry clears,
 * and is split out like any other data error.
 */
#define UNIQUE_RETRIES_MAX 3

/*
 * A batch with bad data in it: a lone entry goes to the dead-letter stream;
 * a larger batch is written again one entry at a time, so that only the
 * bad ones do.
 */
static void split_out(struct pg_writer *w, const char *why)
{
    if (w->cur.n == 1) {
        if (w->one_at_a_time > 0)
            w->one_at_a_time--;
        dead_letter(w, why);
        return;
    }
    log_at(LOG_WARN, "writer", "op=write n=%zu err=\"%s\" action=split", w->cur.n, why);
    w->one_at_a_time = (int)w->cur.n;
    reread_own_pending(w); /* cur's entries, one per batch */
    clear_batch(w);
    next_step(w);
}

static void on_written(void *ctx, const PGresult *res)
{
    struct pg_writer *w = ctx;
    w->writing = 0;
    gate_leave(w);
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        backoff_reset(&w->backoff);
        log_at(LOG_DEBUG, "writer", "op=write entries=%s answers=%s refusals=%s sessions=%s",
               PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
               PQgetvalue(res, 0, 3));
        w->stats.batches++;
        w->stats.entries += strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        w->stats.answers += strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        if (w->one_at_a_time > 0)
            w->one_at_a_time--;
        ack_batch(w);
        return;
    }
    char msg[200];
    pg_async_error_text(w->pg, res, msg, sizeof msg);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int unique = state && strcmp(state, "23505") == 0;
    w->unique_retries += unique;
    if (state && is_data_error(state) && (!unique || w->unique_retries > UNIQUE_RETRIES_MAX)) {
        split_out(w, msg);
        return;
    }
    log_at(LOG_WARN, "writer", "op=write n=%zu err=\"%s\" retry_ms=%d", w->cur.n, msg,
           w->backoff.next_ms);
    w->stats.failures++;
    if (w->drain_cb) { /* stopping: the batch waits in our PEL for the next start */
        clear_batch(w);
        finish_drain(w);
        return;
    }
    retry_later(w);
}

/* The batch's parameters in w->params. Returns 0, -1 with bad (of size
 * BAD_MAX) saying which document is not a stream document, or -2 when out of
 * memory. */
static int build_params(struct pg_writer *w, struct pg_params *params, char *bad)
{
    batch_params_reset(&w->params);
    for (size_t i = 0; i < w->cur.n; i++) {
        if (!w->cur.entries[i].doc)
            continue;
        const char *why = "";
        int rc = batch_params_add(&w->params, w->cur.entries[i].id, w->cur.entries[i].doc, &why);
        if (rc == -1)
            snprintf(bad, BAD_MAX, "entry %s is not a stream document: %s", w->cur.entries[i].id,
                     why);
        if (rc < 0)
            return rc;
    }
    *params = batch_params_finish(&w->params);
    return params->n ? 0 : -2;
}

static void write_batch(struct pg_writer *w)
{
    if (!pg_async_idle(w->pg)) {
        retry_later(w); /* still connecting */
        return;
    }
    if (!gate_enter(w)) {
        struct timeval soon = {0, 1000};
        evtimer_add(w->retry, &soon); /* on_retry tries again */
        return;
    }
    struct pg_params params;
    char bad[BAD_MAX];
    int built = build_params(w, &params, bad);
    if (built == -1) { /* as PostgreSQL's refusal of bad data would be */
        gate_leave(w);
        split_out(w, bad);
        return;
    }
    strbuf_reset(&w->lock_param);
    person_locks_param(&w->cur.locks, &w->lock_param);
    if (built < 0 || w->lock_param.oom) {
        gate_leave(w);
        batch_params_free(&w->params);
        strbuf_free(&w->lock_param);
        retry_later(w);
        return;
    }
    w->writing = 1;
    /* the people's locks first, then the batch with a snapshot taken after them */
    if (pg_async_query_after(w->pg, sql_person_locks, strbuf_cstr(&w->lock_param), sql_write_batch,
                             &params, on_written, w) < 0) {
        w->writing = 0;
        gate_leave(w);
        retry_later(w);
        return;
    }
    read_ahead(w);
}

/* ---- marking expired sessions ---- */

static void on_swept(void *ctx, const PGresult *res)
{
    struct pg_writer *w = ctx;
    w->writing = 0;
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
        log_at(LOG_DEBUG, "writer", "op=sweep timed_out=%s", PQgetvalue(res, 0, 0));
    } else {
        char msg[200];
        pg_async_error_text(w->pg, res, msg, sizeof msg);
        log_at(LOG_WARN, "writer", "op=sweep err=\"%s\"", msg); /* tried again next time */
    }
    next_step(w);
}

/* on_swept goes on from here, possibly before pg_async_query returns (a
 * result or a broken connection can come back inside it): nothing may
 * follow the call but the case where it sent nothing. */
static void sweep(struct pg_writer *w)
{
    w->next_sweep_ms = clock_ms(CLOCK_MONOTONIC) + SWEEP_EVERY_MS;
    w->writing = 1;
    if (pg_async_query(w->pg, sql_sweep_timeouts, SWEEP_GRACE_S, on_swept, w) < 0) {
        w->writing = 0;
        next_step(w);
    }
}

/* ---- reading ---- */

static int take_entry(struct batch *b, const redisReply *item)
{
    if (item->type != REDIS_REPLY_ARRAY || item->elements < 2 ||
        item->element[0]->type != REDIS_REPLY_STRING ||
        item->element[0]->len >= sizeof b->entries[0].id)
        return -1;
    struct entry *e = &b->entries[b->n];
    memcpy(e->id, item->element[0]->str, item->element[0]->len + 1);
    e->doc = NULL;
    const redisReply *fields = item->element[1];
    if (fields->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i + 1 < fields->elements; i += 2)
            if (strcmp(fields->element[i]->str, "e") == 0 && !e->doc)
                e->doc = strdup(fields->element[i + 1]->str);
    if (e->doc) {
        int erases = store_event_doc_erases(e->doc);
        if (erases)
            b->erases = 1; /* the gate (above) writes this batch alone */
        const char *pseudonym;
        size_t n = store_event_doc_pseudonym(e->doc, &pseudonym);
        if (n)
            person_locks_add(&b->locks, pseudonym, n, erases);
    }
    b->n++;
    return 0;
}

static void take_entries(struct pg_writer *w, struct batch *b, const redisReply *list)
{
    if (!list || list->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < list->elements && b->n < (size_t)w->batch_max; i++)
        if (take_entry(b, list->element[i]) < 0)
            log_at(LOG_WARN, "writer", "op=read err=\"malformed stream entry\"");
}

/* After a read ahead that is not used: cur's cycle goes on by itself while
 * cur is written or acknowledged, or once a timer fires. */
static void resume(struct pg_writer *w)
{
    if (!w->writing && !w->acking && !evtimer_pending(w->retry, NULL))
        next_step(w);
}

/*
 * While a full batch is written, the next one is read, so that PostgreSQL
 * does not wait for Redis between batches when a backlog drains
 * (docs/performance.md). Not blocking: with nothing new it returns at once.
 */
static void read_ahead(struct pg_writer *w)
{
    redisAsyncContext *ac = redis_link_ctx(w->link);
    if (!ac || !w->group_ready || w->reading || w->ahead.n || w->drain_cb ||
        w->cur.n < (size_t)w->batch_max || w->one_at_a_time > 0 || !w->own_pending_done)
        return;
    char count[16];
    snprintf(count, sizeof count, "%d", w->batch_max);
    w->reading = READ_AHEAD;
    redisAsyncCommand(ac, on_read, w, "XREADGROUP GROUP %s %s COUNT %s STREAMS %s >", w->group,
                      w->consumer, count, w->stream);
}

/* XREADGROUP: [[stream, [entries]]] or nil; XAUTOCLAIM: [cursor, [entries], [deleted]]. */
static void on_read(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct pg_writer *w = priv;
    (void)ac;
    if (w->closing)
        return;
    enum read_kind kind = w->reading;
    w->reading = READ_NONE;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        log_at(LOG_WARN, "writer", "op=read err=\"%s\"", reply ? reply->str : "connection lost");
        if (kind == READ_AHEAD)
            resume(w);
        else if (!w->drain_cb)
            retry_later(w);
        else
            finish_drain(w);
        return;
    }
    if (w->drain_cb) { /* stopping: what we just read stays in our PEL for the next start */
        if (!w->writing && !w->acking)
            finish_drain(w);
        return;
    }
    if (kind == READ_AHEAD && !w->own_pending_done) {
        resume(w); /* our PEL is read again first, and these entries are in it */
        return;
    }
    /* a read ahead, unless cur was done with before it came */
    struct batch *into = w->cur.n ? &w->ahead : &w->cur;
    if (kind == READ_CLAIM && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2) {
        str_copy(w->claim_cursor, sizeof w->claim_cursor, reply->element[0]->str);
        if (strcmp(w->claim_cursor, "0-0") == 0)
            w->next_claim_ms = clock_ms(CLOCK_MONOTONIC) + CLAIM_EVERY_MS;
        take_entries(w, into, reply->element[1]);
    } else if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
               reply->element[0]->elements == 2) {
        take_entries(w, into, reply->element[0]->element[1]);
    }
    if (into == &w->ahead)
        return; /* ack_batch makes it cur once cur's acknowledgement is sent */
    if (kind == READ_OWN_PENDING && w->cur.n == 0)
        w->own_pending_done = 1;
    if (w->cur.n)
        write_batch(w);
    else
        next_step(w);
}

static void send_read(struct pg_writer *w, redisAsyncContext *ac)
{
    char count[16];
    snprintf(count, sizeof count, "%d", w->one_at_a_time > 0 ? 1 : w->batch_max);
    if (!w->own_pending_done) {
        w->reading = READ_OWN_PENDING;
        redisAsyncCommand(ac, on_read, w, "XREADGROUP GROUP %s %s COUNT %s STREAMS %s 0", w->group,
                          w->consumer, count, w->stream);
    } else if (clock_ms(CLOCK_MONOTONIC) >= w->next_claim_ms) {
        w->reading = READ_CLAIM;
        redisAsyncCommand(ac, on_read, w, "XAUTOCLAIM %s %s %s " CLAIM_IDLE_MS " %s COUNT %s",
                          w->stream, w->group, w->consumer, w->claim_cursor, count);
    } else {
        w->reading = READ_NEW;
        redisAsyncCommand(ac, on_read, w,
                          "XREADGROUP GROUP %s %s COUNT %s BLOCK " BLOCK_MS " STREAMS %s >",
                          w->group, w->consumer, count, w->stream);
    }
}

static void next_step(struct pg_writer *w)
{
    if (w->closing || w->writing)
        return;
    if (w->cur.n && !w->drain_cb) { /* even with a read or an acknowledgement in flight */
        write_batch(w);
        return;
    }
    if (w->acking || w->reading)
        return;
    if (w->drain_cb) {
        finish_drain(w);
        return;
    }
    if (clock_ms(CLOCK_MONOTONIC) >= w->next_sweep_ms && pg_async_idle(w->pg)) {
        sweep(w);
        return;
    }
    redisAsyncContext *ac = redis_link_ctx(w->link);
    if (!ac || !w->group_ready)
        return; /* on_redis_up resumes */
    send_read(w, ac);
}

/* ---- backlog report ---- */

static long long field_int(const redisReply *map, const char *name)
{
    for (size_t i = 0; i + 1 < map->elements; i += 2)
        if (map->element[i]->type == REDIS_REPLY_STRING && strcmp(map->element[i]->str, name) == 0)
            return map->element[i + 1]->type == REDIS_REPLY_INTEGER ? map->element[i + 1]->integer
                                                                    : -1;
    return -1;
}

/* XINFO GROUPS: one flat name/value array per group. "lag" (Redis 7) counts
 * entries not yet delivered to any writer; "pending" those delivered, not acked. */
static void on_backlog(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct pg_writer *w = priv;
    (void)ac;
    if (w->closing || !reply || reply->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *g = reply->element[i];
        if (g->type != REDIS_REPLY_ARRAY || g->elements < 2 ||
            g->element[1]->type != REDIS_REPLY_STRING || strcmp(g->element[1]->str, w->group) != 0)
            continue;
        long long pending = field_int(g, "pending"), lag = field_int(g, "lag");
        w->stats.pending = pending;
        w->stats.lag = lag;
        w->stats.backlog_seen = 1;
        log_at(pending + lag > 0 ? LOG_INFO : LOG_DEBUG, "writer",
               "op=backlog pending=%lld lag=%lld", pending, lag);
    }
}

static void on_backlog_timer(evutil_socket_t fd, short what, void *ctx)
{
    struct pg_writer *w = ctx;
    (void)fd;
    (void)what;
    redisAsyncContext *ac = redis_link_ctx(w->link);
    if (ac && w->group_ready)
        redisAsyncCommand(ac, on_backlog, w, "XINFO GROUPS %s", w->stream);
}

/* ---- lifecycle ---- */

static void on_group(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct pg_writer *w = priv;
    (void)ac;
    if (w->closing || !reply)
        return; /* the link reconnects and calls on_redis_up again */
    if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "BUSYGROUP", 9) != 0) {
        /* e.g. LOADING: a restarted Redis still reads its append-only file */
        log_at(LOG_WARN, "writer", "op=create_group err=\"%s\" retry_ms=%d", reply->str,
               w->backoff.next_ms);
        retry_later(w);
        return;
    }
    w->group_ready = 1;
    on_backlog_timer(-1, 0, w); /* a first backlog figure now, then every BACKLOG_EVERY_S */
    next_step(w);
}

/* Every (re)connect: make sure the group exists (from the stream's start) and
 * look at our own pending entries again before reading new ones. */
static void on_redis_up(void *ctx)
{
    struct pg_writer *w = ctx;
    w->group_ready = 0;
    reread_own_pending(w);
    w->reading = READ_NONE;
    w->acking = 0;
    redisAsyncCommand(redis_link_ctx(w->link), on_group, w, "XGROUP CREATE %s %s 0 MKSTREAM",
                      w->stream, w->group);
}

static void on_pg_up(void *ctx)
{
    next_step(ctx);
}

static void on_retry(evutil_socket_t fd, short what, void *ctx)
{
    struct pg_writer *w = ctx;
    (void)fd;
    (void)what;
    if (!w->group_ready && redis_link_ctx(w->link))
        on_redis_up(w); /* the group could not be made yet */
    else
        next_step(w);
}

struct pg_writer *pg_writer_new(struct event_base *base, const struct pg_writer_opts *opts,
                                struct raia_err *err)
{
    struct pg_writer *w = calloc(1, sizeof *w);
    if (!w || opts->batch_max < 1) {
        free(w);
        raia_err_set(err, w ? RAIA_EINVAL : RAIA_ENOMEM, "cannot create writer");
        return NULL;
    }
    w->base = base;
    w->batch_max = opts->batch_max;
    w->gate = opts->gate ? opts->gate : &w->own_gate;
    w->backoff = (struct backoff)BACKOFF_INIT(250, 10000);
    snprintf(w->stream, sizeof w->stream, "%sanswers", opts->prefix);
    snprintf(w->group, sizeof w->group, "%swriters", opts->prefix);
    snprintf(w->dead, sizeof w->dead, "%sanswers:dead", opts->prefix);
    str_copy(w->consumer, sizeof w->consumer, opts->consumer);
    snprintf(w->claim_cursor, sizeof w->claim_cursor, "0-0");
    w->cur.entries = calloc((size_t)opts->batch_max, sizeof *w->cur.entries);
    w->ahead.entries = calloc((size_t)opts->batch_max, sizeof *w->ahead.entries);
    w->retry = evtimer_new(base, on_retry, w);
    w->backlog_timer = event_new(base, -1, EV_PERSIST, on_backlog_timer, w);
    struct timeval every = {BACKLOG_EVERY_S, 0};
    if (!w->cur.entries || !w->ahead.entries || !w->retry || !w->backlog_timer ||
        event_add(w->backlog_timer, &every) < 0) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        pg_writer_free(w);
        return NULL;
    }
    w->pg = pg_async_new(base, opts->conninfo, on_pg_up, w);
    if (!w->pg) {
        raia_err_set(err, RAIA_ENOMEM, "out of memory");
        pg_writer_free(w);
        return NULL;
    }
    w->link = redis_link_new(base, opts->redis_url, "writer", on_redis_up, w, err);
    if (!w->link) {
        pg_writer_free(w);
        return NULL;
    }
    return w;
}

void pg_writer_drain(struct pg_writer *w, void (*cb)(void *ctx), void *ctx)
{
    w->drain_cb = cb;
    w->drain_ctx = ctx;
    event_del(w->retry);
    /* Nothing to finish unless a batch is being written or acked; a read in
     * flight is not waited for (its entries stay pending for the next start). */
    if (!w->writing && !w->acking)
        finish_drain(w);
}

const struct pg_writer_stats *pg_writer_stats(const struct pg_writer *w)
{
    return &w->stats;
}

void pg_writer_free(struct pg_writer *w)
{
    if (!w)
        return;
    w->closing = 1;
    gate_leave(w);
    redis_link_free(w->link);
    pg_async_free(w->pg);
    if (w->retry)
        event_free(w->retry);
    if (w->backlog_timer)
        event_free(w->backlog_timer);
    if (w->cur.entries)
        clear_batch(w);
    empty_batch(&w->ahead);
    free(w->cur.entries);
    free(w->ahead.entries);
    batch_params_free(&w->params);
    strbuf_free(&w->lock_param);
    free(w);
}
