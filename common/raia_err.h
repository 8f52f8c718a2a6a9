/**
 * raia_err.h - error codes and error details shared by every raia module.
 *
 * Functions return 0 on success or a negative -RAIA_E* code; details (a
 * message and, for file input, the position) travel in struct raia_err.
 * Loaders that report *every* problem in a file collect them in a
 * struct raia_errlist.
 */
#ifndef RAIA_RAIA_ERR_H
#define RAIA_RAIA_ERR_H

#include <stddef.h>
#include <stdio.h>

enum raia_errcode {
    RAIA_OK = 0,
    RAIA_ENOMEM = 1,    /* out of memory */
    RAIA_EPROTO = 2,    /* malformed input from a peer */
    RAIA_EIO = 3,       /* I/O or system call failure */
    RAIA_ETIMEOUT = 4,  /* a peer did not answer in time */
    RAIA_ECONFIG = 5,   /* bad configuration or flow file */
    RAIA_EFULL = 6,     /* a bounded queue or window is full */
    RAIA_EINVAL = 7,    /* bad argument or bad user input */
    RAIA_ENOTFOUND = 8, /* the thing asked for does not exist */
    RAIA_ESTALE = 9     /* a stored value changed since it was read */
};

#define RAIA_ERR_MSG_MAX 160

/** One error with an optional position in a file (line/col are 1-based, 0 = unknown). */
struct raia_err {
    int code;
    char msg[RAIA_ERR_MSG_MAX];
    const char *file; /* borrowed in a lone raia_err; owned when inside a raia_errlist */
    int line, col;
};

/** Every error found in one pass over a file; grows as needed. Owns a copy of each file name. */
struct raia_errlist {
    struct raia_err *items;
    size_t n, cap;
};

/** Static text for a RAIA_E* code (positive or negative). */
const char *raia_strerror(int code);

/** Fill err (if not NULL) and return -code. */
int raia_err_set(struct raia_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Fill err with a file position and return -code. */
int raia_err_set_at(struct raia_err *err, int code, const char *file, int line, int col,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/** Append one positioned error; returns -RAIA_ECONFIG so callers can `return
 * raia_errlist_add(...)`. */
int raia_errlist_add(struct raia_errlist *l, const char *file, int line, int col, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

/** Format one error as `file:line:col: message` (or without the parts that are unknown). */
void raia_err_format(const struct raia_err *err, char *buf, size_t size);

/** Write each error of l to `to` as prefix + `file:line:col: message`, one a line. */
void raia_errlist_print(const struct raia_errlist *l, FILE *to, const char *prefix);

void raia_errlist_free(struct raia_errlist *l);

#define RAIA_FREE(p)                                                                               \
    do {                                                                                           \
        free(p);                                                                                   \
        (p) = NULL;                                                                                \
    } while (0)

#endif
