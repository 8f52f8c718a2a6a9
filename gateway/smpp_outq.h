/**
 * smpp_outq.h - the submit_sm a bind still owes the SMSC, and the pace at
 * which it may send them.
 *
 * An outgoing PDU lives from smpp_conn_submit() until its final answer: it
 * waits in the queue, sits in the window while sent, and goes back into the
 * queue (in age order, so nothing overtakes an older message) when the SMSC
 * throttles it or the link drops. The rate part caps sends at max_tps and
 * pauses them after ESME_RTHROTTLED / ESME_RMSGQFUL with a doubling pause.
 * Used by smpp_conn.c only.
 */
#ifndef RAIA_SMPP_OUTQ_H
#define RAIA_SMPP_OUTQ_H

#include <stddef.h>
#include <stdint.h>

#include "smpp_conn.h"

struct smpp_out {
    struct smpp_out *next;
    smpp_conn_submit_cb cb;
    void *ctx;
    uint64_t created_ms;
    int attempts; /* times written to a link */
    size_t len;
    uint8_t pdu[]; /* encoded; its sequence number is rewritten on each send */
};

struct smpp_outq {
    struct smpp_out *head, *tail;
    size_t len;
};

/** A copy of pdu to send; NULL when out of memory. */
struct smpp_out *smpp_out_new(const uint8_t *pdu, size_t len, smpp_conn_submit_cb cb, void *ctx,
                              uint64_t now_ms);
/** Insert o behind every entry not younger than it (O(1) for the newest). */
void smpp_outq_insert(struct smpp_outq *q, struct smpp_out *o);
/** Unlink the oldest entry; NULL when empty. */
struct smpp_out *smpp_outq_pop(struct smpp_outq *q);

struct smpp_rate {
    int max_tps;           /* 0: no cap */
    int64_t credit;        /* in thousandths of a send; a send costs 1000 */
    uint64_t credit_at;    /* when credit was last topped up */
    uint64_t paused_until; /* the SMSC asked us to slow down */
    uint64_t pause_ms;     /* length of the last pause: doubles while the SMSC keeps refusing */
};

/** 0 when a send may go now; otherwise the milliseconds to wait. */
uint64_t smpp_rate_wait(struct smpp_rate *r, uint64_t now_ms);
/** Account for one send. */
void smpp_rate_spend(struct smpp_rate *r);
/** The SMSC throttled a send: pause (1 s, doubling per episode up to 30 s). */
void smpp_rate_throttled(struct smpp_rate *r, uint64_t now_ms);
/** A send was accepted: the next throttle starts from the shortest pause. */
void smpp_rate_accepted(struct smpp_rate *r);

#endif
