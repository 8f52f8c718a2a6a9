/**
 * person_locks.h - the parameter of sql/person_locks.sql: which of the
 * people locks a transaction takes, and how.
 *
 * A batch of the writer, an erasure, `raia forget` and `raia purge` lock
 * the people they touch before their statement takes its snapshot, so that
 * a batch and a delete of the same person never overlap (docs/storage.md
 * "The writer"). A person maps to one of PERSON_LOCK_BUCKETS buckets by a
 * hash of the pseudonym computed here, the same in every process: two
 * people who share a bucket only wait for each other's erasures.
 */
#ifndef RAIA_PERSON_LOCKS_H
#define RAIA_PERSON_LOCKS_H

#include <stddef.h>

#include "strbuf.h"

#define PERSON_LOCK_BUCKETS 64

struct person_locks {
    unsigned char mode[PERSON_LOCK_BUCKETS]; /* 0 none, 1 shared (stores), 2 exclusive (erases) */
};

/** Marks the person whose pseudonym is the n bytes at pseudonym: stored, or erased when erases. */
void person_locks_add(struct person_locks *locks, const char *pseudonym, size_t n, int erases);
/** Marks every bucket erased: for a delete that may touch anyone (the purge). */
void person_locks_all(struct person_locks *locks);
/** Appends the buckets marked, in ascending order, as "3,!17,42" ("!": exclusive). */
void person_locks_param(const struct person_locks *locks, struct strbuf *out);

#endif
