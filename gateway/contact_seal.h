/**
 * contact_seal.h - the only form in which raia keeps a way to text someone.
 *
 * A person who answered "yes" to a flow's contact question (flows.md,
 * `contact: true`) may later get one SMS with the published results (`raia
 * broadcast`, docs/broadcast.md). Their number is kept sealed, never raw:
 *
 *   sealed = "v1:" base64(nonce[12] ‖ AES-256-GCM(key, number padded to 16) ‖ tag[16])
 *   AAD    = project ‖ 0 ‖ pseudonym ‖ 0 ‖ flow id
 *
 * under a key of its own (privacy.contact_key_file: 64 hex characters, mode
 * 600), separate from the pseudonym key. The AAD binds a sealed value to its
 * row: moved to another person or flow it no longer opens. Only the
 * gateway's outbox (gateway/outbox.c) opens one, in memory, to address the
 * SMS, and wipes it at once. Sealed by gateway/session.c through
 * contact_event_json().
 */
#ifndef RAIA_CONTACT_SEAL_H
#define RAIA_CONTACT_SEAL_H

#include <stdint.h>

#include "pseudonym.h"
#include "raia_err.h"
#include "strbuf.h"

#define CONTACT_SEALED_MAX 64 /* "v1:" + 60 base64 characters + NUL */

struct contact_seal;

/**
 * Read the key (64 hex characters, an optional final newline) from key_file,
 * refused unless only its owner can read it. project is copied. NULL with err.
 */
struct contact_seal *contact_seal_new(const char *key_file, const char *project,
                                      struct raia_err *err);
/** Wipes the key. NULL is a no-op. */
void contact_seal_free(struct contact_seal *s);

/** Seal an E.164 number (from pseudonym_normalize) for (pseudonym, flow_id) into out. */
int contact_seal_close(const struct contact_seal *s, const char *pseudonym, const char *flow_id,
                       const char *e164, char out[CONTACT_SEALED_MAX]);

/**
 * Open sealed for (pseudonym, flow_id) into e164. -RAIA_EPROTO when it is
 * malformed, was sealed under another key, was changed, or belongs to another
 * row. The caller wipes e164 (OPENSSL_cleanse) as soon as it has used it.
 */
int contact_seal_open(const struct contact_seal *s, const char *pseudonym, const char *flow_id,
                      const char *sealed, char e164[E164_MAX]);

/**
 * The answer stream's `contact` event for a person's answer to the contact
 * question of flow_id: e164 (the number of the turn, normalized) to keep it
 * sealed, NULL when they said no (the writer then deletes any contact it
 * holds for them and that flow). Appends the JSON document to out.
 */
int contact_event_json(const struct contact_seal *s, const char *pseudonym, const char *flow_id,
                       const char *operator_name, const char *e164, int64_t at_ms,
                       struct strbuf *out);

#endif
