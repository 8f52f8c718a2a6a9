/**
 * erase.h - the right to erasure and the retention policy.
 *
 * erase_person() deletes everything stored under one pseudonym: its session
 * state and flood counter in Redis, its events still waiting in the answer
 * stream and its messages still queued in the outbox (leaving a tombstone so
 * that none is sent), and its sessions, answers, opt-outs and contacts in
 * PostgreSQL. erase_older_than()
 * deletes sessions (with their answers), refusals and contacts older than a
 * number of days. Both record what they did in audit_log, with counts only.
 * Synchronous: used by the `raia` CLI, never inside the gateway's loop.
 */
#ifndef RAIA_ERASE_H
#define RAIA_ERASE_H

#include "raia_err.h"

struct erase_counts {
    long long sessions, answers, refusals; /* rows deleted in PostgreSQL */
    long long contacts;                    /* sealed contacts deleted (011_contacts.sql) */
    long long stream_entries;              /* events removed before they reached PostgreSQL */
    long long state_keys;                  /* Redis keys deleted (session state, counters) */
    long long outbox_entries;              /* queued messages to the person removed */
};

struct erase_target {
    const char *redis_url, *prefix; /* as in the gateway config */
    const char *conninfo;
    const char *actor; /* who runs it, for the audit log */
};

int erase_person(const struct erase_target *t, const char *pseudonym, struct erase_counts *out,
                 struct raia_err *err);
int erase_older_than(const struct erase_target *t, int days, struct erase_counts *out,
                     struct raia_err *err);

#endif
