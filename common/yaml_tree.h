/**
 * yaml_tree.h - a YAML document as a small tree of nodes that remember their
 * line and column, so config and flow loaders can say `file:line:col: ...`.
 *
 * Built on libyaml. Anchors, aliases and tags are refused (a flow or config
 * file has no need for them, and aliases allow "billion laughs" blow-ups);
 * duplicate map keys are errors; nesting is capped at YTREE_MAX_DEPTH.
 * Used by gateway/config.c and flows/; never logs.
 */
#ifndef RAIA_YAML_TREE_H
#define RAIA_YAML_TREE_H

#include <stddef.h>

#include "raia_err.h"

#define YTREE_MAX_DEPTH 32

enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode;

struct ypair {
    struct ynode *key; /* always a scalar */
    struct ynode *value;
};

struct ynode {
    enum ynode_kind kind;
    const char *file; /* borrowed from the document */
    int line, col;    /* 1-based start of the node */
    char *scalar;     /* YNODE_SCALAR: the text, NUL-terminated */
    size_t scalar_len;
    int plain;            /* scalar was written without quotes */
    struct ynode **items; /* YNODE_SEQ */
    struct ypair *pairs;  /* YNODE_MAP, in file order */
    size_t n;             /* number of items or pairs */
};

struct ydoc {
    char *file;         /* owned copy of the name used in errors */
    struct ynode *root; /* NULL for an empty document */
};

/**
 * Parse a whole file. Returns NULL and adds to errs on any problem (syntax
 * error, alias, duplicate key). The caller frees the result with ydoc_free().
 */
struct ydoc *ydoc_load_file(const char *path, struct raia_errlist *errs);
/** Parse a buffer; name is used in error positions. */
struct ydoc *ydoc_load_buf(const char *name, const char *buf, size_t len,
                           struct raia_errlist *errs);
void ydoc_free(struct ydoc *doc);

/** The value for key in a map, or NULL (also NULL when map is not a map). */
const struct ynode *ynode_get(const struct ynode *map, const char *key);

/** "a mapping" / "a list" / "a scalar", for messages. */
const char *ynode_kind_name(enum ynode_kind kind);

/**
 * Report every key of map that is not in allowed (NULL-terminated) as
 * "unknown key 'x' in <where>". Returns the number of unknown keys.
 */
int ynode_check_keys(const struct ynode *map, const char *const *allowed, const char *where,
                     struct raia_errlist *errs);

/** Require kind; on mismatch add "<what>: expected <kind>" and return -1. */
int ynode_expect(const struct ynode *n, enum ynode_kind kind, const char *what,
                 struct raia_errlist *errs);

/** Read an integer scalar in [min,max] with strtoll and end/range checks. */
int ynode_int(const struct ynode *n, const char *what, long long min, long long max, long long *out,
              struct raia_errlist *errs);
/** Read true/false/yes/no. */
int ynode_bool(const struct ynode *n, const char *what, int *out, struct raia_errlist *errs);
/** Borrow a scalar's text (valid while the document lives). */
int ynode_str(const struct ynode *n, const char *what, const char **out, struct raia_errlist *errs);

#endif
