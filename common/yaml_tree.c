/*
 * yaml_tree.c - libyaml event stream -> node tree with positions.
 *
 * Why a tree and not libyaml's document API: yaml_document_t keeps marks
 * too, but it accepts aliases and duplicate keys silently; building our own
 * small tree lets every loader report all problems with `file:line:col`.
 */
#include "yaml_tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

struct builder {
    yaml_parser_t parser;
    const char *file;
    struct raia_errlist *errs;
    int failed;
};

static void ynode_free(struct ynode *n)
{
    if (!n)
        return;
    free(n->scalar);
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == YNODE_SEQ) {
            ynode_free(n->items[i]);
        } else if (n->kind == YNODE_MAP) {
            ynode_free(n->pairs[i].key);
            ynode_free(n->pairs[i].value);
        }
    }
    free(n->items);
    free(n->pairs);
    free(n);
}

static struct ynode *ynode_new(struct builder *b, enum ynode_kind kind, const yaml_mark_t *mark)
{
    struct ynode *n = calloc(1, sizeof *n);
    if (!n) {
        raia_errlist_add(b->errs, b->file, 0, 0, "out of memory");
        b->failed = 1;
        return NULL;
    }
    n->kind = kind;
    n->file = b->file;
    n->line = (int)mark->line + 1;
    n->col = (int)mark->column + 1;
    return n;
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev)) {
        const yaml_mark_t *m = &b->parser.problem_mark;
        raia_errlist_add(b->errs, b->file, (int)m->line + 1, (int)m->column + 1, "YAML: %s%s%s",
                         b->parser.problem ? b->parser.problem : "syntax error",
                         b->parser.context ? " " : "", b->parser.context ? b->parser.context : "");
        b->failed = 1;
        return -1;
    }
    return 0;
}

static struct ynode *build_node(struct builder *b, yaml_event_t *ev, int depth);

/*
 * Makes room for element n of an array whose capacity is always the smallest
 * power of two >= its length, so it grows only when n is 0 or a power of two.
 */
static int grow(void **arr, size_t n, size_t elem)
{
    if (n != 0 && (n & (n - 1)) != 0)
        return 0;
    size_t cap = n ? n * 2 : 1;
    void *p = realloc(*arr, cap * elem);
    if (!p)
        return -1;
    *arr = p;
    return 0;
}

static struct ynode *build_seq(struct builder *b, const yaml_mark_t *mark, int depth)
{
    struct ynode *n = ynode_new(b, YNODE_SEQ, mark);
    if (!n)
        return NULL;
    for (;;) {
        yaml_event_t ev;
        if (next_event(b, &ev) < 0)
            break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return n;
        }
        struct ynode *item = build_node(b, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!item)
            break;
        if (grow((void **)&n->items, n->n, sizeof *n->items) < 0) {
            ynode_free(item);
            break;
        }
        n->items[n->n++] = item;
    }
    ynode_free(n);
    return NULL;
}

static struct ynode *build_map(struct builder *b, const yaml_mark_t *mark, int depth)
{
    struct ynode *n = ynode_new(b, YNODE_MAP, mark);
    if (!n)
        return NULL;
    for (;;) {
        yaml_event_t ev;
        if (next_event(b, &ev) < 0)
            break;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return n;
        }
        struct ynode *key = build_node(b, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!key)
            break;
        if (key->kind != YNODE_SCALAR) {
            raia_errlist_add(b->errs, b->file, key->line, key->col, "map keys must be plain text");
            b->failed = 1;
            ynode_free(key);
            break;
        }
        if (ynode_get(n, key->scalar)) {
            raia_errlist_add(b->errs, b->file, key->line, key->col, "duplicate key '%s'",
                             key->scalar);
            b->failed = 1;
        }
        if (next_event(b, &ev) < 0) {
            ynode_free(key);
            break;
        }
        struct ynode *value = build_node(b, &ev, depth + 1);
        yaml_event_delete(&ev);
        if (!value || grow((void **)&n->pairs, n->n, sizeof *n->pairs) < 0) {
            ynode_free(key);
            ynode_free(value);
            break;
        }
        n->pairs[n->n].key = key;
        n->pairs[n->n].value = value;
        n->n++;
    }
    ynode_free(n);
    return NULL;
}

static struct ynode *build_node(struct builder *b, yaml_event_t *ev, int depth)
{
    const yaml_mark_t *m = &ev->start_mark;
    if (depth > YTREE_MAX_DEPTH) {
        raia_errlist_add(b->errs, b->file, (int)m->line + 1, (int)m->column + 1,
                         "nesting deeper than %d levels", YTREE_MAX_DEPTH);
        b->failed = 1;
        return NULL;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        raia_errlist_add(b->errs, b->file, (int)m->line + 1, (int)m->column + 1,
                         "YAML aliases are not allowed");
        b->failed = 1;
        return NULL;
    case YAML_SCALAR_EVENT: {
        if (ev->data.scalar.anchor) {
            raia_errlist_add(b->errs, b->file, (int)m->line + 1, (int)m->column + 1,
                             "YAML anchors are not allowed");
            b->failed = 1;
            return NULL;
        }
        struct ynode *n = ynode_new(b, YNODE_SCALAR, m);
        if (!n)
            return NULL;
        n->scalar_len = ev->data.scalar.length;
        n->scalar = malloc(n->scalar_len + 1);
        if (!n->scalar) {
            ynode_free(n);
            b->failed = 1;
            return NULL;
        }
        memcpy(n->scalar, ev->data.scalar.value, n->scalar_len);
        n->scalar[n->scalar_len] = '\0';
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return n;
    }
    case YAML_SEQUENCE_START_EVENT:
        if (ev->data.sequence_start.anchor) {
            raia_errlist_add(b->errs, b->file, (int)m->line + 1, (int)m->column + 1,
                             "YAML anchors are not allowed");
            b->failed = 1;
            return NULL;
        }
        return build_seq(b, m, depth);
    case YAML_MAPPING_START_EVENT:
        if (ev->data.mapping_start.anchor) {
            raia_errlist_add(b->errs, b->file, (int)m->line + 1, (int)m->column + 1,
                             "YAML anchors are not allowed");
            b->failed = 1;
            return NULL;
        }
        return build_map(b, m, depth);
    default:
        raia_errlist_add(b->errs, b->file, (int)m->line + 1, (int)m->column + 1,
                         "unexpected YAML event");
        b->failed = 1;
        return NULL;
    }
}

/* Walks the event stream: STREAM_START, one DOCUMENT (or none), STREAM_END. */
static struct ydoc *build_doc(struct builder *b, struct ydoc *doc)
{
    yaml_event_t ev;
    int docs = 0;
    for (;;) {
        if (next_event(b, &ev) < 0)
            break;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            raia_errlist_add(b->errs, b->file, (int)ev.start_mark.line + 1,
                             (int)ev.start_mark.column + 1, "only one YAML document is allowed");
            b->failed = 1;
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
            t == YAML_MAPPING_START_EVENT || t == YAML_ALIAS_EVENT) {
            doc->root = build_node(b, &ev, 0);
            if (!doc->root)
                b->failed = 1;
        }
        yaml_event_delete(&ev);
        if (b->failed)
            break;
    }
    if (b->failed) {
        ydoc_free(doc);
        return NULL;
    }
    return doc;
}

struct ydoc *ydoc_load_buf(const char *name, const char *buf, size_t len, struct raia_errlist *errs)
{
    struct ydoc *doc = calloc(1, sizeof *doc);
    if (!doc || !(doc->file = strdup(name))) {
        free(doc);
        raia_errlist_add(errs, name, 0, 0, "out of memory");
        return NULL;
    }
    struct builder b = {.file = doc->file, .errs = errs};
    if (!yaml_parser_initialize(&b.parser)) {
        ydoc_free(doc);
        raia_errlist_add(errs, name, 0, 0, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
    doc = build_doc(&b, doc);
    yaml_parser_delete(&b.parser);
    return doc;
}

struct ydoc *ydoc_load_file(const char *path, struct raia_errlist *errs)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        raia_errlist_add(errs, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (16u << 20)) {
                raia_errlist_add(errs, path, 0, 0, "file larger than 16 MiB");
                free(buf);
                fclose(f);
                return NULL;
            }
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                raia_errlist_add(errs, path, 0, 0, "out of memory");
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        free(buf);
        raia_errlist_add(errs, path, 0, 0, "read error");
        return NULL;
    }
    struct ydoc *doc = ydoc_load_buf(path, buf, len, errs);
    free(buf);
    return doc;
}

void ydoc_free(struct ydoc *doc)
{
    if (!doc)
        return;
    ynode_free(doc->root);
    free(doc->file);
    free(doc);
}

const struct ynode *ynode_get(const struct ynode *map, const char *key)
{
    if (!map || map->kind != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->pairs[i].key->scalar, key) == 0)
            return map->pairs[i].value;
    return NULL;
}

const char *ynode_kind_name(enum ynode_kind kind)
{
    switch (kind) {
    case YNODE_MAP:
        return "a mapping";
    case YNODE_SEQ:
        return "a list";
    default:
        return "a scalar";
    }
}

int ynode_check_keys(const struct ynode *map, const char *const *allowed, const char *where,
                     struct raia_errlist *errs)
{
    int unknown = 0;
    if (!map || map->kind != YNODE_MAP)
        return 0;
    for (size_t i = 0; i < map->n; i++) {
        const struct ynode *k = map->pairs[i].key;
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, k->scalar) == 0)
                ok = 1;
        if (!ok) {
            raia_errlist_add(errs, k->file, k->line, k->col, "unknown key '%s' in %s", k->scalar,
                             where);
            unknown++;
        }
    }
    return unknown;
}

int ynode_expect(const struct ynode *n, enum ynode_kind kind, const char *what,
                 struct raia_errlist *errs)
{
    if (n->kind == kind)
        return 0;
    raia_errlist_add(errs, n->file, n->line, n->col, "%s: expected %s, found %s", what,
                     ynode_kind_name(kind), ynode_kind_name(n->kind));
    return -1;
}

int ynode_int(const struct ynode *n, const char *what, long long min, long long max, long long *out,
              struct raia_errlist *errs)
{
    if (ynode_expect(n, YNODE_SCALAR, what, errs) < 0)
        return -1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(n->scalar, &end, 10);
    if (n->scalar_len == 0 || errno != 0 || *end != '\0') {
        raia_errlist_add(errs, n->file, n->line, n->col, "%s: '%s' is not a whole number", what,
                         n->scalar);
        return -1;
    }
    if (v < min || v > max) {
        raia_errlist_add(errs, n->file, n->line, n->col, "%s: %lld not in [%lld,%lld]", what, v,
                         min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int ynode_bool(const struct ynode *n, const char *what, int *out, struct raia_errlist *errs)
{
    if (ynode_expect(n, YNODE_SCALAR, what, errs) < 0)
        return -1;
    if (!strcasecmp(n->scalar, "true") || !strcasecmp(n->scalar, "yes")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(n->scalar, "false") || !strcasecmp(n->scalar, "no")) {
        *out = 0;
        return 0;
    }
    raia_errlist_add(errs, n->file, n->line, n->col, "%s: '%s' is not true or false", what,
                     n->scalar);
    return -1;
}

int ynode_str(const struct ynode *n, const char *what, const char **out, struct raia_errlist *errs)
{
    if (ynode_expect(n, YNODE_SCALAR, what, errs) < 0)
        return -1;
    if (strlen(n->scalar) != n->scalar_len) {
        raia_errlist_add(errs, n->file, n->line, n->col, "%s: contains a NUL byte", what);
        return -1;
    }
    *out = n->scalar;
    return 0;
}
