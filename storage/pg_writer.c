/*
 * pg_writer.c - answer stream -> PostgreSQL, acknowledged after COMMIT (see
 * pg_writer.h).
 *
 * One cycle: read a batch (our own entries to write again first, then those
 * of a writer silent too long, then new ones), write it with
 * sql/write_batch.sql, then move our hold past it and trim the stream
 * (stream_holds.h: reads are NOACK, the holds say what is unwritten). A batch PostgreSQL
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
#include "stream_holds.h"

#define KEY_MAX 256
#define BLOCK_MS "1000"
#define CLAIM_IDLE_MS "60000" /* a hold this long unchanged belongs to a dead writer */
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
    char stream[KEY_MAX], group[KEY_MAX], dead[KEY_MAX], holds[KEY_MAX], consumer[128];
    struct stream_names names; /* the above, as stream_holds.h takes them */
    int batch_max;
    int group_ready;
    int own_pending_done; /* nothing of ours left to write again (after a restart or failure) */
    /* Writing our own entries again: the XRANGE start of the next read ("":
     * our hold; "(id": after id; "id": from id) and the group's last
     * delivered entry when it began, its end ("" until the first read). */
    char recover_from[40], recover_to[32];
    long long next_claim_ms;
    long long next_sweep_ms; /* when the writer next marks expired sessions */
    int one_at_a_time;       /* entries still to write singly after a batch was rejected */
    int unique_retries;      /* unique violations of this batch in a row (UNIQUE_RETRIES_MAX) */
    enum read_kind reading;
    int writing, acking;
    size_t acked_n; /* entries in the acknowledgement in flight */
    /* cur is the batch being written; ahead, read while cur is written
     * (read_ahead), becomes cur as soon as cur's release is sent. Our hold
     * stays at or below both until then. */
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

/* cur is done with: written and its release sent, or left held for a later read. */
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

/* Everything from our hold up is read again before anything new; what was
 * read ahead is among it. */
static void reread_own_pending(struct pg_writer *w)
{
    w->own_pending_done = 0;
    w->recover_from[0] = w->recover_to[0] = '\0';
    empty_batch(&w->ahead);
}

/* Stopping: what was read ahead stays held for the next start. */
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
        /* Committed, but our hold did not move: the entries are read and
         * written again after reconnect, which the unique stream ids make a no-op. */
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
 * Where our hold goes once cur is in PostgreSQL (stream_holds_release):
 * while our own entries are read again, to where the next of those reads
 * starts, or where it is when that is our hold; with a batch read ahead or
 * a read in flight, to cur's last entry (what comes after it is above it);
 * otherwise we hold nothing.
 */
static const char *hold_after_cur(const struct pg_writer *w)
{
    if (!w->own_pending_done)
        return w->recover_from[0] ? w->recover_from + (w->recover_from[0] == '(') : "=";
    if (w->ahead.n || w->reading)
        return w->cur.entries[w->cur.n - 1].id;
    return "";
}

/* Sends the release of cur (or, with cur empty after a read that found
 * nothing, of our hold) to Redis; on_acked goes on. */
static void release_hold(struct pg_writer *w, redisAsyncContext *ac)
{
    w->acking = 1;
    w->acked_n = w->cur.n;
    stream_holds_release(ac, &w->names, w->cur.n ? hold_after_cur(w) : "", on_acked, w);
}

static void ack_batch(struct pg_writer *w)
{
    if (w->cur.n == 0) { /* an empty batch (a sweep): nothing to release */
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
    release_hold(w, ac);
    /* cur is done with; a batch read ahead is written while the release travels. */
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
    reread_own_pending(w); /* from cur's first entry, one per batch */
    str_copy(w->recover_from, sizeof w->recover_from, w->cur.entries[0].id);
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
    if (w->drain_cb) { /* stopping: the batch stays held for the next start */
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

/* A read failed or was not sent: a read ahead leaves cur's cycle to go on,
 * any other read is tried again later (or the stop goes on). */
static void read_failed(struct pg_writer *w, enum read_kind kind, const char *why)
{
    log_at(LOG_WARN, "writer", "op=read err=\"%s\"", why);
    if (kind == READ_AHEAD)
        resume(w);
    else if (!w->drain_cb)
        retry_later(w);
    else
        finish_drain(w);
}

/* Whether a reply to a read ends here: the writer is freed, the read failed,
 * or the writer is stopping (what was read stays held for the next start). */
static int read_ends(struct pg_writer *w, const redisReply *reply, enum read_kind kind)
{
    if (w->closing)
        return 1;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        read_failed(w, kind, reply ? reply->str : "connection lost");
        return 1;
    }
    if (w->drain_cb) {
        if (!w->writing && !w->acking)
            finish_drain(w);
        return 1;
    }
    return 0;
}

/* How many entries a read asks for: one at a time after a batch was split. */
static int read_count(const struct pg_writer *w)
{
    return w->one_at_a_time > 0 ? 1 : w->batch_max;
}

/* A read of kind was handed to hiredis (rc REDIS_OK: it is in flight) or not. */
static void read_sent(struct pg_writer *w, enum read_kind kind, int rc)
{
    if (rc == REDIS_OK)
        w->reading = kind;
    else
        read_failed(w, kind, "cannot send");
}

/* Opens every read's callback: the read is over (its kind in *kind). NULL
 * when the reply ends there (read_ends). */
static struct pg_writer *read_done(void *priv, const redisReply *reply, enum read_kind *kind)
{
    struct pg_writer *w = priv;
    if (w->closing)
        return NULL;
    *kind = w->reading;
    w->reading = READ_NONE;
    return read_ends(w, reply, *kind) ? NULL : w;
}

/* Where read entries go: ahead when cur is still being written or released. */
static struct batch *read_into(struct pg_writer *w)
{
    return w->cur.n ? &w->ahead : &w->cur;
}

/* Entries are in: write cur, or with nothing read, go on with the cycle. */
static void after_read(struct pg_writer *w, struct batch *into)
{
    if (into == &w->ahead)
        return; /* ack_batch makes it cur once cur's release is sent */
    if (w->cur.n)
        write_batch(w);
    else
        next_step(w);
}

/* XREADGROUP: [[stream, [entries]]], or nil when there is nothing new. */
static void on_read(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    enum read_kind kind;
    struct pg_writer *w = read_done(priv, reply, &kind);
    if (!w)
        return;
    if (kind == READ_AHEAD && !w->own_pending_done) {
        resume(w); /* our own are read again first, and these entries are among them */
        return;
    }
    struct batch *into = read_into(w);
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1 &&
        reply->element[0]->elements == 2)
        take_entries(w, into, reply->element[0]->element[1]);
    if (kind == READ_NEW && !w->cur.n) { /* nothing new: we hold nothing */
        release_hold(w, ac);
        return;
    }
    after_read(w, into);
}

/* Our hold is set: read new entries, without a pending list (NOACK). A read
 * ahead does not wait for entries; the cycle's read waits up to BLOCK_MS. */
static void on_marked(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    enum read_kind kind;
    struct pg_writer *w = read_done(priv, reply_ptr, &kind);
    if (!w)
        return;
    int count = read_count(w), rc;
    if (kind == READ_AHEAD)
        rc = redisAsyncCommand(ac, on_read, w, "XREADGROUP GROUP %s %s COUNT %d NOACK STREAMS %s >",
                               w->group, w->consumer, count, w->stream);
    else
        rc = redisAsyncCommand(
            ac, on_read, w, "XREADGROUP GROUP %s %s COUNT %d BLOCK " BLOCK_MS " NOACK STREAMS %s >",
            w->group, w->consumer, count, w->stream);
    read_sent(w, kind, rc);
}

static void read_new(struct pg_writer *w, redisAsyncContext *ac, enum read_kind kind)
{
    read_sent(w, kind, stream_holds_mark(ac, &w->names, on_marked, w));
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
    read_new(w, ac, READ_AHEAD);
}

/* stream_holds_recover: [to, entries]. With none left, ours are all written. */
static void on_recovered(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    enum read_kind kind;
    struct pg_writer *w = read_done(priv, reply, &kind);
    (void)ac;
    if (!w)
        return;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_STRING) {
        if (!w->recover_to[0])
            str_copy(w->recover_to, sizeof w->recover_to, reply->element[0]->str);
        take_entries(w, &w->cur, reply->element[1]);
    }
    if (w->cur.n)
        snprintf(w->recover_from, sizeof w->recover_from, "(%s", w->cur.entries[w->cur.n - 1].id);
    else
        w->own_pending_done = 1;
    after_read(w, &w->cur);
}

/* stream_holds_claim: how many holds and pending entries we took over. */
static void on_claimed(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    enum read_kind kind;
    struct pg_writer *w = read_done(priv, reply, &kind);
    (void)ac;
    if (!w)
        return;
    w->next_claim_ms = clock_ms(CLOCK_MONOTONIC) + CLAIM_EVERY_MS;
    if (reply->type == REDIS_REPLY_INTEGER && reply->integer > 0) {
        log_at(LOG_INFO, "writer", "op=claim taken=%lld", reply->integer);
        reread_own_pending(w);
    }
    next_step(w);
}

static void send_read(struct pg_writer *w, redisAsyncContext *ac)
{
    if (!w->own_pending_done)
        read_sent(w, READ_OWN_PENDING,
                  stream_holds_recover(ac, &w->names, w->recover_from, w->recover_to, read_count(w),
                                       on_recovered, w));
    else if (clock_ms(CLOCK_MONOTONIC) >= w->next_claim_ms)
        read_sent(w, READ_CLAIM, stream_holds_claim(ac, &w->names, CLAIM_IDLE_MS, on_claimed, w));
    else
        read_new(w, ac, READ_NEW);
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
 * entries not yet delivered to any writer. */
static void on_backlog(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct pg_writer *w = priv;
    (void)ac;
    if (w->closing || !reply || reply->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *g = reply->element[i];
        if (g->type == REDIS_REPLY_ARRAY && g->elements >= 2 &&
            g->element[1]->type == REDIS_REPLY_STRING && strcmp(g->element[1]->str, w->group) == 0)
            w->stats.lag = field_int(g, "lag");
    }
}

/* XLEN, right after XINFO GROUPS: what the stream holds beyond the lag was
 * delivered to a writer and is in flight, or written and not yet trimmed. */
static void on_length(redisAsyncContext *ac, void *reply_ptr, void *priv)
{
    redisReply *reply = reply_ptr;
    struct pg_writer *w = priv;
    (void)ac;
    if (w->closing || !reply || reply->type != REDIS_REPLY_INTEGER)
        return;
    long long lag = w->stats.lag > 0 ? w->stats.lag : 0;
    w->stats.pending = reply->integer > lag ? reply->integer - lag : 0;
    w->stats.backlog_seen = 1;
    log_at(w->stats.pending + lag > 0 ? LOG_INFO : LOG_DEBUG, "writer",
           "op=backlog pending=%lld lag=%lld", w->stats.pending, w->stats.lag);
}

static void on_backlog_timer(evutil_socket_t fd, short what, void *ctx)
{
    struct pg_writer *w = ctx;
    (void)fd;
    (void)what;
    redisAsyncContext *ac = redis_link_ctx(w->link);
    if (ac && w->group_ready) {
        redisAsyncCommand(ac, on_backlog, w, "XINFO GROUPS %s", w->stream);
        redisAsyncCommand(ac, on_length, w, "XLEN %s", w->stream);
    }
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
    stream_holds_join(redis_link_ctx(w->link), &w->names, on_group, w);
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
    snprintf(w->holds, sizeof w->holds, "%sanswers:held", opts->prefix);
    str_copy(w->consumer, sizeof w->consumer, opts->consumer);
    w->names = (struct stream_names){w->stream, w->holds, w->group, w->consumer};
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
     * flight is not waited for (its entries stay held for the next start). */
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
