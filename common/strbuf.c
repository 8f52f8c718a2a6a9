/*
 * strbuf.c - growable string buffer with a JSON string escaper.
 *
 * Shared by storage/ (event JSON, SQL batches) and gateway/ (replies).
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int strbuf_reserve(struct strbuf *sb, size_t extra)
{
    if (sb->oom)
        return -1;
    if (sb->len + extra + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *data = realloc(sb->data, cap);
    if (!data) {
        sb->oom = 1;
        return -1;
    }
    sb->data = data;
    sb->cap = cap;
    return 0;
}

void strbuf_append(struct strbuf *sb, const char *bytes, size_t n)
{
    if (strbuf_reserve(sb, n) < 0)
        return;
    memcpy(sb->data + sb->len, bytes, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || strbuf_reserve(sb, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

size_t strbuf_ll_str(char out[STRBUF_LL_SIZE], long long v)
{
    char digits[STRBUF_LL_SIZE];
    char *p = digits + sizeof digits;
    /* in unsigned arithmetic, so that LLONG_MIN negates without overflow */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    *--p = '\0';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    size_t n = (size_t)(digits + sizeof digits - 1 - p);
    memcpy(out, p, n + 1);
    return n;
}

void strbuf_put_ll(struct strbuf *sb, long long v)
{
    char digits[STRBUF_LL_SIZE];
    strbuf_append(sb, digits, strbuf_ll_str(digits, v));
}

void strbuf_csv_field(struct strbuf *sb, const char *s)
{
    if (!s || !*s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        strbuf_puts(sb, s);
        return;
    }
    strbuf_append(sb, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            strbuf_append(sb, "\"", 1); /* a quote inside is doubled */
        strbuf_append(sb, p, 1);
    }
    strbuf_append(sb, "\"", 1);
}

void strbuf_json_str(struct strbuf *sb, const char *s)
{
    strbuf_append(sb, "\"", 1);
    const unsigned char *run = (const unsigned char *)s, *p = run;
    for (; *p; p++) {
        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue; /* copied with the rest of its run below */
        strbuf_append(sb, (const char *)run, (size_t)(p - run));
        run = p + 1;
        switch (*p) {
        case '"':
            strbuf_append(sb, "\\\"", 2);
            break;
        case '\\':
            strbuf_append(sb, "\\\\", 2);
            break;
        case '\n':
            strbuf_append(sb, "\\n", 2);
            break;
        case '\r':
            strbuf_append(sb, "\\r", 2);
            break;
        case '\t':
            strbuf_append(sb, "\\t", 2);
            break;
        default:
            strbuf_printf(sb, "\\u%04x", *p);
        }
    }
    strbuf_append(sb, (const char *)run, (size_t)(p - run));
    strbuf_append(sb, "\"", 1);
}

void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    sb->oom = 0;
    if (sb->data)
        sb->data[0] = '\0';
}

const char *strbuf_cstr(const struct strbuf *sb)
{
    return sb->data ? sb->data : "";
}

void strbuf_free(struct strbuf *sb)
{
    free(sb->data);
    memset(sb, 0, sizeof *sb);
}
