/**
 * outbox.h - sends the results people asked for (`raia broadcast`,
 * docs/broadcast.md) through the normal MT path, at a bounded rate.
 *
 * A timer takes one queued job at a time from Redis (outbox_store.h); a job
 * whose person has a tombstone (STOP, withdrawal, erasure since it was
 * queued) is dropped unsent; otherwise the sealed number is opened in memory
 * (contact_seal.h), the SMS is submitted through a transmitting bind of the
 * job's operator, and the number is wiped. Rate: broadcast.per_second SMS
 * parts a second, never more than the smallest max_tps of those binds.
 * Without privacy.contact_key_file the outbox sends nothing and no contact
 * can be kept. Created and freed by gateway/main.c.
 */
#ifndef RAIA_OUTBOX_H
#define RAIA_OUTBOX_H

#include <stddef.h>

#include "raia_err.h"

struct event_base;
struct raia_config;
struct smpp_conn;
struct contact_seal;
struct flow_set;
struct outbox;

/**
 * Start sending. cfg, and the gateway's array of binds conns with its count
 * *n (binds may be added after this call), are borrowed for the outbox's
 * life. NULL with err when the contact key or the Redis URL is bad, or when
 * one of flows (borrowed for the call) has a contact step and no contact key
 * is configured.
 */
struct outbox *outbox_new(struct event_base *base, const struct raia_config *cfg,
                          const struct flow_set *flows, struct smpp_conn *const *conns,
                          const size_t *n, struct raia_err *err);
/** The contact key, for sealing "yes" answers (session.c); NULL when none is configured. */
const struct contact_seal *outbox_seal(const struct outbox *ob);
/** What the outbox did since it started: /metrics, and logged when it stops. */
struct outbox_counts {
    unsigned long long sent;    /* messages all of whose parts the SMSC accepted */
    unsigned long long failed;  /* messages not sent, or a part refused */
    unsigned long long skipped; /* jobs dropped unsent: a tombstone covered the person */
};
/** Borrowed from ob, updated as it works. */
const struct outbox_counts *outbox_counts(const struct outbox *ob);
/** Stops the timer, logs what was sent, wipes the key. NULL is a no-op. */
void outbox_free(struct outbox *ob);

#endif
