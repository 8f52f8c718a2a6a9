/*
 * raia_err.c - error codes, error details and error lists.
 *
 * Used by every module: codecs and loaders fill a raia_err or raia_errlist and
 * return; the layer that decides what to do prints it once (STYLE.md rule 6).
 */
#include "raia_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *raia_strerror(int code)
{
    if (code < 0)
        code = -code;
    switch (code) {
    case RAIA_OK:
        return "ok";
    case RAIA_ENOMEM:
        return "out of memory";
    case RAIA_EPROTO:
        return "protocol error";
    case RAIA_EIO:
        return "I/O error";
    case RAIA_ETIMEOUT:
        return "timed out";
    case RAIA_ECONFIG:
        return "configuration error";
    case RAIA_EFULL:
        return "queue full";
    case RAIA_EINVAL:
        return "invalid argument";
    case RAIA_ENOTFOUND:
        return "not found";
    case RAIA_ESTALE:
        return "changed since it was read";
    default:
        return "unknown error";
    }
}

static void err_vset(struct raia_err *err, int code, const char *file, int line, int col,
                     const char *fmt, va_list ap)
{
    err->code = code;
    err->file = file;
    err->line = line;
    err->col = col;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int raia_err_set(struct raia_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err_vset(err, code, NULL, 0, 0, fmt, ap);
        va_end(ap);
    }
    return -code;
}

int raia_err_set_at(struct raia_err *err, int code, const char *file, int line, int col,
                    const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err_vset(err, code, file, line, col, fmt, ap);
        va_end(ap);
    }
    return -code;
}

int raia_errlist_add(struct raia_errlist *l, const char *file, int line, int col, const char *fmt,
                     ...)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct raia_err *items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return -RAIA_ENOMEM;
        l->items = items;
        l->cap = cap;
    }
    /* The list owns a copy of the file name: errors often outlive the
     * document whose nodes named the file. */
    char *file_copy = file ? strdup(file) : NULL;
    va_list ap;
    va_start(ap, fmt);
    err_vset(&l->items[l->n++], RAIA_ECONFIG, file_copy, line, col, fmt, ap);
    va_end(ap);
    return -RAIA_ECONFIG;
}

void raia_err_format(const struct raia_err *err, char *buf, size_t size)
{
    if (err->file && err->line > 0 && err->col > 0)
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
    else if (err->file && err->line > 0)
        snprintf(buf, size, "%s:%d: %s", err->file, err->line, err->msg);
    else if (err->file)
        snprintf(buf, size, "%s: %s", err->file, err->msg);
    else
        snprintf(buf, size, "%s", err->msg);
}

void raia_errlist_print(const struct raia_errlist *l, FILE *to, const char *prefix)
{
    char line[RAIA_ERR_MSG_MAX + 256];
    for (size_t i = 0; i < l->n; i++) {
        raia_err_format(&l->items[i], line, sizeof line);
        fprintf(to, "%s%s\n", prefix, line);
    }
}

void raia_errlist_free(struct raia_errlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free((char *)l->items[i].file);
    RAIA_FREE(l->items);
    l->n = l->cap = 0;
}
