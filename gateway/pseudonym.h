/**
 * pseudonym.h - turns a phone number into the only form raia ever stores.
 *
 * pseudonym = hex(HMAC-SHA256(key, project ‖ E.164 number)), where the E.164
 * number is written with its leading '+'. The project scope (config
 * privacy.project, [a-z0-9-_]+) can never contain '+', so the boundary
 * between the two parts is unambiguous, and two projects' pseudonyms of one
 * person cannot be joined without the key. The key file must be readable by
 * its owner only. The raw number exists only in the caller's memory
 * (DESIGN rule 1). Used by gateway/session.c and the `raia` CLI.
 */
#ifndef RAIA_PSEUDONYM_H
#define RAIA_PSEUDONYM_H

#include <stddef.h>
#include <stdint.h>

#include "raia_err.h"

#define PSEUDONYM_HEX_LEN 64
#define E164_MAX 17 /* '+', up to 15 digits, NUL */

struct pseudonymizer;

/**
 * Read the key from key_file (32..4096 bytes, used as is). Refuses a file
 * that group or others can read or write, or a key shorter than 32 bytes.
 * project and country_code / trunk_prefix are copied.
 */
struct pseudonymizer *pseudonymizer_new(const char *key_file, const char *project,
                                        const char *country_code, const char *trunk_prefix,
                                        struct raia_err *err);
/** Wipes the key from memory. NULL is a no-op. */
void pseudonymizer_free(struct pseudonymizer *p);

/**
 * Normalize a number as it came from the network (SMPP TON: 1 international,
 * 2 national, 0 unknown; digits, optionally with '+' or "00" in front) or as
 * typed by an operator, to E.164 "+<digits>". Returns 0 or -RAIA_EINVAL.
 */
int pseudonym_normalize(const struct pseudonymizer *p, const char *number, int ton,
                        char out[E164_MAX]);

/**
 * Write the 64-hex pseudonym of an E.164 number (from pseudonym_normalize)
 * and a NUL. Restarts p's keyed HMAC context: one call at a time per
 * pseudonymizer (the gateway's one event loop, the CLI).
 */
int pseudonym_of(const struct pseudonymizer *p, const char *e164, char out[PSEUDONYM_HEX_LEN + 1]);

#endif
