/**
 * mo_dedup.h - a deliver_sm that arrives twice is processed once.
 *
 * An SMSC delivers an MO again when our deliver_sm_resp was lost, typically
 * after a reconnect (research/anchors-gateways.md, problem 5). The SMPP
 * receive path asks mo_dedup_seen() before it hands an MO on: a duplicate is
 * answered with deliver_sm_resp but not processed. The window is in memory,
 * bounded in entries and in time; it covers redelivery within one process
 * lifetime, not across a restart.
 *
 * The key is built by the caller: the operator's message id when the
 * deliver_sm carries one, else the bytes of (source_addr, destination_addr,
 * its_session_info, ussd_service_op, data_coding, short_message). It contains
 * a phone number, so only a salted SHA-256 of it (16 bytes) is kept, never
 * the key itself; the salt is random per instance and never leaves memory.
 *
 * Legitimate identical resends: a citizen who types "1" in two separate USSD
 * sessions sends two MO that differ in its_session_info, so they are not
 * duplicates. An SMS has no such field: a person sending the same text twice
 * within the window is seen once, so keep the SMS window short (config
 * default 60 s).
 */
#ifndef RAIA_MO_DEDUP_H
#define RAIA_MO_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "raia_err.h"

struct mo_dedup;

/**
 * A window of at most capacity keys (1..2^30), each remembered for window_ms
 * (> 0) after it was first seen. NULL on a bad argument, when out of memory,
 * or when no random salt can be had.
 */
struct mo_dedup *mo_dedup_new(size_t capacity, long long window_ms);

/** Wipes the salt and frees. NULL is a no-op. */
void mo_dedup_free(struct mo_dedup *d);

/**
 * 1 if (operator_name, key) was first seen less than window_ms before now_ms:
 * a duplicate, to be answered and not processed. Otherwise records it and
 * returns 0; when the window is full the oldest entry makes room. Returns
 * -RAIA_EIO if hashing fails: test the result with `== 1`, so that a failure
 * processes the message (a duplicate is better than a loss). On 1, when
 * first_ms is not NULL, *first_ms is when the key was first seen.
 * operator_name (not NULL) and key (key_len bytes) are borrowed for the call.
 * now_ms must not go backwards (a monotonic clock); it is passed in so tests
 * are deterministic. Average O(1).
 */
int mo_dedup_seen(struct mo_dedup *d, const char *operator_name, const uint8_t *key, size_t key_len,
                  long long now_ms, long long *first_ms);

/** Entries held now (never above the capacity); for tests and metrics. */
size_t mo_dedup_count(const struct mo_dedup *d);

#endif
