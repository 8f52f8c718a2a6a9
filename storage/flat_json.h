/**
 * flat_json.h - reads one flat JSON object: string keys, and values that
 * are strings, numbers, true, false or null (RFC 8259), nothing nested.
 *
 * That is the shape of every stream document (store_event.c), which the
 * writer reads into PostgreSQL's binary arrays (batch_params.h). A general
 * JSON library would build a tree of allocations per document on the
 * writer's path, for a shape this narrow; this reader allocates nothing.
 */
#ifndef RAIA_FLAT_JSON_H
#define RAIA_FLAT_JSON_H

#include <stddef.h>

enum flat_json_type {
    FLAT_JSON_STRING, /* value: the unescaped UTF-8 bytes */
    FLAT_JSON_NUMBER, /* value: the number's text as written */
    FLAT_JSON_TRUE,
    FLAT_JSON_FALSE,
    FLAT_JSON_NULL,
};

struct flat_json_member {
    /* Keys and strings point into the text when they hold no escape, and
     * into the caller's scratch, unescaped, when they do. */
    const char *key; /* not NUL-terminated */
    size_t key_len;
    enum flat_json_type type;
    const char *value; /* for strings and numbers; not NUL-terminated */
    size_t value_len;
};

/**
 * Reads the object in text[0, len) and calls on_member for each member in
 * order; on_member returns 0 to go on, or < 0 with *why set to stop (the
 * value is returned as is). scratch must hold len bytes (unescaping never
 * lengthens). Returns 0, or -1
 * with *why set to a static reason when the text is not such an object:
 * white space around tokens is allowed; anything after the object, a
 * nested value, a raw control character or invalid escape in a string, an
 * escaped NUL or an unpaired surrogate is not. Bytes of 0x80 and above are
 * passed on as they are: PostgreSQL checks that text is UTF-8.
 */
int flat_json_read(const char *text, size_t len, char *scratch,
                   int (*on_member)(void *ctx, const struct flat_json_member *m, const char **why),
                   void *ctx, const char **why);

#endif
