/**
 * strbuf.h - a growable, always NUL-terminated byte buffer.
 *
 * Used to build JSON documents, SQL parameters and log fields without fixed
 * limits. On allocation failure the buffer sets `oom` and ignores further
 * appends, so a caller checks once at the end.
 */
#ifndef RAIA_STRBUF_H
#define RAIA_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *data; /* owned; NULL until the first append */
    size_t len, cap;
    int oom;
};

/**
 * Makes room for extra more bytes and the NUL after them, for a caller that
 * writes into data + len itself. 0, or -1 when out of memory (oom is set).
 */
int strbuf_reserve(struct strbuf *sb, size_t extra);
void strbuf_append(struct strbuf *sb, const char *bytes, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append v in decimal, byte for byte as printf's "%lld" writes it (no printf on hot paths). */
void strbuf_put_ll(struct strbuf *sb, long long v);
#define STRBUF_LL_SIZE 21 /* "-9223372036854775808" and its NUL */
/**
 * Write v in decimal as "%lld" does, and a NUL, into out; returns the
 * length (at most 20). For a fixed buffer that must not be allocated.
 */
size_t strbuf_ll_str(char out[STRBUF_LL_SIZE], long long v);
/** Append s as a JSON string literal, quotes included; control bytes are \u-escaped. */
void strbuf_json_str(struct strbuf *sb, const char *s);
/**
 * Append s as one CSV field (RFC 4180): as is, or in double quotes with
 * inner quotes doubled when it holds a comma, quote or line break. NULL and
 * "" append nothing (an empty field).
 */
void strbuf_csv_field(struct strbuf *sb, const char *s);
/** Empty the buffer but keep its memory; it takes appends again after running out of memory. */
void strbuf_reset(struct strbuf *sb);
/** The contents as a C string ("" when empty); borrowed from sb. */
const char *strbuf_cstr(const struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

#endif
