/*
 * metrics.c - the gateway's counters and their Prometheus text exposition
 * (see metrics.h). Called by session.c (turns, outcomes), metrics_http.c
 * (requests) and main.c (owner; the sources at scrape time).
 */
#include "metrics.h"

#include <stdint.h>
#include <stdlib.h>

#include "outbox.h"
#include "pg_writer.h"
#include "smpp_conn.h"
#include "smpp_pdu.h"

/* Turn latency buckets, in ms: a USSD screen must come back well under a
 * second; 50 ms is the p99 target of docs/performance.md. */
static const double latency_bounds_ms[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
#define LATENCY_BUCKETS (sizeof latency_bounds_ms / sizeof latency_bounds_ms[0])
#define HTTP_STATUSES 6 /* 200, 400, 404, 405, 500, other */

static const char *const outcome_names[METRICS_OUTCOMES] = {"completed", "abandoned", "stopped",
                                                            "refused"};
static const int http_codes[HTTP_STATUSES] = {200, 400, 404, 405, 500, 0};
static const char *const http_labels[HTTP_STATUSES] = {"200", "400", "404", "405", "500", "other"};

struct metrics {
    uint64_t turns, turns_failed;
    uint64_t latency[LATENCY_BUCKETS + 1]; /* the last: above every bound (+Inf only) */
    double latency_sum_s;
    uint64_t outcomes[METRICS_OUTCOMES];
    uint64_t http[HTTP_STATUSES];
};

struct metrics *metrics_new(void)
{
    return calloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
    free(m);
}

void metrics_turn(struct metrics *m, long long latency_us)
{
    double ms = (double)latency_us / 1000.0;
    size_t b = 0;
    while (b < LATENCY_BUCKETS && ms > latency_bounds_ms[b])
        b++;
    m->latency[b]++;
    m->latency_sum_s += ms / 1000.0;
    m->turns++;
}

void metrics_turn_failed(struct metrics *m)
{
    m->turns_failed++;
}

void metrics_outcome(struct metrics *m, enum metrics_outcome outcome)
{
    if ((unsigned)outcome < METRICS_OUTCOMES)
        m->outcomes[outcome]++;
}

void metrics_http(struct metrics *m, int status)
{
    size_t i = 0;
    while (i + 1 < HTTP_STATUSES && http_codes[i] != status)
        i++;
    m->http[i]++;
}

static void family(struct strbuf *out, const char *name, const char *type, const char *help)
{
    strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Per bind: up or not, and its PDUs by direction and command. */
static void render_binds(const struct metrics_sources *src, struct strbuf *out)
{
    family(out, "raia_smpp_bind_up", "gauge", "1 if the bind is bound to its SMSC, else 0.");
    for (size_t i = 0; i < src->n_conns; i++) {
        const struct smpp_conn *c = src->conns[i];
        strbuf_printf(out, "raia_smpp_bind_up{bind=\"%s\",operator=\"%s\"} %d\n", smpp_conn_name(c),
                      smpp_conn_operator(c), smpp_conn_get_state(c) == SMPP_CONN_BOUND);
    }
    family(out, "raia_smpp_pdus_total", "counter", "SMPP PDUs by bind, direction and command.");
    for (size_t i = 0; i < src->n_conns; i++) {
        const struct smpp_conn *c = src->conns[i];
        const struct smpp_conn_stats *st = smpp_conn_stats(c);
        for (size_t k = 0; k < st->n_cmds; k++) {
            const char *cmd = st->cmds[k].id ? smpp_cmd_name(st->cmds[k].id) : "unknown";
            if (st->cmds[k].in)
                strbuf_printf(out,
                              "raia_smpp_pdus_total{bind=\"%s\",direction=\"in\",command=\"%s\"}"
                              " %llu\n",
                              smpp_conn_name(c), cmd, (unsigned long long)st->cmds[k].in);
            if (st->cmds[k].out)
                strbuf_printf(out,
                              "raia_smpp_pdus_total{bind=\"%s\",direction=\"out\",command=\"%s\"}"
                              " %llu\n",
                              smpp_conn_name(c), cmd, (unsigned long long)st->cmds[k].out);
        }
    }
}

static void render_turns(const struct metrics *m, const struct metrics_sources *src,
                         struct strbuf *out)
{
    family(out, "raia_turns_total", "counter", "Citizen turns answered (a screen was sent).");
    strbuf_printf(out, "raia_turns_total %llu\n", (unsigned long long)m->turns);
    family(out, "raia_turns_failed_total", "counter",
           "Turns that could not be stored; the citizen was told nothing was saved.");
    strbuf_printf(out, "raia_turns_failed_total %llu\n", (unsigned long long)m->turns_failed);
    family(out, "raia_turns_in_flight", "gauge", "Turns received and not yet answered.");
    strbuf_printf(out, "raia_turns_in_flight %zu\n", src->turns_in_flight);
    family(out, "raia_sessions_cached", "gauge",
           "Sessions whose last state this instance remembers (one Redis round trip a turn).");
    strbuf_printf(out, "raia_sessions_cached %zu\n", src->sessions_cached);

    family(out, "raia_turn_latency_seconds", "histogram",
           "From a turn's deliver_sm to its reply being queued for the SMSC.");
    uint64_t cumulative = 0;
    for (size_t b = 0; b < LATENCY_BUCKETS; b++) {
        cumulative += m->latency[b];
        strbuf_printf(out, "raia_turn_latency_seconds_bucket{le=\"%g\"} %llu\n",
                      latency_bounds_ms[b] / 1000.0, (unsigned long long)cumulative);
    }
    strbuf_printf(out, "raia_turn_latency_seconds_bucket{le=\"+Inf\"} %llu\n",
                  (unsigned long long)m->turns);
    strbuf_printf(out, "raia_turn_latency_seconds_sum %.6f\n", m->latency_sum_s);
    strbuf_printf(out, "raia_turn_latency_seconds_count %llu\n", (unsigned long long)m->turns);

    family(out, "raia_sessions_ended_total", "counter",
           "Sessions that ended here, by outcome (timed_out is decided in PostgreSQL).");
    for (size_t i = 0; i < METRICS_OUTCOMES; i++)
        strbuf_printf(out, "raia_sessions_ended_total{outcome=\"%s\"} %llu\n", outcome_names[i],
                      (unsigned long long)m->outcomes[i]);
}

static void render_writer(const struct metrics_sources *src, struct strbuf *out)
{
    struct pg_writer_stats sum = {0};
    for (size_t i = 0; i < src->n_writers; i++) {
        const struct pg_writer_stats *s = pg_writer_stats(src->writers[i]);
        sum.batches += s->batches;
        sum.entries += s->entries;
        sum.answers += s->answers;
        sum.read_ahead += s->read_ahead;
        sum.failures += s->failures;
    }
    /* the backlog is the group's: every writer reads the same figures, the first will do */
    const struct pg_writer_stats *first = pg_writer_stats(src->writers[0]);
    sum.pending = first->pending;
    sum.lag = first->lag;
    sum.backlog_seen = first->backlog_seen;
    const struct pg_writer_stats *w = &sum;
    family(out, "raia_writer_batches_total", "counter",
           "Batches committed to PostgreSQL, one statement each.");
    strbuf_printf(out, "raia_writer_batches_total %lld\n", w->batches);
    family(out, "raia_writer_read_ahead_total", "counter",
           "Batches read from the stream while the one before them was written (a backlog).");
    strbuf_printf(out, "raia_writer_read_ahead_total %lld\n", w->read_ahead);
    family(out, "raia_writer_entries_total", "counter",
           "Answer-stream entries committed to PostgreSQL.");
    strbuf_printf(out, "raia_writer_entries_total %lld\n", w->entries);
    family(out, "raia_writer_answers_total", "counter", "Answers inserted into PostgreSQL.");
    strbuf_printf(out, "raia_writer_answers_total %lld\n", w->answers);
    family(out, "raia_writer_failures_total", "counter",
           "Batches PostgreSQL did not take (retried).");
    strbuf_printf(out, "raia_writer_failures_total %lld\n", w->failures);
    if (!w->backlog_seen)
        return; /* no XINFO answer yet: absent rather than a made-up 0 */
    family(out, "raia_stream_backlog", "gauge",
           "Answer-stream entries: state=pending (read by a writer: being written, or written "
           "and not yet trimmed) or lag (not yet read).");
    strbuf_printf(out, "raia_stream_backlog{state=\"pending\"} %lld\n", w->pending);
    strbuf_printf(out, "raia_stream_backlog{state=\"lag\"} %lld\n", w->lag);
}

void metrics_render(const struct metrics *m, const struct metrics_sources *src, struct strbuf *out)
{
    render_binds(src, out);
    render_turns(m, src, out);
    if (src->n_writers)
        render_writer(src, out);
    if (src->outbox) {
        const struct outbox_counts *o = outbox_counts(src->outbox);
        family(out, "raia_broadcast_messages_total", "counter",
               "Broadcast messages by result: sent, failed, skipped (the person stopped or "
               "erased after it was queued).");
        strbuf_printf(out, "raia_broadcast_messages_total{result=\"sent\"} %llu\n", o->sent);
        strbuf_printf(out, "raia_broadcast_messages_total{result=\"failed\"} %llu\n", o->failed);
        strbuf_printf(out, "raia_broadcast_messages_total{result=\"skipped\"} %llu\n", o->skipped);
    }
    family(out, "raia_http_requests_total", "counter",
           "Requests to this metrics server by status.");
    for (size_t i = 0; i < HTTP_STATUSES; i++)
        if (m->http[i] || http_codes[i] == 200)
            strbuf_printf(out, "raia_http_requests_total{status=\"%s\"} %llu\n", http_labels[i],
                          (unsigned long long)m->http[i]);
}
