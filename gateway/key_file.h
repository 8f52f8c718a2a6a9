/**
 * key_file.h - reads a secret key file that only its owner may read.
 *
 * One check for every key raia holds (the pseudonym key, the contact key):
 * a regular file, no permission bits for group or others (chmod 600), at
 * most a given size. Used by gateway/pseudonym.c and gateway/contact_seal.c.
 */
#ifndef RAIA_KEY_FILE_H
#define RAIA_KEY_FILE_H

#include <stddef.h>

#include "raia_err.h"

/**
 * Read path into buf (borrowed, size bytes) and set *len. what names the
 * config key in errors ("privacy.key_file"). Returns 0, or -RAIA_ECONFIG
 * with err filled when the file is missing, not a regular file, open to
 * group or others, or longer than size bytes.
 */
int key_file_read(const char *what, const char *path, unsigned char *buf, size_t size, size_t *len,
                  struct raia_err *err);

#endif
