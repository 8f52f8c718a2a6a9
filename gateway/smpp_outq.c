/*
 * smpp_outq.c - age-ordered queue of outgoing PDUs and the send pace (see
 * smpp_outq.h).
 */
#include "smpp_outq.h"

#include <stdlib.h>
#include <string.h>

#define PAUSE_MIN_MS 1000
#define PAUSE_MAX_MS 30000

struct smpp_out *smpp_out_new(const uint8_t *pdu, size_t len, smpp_conn_submit_cb cb, void *ctx,
                              uint64_t now_ms)
{
    struct smpp_out *o = malloc(sizeof *o + len);
    if (!o)
        return NULL;
    o->next = NULL;
    o->cb = cb;
    o->ctx = ctx;
    o->created_ms = now_ms;
    o->attempts = 0;
    o->len = len;
    memcpy(o->pdu, pdu, len);
    return o;
}

void smpp_outq_insert(struct smpp_outq *q, struct smpp_out *o)
{
    q->len++;
    if (!q->tail || q->tail->created_ms <= o->created_ms) {
        o->next = NULL;
        if (q->tail)
            q->tail->next = o;
        else
            q->head = o;
        q->tail = o;
        return;
    }
    struct smpp_out **at = &q->head;
    while ((*at)->created_ms <= o->created_ms)
        at = &(*at)->next;
    o->next = *at;
    *at = o;
}

struct smpp_out *smpp_outq_pop(struct smpp_outq *q)
{
    struct smpp_out *o = q->head;
    if (!o)
        return NULL;
    q->head = o->next;
    if (!q->head)
        q->tail = NULL;
    q->len--;
    o->next = NULL;
    return o;
}

uint64_t smpp_rate_wait(struct smpp_rate *r, uint64_t now_ms)
{
    if (now_ms < r->paused_until)
        return r->paused_until - now_ms;
    if (r->max_tps <= 0)
        return 0;
    /* max_tps sends per 1000 ms = max_tps thousandths of a send per ms;
     * the credit tops out at one send, so sends are evenly spaced. */
    r->credit += (int64_t)(now_ms - r->credit_at) * r->max_tps;
    if (r->credit > 1000)
        r->credit = 1000;
    r->credit_at = now_ms;
    if (r->credit >= 1000)
        return 0;
    return (uint64_t)((1000 - r->credit + r->max_tps - 1) / r->max_tps);
}

void smpp_rate_spend(struct smpp_rate *r)
{
    if (r->max_tps > 0)
        r->credit -= 1000;
}

void smpp_rate_throttled(struct smpp_rate *r, uint64_t now_ms)
{
    if (now_ms < r->paused_until)
        return; /* the rest of a window answered during the same pause */
    r->pause_ms = r->pause_ms ? r->pause_ms * 2 : PAUSE_MIN_MS;
    if (r->pause_ms > PAUSE_MAX_MS)
        r->pause_ms = PAUSE_MAX_MS;
    r->paused_until = now_ms + r->pause_ms;
}

void smpp_rate_accepted(struct smpp_rate *r)
{
    r->pause_ms = 0;
}
