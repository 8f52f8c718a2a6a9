/*
 * str_copy.h - a bounded string copy.
 */
#ifndef RAIA_STR_COPY_H
#define RAIA_STR_COPY_H

#include <stddef.h>
#include <string.h>

/**
 * Copy src into dst (size bytes), cut to fit and NUL-terminated (nothing
 * written when size is 0): what snprintf(dst, size, "%s", src) does,
 * without printf's set-up, which cost some 600 instructions a copy; a turn
 * makes a dozen (docs/performance.md "Instructions per turn").
 */
static inline void str_copy(char *dst, size_t size, const char *src)
{
    if (size == 0)
        return;
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memmove(dst, src, n);
    dst[n] = '\0';
}

#endif
